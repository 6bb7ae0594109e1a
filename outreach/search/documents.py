"""Turns directory rows into search documents (the index is derived data, rebuilt from these)."""
from __future__ import annotations

from typing import Iterable, Iterator

from flask import current_app
from sqlalchemy import select

from ..directory.models import Service
from ..extensions import db
from .backend import SearchDocument


def document_for(service: Service, locales: Iterable[str]) -> SearchDocument:
    texts: dict[str, dict[str, str]] = {}
    categories = service.terms("categories")
    for locale in locales:
        names = []
        for term in categories:
            names.append(term.text("name", locale).value)
            if term.parent is not None:
                names.append(term.parent.text("name", locale).value)
        texts[locale] = {
            "name": " ".join(filter(None, [service.text("name", locale).value, service.alternate_name or ""])),
            "description": service.text("description", locale).value,
            "organization": service.organization.text("name", locale).value,
            "categories": " ".join(names),
        }
    codes = set()
    for term in categories:
        codes.add(term.code)
        if term.parent is not None:
            codes.add(term.parent.code)
    return SearchDocument(
        service_id=service.id,
        texts=texts,
        categories=tuple(sorted(codes)),
        attributes=tuple(sorted(t.code for t in service.terms("attributes"))),
        languages=tuple(sorted({language.code for language in service.languages})),
    )


def searchable_services() -> Iterator[Service]:
    statement = select(Service).where(Service.status.in_(("active", "temporarily closed"))).order_by(Service.id)
    yield from db.session.scalars(statement)


def all_documents() -> Iterator[SearchDocument]:
    locales = current_app.config["LOCALES"]
    for service in searchable_services():
        yield document_for(service, locales)
