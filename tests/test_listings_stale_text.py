"""Translations of a listing that the source text has outgrown: editors see "needs updating" on the
service form and beside each such field, and can confirm a translation is still right (which clears
the mark) instead of being told they changed nothing."""
from __future__ import annotations

import re

import pytest

from outreach.directory.models import Service
from outreach.extensions import db
from outreach.listings.models import ListingChange
from outreach.listings.values import changed
from tests.listings_fixtures import listing_app, service_form, snapshot, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import clock  # noqa: F401

pytestmark = pytest.mark.db

SPANISH = {"name": "Kits de naloxona de A", "description": "Un servicio.", "fees_description": "Gratis."}
NOTICE = "The original changed after this was translated. Please update it."


def _change_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/changes/(\d+)$", response.location).group(1))


def _approve(world, response) -> int:
    number = _change_id(response)
    assert world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve").status_code in (302, 303)
    return number


def _text_url(world, locale="es") -> str:
    return f"/staff/listings/services/{world.ids['service_a']}/text/{locale}"


def _stale(world) -> dict[tuple[str, str], bool]:
    with world.app.app_context():
        service = db.session.get(Service, world.ids["service_a"])
        return {(t.field, t.locale): t.is_stale for t in service.translations}


@pytest.fixture
def stale_world(world):
    """Service A with a Spanish name, description and fees, then a new English description."""
    _approve(world, world.clients["member_a"].post(_text_url(world), data=SPANISH))
    _approve(world, world.clients["member_a"].post(
        f"/staff/listings/services/{world.ids['service_a']}/edit",
        data=service_form(locations=[world.ids["location_a"]], description="A service, now open on Saturdays.")))
    assert _stale(world) == {("name", "es"): False, ("description", "es"): True, ("fees_description", "es"): False}
    return world


def test_the_service_form_says_how_many_translations_need_updating(stale_world):
    page = stale_world.clients["member_a"].get(f"/staff/listings/services/{stale_world.ids['service_a']}/edit")
    html = page.get_data(as_text=True)
    assert re.search(r'>Español</a> \(<strong>1 needs updating</strong>\)', html), html
    assert "Tiếng Việt</a>," in html  # nothing stale there: no note


def test_the_text_form_marks_the_stale_field_and_offers_to_confirm_it(stale_world):
    html = stale_world.clients["member_a"].get(_text_url(stale_world)).get_data(as_text=True)
    assert html.count(NOTICE) == 1
    description = html[html.index('for="description"'):html.index('for="eligibility_description"')]
    assert NOTICE in description and 'id="still-right-description"' in description
    assert 'aria-describedby="description-hint description-stale"' in description
    assert 'id="still-right-name"' not in html and 'id="still-right-fees_description"' not in html


def test_sending_a_stale_translation_unchanged_is_still_refused_without_confirming(stale_world):
    before = snapshot(stale_world.app)
    response = stale_world.clients["member_a"].post(_text_url(stale_world), data=SPANISH)
    assert response.status_code == 400
    assert "You did not change anything." in response.get_data(as_text=True)
    assert snapshot(stale_world.app) == before


def test_confirming_a_stale_translation_clears_the_mark_after_review(stale_world):
    response = stale_world.clients["member_a"].post(_text_url(stale_world), data={**SPANISH, "still_right": "description"})
    number = _change_id(response)
    with stale_world.app.app_context():
        change = db.session.get(ListingChange, number)
        assert change.status == "pending"
        assert change.proposed == {"description:es": "Un servicio."} and change.base == change.proposed
    assert _stale(stale_world)[("description", "es")] is True  # not before a reviewer approves
    review = stale_world.clients["reviewer"].get(f"/staff/listings/changes/{number}").get_data(as_text=True)
    assert "Un servicio." in review
    stale_world.clients["reviewer"].post(f"/staff/listings/changes/{number}/approve")
    assert _stale(stale_world) == {("name", "es"): False, ("description", "es"): False,
                                   ("fees_description", "es"): False}
    form = stale_world.clients["member_a"].get(f"/staff/listings/services/{stale_world.ids['service_a']}/edit")
    assert "needs updating" not in form.get_data(as_text=True)
    assert NOTICE not in stale_world.clients["member_a"].get(_text_url(stale_world)).get_data(as_text=True)
    page = stale_world.clients["anonymous"].get(f"/es/services/{stale_world.ids['service_a']}").get_data(as_text=True)
    assert "Un servicio." in page


def test_a_new_text_wins_over_confirming_the_old_one(stale_world):
    data = {**SPANISH, "description": "Un servicio, ahora abierto los sábados.", "still_right": "description"}
    number = _approve(stale_world, stale_world.clients["member_a"].post(_text_url(stale_world), data=data))
    with stale_world.app.app_context():
        assert db.session.get(ListingChange, number).proposed == {"description:es": "Un servicio, ahora abierto los sábados."}
    assert _stale(stale_world)[("description", "es")] is False


def test_confirming_a_field_that_is_not_stale_is_refused_and_changes_nothing(stale_world):
    before = snapshot(stale_world.app)
    response = stale_world.clients["member_a"].post(_text_url(stale_world), data={**SPANISH, "still_right": "name"})
    assert response.status_code == 400
    assert snapshot(stale_world.app) == before


def test_another_organization_cannot_confirm(stale_world):
    before = snapshot(stale_world.app)
    response = stale_world.clients["member_b"].post(_text_url(stale_world), data={**SPANISH, "still_right": "description"})
    assert response.status_code == 404
    assert snapshot(stale_world.app) == before


def test_changed_turns_a_confirmation_into_the_text_as_it_stands():
    before = {"name:es": "Kits", "description:es": "Un servicio.", "stale:es": ["description", "name"]}
    base, proposed = changed(before, {"name:es": "Kits", "description:es": "Un servicio.", "stale:es": ["name"]})
    assert base == proposed == {"description:es": "Un servicio."}
    # A list that adds a field, or one that confirms nothing, proposes nothing; the list itself is never proposed.
    assert changed(before, {"name:es": "Kits", "stale:es": ["description", "name", "fees_description"]}) == ({}, {})
    assert changed(before, {"stale:es": ["description", "name"]}) == ({}, {})
