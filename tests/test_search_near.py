"""Near a place inside the engine (tantivy's ``geo`` cell terms) gives the answer of measuring every place.

The cell covering is checked against exact distances; then, on the demo directory plus a few hundred
services scattered across the Portland area (some with confidential addresses, some state-wide, some
by phone only), every search near a place is run both ways — as a filter inside the engine and by
restricting to the services measured within the radius — and must give the same listings, counts,
facets, distances and by-phone list.
"""
from __future__ import annotations

import random

import pytest

from outreach.directory.models import Attribute, Location, ServiceArea, TaxonomyTerm
from outreach.extensions import db
from outreach.geo.services import Point, distance_miles
from outreach.search.geocells import cell_terms, covering
from outreach.search.services import RADIUS_CHOICES, SearchForm, search_directory
from outreach.search.tantivy_backend import TantivyBackend
from tests import factories
from tests.conftest import _dispose
from tests.crawling import copy_demo_app


@pytest.mark.parametrize("radius", [1, 2, 5, 10, 25, 50, 120])
@pytest.mark.parametrize("center", [Point(45.52, -122.68), Point(-33.87, 151.21), Point(0.004, -0.004), Point(61.2, -149.9)])
def test_covering_keeps_every_place_within_and_inner_cells_only_hold_places_within(center, radius):
    inner, edge = covering(center, radius)
    inner, edge = set(inner), set(edge)
    assert inner and edge and not inner & edge
    rng = random.Random(radius)
    span = radius / 69 * 1.6
    checked = within = 0
    for _ in range(4000):
        point = Point(center.latitude + rng.uniform(-span, span),
                      center.longitude + rng.uniform(-span, span) / max(0.2, abs(__import__("math").cos(center.latitude / 57.3))))
        terms = set(cell_terms([point]))
        miles = distance_miles(center, point)
        if terms & inner:
            assert miles <= radius, (point, miles)
        if miles <= radius:
            within += 1
            assert terms & (inner | edge), (point, miles)
        checked += 1
    assert within > 100  # the sample really straddles the rim


def test_covering_declines_circles_across_the_date_line_or_near_a_pole():
    assert covering(Point(52.0, 179.9), 25) is None
    assert covering(Point(89.5, 10.0), 5) is None


@pytest.fixture
def tantivy_app(tmp_path, demo_template):
    application = copy_demo_app(demo_template, tmp_path, SEARCH_BACKEND="tantivy", PAGE_SIZE=7)
    with application.app_context():
        _scatter_services(random.Random(5))
        from outreach.search.services import reindex

        reindex(timeout=120)
    yield application
    _dispose(application)


def _scatter_services(rng: random.Random) -> None:
    """Services around Portland, many of them close to the rim of the circles the test searches."""
    categories = list(db.session.scalars(db.select(TaxonomyTerm).where(TaxonomyTerm.code.in_(
        ["naloxone", "support-groups", "treatment", "harm-reduction", "crisis"]))))
    flags = list(db.session.scalars(db.select(TaxonomyTerm).where(TaxonomyTerm.code.in_(["free", "walk-in"]))))
    org = factories.organization("Scattered test organization")
    words = ["naloxone kit", "recovery support group", "treatment clinic", "peer support", "naloxone training"]
    for n in range(240):
        kind = n % 12
        item = factories.service(org, name=f"{rng.choice(words).title()} {n}", with_location=kind != 0, confidential=kind == 1)
        item.description = f"{rng.choice(words)} and {rng.choice(words)}"
        for term in rng.sample(categories, 2) + rng.sample(flags, rng.randint(0, 2)):
            db.session.add(Attribute(link_entity="service", link_id=item.id, taxonomy_term_id=term.id))
        if kind in (2, 3):
            db.session.add(ServiceArea(service_id=item.id, name="Oregon", extent_type="state"))
        if kind != 0:
            location = db.session.get(Location, item.service_at_locations[0].location_id)
            # Spread over ±0.9° (a 50-mile circle and more) around downtown Portland.
            location.latitude = 45.52 + rng.uniform(-0.9, 0.9)
            location.longitude = -122.68 + rng.uniform(-1.2, 1.2)
            if kind == 4:  # a second place far away
                extra = Location(organization=org, name="Second", latitude=44.05, longitude=-123.09, source_locale="en")
                db.session.add(extra)
                item.service_at_locations.append(type(item.service_at_locations[0])(location=extra))
    db.session.commit()


def _answer(form: SearchForm) -> tuple:
    outcome = search_directory(form, "en")
    shown = [s.id for s in outcome.results.items]
    return (
        shown, outcome.results.total, [s.id for s in outcome.remote],
        {name: dict(counts) for name, counts in outcome.facets.items()},
        {i: round(outcome.distances[i], 9) for i in shown if i in outcome.distances},
        outcome.suggestion, outcome.is_fuzzy, outcome.place_error is None,
    )


