"""Turns directory rows into search documents (the index is derived data, rebuilt from these)."""
from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import select

from ..directory.models import Service
from ..extensions import db
from .analysis import CONTENT_LOCALES
from .backend import SearchDocument

SEARCHABLE_STATUSES = ("active", "temporarily closed")


def _locales_of(service: Service) -> list[str]:
    """The service's source locale and every locale it (or its organization) has text in."""
    found = {service.source_locale, service.organization.source_locale}
    found.update(t.locale for t in service.translations)
    found.update(t.locale for t in service.organization.translations)
    return sorted(found)


def document_for(service: Service) -> SearchDocument:
    categories = service.terms("categories")
    attributes = service.terms("attributes")
    texts: dict[str, dict[str, str]] = {}
    for locale in _locales_of(service):
        labels = []
        for term in [*categories, *attributes]:
            labels.append(term.text("name", locale).value)
            if term.parent is not None:
                labels.append(term.parent.text("name", locale).value)
        name = service.text("name", locale)
        if name.is_fallback and locale != "en" and locale not in CONTENT_LOCALES:
            continue
        texts[locale] = {
            "name": " ".join(filter(None, [name.value, service.alternate_name or ""])),
            "description": service.text("description", locale).value,
            "organization": service.organization.text("name", locale).value,
            "categories": " ".join(dict.fromkeys(labels)),
        }
    codes = set()
    for term in categories:
        codes.add(term.code)
        if term.parent is not None:
            codes.add(term.parent.code)
    flags = {term.code for term in attributes}
    if not service.service_at_locations:
        flags.add("remote-only")
    return SearchDocument(
        service_id=service.id,
        texts=texts,
        categories=tuple(sorted(codes)),
        attributes=tuple(sorted(flags)),
        languages=tuple(sorted({language.code for language in service.languages})),
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
    )


def searchable_services(ids: Iterable[str] | None = None) -> Iterator[Service]:
    statement = select(Service).where(Service.status.in_(SEARCHABLE_STATUSES)).order_by(Service.id)
    if ids is not None:
        statement = statement.where(Service.id.in_(list(ids)))
    yield from db.session.scalars(statement).unique()


def documents(ids: Iterable[str] | None = None) -> Iterator[SearchDocument]:
    for service in searchable_services(ids):
        yield document_for(service)
