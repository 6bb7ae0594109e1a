"""tantivy (the Rust engine's official Python binding) implementation of :class:`SearchBackend`.

Same behaviour as :mod:`.whoosh_backend`, chosen with ``OUTREACH_SEARCH_BACKEND=tantivy``:

* Analysis is ours (:mod:`.analysis`), identical across engines: documents and queries are turned
  into normalized tokens in Python, and tantivy's text fields only split them again (one token per
  line, no lower-casing or length limit of its own). Resident input never reaches tantivy's query
  parser: queries are built from ``tantivy.Query`` constructors.
* The same fields as the Whoosh index: ``name_<locale>`` / ``text_<locale>`` per language, the
  ``plain`` folded field, keyword fields for category, attribute and language (fast, for counting),
  integer ages, and a precomputed ``age_group`` keyword used only for the age counts.
* Each process keeps one searcher and reloads it only when ``meta.json`` changed (one ``stat``).
* Facet counts are tantivy terms aggregations over the matched set: one pass in Rust per search.
* tantivy's writer lock is retried until the timeout, then :class:`IndexBusy`; an ``fcntl`` lock
  file serializes the outbox sync. A reindex replaces every document in one commit.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import math
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import OSA
from tantivy import Occur
from tantivy import Query as TQ

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

TOKENIZER = "outreach-lines"  # our analyzers' tokens, one per line
SEPARATOR = "\n"
FACET_SIZE = 65_000
PREFIX_LIMIT = 64  # words a prefix expands to at most
SLACK = 64  # hits fetched with a count beyond the page (near a place, some are dropped)
# Bump when analysis or fields change in a way the schema does not show: an older index is rebuilt.
INDEX_FORMAT = "outreach-tantivy-2"
FORMAT_FILE = "index-format"
SYNC_LOCK = "outreach-sync.lock"
KEEP_ON_CLEAN = (SYNC_LOCK, ".tantivy-writer.lock", ".tantivy-meta.lock")
WRITER_HEAP = 32_000_000  # per indexing thread, for small outbox batches
REINDEX_HEAP = 96_000_000
TEXT_OPTION = "freq"  # no positions: queries never use phrases



def _schema_fields() -> list[tuple[str, str]]:
    fields = [("service_id", "id"), ("version", "stored"), ("category", "keyword"), ("attribute", "keyword"),
              ("language", "keyword"), ("age_group", "keyword"), ("min_age", "int"), ("max_age", "int"),
              ("geo", "term"), ("plain", "text")]
    fields += [(field_name(field, locale), "text") for locale in CONTENT_LOCALES for field in TEXT_FIELDS]
    return fields


def format_signature() -> str:
    """What the folder's format file must say: our format, the field list, and tantivy's version."""
    digest = hashlib.sha1(repr((_schema_fields(), TOKENIZER, TEXT_OPTION)).encode()).hexdigest()[:12]
    return f"{INDEX_FORMAT}:{digest}:{tantivy.__version__}"


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name, kind in _schema_fields():
        if kind == "id":
            builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
        elif kind == "stored":
            builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
        elif kind == "term":
            builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
        elif kind == "keyword":
            builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
        elif kind == "int":
            builder.add_integer_field(name, indexed=True, fast=True)
        else:
            builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option=TEXT_OPTION)
    return builder.build()


SOME_AGES = "some"  # ``age_group`` of a service not open to every age group (see :func:`indexed_age_groups`)


def age_groups(minimum: int, maximum: int) -> list[str]:
    """The groups an age range overlaps: the same test as the age filter's two ranges."""
    return [group for group, (low, high) in AGE_GROUPS.items() if minimum <= high and maximum >= low]


def indexed_age_groups(minimum: int, maximum: int) -> list[str]:
    """What the ``age_group`` counting field holds: nothing for a service open to every group (most
    are), else its groups and :data:`SOME_AGES`. A group's count is then the hits without that
    marker plus the hits holding the group: counting 1 value per limited service instead of 4 per
    service took a quarter of the facet counting's time."""
    groups = age_groups(minimum, maximum)
    return [] if len(groups) == len(AGE_GROUPS) else [*groups, SOME_AGES]


# -- query tree (engine-neutral, so the terms can be listed for highlighting) ----------------------