def test_near_a_place_in_the_engine_equals_measuring_every_place(tantivy_app, monkeypatch):
    forms = []
    for text in ("naloxone", "support group", "treatment", "naloxnoe", "peer"):
        for place in ("97201", "97030", "97005", "97266", "Gresham"):
            for radius in RADIUS_CHOICES:
                forms.append(SearchForm(text=text, place=place, radius=radius))
    forms += [SearchForm(text="naloxone", place="97201", radius=25, page=2),
              SearchForm(text="naloxone", place="97201", radius=50, page=3),
              SearchForm(text="support", place="97030", radius=10, costs=("free",)),
              SearchForm(text="support", place="97030", radius=25, category="naloxone", flags=("walk-in",))]
    with tantivy_app.test_request_context("/en/search"):
        engine_answers = [_answer(form) for form in forms]
        monkeypatch.setattr(TantivyBackend, "indexes_places", False)
        measured_answers = [_answer(form) for form in forms]
    differing = [(form, a, b) for form, a, b in zip(forms, engine_answers, measured_answers) if a != b]
    assert not differing, differing[:2]
    # The comparison is not empty: results near and far, by-phone lists, several pages.
    assert sum(1 for a in engine_answers if a[0]) > len(forms) * 0.6
    assert any(a[2] for a in engine_answers)
    assert any(a[1] > 14 for a in engine_answers)


def test_near_a_place_asks_again_when_the_first_hits_hold_too_many_beyond_the_radius(tantivy_app, monkeypatch):
    """With no slack the first hits asked for with the count are the page plus as many again, so
    where more of those lie beyond the radius the engine must ask for more: same answers as measuring."""
    import outreach.search.tantivy_backend as tantivy_backend

    monkeypatch.setattr(tantivy_backend, "SLACK", 0)
    monkeypatch.setitem(tantivy_app.config, "PAGE_SIZE", 1)  # one hit a page: two asked for first
    forms = [SearchForm(text=text, place=place, radius=radius, page=page)
             for text in ("naloxone", "support group") for place in ("97201", "97266", "Gresham")
             for radius in RADIUS_CHOICES for page in (1, 2, 3)]
    asked_again = []
    search = tantivy_backend.TantivyBackend._search

    def counting(self, searcher, query, synonyms):
        calls = []
        real = searcher.search

        class Watch:
            def __getattr__(self, name):
                return getattr(searcher, name)

            def search(self, *args, **kwargs):
                calls.append(kwargs.get("count"))
                return real(*args, **kwargs)

        hits = search(self, Watch(), query, synonyms)
        if query.near is not None and query.near.edge and calls.count(False) >= 2:
            asked_again.append(query)
        return hits

    with tantivy_app.test_request_context("/en/search"):
        monkeypatch.setattr(tantivy_backend.TantivyBackend, "_search", counting)
        engine_answers = [_answer(form) for form in forms]
        monkeypatch.setattr(TantivyBackend, "indexes_places", False)
        measured_answers = [_answer(form) for form in forms]
    assert engine_answers == measured_answers
    assert asked_again, "no search needed more than its first hits: the case is not exercised"


@pytest.mark.parametrize("excluded_by_id", [0, 10_000])
def test_the_by_phone_list_near_a_place_is_the_same_whether_wide_services_are_left_out_by_id_or_measured(
        tantivy_app, monkeypatch, excluded_by_id):
    """State-wide services with a place within the radius are left out of the list apart: by id when
    they are few, by measuring the rim otherwise; both give what measuring every place gives."""
    import outreach.search.services as search_services

    monkeypatch.setattr(search_services, "EXCLUDED_BY_ID", excluded_by_id)
    forms = [SearchForm(text=text, place=place, radius=radius)
             for text in ("naloxone", "support group", "treatment") for place in ("97201", "97030", "Gresham")
             for radius in RADIUS_CHOICES]
    left_out = []
    real_filter = TantivyBackend._filter

    def watched_filter(self, query, **options):
        if query.near is not None:
            left_out.append(query.near.excluded)
        return real_filter(self, query, **options)

    monkeypatch.setattr(TantivyBackend, "_filter", watched_filter)
    with tantivy_app.test_request_context("/en/search"):
        engine_answers = [_answer(form) for form in forms]
    assert any(left_out) == (excluded_by_id > 0)  # some wide services had a place within the radius
    with tantivy_app.test_request_context("/en/search"):
        monkeypatch.setattr(TantivyBackend, "indexes_places", False)
        measured_answers = [_answer(form) for form in forms]
    assert engine_answers == measured_answers
    assert sum(1 for a in engine_answers if a[2]) > len(forms) / 2  # by-phone lists were compared
