"""Answering a resident's search: words, filters, place and distance, then the page of listings."""
from __future__ import annotations

import atexit
import math
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date
from time import monotonic

from flask import current_app, g, has_request_context
from sqlalchemy import or_, select

from ..caching import LISTINGS, data_versions
from ..directory import hours
from ..directory.models import Schedule, Service
from ..directory.services import Page, now, services_by_ids
from ..extensions import db
from ..geo.services import EARTH_RADIUS_MILES, Point, distance_miles
from ..i18n.models import TranslatedText
from . import backend, synonym_store
from .backend import AGE_GROUPS, GeoFilter, SearchHits, SearchQuery
from .fields import FEW_RESULTS
from .geocells import NO_PLACE, WIDE_AREA, covering
from .documents import SEARCHABLE_STATUSES

# check_index … town_names are re-exported: the CLI and tests reach them through this module.
from .indexing import check_index, ensure_index, freshen, prune_outbox, reindex, sync  # noqa: F401
from ..insights.counting import increment
from .models import SearchCount
from .outbox import latest_outbox_id
from .places import (  # noqa: F401
    NEAR_IN_TEXT,
    Place,
    PlaceNotFound,
    resolve_place,
    service_points,
    split_place,
    town_names,
    wide_area_services,
)

MAX_QUERY_LENGTH = 200
RADIUS_CHOICES = (2, 5, 10, 25, 50)
REMOTE_SHOWN = 10  # by phone, online or state-wide: listed apart under the services near a place
DEFAULT_RADIUS = 10
COST_CODES = ("free", "sliding-scale", "accepts-insurance")
FLAG_CODES = ("walk-in", "no-id-required", "remote-only")


