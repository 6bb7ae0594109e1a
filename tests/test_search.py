"""Search behaviour (issue 3): analysis, synonyms, typos, filters with counts, near me, hostile
queries, index sync through the outbox, and privacy of search terms.

Tests with ``app`` build their own listings with :mod:`tests.factories`; tests with ``demo_client``
search the real seed content (with ZIP centroids loaded).
"""
from __future__ import annotations

import html
import logging
import os
import re
import shutil
import time as clock
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from outreach import create_app
from outreach.directory.models import Language, Service, TaxonomyTerm
from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from outreach.search import backend
from outreach.search import services as search_services
from outreach.search.analysis import tokens
from outreach.search.backend import SearchQuery
from outreach.search.models import SearchCount, SearchOutbox
from outreach.search.synonyms import parse_synonyms
from tests import factories
from tests.conftest import PROJECT_ROOT, _config, _dispose

SYNONYMS = PROJECT_ROOT / "content" / "synonyms"


@pytest.fixture(autouse=True)
def _fresh_snapshots():
    """The per-app snapshot cache is keyed by id(app); a later test's app may reuse an id."""
    search_services._snapshots.clear()
    yield
    search_services._snapshots.clear()


# -- helpers -------------------------------------------------------------------------------------


def search(client, lang="en", **params):
    response = client.get(f"/{lang}/search", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _main(body: str) -> str:
    return body.split('class="remote-services"')[0]


def titles(body: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r'class="card__title"><a [^>]*>(.*?)</a>', _main(body), re.S)]


def ids(body: str) -> list[str]:
    return re.findall(r'class="card__title"><a href="/\w+/services/([^"]+)"', _main(body))


def remote_titles(body: str) -> list[str]:
    if 'class="remote-services"' not in body:
        return []
    section = body.split('class="remote-services"')[1]
    return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r'class="card__title"><a [^>]*>(.*?)</a>', section, re.S)]


def total(body: str) -> int:
    match = re.search(r'class="result-count" role="status">\s*([\d,]+) ', body)
    assert match, "no result count on the page"
    return int(match.group(1).replace(",", ""))


def facet_counts(body: str) -> dict[tuple[str, str], int]:
    """(parameter, value) -> the count shown beside that filter."""
    found = {}
    for param, value, count in re.findall(
        r'<label for="(category|cost|flag|language|age)-([\w-]+)">(?:(?!</label>).)*?<span class="filter__count">\(([\d,]+)\)</span>',
        body, re.S,
    ):
        found[(param, value)] = int(count.replace(",", ""))
    return found


def all_ids(client, lang="en", **params) -> list[str]:
    """Every result id over every page."""
    out, page = [], 1
    while True:
        body = search(client, lang, page=page, **params)
        got = ids(body)
        out += got
        if 'rel="next"' not in body or not got:
            return out
        page += 1


def translate(service: Service, value: str, locale: str, field: str = "name") -> None:
    service.translations.append(TranslatedText(link_entity="service", link_id=service.id, field=field, locale=locale, value=value))
    db.session.commit()


