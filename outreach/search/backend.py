"""The small interface every search engine implements; the rest of the app sees only this."""
from __future__ import annotations

import hashlib
import json
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Protocol

# Filter fields a query may restrict on, and the age groups (inclusive ranges in years).
FACET_FIELDS = ("category", "attribute", "language")
AGE_GROUPS = {"youth": (0, 17), "young-adult": (18, 25), "adult": (26, 64), "older-adult": (65, 150)}


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows about one service: ids, per-locale text and filterable codes."""

    service_id: str
    texts: dict[str, dict[str, str]]  # locale -> {"name", "description", "organization", "categories"}
    categories: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    minimum_age: int | None = None
    maximum_age: int | None = None
    geo: tuple[str, ...] = ()  # the grid cells of its places, or "none" / "wide" (see .geocells)

    @property
    def version(self) -> str:
        """A digest of everything indexed, so `check` can spot stale documents."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha1(payload).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class GeoFilter:
    """Services with a ``geo`` term in ``inner``, and those with one in ``edge`` for which ``keep``
    says yes (it measures them: edge cells straddle the circle's rim); never those in ``excluded``
    (a few service ids, known beforehand)."""

    inner: tuple[str, ...]
    edge: tuple[str, ...] = ()
    keep: Callable[[str], bool] = field(default=lambda service_id: True)
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SearchQuery:
    text: str
    locale: str
    # Each entry is (field, values): a document must match one of the values of every entry.
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    restrict_to: frozenset[str] | None = None  # only these service ids (e.g. open now)
    near: GeoFilter | None = None  # only services in these cells (engines that index ``geo``)
    with_facets: bool = True  # False: no counts per filter value (a list shown apart needs none)
    widen: bool = True  # when the words find few: any of them, then spellings like them ("did you mean")
    page: int = 1
    per_page: int = 20
    all_hits: bool = False  # every hit id in rank order (for sorting by distance)


@dataclass(frozen=True)
class SearchHits:
    service_ids: list[str]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None  # "did you mean" from the index's own words
    is_fuzzy: bool = False  # results came from the typo-tolerant fallback
    terms: frozenset[str] = frozenset()  # folded words that matched, for highlighting


@dataclass(frozen=True)
class IndexReport:
    missing: list[str]
    extra: list[str]
    stale: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not self.missing and not self.extra and not self.stale


class IndexBusy(Exception):
    """Another process holds the index's write lock for longer than we are willing to wait."""


class SearchBackend(Protocol):
    """index / remove / search / reindex / check, plus the lock and folder the outbox sync uses."""

    state_dir: Path  # where this machine's outbox position is kept (beside the index)
    indexes_places: bool  # answers SearchQuery.near (documents' ``geo`` cells); else restrict_to is used

    def exists(self) -> bool: ...

    def index(self, documents: Iterable[SearchDocument], removed_ids: Iterable[str] = (), *, timeout: float = 10.0) -> int: ...

    def remove(self, service_ids: Iterable[str], *, timeout: float = 10.0) -> None: ...

    def reindex(self, documents: Iterable[SearchDocument], *, timeout: float = 60.0) -> int: ...

    def search(self, query: SearchQuery) -> SearchHits: ...

    def check(self, expected: Mapping[str, str]) -> IndexReport: ...

    def doc_frequency(self, field: str, text: str) -> int: ...  # documents holding an analyzed word

    def doc_count(self) -> int: ...

    def sync_lock(self, timeout: float) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...
