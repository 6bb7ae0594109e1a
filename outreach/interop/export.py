"""``flask outreach hsds export``: the directory as an Open Referral HSDS 3.0 package.

* ``json``: ``services.json`` (every service, fully nested as ``compiled/service.json`` describes),
  ``organizations.json`` (fully nested organizations), ``taxonomies.json`` and ``taxonomy_terms.json``.
* ``datapackage``: ``datapackage.json`` (the official descriptor) and one CSV per resource, columns in
  the official field order; tables we hold no data for are written with their header only.

The same rules as the API hold: a confidential location is written without its address, coordinates
or directions. Text is each record's source text, or with ``lang`` that locale's (falling back to the
source). Every status is exported (HSDS's ``status`` says which services are listed).
"""
from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import select

from ..api import serializers
from ..api.serializers import Text
from ..directory.models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from ..extensions import db
from .hsds_files import official_datapackage

FORMATS = ("json", "datapackage")
BATCH = 500


def _all(model, order) -> Iterator:
    """Every row of ``model``, loaded in batches so memory stays flat for large directories."""
    ids = list(db.session.scalars(select(model.id).order_by(*order)))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(chunk))).unique()}
        yield from (rows[i] for i in chunk if i in rows)
        db.session.expunge_all()


def _services() -> Iterator[Service]:
    return _all(Service, (Service.name, Service.id))


def _organizations() -> Iterator[Organization]:
    return _all(Organization, (Organization.name, Organization.id))


# -- JSON --------------------------------------------------------------------------------------------


def _write_json_list(path: Path, items: Iterable[dict]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for item in items:
            handle.write(("\n" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
            count += 1
        handle.write("\n]\n")
    return count


def export_json(directory: Path, lang: str | None = None) -> dict[str, int]:
    tx = Text(lang=lang)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {
        "services": _write_json_list(directory / "services.json", (serializers.service(s, tx) for s in _services())),
        "organizations": _write_json_list(
            directory / "organizations.json",
            (serializers.organization(o, tx, o.services, full_services=False) for o in _organizations()),
        ),
        "taxonomies": _write_json_list(
            directory / "taxonomies.json", (serializers.taxonomy(t) for t in _all(Taxonomy, (Taxonomy.name, Taxonomy.id)))
        ),
        "taxonomy_terms": _write_json_list(
            directory / "taxonomy_terms.json",
            (serializers.taxonomy_term(t, tx) for t in _all(TaxonomyTerm, (TaxonomyTerm.code, TaxonomyTerm.id))),
        ),
    }
    return counts


# -- tabular data package ----------------------------------------------------------------------------


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """One table row: nested objects and lists belong to other tables."""
    return {key: value for key, value in data.items() if not isinstance(value, (dict, list))}


def _rows(tx: Text) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()

    def add(name: str, data: dict[str, Any]) -> None:
        if (name, data["id"]) in seen:  # e.g. a phone of both a service and a location
            return
        seen.add((name, data["id"]))
        tables.setdefault(name, []).append(_flat(data))
        if name == "phone":
            for language in data.get("languages", ()):
                add("language", language)

    for organization in _organizations():
        add("organization", serializers.organization_basic(organization, tx))
        for phone in organization.phones:
            add("phone", serializers.phone(phone, tx))
    location_ids: set[str] = set()
    for location in _all(Location, (Location.id,)):
        location_ids.add(location.id)
        data = serializers.location(location, tx)
        add("location", data)
        for key, table in (("addresses", "address"), ("accessibility", "accessibility"), ("phones", "phone"),
                           ("languages", "language"), ("attributes", "attribute")):
            for item in data[key]:
                add(table, item)
    for service in _services():
        data = serializers.service(service, tx, with_locations=False)
        add("service", data)
        for key, table in (("phones", "phone"), ("schedules", "schedule"), ("service_areas", "service_area"),
                           ("languages", "language"), ("cost_options", "cost_option"),
                           ("required_documents", "required_document"), ("attributes", "attribute")):
            for item in data[key]:
                add(table, item)
    for sal in _all(ServiceAtLocation, (ServiceAtLocation.id,)):
        add("service_at_location", serializers.service_at_location_basic(sal, tx))
    for taxonomy in _all(Taxonomy, (Taxonomy.name, Taxonomy.id)):
        add("taxonomy", serializers.taxonomy(taxonomy))
    for term in _all(TaxonomyTerm, (TaxonomyTerm.code, TaxonomyTerm.id)):
        add("taxonomy_term", serializers.taxonomy_term(term, tx))
    return tables


def _cell(value: Any, field: dict) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    kind = field.get("type")
    if kind == "time" and isinstance(value, str) and len(value) == 5:
        return value + ":00"  # HH:MM → HH:MM:SS, the Table Schema default
    if kind == "datetime" and isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def export_datapackage(directory: Path, lang: str | None = None) -> dict[str, int]:
    descriptor = official_datapackage()
    tables = _rows(Text(lang=lang))
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for resource in descriptor["resources"]:
        fields = resource["schema"]["fields"]
        names = [field["name"] for field in fields]
        rows = tables.get(resource["name"], [])
        with (directory / resource["path"]).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for row in rows:
                writer.writerow([_cell(row.get(field["name"]), field) for field in fields])
        counts[resource["name"]] = len(rows)
    descriptor = dict(descriptor)
    descriptor["name"] = "outreach-hsds-export"
    descriptor["title"] = "Outreach directory (Open Referral HSDS 3.0)"
    descriptor["created"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    (directory / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return counts


def export(directory: Path, fmt: str, lang: str | None = None) -> dict[str, int]:
    if fmt == "json":
        return export_json(directory, lang)
    if fmt == "datapackage":
        return export_datapackage(directory, lang)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