def other_app(app, folder: Path, **extra):
    """A second app instance on the same database, with its own instance folder (and index)."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app(_config(folder, DATABASE_URL=app.config["DATABASE_URL"], **extra))


# -- analysis -------------------------------------------------------------------------------------


def test_analysis_folds_accents_and_letters_without_decomposition():
    assert tokens("Adicción") == ["adiccion"]
    assert tokens("điều trị") == ["dieu", "tri"]
    assert tokens("ĐIỀU TRỊ") == ["dieu", "tri"]


def test_analysis_spanish_stemming_joins_plural_and_singular():
    assert tokens("consejeros", "es", stem=True) == tokens("consejero", "es", stem=True)
    assert tokens("reuniones", "es", stem=True) == tokens("reunión", "es", stem=True)
    assert tokens("clínicas", "es", stem=True) == tokens("clinica", "es", stem=True)


def test_analysis_chinese_bigrams():
    assert tokens("戒毒治疗") == ["戒毒", "毒治", "治疗"]


@pytest.mark.parametrize(("written", "typed"), [
    ("أمل", "امل"), ("إدمان", "ادمان"), ("آمن", "امن"),  # alef forms
    ("العلاج", "علاج"), ("والعلاج", "علاج"),  # the article, also after "and"
    ("مساعدة", "مساعده"),  # taa marbuta / haa
    ("عِلَاج", "علاج"),  # vowel marks
])
def test_analysis_arabic_normalization(written, typed):
    assert tokens(written) == tokens(typed)


@pytest.mark.db
def test_accent_folding_finds_spanish_and_vietnamese(app, client):
    with app.app_context():
        spanish = factories.service(name="Youth program", es_name="Ayuda con la adicción para familias")
        vietnamese = factories.service(name="Community counseling")
        translate(vietnamese, "Điều trị nghiện cho gia đình", "vi")
        spanish_id, vietnamese_id = spanish.id, vietnamese.id
    assert spanish_id in ids(search(client, "es", q="adiccion"))
    assert spanish_id in ids(search(client, "es", q="ADICCIÓN"))
    assert vietnamese_id in ids(search(client, q="dieu tri"))
    assert vietnamese_id in ids(search(client, q="điều trị"))
    assert vietnamese_id in ids(search(client, q="nghien"))


@pytest.mark.db
@pytest.mark.parametrize("query", ["戒毒", "治疗", "毒治疗", "戒毒治疗"])
def test_chinese_translation_found_by_a_substring(app, client, query):
    with app.app_context():
        item = factories.service(name="Recovery services")
        translate(item, "社区戒毒治疗服务", "zh_Hans")
        other = factories.service(name="Other services")
        translate(other, "家庭支持小组", "zh_Hans")
        item_id, other_id = item.id, other.id
    found = ids(search(client, q=query))
    assert item_id in found and other_id not in found


@pytest.mark.db
def test_chinese_bigram_query_does_not_match_characters_out_of_order(app, client):
    with app.app_context():
        item = factories.service(name="Recovery services")
        translate(item, "社区戒毒治疗服务", "zh_Hans")
        item_id = item.id
    assert item_id not in ids(search(client, q="疗治"))


@pytest.mark.db
@pytest.mark.parametrize("query", ["امل", "أمل", "الامل", "ادمان", "إدمان", "علاج", "العلاج", "مساعده", "مساعدة", "امن"])
def test_arabic_listing_found_however_alef_article_and_taa_marbuta_are_typed(app, client, query):
    with app.app_context():
        item = factories.service(name="Family support")
        translate(item, "مساعدة آمنة للعائلات: الأمل والعلاج من الإدمان", "ar")
        item_id = item.id
    assert item_id in ids(search(client, "ar", q=query))


@pytest.mark.db
@pytest.mark.parametrize(("written", "typed"), [("Consejeros para padres", "consejero"), ("Clínica móvil", "clinicas"), ("Un consejero", "consejeros")])
def test_spanish_stemming_finds_plural_from_singular_and_back(app, client, written, typed):
    with app.app_context():
        item_id = factories.service(name="Program", es_name=written).id
    assert item_id in ids(search(client, "es", q=typed))


# -- synonyms -------------------------------------------------------------------------------------


@pytest.fixture
def synonym_listings(app):
    with app.app_context():
        made = {name: factories.service(name=name).id for name in (
            "Narcan kits", "Naloxone kits", "Alcoholics Anonymous meetings", "Syringe services program",
            "Treatment center", "Rehab intake", "Buprenorphine clinic", "Fentanyl test strips table",
        )}
    return made


@pytest.mark.db
@pytest.mark.parametrize(("query", "name"), [
    ("naloxone", "Narcan kits"),
    ("narcan", "Naloxone kits"),
    ("aa", "Alcoholics Anonymous meetings"),
    ("AA", "Alcoholics Anonymous meetings"),
    ("needle exchange", "Syringe services program"),
    ("rehab", "Treatment center"),
    ("MAT", "Buprenorphine clinic"),
    ("moud", "Buprenorphine clinic"),
    ("test strips", "Fentanyl test strips table"),
])
def test_synonyms_find_listings_that_use_the_other_word(client, synonym_listings, query, name):
    assert synonym_listings[name] in ids(search(client, q=query))


@pytest.mark.db
def test_rehab_to_treatment_is_one_way(client, synonym_listings):
    found = ids(search(client, q="treatment"))
    assert synonym_listings["Treatment center"] in found
    assert synonym_listings["Rehab intake"] not in found


@pytest.mark.parametrize("locale", ["en", "es"])
def test_synonym_files_parse_and_have_at_least_40_entries(locale):
    data = yaml.safe_load((SYNONYMS / f"{locale}.yaml").read_text(encoding="utf-8"))
    table = parse_synonyms(data, f"{locale}.yaml")
    entries = len(data.get("groups") or []) + len(data.get("expand") or {})
    assert entries >= 40
    assert len(table.alternatives) >= 40


def test_synonym_table_links_the_issue_examples():
    en = parse_synonyms(yaml.safe_load((SYNONYMS / "en.yaml").read_text(encoding="utf-8")), "en.yaml").alternatives
    assert ("naloxone",) in en[("narcan",)] and ("narcan",) in en[("naloxone",)]
    assert ("alcoholics", "anonymous") in en[("aa",)] and ("aa",) in en[("alcoholics", "anonymous")]
    assert ("syringe", "services") in en[("needle", "exchange",)]
    assert ("treatment",) in en[("rehab",)] and ("rehab",) not in en.get(("treatment",), ())
    assert ("buprenorphine",) in en[("mat",)] and ("buprenorphine",) in en[("moud",)]
    assert ("methadone",) in en[("moud",)]


def test_a_broken_synonym_file_is_rejected_by_the_parser():
    from outreach.search.synonyms import SynonymError

    for bad in (["not", "a", "mapping"], {"groups": [["alone"]]}, {"expand": {"x": "not a list"}}, {"groups": [["a", ""]]}):
        with pytest.raises(SynonymError):
            parse_synonyms(bad, "bad.yaml")


@pytest.mark.db
def test_editing_the_synonyms_file_changes_results_without_a_reindex(app, tmp_path, monkeypatch):
    content = tmp_path / "content-copy"
    shutil.copytree(PROJECT_ROOT / "content", content)
    second = other_app(app, tmp_path / "second", CONTENT_DIR=str(content))
    try:
        with second.app_context():
            item_id = factories.service(name="Bluebird kits").id
        client = second.test_client()
        assert item_id in ids(search(client, q="bluebird"))  # builds the index
        assert item_id not in ids(search(client, q="zorblax"))

        engine = second.extensions["outreach.search"]

        def no_writes(*args, **kwargs):
            raise AssertionError("the index must not be rewritten for a synonym edit")

        monkeypatch.setattr(engine, "index", no_writes)
        monkeypatch.setattr(engine, "reindex", no_writes)
        path = content / "synonyms" / "en.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["groups"].append(["zorblax", "bluebird"])
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        later = clock.time() + 5
        os.utime(path, (later, later))  # a different mtime even on coarse file systems
        assert item_id in ids(search(client, q="zorblax"))
        # A broken edit keeps the last good table rather than breaking search.
        path.write_text("groups: [unclosed\n", encoding="utf-8")
        os.utime(path, (later + 5, later + 5))
        assert item_id in ids(search(client, q="zorblax"))
    finally:
        _dispose(second)


# -- typo tolerance ---------------------------------------------------------------------------------


def test_swapped_letters_find_naloxone_with_did_you_mean(demo_client, demo_app):
    body = search(demo_client, q="naloxnoe")
    assert any("aloxone" in title for title in titles(body)[:3])
    link = re.search(r'class="did-you-mean">.*?<a href="([^"]+)">([^<]+)</a>', body, re.S)
    assert link and link.group(2) == "naloxone"
    assert "q=naloxone" in html.unescape(link.group(1))
    assert "spelled like yours" in body
    with demo_app.app_context():
        assert backend().doc_frequency("plain", "naloxone") > 0  # the suggestion is the index's own word


def test_fuzzy_is_only_a_fallback(demo_app):
    with demo_app.test_request_context("/en/search"):
        exact = search_services.search_directory(search_services.SearchForm(text="naloxone"), "en")
        assert exact.results.total >= 3
        assert exact.is_fuzzy is False and exact.suggestion is None
        typo = search_services.search_directory(search_services.SearchForm(text="naloxnoe"), "en")
        assert typo.is_fuzzy is True and typo.suggestion == "naloxone"


def test_exact_query_page_shows_no_typo_notice(demo_client):
    body = search(demo_client, q="naloxone")
    assert "Did you mean" not in body and "spelled like yours" not in body


# -- filters with counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["naloxone", "support", "treatment"])
def test_every_filter_count_matches_the_results_when_applied(demo_client, query):
    body = search(demo_client, q=query)
    counts = facet_counts(body)
    assert counts, "the filters show counts"
    assert any(param == "category" for param, _ in counts) and ("cost", "free") in counts
    assert {value for param, value in counts if param == "age"} == {"youth", "young-adult", "adult", "older-adult"}
    assert len({shown for (param, _value), shown in counts.items() if param == "age"}) > 1  # some listings are age-limited
    for (param, value), shown in counts.items():
        filtered = search(demo_client, q=query, **{param: value})
        assert total(filtered) == shown, (param, value)


@pytest.mark.parametrize(("query", "place", "radius"), [("support", "97201", "5"), ("naloxone", "97030", "10"), ("treatment", "Gresham", "25")])
def test_filter_counts_near_a_place_match_the_results_when_applied(demo_client, query, place, radius):
    body = search(demo_client, q=query, near=place, radius=radius)
    counts = facet_counts(body)
    assert counts and total(body) > 0
    for (param, value), shown in counts.items():
        filtered = search(demo_client, q=query, near=place, radius=radius, **{param: value})
        assert total(filtered) == shown, (param, value)  # the services near the place, not those by phone


def test_counts_are_zero_where_nothing_matches(demo_client):
    body = search(demo_client, q="methadone")
    counts = facet_counts(body)
    empty = [value for (param, value), count in counts.items() if param == "language" and count == 0]
    assert empty, "some spoken language should have no methadone listing in the demo content"
    for value in empty:
        assert "No services matched" in search(demo_client, q="methadone", language=value)


@pytest.mark.parametrize(("param", "value", "check"), [
    ("cost", "free", lambda s: s.has_flag("free")),
    ("cost", "sliding-scale", lambda s: s.has_flag("sliding-scale")),
    ("cost", "accepts-insurance", lambda s: s.has_flag("accepts-insurance")),
    ("flag", "walk-in", lambda s: s.has_flag("walk-in")),
    ("flag", "no-id-required", lambda s: s.has_flag("no-id-required")),
    ("flag", "remote-only", lambda s: not s.service_at_locations),
    ("language", "ru", lambda s: "ru" in {l.code for l in s.languages}),
    ("age", "youth", lambda s: (s.minimum_age or 0) <= 17),
    ("age", "older-adult", lambda s: s.maximum_age is None or s.maximum_age >= 65),
])
def test_each_filter_keeps_only_matching_listings(demo_client, demo_app, param, value, check):
    found = all_ids(demo_client, **{param: value})
    assert found
    with demo_app.app_context():
        assert all(check(db.session.get(Service, i)) for i in found)
        everything = db.session.scalars(sa.select(Service).where(Service.status.in_(("active", "temporarily closed")))).all()
        assert len(found) == sum(1 for s in everything if check(s))


def test_cost_values_are_alternatives_and_flags_combine(demo_client):
    free = set(all_ids(demo_client, cost="free"))
    sliding = set(all_ids(demo_client, cost="sliding-scale"))
    assert set(all_ids(demo_client, cost=["free", "sliding-scale"])) == free | sliding
    walk_in = set(all_ids(demo_client, flag="walk-in"))
    no_id = set(all_ids(demo_client, flag="no-id-required"))
    assert set(all_ids(demo_client, flag=["walk-in", "no-id-required"])) == walk_in & no_id


def test_parent_category_includes_its_childrens_services(demo_client):
    parent = set(all_ids(demo_client, category="harm-reduction"))
    for child in ("naloxone", "syringe-services", "test-strips"):
        children = set(all_ids(demo_client, category=child))
        assert children and children <= parent
    body = search(demo_client, q="naloxone by mail", category="harm-reduction")
    assert "Naloxone by mail" in titles(body)  # filed only under the child "naloxone"


@pytest.mark.db
def test_parent_category_filter_with_factories(app, client):
    with app.app_context():
        parent = factories.term("helping-hands", name="Helping hands")
        child = factories.term("small-hands", name="Small hands", parent=parent)
        other = factories.term("other-hands", name="Other hands")
        in_child = factories.service(name="Child program", categories=[child]).id
        in_parent = factories.service(name="Parent program", categories=[parent]).id
        elsewhere = factories.service(name="Elsewhere program", categories=[other]).id
    assert set(ids(search(client, category="helping-hands"))) == {in_child, in_parent}
    assert set(ids(search(client, category="small-hands"))) == {in_child}
    body = search(client, q="program")
    assert facet_counts(body)[("category", "helping-hands")] == 2
    assert elsewhere in ids(body)


def test_unknown_filter_values_are_ignored_not_errors(demo_client):
    plain = total(search(demo_client, q="naloxone"))
    odd = search(demo_client, q="naloxone", category="no-such", cost="gold", flag="x", language="zz", age="ancient",
                 radius="abc", page="-4", sort="random")
    assert total(odd) == plain


WEDNESDAY_NOON = datetime(2026, 11, 4, 20, 0, tzinfo=timezone.utc)  # 12:00 in Portland
SATURDAY_NOON = datetime(2026, 11, 7, 20, 0, tzinfo=timezone.utc)


def _fix_clock(monkeypatch, instant):
    monkeypatch.setattr("outreach.directory.services.now", lambda: instant)
    monkeypatch.setattr("outreach.search.services.now", lambda: instant)


@pytest.mark.db
def test_open_now_follows_the_clock(app, client, monkeypatch):
    with app.app_context():
        weekdays = factories.service(name="Weekday clinic", schedules=[("MO,TU,WE,TH,FR", "09:00", "17:00")]).id
        weekends = factories.service(name="Weekend clinic", schedules=[("SA,SU", "10:00", "14:00")]).id
        factories.service(name="Clinic with no hours")
    _fix_clock(monkeypatch, WEDNESDAY_NOON)
    body = search(client, q="clinic", open="1")
    assert ids(body) == [weekdays]
    assert "Open now" in body
    assert total(search(client, q="clinic")) == 3
    _fix_clock(monkeypatch, SATURDAY_NOON)  # a new minute: the snapshot recomputes who is open
    assert ids(search(client, q="clinic", open="1")) == [weekends]
    _fix_clock(monkeypatch, datetime(2026, 11, 5, 6, 0, tzinfo=timezone.utc))  # Wednesday 22:00 local
    assert "No services matched" in search(client, q="clinic", open="1")


def test_open_now_on_demo_content_matches_schedules(demo_client, demo_app, monkeypatch):
    from outreach.directory import hours

    _fix_clock(monkeypatch, WEDNESDAY_NOON)
    found = set(all_ids(demo_client, open="1"))
    with demo_app.app_context():
        expected = {s.id for s in db.session.scalars(sa.select(Service).where(Service.status == "active"))
                    if s.schedules and hours.open_status(s.schedules, WEDNESDAY_NOON).is_open}
    assert found == expected and found


@pytest.mark.parametrize("query", ["", "support"])
def test_open_now_filter_counts_match_the_results_when_applied(demo_client, monkeypatch, query):
    """With "open now" the results are a restricted set (the engine cannot hold it as a cheap filter):
    the counts beside the other filters are still those of what applying them shows."""
    _fix_clock(monkeypatch, WEDNESDAY_NOON)
    body = search(demo_client, q=query, open="1")
    counts = facet_counts(body)
    assert counts and ("cost", "free") in counts
    if query:
        assert 0 < total(body) < total(search(demo_client, q=query))
    else:
        assert 0 < total(body) < total(search(demo_client, cost=["free", "sliding-scale", "accepts-insurance"]))
    for (param, value), shown in counts.items():
        assert total(search(demo_client, q=query, open="1", **{param: value})) == shown, (param, value)


def test_pagination_keeps_the_filters(demo_client):
    first = search(demo_client, cost="free", flag="no-id-required")
    assert total(first) > 20
    link = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert link
    href = html.unescape(link.group(1))
    assert "cost=free" in href and "flag=no-id-required" in href and "page=2" in href
    second = demo_client.get(href)
    assert second.status_code == 200
    page_two = ids(second.get_data(as_text=True))
    assert page_two and not set(page_two) & set(ids(first))
    assert len(ids(first)) + len(page_two) <= total(first)


def test_pagination_keeps_query_and_place(demo_client):
    body = search(demo_client, q="support", near="97201", radius="50", sort="distance", cost="free")
    assert total(body) > 20
    href = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', body).group(1))
    for part in ("q=support", "near=97201", "radius=50", "sort=distance", "cost=free", "page=2"):
        assert part in href
    assert ids(demo_client.get(href).get_data(as_text=True))


# -- near me ----------------------------------------------------------------------------------------


def _zip_point(code):
    from outreach.geo.services import locate_zip

    return locate_zip(code)


def _nearest(service: Service, point) -> float:
    from outreach.geo.services import Point, distance_miles

    return min(distance_miles(point, Point(loc.latitude, loc.longitude)) for loc in service.locations)


@pytest.mark.parametrize(("origin", "radius"), [("97201", 2), ("97201", 10), ("97030", 25), ("97233", 50)])
def test_places_within_a_radius_are_measured_as_the_great_circle_distance(demo_app, origin, radius):
    """The search snapshot's flat distance loop gives the same services and miles as distance_miles."""
    from outreach.geo.services import Point, distance_miles
    from outreach.search import services as search_services

    with demo_app.test_request_context("/en/search"):
        point = _zip_point(origin)
        snapshot = search_services._snapshot()
        expected = {}
        for service_id, points in snapshot.points.items():
            miles = min(distance_miles(point, p) for p in points)
            if miles <= radius:
                expected[service_id] = miles
        found = snapshot.within(Point(point.latitude, point.longitude), radius)
    assert expected and set(found) == set(expected)
    assert all(found[i] == pytest.approx(expected[i], abs=1e-9) for i in expected)


