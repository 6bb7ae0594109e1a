"""Residents' "report a problem with this listing": anonymous, CSRF-protected, honeypot, rate-limited."""
from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.listings.models import ListingChange
from tests.listings_fixtures import build_listing_world, listing_app, snapshot, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import CHEAP_HASHING, clock, csrf_token, staff_config  # noqa: F401

pytestmark = pytest.mark.db

CANARY_ADDRESS = "203.0.113.77"
CANARY_AGENT = "Mozilla/5.0 zqxreportagent"
CANARY_REFERRER = "https://zqxreferrer.example/page"


def report_path(world, locale="en") -> str:
    return f"/{locale}/services/{world.ids['service_a']}/report"


def reports(app) -> list[ListingChange]:
    with app.app_context():
        return list(db.session.scalars(select(ListingChange).where(ListingChange.kind == "problem")))


def test_the_service_page_links_to_the_form_which_works_in_every_locale(world):
    client = world.clients["anonymous"]
    for locale in ("en", "es", "ar"):
        page = client.get(f"/{locale}/services/{world.ids['service_a']}").get_data(as_text=True)
        assert report_path(world, locale) in page
        form = client.get(report_path(world, locale))
        body = form.get_data(as_text=True)
        assert form.status_code == 200 and 'name="problem"' in body and 'name="website"' in body
        assert "data-quick-exit" in body and 'href="tel:988"' in body
        for personal in ('name="email"', 'name="phone"', 'name="name"', 'type="email"'):
            assert personal not in body
    assert client.get(f"/en/services/{uuid.uuid4()}/report").status_code == 404


def test_a_report_reaches_the_queue_and_the_organization_and_stores_nothing_about_the_sender(world, caplog):
    caplog.set_level(logging.DEBUG)
    client = world.app.test_client()
    client.environ_base.update({"REMOTE_ADDR": CANARY_ADDRESS, "HTTP_USER_AGENT": CANARY_AGENT,
                                "HTTP_REFERER": CANARY_REFERRER})
    response = client.post(report_path(world), data={"problem": "phone", "details": "zqxdetails: it is 503 555 0111"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    [report] = reports(world.app)
    assert report.status == "pending" and report.organization_id == world.ids["org_a"]
    assert report.submitted_by_id is None
    assert report.proposed == {"problem": "phone", "details": "zqxdetails: it is 503 555 0111"}
    assert (report.created_at.hour, report.created_at.minute, report.created_at.second) == (0, 0, 0)  # the day only
    dump = repr(snapshot(world.app))
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    for secret in (CANARY_ADDRESS, "zqxreportagent", "zqxreferrer"):
        assert secret not in dump and secret not in logs
    assert "zqxdetails" not in logs
    queue = world.clients["reviewer"].get("/staff/listings/review").get_data(as_text=True)
    assert "The phone number is wrong" in queue
    page = world.clients["member_a"].get(f"/staff/listings/changes/{report.id}").get_data(as_text=True)
    assert "zqxdetails" in page and "A resident (anonymous)" in page
    assert "The phone number is wrong" in world.clients["member_a"].get("/staff/listings/").get_data(as_text=True)
    assert world.clients["member_b"].get(f"/staff/listings/changes/{report.id}").status_code == 404
    assert "The phone number is wrong" not in world.clients["member_b"].get("/staff/listings/").get_data(as_text=True)
    # The reviewer closes it; nothing in the listing changes.
    assert world.clients["reviewer"].post(f"/staff/listings/changes/{report.id}/approve").status_code == 302
    assert reports(world.app)[0].status == "resolved"


def test_invalid_report_keeps_what_was_typed(world):
    response = world.clients["anonymous"].post(report_path(world), data={"details": "zqxkept " + "x" * 1001})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error:" in body
    assert 'href="#problem"' in body and 'href="#details"' in body and "zqxkept" in body
    assert reports(world.app) == []


def test_the_honeypot_stores_nothing(world):
    response = world.clients["anonymous"].post(report_path(world), data={"problem": "hours", "website": "http://spam"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert reports(world.app) == []


def test_reports_are_rate_limited_per_client(make_app, clock):
    app = make_app(**staff_config(REPORT_PROBLEM_LIMIT="2 per hour"))
    world = build_listing_world(app, clock)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    for _ in range(2):
        assert client.post(report_path(world), data={"problem": "hours"}).status_code == 200
    refused = client.post(report_path(world), data={"problem": "hours", "details": "zqxthird"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Wait an hour" in body and "zqxthird" in body
    assert len(reports(app)) == 2
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.2"
    assert other.post(report_path(world), data={"problem": "hours"}).status_code == 200
    assert len(reports(app)) == 3


def test_the_report_form_needs_csrf_and_the_listing_page_sets_no_cookie(make_app, clock):
    app = make_app(**CHEAP_HASHING)  # CSRF on, as in production
    from tests import factories

    with app.app_context():
        service_id = factories.service(name="Needs CSRF").id
    client = app.test_client()
    assert client.get(f"/en/services/{service_id}").headers.getlist("Set-Cookie") == []
    form = client.get(f"/en/services/{service_id}/report")
    assert client.post(f"/en/services/{service_id}/report", data={"problem": "hours"}).status_code == 400
    assert reports(app) == []
    data = {"problem": "hours", "csrf_token": csrf_token(form.get_data(as_text=True))}
    assert "Thank you" in client.post(f"/en/services/{service_id}/report", data=data).get_data(as_text=True)
    assert len(reports(app)) == 1
