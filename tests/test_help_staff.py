"""Anonymous help requests, the organization's side: read with a password, reply, status, forward,
delete; keys per member; other organizations, stewards and police get nothing; e-mail says nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import User
from outreach.audit.models import AuditEntry
from outreach.extensions import db
from outreach.help import keys
from outreach.help.crypto import DecryptionFailed
from outreach.help.models import HelpRequest, MemberKey, OrganizationKeySeal
from tests.help_fixtures import help_app, submit, world  # noqa: F401  (fixtures)
from tests.smtp_fixtures import smtp  # noqa: F401  (fixture)
from tests.staff_fixtures import PASSWORD, clock, make_staff, sign_in, staff_config  # noqa: F401

pytestmark = pytest.mark.db
SECRET_MESSAGE = "zqxsecret my son needs a ride to detox"


def only_request(app) -> HelpRequest:
    with app.app_context():
        request = db.session.scalar(select(HelpRequest))
        db.session.expunge(request)
        return request


def test_member_reads_replies_and_the_resident_sees_it(help_app, world, clock):
    resident = help_app.test_client()
    receipt = submit(resident, message=SECRET_MESSAGE)
    request = only_request(help_app)
    member = help_app.test_client()
    sign_in(member, world.member_a, clock)
    inbox = member.get("/staff/help/").get_data(as_text=True)
    assert request.designation in inbox and SECRET_MESSAGE not in inbox
    detail = member.get(f"/staff/help/requests/{request.id}").get_data(as_text=True)
    assert SECRET_MESSAGE not in detail
    wrong = member.post(f"/staff/help/requests/{request.id}/read", data={"password": "not my password at all"})
    assert SECRET_MESSAGE not in wrong.get_data(as_text=True) and "did not unlock" in wrong.get_data(as_text=True)
    opened = member.post(f"/staff/help/requests/{request.id}/read", data={"password": PASSWORD})
    assert SECRET_MESSAGE in opened.get_data(as_text=True)
    with help_app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "help_request_opened"))
        assert entry.target_id == request.id and "zqxsecret" not in repr(entry.changes)
        assert db.session.get(HelpRequest, request.id).status == "seen"
    assert member.post(f"/staff/help/requests/{request.id}/reply", data={"text": "We can drive you Monday."}).status_code == 302
    assert member.post(f"/staff/help/requests/{request.id}/status", data={"status": "accepted"}).status_code == 302
    page = resident.post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    assert "We can drive you Monday." in page and "Accepted" in page


def test_forward_moves_the_key_to_the_other_organization(help_app, world, clock):
    submit(help_app.test_client(), message=SECRET_MESSAGE)
    request = only_request(help_app)
    member_a, member_b = help_app.test_client(), help_app.test_client()
    sign_in(member_a, world.member_a, clock)
    sign_in(member_b, world.member_b, clock)
    response = member_a.post(f"/staff/help/requests/{request.id}/forward",
                             data={"organization_id": world.org_b, "password": PASSWORD})
    assert response.status_code == 302
    assert member_a.get(f"/staff/help/requests/{request.id}").status_code == 404
    opened = member_b.post(f"/staff/help/requests/{request.id}/read", data={"password": PASSWORD})
    assert SECRET_MESSAGE in opened.get_data(as_text=True)


def test_a_forward_keeps_names_unique_and_its_re_seal_dies_with_the_erasure_secret(help_app, world, clock):
    from tests.test_help import copy_main_database, every_key_still_stored, readable_messages

    resident = help_app.test_client()
    forwarded_receipt = submit(resident, message=SECRET_MESSAGE, categories=["harm-reduction"])  # to A
    resident_b = help_app.test_client()
    resident_b.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    b_receipt = submit(resident_b, message="already at B", categories=["treatment"], area="")  # to B
    with help_app.app_context():
        to_forward = db.session.scalar(select(HelpRequest).where(HelpRequest.organization_id == world.org_a))
        at_b = db.session.scalar(select(HelpRequest).where(HelpRequest.organization_id == world.org_b))
        to_forward.designation = at_b.designation  # the same name as one of B's open requests
        request_id, taken = to_forward.id, at_b.designation
        db.session.commit()
    member_a, member_b = help_app.test_client(), help_app.test_client()
    sign_in(member_a, world.member_a, clock)
    sign_in(member_b, world.member_b, clock)
    assert member_a.post(f"/staff/help/requests/{request_id}/forward",
                         data={"organization_id": world.org_b, "password": PASSWORD}).status_code == 302
    with help_app.app_context():
        assert db.session.get(HelpRequest, request_id).designation != taken
    assert SECRET_MESSAGE in member_b.post(f"/staff/help/requests/{request_id}/read",
                                           data={"password": PASSWORD}).get_data(as_text=True)
    receipts = [forwarded_receipt, b_receipt]
    old_copy = copy_main_database(help_app)  # holds B's re-seal of the forwarded request
    assert SECRET_MESSAGE.split()[0] in " ".join(readable_messages(old_copy, every_key_still_stored(help_app, world, receipts)))
    assert member_b.post(f"/staff/help/requests/{request_id}/delete", data={"confirm": "y"}).status_code == 302
    assert readable_messages(old_copy, every_key_still_stored(help_app, world, receipts)) == {"already at B"}


def test_delete_by_the_organization_removes_keys(help_app, world, clock):
    receipt = submit(help_app.test_client())
    request = only_request(help_app)
    member = help_app.test_client()
    sign_in(member, world.member_a, clock)
    assert member.post(f"/staff/help/requests/{request.id}/delete", data={}).status_code == 200  # not confirmed
    assert member.post(f"/staff/help/requests/{request.id}/delete", data={"confirm": "y"}).status_code == 302
    with help_app.app_context():
        assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
    page = help_app.test_client().post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    assert "could not find a request" in page


def snapshot(app) -> dict:
    with app.app_context(), db.engine.connect() as connection:
        return {name: sorted(map(repr, connection.execute(select(table)).all()))
                for name, table in db.metadata.tables.items() if name != "staff_session"}


def test_other_organization_gets_404_on_every_help_route_and_nothing_changes(help_app, world, clock):
    submit(help_app.test_client(), message=SECRET_MESSAGE)
    request = only_request(help_app)
    member_b = help_app.test_client()
    sign_in(member_b, world.member_b, clock)
    before = snapshot(help_app)
    data = {"password": PASSWORD, "text": "hello", "status": "closed", "organization_id": world.org_b,
            "confirm": "y", "member_id": str(world.member_b.id), "recovery_key": world.recovery_a}
    paths = [f"/staff/help/requests/{request.id}"] + [
        f"/staff/help/requests/{request.id}/{action}" for action in ("read", "reply", "status", "forward", "delete")
    ] + [f"/staff/help/organizations/{world.org_a}"] + [
        f"/staff/help/organizations/{world.org_a}/{action}" for action in ("set-up", "grant", "restore")]
    for path in paths:
        method = "GET" if path.count("/") == 4 else "POST"
        response = member_b.open(path, method=method, data=data if method == "POST" else None)
        assert response.status_code == 404, path
        assert SECRET_MESSAGE not in response.get_data(as_text=True)
    assert snapshot(help_app) == before
    assert request.designation not in member_b.get("/staff/help/").get_data(as_text=True)


def test_stewards_and_police_hold_no_keys_and_get_403(help_app, world, clock):
    submit(help_app.test_client())
    request = only_request(help_app)
    for staff in (world.steward, world.publisher):
        client = help_app.test_client()
        sign_in(client, staff, clock)
        assert client.get("/staff/help/").status_code == 403
        assert client.post(f"/staff/help/requests/{request.id}/read", data={"password": PASSWORD}).status_code == 403
    with help_app.app_context():
        holders = set(db.session.scalars(select(MemberKey.user_id))) | set(db.session.scalars(select(OrganizationKeySeal.user_id)))
        assert holders == {world.member_a.id, world.member_b.id}


def test_new_member_gets_access_from_an_existing_one_and_password_changes_rewrap(help_app, world, clock):
    submit(help_app.test_client(), message=SECRET_MESSAGE)
    request = only_request(help_app)
    with help_app.app_context():
        newcomer = make_staff("a2@example.org", [{"role": "org_member", "organization_id": world.org_a}])
    new_client = help_app.test_client()
    sign_in(new_client, newcomer, clock)  # signing in creates the newcomer's member key
    assert "did not unlock" in new_client.post(f"/staff/help/requests/{request.id}/read",
                                               data={"password": PASSWORD}).get_data(as_text=True)
    member = help_app.test_client()
    sign_in(member, world.member_a, clock)
    assert member.post(f"/staff/help/organizations/{world.org_a}/grant",
                       data={"member_id": str(newcomer.id), "password": PASSWORD}).status_code == 302
    opened = new_client.post(f"/staff/help/requests/{request.id}/read", data={"password": PASSWORD})
    assert SECRET_MESSAGE in opened.get_data(as_text=True)
    new_password = "copper lantern meadow ninety"
    response = new_client.post("/staff/account/password", data={
        "current_password": PASSWORD, "password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert SECRET_MESSAGE in new_client.post(f"/staff/help/requests/{request.id}/read",
                                             data={"password": new_password}).get_data(as_text=True)
    with help_app.app_context():
        user = db.session.get(User, newcomer.id)
        with pytest.raises(DecryptionFailed):
            keys.organization_private_key(user, world.org_a, PASSWORD)


def test_first_member_sets_up_and_sees_the_recovery_key_once(make_app, clock):
    from tests import factories

    app = make_app(**staff_config())
    with app.app_context():
        organization_id = factories.organization("Fresh org").id
        staff = make_staff("f@example.org", [{"role": "org_member", "organization_id": organization_id}])
    client = app.test_client()
    sign_in(client, staff, clock)
    page = client.post(f"/staff/help/organizations/{organization_id}/set-up", data={"password": PASSWORD})
    body = page.get_data(as_text=True)
    recovery = re.search(r"<code>([0-9A-Z-]{30,})</code>", body).group(1)
    assert recovery not in client.get(f"/staff/help/organizations/{organization_id}").get_data(as_text=True)
    with app.app_context():
        assert keys.organization_key_from_recovery(organization_id, recovery)
        assert recovery not in repr(snapshot(app))


def test_notification_email_says_only_that_a_request_waits(make_app, clock, smtp):
    from tests.help_fixtures import build_world

    port, handler = smtp
    app = make_app(**staff_config(SMTP_HOST="127.0.0.1", SMTP_PORT=port))
    world = build_world(app)
    with app.app_context():  # a second member of A reads the staff pages in Spanish
        make_staff("a-es@example.org", [{"role": "org_member", "organization_id": world.org_a}])
        db.session.scalar(select(User).where(User.email == "a-es@example.org")).preferred_locale = "es"
        db.session.commit()
    submit(app.test_client(), message=SECRET_MESSAGE, categories=["harm-reduction"])
    request = only_request(app)
    assert len(handler.messages) == 2  # one per language, each member in Bcc
    by_recipient = {tuple(recipients): text for recipients, text in handler.messages}
    assert set(by_recipient) == {("a@example.org",), ("a-es@example.org",)}
    assert "waiting" in by_recipient[("a@example.org",)]
    assert "esperando" in by_recipient[("a-es@example.org",)]
    for text in by_recipient.values():
        for secret in ("zqxsecret", "harm-reduction", request.designation, request.id, "97205"):
            assert secret not in text
    assert all(world.member_b.email not in recipients for recipients, _text in handler.messages)


def test_demo_command_gives_demo_members_keys_and_rules(make_app, clock):
    from outreach.help.models import OrganizationKey, RoutingRule
    from tests import factories

    from outreach.accounts.cli import DEMO_ACCOUNTS

    app = make_app(**staff_config())
    with app.app_context():
        factories.organization("988 Suicide & Crisis Lifeline")  # real, first by name: never a demo partner
        slugs = [slug for *_rest, slug, _secret in DEMO_ACCOUNTS if slug]
        for slug in slugs:  # the demo partners of content/help-routing.yaml, each with a demo member
            factories.organization(slug, content_slug=slug, is_demo=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outreach", "help", "demo"]).exit_code == 1  # demo sites only
    assert runner.invoke(args=["outreach", "accounts", "demo", "--yes-create-demo-accounts"]).exit_code == 0
    result = runner.invoke(args=["outreach", "help", "demo", "--yes-create-demo-keys"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(OrganizationKey.organization_id))) == len(slugs)
        assert db.session.scalar(select(func.count(RoutingRule.organization_id)).where(RoutingRule.is_coordinator)) == 1
    assert submit(app.test_client(), categories=[])
