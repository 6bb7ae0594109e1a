"""Directory use cases: the only code here that queries listings for pages and writes them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Generic, Sequence, TypeVar

from flask import current_app
from sqlalchemy import func, select

from ..caching import LISTINGS, cached
from ..domain import NotFound
from ..extensions import db
from .cards import ServiceCard, cards_by_ids
from .models import Attribute, Language, Organization, Service
from .taxonomy import Term, snapshot

T = TypeVar("T")
VISIBLE_STATUSES = ("active", "temporarily closed")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def now() -> datetime:
    return datetime.now(timezone.utc)


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd means page 1."""
    try:
        value = int(raw or 1)
    except ValueError:
        return 1
    return min(max(value, 1), 10_000)


def all_terms() -> Sequence[Term]:
    """Every taxonomy term, in display order, from this process's copy (see :mod:`.taxonomy`)."""
    return snapshot().terms


def _categories() -> list[Term]:
    return [term for term in all_terms() if term.taxonomy.name == "categories"]


def category_tree() -> list[Term]:
    """Top-level categories in display order, children loaded."""
    return [term for term in _categories() if term.parent_id is None]


def category_codes() -> set[str]:
    return {term.code for term in _categories()}


def spoken_language_codes() -> frozenset[str]:
    """Languages some listed service is offered in (the language filter's choices), kept per process
    until a listing changes (a scan of every listing's languages otherwise, twice per search page)."""
    return cached("spoken-languages", _spoken_language_codes, version_of=LISTINGS)


def _spoken_language_codes() -> frozenset[str]:
    return frozenset(db.session.scalars(select(Language.code).where(Language.service_id.is_not(None)).distinct()))


def get_category(code: str) -> Term:
    for term in _categories():
        if term.code == code:
            return term
    raise NotFound(code)


def _term_ids(term: Term) -> list[str]:
    ids, stack = [], [term]
    while stack:
        current = stack.pop()
        ids.append(current.id)
        stack.extend(current.children)
    return ids


def services_in_category(term: Term, page: int) -> Page[Service]:
    per_page = current_app.config["PAGE_SIZE"]
    matching = (
        select(Attribute.link_id)
        .where(Attribute.link_entity == "service", Attribute.taxonomy_term_id.in_(_term_ids(term)))
        .distinct()
    )
    base = select(Service.id).where(Service.id.in_(matching), Service.status.in_(VISIBLE_STATUSES))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    ids = db.session.scalars(base.order_by(Service.name, Service.id).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(services_by_ids(ids), total, page, per_page)


def get_service(service_id: str) -> Service:
    service = db.session.get(Service, service_id) if _looks_like_id(service_id) else None
    if service is None or service.status not in (*VISIBLE_STATUSES, "inactive"):
        raise NotFound(service_id)
    return service


def get_organization(organization_id: str) -> Organization:
    organization = db.session.get(Organization, organization_id) if _looks_like_id(organization_id) else None
    if organization is None:
        raise NotFound(organization_id)
    return organization


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and all(ch in "0123456789abcdef-" for ch in value)


def services_by_ids(ids: Sequence[str]) -> list[ServiceCard]:
    """Result cards for search hits (or a page of a category), in the order given; listings that are
    not visible are left out."""
    return cards_by_ids(ids, VISIBLE_STATUSES)


def is_stale(service: Service, today: date | None = None) -> bool:
    """True when nobody has verified the listing within the configured number of days."""
    if service.assured_date is None:
        return True
    today = today or now().date()
    return service.assured_date < today - timedelta(days=current_app.config["STALE_AFTER_DAYS"])


def directory_counts() -> dict[str, int]:
    return {
        "organizations": db.session.scalar(select(func.count(Organization.id))) or 0,
        "services": db.session.scalar(select(func.count(Service.id))) or 0,
    }


