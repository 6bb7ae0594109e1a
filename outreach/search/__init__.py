"""Search subsystem: a :class:`SearchBackend` (Whoosh by default, or tantivy) kept under ``instance/``."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from .backend import (
    IndexBusy,
    IndexReport,
    SearchBackend,
    SearchDocument,
    SearchHits,
    SearchQuery,
)
from .synonyms import SynonymStore

__all__ = ["IndexBusy", "IndexReport", "SearchBackend", "SearchDocument", "SearchHits", "SearchQuery", "backend", "init_app"]


def init_app(app: Flask) -> None:
    from .outbox import track_changes

    track_changes()
    app.extensions["outreach.search"] = make_backend(app.config.get("SEARCH_BACKEND", "whoosh"), app.config["SEARCH_INDEX_DIR"])
    app.extensions["outreach.synonyms"] = SynonymStore(Path(app.config["CONTENT_DIR"]) / "synonyms")


def make_backend(name: str, index_dir: str) -> SearchBackend:
    """The engine named by ``SEARCH_BACKEND``; tantivy is imported only when chosen."""
    if name == "tantivy":
        from .tantivy_backend import TantivyBackend

        return TantivyBackend(index_dir)
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir)
    raise ValueError(f"Unknown search backend {name!r}: use whoosh or tantivy")


def backend() -> SearchBackend:
    return current_app.extensions["outreach.search"]


def synonym_store() -> SynonymStore:
    return current_app.extensions["outreach.synonyms"]
