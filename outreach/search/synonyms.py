"""Synonyms kept as data (``content/synonyms/<locale>.yaml``), applied when a query is parsed.

Because they are applied at query time, editing a file changes results at once, with no reindex.
Format::

    groups:                      # two-way: any member finds every other member
      - [naloxone, narcan, naloxona]
    expand:                      # one-way: the key also finds these, not the reverse
      rehab: [treatment]
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from .analysis import fold

MAX_PHRASE_WORDS = 4


@dataclass(frozen=True)
class SynonymTable:
    # folded phrase (tuple of words) -> alternatives (folded phrases)
    alternatives: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]

    def expand(self, words: list[str]) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
        """Greedy longest match: the query's words as concepts, each with its alternatives."""
        concepts = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + size])
                if phrase in self.alternatives:
                    concepts.append((phrase, self.alternatives[phrase]))
                    i += size
                    break
            else:
                concepts.append(((words[i],), ()))
                i += 1
        return concepts


class SynonymError(ValueError):
    pass


def parse_synonyms(data: object, name: str) -> SynonymTable:
    if data is None:
        return SynonymTable({})
    if not isinstance(data, dict):
        raise SynonymError(f"{name}: expected 'groups' and/or 'expand'")
    table: dict[tuple[str, ...], set[tuple[str, ...]]] = {}

    def phrase(value: object) -> tuple[str, ...]:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not fold(value):
            raise SynonymError(f"{name}: every synonym must be non-empty text, not {value!r}")
        return tuple(fold(value).split())

    for group in data.get("groups") or []:
        if not isinstance(group, list) or len(group) < 2:
            raise SynonymError(f"{name}: each group must list at least two terms")
        members = [phrase(item) for item in group]
        for member in members:
            table.setdefault(member, set()).update(m for m in members if m != member)
    for key, values in (data.get("expand") or {}).items():
        if not isinstance(values, list):
            raise SynonymError(f"{name}: expand '{key}' must map to a list")
        table.setdefault(phrase(key), set()).update(phrase(v) for v in values)
    return SynonymTable({k: tuple(sorted(v)) for k, v in table.items()})


class SynonymStore:
    """Reads each locale's file when it changes (checked by modification time)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[str, tuple[float, SynonymTable]] = {}
        self._combined: dict[tuple[str, ...], tuple[tuple[SynonymTable, ...], SynonymTable]] = {}
        self._lock = threading.Lock()

    def table(self, locale: str) -> SynonymTable:
        path = self.folder / f"{locale}.yaml"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return SynonymTable({})
        with self._lock:
            cached = self._cache.get(locale)
            if cached and cached[0] == mtime:
                return cached[1]
        try:
            table = parse_synonyms(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        except (yaml.YAMLError, SynonymError, OSError):
            # A broken edit must not break search: keep the last good table (or none).
            return cached[1] if cached else SynonymTable({})
        with self._lock:
            self._cache[locale] = (mtime, table)
        return table

    def stamp(self, locales: tuple[str, ...]) -> tuple[float | None, ...]:
        """The files' modification times: a change means searches may answer differently."""
        stamps: list[float | None] = []
        for locale in locales:
            try:
                stamps.append((self.folder / f"{locale}.yaml").stat().st_mtime)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def combined(self, locales: tuple[str, ...]) -> SynonymTable:
        """The tables of ``locales`` merged, kept until one of them is read anew (a search asks for
        its locale's and English's on every request)."""
        tables = tuple(self.table(locale) for locale in locales)
        with self._lock:
            kept = self._combined.get(locales)
        if kept is not None and all(a is b for a, b in zip(kept[0], tables)):
            return kept[1]
        merged: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for table in tables:
            for key, values in table.alternatives.items():
                merged.setdefault(key, set()).update(values)
        result = SynonymTable({k: tuple(sorted(v)) for k, v in merged.items()})
        with self._lock:
            self._combined[locales] = (tables, result)
        return result
