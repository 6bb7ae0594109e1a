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

from outreach.i18n.locales import site_locale

NATIVE_NAMES = {code: site_locale(code).native_name for code in LOCALES}
TAGS = {code: code.replace("_", "-") for code in LOCALES}  # hreflang and lang use BCP 47: zh-Hant


def test_all_twelve_languages_are_served_with_their_own_names():
    assert set(LOCALES) == {"en", "es", "zh_Hans", "zh_Hant", "vi", "tl", "ko", "ru", "ht", "fr", "ar", "fa"}
    assert NATIVE_NAMES["es"] == "Español" and NATIVE_NAMES["ar"] == "العربية" and NATIVE_NAMES["tl"] == "Tagalog"
    assert NATIVE_NAMES["zh_Hant"] == "中文 (繁體)" and NATIVE_NAMES["fa"] == "فارسی"
    assert [code for code in LOCALES if site_locale(code).is_rtl] == ["ar", "fa"]


@pytest.mark.parametrize(
    ("accept_language", "target"),
    [
        ("es-MX", "/es/"),
        ("es-MX,es;q=0.9,en;q=0.5", "/es/"),
        ("ar-EG", "/ar/"),
        ("ar", "/ar/"),
        ("en-GB,en;q=0.8", "/en/"),
        ("fr-FR", "/fr/"),
        ("zh-TW", "/zh_Hant/"),
        ("zh-HK,zh;q=0.8", "/zh_Hant/"),
        ("zh-CN", "/zh_Hans/"),
        ("zh", "/zh_Hans/"),
        ("fil-PH", "/tl/"),
        ("fa-IR", "/fa/"),
        ("ht", "/ht/"),
        ("de-DE", "/en/"),  # not offered: the first locale
        ("de;q=1.0, es;q=0.5", "/es/"),  # the best one we have
        ("de;q=1.0, ar;q=0.3, es;q=0.2", "/ar/"),
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


@pytest.mark.parametrize("path", ["/xx/", "/de/", "/zz/privacy", "/EN/", "/en_US/", "/e/", "/zh/", "/zh-Hant/"])
def test_unknown_prefix_is_not_found(client, path):
    assert client.get(path).status_code == 404


# Every locale on SQLite; three of them (both directions, a script subtag) again on PostgreSQL.
@pytest.mark.parametrize(("locale", "direction"), [
    pytest.param(code, "rtl" if code in ("ar", "fa") else "ltr",
                 marks=[pytest.mark.db] if code in ("en", "ar", "zh_Hant") else [])
    for code in LOCALES])
@pytest.mark.parametrize("page", ["", "privacy", "browsing-safely", "about", "for-organizations", "search?q=help"])
def test_html_lang_and_dir(client, locale, direction, page):
    body = client.get(f"/{locale}/{page}").get_data(as_text=True)
    html = next(e for e in parse(body) if e.tag == "html")
    assert html.attrs["lang"] == TAGS[locale]
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
        assert set(found) == {*TAGS.values(), "x-default"}, page.path
        rest = page.path.split("/", 2)[2]
        for locale in LOCALES:
            assert same_url(found[TAGS[locale]], f"/{locale}/{rest}"), page.path
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
            assert link.attrs["lang"] == TAGS[code]
            assert link.attrs["hreflang"] == TAGS[code]
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
        assert set(links) == set(TAGS.values())
        for code in LOCALES:
            assert same_url(links[TAGS[code]], f"/{code}/{rest}")
        assert same_url(alternates(elements)["es"], f"/es/{rest}")


@pytest.mark.db
def test_switcher_on_error_page_leads_home(client):
    elements = parse(client.get("/es/no-such-page").get_data(as_text=True))
    links = {link.attrs["hreflang"]: link.attrs["href"] for link in switcher(elements)}
    assert links == {TAGS[code]: f"/{code}/" for code in LOCALES}


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


@pytest.mark.db
def test_an_incomplete_locale_is_served_but_never_offered(make_app, tmp_path):
    import shutil

    from outreach.i18n.catalogs import PROJECT_ROOT

    folder = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations", folder)
    (folder / "ht" / "LC_MESSAGES" / "messages.mo").unlink()  # Haitian Creole: nothing compiled
    client = make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder)).test_client()
    elements = parse(client.get("/en/").get_data(as_text=True))
    assert "ht" not in {link.attrs["hreflang"] for link in switcher(elements)}
    assert "ht" not in alternates(elements) and "fr" in alternates(elements)
    assert client.get("/ht/").status_code == 200  # a bookmark still works
    response = client.get("/", headers={"Accept-Language": "ht"})
    assert urlsplit(response.headers["Location"]).path == "/en/"


@pytest.mark.parametrize(("table", "message"), [
    ("- code: en\n- code: en\n", "listed twice"),
    ("- code: en\n- code: xx_nonsense\n", "unknown locale"),
    ("- code: en\n  colour: blue\n", "optional `name`"),
    ("just text", "a list of locales"),
])
def test_the_locale_table_is_validated(tmp_path, table, message):
    from outreach.i18n.locales import load_table

    path = tmp_path / "locales.yaml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_table(path)


def test_configured_locales_may_only_narrow_the_table(tmp_path, monkeypatch):
    from outreach import create_app

    monkeypatch.setenv("OUTREACH_LOCALES", "en,de")
    with pytest.raises(ValueError, match="'de' is not in locales.yaml"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
