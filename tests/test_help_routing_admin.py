"""Routing set by the organizations themselves, the coordinator and retention set by the steward."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEntry
from outreach.extensions import db
from outreach.help.models import HelpRequest, HelpSettings, RoutingRule
from tests.help_fixtures import help_app, submit, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import clock, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


def _rule(app, organization_id) -> dict:
    with app.app_context():
        rule = db.session.get(RoutingRule, organization_id)
        return {"is_accepting": rule.is_accepting, "categories": rule.categories, "areas": rule.areas,
                "languages": rule.languages, "is_coordinator": rule.is_coordinator}


def _signed_in(app, staff, clock):
    client = app.test_client()
    sign_in(client, staff, clock)
    return client


def test_a_member_sets_what_their_organization_receives(help_app, world, clock):
    member = _signed_in(help_app, world.member_b, clock)
    page = member.get(f"/staff/help/organizations/{world.org_b}/routing").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="treatment"', page)  # the current choices are shown
    assert not re.search(r'<input checked[^>]*value="harm-reduction"', page)
    response = member.post(f"/staff/help/organizations/{world.org_b}/routing", data={
        "is_accepting": "y", "categories": ["treatment", "harm-reduction"], "areas": "97201\nPortland, Multnomah County",
        "languages": ["es"], "is_coordinator": "y", "organization_id": world.org_a})
    assert response.status_code == 302
    assert _rule(help_app, world.org_b) == {
        "is_accepting": True, "categories": ["harm-reduction", "treatment"],
        "areas": ["97201", "multnomah county", "portland"], "languages": ["es"],
        "is_coordinator": False}  # the posted coordinator flag is ignored: only the steward sets it
    with help_app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "help.routing_changed"))
        assert entry.target_id == world.org_b and entry.changes["languages"] == {"before": [], "after": ["es"]}
    # A Spanish request for treatment in 97201 now goes to B, not to A (the coordinator).
    submit(help_app.test_client(), locale="es", categories=["treatment"], area="97201", message="Necesito ayuda")
    with help_app.app_context():
        assert db.session.scalar(select(HelpRequest.organization_id)) == world.org_b


@pytest.mark.parametrize("areas, message", [
    ("9720", "is not a ZIP code"),
    ("12 Elm Street", "is not a town or county name"),
    ("97205-12", "is not a ZIP code"),
    ("<script>alert(1)</script>", "is not a town or county name"),
    ("\n".join(str(97000 + n) for n in range(201)), "at most 200 areas"),
])
def test_bad_areas_are_refused_and_nothing_changes(help_app, world, clock, areas, message):
    member = _signed_in(help_app, world.member_b, clock)
    before = _rule(help_app, world.org_b)
    response = member.post(f"/staff/help/organizations/{world.org_b}/routing",
                           data={"is_accepting": "y", "areas": areas, "categories": ["treatment"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body and "There is a problem" in body
    assert "<script>alert(1)</script>" not in body
    assert _rule(help_app, world.org_b) == before


def test_unknown_categories_and_languages_are_refused(help_app, world, clock):
    member = _signed_in(help_app, world.member_b, clock)
    before = _rule(help_app, world.org_b)
    for data in ({"categories": ["not-a-category"]}, {"languages": ["xx"]}):
        assert member.post(f"/staff/help/organizations/{world.org_b}/routing", data=data).status_code == 200
    assert _rule(help_app, world.org_b) == before


def test_another_organizations_routing_is_404_and_unchanged(help_app, world, clock):
    member_b = _signed_in(help_app, world.member_b, clock)
    before = _rule(help_app, world.org_a)
    assert member_b.get(f"/staff/help/organizations/{world.org_a}/routing").status_code == 404
    assert member_b.post(f"/staff/help/organizations/{world.org_a}/routing",
                         data={"is_accepting": ""}).status_code == 404
    assert _rule(help_app, world.org_a) == before


def test_the_steward_sees_counts_only_and_designates_the_coordinator(help_app, world, clock):
    submit(help_app.test_client(), message="zqx my private words")
    steward = _signed_in(help_app, world.steward, clock)
    page = steward.get("/staff/help/routing").get_data(as_text=True)
    assert "2 are ready to receive" in page and "1 ready coordinator." in page
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.designation not in page and "zqx" not in page
    assert steward.post("/staff/help/routing/coordinator", data={"organization_id": world.org_b}).status_code == 302
    assert _rule(help_app, world.org_b)["is_coordinator"] and not _rule(help_app, world.org_a)["is_coordinator"]
    assert steward.post("/staff/help/routing/coordinator", data={"organization_id": "no-such-id"}).status_code == 200
    assert _rule(help_app, world.org_b)["is_coordinator"]


@pytest.mark.parametrize("value", ["29", "181", "ninety", "", "٩٠", "90.5"])
def test_retention_outside_30_to_180_is_refused(help_app, world, clock, value):
    steward = _signed_in(help_app, world.steward, clock)
    response = steward.post("/staff/help/routing/retention", data={"retention_days": value})
    assert response.status_code == 200
    assert "between 30 and 180" in response.get_data(as_text=True)
    with help_app.app_context():
        assert db.session.get(HelpSettings, 1) is None


def test_the_stewards_retention_sets_each_new_expiry(help_app, world, clock):
    steward = _signed_in(help_app, world.steward, clock)
    assert steward.post("/staff/help/routing/retention", data={"retention_days": " 45 "}).status_code == 302
    submit(help_app.test_client())
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.expires_on == clock.now().date() + timedelta(days=45)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "help.retention_changed"))
        assert entry.changes == {"retention_days": {"before": 90, "after": 45}}
    start = help_app.test_client().get("/en/help/").get_data(as_text=True)
    assert "45 days" in start


def test_members_and_police_cannot_change_retention_or_coordinator(help_app, world, clock):
    for staff in (world.member_a, world.publisher):
        client = _signed_in(help_app, staff, clock)
        assert client.post("/staff/help/routing/retention", data={"retention_days": "30"}).status_code == 403
        assert client.post("/staff/help/routing/coordinator", data={"organization_id": world.org_b}).status_code == 403
        assert client.get("/staff/help/routing").status_code == 403
    with help_app.app_context():
        assert db.session.get(HelpSettings, 1) is None
    assert _rule(help_app, world.org_a)["is_coordinator"]
