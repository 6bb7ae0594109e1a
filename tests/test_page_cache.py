"""The per-process copy of shared pages (outreach/site/page_cache.py): served while nothing on the page
has changed, never across a minute, a listing change, another process's change or a cookie."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.directory import services as directory_services
from outreach.directory.models import Service
from outreach.extensions import db
from tests import factories
from tests.campaign_fixtures import campaign_world, clock, make_campaign, staff_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


@pytest.fixture
def listing(app):
    with app.app_context():
        service = factories.service(name="Riverside naloxone kits")
        return app, service.id


@pytest.fixture
def renders(monkeypatch):
    """Counts the times the service page is really rendered."""
    calls = []
    original = directory_services.get_service

    def counted(service_id):
        calls.append(service_id)
        return original(service_id)

    monkeypatch.setattr(directory_services, "get_service", counted)
    return calls


def _rename(app, service_id: str, name: str) -> None:
    with app.app_context():
        db.session.get(Service, service_id).name = name
        db.session.commit()


def test_a_second_visit_gets_the_same_page_without_rendering_it(listing, renders):
    app, service_id = listing
    client = app.test_client()
    first = client.get(f"/en/services/{service_id}")
    second = client.get(f"/en/services/{service_id}")
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data() and "Riverside naloxone kits" in second.get_data(as_text=True)
    assert len(renders) == 1
    # The copy goes through the same response hooks: security headers, no cookie.
    for name in ("Content-Security-Policy", "Content-Type", "Content-Language", "Referrer-Policy"):
        assert second.headers.get(name) == first.headers.get(name), name
    assert "Set-Cookie" not in second.headers
    # Each locale is a page of its own.
    assert "lang=\"es\"" in client.get(f"/es/services/{service_id}").get_data(as_text=True)
    assert len(renders) == 2


def test_an_edit_shows_on_the_next_request(listing, renders):
    app, service_id = listing
    client = app.test_client()
    client.get(f"/en/services/{service_id}")
    _rename(app, service_id, "Eastside naloxone kits")
    page = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Eastside naloxone kits" in page and "Riverside naloxone kits" not in page
    assert len(renders) == 2


def test_an_edit_made_by_another_process_shows_too(listing, second_app):
    app, service_id = listing
    client = app.test_client()
    assert "Riverside" in client.get(f"/en/services/{service_id}").get_data(as_text=True)
    _rename(second_app, service_id, "Eastside naloxone kits")
    assert "Eastside naloxone kits" in client.get(f"/en/services/{service_id}").get_data(as_text=True)


def _at(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr(directory_services, "now", lambda: instant)


def test_an_open_now_badge_is_rendered_again_at_closing_time(app, renders, monkeypatch):
    with app.app_context():
        service_id = factories.service(schedules=[("MO,TU,WE,TH,FR,SA,SU", "09:00", "16:00")]).id
    client = app.test_client()
    closing = datetime(2026, 7, 15, 23, 0, tzinfo=UTC)  # 16:00 in Los Angeles
    _at(monkeypatch, closing - timedelta(minutes=3))
    assert "Open now" in client.get(f"/en/services/{service_id}").get_data(as_text=True)
    _at(monkeypatch, closing - timedelta(seconds=1))
    assert "Open now" in client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert len(renders) == 1
    _at(monkeypatch, closing)
    page = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Closed now" in page and "Open now" not in page
    assert len(renders) == 2
    # Closed: the copy is good until the next opening (09:00), the five-minute cap or midnight UTC.
    _at(monkeypatch, closing + timedelta(minutes=4))
    client.get(f"/en/services/{service_id}")
    assert len(renders) == 2


def test_no_copy_lives_longer_than_the_configured_time(make_app, renders, monkeypatch):
    app = make_app(PAGE_CACHE_SECONDS=120)
    with app.app_context():
        service_id = factories.service().id  # no opening hours: nothing on the page changes with time
    client = app.test_client()
    start = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
    for seconds, rendered in ((0, 1), (119, 1), (120, 2), (200, 2)):
        _at(monkeypatch, start + timedelta(seconds=seconds))
        client.get(f"/en/services/{service_id}")
        assert len(renders) == rendered, seconds


def test_not_verified_recently_appears_at_midnight(app, renders, monkeypatch):
    with app.app_context():  # 180 days (STALE_AFTER_DAYS) end at midnight UTC
        service_id = factories.service(assured_date=date(2026, 1, 16)).id
    client = app.test_client()
    midnight = datetime(2026, 7, 16, 0, 0, tzinfo=UTC)
    _at(monkeypatch, midnight - timedelta(seconds=30))
    assert "Not verified recently" not in client.get(f"/en/services/{service_id}").get_data(as_text=True)
    _at(monkeypatch, midnight)
    assert "Not verified recently" in client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert len(renders) == 2


def test_a_search_for_what_is_open_now_is_recounted_every_minute(app, monkeypatch):
    from outreach.search import services as search_services

    with app.app_context():
        factories.service(name="Yarrow clinic", schedules=[("MO,TU,WE,TH,FR,SA,SU", "09:00", "17:00")])
    searched = []
    original = search_services.search_directory
    monkeypatch.setattr("outreach.directory.routes.search_directory",
                        lambda form, locale: searched.append(form.open_now) or original(form, locale))
    client = app.test_client()
    start = datetime(2026, 7, 15, 20, 0, 10, tzinfo=UTC)  # 13:00 in Los Angeles
    for seconds in (0, 40, 50, 130):
        _at(monkeypatch, start + timedelta(seconds=seconds))
        client.get("/en/search?q=yarrow&open=1")
        client.get("/en/search?q=yarrow")
    # With the filter: rendered in minute 0, 1 (at 50 s) and 2; without it: kept for up to 60 seconds.
    assert searched.count(True) == 3 and searched.count(False) == 2


def test_requests_with_a_cookie_and_pages_other_than_200_are_not_kept(listing, renders):
    app, service_id = listing
    client = app.test_client()
    client.set_cookie("outreach-staff", "someone")
    client.get(f"/en/services/{service_id}")
    client.get(f"/en/services/{service_id}")
    assert len(renders) == 2
    anonymous = app.test_client()
    missing = "00000000-0000-4000-8000-000000000000"
    assert anonymous.get(f"/en/services/{missing}").status_code == 404
    assert anonymous.get(f"/en/services/{missing}").status_code == 404
    assert renders.count(missing) == 2


def test_the_cache_can_be_turned_off(make_app, renders):
    app = make_app(PAGE_CACHE_ENTRIES=0)
    with app.app_context():
        service_id = factories.service().id
    client = app.test_client()
    client.get(f"/en/services/{service_id}")
    client.get(f"/en/services/{service_id}")
    assert len(renders) == 2


def test_the_least_recently_used_page_goes_first(make_app, renders):
    app = make_app(PAGE_CACHE_ENTRIES=2)
    with app.app_context():
        a, b, c = (factories.service().id for _ in range(3))
    client = app.test_client()
    for service_id in (a, b, c, c, a):  # c pushes a out; c is still there; a is rendered again
        assert client.get(f"/en/services/{service_id}").status_code == 200
    assert renders == [a, b, c, a]
    assert len(app.extensions["outreach_pages"].entries) == 2


def test_a_new_campaign_shows_on_the_home_page_at_once(campaign_world):
    client = campaign_world.app.test_client()
    assert "Fentanyl is in the supply" not in client.get("/en/").get_data(as_text=True)
    make_campaign(campaign_world, title="Fentanyl is in the supply", featured=True)
    assert "Fentanyl is in the supply" in client.get("/en/").get_data(as_text=True)


def _searches(app) -> dict[str, int]:
    from outreach.search.models import SearchCount

    with app.app_context():
        return {row.category_code: row.searches for row in db.session.scalars(select(SearchCount))}


def test_a_repeated_search_is_served_from_the_copy_and_still_counted(app, monkeypatch):
    from outreach.search import services as search_services

    with app.app_context():
        harm = factories.term("harm-reduction", name="Harm reduction")
        factories.service(name="Yarrow naloxone kits", categories=[harm])
    searched = []
    original = search_services.search_directory
    monkeypatch.setattr("outreach.directory.routes.search_directory",
                        lambda form, locale: searched.append(form.text) or original(form, locale))
    client = app.test_client()
    first = client.get("/en/search?q=yarrow")
    second = client.get("/en/search?q=yarrow")
    assert second.get_data() == first.get_data() and "Yarrow naloxone kits" in second.get_data(as_text=True)
    assert searched == ["yarrow"]
    assert _searches(app) == {"harm-reduction": 2}  # anonymous demand counts every search, kept or not


def test_a_search_answered_while_the_index_is_rebuilt_is_not_kept(app, monkeypatch):
    from outreach.search import services as search_services

    with app.app_context():
        factories.service(name="Yarrow clinic")
    monkeypatch.setattr(search_services, "freshen", lambda: "rebuilding")
    client = app.test_client()
    client.get("/en/search?q=yarrow")
    assert not app.extensions["outreach_pages"].entries
    monkeypatch.undo()
    client.get("/en/search?q=yarrow")
    assert len(app.extensions["outreach_pages"].entries) == 1


def test_a_campaign_shows_when_it_starts_and_goes_when_it_ends(campaign_world):
    client = campaign_world.app.test_client()
    make_campaign(campaign_world, title="Overdose awareness week", featured=True,
                  starts_in=timedelta(hours=2), lasts=timedelta(days=7))
    assert "Overdose awareness week" not in client.get("/en/").get_data(as_text=True)
    campaign_world.clock.advance(hours=2)
    assert "Overdose awareness week" in client.get("/en/").get_data(as_text=True)
    campaign_world.clock.advance(days=7)
    assert "Overdose awareness week" not in client.get("/en/").get_data(as_text=True)
