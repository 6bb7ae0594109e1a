"""Reading HSDS 3.0 files into flat records, one table per HSDS object, checked against the official schemas.

* JSON: a list of objects or one object (a service, an organization, a taxonomy or a term; fully
  nested or not), a Page object from an HSDS API, or a folder as ``hsds export --format json`` writes.
  Every item is validated against the official compiled schema of its kind, then its nested objects
  are taken apart into their tables (the foreign keys a nested object leaves out are filled from its parent).
* Tabular data package: ``datapackage.json`` and its CSVs. Headers, required values, types, formats,
  enums and unique ids are checked against the official descriptor's Table Schema.

Nothing here touches the database. Every problem is collected with its place (file, row, field).
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..hsds_files import official_datapackage
from .problems import Place, Problems
from .schemas import schema_errors

# The files `hsds export --format json` writes, and the kind of object each holds.
JSON_FILES = {"taxonomies.json": "taxonomy", "taxonomy_terms.json": "taxonomy_term",
              "organizations.json": "organization", "services.json": "service"}

# Nested lists and objects of each HSDS object, and the table each belongs to.
NESTED_LISTS: dict[str, dict[str, str]] = {
    "organization": {"phones": "phone", "locations": "location", "services": "service", "attributes": "attribute",
                     "contacts": "contact", "funding": "funding", "programs": "program",
                     "organization_identifiers": "organization_identifier"},
    "service": {"phones": "phone", "schedules": "schedule", "service_areas": "service_area",
                "service_at_locations": "service_at_location", "languages": "language", "cost_options": "cost_option",
                "required_documents": "required_document", "attributes": "attribute", "contacts": "contact",
                "funding": "funding"},
    "location": {"addresses": "address", "accessibility": "accessibility", "phones": "phone", "languages": "language",
                 "attributes": "attribute", "schedules": "schedule", "contacts": "contact"},
    "service_at_location": {"phones": "phone", "schedules": "schedule", "attributes": "attribute", "contacts": "contact"},
    "phone": {"languages": "language", "attributes": "attribute"},
    "contact": {"phones": "phone", "attributes": "attribute"},
}
NESTED_OBJECTS: dict[str, dict[str, tuple[str, str]]] = {
    # key: (table, the parent's column that names it)
    "service": {"organization": ("organization", "organization_id"), "program": ("program", "program_id")},
    "service_at_location": {"location": ("location", "location_id"), "service": ("service", "service_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "taxonomy_id")},
}
IGNORED_KEYS = {"metadata"}  # HSDS's change log of a record: nothing of ours to map it onto

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class Record:
    """One flat HSDS record, where it came from, and which of its child tables the file describes."""

    table: str
    data: dict[str, Any]
    place: Place
    given: set[str] = field(default_factory=set)


@dataclass
class Collected:
    tables: dict[str, dict[str, Record]] = field(default_factory=dict)
    # Tables the whole file describes for every parent it holds (a data package's resources).
    given_everywhere: set[str] = field(default_factory=set)
    # Ids of records left out because of a problem already reported: references to them are not
    # reported again as references to nothing.
    rejected: dict[str, set[str]] = field(default_factory=dict)

    def records(self, table: str) -> dict[str, Record]:
        return self.tables.get(table, {})


# -- official schemas --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def table_fields() -> dict[str, dict[str, dict]]:
    """Each HSDS table's fields (name → Table Schema field), from the official datapackage.json."""
    return {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in official_datapackage()["resources"]}


def _short(value: str, limit: int = 160) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# -- files -------------------------------------------------------------------------------------------


def read_text(path: Path, name: str, problems: Problems) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.file(name, f"cannot be read: {error.strerror or error}")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.file(name, f"is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); save it as UTF-8")
        return None


def read_json(path: Path, name: str, problems: Problems) -> Any:
    text = read_text(path, name, problems)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        problems.file(name, f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})")
        return None


def read(path: Path, problems: Problems) -> Collected:
    """Everything in ``path`` (a JSON file, a datapackage.json, or a folder holding either)."""
    collected = Collected()
    if path.is_dir():
        if (path / "datapackage.json").is_file():
            _read_package(path / "datapackage.json", collected, problems)
            return collected
        found = [path / name for name in JSON_FILES if (path / name).is_file()]
        if not found:
            problems.file(path.name or str(path), "holds neither a datapackage.json nor any of "
                          + ", ".join(JSON_FILES))
        for file in found:
            data = read_json(file, file.name, problems)
            if data is not None:
                _read_json_items(data, file.name, JSON_FILES[file.name], collected, problems)
        return collected
    if not path.is_file():
        problems.file(str(path), "does not exist")
        return collected
    data = read_json(path, path.name, problems)
    if data is None:
        return collected
    if isinstance(data, dict) and "resources" in data:
        _read_package(path, collected, problems)
    else:
        _read_json_items(data, path.name, JSON_FILES.get(path.name), collected, problems)
    return collected


