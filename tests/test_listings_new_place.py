"""Organization members add a new place where one of their services is offered, through review (or at
once for a trusted organization), like a new service."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEntry
from outreach.directory.models import Location, Service
from outreach.extensions import db
from outreach.listings.models import ListingChange
from outreach.search.models import SearchOutbox
from tests.listings_fixtures import listing_app, snapshot, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import clock  # noqa: F401

pytestmark = pytest.mark.db

PLACE = {"name": "Eastside drop-in", "address_1": "415 Alder St", "address_2": "", "city": "Portland",
         "state_province": "OR", "postal_code": "97205", "transportation": "Bus 15"}


def path(world, service="service_a") -> str:
    return f"/staff/listings/services/{world.ids[service]}/locations/new"


def change_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/changes/(\d+)$", response.location).group(1))


def places(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Location.id)))


def test_a_new_place_waits_for_review_then_the_service_is_offered_there(world):
    organization_page = world.clients["member_a"].get(f"/staff/listings/organizations/{world.ids['org_a']}")
    assert path(world) in organization_page.get_data(as_text=True)
    form = world.clients["member_a"].get(path(world))
    assert form.status_code == 200 and "Naloxone kits of A" in form.get_data(as_text=True)
    count = places(world.app)
    number = change_id(world.clients["member_a"].post(path(world), data={
        **PLACE, "organization_id": world.ids["org_b"], "service_id": world.ids["service_b"]}))
    assert places(world.app) == count  # nothing published before review
    page = world.clients["reviewer"].get(f"/staff/listings/changes/{number}").get_data(as_text=True)
    assert "Proposed new place" in page and "415 Alder St" in page and "Naloxone kits of A" in page
    assert "New place: Eastside drop-in" in world.clients["reviewer"].get("/staff/listings/review").get_data(as_text=True)
    with world.app.app_context():
        outbox_before = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    assert world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve").status_code == 302
    with world.app.app_context():
        change = db.session.get(ListingChange, number)
        location = db.session.get(Location, change.target_id)
        assert change.status == "approved" and location.organization_id == world.ids["org_a"]
        assert location.name == "Eastside drop-in" and location.physical_address.address_1 == "415 Alder St"
        assert location.transportation == "Bus 15"
        service = db.session.get(Service, world.ids["service_a"])
        assert location.id in {sal.location_id for sal in service.service_at_locations}
        assert world.ids["location_a"] in {sal.location_id for sal in service.service_at_locations}  # kept
        other = db.session.get(Service, world.ids["service_b"])
        assert location.id not in {sal.location_id for sal in other.service_at_locations}
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "listing_change_approved")).one()
        assert entry.target_type == "location" and entry.target_id == location.id
        assert entry.changes["address_1"] == {"before": None, "after": "415 Alder St"}
        assert world.ids["service_a"] in db.session.scalars(
            select(SearchOutbox.service_id).where(SearchOutbox.id > outbox_before)).all()
    listing = world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}").get_data(as_text=True)
    assert "415 Alder St" in listing


def test_a_trusted_organization_adds_a_place_at_once(world):
    world.clients["steward"].post(f"/staff/listings/organizations/{world.ids['org_a']}/trust", data={"trusted": "y"})
    number = change_id(world.clients["member_a"].post(path(world), data=PLACE))
    with world.app.app_context():
        change = db.session.get(ListingChange, number)
        assert change.status == "applied" and db.session.get(Location, change.target_id).name == "Eastside drop-in"


def test_bad_input_is_refused_and_changes_nothing(world):
    before = snapshot(world.app)
    bad = world.clients["member_a"].post(path(world), data={**PLACE, "postal_code": "ABC", "city": ""})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'href="#postal_code"' in body and 'href="#city"' in body
    assert 'value="415 Alder St"' in body  # nothing typed is lost
    assert snapshot(world.app) == before


def test_a_rejected_place_is_never_created_and_the_member_sees_why(world):
    number = change_id(world.clients["member_a"].post(path(world), data=PLACE))
    world.clients["reviewer"].post(f"/staff/listings/changes/{number}/reject", data={"reason": "Closed last year."})
    with world.app.app_context():
        assert db.session.scalar(select(Location).where(Location.name == "Eastside drop-in")) is None
    page = world.clients["member_a"].get(f"/staff/listings/organizations/{world.ids['org_a']}").get_data(as_text=True)
    assert "Closed last year." in page


def test_the_service_deleted_before_review_refuses_approval(world):
    number = change_id(world.clients["member_a"].post(path(world), data=PLACE))
    with world.app.app_context():
        db.session.delete(db.session.get(Service, world.ids["service_a"]))
        db.session.commit()
    response = world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    assert response.status_code == 409 and "no longer exists" in response.get_data(as_text=True)
    with world.app.app_context():
        assert db.session.scalar(select(Location).where(Location.name == "Eastside drop-in")) is None


@pytest.mark.parametrize("who", ["member_b", "reviewer", "steward", "publisher"])
def test_only_members_of_the_services_organization_can_add_a_place(world, who):
    before = snapshot(world.app)
    response = world.clients[who].post(path(world), data=PLACE)
    assert response.status_code == (404 if who == "member_b" else 403)
    assert world.clients[who].get(path(world)).status_code == (404 if who == "member_b" else 403)
    assert snapshot(world.app) == before
