"""Languages: the locale in the URL, negotiation for bare "/", <html lang dir>, hreflang alternates and
the language switcher."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from outreach.directory.models import Organization, Service
from outreach.extensions import db
from tests import factories
from tests.crawling import LOCALES, parse

NATIVE_NAMES = {"en": "English", "es": "Español", "ar": "العربية"}


@pytest.mark.parametrize(
    ("accept_language", "target"),
    [
        ("es-MX", "/es/"),
        ("es-MX,es;q=0.9,en;q=0.5", "/es/"),
        ("ar-EG", "/ar/"),
        ("ar", "/ar/"),
        ("en-GB,en;q=0.8", "/en/"),
        ("fr-FR", "/en/"),  # not offered: the first locale
        ("de;q=1.0, es;q=0.5", "/es/"),  # the best one we have
        ("fr;q=1.0, ar;q=0.3, es;q=0.2", "/ar/"),
        ("*", "/en/"),
        ("x-nonsense;;q=", "/en/"),
        (None, "/en/"),
    ],
)
def test_bare_root_redirects_by_accept_language(client, accept_language, target):
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == target
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("path", ["/xx/", "/fr/", "/zz/privacy", "/EN/", "/en_US/", "/e/"])
def test_unknown_prefix_is_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.db
@pytest.mark.parametrize(("locale", "direction"), [("en", "ltr"), ("es", "ltr"), ("ar", "rtl")])
@pytest.mark.parametrize("page", ["", "privacy", "browsing-safely", "about", "for-organizations", "search?q=help"])
def test_html_lang_and_dir(client, locale, direction, page):
    body = client.get(f"/{locale}/{page}").get_data(as_text=True)
    html = next(e for e in parse(body) if e.tag == "html")
    assert html.attrs["lang"] == locale
    assert html.attrs["dir"] == direction


def same_url(one: str, other: str) -> bool:
    a, b = urlsplit(one), urlsplit(other)
    return (a.scheme, a.netloc, a.path, parse_qs(a.query)) == (b.scheme, b.netloc, b.path, parse_qs(b.query))


def alternates(elements) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in elements:
        if element.tag == "link" and element.attrs.get("rel") == "alternate" and "hreflang" in element.attrs:
            assert element.attrs["hreflang"] not in found, "one alternate per language"
            found[element.attrs["hreflang"]] = element.attrs["href"]
    return found


def switcher(elements) -> list:
    """The language switcher's links: the only <a> elements naming a hreflang."""
    return [element for element in elements if element.tag == "a" and "hreflang" in element.attrs]


def test_hreflang_alternates_on_every_page(demo_crawl):
    """Every page of the demo site names itself in every language, plus x-default."""
    _app, pages = demo_crawl
    html = [page for page in pages.values() if page.headers.get("Content-Type", "").startswith("text/html")]
    assert len(html) > 100
    for page in html:
        found = alternates(page.elements)
        assert set(found) == {*LOCALES, "x-default"}, page.path
        rest = page.path.split("/", 2)[2]
        for locale in LOCALES:
            assert same_url(found[locale], f"/{locale}/{rest}"), page.path
        assert found["x-default"] == found["en"]


def test_language_switcher_on_every_page(demo_crawl):
    _app, pages = demo_crawl
    html = [page for page in pages.values() if page.headers.get("Content-Type", "").startswith("text/html")]
    for page in html:
        links = switcher(page.elements)
        assert [link.text.strip() for link in links] == [NATIVE_NAMES[code] for code in LOCALES], page.path
        current = page.path.split("/")[1]
        rest = page.path.split("/", 2)[2]
        for code, link in zip(LOCALES, links):
            assert same_url(link.attrs["href"], f"/{code}/{rest}"), page.path
            assert link.attrs["lang"] == code
            assert link.attrs["hreflang"] == code
            assert ("aria-current" in link.attrs) == (code == current)


@pytest.mark.db
def test_switcher_links_to_the_same_listing(app, client):
    with app.app_context():
        service = factories.service(name="Naloxone kits", es_name="Kits de naloxona")
        service_id, organization_id = service.id, service.organization.id
    for path in (f"/es/services/{service_id}", f"/ar/organizations/{organization_id}", "/en/search?q=naloxone+kits"):
        elements = parse(client.get(path).get_data(as_text=True))
        links = {link.attrs["hreflang"]: link.attrs["href"] for link in switcher(elements)}
        rest = path.split("/", 2)[2]
        assert set(links) == set(LOCALES)
        for code in LOCALES:
            assert same_url(links[code], f"/{code}/{rest}")
        assert same_url(alternates(elements)["es"], f"/es/{rest}")


@pytest.mark.db
def test_switcher_on_error_page_leads_home(client):
    elements = parse(client.get("/es/no-such-page").get_data(as_text=True))
    links = {link.attrs["hreflang"]: link.attrs["href"] for link in switcher(elements)}
    assert links == {code: f"/{code}/" for code in LOCALES}


@pytest.mark.db
def test_listing_text_follows_the_locale(app, client):
    with app.app_context():
        service_id = factories.service(name="Naloxone kits", es_name="Kits de naloxona").id
    assert "Kits de naloxona" in client.get(f"/es/services/{service_id}").get_data(as_text=True)
    english = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Naloxone kits" in english and "Kits de naloxona" not in english
    # No Arabic text: the English is shown, marked as English so screen readers say it right.
    arabic = client.get(f"/ar/services/{service_id}").get_data(as_text=True)
    assert '<h1 lang="en" dir="auto">Naloxone kits</h1>' in arabic or '<span lang="en" dir="auto">Naloxone kits</span>' in arabic


def test_every_demo_listing_page_exists_in_every_locale(demo_site_app):
    client = demo_site_app.test_client()
    with demo_site_app.app_context():
        service = db.session.scalars(select(Service).where(Service.status == "active")).first()
        organization = db.session.scalars(select(Organization)).first()
        paths = [f"services/{service.id}", f"organizations/{organization.id}", "categories/harm-reduction"]
    for path in paths:
        for locale in LOCALES:
            assert client.get(f"/{locale}/{path}").status_code == 200