def _distances(body: str) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(r'class="card__distance">([^<]*)</p>', _main(body))]


def test_zip_limits_results_to_the_radius(demo_client, demo_app):
    body = search(demo_client, q="naloxone", near="97201", radius="5")
    found = ids(body)
    assert found
    assert "within 5 miles of <bdi>97201</bdi>" in body
    assert all(d.startswith("About") or d.startswith("Less than") for d in _distances(body))
    assert len(_distances(body)) == len(found)
    with demo_app.app_context():
        centre = _zip_point("97201")
        for service_id in found:
            assert _nearest(db.session.get(Service, service_id), centre) <= 5
        wider = ids(search(demo_client, q="naloxone", near="97201", radius="50"))
        assert set(found) < set(wider)


def test_sorting_by_distance_is_ascending(demo_client, demo_app):
    body = search(demo_client, q="support", near="97201", radius="25", sort="distance")
    found = ids(body)
    assert len(found) >= 3
    with demo_app.app_context():
        centre = _zip_point("97201")
        measured = [_nearest(db.session.get(Service, i), centre) for i in found]
    assert measured == sorted(measured)
    assert "About" in body


def test_town_name_from_the_directory_works(demo_client, demo_app):
    body = search(demo_client, q="naloxone", near="gresham", radius="5")
    assert "within 5 miles of <bdi>Gresham</bdi>" in body
    assert "Free naloxone and overdose response training" in titles(body)  # has a Gresham location


