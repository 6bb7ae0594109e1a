"""HSDS records → rows of our tables, checked against our own rules.

Our rules on top of the official schemas: ids are UUIDs; every reference names a record in the file
or already in the database; dates and ages are in order; enums hold; schedules are weekly hours with
opening and closing times; values fit our columns. Taxonomy terms the site does not know are kept in
their own (foreign) taxonomy; a term whose code and taxonomy match one of ours is mapped onto it.

A location is confidential when it carries the ``confidential-address`` attribute, when a service
delivered there does, or when it already is in the database: an import never makes an address public.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import Date, DateTime, Float, Integer, Numeric, Time, select

from ...directory.models import (
    CONTENT_NAMESPACE,
    LOCATION_TYPES,
    PHONE_TYPES,
    SERVICE_STATUSES,
    WEEKDAYS,
)
from ...extensions import db
from .problems import Place, Problems
from .reading import UUID_RE, Collected, Record

CONFIDENTIAL_CODE = "confidential-address"
IMPORTED_TAXONOMY = "imported"

# HSDS field → our column, per table (same names unless said). Fields not listed are not kept.
FIELDS: dict[str, dict[str, str]] = {
    "organization": {f: f for f in ("id", "name", "alternate_name", "description", "email", "website", "tax_status",
                                     "tax_id", "year_incorporated", "legal_status", "logo", "uri",
                                     "parent_organization_id")},
    "service": {f: f for f in ("id", "organization_id", "program_id", "name", "alternate_name", "description", "url",
                                "email", "status", "interpretation_services", "application_process",
                                "fees_description", "wait_time", "accreditations", "eligibility_description",
                                "minimum_age", "maximum_age", "assured_date", "assurer_email", "alert",
                                "last_modified")},
    "location": {f: f for f in ("id", "location_type", "url", "organization_id", "name", "alternate_name",
                                 "description", "transportation", "latitude", "longitude", "external_identifier",
                                 "external_identifier_type")},
    "service_at_location": {f: f for f in ("id", "service_id", "location_id", "description")},
    "address": {f: f for f in ("id", "location_id", "attention", "address_1", "address_2", "city", "region",
                                "state_province", "postal_code", "country", "address_type")},
    "accessibility": {f: f for f in ("id", "location_id", "description", "details", "url")},
    "phone": {f: f for f in ("id", "location_id", "service_id", "organization_id", "contact_id",
                              "service_at_location_id", "number", "extension", "type", "description")},
    "schedule": {**{f: f for f in ("id", "service_id", "location_id", "service_at_location_id", "valid_from",
                                   "valid_to", "dtstart", "until", "wkst", "freq", "interval", "byday",
                                   "description", "opens_at", "closes_at", "attending_type", "notes")},
                 "timezone": "timezone_name"},
    "language": {f: f for f in ("id", "service_id", "location_id", "phone_id", "name", "code", "note")},
    "cost_option": {f: f for f in ("id", "service_id", "valid_from", "valid_to", "option", "currency", "amount",
                                    "amount_description")},
    "required_document": {f: f for f in ("id", "service_id", "document", "uri")},
    "service_area": {f: f for f in ("id", "service_id", "name", "description", "extent", "extent_type", "uri")},
    "taxonomy": {f: f for f in ("id", "name", "description", "uri", "version")},
    "taxonomy_term": {f: f for f in ("id", "code", "name", "description", "parent_id", "taxonomy_id", "language",
                                      "term_uri")},
    "attribute": {f: f for f in ("id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value")},
}
# Write order: a row's references are written before it.
ORDER = ("organization", "taxonomy", "taxonomy_term", "location", "service", "service_at_location", "address",
         "accessibility", "phone", "language", "schedule", "cost_option", "required_document", "service_area",
         "attribute")
# Columns holding text in the record's source language (other locales live in translated_text).
TRANSLATABLE: dict[str, tuple[str, ...]] = {
    "organization": ("name", "alternate_name", "description"),
    "service": ("name", "alternate_name", "description", "interpretation_services", "application_process",
                "fees_description", "wait_time", "accreditations", "eligibility_description", "alert"),
    "location": ("name", "alternate_name", "description", "transportation"),
    "accessibility": ("description", "details"),
    "phone": ("description",),
    "schedule": ("description", "notes"),
    "cost_option": ("option", "amount_description"),
    "required_document": ("document",),
    "service_area": ("name", "description"),
    "taxonomy_term": ("name", "description"),
}
# References: (table, column) → the table it names.
REFERENCES: dict[tuple[str, str], str] = {
    ("organization", "parent_organization_id"): "organization",
    ("service", "organization_id"): "organization",
    ("location", "organization_id"): "organization",
    ("service_at_location", "service_id"): "service",
    ("service_at_location", "location_id"): "location",
    ("address", "location_id"): "location",
    ("accessibility", "location_id"): "location",
    ("phone", "service_id"): "service",
    ("phone", "location_id"): "location",
    ("phone", "organization_id"): "organization",
    ("language", "service_id"): "service",
    ("language", "location_id"): "location",
    ("language", "phone_id"): "phone",
    ("schedule", "service_id"): "service",
    ("schedule", "location_id"): "location",
    ("cost_option", "service_id"): "service",
    ("required_document", "service_id"): "service",
    ("service_area", "service_id"): "service",
    ("taxonomy_term", "taxonomy_id"): "taxonomy",
    ("attribute", "taxonomy_term_id"): "taxonomy_term",
}
# The tables an attribute may point at (link_entity).
LINKABLE = ("service", "location", "organization", "service_at_location", "phone", "contact", "schedule",
            "address", "cost_option", "service_area", "required_document", "accessibility", "language", "program",
            "funding", "organization_identifier")
OWNERS = {  # a child row must belong to one of these
    "phone": ("service_id", "location_id", "organization_id"),
    "language": ("service_id", "location_id", "phone_id"),
    "schedule": ("service_id", "location_id"),
}


@dataclass
class Row:
    """One row of one of our tables, ready to compare with the database."""

    table: str
    values: dict[str, Any]
    place: Place
    given: set[str] = field(default_factory=set)


@dataclass
class Mapped:
    rows: dict[str, dict[str, Row]]
    ignored: dict[str, int]  # "contact" → how many records of tables we do not keep
    default_locale: str
    notes: list[str] = field(default_factory=list)


# -- values ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _integer(value: Any) -> int:
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"'{value}' is not a whole number")
    return int(number)


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _converter(column) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, Integer):
        return _integer
    if isinstance(kind, Float):
        return float
    if isinstance(kind, Numeric):
        return lambda v: Decimal(_text(v))
    if isinstance(kind, DateTime):
        return _datetime
    if isinstance(kind, Date):
        return lambda v: date.fromisoformat(str(v))
    if isinstance(kind, Time):
        return lambda v: time.fromisoformat(str(v))
    return _text


@lru_cache(maxsize=1)
def _columns() -> dict[str, dict[str, Any]]:
    return {table: {c.name: c for c in db.metadata.tables[table].columns} for table in FIELDS}


@lru_cache(maxsize=1)
def _converters() -> dict[str, dict[str, Callable[[Any], Any]]]:
    return {table: {name: _converter(column) for name, column in columns.items()} for table, columns in _columns().items()}


@lru_cache(maxsize=None)
def _plan(table: str) -> tuple[tuple[str, str, Callable[[Any], Any] | None, int | None], ...]:
    """(HSDS field, our column, converter, longest text) for each field of ``table`` we keep."""
    columns, converters = _columns()[table], _converters()[table]
    return tuple(
        (hsds, column, None if column == "timezone_name" else converters[column],
         getattr(columns[column].type, "length", None))
        for hsds, column in FIELDS[table].items()
    )


@lru_cache(maxsize=1)
def _zones_by_offset() -> dict[float, str]:
    """One IANA zone for each UTC offset in use now (the first by name), for offsets Etc/ cannot name."""
    found: dict[float, str] = {}
    now = datetime.now(timezone.utc)
    for name in sorted(available_timezones()):
        offset = now.astimezone(ZoneInfo(name)).utcoffset()
        if offset is not None:
            found.setdefault(offset.total_seconds() / 3600, name)
    return found


def _offset_now(zone_name: str) -> float | None:
    try:
        offset = datetime.now(timezone.utc).astimezone(ZoneInfo(zone_name)).utcoffset()
    except (KeyError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def zone_for_offset(hours: float, preferred: Iterable[str | None]) -> str:
    """HSDS gives a UTC offset; we keep an IANA zone. Prefer a zone we already use that matches now."""
    for name in preferred:
        if name and _offset_now(name) == hours:
            return name
    if float(hours).is_integer():
        whole = int(hours)
        return "Etc/GMT" if whole == 0 else f"Etc/GMT{'-' if whole > 0 else '+'}{abs(whole)}"
    return _zones_by_offset().get(hours, "UTC")


# -- mapping -----------------------------------------------------------------------------------------


class _Mapper:
    def __init__(self, collected: Collected, problems: Problems, default_locale: str):
        self.collected = collected
        self.problems = problems
        self.default_locale = default_locale
        self.rows: dict[str, dict[str, Row]] = {table: {} for table in ORDER}
        self.ignored: dict[str, int] = {}
        self.term_ids: dict[str, str] = {}  # a file's term id → our term's id (same code and taxonomy)
        self.taxonomy_ids: dict[str, str] = {}
        self._in_db: dict[str, set[str]] = {}
        self.notes: list[str] = []  # what was kept differently from the file (printed, not an error)

    # database look-ups, batched
    def existing(self, table: str, ids: Iterable[str]) -> set[str]:
        known = self._in_db.setdefault(table, set())
        wanted = {i for i in ids if i not in known}
        model = db.metadata.tables[table]
        wanted_list = sorted(wanted)
        for start in range(0, len(wanted_list), 500):
            chunk = wanted_list[start : start + 500]
            known |= set(db.session.execute(select(model.c.id).where(model.c.id.in_(chunk))).scalars())
        return known

    def convert(self, record: Record) -> Row | None:
        values: dict[str, Any] = {}
        data = record.data
        ok = True
        for hsds_name, column, converter, length in _plan(record.table):
            raw = data.get(hsds_name)
            if raw is None or raw == "":
                values[column] = None
                continue
            if converter is None or (converter is _text and type(raw) is str):
                value = raw  # text as it is (and the schedule's UTC offset, decided later)
            else:
                try:
                    value = converter(raw)
                except (ValueError, TypeError, InvalidOperation) as error:
                    message = str(error) if "whole number" in str(error) else f"'{raw}' is not a valid value here"
                    self.problems.add(record.place, hsds_name, message)
                    ok = False
                    continue
            if length and type(value) is str and len(value) > length:
                self.problems.add(record.place, hsds_name, f"is {len(value)} characters long; at most {length} fit")
                ok = False
            values[column] = value
        if not isinstance(values["id"], str) or not UUID_RE.match(values["id"]):
            self.problems.add(record.place, "id", f"'{values['id']}' is not a UUID (HSDS ids are UUIDs)")
            ok = False
        return Row(record.table, values, record.place, record.given | self.collected.given_everywhere) if ok else None

    def run(self) -> None:
        for table, records in self.collected.tables.items():
            if table not in FIELDS:
                self.ignored[table] = len(records)
                continue
            for record in records.values():
                row = self.convert(record)
                if row is not None:
                    self.rows[table][row.values["id"]] = row
                else:
                    self.collected.rejected.setdefault(table, set()).add(record.data["id"])
        self.taxonomies()
        for table in ORDER:
            check = getattr(self, f"check_{table}", None)
            for row in self.rows[table].values():
                if check:
                    check(row)
        self.references()
        self.confidentiality()
        self.required()

    # -- taxonomy ------------------------------------------------------------------------------------

    def taxonomies(self) -> None:
        from ...directory.models import Taxonomy, TaxonomyTerm

        taxonomies = self.rows["taxonomy"]
        by_name = {name: tax_id for tax_id, name in db.session.execute(select(Taxonomy.id, Taxonomy.name))}
        in_db = set(by_name.values())
        for tax_id, row in list(taxonomies.items()):
            name = row.values["name"]
            if tax_id not in in_db and name in by_name:  # our taxonomy, under another id in the file
                self.taxonomy_ids[tax_id] = by_name[name]
                del taxonomies[tax_id]
                row.values["id"] = by_name[name]
                taxonomies[by_name[name]] = row
        file_names = {row.values["name"]: tax_id for tax_id, row in taxonomies.items()}
        terms = self.rows["taxonomy_term"]
        known_terms = {term_id: (code, taxonomy_id) for term_id, code, taxonomy_id in db.session.execute(
            select(TaxonomyTerm.id, TaxonomyTerm.code, TaxonomyTerm.taxonomy_id))}
        by_code = {code: term_id for term_id, (code, _) in known_terms.items()}
        for term_id, row in list(terms.items()):
            values = row.values
            record = self.collected.tables["taxonomy_term"][term_id]
            tax_id = self.taxonomy_ids.get(values["taxonomy_id"], values["taxonomy_id"])
            if tax_id is None:
                name = record.data.get("taxonomy") or IMPORTED_TAXONOMY
                tax_id = file_names.get(name) or by_name.get(name)
                if tax_id is None:
                    tax_id = str(uuid.uuid5(CONTENT_NAMESPACE, f"taxonomy:{name}"))
                    description = ("Terms imported from an HSDS file without a taxonomy" if name == IMPORTED_TAXONOMY
                                   else "")
                    taxonomies[tax_id] = Row("taxonomy", {"id": tax_id, "name": name, "description": description,
                                                          "uri": None, "version": None}, row.place)
                    file_names[name] = tax_id
            values["taxonomy_id"] = tax_id
            if values["code"] is None:
                values["code"] = term_id
            if term_id not in known_terms and values["code"] in by_code:
                ours = by_code[values["code"]]
                if known_terms[ours][1] == tax_id:  # the same term, under another id in the file
                    self.term_ids[term_id] = ours
                    del terms[term_id]
                    values["id"] = ours
                    terms[ours] = row
                else:  # a foreign term whose code we use for something else: keep it, its code qualified
                    name = taxonomies[tax_id].values["name"] if tax_id in taxonomies else tax_id
                    values["code"] = f"{name}:{values['code']}"[:100]
        codes: dict[str, str] = {}
        for term_id, row in terms.items():
            code = row.values["code"]
            other = codes.get(code) or (by_code.get(code) if by_code.get(code) != term_id else None)
            if other and other != term_id:
                self.problems.add(row.place, "code", f"code '{code}' is also used by taxonomy term {other}")
            codes[code] = term_id
            if row.values["parent_id"]:
                row.values["parent_id"] = self.term_ids.get(row.values["parent_id"], row.values["parent_id"])
            if row.values["description"] is None:
                row.values["description"] = ""
        for row in self.rows["attribute"].values():
            term = row.values["taxonomy_term_id"]
            row.values["taxonomy_term_id"] = self.term_ids.get(term, term)

    # -- per-table rules -----------------------------------------------------------------------------

    def _order(self, row: Row, first: str, second: str, what: str) -> None:
        a, b = row.values.get(first), row.values.get(second)
        if a is not None and b is not None and a > b:
            self.problems.add(row.place, second, f"{what}: {second} ({b}) comes before {first} ({a})")

    def _enum(self, row: Row, column: str, allowed: tuple[str, ...], default: str | None = None) -> None:
        value = row.values.get(column)
        if value is None:
            row.values[column] = default
        elif value not in allowed:
            self.problems.add(row.place, column, f"'{value}' is not one of {', '.join(allowed)}")

    def check_organization(self, row: Row) -> None:
        if row.values["description"] is None:
            row.values["description"] = ""

    def check_service(self, row: Row) -> None:
        self._enum(row, "status", SERVICE_STATUSES, "active")
        for column in ("minimum_age", "maximum_age"):
            age = row.values.get(column)
            if age is not None and not 0 <= age <= 130:
                self.problems.add(row.place, column, f"{age} is not an age")
        self._order(row, "minimum_age", "maximum_age", "ages")
        if row.values["description"] is None:
            row.values["description"] = ""

    def check_location(self, row: Row) -> None:
        self._enum(row, "location_type", LOCATION_TYPES, "physical")
        for column, limit in (("latitude", 90), ("longitude", 180)):
            value = row.values.get(column)
            if value is not None and not -limit <= value <= limit:
                self.problems.add(row.place, column, f"{value} is outside -{limit}…{limit}")
        if (row.values["latitude"] is None) != (row.values["longitude"] is None):
            self.problems.add(row.place, "longitude" if row.values["longitude"] is None else "latitude",
                              "a place needs both latitude and longitude, or neither")

    def check_address(self, row: Row) -> None:
        self._enum(row, "address_type", LOCATION_TYPES, "physical")
        if row.values["country"] is None:
            row.values["country"] = "US"

    def check_phone(self, row: Row) -> None:
        self._enum(row, "type", PHONE_TYPES, "voice")

    def check_schedule(self, row: Row) -> None:
        values = row.values
        for column in ("opens_at", "closes_at", "byday"):
            if values[column] is None:
                self.problems.add(row.place, column, "is required here: this site keeps weekly opening hours "
                                  "(byday, opens_at, closes_at)")
        if values["freq"] not in (None, "WEEKLY"):
            self.problems.add(row.place, "freq", f"'{values['freq']}': only weekly schedules (WEEKLY) can be kept")
        values["freq"] = "WEEKLY"
        if values["byday"]:
            days = [day.strip() for day in values["byday"].split(",")]
            wrong = [day for day in days if day not in WEEKDAYS]
            if wrong:
                self.problems.add(row.place, "byday", f"{', '.join(wrong)}: days are {', '.join(WEEKDAYS)}")
            values["byday"] = ",".join(days)
        self._enum(row, "wkst", WEEKDAYS)
        self._order(row, "valid_from", "valid_to", "dates")
        self._order(row, "dtstart", "until", "dates")
        offset = values["timezone_name"]
        values["timezone_name"] = None  # decided in writing.py, which knows the zone stored today
        if offset is not None:
            try:
                hours = float(offset)
            except (TypeError, ValueError):
                self.problems.add(row.place, "timezone", f"'{offset}' is not a UTC offset in hours")
                return
            if not -12 <= hours <= 14:
                self.problems.add(row.place, "timezone", f"{offset} is not a UTC offset (-12 … 14 hours)")
            row.values["timezone_name"] = hours

    def check_cost_option(self, row: Row) -> None:
        self._order(row, "valid_from", "valid_to", "dates")
        currency = row.values.get("currency")
        if currency is not None and not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
            self.problems.add(row.place, "currency", f"'{currency}' is not an ISO 4217 code such as USD")

    def check_language(self, row: Row) -> None:
        if row.values["code"] is None:
            self.problems.add(row.place, "code", "is required here (a language code such as en or es)")

    def check_attribute(self, row: Row) -> None:
        entity = row.values["link_entity"]
        if entity not in LINKABLE:
            self.problems.add(row.place, "link_entity", f"'{entity}' is not an HSDS table")

    # -- references ----------------------------------------------------------------------------------

    def references(self) -> None:
        rows = self.rows
        services_at = {}
        for sal in rows["service_at_location"].values():
            services_at.setdefault(sal.values["location_id"], sal.values["service_id"])
        for row in rows["location"].values():  # a nested location may leave its organization out
            if row.values["organization_id"] is None:
                service_id = services_at.get(row.values["id"])
                service = rows["service"].get(service_id)
                if service is not None:
                    row.values["organization_id"] = service.values["organization_id"]
                elif service_id is not None:
                    row.values["organization_id"] = db.session.scalar(
                        select(db.metadata.tables["service"].c.organization_id)
                        .where(db.metadata.tables["service"].c.id == service_id))
        wanted: dict[str, set[str]] = {}
        for (table, column), target in REFERENCES.items():
            for row in rows[table].values():
                value = row.values.get(column)
                if value is not None and value not in rows[target]:
                    wanted.setdefault(target, set()).add(value)
        for row in rows["attribute"].values():
            entity, link_id = row.values["link_entity"], row.values["link_id"]
            if entity in FIELDS and link_id not in rows[entity]:
                wanted.setdefault(entity, set()).add(link_id)
        found = {target: self.existing(target, ids) | self.collected.rejected.get(target, set())
                 for target, ids in wanted.items()}
        for (table, column), target in REFERENCES.items():
            for row in rows[table].values():
                value = row.values.get(column)
                if value is not None and value not in rows[target] and value not in found.get(target, ()):
                    self.problems.add(row.place, column, f"names {target} {value}, which is neither in the file "
                                      "nor in the directory")
        for row in rows["attribute"].values():
            entity, link_id = row.values["link_entity"], row.values["link_id"]
            if entity in FIELDS and link_id not in rows[entity] and link_id not in found.get(entity, ()):
                self.problems.add(row.place, "link_id", f"names {entity} {link_id}, which is neither in the file "
                                  "nor in the directory")
        terms = self.rows["taxonomy_term"]
        parents = {row.values["parent_id"] for row in terms.values() if row.values["parent_id"] not in (None, *terms)}
        known = self.existing("taxonomy_term", parents)
        for row in terms.values():
            parent = row.values["parent_id"]
            if parent is not None and parent not in terms and parent not in known:
                # A term nested in a service often comes without its parent: keep the term, unattached.
                row.values["parent_id"] = None
                self.notes.append(f"{row.place.file}: taxonomy term {row.values['code']} kept without its "
                                  f"parent {parent}, which is neither in the file nor in the directory")
        for table, owners in OWNERS.items():
            for row in rows[table].values():
                if not any(row.values.get(column) for column in owners):
                    self.problems.add(row.place, None, f"this {table} belongs to no "
                                      + " or ".join(c.removesuffix("_id") for c in owners))

    def confidentiality(self) -> None:
        """Mark locations confidential from the file's attributes and what the database already says."""
        from ...directory.models import Location, TaxonomyTerm

        rows = self.rows
        confidential_terms = {row.values["id"] for row in rows["taxonomy_term"].values()
                              if row.values["code"] == CONFIDENTIAL_CODE}
        confidential_terms |= set(db.session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.code == CONFIDENTIAL_CODE)))
        flagged_locations, flagged_services = set(), set()
        for row in rows["attribute"].values():
            if row.values["taxonomy_term_id"] in confidential_terms:
                if row.values["link_entity"] == "location":
                    flagged_locations.add(row.values["link_id"])
                elif row.values["link_entity"] == "service":
                    flagged_services.add(row.values["link_id"])
        for sal in rows["service_at_location"].values():
            if sal.values["service_id"] in flagged_services:
                flagged_locations.add(sal.values["location_id"])
        ids = sorted(rows["location"])
        already = set()
        for start in range(0, len(ids), 500):
            already |= set(db.session.scalars(select(Location.id).where(
                Location.id.in_(ids[start : start + 500]), Location.is_address_confidential.is_(True))))
        for location_id, row in rows["location"].items():
            row.values["is_address_confidential"] = location_id in flagged_locations or location_id in already

    def required(self) -> None:
        """Columns our model needs that HSDS lets a file leave out."""
        for table, table_rows in self.rows.items():
            columns = _columns()[table]
            needed = [name for name, column in columns.items()
                      if not column.nullable and column.default is None and column.server_default is None
                      and name in FIELDS[table].values() and name not in ("timezone_name",)]
            for row in table_rows.values():
                for name in needed:
                    if row.values.get(name) is None:
                        hsds = next(h for h, c in FIELDS[table].items() if c == name)
                        self.problems.add(row.place, hsds, f"is required here (our {table} records need it)")


def map_records(collected: Collected, problems: Problems, default_locale: str) -> Mapped:
    mapper = _Mapper(collected, problems, default_locale)
    mapper.run()
    return Mapped(mapper.rows, mapper.ignored, default_locale, mapper.notes)


__all__ = ["CONFIDENTIAL_CODE", "FIELDS", "ORDER", "REFERENCES", "TRANSLATABLE", "Mapped", "Row", "map_records",
           "zone_for_offset"]
