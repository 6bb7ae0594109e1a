"""Rows → HSDS 3.0 objects, shaped as the official compiled schemas describe them.

Rules every function here keeps:

* HSDS types are strict (``"type": "string"`` admits no ``null``), so empty values are left out
  rather than sent as ``null``.
* ``lang`` picks the text of one locale for translatable fields, falling back to the record's own
  (source) text when there is no current translation; ``None`` means the source text.
* A location whose address is confidential never carries its address, coordinates or directions
  (``addresses``, ``latitude``, ``longitude``, ``transportation``): the site shows none of these
  either, and residents are told to call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..directory.models import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    WEEKDAYS,
    Accessibility,
    Address,
    Attribute,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

_FREQUENCIES = ("WEEKLY", "MONTHLY")


@dataclass(frozen=True)
class Text:
    """Which text to return: ``lang=None`` is each record's source text."""

    lang: str | None = None
    now: datetime | None = None  # the moment UTC offsets of schedules are taken at

    def __call__(self, record: Any, field: str) -> str | None:
        if self.lang is None or not hasattr(record, "text"):
            value = getattr(record, field)
        else:
            value = record.text(field, self.lang).value
        return value if value not in (None, "") else None


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: HSDS's string/number fields do not admit null."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso_time(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def iso_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive values; they were written in UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _digits(value: str | None) -> int | None:
    """HSDS types ``phone.extension`` as a number: only an all-digit extension can be one."""
    return int(value) if value and value.strip().isdigit() else None


def utc_offset_hours(zone_name: str | None, at: datetime | None = None) -> float | int | None:
    """HSDS ``schedule.timezone``: the UTC offset in hours of an IANA zone at a moment (default now)."""
    if not zone_name:
        return None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offset = (at or datetime.now(timezone.utc)).astimezone(zone).utcoffset()
    if offset is None:
        return None
    hours = offset.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


# -- taxonomy ----------------------------------------------------------------------------------------


def taxonomy(item: Taxonomy) -> dict[str, Any]:
    data = _clean({"id": item.id, "name": item.name, "uri": item.uri, "version": item.version})
    data["description"] = item.description or ""  # required by HSDS, even when empty
    return data


def taxonomy_term(item: TaxonomyTerm, tx: Text) -> dict[str, Any]:
    name = item.text("name", tx.lang) if tx.lang else None
    data = _clean({
        "id": item.id,
        "code": item.code,
        "name": (name.value if name else item.name) or item.code,
        "parent_id": item.parent_id,
        "taxonomy": item.taxonomy.name if item.taxonomy else None,
        "taxonomy_detail": taxonomy(item.taxonomy) if item.taxonomy else None,
        "language": (name.lang if name else item.language or item.source_locale),
        "taxonomy_id": item.taxonomy_id,
        "term_uri": item.term_uri,
    })
    data["description"] = tx(item, "description") or ""
    return data


def attribute(item: Attribute, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id,
        "link_id": item.link_id,
        "taxonomy_term_id": item.taxonomy_term_id,
        "link_type": item.link_type,
        "link_entity": item.link_entity,
        "value": item.value,
        "taxonomy_term": taxonomy_term(item.taxonomy_term, tx) if item.taxonomy_term else None,
    })


# -- small parts -------------------------------------------------------------------------------------


def language(item: Language) -> dict[str, Any]:
    return _clean({
        "id": item.id, "service_id": item.service_id, "location_id": item.location_id,
        "phone_id": item.phone_id, "name": item.name, "code": item.code, "note": item.note,
    })


def phone(item: Phone, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id,
        "location_id": item.location_id,
        "service_id": item.service_id,
        "organization_id": item.organization_id,
        "contact_id": item.contact_id,
        "service_at_location_id": item.service_at_location_id,
        "number": item.number,
        "extension": _digits(item.extension),
        "type": item.type,
        "description": tx(item, "description"),
        "languages": [language(x) for x in item.languages] or None,
    })