def test_near_zip_typed_inside_the_query(demo_client):
    body = search(demo_client, q="aa meetings near 97201")
    assert "within 10 miles of <bdi>97201</bdi>" in body
    assert "Twelve-step meetings at Northbank" in titles(body)
    assert "Find an A.A. meeting" in remote_titles(body)


def test_spanish_cerca_de_and_a_bare_zip_work(demo_client):
    assert "97201" in search(demo_client, "es", q="naloxona cerca de 97201")
    assert "within 10 miles of <bdi>97201</bdi>" in search(demo_client, q="naloxone 97201")


def test_in_followed_by_a_non_place_is_part_of_the_query(demo_client):
    """"in Russian", "en español" are what the resident needs, not a town."""
    body = search(demo_client, q="counseling in russian")
    assert "Counseling in Russian and Ukrainian" in titles(body)[:3]
    assert "We do not know a town" not in body
    body = search(demo_client, "es", q="grupo de recuperacion en español")
    assert "Grupo de apoyo para la recuperación en español" in titles(body)[:3]


def test_unknown_zip_gives_a_clear_message(demo_client):
    body = search(demo_client, q="naloxone", near="00000")
    assert "We could not find the ZIP code 00000" in body
    body = search(demo_client, q="naloxone near 00000")
    assert "We could not find the ZIP code 00000" in body


