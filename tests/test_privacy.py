"""Privacy: no request to another host from any page, careful outbound links, confidential addresses
never shown, and no search terms, addresses or user agents in the logs."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from outreach.directory.models import Location, Organization, Service, TaxonomyTerm
from outreach.extensions import db
from tests.crawling import CRAWLED_IN_FULL, LOCALES, is_external

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC = PROJECT_ROOT / "outreach" / "static"
TEMPLATES = PROJECT_ROOT / "outreach" / "templates"
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]+)", re.IGNORECASE)
# Tags whose src/href/data the browser fetches by itself.
FETCHING_ATTRIBUTES = {
    "img": ("src", "srcset"), "script": ("src",), "iframe": ("src",), "frame": ("src",), "embed": ("src",),
    "object": ("data",), "audio": ("src",), "video": ("src", "poster"), "source": ("src", "srcset"),
    "track": ("src",), "input": ("src",), "link": ("href",), "use": ("href", "xlink:href"), "image": ("href",),
}


@pytest.fixture
def site(demo_crawl):
    return demo_crawl


def html_pages(pages):
    return [page for page in pages.values() if page.headers.get("Content-Type", "").startswith("text/html")]


def test_every_crawled_page_works(site):
    _app, pages = site
    broken = {path: page.status for path, page in pages.items() if page.status != 200}
    assert broken == {}


def test_crawl_reaches_every_listing_category_and_page_of_results(site):
    app, pages = site
    with app.app_context():
        services = list(db.session.scalars(select(Service).where(Service.status.in_(("active", "temporarily closed")))))
        organizations = list(db.session.scalars(select(Organization)))
        categories = list(db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.parent_id.is_(None))))
        assert services and organizations
        for locale in CRAWLED_IN_FULL:  # the others' pages: tests/browser/test_accessibility.py, test_i18n_pseudo.py
            for service in services:
                assert f"/{locale}/services/{service.id}" in pages
            for organization in organizations:
                assert f"/{locale}/organizations/{organization.id}" in pages
            for term in categories:
                if term.taxonomy.name == "categories":
                    assert f"/{locale}/categories/{term.code}" in pages
            for site_page in ("privacy", "browsing-safely", "about", "for-organizations"):
                assert f"/{locale}/{site_page}" in pages
    # Every page of pagination is reached through the "next" links.
    paginated = [p for p in pages if "/categories/" in p and "page=" in p]
    page_size = app.config["PAGE_SIZE"]
    if any(len(service_ids_on(page)) == page_size for page in html_pages(pages) if "/categories/" in page.path):
        assert paginated


def service_ids_on(page) -> set[str]:
    return {e.attrs["href"].rsplit("/", 1)[1] for e in page.elements
            if e.tag == "a" and "/services/" in e.attrs.get("href", "")}


def test_no_page_loads_anything_from_another_host(site):
    _app, pages = site
    problems = []
    for page in html_pages(pages):
        for element in page.elements:
            for attribute in FETCHING_ATTRIBUTES.get(element.tag, ()):
                value = element.attrs.get(attribute, "")
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if "srcset" in attribute else [value]
                if any(url and is_external(url) for url in urls):
                    problems.append(f"{page.path}: <{element.tag} {attribute}={value!r}>")
            if element.tag == "form" and is_external(element.attrs.get("action", "")):
                problems.append(f"{page.path}: form posts to {element.attrs['action']}")
            if element.tag == "meta" and element.attrs.get("http-equiv", "").lower() == "refresh":
                problems.append(f"{page.path}: meta refresh")
            for url in CSS_URL.findall(element.attrs.get("style", "")):
                if is_external(url):
                    problems.append(f"{page.path}: style url({url})")
            if element.tag == "style":
                for url in CSS_URL.findall(element.text) + CSS_IMPORT.findall(element.text):
                    if is_external(url):
                        problems.append(f"{page.path}: <style> url({url})")
    assert problems == []


def test_stylesheets_load_nothing_from_another_host(site):
    _app, pages = site
    stylesheets = [page for path, page in pages.items() if path.endswith(".css")]
    assert stylesheets, "the crawl found no stylesheet"
    for page in stylesheets:
        for url in CSS_URL.findall(page.body) + CSS_IMPORT.findall(page.body):
            assert not is_external(url), f"{page.path}: {url}"


def test_outbound_links_carry_noopener_noreferrer(site):
    app, pages = site
    quick_exit = app.config["QUICK_EXIT_URL"]
    problems = []
    outbound = 0
    for page in html_pages(pages):
        for element in page.elements:
            href = element.attrs.get("href", "")
            if element.tag != "a" or not is_external(href):
                continue
            rel = set(element.attrs.get("rel", "").lower().split())
            if "data-quick-exit" in element.attrs:
                continue
            outbound += 1
            if not {"noopener", "noreferrer"} <= rel:
                problems.append(f"{page.path}: {href} rel={sorted(rel)}")
            if href.startswith("http://") and href != quick_exit:
                problems.append(f"{page.path}: {href} is not https")
    assert problems == []
    assert outbound > 0, "the demo organizations' websites are linked somewhere"


def test_quick_exit_on_every_page_first_in_tab_order(site):
    app, pages = site
    for page in html_pages(pages):
        links = [e for e in page.elements if e.tag == "a" and e.attrs.get("href")]
        first = links[0]
        assert "data-quick-exit" in first.attrs, page.path
        assert first.attrs["href"] == app.config["QUICK_EXIT_URL"]
        assert first.attrs.get("rel", "").split() == ["noreferrer", "nofollow"]
        assert "tabindex" not in first.attrs
        assert first.text.strip()


def test_crisis_block_on_every_page(site):
    _app, pages = site
    for page in html_pages(pages):
        hrefs = {e.attrs.get("href") for e in page.elements if e.tag == "a"}
        assert {"tel:988", "tel:911"} <= hrefs, page.path


def test_static_files_contain_no_external_urls():
    problems = []
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        # XML namespace names identify a vocabulary; browsers never fetch them.
        text = re.sub(r"""xmlns(:\w+)?=["']http://www\.w3\.org/[^"']*["']""", "", text)
        for url in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s'\")]*", text, re.IGNORECASE):
            problems.append(f"{path.relative_to(PROJECT_ROOT)}: {url}")
    assert problems == []


def test_templates_reference_no_external_resources():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(PROJECT_ROOT.glob("outreach/*/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*>", text, re.IGNORECASE):
            if re.search(r"(src|href|data)=\"(https?:)?//", tag):
                problems.append(f"{path.relative_to(PROJECT_ROOT)}: {tag}")
    assert problems == []


# -- confidential addresses ------------------------------------------------------------------------


def _confidential(app):
    with app.app_context():
        locations = list(db.session.scalars(select(Location).where(Location.is_address_confidential.is_(True))))
        return [
            {
                "secrets": [a.address_1 for a in loc.addresses] + [a.address_2 for a in loc.addresses if a.address_2],
                "services": [sal.service_id for sal in loc.service_at_locations],
            }
            for loc in locations
        ]


def test_confidential_addresses_never_appear(site):
    app, pages = site
    confidential = _confidential(app)
    assert confidential, "the demo content has confidential addresses"
    secrets = [secret for item in confidential for secret in item["secrets"]]
    assert secrets, "confidential locations keep their address in the database"
    leaks = [f"{page.path}: {secret}" for page in pages.values() for secret in secrets if secret in page.body]
    assert leaks == []


def test_confidential_services_say_to_call_for_the_location(site):
    app, pages = site
    for item in _confidential(app):
        for service_id in item["services"]:
            for locale in LOCALES:
                with app.test_request_context(f"/{locale}/"), force_locale(locale):
                    message = gettext("The address is kept private for the safety of the people who use this "
                                      "service. Call for the location.")
                page = pages.get(f"/{locale}/services/{service_id}")
                if page is None:
                    continue  # not visible (inactive)
                assert message in page.body, page.path


def test_json_ld_never_carries_a_confidential_address(site):
    import json

    app, pages = site
    for item in _confidential(app):
        for service_id in item["services"]:
            page = pages.get(f"/en/services/{service_id}")
            if page is None:
                continue
            scripts = [e.text for e in page.elements if e.tag == "script" and e.attrs.get("type") == "application/ld+json"]
            assert len(scripts) == 1
            data = json.dumps(json.loads(scripts[0]))
            for secret in item["secrets"]:
                assert secret not in data


# -- logs ---------------------------------------------------------------------------------------------

MARKED_QUERY = "zqxmarkerquery naloxone"
MARKED_ADDRESS = "203.0.113.77"
MARKED_AGENT = "MarkedAgent/7.7 (zqxmarkeragent)"


def test_search_terms_address_and_user_agent_never_logged(demo_site_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = demo_site_app.test_client()
    client.environ_base.update({"REMOTE_ADDR": MARKED_ADDRESS, "HTTP_USER_AGENT": MARKED_AGENT})
    responses = [
        client.get("/en/search", query_string={"q": MARKED_QUERY}),
        client.get("/es/search", query_string={"q": MARKED_QUERY, "page": "2"}),
        client.get("/en/no-such-page", query_string={"q": MARKED_QUERY}),
        client.get("/en/", headers={"Referer": f"http://localhost/en/search?q={MARKED_QUERY}"}),
        client.post("/en/search", data={"q": MARKED_QUERY}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 200, 405]
    assert MARKED_QUERY in responses[0].get_data(as_text=True)  # the page itself may echo it back
    everything = caplog.text + "\n".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__!r}" for record in caplog.records
    )
    for secret in ("zqxmarkerquery", MARKED_ADDRESS, "zqxmarkeragent", "MarkedAgent"):
        assert secret not in everything


def test_the_access_log_is_silenced(demo_site_app):
    """Werkzeug's access log line carries the client address and query string: never written."""
    assert not logging.getLogger("werkzeug").isEnabledFor(logging.INFO)


def test_client_address_is_not_stored_in_cookies_or_pages(demo_site_app):
    client = demo_site_app.test_client()
    client.environ_base.update({"REMOTE_ADDR": MARKED_ADDRESS, "HTTP_USER_AGENT": MARKED_AGENT})
    response = client.get("/en/search", query_string={"q": "naloxone"})
    body = response.get_data(as_text=True)
    assert MARKED_ADDRESS not in body and "zqxmarkeragent" not in body
    assert response.headers.getlist("Set-Cookie") == []