# -- JSON --------------------------------------------------------------------------------------------


def _kind(item: dict, hint: str | None) -> str:
    if hint:
        return hint
    if "status" in item or "service_at_locations" in item or "organization_id" in item:
        return "service"
    if {"code", "taxonomy_id", "taxonomy", "taxonomy_detail", "parent_id", "term_uri"} & item.keys():
        return "taxonomy_term"
    if {"services", "locations", "website", "tax_id", "year_incorporated", "legal_status"} & item.keys():
        return "organization"
    return "service"


def _read_json_items(data: Any, name: str, hint: str | None, collected: Collected, problems: Problems) -> None:
    if isinstance(data, dict) and isinstance(data.get("contents"), list) and "total_items" in data:
        data = data["contents"]  # a Page object from an HSDS API
    items = data if isinstance(data, list) else [data]
    for number, item in enumerate(items, start=1):
        place = Place(name, number if isinstance(data, list) else None)
        if not isinstance(item, dict):
            problems.add(place, None, f"must be a JSON object (an HSDS service or organization), not {type(item).__name__}")
            continue
        kind = _kind(item, hint)
        errors = schema_errors(kind, item)
        for error in errors:
            where = "/".join(str(part) for part in error.absolute_path) or None
            problems.add(place, where, _short(error.message) + f" (HSDS {kind})")
        if not errors:
            _flatten(kind, item, place, None, collected, problems)
        else:
            scratch = Collected()
            _flatten(kind, item, place, None, scratch, Problems())
            for table, records in scratch.tables.items():
                collected.rejected.setdefault(table, set()).update(records)
        if isinstance(data, list):
            data[number - 1] = None  # its flat records hold what is needed: let the nested objects go


def _flatten(table: str, item: dict, place: Place, parent: tuple[str, dict] | None,
             collected: Collected, problems: Problems) -> str | None:
    record_id = item.get("id")
    if not isinstance(record_id, str) or not record_id:
        problems.add(place, "id", "every record needs an id")
        return None
    fields = table_fields().get(table, {})
    data = {key: value for key, value in item.items() if not isinstance(value, (dict, list)) and key not in IGNORED_KEYS}
    if parent is not None:
        parent_table, parent_data = parent
        if table == "attribute":
            data.setdefault("link_id", parent_data["id"])
            data.setdefault("link_entity", parent_table)
        elif f"{parent_table}_id" in fields:
            data.setdefault(f"{parent_table}_id", parent_data["id"])
        if parent_table == "service_at_location" and parent_data.get("service_id") and "service_id" in fields:
            data.setdefault("service_id", parent_data["service_id"])  # a place's phone or hours: the service's
    given: set[str] = set()
    for key, (child_table, column) in NESTED_OBJECTS.get(table, {}).items():
        child = item.get(key)
        if isinstance(child, dict):
            child_id = _flatten(child_table, child, place.at(key), None, collected, problems)
            if child_id:
                data.setdefault(column, child_id)
    for key, child_table in NESTED_LISTS.get(table, {}).items():
        children = item.get(key)
        if not isinstance(children, list):
            continue
        given.add(child_table)
        for index, child in enumerate(children):
            if isinstance(child, dict):
                _flatten(child_table, child, place.at(key, index), (table, data), collected, problems)
    add(collected, Record(table, data, place, given), problems)
    return record_id


def add(collected: Collected, record: Record, problems: Problems) -> None:
    """Add a record; the same id seen again must agree on every field both places give."""
    table = collected.tables.setdefault(record.table, {})
    record_id = record.data["id"]
    seen = table.get(record_id)
    if seen is None:
        table[record_id] = record
        return
    if record.place.unit == "line":
        problems.add(record.place, "id", f"id {record_id} is used twice in this table (first on line {seen.place.row})")
        return
    for key, value in record.data.items():
        if key in seen.data and seen.data[key] != value:
            first = seen.place
            problems.add(record.place, key, f"differs from the same {record.table} ({record_id}) in {first.file}"
                         + (f", item {first.row}" if first.row else "") + (f", {first.path}" if first.path else ""))
        else:
            seen.data[key] = value
    seen.given |= record.given