@pytest.mark.parametrize("junk", ["!!!", "zzzz-qqq", "<script>", "'; DROP TABLE service;--", "12", "1234567", "\u202eabc", "\x00", "ا" * 80])
def test_near_with_junk_gives_a_clear_message(demo_client, junk):
    body = search(demo_client, q="naloxone", near=junk)
    assert "We do not know a town" in body or "We could not find the ZIP code" in body
    assert "<script>" not in body


def test_phone_online_and_statewide_listed_separately(demo_client):
    body = search(demo_client, q="naloxone", near="97201", radius="2")
    assert "By phone, online or statewide" in body
    remote = remote_titles(body)
    assert "Naloxone by mail" in remote and "Naloxone by mail" not in titles(body)
    body = search(demo_client, q="residential treatment", near="97060", radius="2")  # Troutdale
    assert "Residential treatment" in remote_titles(body)  # statewide, its clinic is farther than 2 miles


@pytest.mark.parametrize(("name", "origin"), [
    ("Recovery housing for women and mothers", "97201"),  # confidential, in Gresham 97030
    ("Recovery housing for women and mothers", "97233"),
    ("Sisters' Space drop-in for women and gender-diverse people", "97266"),  # confidential, 97233
    ("Sisters' Space drop-in for women and gender-diverse people", "97060"),
])
def test_confidential_location_is_measured_from_its_zip_centroid(demo_client, demo_app, name, origin):
    """Origins chosen so the true address and the ZIP centroid round to different distances."""
    from outreach.geo.services import distance_miles
    from outreach.templating import about_distance

    body = search(demo_client, q=name, near=origin, radius="25")
    shown = dict(zip(titles(body), _distances(body)))
    with demo_app.test_request_context("/en/search"):
        service = db.session.scalar(sa.select(Service).where(Service.name == name))
        (location,) = service.locations
        assert location.is_address_confidential
        centroid = _zip_point(location.addresses[0].postal_code)
        origin_point = _zip_point(origin)
        from_centroid = about_distance(distance_miles(origin_point, centroid))
        from_address = about_distance(_nearest(service, origin_point))
    assert from_centroid != from_address
    assert shown[name] == from_centroid
    assert location.addresses[0].address_1 not in body


