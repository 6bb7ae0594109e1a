"""Turns directory rows into search documents (the index is derived data, rebuilt from these).

Documents are built from a handful of set-based queries per batch rather than object by object,
so rebuilding the index for tens of thousands of listings is bounded by the engine, not the ORM.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator

from sqlalchemy import select

from ..directory.models import (
    Attribute,
    Language,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from ..extensions import db
from ..i18n.models import TranslatedText
from .backend import SearchDocument
from .geocells import NO_PLACE, WIDE_AREA, cell_terms
from .places import service_points, wide_area_services

SEARCHABLE_STATUSES = ("active", "temporarily closed")
BATCH = 2000


class _Terms:
    """Every taxonomy term with its names in every locale, its parent and its taxonomy."""

    def __init__(self):
        rows = db.session.execute(
            select(TaxonomyTerm.id, TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.source_locale,
                   TaxonomyTerm.parent_id, Taxonomy.name).join(Taxonomy)
        ).all()
        self.code = {r[0]: r[1] for r in rows}
        self.parent = {r[0]: r[4] for r in rows}
        self.taxonomy = {r[0]: r[5] for r in rows}
        self.names: dict[str, dict[str, str]] = {r[0]: {r[3]: r[2]} for r in rows}
        self.source = {r[0]: r[3] for r in rows}
        for link_id, locale, value in db.session.execute(
            select(TranslatedText.link_id, TranslatedText.locale, TranslatedText.value).where(
                TranslatedText.link_entity == "taxonomy_term", TranslatedText.field == "name",
                TranslatedText.is_stale.is_(False))
        ):
            if link_id in self.names:
                self.names[link_id][locale] = value

    def name(self, term_id: str, locale: str) -> str:
        names = self.names[term_id]
        return names.get(locale) or names[self.source[term_id]]


def _texts_for(entity: str, ids: list[str]) -> dict[str, dict[tuple[str, str], str]]:
    found: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    if ids:
        for link_id, field, locale, value in db.session.execute(
            select(TranslatedText.link_id, TranslatedText.field, TranslatedText.locale, TranslatedText.value).where(
                TranslatedText.link_entity == entity, TranslatedText.link_id.in_(ids),
                TranslatedText.field.in_(("name", "description")), TranslatedText.is_stale.is_(False))
        ):
            found[link_id][(field, locale)] = value
    return found


def _batch(rows: list, terms: _Terms) -> Iterator[SearchDocument]:
    service_ids = [r.id for r in rows]
    org_ids = sorted({r.organization_id for r in rows})
    orgs = {o.id: o for o in db.session.execute(
        select(Organization.id, Organization.name, Organization.source_locale).where(Organization.id.in_(org_ids)))}
    service_texts = _texts_for("service", service_ids)
    org_texts = _texts_for("organization", org_ids)
    attributes: dict[str, list[str]] = defaultdict(list)
    for link_id, term_id in db.session.execute(
        select(Attribute.link_id, Attribute.taxonomy_term_id).where(
            Attribute.link_entity == "service", Attribute.link_id.in_(service_ids))
    ):
        attributes[link_id].append(term_id)
    languages: dict[str, set[str]] = defaultdict(set)
    for service_id, code in db.session.execute(
        select(Language.service_id, Language.code).where(Language.service_id.in_(service_ids))
    ):
        languages[service_id].add(code)
    placed = set(db.session.scalars(
        select(ServiceAtLocation.service_id).where(ServiceAtLocation.service_id.in_(service_ids))))
    points = service_points(service_ids)
    wide = wide_area_services(service_ids)

    for row in rows:
        org = orgs[row.organization_id]
        own, org_own = service_texts.get(row.id, {}), org_texts.get(org.id, {})
        locales = {row.source_locale, org.source_locale} | {loc for _f, loc in own} | {loc for _f, loc in org_own}
        term_ids = attributes.get(row.id, [])
        categories = [t for t in term_ids if terms.taxonomy[t] == "categories"]
        flags = {terms.code[t] for t in term_ids if terms.taxonomy[t] == "attributes"}
        labelled = [*term_ids, *(terms.parent[t] for t in categories if terms.parent[t])]
        texts = {}
        for locale in sorted(locales):
            texts[locale] = {
                "name": " ".join(filter(None, [own.get(("name", locale)) or row.name, row.alternate_name or ""])),
                "description": own.get(("description", locale)) or row.description or "",
                "organization": org_own.get(("name", locale)) or org.name,
                "categories": " ".join(dict.fromkeys(terms.name(t, locale) for t in labelled)),
            }
        codes = {terms.code[t] for t in categories} | {terms.code[terms.parent[t]] for t in categories if terms.parent[t]}
        if row.id not in placed:
            flags.add("remote-only")
        geo = cell_terms(points[row.id]) if row.id in points else [NO_PLACE]
        if row.id in wide:
            geo.append(WIDE_AREA)
        yield SearchDocument(
            service_id=row.id,
            texts=texts,
            categories=tuple(sorted(codes)),
            attributes=tuple(sorted(flags)),
            languages=tuple(sorted(languages.get(row.id, ()))),
            minimum_age=row.minimum_age,
            maximum_age=row.maximum_age,
            geo=tuple(geo),
        )


def documents(ids: Iterable[str] | None = None) -> Iterator[SearchDocument]:
    """Search documents for the given services (all searchable ones when ``ids`` is None)."""
    terms = _Terms()
    statement = select(Service.id, Service.organization_id, Service.name, Service.alternate_name, Service.description,
                       Service.source_locale, Service.minimum_age, Service.maximum_age).where(
        Service.status.in_(SEARCHABLE_STATUSES)).order_by(Service.id)
    wanted = sorted(set(ids)) if ids is not None else None
    if wanted is not None:
        for start in range(0, len(wanted), BATCH):
            chunk = db.session.execute(statement.where(Service.id.in_(wanted[start:start + BATCH]))).all()
            yield from _batch(chunk, terms)
        return
    last = ""
    while True:
        chunk = db.session.execute(statement.where(Service.id > last).limit(BATCH)).all()
        if not chunk:
            return
        yield from _batch(chunk, terms)
        last = chunk[-1].id
