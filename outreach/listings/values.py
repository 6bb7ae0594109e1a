"""A listing as plain values: what staff may edit, read from and written to the models.

A service or location is turned into a flat ``{"field": value}`` dict of JSON values (text, lists of
codes, lists of small dicts). Proposed changes store such dicts; diffs compare them; applying writes
them back. Translations are keys ``"field:locale"``; ``"stale:locale"`` lists the fields whose translation was
written for an older source text ("needs updating"). An editor who finds such a translation still right
sends the list without it: :func:`changed` turns that into re-saving the translation as it stands, which
clears the mark when applied. Anything not listed here (organization, status, verification, ids) can
never be set through a change.
"""
from __future__ import annotations

from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from ..directory.models import (
    CostOption,
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ..extensions import db
from ..i18n.models import TranslatedText

# Source-language text of a service (and, per locale, its translations).
SERVICE_TEXT = ("name", "description", "eligibility_description", "fees_description", "application_process",
                "schedule_notes")
SERVICE_PLAIN = ("url", "email", "minimum_age", "maximum_age")
SERVICE_LISTS = ("phones", "languages", "categories", "attributes", "cost_options", "hours", "locations")
# Attribute codes an organization may set (costs and access); others (e.g. confidential-address) are not.
EDITABLE_ATTRIBUTES = ("free", "sliding-scale", "accepts-insurance", "walk-in", "no-id-required", "remote-only",
                       "virtual")
LOCATION_FIELDS = ("name", "address_1", "address_2", "city", "state_province", "postal_code", "transportation",
                   "is_address_confidential")
DEFAULT_TIMEZONE = "America/Los_Angeles"


STALE = "stale"  # pseudo-field: "stale:<locale>" → the fields whose translation needs updating


def translation_key(field: str, locale: str) -> str:
    return f"{field}:{locale}"


def split_key(key: str) -> tuple[str, str | None]:
    field, _, locale = key.partition(":")
    return field, locale or None


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _translation(record, field: str, locale: str) -> str:
    for item in record.translations:
        if item.field == field and item.locale == locale:
            return item.value
    return ""


def _is_stale(record, field: str, locale: str) -> bool:
    return record is not None and any(item.field == field and item.locale == locale and item.is_stale
                                      for item in record.translations)


def stale_fields(service: Service, locale: str) -> list[str]:
    """The text fields whose ``locale`` translation was written for an older source text."""
    first_schedule = service.schedules[0] if service.schedules else None
    return [field for field in SERVICE_TEXT
            if (_is_stale(first_schedule, "notes", locale) if field == "schedule_notes" else _is_stale(service, field, locale))]


def stale_counts(service: Service, locales: tuple[str, ...]) -> dict[str, int]:
    """For each locale, how many of the service's translations need updating."""
    return {locale: len(stale_fields(service, locale)) for locale in locales if locale != service.source_locale}


def service_values(service: Service, locales: tuple[str, ...]) -> dict[str, Any]:
    """Everything an organization may edit about ``service``, as JSON values."""
    first_schedule = service.schedules[0] if service.schedules else None
    values: dict[str, Any] = {field: getattr(service, field) or "" for field in SERVICE_TEXT if field != "schedule_notes"}
    values["schedule_notes"] = (first_schedule.notes or "") if first_schedule else ""
    values["url"] = service.url or ""
    values["email"] = service.email or ""
    values["minimum_age"] = service.minimum_age
    values["maximum_age"] = service.maximum_age
    values["phones"] = [{"number": p.number, "extension": p.extension or "", "type": p.type,
                         "description": p.description or ""} for p in service.phones]
    values["languages"] = [language.code for language in service.languages]
    values["categories"] = sorted(t.code for t in service.terms("categories"))
    values["attributes"] = sorted(a.taxonomy_term.code for a in service.attributes
                                  if a.taxonomy_term.code in EDITABLE_ATTRIBUTES)
    values["cost_options"] = [{"option": c.option or "", "amount": None if c.amount is None else str(c.amount)}
                              for c in service.cost_options]
    values["hours"] = [{"days": s.byday, "opens": _hhmm(s.opens_at), "closes": _hhmm(s.closes_at)}
                       for s in service.schedules]
    values["locations"] = sorted(sal.location_id for sal in service.service_at_locations)
    for locale in locales:
        if locale == service.source_locale:
            continue
        for field in SERVICE_TEXT:
            if field == "schedule_notes":
                value = _translation(first_schedule, "notes", locale) if first_schedule else ""
            else:
                value = _translation(service, field, locale)
            values[translation_key(field, locale)] = value
        values[translation_key(STALE, locale)] = stale_fields(service, locale)
    return values


def location_values(location: Location) -> dict[str, Any]:
    address = location.physical_address
    values: dict[str, Any] = {"name": location.name or "", "transportation": location.transportation or "",
                              "is_address_confidential": bool(location.is_address_confidential)}
    for field in ("address_1", "address_2", "city", "state_province", "postal_code"):
        values[field] = (getattr(address, field) or "") if address else ""
    return values


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(base, proposed): the fields ``after`` changes, with their values before and after.

    A translation that ``after``'s ``"stale:<locale>"`` no longer lists, though ``before``'s did, was
    confirmed as still right: it is proposed again as it stands (applying it clears the stale mark). The
    ``stale:`` lists themselves are never proposed; a field they add is ignored (only the source text
    changing makes a translation stale)."""
    keys = [key for key in after if split_key(key)[0] != STALE and before.get(key) != after[key]]
    for key in after:
        field, locale = split_key(key)
        if field != STALE or not locale:
            continue
        still_stale = set(after[key] or [])
        for confirmed in before.get(key) or []:
            text_key = translation_key(confirmed, locale)
            if confirmed not in still_stale and before.get(text_key) and text_key not in keys:
                keys.append(text_key)
    return {key: before.get(key) for key in keys}, {key: after.get(key, before.get(key)) for key in keys}


# -- writing -------------------------------------------------------------------------------------------


def _set_translation(record, field: str, locale: str, value: str) -> None:
    for item in list(record.translations):
        if item.field == field and item.locale == locale:
            if value:
                item.value, item.is_stale = value, False
            else:
                record.translations.remove(item)
            return
    if value:
        record.translations.append(TranslatedText(link_entity=record.__translation_entity__, link_id=record.id,
                                                  field=field, locale=locale, value=value))


def _mark_translations_stale(record, field: str, keep: set[str]) -> None:
    """The source text changed: translations not rewritten in the same change no longer match it."""
    for item in record.translations:
        if item.field == field and item.locale not in keep:
            item.is_stale = True


def _terms(codes: list[str]) -> list[TaxonomyTerm]:
    if not codes:
        return []
    found = {t.code: t for t in db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.code.in_(codes)))}
    return [found[code] for code in codes if code in found]


def _amount(value: str | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def apply_to_service(service: Service, values: dict[str, Any]) -> None:
    """Write ``values`` (keys as :func:`service_values` makes them) onto ``service``."""
    rewritten = {}
    for key in values:
        field, locale = split_key(key)
        if locale:
            rewritten.setdefault(field, set()).add(locale)
    if "hours" in values:
        old = service.schedules[0] if service.schedules else None
        timezone_name = old.timezone_name if old else DEFAULT_TIMEZONE
        notes = old.notes if old else None
        notes_translations = [(t.locale, t.value, t.is_stale) for t in old.translations if t.field == "notes"] if old else []
        service.schedules = []
        db.session.flush()
        for rule in values["hours"]:
            schedule = Schedule(timezone_name=timezone_name, freq="WEEKLY", byday=rule["days"],
                                opens_at=time.fromisoformat(rule["opens"]), closes_at=time.fromisoformat(rule["closes"]),
                                notes=notes, source_locale=service.source_locale)
            service.schedules.append(schedule)
        db.session.flush()
        for schedule in service.schedules:
            for locale, text, is_stale in notes_translations:
                schedule.translations.append(TranslatedText(link_entity="schedule", link_id=schedule.id, field="notes",
                                                            locale=locale, value=text, is_stale=is_stale))
    for key, value in values.items():
        field, locale = split_key(key)
        if field == "schedule_notes":
            for schedule in service.schedules:
                if locale:
                    _set_translation(schedule, "notes", locale, value or "")
                else:
                    schedule.notes = value or None
                    _mark_translations_stale(schedule, "notes", rewritten.get(field, set()))
        elif field in SERVICE_TEXT:
            if locale:
                _set_translation(service, field, locale, value or "")
            else:
                setattr(service, field, value if (value or field == "description") else None)
                if field == "name" and not value:
                    raise ValueError("a service needs a name")
                _mark_translations_stale(service, field, rewritten.get(field, set()))
        elif field in ("url", "email"):
            setattr(service, field, value or None)
        elif field in ("minimum_age", "maximum_age"):
            setattr(service, field, value)
        elif field == "phones":
            service.phones = [Phone(number=p["number"], extension=p.get("extension") or None, type=p.get("type") or "voice",
                                    description=p.get("description") or None, source_locale=service.source_locale)
                              for p in value]
        elif field == "languages":
            service.languages = [Language(code=code) for code in value]
        elif field in ("categories", "attributes"):
            taxonomy = "categories" if field == "categories" else "attributes"
            service.attributes = [a for a in service.attributes if not _is_editable(a.taxonomy_term, taxonomy)]
            for term in _terms(list(value)):
                service.add_attribute(term)
        elif field == "cost_options":
            service.cost_options = [CostOption(option=c.get("option") or None, amount=_amount(c.get("amount")),
                                               currency="USD" if c.get("amount") else None,
                                               source_locale=service.source_locale) for c in value]
        elif field == "locations":
            existing = {sal.location_id: sal for sal in service.service_at_locations}
            wanted = [db.session.get(Location, location_id) for location_id in value]
            service.service_at_locations = [
                existing.get(location.id) or ServiceAtLocation(location=location)
                for location in wanted if location is not None and location.organization_id == service.organization_id]
        elif field == "hours":
            continue
        else:
            raise KeyError(key)


def _is_editable(term: TaxonomyTerm, taxonomy: str) -> bool:
    if taxonomy == "categories":
        return term.taxonomy.name == "categories"
    return term.code in EDITABLE_ATTRIBUTES


def apply_to_location(location: Location, values: dict[str, Any], centroid=None) -> None:
    from ..directory.models import Address

    address = location.physical_address
    for key, value in values.items():
        if key in ("name", "transportation"):
            setattr(location, key, value or None)
            _mark_translations_stale(location, key, set())
        elif key == "is_address_confidential":
            location.is_address_confidential = bool(value)
        elif key in ("address_1", "address_2", "city", "state_province", "postal_code"):
            if address is None:
                address = Address(address_1="", city="", state_province="", postal_code="", country="US",
                                  address_type="physical")
                location.addresses.append(address)
            setattr(address, key, value or (None if key == "address_2" else ""))
        else:
            raise KeyError(key)
    if "postal_code" in values and centroid is not None:
        location.latitude, location.longitude = centroid.latitude, centroid.longitude