@dataclass(frozen=True)
class _Node:
    kind: str  # "term", "and", "or", "prefix", "fuzzy" (an "or" of a typed word's expansions), "all"
    field: str = ""
    text: str = ""
    children: tuple["_Node", ...] = ()
    boost: float = 1.0

    def terms(self) -> Iterator[str]:
        """Words for highlighting, as Whoosh lists them: terms and typed fuzzy words, not prefixes."""
        if self.kind in ("term", "fuzzy"):
            yield self.text
        if self.kind != "fuzzy":
            for child in self.children:
                yield from child.terms()


EVERY = _Node("all")


def _term(field: str, text: str, boost: float = 1.0) -> _Node:
    return _Node("term", field, text, boost=boost)


def _and(children, boost: float = 1.0) -> _Node:
    return _Node("and", children=tuple(children), boost=boost)


def _or(children, boost: float = 1.0) -> _Node:
    return _Node("or", children=tuple(children), boost=boost)


K1 = 1.2  # BM25's term-frequency saturation, the same in Whoosh's BM25F and in tantivy


def _field_boost(field: str) -> float:
    """Whoosh applies a field boost to term frequencies (3 × tf in a name), not to scores: for one
    occurrence in a field of average length, that is this factor on a tantivy score."""
    boost = FIELD_BOOSTS["plain" if field == "plain" else field.split("_", 1)[0]]
    return boost * (K1 + 1) / (boost + K1)


def _idf_ratio(documents: int, frequency: int) -> float:
    """Whoosh's idf (log(N / (n + 1)) + 1) over tantivy's (log(1 + (N - n + 0.5) / (n + 0.5))):
    as a boost, common words keep the weight they have in Whoosh, so both engines rank alike."""
    if frequency <= 0 or documents <= 0:
        return 1.0
    whoosh = math.log(documents / (frequency + 1)) + 1
    ours = math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
    return whoosh / ours if ours > 0 else 1.0


