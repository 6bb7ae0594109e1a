"""Search subsystem: a :class:`SearchBackend` (Whoosh by default) kept under ``instance/``."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from .backend import IndexBusy, IndexReport, SearchBackend, SearchDocument, SearchHits, SearchQuery
from .synonyms import SynonymStore

__all__ = ["IndexBusy", "IndexReport", "SearchBackend", "SearchDocument", "SearchHits", "SearchQuery", "backend", "init_app"]


def init_app(app: Flask) -> None:
    from .outbox import track_changes
    from .whoosh_backend import WhooshBackend

    track_changes()
    app.extensions["outreach.search"] = WhooshBackend(app.config["SEARCH_INDEX_DIR"])
    app.extensions["outreach.synonyms"] = SynonymStore(Path(app.config["CONTENT_DIR"]) / "synonyms")


def backend() -> SearchBackend:
    return current_app.extensions["outreach.search"]


def synonym_store() -> SynonymStore:
    return current_app.extensions["outreach.synonyms"]
