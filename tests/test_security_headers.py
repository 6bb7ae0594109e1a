"""Security headers on every response (pages, redirects, static files, errors) and no cookies."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.directory.models import Organization, Service
from outreach.extensions import db

REQUIRED_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
SAFE_SOURCES = {"'self'", "'none'"}
# data: is harmless for images and fonts; never for scripts, frames or anything else.
DATA_ALLOWED_IN = {"img-src", "font-src"}


def parse_csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(headers) -> None:
    assert len(headers.getlist("Content-Security-Policy")) == 1
    csp = parse_csp(headers["Content-Security-Policy"])
    for directive, sources in REQUIRED_CSP.items():
        assert csp.get(directive) == sources, f"{directive}: {csp.get(directive)}"
    for directive, sources in csp.items():
        for source in sources:
            if source == "data:" and directive in DATA_ALLOWED_IN:
                continue
            # Never another host, scheme wildcard, '*', nor unsafe-inline/unsafe-eval/nonces.
            assert source in SAFE_SOURCES, f"{directive} allows {source}"
    script_sources = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.fixture(scope="module")
def demo_ids(demo_site_app):
    with demo_site_app.app_context():
        service = db.session.scalars(select(Service).where(Service.status == "active").order_by(Service.name)).first()
        organization = db.session.scalars(select(Organization).order_by(Organization.name)).first()
        return {"service": service.id, "organization": organization.id}


@pytest.fixture
def site_client(demo_site_app):
    return demo_site_app.test_client()


def test_every_page_and_static_file_has_headers_and_no_cookie(demo_crawl):
    """Every response of the crawl: home, browse (every page), search, detail, organization, site
    pages and the static files they load, in every locale."""
    _app, pages = demo_crawl
    kinds = {path.split("?")[0].split("/")[2] if not path.startswith("/static/") else "static" for path in pages
             if path.count("/") > 1}
    assert {"categories", "services", "organizations", "search", "privacy", "static"} <= kinds
    # The help form and "check on my request" need a session for CSRF (issue 6): only those two pages.
    help_forms = {f"/{locale}/help/{page}" for locale in ("en", "es", "ar") for page in ("ask", "check")}
    for path, page in pages.items():
        assert_security_headers(page.headers)
        if path in help_forms:
            assert all("HttpOnly" in c and "SameSite=Strict" in c for c in page.headers.getlist("Set-Cookie")), path
        else:
            assert page.headers.getlist("Set-Cookie") == [], path
        if not path.startswith("/static/"):
            assert page.headers["Cache-Control"] == "no-store", path


PAGES = [
    "/{l}/",
    "/{l}/categories/harm-reduction",
    "/{l}/services/{service}",
    "/{l}/organizations/{organization}",
    "/{l}/search",
    "/{l}/search?q=naloxone",
    "/{l}/search?q=support+group&page=2",
    "/{l}/privacy",
]
STATIC = ["/static/css/site.css", "/static/css/print.css", "/static/js/quick-exit.js", "/static/favicon.svg"]


@pytest.mark.parametrize("template", PAGES)
def test_pages_have_headers_and_no_cookie(site_client, demo_ids, template):
    for locale in ("en", "es", "ar"):
        response = site_client.get(template.format(l=locale, **demo_ids))
        assert response.status_code == 200
        assert_security_headers(response.headers)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers.getlist("Set-Cookie") == []
    assert site_client.get_cookie("session") is None


@pytest.mark.parametrize("path", STATIC)
def test_static_files_have_headers_and_no_cookie(site_client, path):
    response = site_client.get(path)
    response.close()
    assert response.status_code == 200
    assert_security_headers(response.headers)
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("accept_language", [None, "es", "ar-EG", "fr"])
def test_redirects_have_headers_and_no_cookie(site_client, accept_language):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = site_client.get("/", headers=headers)
    assert response.status_code in (301, 302, 303, 307, 308)
    assert_security_headers(response.headers)
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/en/no-such-page", 404),
        ("GET", "/xx/", 404),
        ("GET", "/static/no-such-file.css", 404),
        ("GET", "/en/services/00000000-0000-4000-8000-000000000000", 404),
        ("POST", "/en/", 405),
        ("GET", "/en/categories/harm-reduction?page=9999", 404),
    ],
)
def test_error_responses_have_headers(site_client, method, path, status):
    response = site_client.open(path, method=method)
    response.close()
    assert response.status_code == status
    assert_security_headers(response.headers)
    assert response.headers.getlist("Set-Cookie") == []


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def test_no_page_needs_inline_script_or_style(demo_crawl):
    """The CSP blocks inline script and style: no page may rely on them."""
    _app, pages = demo_crawl
    for path, page in pages.items():
        if page.headers.get("Content-Type", "").split(";")[0] != "text/html":
            continue
        body = page.body
        for attributes, content in SCRIPT_TAG.findall(body):
            if 'type="application/ld+json"' in attributes:
                continue  # data, not script
            assert "src=" in attributes and not content.strip(), f"{path}: inline script {attributes}"
        assert not EVENT_HANDLER.search(body), path
        assert "<style" not in body.lower(), path
        assert not STYLE_ATTRIBUTE.search(body), path
        assert "javascript:" not in body.lower(), path


def test_parse_csp_rejects_what_we_forbid():
    """The checker itself fails on the policies it must refuse."""
    from werkzeug.wrappers import Response

    for bad in (
        ("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
        "script-src 'self' 'unsafe-inline'"),
        ("default-src 'self' https://cdn.example.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"),
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ):
        response = Response("", headers={"Content-Security-Policy": bad, "X-Content-Type-Options": "nosniff",
                                         "Referrer-Policy": "same-origin"})
        with pytest.raises(AssertionError):
            assert_security_headers(response.headers)
