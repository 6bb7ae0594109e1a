"""Search subsystem: a :class:`SearchBackend` (Whoosh by default) kept under ``instance/``."""
from __future__ import annotations

from flask import Flask, current_app

from .backend import IndexReport, SearchBackend, SearchDocument, SearchHits
from .whoosh_backend import WhooshBackend

__all__ = ["IndexReport", "SearchBackend", "SearchDocument", "SearchHits", "backend", "init_app"]


def init_app(app: Flask) -> None:
    app.extensions["outreach.search"] = WhooshBackend(app.config["SEARCH_INDEX_DIR"], tuple(app.config["LOCALES"]))


def backend() -> SearchBackend:
    return current_app.extensions["outreach.search"]
