"""Search use cases: rebuild and check the index, and answer a resident's query."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..directory.models import Service
from ..directory.services import Page, services_by_ids
from . import backend
from .backend import IndexReport
from .documents import all_documents, searchable_services

MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class SearchOutcome:
    query: str
    results: Page[Service]
    was_truncated: bool


def reindex() -> int:
    return backend().reindex(all_documents())


def ensure_index() -> bool:
    """Build the index when it is missing (first start, or deleted). Returns True if it was built."""
    if backend().exists():
        return False
    reindex()
    return True


def check_index() -> IndexReport:
    return backend().check(service.id for service in searchable_services())


def search_directory(query: str, locale: str, page: int, category: str | None = None) -> SearchOutcome:
    per_page = current_app.config["PAGE_SIZE"]
    cleaned = " ".join(query.split())
    truncated = len(cleaned) > MAX_QUERY_LENGTH
    cleaned = cleaned[:MAX_QUERY_LENGTH]
    hits = backend().search(
        cleaned, locale, categories=[category] if category else (), limit=per_page, offset=(page - 1) * per_page
    )
    return SearchOutcome(cleaned, Page(services_by_ids(hits.service_ids), hits.total, page, per_page), truncated)