def schedule(item: Schedule, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id,
        "service_id": item.service_id,
        "location_id": item.location_id,
        "service_at_location_id": item.service_at_location_id,
        "valid_from": _iso_date(item.valid_from),
        "valid_to": _iso_date(item.valid_to),
        "dtstart": _iso_date(item.dtstart),
        "timezone": utc_offset_hours(item.timezone_name, tx.now),
        "until": _iso_date(item.until),
        "wkst": item.wkst if item.wkst in WEEKDAYS else None,
        "freq": item.freq if item.freq in _FREQUENCIES else None,
        "interval": item.interval,
        "byday": item.byday,
        "description": tx(item, "description"),
        "opens_at": _iso_time(item.opens_at),
        "closes_at": _iso_time(item.closes_at),
        "attending_type": item.attending_type,
        "notes": tx(item, "notes"),
    })


def cost_option(item: CostOption, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id, "service_id": item.service_id,
        "valid_from": _iso_date(item.valid_from), "valid_to": _iso_date(item.valid_to),
        "option": tx(item, "option"), "currency": item.currency, "amount": _number(item.amount),
        "amount_description": tx(item, "amount_description"),
    })


def required_document(item: RequiredDocument, tx: Text) -> dict[str, Any]:
    return _clean({"id": item.id, "service_id": item.service_id, "document": tx(item, "document"), "uri": item.uri})


def service_area(item: ServiceArea, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id, "service_id": item.service_id, "name": tx(item, "name"),
        "description": tx(item, "description"), "extent": item.extent, "extent_type": item.extent_type,
        "uri": item.uri,
    })


def address(item: Address) -> dict[str, Any]:
    return _clean({
        "id": item.id, "location_id": item.location_id, "attention": item.attention,
        "address_1": item.address_1, "address_2": item.address_2, "city": item.city, "region": item.region,
        "state_province": item.state_province, "postal_code": item.postal_code, "country": item.country,
        "address_type": item.address_type if item.address_type in LOCATION_TYPES else "physical",
    }) | {
        # Required by HSDS even when unknown: send them, possibly empty.
        key: getattr(item, key) or "" for key in ("address_1", "city", "state_province", "postal_code", "country")
    }


def accessibility(item: Accessibility, tx: Text) -> dict[str, Any]:
    return _clean({
        "id": item.id, "location_id": item.location_id, "description": tx(item, "description"),
        "details": tx(item, "details"), "url": item.url,
    })


# -- locations ---------------------------------------------------------------------------------------


def location_basic(item: Location, tx: Text) -> dict[str, Any]:
    """The one-to-one fields of a location (what ``service_at_location_list`` nests)."""
    private = item.is_address_confidential
    return _clean({
        "id": item.id,
        "location_type": item.location_type if item.location_type in LOCATION_TYPES else "physical",
        "url": item.url,
        "organization_id": item.organization_id,
        "name": tx(item, "name"),
        "alternate_name": tx(item, "alternate_name"),
        "description": tx(item, "description"),
        "transportation": None if private else tx(item, "transportation"),
        "latitude": None if private else item.latitude,
        "longitude": None if private else item.longitude,
        "external_identifier": item.external_identifier,
        "external_identifier_type": item.external_identifier_type,
    })


def location(item: Location, tx: Text) -> dict[str, Any]:
    data = location_basic(item, tx)
    data["languages"] = [language(x) for x in item.languages]
    data["addresses"] = [] if item.is_address_confidential else [address(x) for x in item.addresses]
    data["accessibility"] = [accessibility(x, tx) for x in item.accessibility]
    data["phones"] = [phone(x, tx) for x in item.phones]
    data["attributes"] = [attribute(x, tx) for x in item.attributes]
    return data


# -- organizations -----------------------------------------------------------------------------------