# -- hostile queries ------------------------------------------------------------------------------


HOSTILE = [
    '"naloxone', 'naloxone"', '"""', "AND OR NOT", "NOT", "naloxone AND", "OR OR OR", "*", "?", "nalox*", "n?loxone",
    "x" * 5000, "naloxone " * 700, "علاج الإدمان", "\u202enaloxone\u202c", "נרקן", "💊🙏", "naloxone 💉", "\x00",
    "nal\x00oxone", "!!!", "...", "-", "()[]{}<>", "\\", "%", "_", "' OR 1=1 --", "<script>alert(1)</script>",
    "near", "near ", "near 1", "near !!!", "in", "en", "cerca de", "97201 97201 97201", "~naloxone^3", "field:value",
    "naloxone~2", "a" * 200 + " near 97201", "\t\n\r", "　", "ＮＡＬＯＸＯＮＥ", "🙂" * 2000,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_hostile_queries_never_fail(demo_client, query, lang):
    response = demo_client.get(f"/{lang}/search", query_string={"q": query})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if not query.strip():  # only white space: the plain search page, as if nothing was typed
        assert 'role="search"' in body
        return
    clear = ('class="result-count"' in body or 'class="no-results"' in body or 'role="alert"' in body
             or 'class="notice' in body)
    assert clear
    assert "<script>alert(1)</script>" not in body


def test_long_query_is_truncated_with_a_notice(demo_client):
    body = search(demo_client, q="naloxone " + "x" * 5000)
    assert "used only its beginning" in body
    assert titles(body)


def test_hostile_filters_and_pages_never_fail(demo_client):
    for params in ({"page": "999999"}, {"page": "1e9"}, {"radius": "-1", "near": "97201"}, {"near": "9" * 80},
                   {"category": "\x00"}, {"language": "'"}, {"open": "\x00"}, {"q": "naloxone", "page": "3"}):
        assert demo_client.get("/en/search", query_string=params).status_code == 200


# -- index sync (outbox) ------------------------------------------------------------------------------


def _outbox_ids(service_id: str) -> list[int]:
    return list(db.session.scalars(sa.select(SearchOutbox.id).where(SearchOutbox.service_id == service_id)))


def _backend_ids(text: str) -> list[str]:
    return backend().search(SearchQuery(text=text, locale="en")).service_ids


@pytest.mark.db
def test_an_edit_writes_an_outbox_row_in_the_same_transaction(app):
    with app.app_context():
        item = factories.service(name="Original name")
        before = _outbox_ids(item.id)
        assert before  # creating it was recorded too
        item.name = "Renamed once"
        db.session.flush()
        assert len(_outbox_ids(item.id)) == len(before) + 1
        db.session.rollback()  # the edit is undone, and so is its outbox row
        assert _outbox_ids(item.id) == before
        item = db.session.get(Service, item.id)
        item.name = "Renamed for real"
        db.session.commit()
        assert len(_outbox_ids(item.id)) == len(before) + 1


@pytest.mark.db
def test_edits_reach_the_next_search_and_the_sync_command(app, client):
    with app.app_context():
        item_id = factories.service(name="Quillwort clinic").id
    assert item_id in ids(search(client, q="quillwort"))
    with app.app_context():
        db.session.get(Service, item_id).name = "Marigold clinic"
        db.session.commit()
    assert item_id in ids(search(client, q="marigold"))  # the search applied the outbox first
    assert item_id not in ids(search(client, q="quillwort"))

    with app.app_context():
        db.session.get(Service, item_id).name = "Snapdragon clinic"
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["outreach", "search", "sync"])
    assert result.exit_code == 0 and "Indexed 1 services" in result.output
    with app.app_context():
        assert _backend_ids("snapdragon") == [item_id]  # in the index without a page request
        assert _backend_ids("marigold") == []


