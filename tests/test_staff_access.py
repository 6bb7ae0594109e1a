"""Deny by default: every staff route × every role, and organizations kept apart."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.accounts.access import PUBLIC_ENDPOINTS, STAFF_PREFIX
from outreach.accounts.models import User
from outreach.extensions import db
from tests import factories
from tests.staff_fixtures import clock, make_staff, sign_in, staff_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

PERSONAS = ("anonymous", "member_a", "member_b", "publisher", "reviewer", "steward")
SIGNED_IN = set(PERSONAS) - {"anonymous"}
# Who may open each staff endpoint (GET, or POST for POST-only ones) with organization A's ids.
# A staff endpoint missing here fails the test: a new route must state who may use it.
ALLOWED = {
    "accounts.home": SIGNED_IN,
    "accounts.account": SIGNED_IN,
    "accounts.change_password": SIGNED_IN,
    "accounts.logout": SIGNED_IN,
    "accounts.organization": {"member_a", "steward", "reviewer"},
    "accounts.invite": {"steward"},
    # Members invite colleagues to their own organization (its key goes with the invitation).
    "accounts.invite_member": {"member_a"},
    # The steward's People page: disable or enable an account, take a role away.
    "accounts.people": {"steward"},
    "accounts.disable_person": {"steward"},
    "accounts.enable_person": {"steward"},
    "accounts.revoke_role": {"steward"},
    "audit.log": {"steward"},
    "insights.demand": {"member_a", "member_b", "publisher", "steward"},
    # Help requests: members of the receiving organization only; stewards and police never (no escrow).
    "help_staff.inbox": {"member_a", "member_b"},
    "help_staff.organization_keys": {"member_a"},
    "help_staff.set_up": {"member_a"},
    "help_staff.grant": {"member_a"},
    "help_staff.restore": {"member_a"},
    "help_staff.request_detail": {"member_a"},
    "help_staff.read": {"member_a"},
    "help_staff.reply": {"member_a"},
    "help_staff.status": {"member_a"},
    "help_staff.forward": {"member_a"},
    "help_staff.delete": {"member_a"},
    "help_staff.routing_rule": {"member_a"},
    # The steward sees routing in counts only, designates the coordinator and sets retention.
    "help_staff.overview": {"steward"},
    "help_staff.coordinator": {"steward"},
    "help_staff.retention": {"steward"},
    # Listings: members edit their own organization's; reviewers and stewards review; police never.
    "listings.index": {"member_a", "member_b", "reviewer", "steward"},
    "listings.organization": {"member_a", "reviewer", "steward"},
    "listings.trust": {"steward"},
    "listings.edit_service": {"member_a"},
    "listings.new_service": {"member_a"},
    "listings.edit_text": {"member_a"},
    "listings.edit_location": {"member_a"},
    "listings.new_location": {"member_a"},
    "listings.verify": {"member_a", "reviewer", "steward"},
    "listings.queue": {"reviewer", "steward"},
    "listings.change": {"member_a", "reviewer", "steward"},
    "listings.approve": {"reviewer", "steward"},
    "listings.reject": {"reviewer", "steward"},
    # Campaigns: outreach publishers and the steward; organization members and reviewers never.
    **{f"campaigns_staff.{name}": {"publisher", "steward"} for name in (
        "list_campaigns", "new", "edit", "delete", "image", "image_preview", "remove_image", "translate",
        "new_event", "edit_event", "translate_event", "delete_event")},
}
STEWARD_HELP_ENDPOINTS = {"help_staff.overview", "help_staff.coordinator", "help_staff.retention"}
HELP_ENDPOINTS = {endpoint for endpoint in ALLOWED if endpoint.startswith("help_staff.")} - STEWARD_HELP_ENDPOINTS
# Allowed by role but not for this organization: an existing, real id still gives 404.
NOT_FOUND = {("accounts.organization", "member_b"), ("accounts.invite_member", "member_b")} | {
    (endpoint, "member_b") for endpoint in HELP_ENDPOINTS if endpoint != "help_staff.inbox"}
LISTING_NOT_FOUND = {"listings.organization", "listings.edit_service", "listings.new_service", "listings.edit_text",
                     "listings.edit_location", "listings.new_location", "listings.verify", "listings.change"}
NOT_FOUND |= {(endpoint, "member_b") for endpoint in LISTING_NOT_FOUND}


@pytest.fixture
def world(staff_app, clock):
    with staff_app.app_context():
        org_a = factories.organization("Organization A")
        org_b = factories.organization("Organization B")
        service_a = factories.service(org_a, name="Service of A")
        ids = {"organization_id": org_a.id, "service_a": service_a.id, "org_b": org_b.id}
        people = {
            "member_a": make_staff("a@example.org", [{"role": "org_member", "organization_id": org_a.id}]),
            "member_b": make_staff("b@example.org", [{"role": "org_member", "organization_id": org_b.id}]),
            "publisher": make_staff("police@example.org", [{"role": "outreach_publisher"}]),
            "reviewer": make_staff("reviewer@example.org", [{"role": "reviewer"}]),
            "steward": make_staff("steward@example.org", [{"role": "steward"}]),
        }
        # The account the People routes act on (disabled, enabled, a role taken away) in the matrix.
        ids["user_id"] = make_staff("bystander@example.org", [{"role": "reviewer"}]).id
        ids["request_id"] = _help_request_for(org_a.id, people["member_a"])
        ids.update(_listing_ids(service_a))
        ids.update(_campaign_ids(people["publisher"]))
    clients = {"anonymous": staff_app.test_client()}
    for name, staff in people.items():
        clients[name] = staff_app.test_client()
        sign_in(clients[name], staff, clock)
    return ids, people, clients


def _listing_ids(service) -> dict:
    """Organization A's real listing ids for the listings routes: its service, place and a problem report."""
    from outreach.listings import services as listings

    report = listings.report_problem(service.id, "hours", "")
    return {"service_id": service.id, "location_id": service.service_at_locations[0].location_id,
            "change_id": str(report.id), "locale": "es"}


