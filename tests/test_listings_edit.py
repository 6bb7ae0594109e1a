"""Organization members edit their listings; changes wait for a reviewer unless the organization is trusted."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEntry
from outreach.directory.models import Location, Service
from outreach.extensions import db
from outreach.listings.models import ListingChange
from outreach.search.models import SearchOutbox
from tests.listings_fixtures import listing_app, service_form, snapshot, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import clock  # noqa: F401

pytestmark = pytest.mark.db


def post_edit(world, who="member_a", **overrides):
    data = service_form(locations=[world.ids["location_a"]], **overrides)
    return world.clients[who].post(f"/staff/listings/services/{world.ids['service_a']}/edit", data=data)


def change_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/changes/(\d+)$", response.location).group(1))


def service(world) -> Service:
    return db.session.get(Service, world.ids["service_a"])


def test_the_edit_form_shows_the_listing(world):
    page = world.clients["member_a"].get(f"/staff/listings/services/{world.ids['service_a']}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="Naloxone kits of A"' in html and 'value="503-555-0142"' in html and 'value="09:00"' in html
    assert 'name="organization_id"' not in html and 'name="status"' not in html


def test_a_change_waits_for_review_and_the_listing_is_unchanged(world):
    number = change_id(post_edit(world, name="Free naloxone kits", **{"phones-0-number": "503-555-0199"}))
    with world.app.app_context():
        assert service(world).name == "Naloxone kits of A"
        change = db.session.get(ListingChange, number)
        assert change.status == "pending" and change.submitted_by_id == world.people["member_a"].id
        assert change.proposed["name"] == "Free naloxone kits"
        assert change.base["name"] == "Naloxone kits of A"
        assert set(change.proposed) == {"name", "phones"}
    page = world.clients["member_a"].get(f"/staff/listings/changes/{number}").get_data(as_text=True)
    assert "Waiting for review" in page and "Free naloxone kits" in page
    assert "Approve and publish" not in page  # members cannot approve their own changes
    assert world.clients["member_a"].post(f"/staff/listings/changes/{number}/approve").status_code == 403
    listing = world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}").get_data(as_text=True)
    assert "Free naloxone kits" not in listing


def test_the_reviewer_sees_a_diff_and_approving_applies_it_with_audit_and_outbox(world):
    number = change_id(post_edit(world, name="Free naloxone kits", attributes=["free", "walk-in"],
                                 languages="en, es", **{"hours-0-days": ["MO", "TU", "WE"], "hours-0-closes": "18:30",
                                                        "cost_options-0-option": "Kit", "cost_options-0-amount": "0",
                                                        "phones-1-number": "503 555 0100", "phones-1-type": "text"}))
    queue = world.clients["reviewer"].get("/staff/listings/review").get_data(as_text=True)
    assert f"/staff/listings/changes/{number}" in queue and "Organization A" in queue
    page = world.clients["reviewer"].get(f"/staff/listings/changes/{number}").get_data(as_text=True)
    assert "<del" in page and "Naloxone kits of A" in page and "Free naloxone kits" in page and "18:30" in page
    with world.app.app_context():
        outbox_before = db.session.scalar(select(db.func.max(SearchOutbox.id))) or 0
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    assert response.status_code == 302
    with world.app.app_context():
        item = service(world)
        assert item.name == "Free naloxone kits"
        assert sorted(a.taxonomy_term.code for a in item.attributes) == ["free", "harm-reduction", "walk-in"]
        assert [lang.code for lang in item.languages] == ["en", "es"]
        assert [(s.byday, s.closes_at.strftime("%H:%M")) for s in item.schedules] == [("MO,TU,WE", "18:30")]
        assert sorted((p.number, p.type) for p in item.phones) == [("503 555 0100", "text"), ("503-555-0142", "voice")]
        assert [c.option for c in item.cost_options] == ["Kit"]
        assert item.organization_id == world.ids["org_a"]
        assert db.session.get(ListingChange, number).status == "approved"
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "listing_change_approved")).one()
        assert entry.actor_id == world.people["reviewer"].id and entry.target_id == world.ids["service_a"]
        assert entry.changes["name"] == {"before": "Naloxone kits of A", "after": "Free naloxone kits"}
        rows = db.session.scalars(select(SearchOutbox.service_id).where(SearchOutbox.id > outbox_before)).all()
        assert world.ids["service_a"] in rows
    listing = world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}").get_data(as_text=True)
    assert "Free naloxone kits" in listing and "503 555 0100" in listing


def test_search_finds_an_approved_change(world):
    number = change_id(post_edit(world, name="Zebrafinch outreach van"))
    assert "Zebrafinch" not in world.clients["anonymous"].get("/en/search?q=zebrafinch").get_data(as_text=True)
    world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    results = world.clients["anonymous"].get("/en/search?q=zebrafinch").get_data(as_text=True)
    assert "Zebrafinch outreach van" in results


def test_invalid_input_is_refused_with_a_summary_and_nothing_typed_is_lost(world):
    before = snapshot(world.app)
    response = post_edit(world, name="", url="javascript:alert(1)", email="not-an-email", minimum_age="30",
                         maximum_age="12", languages="English!!",
                         description="Kept text ✓", **{"phones-1-number": "call me", "hours-1-days": ["SA"],
                                                       "hours-1-opens": "25:00", "hours-1-closes": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<title>Error:" in html and "There is a problem" in html
    for field_id in ("name", "url", "email", "maximum_age", "languages", "phones-1-number", "hours-1-opens",
                     "hours-1-closes"):
        assert f'href="#{field_id}"' in html, field_id
        assert f'id="{field_id}-error"' in html, field_id
    assert "Kept text ✓" in html and 'value="call me"' in html and 'value="javascript:alert(1)"' in html
    assert 'value="25:00"' in html and 'value="30"' in html
    assert snapshot(world.app) == before


def test_sending_the_form_unchanged_says_so(world):
    before = snapshot(world.app)
    response = post_edit(world)
    assert response.status_code == 400 and "You did not change anything." in response.get_data(as_text=True)
    assert snapshot(world.app) == before


def test_fields_a_member_may_not_set_are_ignored(world):
    number = change_id(post_edit(world, name="Renamed", organization_id=world.ids["org_b"], organization=world.ids["org_b"],
                                 status="defunct", verified="1", assured_date="2000-01-01", role="steward",
                                 attributes=["free"], assurer_email="x@example.org", content_slug="x"))
    with world.app.app_context():
        change = db.session.get(ListingChange, number)
        assert set(change.proposed) <= {"name", "attributes"}
    world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    with world.app.app_context():
        item = service(world)
        assert item.name == "Renamed" and item.status == "active" and item.organization_id == world.ids["org_a"]
        assert item.assured_date.isoformat() != "2000-01-01" and item.content_slug is None
    # An attribute members may not set is not among the choices: refused, nothing stored.
    before = snapshot(world.app)
    response = post_edit(world, name="Again", attributes=["confidential-address"])
    assert response.status_code == 400 and 'href="#attributes"' in response.get_data(as_text=True)
    assert snapshot(world.app) == before


def test_rejecting_needs_a_reason_the_member_then_sees(world):
    number = change_id(post_edit(world, name="Something odd"))
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{number}/reject", data={"reason": ""})
    assert response.status_code == 400 and 'href="#reason"' in response.get_data(as_text=True)
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{number}/reject",
                                              data={"reason": "Please keep the official name."})
    assert response.status_code == 302
    with world.app.app_context():
        assert service(world).name == "Naloxone kits of A"
        assert db.session.get(ListingChange, number).status == "rejected"
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "listing_change_rejected")).one()
    mine = world.clients["member_a"].get("/staff/listings/").get_data(as_text=True)
    assert "Not accepted" in mine and "Please keep the official name." in mine
    assert "Please keep the official name." not in world.clients["member_b"].get("/staff/listings/").get_data(as_text=True)
    again = world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    assert again.status_code == 302 and again.location.endswith(f"/staff/listings/changes/{number}")
    with world.app.app_context():
        assert service(world).name == "Naloxone kits of A"
        assert db.session.get(ListingChange, number).status == "rejected"


def test_the_reviewer_is_told_when_the_listing_changed_since_the_proposal(world):
    first = change_id(post_edit(world, name="First name"))
    second = change_id(post_edit(world, name="Second name"))
    assert world.clients["reviewer"].post(f"/staff/listings/changes/{first}/approve").status_code == 302
    page = world.clients["reviewer"].get(f"/staff/listings/changes/{second}").get_data(as_text=True)
    assert "Changed since:" in page and "First name" in page
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{second}/approve")
    assert response.status_code == 409 and "Tick the box" in response.get_data(as_text=True)
    with world.app.app_context():
        assert service(world).name == "First name"
        assert db.session.get(ListingChange, second).status == "pending"
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{second}/approve", data={"overwrite_newer": "y"})
    assert response.status_code == 302
    with world.app.app_context():
        assert service(world).name == "Second name"


def test_a_trusted_organization_changes_at_once_and_is_audited(world):
    assert world.clients["reviewer"].post(f"/staff/listings/organizations/{world.ids['org_a']}/trust",
                                          data={"trusted": "y"}).status_code == 403
    assert world.clients["steward"].post(f"/staff/listings/organizations/{world.ids['org_a']}/trust",
                                         data={"trusted": "y"}).status_code == 302
    number = change_id(post_edit(world, name="Trusted rename"))
    with world.app.app_context():
        assert service(world).name == "Trusted rename"
        assert db.session.get(ListingChange, number).status == "applied"
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "listing_changed")).one()
        assert entry.changes["name"] == {"before": "Naloxone kits of A", "after": "Trusted rename"}
        assert entry.actor_id == world.people["member_a"].id
    # Organization B is not trusted: its changes still wait.
    response = world.clients["member_b"].post(f"/staff/listings/services/{world.ids['service_b']}/edit",
                                              data=service_form(name="B renamed", locations=[world.ids["location_b"]],
                                                                **{"hours-0-days": [], "hours-0-opens": "",
                                                                   "hours-0-closes": ""}))
    assert response.status_code == 302
    with world.app.app_context():
        assert db.session.get(Service, world.ids["service_b"]).name == "Service of B"


def test_a_new_service_is_proposed_then_published(world):
    path = f"/staff/listings/organizations/{world.ids['org_a']}/services/new"
    assert world.clients["member_a"].get(path).status_code == 200
    before = snapshot(world.app)
    refused = world.clients["member_a"].post(path, data=service_form(
        name="Fentanyl test strips", locations=[world.ids["location_a"], world.ids["location_b"]]))
    assert refused.status_code == 400 and 'href="#locations"' in refused.get_data(as_text=True)  # B's place
    assert snapshot(world.app) == before
    response = world.clients["member_a"].post(path, data=service_form(
        name="Fentanyl test strips", description="Free strips.", locations=[world.ids["location_a"]],
        organization_id=world.ids["org_b"], status="defunct"))
    number = change_id(response)
    with world.app.app_context():
        assert db.session.scalar(select(Service).where(Service.name == "Fentanyl test strips")) is None
    assert world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve").status_code == 302
    with world.app.app_context():
        created = db.session.scalar(select(Service).where(Service.name == "Fentanyl test strips"))
        assert created.organization_id == world.ids["org_a"] and created.status == "active"
        assert [sal.location_id for sal in created.service_at_locations] == [world.ids["location_a"]]
        assert created.assured_date is not None
        new_id = created.id
    assert "Fentanyl test strips" in world.clients["anonymous"].get(f"/en/services/{new_id}").get_data(as_text=True)
    assert "Fentanyl test strips" in world.clients["anonymous"].get("/en/search?q=fentanyl+strips").get_data(as_text=True)


def test_text_in_another_language_is_proposed_and_published(world):
    response = world.clients["member_a"].post(f"/staff/listings/services/{world.ids['service_a']}/text/es",
                                              data={"name": "Kits de naloxona", "description": "Un servicio."})
    number = change_id(response)
    world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    page = world.clients["anonymous"].get(f"/es/services/{world.ids['service_a']}").get_data(as_text=True)
    assert "Kits de naloxona" in page
    assert world.clients["member_a"].get(f"/staff/listings/services/{world.ids['service_a']}/text/en").status_code == 404
    assert world.clients["member_a"].get(f"/staff/listings/services/{world.ids['service_a']}/text/xx").status_code == 404


def test_a_place_is_edited_through_review(world):
    response = world.clients["member_a"].post(f"/staff/listings/locations/{world.ids['location_a']}/edit", data={
        "name": "Drop-in centre", "address_1": "200 New St", "city": "Portland", "state_province": "OR",
        "postal_code": "97205", "transportation": "Bus 6", "organization_id": world.ids["org_b"]})
    number = change_id(response)
    bad = world.clients["member_a"].post(f"/staff/listings/locations/{world.ids['location_a']}/edit", data={
        "name": "X", "address_1": "", "city": "Portland", "state_province": "OR", "postal_code": "ABC"})
    assert bad.status_code == 400 and 'href="#postal_code"' in bad.get_data(as_text=True)
    world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    with world.app.app_context():
        location = db.session.get(Location, world.ids["location_a"])
        assert location.name == "Drop-in centre" and location.physical_address.address_1 == "200 New St"
        assert location.organization_id == world.ids["org_a"]
    assert "200 New St" in world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}").get_data(as_text=True)


OTHER_ORGANIZATION_REQUESTS = [
    ("get", "/staff/listings/services/{service_a}/edit", None),
    ("post", "/staff/listings/services/{service_a}/edit", "form"),
    ("get", "/staff/listings/services/{service_a}/text/es", None),
    ("post", "/staff/listings/services/{service_a}/text/es", {"name": "X"}),
    ("get", "/staff/listings/locations/{location_a}/edit", None),
    ("post", "/staff/listings/locations/{location_a}/edit", {"address_1": "1 X St", "city": "X", "state_province": "OR",
                                                              "postal_code": "97205"}),
    ("get", "/staff/listings/organizations/{org_a}", None),
    ("get", "/staff/listings/organizations/{org_a}/services/new", None),
    ("post", "/staff/listings/organizations/{org_a}/services/new", "form"),
    ("post", "/staff/listings/services/{service_a}/verify", {}),
    ("get", "/staff/listings/changes/{change}", None),
]


def test_another_organizations_real_ids_are_404_and_change_nothing(world):
    number = change_id(post_edit(world, name="Pending rename"))
    ids = {**world.ids, "change": number}
    before = snapshot(world.app)
    for method, template, data in OTHER_ORGANIZATION_REQUESTS:
        path = template.format(**ids)
        if data == "form":
            data = service_form(name="Hijacked", locations=[world.ids["location_b"]])
        response = getattr(world.clients["member_b"], method)(path, data=data)
        assert response.status_code == 404, (method, path, response.status_code)
    assert snapshot(world.app) == before
    # The same requests work for organization A's own member (so the 404s above are not accidents).
    assert world.clients["member_a"].get(f"/staff/listings/organizations/{world.ids['org_a']}").status_code == 200
    assert world.clients["member_a"].get(f"/staff/listings/changes/{number}").status_code == 200
