"""Friendly, translated error pages: right status, no stack trace, security headers present."""
from __future__ import annotations

import pytest
from flask import Blueprint, abort, request
from flask_babel import force_locale, gettext
from flask_wtf import FlaskForm
from wtforms import StringField

from outreach.extensions import csrf

pytestmark = pytest.mark.db

SECRET_DETAIL = "kaboom-detail-4f1c"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
LOCALES = ("en", "es", "ar")


class NoteForm(FlaskForm):
    note = StringField("Note")


def _test_routes() -> Blueprint:
    bp = Blueprint("error_test_routes", __name__, url_prefix="/<lang_code>/test-errors")

    @bp.get("/boom")
    def boom():
        raise RuntimeError(f"{SECRET_DETAIL} with a password=hunter2")

    @bp.get("/too-many")
    def too_many():
        abort(429)

    @bp.route("/form", methods=["GET", "POST"])
    def form():
        note_form = NoteForm()
        if note_form.validate_on_submit():
            return "accepted"
        return note_form.csrf_token.current_token or ""

    @bp.post("/upload")
    @csrf.exempt
    def upload():
        return f"{len(request.form)} fields"

    return bp


@pytest.fixture
def error_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["WTF_CSRF_ENABLED"] = True
    app.register_blueprint(_test_routes())
    return app


@pytest.fixture
def error_client(error_app):
    return error_app.test_client()


def translated(app, locale: str, message: str) -> str:
    with app.test_request_context(f"/{locale}/"), force_locale(locale):
        return gettext(message)


def assert_friendly(app, response, status: int, title: str, locale: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f'<html lang="{locale}"' in body
    expected_title = translated(app, locale, title)
    assert expected_title in body, f"{title!r} in {locale}"
    if locale != "en":
        # The catalogs are compiled: a Spanish or Arabic page must not fall back to English.
        assert expected_title != title, f"{title!r} is not translated into {locale}"
        assert translated(app, locale, "Go to the home page") in body
    # A way onward: the home page in the same language, and the search box.
    assert f'href="/{locale}/"' in body
    assert 'role="search"' in body
    assert 'content="noindex, nofollow"' in body
    # Never a stack trace or an exception's text.
    for leak in ("Traceback", 'File "', SECRET_DETAIL, "hunter2", "RuntimeError", "werkzeug", "site-packages"):
        assert leak not in body
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    return body


NOT_FOUND = "Page not found"

NOT_FOUND_PATHS = [
    "/{l}/no-such-page",
    "/{l}/services/" + UNKNOWN_ID,
    "/{l}/services/not-an-id",
    "/{l}/services/" + UNKNOWN_ID.upper(),
    "/{l}/organizations/" + UNKNOWN_ID,
    "/{l}/organizations/12345",
    "/{l}/organizations/" + UNKNOWN_ID + "-extra",
    "/{l}/categories/no-such-category",
    "/{l}/privacy/extra",
]


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
def test_not_found(error_app, error_client, path):
    for locale in LOCALES:
        response = error_client.get(path.format(l=locale))
        assert_friendly(error_app, response, 404, NOT_FOUND, locale)


@pytest.mark.parametrize("path", ["/xx/", "/xx/services/" + UNKNOWN_ID, "/EN/", "/de/privacy", "/en-US/"])
def test_unknown_locale_prefix_is_not_found(error_app, error_client, path):
    response = error_client.get(path)
    assert_friendly(error_app, response, 404, NOT_FOUND, "en")


def test_unknown_locale_prefix_page_follows_the_browser_language(error_app, error_client):
    response = error_client.get("/xx/", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert_friendly(error_app, response, 404, NOT_FOUND, "es")


@pytest.mark.parametrize("path", ["/{l}/", "/{l}/search", "/{l}/privacy", "/{l}/services/" + UNKNOWN_ID])
def test_method_not_allowed(error_app, error_client, path):
    for locale in LOCALES:
        response = error_client.post(path.format(l=locale), data={"q": "x"})
        assert_friendly(error_app, response, 405, "That action is not possible here", locale)
        assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("route", ["upload", "form"])
def test_request_too_large(error_app, error_client, route):
    limit = error_app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    for locale in LOCALES:
        response = error_client.post(
            f"/{locale}/test-errors/{route}", data=b"note=" + b"a" * limit,
            content_type="application/x-www-form-urlencoded",
        )
        assert_friendly(error_app, response, 413, "That was too much to send", locale)


def test_request_just_under_the_limit_is_accepted(error_app, error_client):
    limit = error_app.config["MAX_CONTENT_LENGTH"]
    response = error_client.post("/en/test-errors/upload", data=b"note=" + b"a" * (limit - 10),
                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1 fields"


def test_too_many_requests(error_app, error_client):
    for locale in LOCALES:
        response = error_client.get(f"/{locale}/test-errors/too-many")
        assert_friendly(error_app, response, 429, "Too many tries", locale)


def test_server_error_shows_no_stack_trace(error_app, error_client, caplog):
    for locale in LOCALES:
        response = error_client.get(f"/{locale}/test-errors/boom?q=private-words")
        assert_friendly(error_app, response, 500, "Sorry, something went wrong on our side", locale)
    # The error is logged for the operators (method and path only, never the query string).
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors
    assert all("private-words" not in r.getMessage() for r in errors)
    assert any("/test-errors/boom" in r.getMessage() for r in errors)


def test_csrf_failure(error_app, error_client):
    for locale in LOCALES:
        response = error_client.post(f"/{locale}/test-errors/form", data={"note": "hello"})
        assert_friendly(error_app, response, 400, "This form has expired", locale)


def test_csrf_failure_with_a_wrong_token(error_app, error_client):
    response = error_client.post("/es/test-errors/form", data={"note": "hello", "csrf_token": "forged"})
    assert_friendly(error_app, response, 400, "This form has expired", "es")


def test_form_with_a_valid_token_is_accepted(error_app, error_client):
    token = error_client.get("/en/test-errors/form").get_data(as_text=True)
    assert token
    response = error_client.post("/en/test-errors/form", data={"note": "hello", "csrf_token": token})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "accepted"


def test_error_titles_are_distinct(error_app, error_client):
    """Each error explains itself; a 404 page does not say the server broke."""
    body = error_client.get("/en/no-such-page").get_data(as_text=True)
    assert "went wrong on our side" not in body
    body = error_client.get("/en/test-errors/boom").get_data(as_text=True)
    assert NOT_FOUND not in body