def _bit_set(ordinals: Iterable[int], size: int) -> int:
    """The set of ``ordinals`` as one Python int (bit n set for ordinal n)."""
    bits = bytearray(size // 8 + 1)
    for ordinal in ordinals:
        bits[ordinal >> 3] |= 1 << (ordinal & 7)
    return int.from_bytes(bits, "little")


class TantivyBackend:
    indexes_places = True  # ``geo`` cell terms: SearchQuery.near is answered inside the engine

    def __init__(self, index_dir: str):
        self.index_dir = Path(index_dir)
        self.state_dir = self.index_dir
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._searcher: tantivy.Searcher | None = None
        self._stamp: tuple | None = None
        self._generation_cache: dict = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def _meta_stamp(self) -> tuple | None:
        try:
            stat = (self.index_dir / "meta.json").stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def exists(self) -> bool:
        """An index is there and was built by this code's schema and format (else it must be rebuilt)."""
        if self._meta_stamp() is None:
            return False
        try:
            if (self.index_dir / FORMAT_FILE).read_text().strip() != format_signature():
                return False
        except OSError:
            return False
        with self._lock:
            if self._index is not None:
                return True
            try:
                self._index = self._load(tantivy.Index.open(str(self.index_dir)))
            except (OSError, ValueError):
                return False
            return True

    def _load(self, index: tantivy.Index) -> tantivy.Index:
        index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"[^\n]+")).build())
        index.config_reader(reload_policy="manual")
        return index

    def _open(self, *, create: bool = False) -> tantivy.Index | None:
        with self._lock:
            if self._index is not None and not self.exists():
                self._drop()  # the folder was deleted (or rebuilt in another format) under us
            if self._index is None and not self.exists() and create:
                self._clean_folder()
                self.index_dir.mkdir(parents=True, exist_ok=True)
                self._index = self._load(tantivy.Index(self.schema, path=str(self.index_dir), reuse=False))
                (self.index_dir / FORMAT_FILE).write_text(format_signature() + "\n")
            return self._index

    def _clean_folder(self) -> None:
        """A half-deleted folder or an index in an older format: remove it, keeping the lock files."""
        if self.index_dir.is_dir():
            for item in self.index_dir.iterdir():
                if item.name not in KEEP_ON_CLEAN:
                    shutil.rmtree(item) if item.is_dir() else item.unlink()

    def _drop(self) -> None:
        self._searcher = None
        self._index = None
        self._stamp = None
        self._generation_cache = {}

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _current_searcher(self) -> tantivy.Searcher | None:
        """The long-lived searcher, reloaded only when a commit (ours or another process's) landed."""
        with self._lock:
            index = self._open()
            if index is None:
                return None
            stamp = self._meta_stamp()
            if self._searcher is None or stamp != self._stamp:
                index.reload()
                self._searcher = index.searcher()
                self._stamp = stamp
                self._generation_cache = {}
            return self._searcher

    @contextmanager
    def sync_lock(self, timeout: float) -> Iterator[None]:
        """An inter-process lock around "read outbox position → write index → record position"."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.index_dir / SYNC_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                if time.monotonic() >= deadline:
                    raise IndexBusy("the search index is being updated by another process")
                time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)

    # -- writing ---------------------------------------------------------------------------------

    def _fields_for(self, document: SearchDocument) -> dict:
        """Field name → value(s), text already analyzed into one token per line."""
        minimum, maximum = age_bounds(document)
        fields: dict = {
            "service_id": document.service_id,
            "version": document.version,
            "category": list(document.categories),
            "attribute": list(document.attributes),
            "language": list(document.languages),
            "age_group": indexed_age_groups(minimum, maximum),
            "min_age": minimum,
            "max_age": maximum,
            "geo": list(document.geo),
        }
        for name, (locale, text) in text_fields(document).items():
            analyzer = plain_analyzer() if locale == "plain" else analyzer_for(locale)
            fields[name] = SEPARATOR.join(token.text for token in analyzer(text))
        return fields

    def _document(self, document: SearchDocument) -> tantivy.Document:
        out = tantivy.Document()
        for name, value in self._fields_for(document).items():
            if name in ("min_age", "max_age"):
                out.add_integer(name, value)
            elif isinstance(value, list):
                for item in value:
                    out.add_text(name, item)
            elif value:
                out.add_text(name, value)
        return out

    def _writer(self, timeout: float, heap: int = WRITER_HEAP, threads: int = 1):
        index = self._open(create=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                return index.writer(heap_size=heap * threads, num_threads=threads)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusy("the search index is locked by another writer") from error
                time.sleep(0.05)

    def _write(self, writer, work) -> int:
        """Run ``work(writer)`` and commit; on any failure roll back. The lock is released either way."""
        try:
            try:
                count = work(writer)
            except BaseException:
                writer.rollback()
                raise
            writer.commit()
            writer.wait_merging_threads()  # also gives the write lock back
        finally:
            writer.__exit__(None, None, None)  # no-op after wait_merging_threads; frees the lock otherwise
        with self._lock:
            self._current_searcher()  # our own commit is visible to our next search at once
        return count

    def index(self, documents: Iterable[SearchDocument], removed_ids: Iterable[str] = (), *, timeout: float = 10.0) -> int:
        documents, removed_ids = list(documents), list(removed_ids)

        def work(writer) -> int:
            count = 0
            for service_id in removed_ids:
                writer.delete_documents_by_term("service_id", service_id)
            for document in documents:
                converted = self._document(document)
                writer.delete_documents_by_term("service_id", document.service_id)
                writer.add_document(converted)
                count += 1
            return count

        return self._write(self._writer(timeout), work)

    def remove(self, service_ids: Iterable[str], *, timeout: float = 10.0) -> None:
        self.index((), service_ids, timeout=timeout)

    def reindex(self, documents: Iterable[SearchDocument], *, timeout: float = 60.0) -> int:
        """Replace every document in one commit; searchers see the old index until it lands."""
        if self.index_dir.exists() and not self.exists():
            with self._lock:
                self._drop()
                self._clean_folder()

        def work(writer) -> int:
            writer.delete_all_documents()
            count = 0
            for document in documents:
                writer.add_document(self._document(document))
                count += 1
            return count

        # One indexing thread: documents keep the database's order (ties rank as in Whoosh), and the
        # analysis in Python, not tantivy, is what takes the time.
        return self._write(self._writer(timeout, REINDEX_HEAP, 1), work)

    # -- reading ---------------------------------------------------------------------------------

    def _cache(self, searcher) -> dict:
        """Per-generation maps: (segment, doc) → service id, every id in the index, and each document's
        ordinal (``base[segment] + doc``) with the service id at that ordinal."""
        cache = self._generation_cache
        if "ids" not in cache:
            ids: dict[tuple[int, int], str] = {}
            if searcher.num_docs:
                for _score, address in searcher.search(TQ.all_query(), limit=searcher.num_docs).hits:
                    ids[(address.segment_ord, address.doc)] = searcher.doc(address).get_first("service_id")
            sizes: dict[int, int] = {}
            for segment, doc in ids:
                sizes[segment] = max(sizes.get(segment, 0), doc + 1)
            base = [0] * (max(sizes, default=-1) + 1)
            total = 0
            for segment in range(len(base)):
                base[segment] = total
                total += sizes.get(segment, 0)
            by_ordinal: list[str | None] = [None] * total
            for (segment, doc), service_id in ids.items():
                by_ordinal[base[segment] + doc] = service_id
            cache["ids"] = ids
            cache["all"] = frozenset(ids.values())
            cache["base"] = base
            cache["by_ordinal"] = by_ordinal
        return cache

    def _filter(self, query: SearchQuery, with_place: bool = True) -> TQ | None:
        """The query's filters as one non-scoring query (None: no filter).

        ``restrict_to`` (the services near a place, or open now) is not part of it: as an engine
        query, a set of thousands of ids costs tantivy ~45 ms per search at 50,000 listings (a term
        dictionary walk per id), so the hits are restricted in Python instead (:meth:`_allowed_hits`).
        """
        parts: list[TQ] = []
        for field, values in query.filters:
            if not values:
                continue
            if field == "age":
                ranges = []
                for value in values:
                    low, high = AGE_GROUPS.get(value, (1, 0))
                    ranges.append(TQ.boolean_query([
                        (Occur.Must, TQ.range_query(self.schema, "min_age", tantivy.FieldType.Integer, None, high)),
                        (Occur.Must, TQ.range_query(self.schema, "max_age", tantivy.FieldType.Integer, low, None)),
                    ]))
                parts.append(ranges[0] if len(ranges) == 1 else TQ.boolean_query([(Occur.Should, r) for r in ranges]))
            elif field in FACET_FIELDS:
                parts.append(TQ.term_set_query(self.schema, field, list(values)))
            else:
                parts.append(TQ.empty_query())
        if query.near is not None and with_place:
            cells = [*query.near.inner, *query.near.edge]
            parts.append(TQ.term_set_query(self.schema, "geo", cells) if cells else TQ.empty_query())
            if query.near.excluded:
                parts.append(TQ.boolean_query([(Occur.Must, TQ.all_query()),
                                               (Occur.MustNot, TQ.term_set_query(self.schema, "service_id", sorted(query.near.excluded)))]))
        if not parts:
            return None
        combined = parts[0] if len(parts) == 1 else TQ.boolean_query([(Occur.Must, p) for p in parts])
        return TQ.const_score_query(combined, 0.0)

    def search(self, query: SearchQuery, synonyms: SynonymTable | None = None) -> SearchHits:
        with self._lock:
            searcher = self._current_searcher()
            if searcher is None:
                return SearchHits([], 0)
            return self._search(searcher, query, synonyms or SynonymTable({}))

    @staticmethod
    def _no_facets() -> dict[str, dict[str, int]]:
        return {field: {} for field in (*FACET_FIELDS, "age")}

    def _search(self, searcher, query: SearchQuery, synonyms: SynonymTable) -> SearchHits:
        restriction = self._filter(query)
        rim_restriction = self._filter(query, with_place=False) if query.near is not None else None
        allowed = query.restrict_to
        if allowed is not None and allowed.isdisjoint(self._cache(searcher)["all"]):
            return SearchHits([], 0, self._no_facets())

        def nothing_passes() -> bool:
            """No document passes the filters (asked only once a search found nothing)."""
            return restriction is not None and searcher.search(restriction, limit=1, count=True).count == 0

        # The first hits of each query come with its count: the page is usually among them.
        window = 0 if query.all_hits else max(1, query.page) * max(1, query.per_page) + SLACK
        first_hits: dict[_Node, tuple[list, int]] = {}  # with the limit they were asked with
        matched_by_engine: dict[_Node, int] = {}  # before the rim's far side is taken out
        allowed_hits: dict[_Node, list[int]] = {}  # the count and then the page ask for the same
        outside: dict[_Node, dict[int, None]] = {}  # ordinals of hits in edge cells but beyond the radius

        def outside_of(node: _Node) -> dict[int, None]:
            if node not in outside:
                # The rim's own cells stand in for the place filter (inner and edge cells together).
                outside[node] = self._outside(searcher, self._with(self._build(node), rim_restriction), query.near)
            return outside[node]

        def count_of(node: _Node) -> int:
            final = self._with(self._build(node), restriction)
            if allowed is None:
                # Near a place the rim is measured first: some hits beyond it rank among the others,
                # so the first hits asked for with the count cover a window's worth of them too (a few
                # percent of the hits are beyond; when more of the first ones are, the page asks again).
                beyond = len(outside_of(node)) if query.near is not None else 0
                limit = window + min(beyond, window) if window else 1
                result = searcher.search(final, limit=limit, count=True)
                if window:
                    first_hits[node] = (result.hits, limit)
                count = matched_by_engine[node] = result.count
                return count - beyond
            if node not in allowed_hits:
                hits = self._allowed_hits(searcher, final, allowed)
                if query.near is not None:
                    beyond = outside_of(node)
                    hits = [ordinal for ordinal in hits if ordinal not in beyond]
                allowed_hits[node] = hits
            return len(allowed_hits[node])

        words = complete_last_word(
            without_stop_words(tokens(query.text), query.locale)[:MAX_WORDS],
            lambda word: searcher.doc_freq("plain", word),
            lambda prefix: list(searcher.terms_with_prefix("plain", prefix, limit=PREFIX_LIMIT)),
            lambda word: searcher.doc_freq(*term) if (term := local_field_term(word, query.locale)) else 0,
        )
        suggestion, is_fuzzy = None, False
        if not words:
            if query.text.strip() and not query.filters and allowed is None and query.near is None:
                return SearchHits([], 0, self._no_facets())
            node = EVERY
            count = count_of(node)
            if count == 0 and nothing_passes():
                return SearchHits([], 0, self._no_facets())
        else:
            concepts = [self._concept(phrase, alternatives, query.locale, is_last=(i == len(words) - 1))
                        for i, (phrase, alternatives) in enumerate(synonyms.expand(words))]
            concepts = [c for c in concepts if c is not None]
            node = _and(concepts) if concepts else EVERY
            count = count_of(node)
            if count == 0 and nothing_passes():
                return SearchHits([], 0, self._no_facets())
            if query.widen and count < FEW_RESULTS and len(concepts) > 1:
                loose = _or(concepts)
                loose_count = count_of(loose)
                if loose_count > count:
                    node, count = loose, loose_count
            if query.widen and count < FEW_RESULTS:
                fuzzy = self._fuzzy(searcher, words)
                if fuzzy is not None:
                    widened = _or([node, fuzzy])
                    widened_count = count_of(widened)
                    if widened_count > count:
                        node, count, is_fuzzy = widened, widened_count, True
                suggestion = self._suggest(searcher, words)
        final = self._with(self._build(node), restriction)
        matched_terms = frozenset(node.terms())
        if count == 0:
            return SearchHits([], 0, self._no_facets(), suggestion, is_fuzzy, matched_terms)
        if allowed is not None:
            ordinals = allowed_hits[node]
            shown = ordinals
            if not query.all_hits:
                start = (max(1, query.page) - 1) * query.per_page
                shown = ordinals[start : start + max(1, query.per_page)]
            by_ordinal = self._cache(searcher)["by_ordinal"]
            ranked = [by_ordinal[ordinal] for ordinal in shown]
            facets = self._counted_facets(searcher, ordinals) if query.with_facets else {}
            return SearchHits(ranked, len(ordinals), facets, suggestion, is_fuzzy, matched_terms)
        if query.all_hits:
            offset, limit = 0, count
        else:
            offset, limit = (max(1, query.page) - 1) * query.per_page, max(1, query.per_page)
        ranked = []
        facets = self._facets(searcher, final, matched_by_engine[node]) if query.with_facets else {}
        skipped = outside_of(node) if query.near is not None else {}
        if skipped and facets:
            # Hits in the rim's cells but beyond the radius: their share comes out of the counts.
            for name, counts in self._counted_facets(searcher, list(skipped)).items():
                for value, less in counts.items():
                    if facets.get(name, {}).get(value):
                        facets[name][value] -= less
                        if facets[name][value] <= 0:
                            del facets[name][value]
        if offset < count:
            cache = self._cache(searcher)
            ids = cache["ids"]
            base = cache["base"]

            def kept_of(hits: list) -> list:
                if not skipped:
                    return [address for _score, address in hits]
                return [address for _score, address in hits if base[address.segment_ord] + address.doc not in skipped]

            hits, asked = first_hits.get(node, (None, 0))
            kept = kept_of(hits) if hits is not None else []
            if hits is None or (len(kept) < offset + limit and len(hits) == asked):
                # Not among the first hits: as many as the page needs, with every one beyond the radius.
                kept = kept_of(searcher.search(final, limit=offset + limit + len(skipped), count=False).hits)
            ranked = [ids[(address.segment_ord, address.doc)] for address in kept[offset : offset + limit]]
        return SearchHits(ranked, count, facets, suggestion, is_fuzzy, matched_terms)

    def _outside(self, searcher, final: TQ, near) -> dict[int, None]:
        """Ordinals of the hits of ``final`` that have a place only in the rim's cells and that
        ``near.keep`` turns down (beyond the radius): the rim is measured, the inside never is."""
        if not near.edge or not searcher.num_docs:
            return {}
        rim = TQ.boolean_query([
            (Occur.Must, TQ.const_score_query(final, 0.0)),  # which hits, not how well they match
            (Occur.Must, TQ.term_set_query(self.schema, "geo", list(near.edge))),
            *([(Occur.MustNot, TQ.term_set_query(self.schema, "geo", list(near.inner)))] if near.inner else []),
        ])
        cache = self._cache(searcher)
        base, by_ordinal, keep = cache["base"], cache["by_ordinal"], near.keep
        ordinals = (base[address.segment_ord] + address.doc
                    for _score, address in searcher.search(rim, limit=searcher.num_docs, count=False).hits)
        return {ordinal: None for ordinal in ordinals if not keep(by_ordinal[ordinal])}

    @staticmethod
    def _with(parsed: TQ, restriction: TQ | None) -> TQ:
        if restriction is None:
            return parsed
        return TQ.boolean_query([(Occur.Must, parsed), (Occur.Must, restriction)])

    def _allowed_hits(self, searcher, final: TQ, allowed: frozenset[str]) -> list[int]:
        """The document ordinals of every hit of ``final`` whose service is in ``allowed``, in rank order.

        All hits of a common word at 50,000 listings (~30,000) come back from tantivy in ~7 ms and
        are filtered here in ~3 ms.
        """
        if not searcher.num_docs:
            return []
        cache = self._cache(searcher)
        base, by_ordinal = cache["base"], cache["by_ordinal"]
        hits = searcher.search(final, limit=searcher.num_docs, count=False).hits
        if len(base) == 1:  # one segment (after a reindex): the ordinal is the document number
            return [address.doc for _score, address in hits if by_ordinal[address.doc] in allowed]
        ordinals = (base[address.segment_ord] + address.doc for _score, address in hits)
        return [ordinal for ordinal in ordinals if by_ordinal[ordinal] in allowed]

    def _facets(self, searcher, final: TQ, matched: int) -> dict[str, dict[str, int]]:
        """Counts per facet value among the ``matched`` hits of ``final``."""
        fields = {field: field for field in FACET_FIELDS} | {"age": "age_group"}
        request = {name: {"terms": {"field": source, "size": FACET_SIZE}} for name, source in fields.items()}
        result = searcher.aggregate(final, request)
        facets: dict[str, dict[str, int]] = {}
        for name in fields:
            buckets = (result.get(name) or {}).get("buckets") or []
            facets[name] = {bucket["key"]: bucket["doc_count"] for bucket in buckets if bucket["doc_count"]}
        limited = facets["age"].pop(SOME_AGES, 0)
        facets["age"] = {group: count for group in AGE_GROUPS if (count := matched - limited + facets["age"].get(group, 0))}
        return facets

    def _counted_facets(self, searcher, ordinals: list[int]) -> dict[str, dict[str, int]]:
        """Facet counts for hits restricted in Python: each facet value's documents are kept per index
        generation as one bit set (a Python int over document ordinals); a count is one AND and a
        popcount, so 90 values over 30,000 hits cost well under a millisecond after the hits' own set."""
        values = self._value_sets(searcher)
        matched = _bit_set(ordinals, len(self._cache(searcher)["by_ordinal"]))
        facets: dict[str, dict[str, int]] = {}
        for name, per_value in values.items():
            counts = {value: count for value, mask in per_value.items() if (count := (matched & mask).bit_count())}
            facets[name] = counts
        return facets

    def _value_sets(self, searcher) -> dict[str, dict[str, int]]:
        """{facet: {value: bit set of its documents}} for this index generation (built on first use)."""
        cache = self._generation_cache
        if "value_sets" not in cache:
            base, size = self._cache(searcher)["base"], len(cache["by_ordinal"])
            fields = {field: field for field in FACET_FIELDS} | {"age": "age_group"}
            request = {name: {"terms": {"field": source, "size": FACET_SIZE}} for name, source in fields.items()}
            every = searcher.aggregate(TQ.all_query(), request)
            value_sets: dict[str, dict[str, int]] = {}
            for name, source in fields.items():
                per_value = value_sets.setdefault(name, {})
                for bucket in (every.get(name) or {}).get("buckets") or []:
                    value = bucket["key"]
                    hits = searcher.search(TQ.term_query(self.schema, source, value), limit=max(1, searcher.num_docs),
                                           count=False).hits
                    per_value[value] = _bit_set((base[address.segment_ord] + address.doc for _score, address in hits), size)
            # Age groups: every service without the "some ages" marker, and those holding the group.
            ages = value_sets["age"]
            open_to_all = ((1 << size) - 1) & ~ages.pop(SOME_AGES, 0)
            value_sets["age"] = {group: open_to_all | ages.get(group, 0) for group in AGE_GROUPS}
            cache["value_sets"] = value_sets
        return cache["value_sets"]

    # -- building queries --------------------------------------------------------------------------

    def _build(self, node: _Node) -> TQ:
        if node.kind == "all":
            return TQ.all_query()
        if node.kind == "term":
            built = TQ.term_query(self.schema, node.field, node.text)
            return TQ.boost_query(built, node.boost * _field_boost(node.field) * self._idf_ratio(node.field, node.text))
        if node.kind == "prefix":
            # Like Whoosh's Prefix: the words starting so; one alone scores as its term, several score
            # by how often they occur (Whoosh sums their weights), here as a sum of term scores.
            expansions = self._prefixed(node.field, node.text)
            if not expansions:
                return TQ.empty_query()
            if len(expansions) == 1:
                return self._build(_term(node.field, expansions[0], node.boost))
            return TQ.boolean_query([(Occur.Should, self._build(_term(node.field, word, node.boost))) for word in expansions])
        occur = Occur.Must if node.kind == "and" else Occur.Should  # "or" and "fuzzy"
        built = TQ.boolean_query([(occur, self._build(child)) for child in node.children])
        return built if node.boost == 1.0 else TQ.boost_query(built, node.boost)

    def _prefixed(self, field: str, prefix: str) -> list[str]:
        searcher = self._searcher
        if searcher is None:
            return []
        cache = self._generation_cache.setdefault("prefixed", {})
        key = (field, prefix)
        if key not in cache:
            if len(cache) > 10_000:
                cache.clear()
            cache[key] = [word for word, _frequency in searcher.terms_with_prefix(field, prefix, limit=PREFIX_LIMIT)]
        return cache[key]

    def _idf_ratio(self, field: str, text: str) -> float:
        searcher = self._searcher
        if searcher is None:
            return 1.0
        cache = self._generation_cache.setdefault("idf", {})
        key = (field, text)
        if key not in cache:
            if len(cache) > 50_000:
                cache.clear()
            cache[key] = _idf_ratio(searcher.num_docs, searcher.doc_freq(field, text))
        return cache[key]

    def _field_query(self, field: str, locale: str, phrase: str, boost: float = 1.0) -> _Node | None:
        analyzer = plain_analyzer() if field == "plain" else analyzer_for(locale)
        name = field if field == "plain" else field_name(field, locale)
        terms = [token.text for token in analyzer(phrase)]
        if not terms:
            return None
        if len(terms) == 1:
            return _term(name, terms[0], boost)
        return _and([_term(name, term) for term in terms], boost=boost)

    def _phrase_query(self, phrase: str, locale: str, boost: float = 1.0) -> _Node | None:
        locales = dict.fromkeys([locale if locale in CONTENT_LOCALES else "en", "en"])
        parts = [self._field_query(field, loc, phrase, boost) for loc in locales for field in TEXT_FIELDS]
        parts.append(self._field_query("plain", "plain", phrase, boost))
        parts = [p for p in parts if p is not None]
        return _or(parts) if parts else None

    def _concept(self, phrase: tuple[str, ...], alternatives, locale: str, *, is_last: bool) -> _Node | None:
        options = [self._phrase_query(" ".join(phrase), locale)]
        if len(phrase) > 1 and alternatives:
            words = [self._phrase_query(word, locale, boost=0.7) for word in without_stop_words(list(phrase), locale)]
            if all(word is not None for word in words):
                options.append(_and(words))
        options += [self._phrase_query(" ".join(alt), locale, boost=0.8) for alt in alternatives]
        if is_last and len(phrase) == 1 and len(phrase[0]) >= 3 and not alternatives:
            # Typing in progress ("nalox"): words starting so, in the names first, then anywhere.
            if locale in CONTENT_LOCALES:
                options.append(_Node("prefix", field_name("name", locale), phrase[0], boost=1.0))
            options.append(_Node("prefix", "plain", phrase[0], boost=0.5))
        options = [o for o in options if o is not None]
        return _or(options) if options else None

    # -- typo tolerance --------------------------------------------------------------------------

    def _vocabulary(self, searcher, first: str) -> list[tuple[str, int]]:
        """The plain field's words starting with ``first``, with their document frequencies."""
        vocabulary = self._generation_cache.setdefault("vocabulary", {})
        if first not in vocabulary:
            vocabulary[first] = searcher.terms_with_prefix("plain", first)
        return vocabulary[first]

    def _within(self, searcher, word: str, maxdist: int) -> list[tuple[str, int]]:
        """Index words sharing the first letter and within ``maxdist`` Damerau-Levenshtein edits (the
        restricted kind Whoosh's fuzzy terms use: a swap of two neighbours is one edit), in the
        vocabulary's order. RapidFuzz compares the whole vocabulary in C++ (a pure Python distance
        per word cost ~6 ms per misspelt word at 50,000 listings); each answer is kept per generation."""
        kept = self._generation_cache.setdefault("within", {})
        key = (word, maxdist)
        if key not in kept:
            vocabulary = self._vocabulary(searcher, word[0])
            found = process.extract(word, [term for term, _frequency in vocabulary], scorer=OSA.distance,
                                    score_cutoff=maxdist, limit=None)
            if len(kept) > 10_000:
                kept.clear()
            kept[key] = [vocabulary[index] for index in sorted(index for _term, _distance, index in found)]
        return kept[key]

    def _fuzzy(self, searcher, words: list[str]) -> _Node | None:
        parts = []
        for word in words:
            if len(word) >= 4:
                near = self._within(searcher, word, 1 if len(word) <= 5 else 2)
                # Like Whoosh's FuzzyTerm: the index's words within reach, each scored as a term.
                parts.append(_Node("fuzzy", "plain", word, children=tuple(_term("plain", term, 0.5) for term, _ in near)))
        return _or(parts) if parts else None

    def _suggest(self, searcher, words: list[str]) -> str | None:
        changed, out = False, []
        for word in words:
            if len(word) >= 4 and searcher.doc_freq("plain", word) == 0:
                best = None
                for distance in (1, 2):
                    near = [(term, f) for term, f in self._within(searcher, word, distance) if term != word]
                    if near:
                        best = sorted(near, key=lambda item: (-item[1], item[0]))[0][0]
                        break
                if best:
                    out.append(best)
                    changed = True
                    continue
            out.append(word)
        return " ".join(out) if changed else None

    # -- inspection ------------------------------------------------------------------------------

    def doc_frequency(self, field: str, text: str) -> int:
        """How many documents hold ``text`` (already analyzed) in ``field``."""
        searcher = self._current_searcher()
        return searcher.doc_freq(field, text) if searcher is not None else 0

    def doc_count(self) -> int:
        searcher = self._current_searcher()
        return searcher.num_docs if searcher is not None else 0

    def check(self, expected: Mapping[str, str]) -> IndexReport:
        with self._lock:
            searcher = self._current_searcher()
            if searcher is None:
                return IndexReport(sorted(expected), [])
            present = {}
            if searcher.num_docs:
                for _score, address in searcher.search(TQ.all_query(), limit=searcher.num_docs).hits:
                    stored = searcher.doc(address)
                    present[stored.get_first("service_id")] = stored.get_first("version")
        missing = sorted(set(expected) - set(present))
        extra = sorted(set(present) - set(expected))
        stale = sorted(i for i in set(expected) & set(present) if expected[i] != present[i])
        return IndexReport(missing, extra, stale)