class _Snapshot:
    """Per-process cache of what is costly to compute per query, dropped when listings change.

    Each part is read on first use after a change: a word search needs none of them, a search near a
    place the places, "open now" the schedules (at 50,000 listings all of them cost ~0.8 s to read).
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.version: tuple | None = None
        self._points: dict[str, list[Point]] | None = None
        self._wide: set[str] | None = None
        self._schedules: dict[str, list] | None = None
        self.open_ids: frozenset[str] = frozenset()
        self.open_minute: int = -1
        self.remote: set[str] | None = None  # searchable services with no place, computed on first use
        # (latitude, longitude, radius) -> {service id: miles}: residents ask about few distinct places.
        self.nearby: dict[tuple[float, float, int], dict[str, float]] = {}
        self.flat: tuple[list, list, list, list] | None = None  # every place: owner, unit vector x, y, z
        self._vectors: dict[str, list[tuple[float, float, float]]] | None = None
        self.rims: dict[tuple[float, float, int], dict[str, bool]] = {}  # circle -> {service id: within?}

    def reset(self, version: tuple) -> None:
        self._points = self._wide = self._schedules = None
        self.remote = None
        self.open_minute = -1
        self.nearby = {}
        self.flat = None
        self._vectors = None
        self.rims = {}
        self.version = version

    @property
    def points(self) -> dict[str, list[Point]]:
        """{service id: the points it is measured from}."""
        with self.lock:
            if self._points is None:
                self._points = service_points()
            return self._points

    @property
    def wide(self) -> set[str]:
        """Services serving the whole state or the nation."""
        with self.lock:
            if self._wide is None:
                self._wide = wide_area_services()
            return self._wide

    @property
    def schedules(self) -> dict[str, list]:
        """{service id: its weekly rules}."""
        with self.lock:
            if self._schedules is None:
                schedules: dict[str, list] = {}
                rule_rows = db.session.execute(
                    select(Schedule.service_id, Schedule.byday, Schedule.opens_at, Schedule.closes_at, Schedule.timezone_name,
                           Schedule.valid_from, Schedule.valid_to).where(Schedule.service_id.is_not(None))
                )
                for service_id, *rule in rule_rows:
                    schedules.setdefault(service_id, []).append(hours.WeeklyRule(*rule))
                self._schedules = schedules
            return self._schedules

    def within(self, point: Point, radius: int) -> dict[str, float]:
        key = (round(point.latitude, 5), round(point.longitude, 5), radius)
        found = self.nearby.get(key)
        if found is None:
            found = self._measure(point, radius)
            if len(self.nearby) >= 512:
                self.nearby.clear()
            self.nearby[key] = found
        return found

    def within_test(self, point: Point, radius: int) -> Callable[[str], bool]:
        """``test(service_id)``: is any of the service's places within ``radius`` of ``point``? The
        same measure as :meth:`_measure`, for one service at a time, each answer kept per circle
        (a search near a place measures only the services along the circle's rim)."""
        key = (round(point.latitude, 5), round(point.longitude, 5), radius)
        with self.lock:
            answers = self.rims.get(key)
            if answers is None:
                if len(self.rims) >= 512:
                    self.rims.clear()
                answers = self.rims[key] = {}
            vectors = self.vectors
        x0, y0, z0 = _unit_vector(point)
        limit = _chord_limit(radius)
        surely = limit * (1 - 4e-9)  # well inside: no need for the exact figure
        diameter, asin, sqrt = 2 * EARTH_RADIUS_MILES, math.asin, math.sqrt

        def test(service_id: str) -> bool:
            answer = answers.get(service_id)
            if answer is None:
                answer = False
                for x, y, z in vectors.get(service_id, ()):
                    dx, dy, dz = x - x0, y - y0, z - z0
                    squared = dx * dx + dy * dy + dz * dz
                    if squared <= surely or (squared <= limit and diameter * asin(min(1.0, sqrt(squared) / 2)) <= radius):
                        answer = True
                        break
                answers[service_id] = answer
            return answer

        return test

    @property
    def vectors(self) -> dict[str, list[tuple[float, float, float]]]:
        """{service id: its places as unit vectors}."""
        with self.lock:
            if self._vectors is None:
                self._vectors = {service_id: [_unit_vector(p) for p in points] for service_id, points in self.points.items()}
            return self._vectors

    def _measure(self, point: Point, radius: int) -> dict[str, float]:
        """{service id: miles to its nearest place} for the services within ``radius`` of ``point``.

        Each place is kept with the snapshot as a unit vector on the sphere: a place is within the
        radius when the straight line (chord) to the origin's vector is at most 2 sin(radius / 2R), and
        its great-circle distance is 2R asin(chord / 2), the haversine figure of
        :func:`distance_miles` (to a billionth of a mile). One flat loop, one asin per place inside:
        50,000 places within 10 miles, ~70 ms with a call per place, ~12 ms here.
        """
        if self.flat is None:
            owners, xs, ys, zs = [], [], [], []
            for service_id, vectors in self.vectors.items():
                for x, y, z in vectors:
                    owners.append(service_id)
                    xs.append(x)
                    ys.append(y)
                    zs.append(z)
            self.flat = (owners, xs, ys, zs)
        owners, xs, ys, zs = self.flat
        x0, y0, z0 = _unit_vector(point)
        limit = _chord_limit(radius)
        asin, sqrt, inf, diameter = math.asin, math.sqrt, math.inf, 2 * EARTH_RADIUS_MILES
        found: dict[str, float] = {}
        for owner, x, y, z in zip(owners, xs, ys, zs):
            dx, dy, dz = x - x0, y - y0, z - z0
            squared = dx * dx + dy * dy + dz * dz
            if squared <= limit:
                half = sqrt(squared) / 2
                miles = diameter * asin(half if half < 1.0 else 1.0)
                if miles <= radius and miles < found.get(owner, inf):
                    found[owner] = miles
        return found


def _unit_vector(point: Point) -> tuple[float, float, float]:
    lat, lon = math.radians(point.latitude), math.radians(point.longitude)
    return math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)


def _chord_limit(radius: float) -> float:
    """The squared straight line through the sphere that a great-circle ``radius`` spans (with a hair
    of tolerance: the exact figure decides)."""
    chord = 2 * math.sin(min(math.pi, radius / EARTH_RADIUS_MILES) / 2)
    return chord * chord * (1 + 1e-9)


_snapshots: dict[int, _Snapshot] = {}


def _snapshot() -> _Snapshot:
    app = current_app._get_current_object()
    snap = _snapshots.setdefault(id(app), _Snapshot())
    # Any change to a listing (its places included) moves the listings version; the outbox position
    # also follows changes written before a bulk loader bumped it.
    latest = g.pop("outreach_outbox_latest", None) if has_request_context() else None  # freshen() read it just before
    version = (latest_outbox_id() if latest is None else latest, data_versions().get(LISTINGS, 0))
    with snap.lock:
        if snap.version != version:
            snap.reset(version)
        return snap