@pytest.mark.db
def test_deleted_or_inactive_services_leave_the_results(app, client):
    with app.app_context():
        gone = factories.service(name="Heliotrope deleted", with_location=False).id
        inactive = factories.service(name="Heliotrope inactive").id
        kept = factories.service(name="Heliotrope kept").id
    assert set(ids(search(client, q="heliotrope"))) == {gone, inactive, kept}
    with app.app_context():
        db.session.delete(db.session.get(Service, gone))
        db.session.get(Service, inactive).status = "inactive"
        db.session.commit()
    assert ids(search(client, q="heliotrope")) == [kept]
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["outreach", "search", "check"]).exit_code == 0


@pytest.mark.db
@pytest.mark.parametrize("crash", ["during the index write", "after the index write"])
def test_a_worker_killed_mid_write_loses_nothing(app, client, monkeypatch, crash):
    from outreach.search import outbox

    with app.app_context():
        item_id = factories.service(name="Bergamot clinic").id
    assert item_id in ids(search(client, q="bergamot"))  # index built, position recorded
    engine = app.extensions["outreach.search"]
    position_before = outbox.Position.read(engine.state_dir).last_id

    with app.app_context():
        db.session.get(Service, item_id).name = "Verbena clinic"
        db.session.commit()
        added = factories.service(name="Verbena outreach").id

    class Killed(BaseException):
        pass

    if crash == "during the index write":
        original = engine._fields_for

        def die(document):
            original(document)
            raise Killed()

        monkeypatch.setattr(engine, "_fields_for", die)
    else:
        monkeypatch.setattr(outbox.Position, "write", lambda self, folder: (_ for _ in ()).throw(Killed()))
    with app.app_context():
        with pytest.raises(Killed):
            search_services.sync()
    monkeypatch.undo()
    assert outbox.Position.read(engine.state_dir).last_id == position_before  # rows present, position not advanced

    with app.app_context():
        assert search_services.sync() >= 2  # the outbox replays
        assert set(_backend_ids("verbena")) == {item_id, added}
        assert _backend_ids("bergamot") == []
        assert search_services.check_index().is_clean
        assert engine.doc_count() == db.session.scalar(sa.select(sa.func.count(Service.id)))  # no duplicates
    assert set(ids(search(client, q="verbena"))) == {item_id, added}


@pytest.mark.db
def test_two_instances_with_separate_indexes_converge(app, tmp_path):
    second = other_app(app, tmp_path / "machine-b")
    try:
        assert second.config["SEARCH_INDEX_DIR"] != app.config["SEARCH_INDEX_DIR"]
        one, two = app.test_client(), second.test_client()
        with app.app_context():
            first_id = factories.service(name="Larkspur program").id
        assert ids(search(one, q="larkspur")) == [first_id]
        assert ids(search(two, q="larkspur")) == [first_id]
        with second.app_context():  # an edit through machine B
            db.session.get(Service, first_id).name = "Foxglove program"
            second_id = factories.service(name="Foxglove outreach").id
        with app.app_context():  # and one through machine A
            third_id = factories.service(name="Foxglove line").id
        for client in (one, two):
            assert set(ids(search(client, q="foxglove"))) == {first_id, second_id, third_id}
            assert ids(search(client, q="larkspur")) == []
        for application in (app, second):
            with application.app_context():
                assert search_services.check_index().is_clean
    finally:
        _dispose(second)


@pytest.mark.db
def test_a_deleted_index_folder_is_rebuilt_by_the_next_search(app, client):
    with app.app_context():
        item_id = factories.service(name="Yarrow clinic").id
    assert ids(search(client, q="yarrow")) == [item_id]
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    assert ids(search(client, q="yarrow")) == [item_id]
    assert Path(app.config["SEARCH_INDEX_DIR"]).is_dir()
    result = app.test_cli_runner().invoke(args=["outreach", "search", "check"])
    assert result.exit_code == 0, result.output
    assert "missing: 0  stale: 0  extra: 0" in result.output


