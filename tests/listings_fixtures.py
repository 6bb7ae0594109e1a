"""Fixtures for the listing tests: two organizations with a service and a place each, and signed-in
clients for a member of each, a reviewer, a steward and a police outreach publisher."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from outreach.extensions import db
from tests import factories
from tests.staff_fixtures import make_staff, sign_in, staff_config


@dataclass
class ListingWorld:
    app: object
    ids: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)


def build_listing_world(app, clock) -> ListingWorld:
    world = ListingWorld(app)
    with app.app_context():
        category = factories.term("harm-reduction", name="Harm reduction")
        factories.term("treatment", name="Treatment")
        factories.term("free", name="Free", taxonomy_name="attributes")
        factories.term("walk-in", name="Walk-in", taxonomy_name="attributes")
        org_a = factories.organization("Organization A")
        org_b = factories.organization("Organization B")
        service_a = factories.service(org_a, name="Naloxone kits of A", categories=[category],
                                      schedules=[("MO,TU", "09:00", "17:00")])
        service_b = factories.service(org_b, name="Service of B", categories=[category])
        world.ids = {
            "org_a": org_a.id, "org_b": org_b.id, "service_a": service_a.id, "service_b": service_b.id,
            "location_a": service_a.service_at_locations[0].location_id,
            "location_b": service_b.service_at_locations[0].location_id,
        }
        world.people = {
            "member_a": make_staff("a@example.org", [{"role": "org_member", "organization_id": org_a.id}]),
            "member_b": make_staff("b@example.org", [{"role": "org_member", "organization_id": org_b.id}]),
            "publisher": make_staff("police@example.org", [{"role": "outreach_publisher"}]),
            "reviewer": make_staff("reviewer@example.org", [{"role": "reviewer"}]),
            "steward": make_staff("steward@example.org", [{"role": "steward"}]),
        }
    world.clients = {"anonymous": app.test_client()}
    for name, staff in world.people.items():
        world.clients[name] = app.test_client()
        sign_in(world.clients[name], staff, clock)
    return world


@pytest.fixture
def listing_app(make_app, clock):
    return make_app(**staff_config())


@pytest.fixture
def world(listing_app, clock) -> ListingWorld:
    return build_listing_world(listing_app, clock)


def snapshot(app) -> dict:
    """Every row of every table but sessions and the audit log (which records refusals too)."""
    with app.app_context():
        with db.engine.connect() as connection:
            return {name: sorted(map(tuple, connection.execute(select(db.metadata.tables[name])).all()), key=repr)
                    for name in sorted(db.metadata.tables) if name not in ("staff_session", "audit_entry")}


def service_form(values: dict | None = None, **overrides) -> dict:
    """A complete, valid post of the service form (as a browser sends it), with overrides."""
    data = {
        "name": "Naloxone kits of A", "description": "A service.", "eligibility_description": "",
        "fees_description": "", "application_process": "", "url": "", "email": "", "minimum_age": "",
        "maximum_age": "", "languages": "en", "categories": ["harm-reduction"], "attributes": [],
        "locations": [],
        "phones-0-number": "503-555-0142", "phones-0-extension": "", "phones-0-type": "voice", "phones-0-description": "",
        "phones-1-number": "", "phones-1-extension": "", "phones-1-type": "voice", "phones-1-description": "",
        "hours-0-days": ["MO", "TU"], "hours-0-opens": "09:00", "hours-0-closes": "17:00",
        "hours-1-opens": "", "hours-1-closes": "",
        "schedule_notes": "",
        "cost_options-0-option": "", "cost_options-0-amount": "",
    }
    data.update(values or {})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