def open_now_ids() -> frozenset[str]:
    """The services open this minute, worked out when a search asks for "open now" (not on every
    search), once per distinct set of weekly rules: most listings share a few (Monday to Friday, 9 to
    5), so 50,000 listings cost a few hundred rule evaluations, not 50,000."""
    snap = _snapshot()
    current = now()
    minute = int(current.timestamp() // 60)
    with snap.lock:
        if snap.open_minute != minute:
            closed = set(db.session.scalars(select(Service.id).where(Service.status != "active")))
            open_by_rules: dict[tuple, bool] = {}
            open_ids = []
            for service_id, rules in snap.schedules.items():
                if service_id in closed:
                    continue
                key = tuple(rules)
                is_open = open_by_rules.get(key)
                if is_open is None:
                    is_open = open_by_rules[key] = hours.open_status(rules, current).is_open
                if is_open:
                    open_ids.append(service_id)
            snap.open_ids = frozenset(open_ids)
            snap.open_minute = minute
        return snap.open_ids


# -- answering a search ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchForm:
    """What a resident asked for, from the query string (every field optional)."""

    text: str = ""
    category: str | None = None
    languages: tuple[str, ...] = ()
    costs: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    age: str | None = None
    open_now: bool = False
    place: str = ""
    radius: int = DEFAULT_RADIUS
    sort: str = "relevance"
    page: int = 1

    @property
    def has_filters(self) -> bool:
        return bool(self.category or self.languages or self.costs or self.flags or self.age or self.open_now)

    @property
    def is_empty(self) -> bool:
        return not (self.text.strip() or self.place.strip() or self.has_filters)


@dataclass
class SearchOutcome:
    form: SearchForm
    query: str
    results: Page[Service]
    remote: list[Service] = field(default_factory=list)  # phone/online/statewide, listed apart when near a place
    distances: dict[str, float] = field(default_factory=dict)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    is_fuzzy: bool = False
    terms: frozenset[str] = frozenset()
    place: Place | None = None
    place_error: PlaceNotFound | None = None
    was_truncated: bool = False
    notice: str | None = None
    counted: tuple[str, ...] = ()  # the categories this search was counted under (anonymous demand)


def _filters(form: SearchForm) -> tuple[tuple[str, tuple[str, ...]], ...]:
    filters: list[tuple[str, tuple[str, ...]]] = []
    if form.category:
        filters.append(("category", (form.category,)))
    if form.languages:
        filters.append(("language", form.languages))
    if form.costs:
        filters.append(("attribute", form.costs))
    for flag in form.flags:
        filters.append(("attribute", (flag,)))
    if form.age in AGE_GROUPS:
        filters.append(("age", (form.age,)))
    return tuple(filters)


def search_directory(form: SearchForm, locale: str) -> SearchOutcome:
    per_page = current_app.config["PAGE_SIZE"]
    text = " ".join(form.text.split())
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    place_text = form.place.strip()
    place_in_text = False
    if not place_text:
        words, place_text = split_place(text)
        if place_text:
            text, place_in_text = words, True
    outcome = SearchOutcome(form=form, query=text, results=Page([], 0, form.page, per_page), was_truncated=truncated)
    if place_text:
        try:
            outcome.place = resolve_place(place_text)
        except PlaceNotFound as error:
            if place_in_text and not error.is_zip and not NEAR_IN_TEXT.search(form.text):
                # "grupo en español", "counseling in Russian": "in"/"en" followed by words that are
                # no town we know is part of what they need, not a place. Search the whole text.
                text = " ".join(form.text.split())[:MAX_QUERY_LENGTH]
                outcome.query = text
            else:
                outcome.place_error = error
                return outcome
    outcome.notice = freshen()
    if outcome.notice:
        return _database_fallback(outcome, text, locale, per_page)
    engine = backend()
    synonyms = synonym_store().combined((locale, "en"))
    if outcome.place:
        _search_near(outcome, text, locale, engine, synonyms)
    else:
        restrict = open_now_ids() if form.open_now else None
        query = SearchQuery(text=text, locale=locale, filters=_filters(form), restrict_to=restrict,
                            page=form.page, per_page=per_page, all_hits=not text)
        hits: SearchHits = engine.search(query, synonyms=synonyms)
        _take(outcome, hits)
        if text:
            outcome.results = Page(services_by_ids(hits.service_ids), hits.total, form.page, per_page)
        else:
            ranked = _by_name(hits.service_ids)
            start = (form.page - 1) * per_page
            _show(outcome, ranked[start : start + per_page], [], len(ranked))
    if form.page == 1:
        _count_search(form, outcome)
    return outcome


def _take(outcome: SearchOutcome, hits: SearchHits) -> None:
    outcome.facets, outcome.suggestion, outcome.is_fuzzy, outcome.terms = hits.facets, hits.suggestion, hits.is_fuzzy, hits.terms


def _show(outcome: SearchOutcome, shown: list[str], remote: list[str], total: int) -> None:
    per_page = current_app.config["PAGE_SIZE"]
    loaded = {service.id: service for service in services_by_ids(shown + remote)}  # one hydration for both lists
    outcome.remote = [loaded[i] for i in remote if i in loaded]
    outcome.results = Page([loaded[i] for i in shown if i in loaded], total, outcome.form.page, per_page)


@lru_cache(maxsize=1024)
def _covering(point: Point, radius: int) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    cover = covering(point, radius)
    return (tuple(cover[0]), tuple(cover[1])) if cover is not None else None


EXCLUDED_BY_ID = 64  # an engine excludes a few ids cheaply; thousands cost more than measuring them


def _search_near(outcome: SearchOutcome, text: str, locale: str, engine, synonyms) -> None:
    """The services within the radius (their count, filter counts and a page of them), and apart
    from them up to ten that serve residents by phone, online or state-wide.

    Ranked by relevance, with an engine that indexes places (tantivy), the place is a filter inside
    the engine: only services in the cells along the circle's rim are measured, and distances are
    worked out for the cards shown. Otherwise (Whoosh; "open now"; sorted by distance; no words),
    every place is measured (kept per place and radius) and the search restricted to those within.
    """
    form = outcome.form
    per_page = current_app.config["PAGE_SIZE"]
    snapshot = _snapshot()
    origin, radius = outcome.place.point, form.radius
    within = snapshot.within_test(origin, radius)
    open_ids = open_now_ids() if form.open_now else None
    filters = _filters(form)
    cover = None
    if text and form.sort != "distance" and open_ids is None and engine.indexes_places:
        cover = _covering(origin, radius)
    if cover is not None:
        query = SearchQuery(text=text, locale=locale, filters=filters, page=form.page, per_page=per_page,
                            near=GeoFilter(cover[0], cover[1], within))
        hits: SearchHits = engine.search(query, synonyms=synonyms)
        shown, total = hits.service_ids, hits.total
        points = snapshot.points
        outcome.distances = {i: min(distance_miles(origin, p) for p in points[i]) for i in shown if points.get(i)}
        # Apart: services with no place, and state- or nation-wide ones with no place within the radius
        # (usually a handful have one there: left out by id, nothing to measure per search).
        wide_within = frozenset(i for i in snapshot.wide if within(i))
        if len(wide_within) <= EXCLUDED_BY_ID:
            remote_near = GeoFilter((NO_PLACE, WIDE_AREA), excluded=wide_within)
        else:
            remote_near = GeoFilter((NO_PLACE,), (WIDE_AREA,), lambda i: not within(i))
        remote_query = SearchQuery(text=text, locale=locale, filters=filters, per_page=REMOTE_SHOWN, with_facets=False,
                                   near=remote_near)
    else:
        outcome.distances = dict(snapshot.within(origin, radius))
        local = frozenset(outcome.distances) if open_ids is None else frozenset(outcome.distances).intersection(open_ids)
        query = SearchQuery(text=text, locale=locale, filters=filters, restrict_to=local, all_hits=True)
        hits = engine.search(query, synonyms=synonyms)
        ranked = hits.service_ids
        if form.sort == "distance" or not text:
            ranked = sorted(ranked, key=lambda i: outcome.distances[i])
        start = (form.page - 1) * per_page
        shown, total = ranked[start : start + per_page], len(ranked)
        remote_ids = _remote_ids(snapshot) | {i for i in snapshot.wide if not within(i)}
        if open_ids is not None:
            remote_ids &= open_ids
        remote_query = SearchQuery(text=text, locale=locale, filters=filters, restrict_to=frozenset(remote_ids),
                                   per_page=REMOTE_SHOWN, with_facets=False)
    _take(outcome, hits)
    # The list apart is read the way the main one was: widened only when the words found few.
    remote_query = replace(remote_query, widen=hits.is_fuzzy or hits.total < FEW_RESULTS)
    remote = engine.search(remote_query, synonyms=synonyms).service_ids[:REMOTE_SHOWN]
    _show(outcome, shown, remote, total)


def _remote_ids(snapshot: _Snapshot) -> set[str]:
    """Services with no place at all: phone, online, or statewide lines (kept with the snapshot:
    a status change writes an outbox row, which gives the snapshot a new version)."""
    remote = snapshot.remote
    if remote is None:
        with_place = snapshot.points
        remote = {i for i in db.session.scalars(select(Service.id).where(Service.status.in_(SEARCHABLE_STATUSES)))
                  if i not in with_place}
        snapshot.remote = remote
    return remote


def _by_name(ids: list[str]) -> list[str]:
    names = dict(db.session.execute(select(Service.id, Service.name).where(Service.id.in_(ids))).all()) if ids else {}
    return sorted(ids, key=lambda i: (names.get(i) or "").lower())


def _database_fallback(outcome: SearchOutcome, text: str, locale: str, per_page: int) -> SearchOutcome:
    """While the index is being rebuilt: a plain database match on names and descriptions."""
    like = f"%{text[:60]}%"
    translated = select(TranslatedText.link_id).where(
        TranslatedText.link_entity == "service", TranslatedText.field.in_(("name", "description")), TranslatedText.value.ilike(like)
    )
    statement = select(Service.id).where(
        Service.status.in_(SEARCHABLE_STATUSES),
        or_(Service.name.ilike(like), Service.description.ilike(like), Service.id.in_(translated)),
    )
    ids = _by_name(list(db.session.scalars(statement)))
    start = (outcome.form.page - 1) * per_page
    outcome.results = Page(services_by_ids(ids[start : start + per_page]), len(ids), outcome.form.page, per_page)
    return outcome


def _count_search(form: SearchForm, outcome: SearchOutcome) -> None:
    """Anonymous demand: one count per search for its category, never the words or the person."""
    codes = {form.category} if form.category else set()
    if not codes and outcome.results.items:
        top = outcome.results.items[0].terms("categories")
        codes = {(term.parent or term).code for term in top[:1]}
    outcome.counted = tuple(sorted(codes))
    count_searches(outcome.counted)


class _CountBuffer:
    """A worker's anonymous search counts not yet written: {(day, category code): searches}."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.pending: Counter[tuple[date, str]] = Counter()
        self.written_at = monotonic()


_count_buffers: weakref.WeakSet[_CountBuffer] = weakref.WeakSet()  # every app's, for the flush at exit
_count_buffers_lock = threading.Lock()


def count_searches(codes: Sequence[str]) -> None:
    """Add one search to today's count of each category (also for a page served from the page cache).

    Counts are added up in the worker and written every ``SEARCH_COUNT_FLUSH_SECONDS`` by the search
    that finds them due, and when the worker stops (a write and, on SQLite, an fsync per search cost
    ~6 ms; a worker killed outright loses at most those seconds of counts, never a resident's data).
    """
    if not codes:
        return
    app = current_app._get_current_object()
    with _count_buffers_lock:
        buffer = app.extensions.get("outreach_search_counts")
        if buffer is None:
            buffer = app.extensions["outreach_search_counts"] = _CountBuffer(app)
            _count_buffers.add(buffer)
    today = now().date()
    with buffer.lock:
        for code in codes:
            buffer.pending[(today, code)] += 1
        due = monotonic() - buffer.written_at >= app.config["SEARCH_COUNT_FLUSH_SECONDS"]
    if due:
        _write_counts(buffer)


def flush_search_counts() -> None:
    """Write every worker-held count now (at exit; tests)."""
    for buffer in list(_count_buffers):
        with buffer.app.app_context():
            _write_counts(buffer)


def _write_counts(buffer: _CountBuffer) -> None:
    """Written on a connection of its own, so the page's loaded listings are not expired by a commit."""
    with buffer.lock:
        pending, buffer.pending = buffer.pending, Counter()
        buffer.written_at = monotonic()
    if not pending:
        return
    try:
        with db.engine.begin() as connection:
            for (day, code), searches in sorted(pending.items()):
                increment(connection, SearchCount.__table__, {"day": day, "category_code": code}, "searches", searches)
    except Exception:  # a lost count must never cost a resident their results
        current_app.logger.warning("Could not record %d anonymous search counts", sum(pending.values()))


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush_search_counts()
    except Exception:  # the interpreter is stopping: nothing more can be done
        pass
