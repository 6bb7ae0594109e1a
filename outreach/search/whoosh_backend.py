"""Whoosh (2.7.4, pinned) implementation of :class:`SearchBackend`.

* One document per service. Per-locale fields (``name_es`` …) use that language's analyzer; a
  ``plain`` field holds every locale's text folded and unstemmed, for prefixes, typos and "did you
  mean", and to find a listing whose text is not in the resident's language.
* Each worker keeps one long-lived searcher and refreshes it only when the index changed.
* Facet counts come from per-value document sets cached for the life of a searcher generation.
* Writes take Whoosh's lock with a timeout; a second lock file serializes the outbox sync.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import And, Every, FuzzyTerm, NumericRange, Or, Prefix, Query, Term

from .analysis import (
    CONTENT_LOCALES,
    analyzer_for,
    plain_analyzer,
    tokens,
    without_stop_words,
)
from .backend import (
    AGE_GROUPS,
    FACET_FIELDS,
    IndexBusy,
    IndexReport,
    SearchDocument,
    SearchHits,
    SearchQuery,
)
from .fields import (
    FEW_RESULTS,
    FIELD_BOOSTS,
    MAX_WORDS,
    TEXT_FIELDS,
    age_bounds,
    complete_last_word,
    field_name,
    local_field_term,
    text_fields,
)
from .synonyms import SynonymTable

# Bump when analysis changes in a way the schema does not show: an older index is then rebuilt.
INDEX_FORMAT = "outreach-whoosh-5"
FORMAT_FILE = "index-format"



def build_schema() -> Schema:
    fields: dict[str, object] = {
        "service_id": ID(stored=True, unique=True),
        "version": STORED(),
        "category": KEYWORD(commas=True),
        "attribute": KEYWORD(commas=True),
        "language": KEYWORD(commas=True),
        # Signed on purpose: Whoosh 2.7.4's ranges over unsigned NUMERIC fields match every document.
        "min_age": NUMERIC(int, bits=16),
        "max_age": NUMERIC(int, bits=16),
        "plain": TEXT(analyzer=plain_analyzer(), field_boost=FIELD_BOOSTS["plain"], spelling=True),
    }
    for locale in CONTENT_LOCALES:
        analyzer = analyzer_for(locale)
        for field in TEXT_FIELDS:
            fields[field_name(field, locale)] = TEXT(analyzer=analyzer, field_boost=FIELD_BOOSTS[field])
    return Schema(**fields)


def schema_signature(schema: Schema) -> list[tuple[str, str]]:
    """Field names and types (and number signedness): an index built otherwise must be rebuilt."""
    signature = []
    for name in sorted(schema.names()):
        field = schema[name]
        detail = type(field).__name__
        if isinstance(field, NUMERIC):
            detail += f":{field.numtype.__name__}:{field.bits}:{field.signed}"
        signature.append((name, detail))
    return signature


class _Ranked:
    """Document numbers of every match, best first."""

    def __init__(self, docnums: list[int]):
        self.docnums = docnums

    def __len__(self) -> int:
        return len(self.docnums)

    def docs(self) -> set[int]:
        return set(self.docnums)


class WhooshBackend:
    indexes_places = False  # near a place: the caller restricts to the services it measured

    def __init__(self, index_dir: str):
        self.index_dir = Path(index_dir)
        self.state_dir = self.index_dir
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._index = None
        self._stamp: tuple | None = None  # the format file's identity when self._index was opened
        self._searcher = None
        self._generation_cache: dict = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def exists(self) -> bool:
        """An index is there and was built with this code's schema (else it must be rebuilt)."""
        if not (self.index_dir.is_dir() and whoosh_index.exists_in(str(self.index_dir))):
            return False
        try:
            stamp = self._format_stamp()
            if (self.index_dir / FORMAT_FILE).read_text().strip() != INDEX_FORMAT:
                return False
        except OSError:
            return False
        with self._lock:
            if self._index is not None:
                if stamp == self._stamp:
                    return True
                # Rebuilt since we opened it, perhaps in a new folder after the old one was deleted:
                # the generation number can be the same, so up_to_date() would keep the old searcher.
                self._drop()
            try:
                on_disk = self._storage().open_index()
            except (OSError, whoosh_index.IndexError):
                return False
            matches = schema_signature(on_disk.schema) == schema_signature(self.schema)
            if matches:
                self._index, self._stamp = on_disk, stamp
            else:
                on_disk.close()
            return matches

    def _format_stamp(self) -> tuple:
        """The format file is written anew (a new file) by every build: its identity tells one build from the next."""
        stat = (self.index_dir / FORMAT_FILE).stat()
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _write_format(self) -> None:
        temporary = self.index_dir / (FORMAT_FILE + ".tmp")
        temporary.write_text(INDEX_FORMAT + "\n")
        os.replace(temporary, self.index_dir / FORMAT_FILE)  # never seen half-written by another process

    def _storage(self) -> FileStorage:
        # No memory-mapped reads: other processes replace and delete segment files while this one
        # searches (rebuilds, a deleted index folder), and plain reads cannot fault on a vanished map.
        return FileStorage(str(self.index_dir), supports_mmap=False)

    def _open(self, *, create: bool = False, announce: bool = True):
        """The index; ``create`` makes an empty one when there is none. An index created for a
        rebuild is not announced (no format file) until its documents are committed, so other
        processes never search an empty index in the meantime."""
        with self._lock:
            if self._index is not None and not self.exists():
                self._drop()  # the folder was deleted under us
            if self._index is None:
                if self.exists():
                    self._index = self._storage().open_index()
                elif create:
                    self.index_dir.mkdir(parents=True, exist_ok=True)
                    self._index = self._storage().create_index(self.schema)
                    if announce:
                        self._write_format()
                        self._stamp = self._format_stamp()
                else:
                    return None
            return self._index

    def _drop(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except OSError:
                pass
        self._searcher = None
        self._index = None
        self._stamp = None
        self._generation_cache = {}

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                try:
                    if self._searcher is not None:
                        self._searcher.close()
                    self._index.close()
                except OSError:
                    pass
            self._searcher = None
            self._index = None
            self._generation_cache = {}

    def _current_searcher(self):
        """The long-lived searcher, refreshed only when another writer committed since."""
        with self._lock:
            index = self._open()
            if index is None:
                return None
            if self._searcher is None:
                self._searcher = index.searcher()
                self._generation_cache = {}
            elif not self._searcher.up_to_date():
                # A new searcher, then close the old one: Searcher.refresh() shares readers with the
                # old searcher and leaves its files to the garbage collector.
                old, self._searcher = self._searcher, index.searcher()
                old.close()
                self._generation_cache = {}
            return self._searcher

    @contextmanager
    def sync_lock(self, timeout: float) -> Iterator[None]:
        """An inter-process lock around "read outbox position → write index → record position"."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileStorage(str(self.index_dir)).lock("outreach-sync.lock")
        deadline = time.monotonic() + timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise IndexBusy("the search index is being updated by another process")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    # -- writing ---------------------------------------------------------------------------------

    def _fields_for(self, document: SearchDocument) -> dict:
        minimum, maximum = age_bounds(document)
        fields: dict = {
            "service_id": document.service_id,
            "version": document.version,
            "category": ",".join(document.categories),
            "attribute": ",".join(document.attributes),
            "language": ",".join(document.languages),
            "min_age": minimum,
            "max_age": maximum,
        }
        fields.update({name: text for name, (_locale, text) in text_fields(document).items()})
        return fields

    def _writer(self, timeout: float, announce: bool = True, **options):
        index = self._open(create=True, announce=announce)
        try:
            return index.writer(timeout=timeout, **options)
        except LockError as error:
            raise IndexBusy("the search index is locked by another writer") from error

    def index(self, documents: Iterable[SearchDocument], removed_ids: Iterable[str] = (), *, timeout: float = 10.0) -> int:
        writer = self._writer(timeout)
        count = 0
        try:
            for service_id in removed_ids:
                writer.delete_by_term("service_id", service_id)
            for document in documents:
                writer.update_document(**self._fields_for(document))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def remove(self, service_ids: Iterable[str], *, timeout: float = 10.0) -> None:
        self.index((), service_ids, timeout=timeout)

    def reindex(self, documents: Iterable[SearchDocument], *, timeout: float = 60.0) -> int:
        """Replace every document in one commit; searchers see the old index until it lands."""
        if self.index_dir.exists() and not self.exists():
            # A half-deleted folder or an index from an older schema: start clean, keeping our locks.
            for item in self.index_dir.iterdir():
                if not item.name.endswith((".lock", "WRITELOCK")):
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
        writer = self._writer(timeout, announce=False, limitmb=256)
        count = 0
        try:
            for document in documents:
                writer.add_document(**self._fields_for(document))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=writing.CLEAR)
        self._write_format()
        return count

    # -- reading ---------------------------------------------------------------------------------

    def _cache(self, searcher):
        """Per-generation maps: docnum ↔ service id, and each facet value's document set."""
        cache = self._generation_cache
        if "ids" not in cache:
            ids: dict[int, str] = {}
            for docnum, stored in searcher.reader().iter_docs():
                ids[docnum] = stored["service_id"]
            cache["ids"] = ids
            cache["docnums"] = {service_id: docnum for docnum, service_id in ids.items()}
            cache["facets"] = {}
        return cache

    def _facet_docs(self, searcher, field: str, value: str) -> frozenset[int]:
        facets = self._cache(searcher)["facets"]
        key = (field, value)
        if key not in facets:
            if field == "age":
                low, high = AGE_GROUPS[value]
                query = And([NumericRange("min_age", None, high), NumericRange("max_age", low, None)])
            else:
                query = Term(field, value)
            facets[key] = frozenset(searcher.docs_for_query(query))
        return facets[key]

    def _facet_values(self, searcher, field: str) -> list[str]:
        if field == "age":
            return list(AGE_GROUPS)
        return [value.decode() if isinstance(value, bytes) else value for value in searcher.reader().lexicon(field)]

    def _allowed(self, searcher, query: SearchQuery) -> frozenset[int] | None:
        allowed: frozenset[int] | None = None
        for field, values in query.filters:
            if not values:
                continue
            docs = frozenset().union(*(self._facet_docs(searcher, field, value) for value in values))
            allowed = docs if allowed is None else allowed & docs
        if query.restrict_to is not None:
            docnums = self._cache(searcher)["docnums"]
            restricted = frozenset(docnums[i] for i in query.restrict_to if i in docnums)
            allowed = restricted if allowed is None else allowed & restricted
        return allowed

    def search(self, query: SearchQuery, synonyms: SynonymTable | None = None) -> SearchHits:
        with self._lock:  # held throughout, so no other thread closes this searcher meanwhile
            searcher = self._current_searcher()
            if searcher is None:
                return SearchHits([], 0)
            return self._search(searcher, query, synonyms or SynonymTable({}))

    def _search(self, searcher, query: SearchQuery, synonyms: SynonymTable) -> SearchHits:
        allowed = self._allowed(searcher, query)
        if allowed is not None and not allowed:
            return SearchHits([], 0, self._facets(searcher, frozenset()))
        words = complete_last_word(
            without_stop_words(tokens(query.text), query.locale)[:MAX_WORDS],
            lambda word: searcher.reader().doc_frequency("plain", word),
            lambda prefix: self._completions(searcher, prefix),
            lambda word: searcher.reader().doc_frequency(*term) if (term := local_field_term(word, query.locale)) else 0,
        )
        suggestion, is_fuzzy = None, False
        if not words:
            if query.text.strip() and not query.filters and query.restrict_to is None:
                return SearchHits([], 0, self._facets(searcher, frozenset()))
            parsed: Query = Every()
            results = self._run(searcher, parsed, allowed)
        else:
            concepts = [self._concept(phrase, alternatives, query.locale, is_last=(i == len(words) - 1))
                        for i, (phrase, alternatives) in enumerate(synonyms.expand(words))]
            concepts = [c for c in concepts if c is not None]
            parsed = And(concepts) if concepts else Every()
            results = self._run(searcher, parsed, allowed)
            if query.widen and len(results) < FEW_RESULTS and len(concepts) > 1:
                loose = self._run(searcher, Or(concepts, scale=0.9), allowed)
                if len(loose) > len(results):
                    parsed, results = Or(concepts, scale=0.9), loose
            if query.widen and len(results) < FEW_RESULTS:
                fuzzy = self._fuzzy(words)
                if fuzzy is not None:
                    widened = self._run(searcher, Or([parsed, fuzzy]), allowed)
                    if len(widened) > len(results):
                        parsed, results, is_fuzzy = Or([parsed, fuzzy]), widened, True
                suggestion = self._suggest(searcher, words)
        matched = frozenset(results.docs())
        ids = self._cache(searcher)["ids"]
        ranked = [ids[docnum] for docnum in results.docnums]
        if not query.all_hits:
            start = (max(1, query.page) - 1) * query.per_page
            ranked = ranked[start : start + query.per_page]
        matched_terms = frozenset(text.decode() if isinstance(text, bytes) else text
                                  for _field, text in parsed.iter_all_terms() if isinstance(text, (str, bytes)))
        facets = self._facets(searcher, matched) if query.with_facets else {}
        return SearchHits(ranked, len(matched), facets, suggestion, is_fuzzy, matched_terms)

    def _run(self, searcher, parsed: Query, allowed: frozenset[int] | None) -> _Ranked:
        """Every match, scored, in a stable order (score, then document number): pages never overlap."""
        results = searcher.search(parsed, limit=None, filter=set(allowed) if allowed is not None else None)
        ordered = sorted(((hit.score, hit.docnum) for hit in results), key=lambda pair: (-pair[0], pair[1]))
        return _Ranked([docnum for _score, docnum in ordered])

    def _facets(self, searcher, matched: frozenset[int]) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {}
        for field in (*FACET_FIELDS, "age"):
            counts = {}
            for value in self._facet_values(searcher, field):
                count = len(matched & self._facet_docs(searcher, field, value))
                if count:
                    counts[value] = count
            facets[field] = counts
        return facets

    def _field_query(self, field: str, locale: str, phrase: str, boost: float = 1.0) -> Query | None:
        analyzer = plain_analyzer() if field == "plain" else analyzer_for(locale)
        name = field if field == "plain" else field_name(field, locale)
        terms = [token.text for token in analyzer(phrase)]
        if not terms:
            return None
        if len(terms) == 1:
            return Term(name, terms[0], boost=boost)
        # Several words (a synonym like "alcoholics anonymous"): all of them in the field. A phrase
        # query would be stricter, but span matching is many times slower in Whoosh.
        return And([Term(name, term) for term in terms], boost=boost)

    def _phrase_query(self, phrase: str, locale: str, boost: float = 1.0) -> Query | None:
        locales = dict.fromkeys([locale if locale in CONTENT_LOCALES else "en", "en"])
        parts = [self._field_query(field, loc, phrase, boost) for loc in locales for field in TEXT_FIELDS]
        parts.append(self._field_query("plain", "plain", phrase, boost))
        parts = [p for p in parts if p is not None]
        return Or(parts) if parts else None

    def _concept(self, phrase: tuple[str, ...], alternatives, locale: str, *, is_last: bool) -> Query | None:
        options = [self._phrase_query(" ".join(phrase), locale)]
        if len(phrase) > 1 and alternatives:
            # A synonym phrase ("fentanyl test strips") still matches its words apart, as it would
            # without the synonym: "Fentanyl and xylazine test strips".
            words = [self._phrase_query(word, locale, boost=0.7) for word in without_stop_words(list(phrase), locale)]
            if all(word is not None for word in words):
                options.append(And(words))
        options += [self._phrase_query(" ".join(alt), locale, boost=0.8) for alt in alternatives]
        if is_last and len(phrase) == 1 and len(phrase[0]) >= 3 and not alternatives:
            # Typing in progress ("nalox"): words starting so, in the names first, then anywhere.
            if locale in CONTENT_LOCALES:
                options.append(Prefix(field_name("name", locale), phrase[0], boost=1.0))
            options.append(Prefix("plain", phrase[0], boost=0.5))
        options = [o for o in options if o is not None]
        return Or(options) if options else None

    def _fuzzy(self, words: list[str]) -> Query | None:
        parts = [FuzzyTerm("plain", word, boost=0.5, maxdist=1 if len(word) <= 5 else 2, prefixlength=1)
                 for word in words if len(word) >= 4]
        return Or(parts) if parts else None

    def _suggest(self, searcher, words: list[str]) -> str | None:
        corrector = searcher.corrector("plain")
        reader = searcher.reader()
        changed, out = False, []
        for word in words:
            if len(word) >= 4 and reader.doc_frequency("plain", word) == 0:
                found = corrector.suggest(word, limit=1, maxdist=2, prefix=1)
                if found:
                    out.append(found[0])
                    changed = True
                    continue
            out.append(word)
        return " ".join(out) if changed else None

    def _completions(self, searcher, prefix: str) -> list[tuple[str, int]]:
        reader = searcher.reader()
        found = []
        for term in reader.expand_prefix("plain", prefix):
            word = term.decode() if isinstance(term, bytes) else term
            found.append((word, reader.doc_frequency("plain", word)))
            if len(found) >= 200:
                break
        return found

    def doc_frequency(self, field: str, text: str) -> int:
        """How many documents hold ``text`` (already analyzed) in ``field``."""
        searcher = self._current_searcher()
        if searcher is None:
            return 0
        with self._lock:
            return searcher.reader().doc_frequency(field, text)

    def doc_count(self) -> int:
        searcher = self._current_searcher()
        if searcher is None:
            return 0
        with self._lock:
            return searcher.reader().doc_count()

    def check(self, expected: Mapping[str, str]) -> IndexReport:
        searcher = self._current_searcher()
        if searcher is None:
            return IndexReport(sorted(expected), [])
        with self._lock:
            present = {stored["service_id"]: stored.get("version") for _docnum, stored in searcher.reader().iter_docs()}
        missing = sorted(set(expected) - set(present))
        extra = sorted(set(present) - set(expected))
        stale = sorted(i for i in set(expected) & set(present) if expected[i] != present[i])
        return IndexReport(missing, extra, stale)
