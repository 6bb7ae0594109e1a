"""Search basics: finding listings, accent folding, hostile queries, and the index commands."""
from __future__ import annotations

import pytest

from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from outreach.search import backend
from tests import factories
from tests.crawling import parse


def result_titles(html: str) -> list[str]:
    """Names of the services listed as results (the links in result cards' headings)."""
    titles = []
    for element in parse(html):
        if element.tag == "a" and "/services/" in element.attrs.get("href", ""):
            titles.append(" ".join(element.text.split()))
    return titles


def reindex(runner) -> str:
    result = runner.invoke(args=["outreach", "search", "reindex"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def spanish_listings(app, runner):
    with app.app_context():
        syringes = factories.term("syringe-services", name="Syringe services", es="Servicios de jeringas")
        counseling = factories.term("counseling", name="Counseling", es="Consejería")
        exchange = factories.service(name="Needle exchange", es_name="Intercambio de agujas", categories=[syringes])
        exchange.translations.append(TranslatedText(
            link_entity="service", link_id=exchange.id, field="description", locale="es",
            value="Jeringas nuevas y apoyo sin juicios para personas con adicción."))
        talk = factories.service(name="Talk therapy", es_name="Terapia de conversación", categories=[counseling])
        factories.service(name="Bus passes", es_name="Pases de autobús")
        db.session.commit()
        ids = {"exchange": exchange.id, "talk": talk.id}
    reindex(runner)
    return ids


@pytest.mark.db
@pytest.mark.parametrize("query", ["adiccion", "adicción", "ADICCION", "jeringas", "jeringa", "Jeringas nuevas"])
def test_spanish_query_finds_spanish_text_with_or_without_accents(client, spanish_listings, query):
    response = client.get("/es/search", query_string={"q": query})
    assert response.status_code == 200
    titles = result_titles(response.get_data(as_text=True))
    assert "Intercambio de agujas" in titles
    assert "Pases de autobús" not in titles


@pytest.mark.db
def test_spanish_word_finds_the_listing_from_an_english_page(client, spanish_listings):
    titles = result_titles(client.get("/en/search", query_string={"q": "jeringas"}).get_data(as_text=True))
    assert "Needle exchange" in titles


@pytest.mark.db
def test_search_matches_category_names(client, spanish_listings):
    titles = result_titles(client.get("/es/search", query_string={"q": "consejeria"}).get_data(as_text=True))
    assert "Terapia de conversación" in titles


@pytest.mark.db
def test_nothing_found_offers_categories(client, spanish_listings):
    html = client.get("/en/search", query_string={"q": "zzyzx qwxv"}).get_data(as_text=True)
    assert result_titles(html) == []
    assert 'href="/en/categories/syringe-services"' in html


@pytest.fixture
def site_client(demo_site_app):
    return demo_site_app.test_client()


def test_naloxone_finds_a_naloxone_service(site_client):
    response = site_client.get("/en/search", query_string={"q": "naloxone"})
    assert response.status_code == 200
    titles = result_titles(response.get_data(as_text=True))
    assert any("naloxone" in title.lower() or "narcan" in title.lower() for title in titles), titles


def test_spanish_search_on_demo_content(site_client):
    titles = result_titles(site_client.get("/es/search", query_string={"q": "jeringas"}).get_data(as_text=True))
    assert any("jeringa" in title.lower() for title in titles), titles
    titles = result_titles(site_client.get("/es/search", query_string={"q": "naloxona"}).get_data(as_text=True))
    assert any("naloxona" in title.lower() for title in titles), titles


HOSTILE_QUERIES = [
    '"unbalanced quote',
    "naloxone\"",
    "'single",
    "AND OR NOT",
    "NOT",
    "naloxone AND",
    "OR",
    "*",
    "nal*",
    "?",
    "~",
    "naloxone~2",
    "title:naloxone",
    "service_id:*",
    "(((",
    ")",
    "[a TO z]",
    "{}",
    "^",
    "\\",
    "%",
    "-",
    "a" * 5000,
    "naloxone " * 700,
    "علاج الإدمان",
    "مساعدة",
    "💊🆘🙏",
    "👨‍👩‍👧",
    "\u200f\u202e",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "'; DROP TABLE service; --",
    "\x00",
    "   ",
    "",
]


EXTRAS = ({}, {"page": "2"}, {"page": "abc"}, {"category": "no-such-category"})


def test_queries_of_any_shape_never_fail(site_client):
    client = site_client  # TESTING: an exception in a view fails this test outright
    failures = {}
    for number, query in enumerate(HOSTILE_QUERIES):
        # Every query in English, and again in another locale with other parameters.
        for locale, extra in (("en", {}), (("es", "ar")[number % 2], EXTRAS[number % len(EXTRAS)])):
            response = client.get(f"/{locale}/search", query_string={"q": query, **extra})
            if response.status_code != 200:
                failures[(locale, query[:40], tuple(extra.items()))] = response.status_code
            body = response.get_data(as_text=True)
            assert "<script>alert(1)" not in body
            assert "Traceback" not in body
    assert failures == {}


def test_long_query_is_shortened_with_a_notice(site_client):
    response = site_client.get("/en/search", query_string={"q": "naloxone " + "x" * 5000})
    assert response.status_code == 200
    assert "very long" in response.get_data(as_text=True)


# -- index commands ------------------------------------------------------------------------------


@pytest.mark.db
def test_reindex_and_check(app, runner):
    with app.app_context():
        first = factories.service(name="First").id
        factories.service(name="Second")
    assert "Indexed 2 services" in reindex(runner)
    result = runner.invoke(args=["outreach", "search", "check"])
    assert result.exit_code == 0, result.output
    assert "missing: 0" in result.output
    with app.app_context():
        backend().remove([first])
    result = runner.invoke(args=["outreach", "search", "check"])
    assert result.exit_code == 1
    assert "missing: 1" in result.output
    assert f"missing {first}" in result.output
    reindex(runner)
    result = runner.invoke(args=["outreach", "search", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.db
def test_reindex_rebuilds_a_lost_index(app, runner, client):
    with app.app_context():
        factories.service(name="Harbor naloxone kits")
    reindex(runner)
    app.extensions["outreach.search"].close()
    import shutil
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    check = runner.invoke(args=["outreach", "search", "check"])
    assert check.exit_code == 1
    assert "missing: 1" in check.output
    # Without an index, search still answers, never fails.
    assert client.get("/en/search?q=naloxone").status_code == 200
    reindex(runner)
    assert runner.invoke(args=["outreach", "search", "check"]).exit_code == 0
    assert "Harbor naloxone kits" in result_titles(client.get("/en/search?q=naloxone").get_data(as_text=True))


@pytest.mark.db
def test_inactive_services_are_not_indexed_or_found(app, runner, client):
    with app.app_context():
        factories.service(name="Active naloxone")
        factories.service(name="Retired naloxone", status="inactive")
    assert "Indexed 1 services" in reindex(runner)
    titles = result_titles(client.get("/en/search?q=naloxone").get_data(as_text=True))
    assert "Active naloxone" in titles and "Retired naloxone" not in titles
