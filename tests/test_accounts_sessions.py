"""Server-side staff sessions, against the database store and (when configured) Redis."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.accounts import services
from outreach.accounts.models import User
from outreach.extensions import db
from tests.staff_fixtures import (  # noqa: F401  (fixtures)
    COOKIE,
    PASSWORD,
    clock,
    csrf_token,
    make_staff,
    password_step,
    session_app,
    session_cookie,
    sign_in,
    staff_config,
)

pytestmark = pytest.mark.db


@pytest.fixture
def reviewer(session_app):
    with session_app.app_context():
        return make_staff("reviewer@example.org", [{"role": "reviewer"}])


def test_session_id_rotates_at_each_sign_in_step(session_app, reviewer, clock):
    client = session_app.test_client()
    client.get("/staff/login")
    with client.session_transaction() as session:
        session["marker"] = "before sign-in"
    before = session_cookie(client)
    assert before
    password_step(client, reviewer)
    middle = session_cookie(client)
    client.post("/staff/login/code", data={"code": clock.code(reviewer.secret)})
    after = session_cookie(client)
    assert len({before, middle, after}) == 3
    assert client.get("/staff/").status_code == 200
    # The earlier ids are gone from the store: presenting one is being signed out.
    stale = session_app.test_client()
    stale.set_cookie(COOKIE, middle)
    assert stale.get("/staff/").status_code == 302


def test_cookie_flags(session_app, reviewer, clock):
    client = session_app.test_client()
    response = client.post("/staff/login", data={"email": reviewer.email, "password": PASSWORD})
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{COOKIE}=") and "HttpOnly" in header and "SameSite=Strict" in header
    assert "Path=/" in header and "Domain" not in header and "Expires" not in header


def test_secure_cookie_uses_the_host_prefix(make_app, clock):
    app = make_app(**staff_config(SECURE_COOKIES=True))
    with app.app_context():
        staff = make_staff("secure@example.org", [{"role": "reviewer"}])
    client = app.test_client()
    response = client.post("/staff/login", data={"email": staff.email, "password": PASSWORD},
                           base_url="https://localhost")
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-outreach-staff=") and "Secure" in header and "Domain" not in header


def test_idle_timeout_after_30_minutes(session_app, reviewer, clock):
    client = session_app.test_client()
    sign_in(client, reviewer, clock)
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200  # activity restarts the idle clock
    clock.advance(minutes=29)
    assert client.get("/staff/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/staff/")
    assert response.status_code == 302 and response.location.endswith("/staff/login")


def test_absolute_timeout_after_12_hours(session_app, reviewer, clock):
    client = session_app.test_client()
    sign_in(client, reviewer, clock)
    minutes = 0
    while minutes < 14 * 60:  # busy all day, never idle
        clock.advance(minutes=29)
        minutes += 29
        if client.get("/staff/").status_code != 200:
            break
    assert 12 * 60 <= minutes < 12 * 60 + 29
    assert client.get("/staff/").status_code == 302


def test_password_change_ends_every_other_session(session_app, reviewer, clock):
    here, elsewhere = session_app.test_client(), session_app.test_client()
    sign_in(here, reviewer, clock)
    sign_in(elsewhere, reviewer, clock)
    before = session_cookie(here)
    response = here.post("/staff/account/password", data={
        "current_password": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert session_cookie(here) != before  # rotated
    assert here.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302
    with session_app.app_context():
        assert "password_changed" in [e.action for e in db.session.scalars(
            select(__import__("outreach.audit.models", fromlist=["AuditEntry"]).AuditEntry))]


def test_disabling_an_account_ends_its_sessions(session_app, reviewer, clock):
    client = session_app.test_client()
    sign_in(client, reviewer, clock)
    with session_app.app_context():
        services.set_active(db.session.get(User, reviewer.id), False)
    assert client.get("/staff/").status_code == 302
    assert password_step(session_app.test_client(), reviewer).status_code == 200  # generic refusal


def test_logout_is_post_only_and_ends_the_session(session_app, reviewer, clock):
    client = session_app.test_client()
    sign_in(client, reviewer, clock)
    assert client.get("/staff/logout").status_code == 405
    assert client.get("/staff/").status_code == 200
    old = session_cookie(client)
    response = client.post("/staff/logout")
    assert response.status_code == 302 and "signed_out=1" in response.location
    assert client.get("/staff/").status_code == 302
    replay = session_app.test_client()
    replay.set_cookie(COOKIE, old)
    assert replay.get("/staff/").status_code == 302


def test_logout_and_login_need_the_csrf_token(make_app, clock):
    app = make_app(**staff_config(WTF_CSRF_ENABLED=True))
    with app.app_context():
        staff = make_staff("csrf@example.org", [{"role": "reviewer"}])
    client = app.test_client()
    assert client.post("/staff/login", data={"email": staff.email, "password": PASSWORD}).status_code == 400
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"email": staff.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    token = csrf_token(client.get("/staff/login/code").get_data(as_text=True))
    client.post("/staff/login/code", data={"code": clock.code(staff.secret), "csrf_token": token})
    assert client.get("/staff/").status_code == 200
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200
    token = csrf_token(client.get("/staff/").get_data(as_text=True))
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("path", ["/en/", "/es/search?q=naloxone", "/ar/privacy", "/", "/static/css/site.css"])
def test_resident_pages_set_no_cookie_even_for_signed_in_staff(session_app, reviewer, clock, path):
    anonymous = session_app.test_client()
    response = anonymous.get(path)
    response.close()
    assert response.headers.getlist("Set-Cookie") == []
    staff = session_app.test_client()
    sign_in(staff, reviewer, clock)
    clock.advance(minutes=5)
    response = staff.get(path)
    response.close()
    assert response.headers.getlist("Set-Cookie") == []


def test_staff_language_follows_the_browser_then_the_preference(session_app, reviewer, clock):
    client = session_app.test_client()
    page = client.get("/staff/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'lang="es"' in page
    sign_in(client, reviewer, clock)
    response = client.post("/staff/account", data={"display_name": "Rev", "preferred_locale": "ar"})
    assert response.status_code == 302
    assert 'lang="ar" dir="rtl"' in client.get("/staff/", headers={"Accept-Language": "en"}).get_data(as_text=True)