@pytest.mark.db
def test_check_reports_missing_stale_and_extra_and_exits_non_zero(app, client):
    with app.app_context():
        stale_id = factories.service(name="Tansy clinic").id
        extra_id = factories.service(name="Sorrel clinic").id
    assert ids(search(client, q="tansy")) == [stale_id]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["outreach", "search", "check"]).exit_code == 0
    with app.app_context():
        db.session.info["outreach.outbox_disabled"] = True
        try:
            missing_id = factories.service(name="Chicory clinic").id
            db.session.get(Service, stale_id).description = "Now with walk-in hours."
            db.session.get(Service, extra_id).status = "defunct"
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox).where(
                SearchOutbox.service_id.in_([missing_id, stale_id, extra_id]))) == 2  # only the two creations
        finally:
            db.session.info.pop("outreach.outbox_disabled", None)
    result = runner.invoke(args=["outreach", "search", "check"])
    assert result.exit_code != 0
    assert "missing: 1  stale: 1  extra: 1" in result.output
    assert f"missing {missing_id}" in result.output
    assert f"stale {stale_id}" in result.output
    assert f"extra {extra_id}" in result.output
    assert runner.invoke(args=["outreach", "search", "reindex"]).exit_code == 0
    assert runner.invoke(args=["outreach", "search", "check"]).exit_code == 0


@pytest.mark.db
def test_a_language_or_category_change_reaches_the_index(app, client):
    with app.app_context():
        term = factories.term("quiet-help", name="Quiet help")
        item = factories.service(name="Mallow clinic", categories=[term])
        item_id = item.id
        other = factories.service(name="Other clinic")
        other.languages.append(Language(code="vi"))  # "vi" becomes a filter choice
        db.session.commit()
    assert ids(search(client, q="mallow", language="vi")) == []
    with app.app_context():
        item = db.session.get(Service, item_id)
        item.languages.append(Language(code="vi"))
        db.session.commit()
    assert ids(search(client, q="mallow", language="vi")) == [item_id]
    with app.app_context():
        term = db.session.scalar(sa.select(TaxonomyTerm).where(TaxonomyTerm.code == "quiet-help"))
        term.name = "Gentle assistance"  # a taxonomy rename re-indexes every service
        db.session.commit()
    assert ids(search(client, q="gentle assistance")) == [item_id]


# -- privacy --------------------------------------------------------------------------------------


MARKER = "zqxwordofprivacy"


def _dump_database(app) -> str:
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine)
        rows = []
        with db.engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(sa.select(table)):
                    rows.append(f"{table.name}: {tuple(row)!r}")
        return "\n".join(rows)


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine)
        with db.engine.connect() as connection:
            return {t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}


@pytest.mark.db
def test_search_counts_are_added_up_in_the_worker_and_written_when_due(app, client, monkeypatch):
    """One write per SEARCH_COUNT_FLUSH_SECONDS, not one per search, and nothing held is lost at a flush."""
    with app.app_context():
        term = factories.term("counting-hands", name="Counting hands")
        factories.service(name="Tallied program", categories=[term])

    def counted() -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.sum(SearchCount.searches))
                                     .where(SearchCount.category_code == "counting-hands")) or 0

    ticks = [1000.0]
    monkeypatch.setattr(search_services, "monotonic", lambda: ticks[0])
    app.config["SEARCH_COUNT_FLUSH_SECONDS"] = 10
    for _ in range(4):
        assert client.get("/en/search", query_string={"q": "tallied"}).status_code == 200
    assert counted() == 0  # held in the worker
    ticks[0] += 10
    client.get("/en/search", query_string={"q": "tallied"})
    assert counted() == 5  # the four held ones in one write
    client.get("/en/search", query_string={"q": "tallied"})
    assert counted() == 5
    search_services.flush_search_counts()  # as a stopping worker does
    assert counted() == 6


def test_search_words_are_never_stored_or_logged(demo_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = demo_app.test_client()
    assert MARKER not in _dump_database(demo_app)
    counts_before = _row_counts(demo_app)
    queries = [
        {"q": f"{MARKER} naloxone"},
        {"q": f"naloxone {MARKER}", "category": "harm-reduction"},
        {"q": f"{MARKER} near 97201"},
        {"q": "naloxone", "near": MARKER},
        {"q": f"support {MARKER}", "cost": "free", "open": "1", "page": "2"},
        {"q": MARKER[:-2] + "yc"},  # a typo of it: the fuzzy path
    ]
    for lang in ("en", "es"):
        for params in queries:
            assert client.get(f"/{lang}/search", query_string=params).status_code == 200
    dump = _dump_database(demo_app)
    assert MARKER not in dump and MARKER[:-2] not in dump
    counts_after = _row_counts(demo_app)
    changed = {name for name in counts_after if counts_after[name] != counts_before[name]}
    assert changed == {"search_count"}  # the only rows a search writes
    with demo_app.app_context():
        columns = {c.name for c in SearchCount.__table__.columns}
        assert columns == {"id", "day", "category_code", "searches"}
        assert db.session.scalar(sa.select(sa.func.sum(SearchCount.searches))) >= 1
    logged = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    assert MARKER not in logged and MARKER[:-2] not in logged
    # Nor anywhere in the instance folder's files (database pages, index, outbox position).
    for path in Path(demo_app.config["INSTANCE_PATH"]).rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
