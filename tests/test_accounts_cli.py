"""`flask outreach accounts …`: the first steward and the demo accounts."""
from __future__ import annotations

import re

import pyotp
import pytest

from outreach.accounts import services
from outreach.accounts.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from outreach.extensions import db
from tests import factories
from tests.staff_fixtures import clock, staff_app  # noqa: F401  (fixtures)

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


def test_demo_accounts_need_the_flag(staff_app):
    result = staff_app.test_cli_runner().invoke(args=["outreach", "accounts", "demo"])
    assert result.exit_code == 1
    with staff_app.app_context():
        assert services.user_by_email(DEMO_ACCOUNTS[0][0]) is None


def test_demo_accounts_for_every_role_can_sign_in(staff_app, clock):
    with staff_app.app_context():
        factories.organization("Alpha")
        factories.organization("Beta")
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
        db.session.remove()
    email, _name, _role, _org, secret = DEMO_ACCOUNTS[0]
    client = staff_app.test_client()
    client.post("/staff/login", data={"email": email, "password": DEMO_PASSWORD})
    code = pyotp.TOTP(secret).at(int(clock.now().timestamp()))
    assert client.post("/staff/login/code", data={"code": code}).status_code == 302
    assert "Demo account" in client.get("/staff/").get_data(as_text=True)
    codes = runner.invoke(args=["outreach", "accounts", "demo-codes"])
    assert email in codes.output