def organization_basic(item: Organization, tx: Text) -> dict[str, Any]:
    data = _clean({
        "id": item.id,
        "name": tx(item, "name") or item.name,
        "alternate_name": tx(item, "alternate_name"),
        "email": item.email,
        "website": item.website,
        "tax_status": item.tax_status,
        "tax_id": item.tax_id,
        "year_incorporated": item.year_incorporated,
        "legal_status": item.legal_status,
        "logo": item.logo,
        "uri": item.uri,
        "parent_organization_id": item.parent_organization_id,
    })
    data["description"] = tx(item, "description") or ""
    return data


def organization(item: Organization, tx: Text, services: Iterable[Service], *, full_services: bool = False) -> dict[str, Any]:
    data = organization_basic(item, tx)
    data["phones"] = [phone(x, tx) for x in item.phones]
    data["locations"] = [location(x, tx) for x in item.locations]
    data["services"] = [service(x, tx) if full_services else service_basic(x, tx, with_organization=False) for x in services]
    return data


# -- services ----------------------------------------------------------------------------------------


def service_basic(item: Service, tx: Text, *, with_organization: bool = True) -> dict[str, Any]:
    """The one-to-one fields of a service (what ``service_list`` describes)."""
    data = _clean({
        "id": item.id,
        "organization_id": item.organization_id,
        "program_id": item.program_id,
        "name": tx(item, "name") or item.name,
        "alternate_name": tx(item, "alternate_name"),
        "description": tx(item, "description"),
        "url": item.url,
        "email": item.email,
        "status": item.status if item.status in SERVICE_STATUSES else "active",
        "interpretation_services": tx(item, "interpretation_services"),
        "application_process": tx(item, "application_process"),
        "fees_description": tx(item, "fees_description"),
        "wait_time": tx(item, "wait_time"),
        "accreditations": tx(item, "accreditations"),
        "eligibility_description": tx(item, "eligibility_description"),
        "minimum_age": item.minimum_age,
        "maximum_age": item.maximum_age,
        "assured_date": _iso_date(item.assured_date),
        "assurer_email": item.assurer_email,
        "alert": tx(item, "alert"),
        "last_modified": iso_datetime(item.last_modified),
    })
    if with_organization:
        data["organization"] = organization_basic(item.organization, tx)
    return data


def service(item: Service, tx: Text, *, with_locations: bool = True) -> dict[str, Any]:
    """A fully nested service (``compiled/service.json``)."""
    data = service_basic(item, tx)
    data["phones"] = [phone(x, tx) for x in item.phones]
    data["schedules"] = [schedule(x, tx) for x in item.schedules]
    data["service_areas"] = [service_area(x, tx) for x in item.service_areas]
    if with_locations:
        data["service_at_locations"] = [service_at_location(x, tx, with_service=False) for x in item.service_at_locations]
    data["languages"] = [language(x) for x in item.languages]
    data["cost_options"] = [cost_option(x, tx) for x in item.cost_options]
    data["required_documents"] = [required_document(x, tx) for x in item.required_documents]
    data["attributes"] = [attribute(x, tx) for x in item.attributes]
    return data


# -- service at location -----------------------------------------------------------------------------


def service_at_location_basic(item: ServiceAtLocation, tx: Text) -> dict[str, Any]:
    """What ``service_at_location_list`` describes: one-to-one fields, location and service."""
    data = _clean({
        "id": item.id, "service_id": item.service_id, "location_id": item.location_id,
        "description": tx(item, "description"),
    })
    data["location"] = location_basic(item.location, tx)
    data["service"] = service_basic(item.service, tx)
    return data


def service_at_location(item: ServiceAtLocation, tx: Text, *, with_service: bool = True) -> dict[str, Any]:
    """A fully nested service at location (``compiled/service_at_location.json``)."""
    data = _clean({
        "id": item.id, "service_id": item.service_id, "location_id": item.location_id,
        "description": tx(item, "description"),
    })
    data["location"] = location(item.location, tx)
    if with_service:
        data["service"] = service(item.service, tx, with_locations=False)
    return data
