"""The taxonomy as pages read it: one read-only copy per process, rebuilt when the taxonomy changes.

Every resident page touches the taxonomy many times (category tiles, filters, card tags, the
breadcrumb), in twelve languages. Loading terms and translations from the database for each request
cost more than rendering the page; now a request reads one version number (:mod:`outreach.caching`).

A :class:`Term` answers what templates and services ask of a term (``code``, ``children``,
``parent``, ``taxonomy.name``, ``text(field, locale)``) and nothing else: it is not an ORM object,
so it cannot be attached to a listing. Code that writes attributes loads :class:`TaxonomyTerm` rows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..caching import cached, watch
from ..extensions import db
from ..i18n.models import TranslatedText
from .models import LocalText, Taxonomy, TaxonomyTerm
from .models.base import local_text


@dataclass(frozen=True)
class TaxonomyName:
    name: str


class Term:
    """A read-only taxonomy term, shared by every request of a process."""

    __slots__ = ("id", "code", "name", "description", "parent_id", "position", "source_locale", "taxonomy",
                 "parent", "children", "_texts")

    def __init__(self, row: TaxonomyTerm, taxonomy: TaxonomyName) -> None:
        self.id = row.id
        self.code = row.code
        self.name = row.name
        self.description = row.description
        self.parent_id = row.parent_id
        self.position = row.position
        self.source_locale = row.source_locale
        self.taxonomy = taxonomy
        self.parent: Term | None = None
        self.children: list[Term] = []
        self._texts = {(item.field, item.locale): item.value for item in row.translations if not item.is_stale}

    def text(self, field: str, locale: str) -> LocalText:
        """Same answer as :meth:`Translatable.text` gives for the database row."""
        return local_text(getattr(self, field), self.source_locale, locale, self._texts.get((field, locale)))

    def __repr__(self) -> str:
        return f"<Term {self.code}>"


@dataclass(frozen=True)
class Snapshot:
    terms: tuple[Term, ...]  # every term, in display order
    by_id: dict[str, Term]


def _build() -> Snapshot:
    statement = select(TaxonomyTerm).options(
        joinedload(TaxonomyTerm.taxonomy), selectinload(TaxonomyTerm.translations)
    ).order_by(TaxonomyTerm.position, TaxonomyTerm.code)
    rows = list(db.session.scalars(statement).unique())
    names = {row.taxonomy_id: TaxonomyName(row.taxonomy.name) for row in rows}
    terms = [Term(row, names[row.taxonomy_id]) for row in rows]
    by_id = {term.id: term for term in terms}
    for term in terms:  # children in display order, as the ORM relationship orders them
        term.parent = by_id.get(term.parent_id) if term.parent_id else None
        if term.parent is not None:
            term.parent.children.append(term)
    return Snapshot(tuple(terms), by_id)


def snapshot() -> Snapshot:
    return cached("taxonomy", _build)


def _touches_taxonomy(item: object) -> bool:
    if isinstance(item, (Taxonomy, TaxonomyTerm)):
        return True
    return isinstance(item, TranslatedText) and item.link_entity == "taxonomy_term"


watch("taxonomy", _touches_taxonomy)
