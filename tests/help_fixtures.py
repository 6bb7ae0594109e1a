"""Two partner organizations with keys and routing rules, their members, and helpers for help tests."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from outreach.accounts.models import User
from outreach.extensions import db
from outreach.help import keys
from outreach.help.models import RoutingRule
from tests import factories
from tests.staff_fixtures import PASSWORD, Staff, make_staff

RECEIPT = re.compile(r"data-receipt>([0-9A-Z-]+)<")


@dataclass
class HelpWorld:
    org_a: str
    org_b: str
    member_a: Staff
    member_b: Staff
    steward: Staff
    publisher: Staff
    recovery_a: str


def _with_keys(staff: Staff, organization_id: str, *, coordinator: bool = False, **rule) -> str:
    user = db.session.get(User, staff.id)
    keys.ensure_member_key(user, PASSWORD)
    db.session.commit()
    recovery = keys.set_up_organization(user, organization_id, PASSWORD)
    db.session.add(RoutingRule(organization_id=organization_id, is_accepting=True, is_coordinator=coordinator,
                               categories=rule.get("categories", []), areas=rule.get("areas", ["statewide"]),
                               languages=rule.get("languages", []), last_assignment=0))
    db.session.commit()
    return recovery


def build_world(app) -> HelpWorld:
    """Organization A (coordinator, harm reduction, Portland) and B (treatment, statewide)."""
    with app.app_context():
        org_a = factories.organization("Organization A").id
        org_b = factories.organization("Organization B").id
        factories.term("harm-reduction")
        factories.term("treatment")
        # ZIP codes that exist (a resident's ZIP is kept in the clear only when the centroid table has it).
        from outreach.geo.models import PostalCentroid

        db.session.add_all([PostalCentroid(postal_code="97201", latitude=45.5075, longitude=-122.6903),
                            PostalCentroid(postal_code="97205", latitude=45.5206, longitude=-122.6889)])
        db.session.commit()
        member_a = make_staff("a@example.org", [{"role": "org_member", "organization_id": org_a}])
        member_b = make_staff("b@example.org", [{"role": "org_member", "organization_id": org_b}])
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        publisher = make_staff("police@example.org", [{"role": "outreach_publisher"}])
        recovery_a = _with_keys(member_a, org_a, coordinator=True, categories=["harm-reduction"],
                                areas=["portland", "97205"])
        _with_keys(member_b, org_b, categories=["treatment"], areas=["statewide"])
    return HelpWorld(org_a, org_b, member_a, member_b, steward, publisher, recovery_a)


@pytest.fixture
def help_app(make_app, clock):
    from tests.staff_fixtures import staff_config

    return make_app(**staff_config())


@pytest.fixture
def world(help_app) -> HelpWorld:
    return build_world(help_app)


def submit(client, *, locale="en", **fields) -> str:
    """Send a help request through the form; returns the receipt shown."""
    data = {"language": locale, "contact_method": "receipt", "categories": ["harm-reduction"], "area": "97205",
            "message": "I need naloxone for my brother."}
    data.update(fields)
    response = client.post(f"/{locale}/help/ask", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    match = RECEIPT.search(body)
    assert match, body[:3000]
    return match.group(1)