def _campaign_ids(publisher) -> dict:
    """A live campaign with an image and an event (the routes' real ids)."""
    from datetime import date, time, timedelta

    from outreach.accounts import clock as staff_clock
    from outreach.campaigns import images, services as campaigns
    from tests.campaign_fixtures import png_bytes

    actor = db.session.get(User, publisher.id)
    start = staff_clock.now() - timedelta(days=1)
    campaign = campaigns.create_campaign(actor, campaigns.CampaignInput(
        title="Naloxone saves lives", summary="Free kits.", body="", starts_at=start, ends_at=start + timedelta(days=30),
        time_zone="America/Los_Angeles"))
    campaigns.set_image(actor, campaign, png_bytes(), "A naloxone kit")
    event = campaigns.add_event(actor, campaign, campaigns.EventInput(
        title="Training", starts_on=date(2026, 12, 12), start_time=time(18), end_time=time(19),
        time_zone="America/Los_Angeles", is_online=False, place="Library"))
    assert images.path_of(campaign.image_file) is not None
    return {"campaign_id": campaign.id, "event_id": event.id}


def _help_request_for(organization_id: str, member) -> str:
    """Organization A's keys, routing rule and one real help request (its id)."""
    from outreach.help import keys, services
    from outreach.help.models import RoutingRule

    user = db.session.get(User, member.id)
    keys.ensure_member_key(user, member.password)
    db.session.commit()
    keys.set_up_organization(user, organization_id, member.password)
    db.session.add(RoutingRule(organization_id=organization_id, is_coordinator=True, categories=[], areas=[],
                               languages=[], is_accepting=True, last_assignment=0))
    db.session.commit()
    request, _receipt = services.submit(services.Submission(categories=[], area="", language="en", message="Help"))
    return request.id


def staff_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(STAFF_PREFIX)]


def test_every_staff_endpoint_is_public_or_needs_a_role(staff_app):
    for rule in staff_rules(staff_app):
        view = staff_app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        assert (rule.endpoint in PUBLIC_ENDPOINTS) != bool(roles), rule.endpoint
        if rule.endpoint not in PUBLIC_ENDPOINTS:
            assert rule.endpoint in ALLOWED, f"{rule.endpoint}: add it to ALLOWED in this test"


