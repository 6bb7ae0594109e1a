"""`flask outreach accounts …`: the first steward and the demo accounts."""
from __future__ import annotations

import re

import pyotp
import pytest

from outreach.accounts import services
from outreach.accounts.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from sqlalchemy import select

from outreach.accounts import passwords
from outreach.accounts.models import User
from outreach.directory.models import Organization
from outreach.extensions import db
from tests import factories
from tests.staff_fixtures import PASSWORD, clock, make_staff, staff_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


def test_create_steward_prints_a_working_one_time_link(staff_app):
    result = staff_app.test_cli_runner().invoke(args=["outreach", "accounts", "create-steward", "Boss@Example.org"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://127\.0\.0\.1:5000(/staff/invitations/\S+)", result.output).group(1)
    client = staff_app.test_client()
    password = "seven quiet lanterns"
    response = client.post(link, data={"display_name": "Boss", "password": password, "confirm": password})
    assert response.status_code == 302
    with staff_app.app_context():
        assert services.user_by_email("boss@example.org").role_names == {"steward"}
    assert client.get(link).status_code == 404


def test_create_steward_builds_the_link_from_the_site_url(make_app):
    from tests.staff_fixtures import staff_config

    app = make_app(**staff_config(SITE_URL="https://outreach.example.org"))
    result = app.test_cli_runner().invoke(args=["outreach", "accounts", "create-steward", "chief@example.org"])
    assert result.exit_code == 0, result.output
    assert re.search(r"https://outreach\.example\.org/staff/invitations/\S+", result.output)
    other = app.test_cli_runner().invoke(args=["outreach", "accounts", "create-steward", "deputy@example.org",
                                                "--base-url", "https://staging.example.org"])
    assert "https://staging.example.org/staff/invitations/" in other.output


def test_demo_accounts_need_the_flag(staff_app):
    result = staff_app.test_cli_runner().invoke(args=["outreach", "accounts", "demo"])
    assert result.exit_code == 1
    with staff_app.app_context():
        assert services.user_by_email(DEMO_ACCOUNTS[0][0]) is None


def _demo_organizations(**values) -> None:
    """The fictional demo organizations the demo members belong to, by content slug."""
    for _email, _name, _role, slug, _secret in DEMO_ACCOUNTS:
        if slug:
            factories.organization(slug.replace("-", " ").title(), content_slug=slug, **{"is_demo": True, **values})


def test_demo_accounts_for_every_role_can_sign_in(staff_app, clock):
    with staff_app.app_context():
        factories.organization("988 Suicide & Crisis Lifeline")  # a real one, first by name: never joined
        _demo_organizations()
    staff_app.config["DEMO_ACCOUNTS"] = True
    runner = staff_app.test_cli_runner()
    result = runner.invoke(args=["outreach", "accounts", "demo"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["outreach", "accounts", "demo"]).exit_code == 0  # re-runnable
    with staff_app.app_context():
        roles = set()
        for email, *_rest in DEMO_ACCOUNTS:
            user = services.user_by_email(email)
            assert user.is_demo and "DEMO" in user.display_name
            roles |= user.role_names
        assert roles == {"steward", "reviewer", "outreach_publisher", "org_member"}
        for email, _name, _role, slug, _secret in DEMO_ACCOUNTS:
            organizations = [db.session.get(Organization, i) for i in services.user_by_email(email).organization_ids]
            assert [(o.content_slug, o.is_demo) for o in organizations] == ([(slug, True)] if slug else [])
        db.session.remove()
    email, _name, _role, _org, secret = DEMO_ACCOUNTS[0]
    client = staff_app.test_client()
    client.post("/staff/login", data={"email": email, "password": DEMO_PASSWORD})
    code = pyotp.TOTP(secret).at(int(clock.now().timestamp()))
    assert client.post("/staff/login/code", data={"code": code}).status_code == 302
    assert "Demo account" in client.get("/staff/").get_data(as_text=True)
    codes = runner.invoke(args=["outreach", "accounts", "demo-codes"])
    assert f"{email}  {pyotp.TOTP(secret).at(int(clock.now().timestamp()))}" in codes.output
    assert codes.output.count("@example.org") == len(DEMO_ACCOUNTS)


def test_demo_members_never_join_an_organization_that_is_not_demo(staff_app):
    with staff_app.app_context():
        _demo_organizations(is_demo=False)  # the slugs, but real organizations
    result = staff_app.test_cli_runner().invoke(args=["outreach", "accounts", "demo", "--yes-create-demo-accounts"])
    assert result.exit_code != 0
    assert "not marked demo" in result.output
    with staff_app.app_context():
        assert not any(user.organization_ids for user in db.session.scalars(select(User)))


def test_demo_accounts_never_take_over_a_real_account(staff_app):
    with staff_app.app_context():
        _demo_organizations()
        make_staff(DEMO_ACCOUNTS[0][0], [{"role": "reviewer"}])
    result = staff_app.test_cli_runner().invoke(args=["outreach", "accounts", "demo", "--yes-create-demo-accounts"])
    assert result.exit_code != 0
    with staff_app.app_context():
        user = services.user_by_email(DEMO_ACCOUNTS[0][0])
        assert not user.is_demo and user.role_names == {"reviewer"}
        assert passwords.verify_password(user.password_hash, PASSWORD)


def test_reset_restores_the_demo_password(staff_app, clock):
    with staff_app.app_context():
        _demo_organizations()
    staff_app.config["DEMO_ACCOUNTS"] = True
    runner = staff_app.test_cli_runner()
    assert runner.invoke(args=["outreach", "accounts", "demo"]).exit_code == 0
    email = DEMO_ACCOUNTS[0][0]
    with staff_app.app_context():
        user = services.user_by_email(email)
        user.password_hash, user.failed_logins = passwords.hash_password("someone changed it here"), 7
        db.session.commit()
    assert runner.invoke(args=["outreach", "accounts", "demo"]).exit_code == 0  # kept without --reset
    with staff_app.app_context():
        assert not passwords.verify_password(services.user_by_email(email).password_hash, DEMO_PASSWORD)
    assert runner.invoke(args=["outreach", "accounts", "demo", "--reset"]).exit_code == 0
    with staff_app.app_context():
        user = services.user_by_email(email)
        assert passwords.verify_password(user.password_hash, DEMO_PASSWORD) and user.failed_logins == 0
