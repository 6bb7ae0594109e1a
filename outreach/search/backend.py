"""The small interface every search engine implements; the rest of the app sees only this."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol


@dataclass(frozen=True)
class SearchDocument:
    """What the index knows about one service: ids, per-locale text and filterable codes."""

    service_id: str
    texts: dict[str, dict[str, str]]  # locale -> {"name": …, "description": …, "organization": …}
    categories: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHits:
    service_ids: list[str]
    total: int
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexReport:
    missing: list[str]
    extra: list[str]

    @property
    def is_clean(self) -> bool:
        return not self.missing and not self.extra


class SearchBackend(Protocol):
    def index(self, documents: Iterable[SearchDocument]) -> None: ...

    def remove(self, service_ids: Iterable[str]) -> None: ...

    def search(
        self, query: str, locale: str, *, categories: Iterable[str] = (), limit: int = 20, offset: int = 0
    ) -> SearchHits: ...

    def reindex(self, documents: Iterable[SearchDocument]) -> int: ...

    def check(self, expected_ids: Iterable[str]) -> IndexReport: ...

    def exists(self) -> bool: ...