def test_public_endpoints_are_only_the_sign_in_pages(staff_app):
    assert PUBLIC_ENDPOINTS == {"accounts.login", "accounts.login_code", "accounts.login_recovery",
                                "accounts.totp_setup", "accounts.accept_invitation"}


def test_route_by_role_matrix(staff_app, world, clock):
    ids, _people, clients = world
    checked = 0
    for rule in staff_rules(staff_app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        values = {arg: ids[arg] for arg in rule.arguments}
        with staff_app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        method = "GET" if "GET" in rule.methods else "POST"
        for persona in PERSONAS:
            if rule.endpoint == "accounts.logout" and persona != "anonymous":
                continue  # signing out is checked last, below, so it does not end the other checks
            response = clients[persona].open(path, method=method)
            if persona == "anonymous":
                expected = (302,)
                assert response.location.endswith("/staff/login"), (rule.endpoint, persona)
            elif (rule.endpoint, persona) in NOT_FOUND:
                expected = (404,)
            elif persona in ALLOWED[rule.endpoint]:
                expected = (200, 302)
            else:
                expected = (403,)
            assert response.status_code in expected, (rule.endpoint, persona, response.status_code)
            checked += 1
    for persona in SIGNED_IN:
        assert clients[persona].post("/staff/logout").status_code == 302
        assert clients[persona].get("/staff/").status_code == 302
    assert checked >= 6 * 6
    assert HELP_ENDPOINTS <= {rule.endpoint for rule in staff_rules(staff_app)}


def test_member_of_b_gets_404_for_a_with_the_database_unchanged(staff_app, world):
    ids, _people, clients = world

    def snapshot():
        with staff_app.app_context():
            tables = sorted(db.metadata.tables)
            with db.engine.connect() as connection:
                return {name: sorted(map(tuple, connection.execute(select(db.metadata.tables[name])).all()), key=repr)
                        for name in tables if name not in ("staff_session", "audit_entry")}

    before = snapshot()
    member_b = clients["member_b"]
    assert member_b.get(f"/staff/organizations/{ids['organization_id']}").status_code == 404
    assert member_b.post(f"/staff/organizations/{ids['organization_id']}").status_code == 405
    assert member_b.get("/staff/organizations/no-such-id").status_code == 404
    assert member_b.get(f"/staff/organizations/{ids['org_b']}").status_code == 200
    page = clients["member_a"].get(f"/staff/organizations/{ids['organization_id']}").get_data(as_text=True)
    assert "Service of A" in page and f"/services/{ids['service_a']}" in page
    assert snapshot() == before


def test_fields_a_role_may_not_set_are_ignored(staff_app, world):
    ids, people, clients = world
    response = clients["member_b"].post("/staff/account", data={
        "display_name": "Bea", "preferred_locale": "", "email": "steward@example.org", "is_active": "0",
        "role": "steward", "roles": ["steward"], "organization_id": ids["organization_id"], "session_epoch": "99"})
    assert response.status_code == 302
    with staff_app.app_context():
        user = db.session.get(User, people["member_b"].id)
        assert user.display_name == "Bea" and user.email == "b@example.org" and user.is_active
        assert user.role_names == {"org_member"} and user.organization_ids == {ids["org_b"]}
        assert user.session_epoch == 1


def test_only_stewards_can_invite_and_forged_roles_are_refused(staff_app, world):
    ids, _people, clients = world
    assert clients["reviewer"].post("/staff/invitations/new", data={
        "email": "x@example.org", "roles": ["steward"]}).status_code == 403
    response = clients["steward"].post("/staff/invitations/new", data={
        "email": "x@example.org", "roles": ["outreach_publisher", "org_member"], "organization_id": ids["organization_id"]})
    assert response.status_code == 200 and "Error:" in response.get_data(as_text=True)
    response = clients["steward"].post("/staff/invitations/new", data={"email": "x@example.org", "roles": ["superuser"]})
    assert response.status_code == 200 and "Error:" in response.get_data(as_text=True)