# -- tabular data package ----------------------------------------------------------------------------


def _read_package(descriptor_path: Path, collected: Collected, problems: Problems) -> None:
    folder = descriptor_path.parent
    name = descriptor_path.name
    descriptor = read_json(descriptor_path, name, problems)
    if descriptor is None:
        return
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list) or not resources:
        problems.file(name, "has no 'resources' list: not a tabular data package")
        return
    official = {r["name"]: r for r in official_datapackage()["resources"]}
    present: list[tuple[str, Path, str]] = []
    for index, resource in enumerate(resources, start=1):
        place = Place(name, None, f"resources/{index - 1}")
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            problems.add(place, "name", "every resource needs a name")
            continue
        resource_name = resource["name"]
        if resource_name not in official:
            problems.add(place, "name", f"'{resource_name}' is not an HSDS 3.0 resource")
            continue
        relative = resource.get("path")
        if not isinstance(relative, str) or not relative:
            problems.add(place, "path", f"resource '{resource_name}' names no file")
            continue
        file = (folder / relative).resolve()
        if folder.resolve() not in file.parents:
            problems.add(place, "path", f"'{relative}' is outside the package's folder")
            continue
        if not file.is_file():
            problems.add(place, "path", f"resource '{resource_name}': file {relative} is missing")
            continue
        present.append((resource_name, file, relative))
    names = {resource_name for resource_name, _, _ in present}
    collected.given_everywhere |= names
    for resource_name, file, relative in present:
        _read_csv(resource_name, file, relative, official[resource_name]["schema"], collected, problems)


def _check_cell(value: str, spec: dict) -> str | None:
    """Why ``value`` does not fit its Table Schema field, or None."""
    kind, fmt = spec.get("type"), spec.get("format")
    try:
        if kind == "number":
            float(value)
        elif kind == "date":
            date.fromisoformat(value)
        elif kind == "time":
            time.fromisoformat(value)
        elif kind == "datetime":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return f"'{_short(value, 60)}' is not a valid {kind}"
    if fmt == "uuid" and not UUID_RE.match(value):
        return f"'{_short(value, 60)}' is not a UUID"
    if fmt == "email" and (" " in value or "@" not in value.strip("@")):
        return f"'{_short(value, 60)}' is not an e-mail address"
    if fmt == "uri" and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value):
        return f"'{_short(value, 60)}' is not a URI"
    enum = spec.get("constraints", {}).get("enum")
    if enum and value not in enum:
        return f"'{_short(value, 60)}' is not one of {', '.join(enum)}"
    return None


def _read_csv(table: str, file: Path, relative: str, schema: dict, collected: Collected,
              problems: Problems) -> None:
    text = read_text(file, relative, problems)
    if text is None:
        return
    fields = {f["name"]: f for f in schema["fields"]}
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader, None)
    except csv.Error as error:
        problems.file(relative, f"is not a readable CSV file: {error}")
        return
    head = Place(relative, 1, "", "line")
    if not header:
        problems.add(head, None, f"is empty: the first line must name the columns ({', '.join(fields)})")
        return
    bad_header = False
    for column in header:
        if column not in fields:
            problems.add(head, column or "(empty)", f"is not a column of HSDS {table} (expected {', '.join(fields)})")
            bad_header = True
        elif header.count(column) > 1:
            problems.add(head, column, "is named twice in the header")
            bad_header = True
    for name, spec in fields.items():
        if spec.get("constraints", {}).get("required") and name not in header:
            problems.add(head, name, f"required column missing from the header of {relative}")
            bad_header = True
    if bad_header:
        return
    required = [name for name in header if fields[name].get("constraints", {}).get("required")]
    try:
        for values in reader:
            line = reader.line_num
            place = Place(relative, line, "", "line")
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                problems.add(place, None, f"has {len(values)} values; the header names {len(header)} columns")
                continue
            row = dict(zip(header, values))
            bad = False
            for name in required:
                if row[name] == "":
                    problems.add(place, name, "is required")
                    bad = True
            for name, value in row.items():
                if value != "":
                    why = _check_cell(value, fields[name])
                    if why:
                        problems.add(place, name, why)
                        bad = True
            if bad:
                if row.get("id"):
                    collected.rejected.setdefault(table, set()).add(row["id"])
            else:
                add(collected, Record(table, {k: v for k, v in row.items() if v != ""}, place), problems)
    except csv.Error as error:
        problems.file(relative, f"is not a readable CSV file (line {reader.line_num}): {error}")

