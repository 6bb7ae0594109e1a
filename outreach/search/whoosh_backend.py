"""Whoosh (2.7.4, pinned) implementation of :class:`SearchBackend`.

One document per service with per-locale fields; each locale's text goes through that language's
stemmer where Whoosh has one, and every field folds accents so "adiccion" finds "adicción".
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Or, Term
from whoosh.support.charset import accent_map

from .backend import IndexReport, SearchDocument, SearchHits

STEMMED_LANGUAGES = {"en": "english", "es": "spanish", "fr": "french", "ru": "russian"}
TEXT_FIELDS = ("name", "description", "organization", "categories")
FIELD_BOOSTS = {"name": 4.0, "organization": 2.0, "categories": 2.0, "description": 1.0}


def analyzer_for(locale: str):
    chain = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
    language = STEMMED_LANGUAGES.get(locale)
    if language:
        try:
            chain = chain | StopFilter(lang=language) | StemFilter(lang=language)
        except Exception:  # Whoosh has no stop list for this language: stem only.
            chain = chain | StemFilter(lang=language)
    return chain


def field_name(field: str, locale: str) -> str:
    return f"{field}_{locale}"


def build_schema(locales: Iterable[str]) -> Schema:
    fields: dict[str, object] = {
        "service_id": ID(stored=True, unique=True),
        "category": KEYWORD(commas=True),
        "attribute": KEYWORD(commas=True),
        "language": KEYWORD(commas=True),
    }
    for locale in locales:
        analyzer = analyzer_for(locale)
        for field in TEXT_FIELDS:
            fields[field_name(field, locale)] = TEXT(analyzer=analyzer, field_boost=FIELD_BOOSTS[field])
    return Schema(**fields)


class WhooshBackend:
    def __init__(self, index_dir: str, locales: tuple[str, ...]):
        self.index_dir = Path(index_dir)
        self.locales = locales
        self.schema = build_schema(locales)
        self._lock = threading.Lock()
        self._index = None
        self._searcher = None

    # -- index lifecycle -------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.index_dir.is_dir() and whoosh_index.exists_in(str(self.index_dir))

    def _open(self):
        if self._index is None:
            if not self.exists():
                self.index_dir.mkdir(parents=True, exist_ok=True)
                self._index = whoosh_index.create_in(str(self.index_dir), self.schema)
            else:
                self._index = whoosh_index.open_dir(str(self.index_dir))
        return self._index

    def _fresh_searcher(self):
        with self._lock:
            if self._searcher is None:
                self._searcher = self._open().searcher()
            else:
                self._searcher = self._searcher.refresh()
            return self._searcher

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            if self._index is not None:
                self._index.close()
                self._index = None

    # -- writing ---------------------------------------------------------------------------------

    def _fields_for(self, document: SearchDocument) -> dict[str, str]:
        fields = {
            "service_id": document.service_id,
            "category": ",".join(document.categories),
            "attribute": ",".join(document.attributes),
            "language": ",".join(document.languages),
        }
        for locale in self.locales:
            texts = document.texts.get(locale, {})
            for field in TEXT_FIELDS:
                value = texts.get(field)
                if value:
                    fields[field_name(field, locale)] = value
        return fields

    def index(self, documents: Iterable[SearchDocument]) -> None:
        writer = self._open().writer(timeout=10.0)
        try:
            for document in documents:
                writer.update_document(**self._fields_for(document))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def remove(self, service_ids: Iterable[str]) -> None:
        writer = self._open().writer(timeout=10.0)
        try:
            for service_id in service_ids:
                writer.delete_by_term("service_id", service_id)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def reindex(self, documents: Iterable[SearchDocument]) -> int:
        """Build a new index beside the old one and swap it in, so searches never see half an index."""
        self.close()
        building = self.index_dir.with_name(self.index_dir.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        new_index = whoosh_index.create_in(str(building), self.schema)
        writer = new_index.writer(limitmb=128)
        count = 0
        for document in documents:
            writer.add_document(**self._fields_for(document))
            count += 1
        writer.commit()
        new_index.close()
        old = self.index_dir.with_name(self.index_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.index_dir.exists():
            self.index_dir.rename(old)
        building.rename(self.index_dir)
        shutil.rmtree(old, ignore_errors=True)
        return count

    # -- reading ---------------------------------------------------------------------------------

    def search(
        self, query: str, locale: str, *, categories: Iterable[str] = (), limit: int = 20, offset: int = 0
    ) -> SearchHits:
        if locale not in self.locales:
            locale = self.locales[0]
        if not self.exists():
            return SearchHits([], 0)
        searcher = self._fresh_searcher()
        # The resident's own language first, then the others, so a Spanish word finds an English listing.
        fieldnames = [field_name(f, loc) for loc in (locale, *[l for l in self.locales if l != locale]) for f in TEXT_FIELDS]
        parser = MultifieldParser(fieldnames, schema=self.schema, group=OrGroup.factory(0.9))
        # Plain words only: quotes, operators and wildcards typed by residents are treated as text.
        words = " ".join("".join(ch if ch.isalnum() else " " for ch in query).split()[:32])
        parsed = parser.parse(words) if words else None
        filters = [Term("category", code) for code in categories]
        if parsed is None:
            return SearchHits([], 0)
        if filters:
            parsed = And([parsed, Or(filters)])
        page = offset // limit + 1 if limit else 1
        results = searcher.search_page(parsed, page, pagelen=limit)
        return SearchHits([hit["service_id"] for hit in results], results.total)

    def check(self, expected_ids: Iterable[str]) -> IndexReport:
        expected = set(expected_ids)
        if not self.exists():
            return IndexReport(sorted(expected), [])
        with self._open().searcher() as searcher:
            present = {fields["service_id"] for fields in searcher.all_stored_fields()}
        return IndexReport(sorted(expected - present), sorted(present - expected))
