"""``flask outreach content load``: seed content → database, validated first, in one transaction.

Every record's id is derived from its slug, so loading twice updates in place. Records that came
from content and are no longer in it are removed; records staff created (no slug) are never touched.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..i18n.models import TranslatedText
from .content_files import (
    LOCATION_TYPES,
    PHONE_TYPES,
    SERVICE_STATUSES,
    WEEKDAYS,
    Checker,
    ContentError,
    ContentFile,
    read_yaml,
)
from .hours import zone
from .models import (
    Accessibility,
    Address,
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
    id_for_slug,
)

TAXONOMIES = {"categories": "Outreach service categories", "attributes": "Outreach service attributes"}


def content_files(root: Path) -> list[Path]:
    return [root / "taxonomy.yaml", *sorted((root / "organizations").rglob("*.yaml"))]


def content_checksum(root: Path) -> str:
    digest = hashlib.sha256()
    for path in content_files(root):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# -- validation ----------------------------------------------------------------------------------


def _check_terms(check: Checker, items: list, parent: str | None, out: list[dict], seen: dict) -> None:
    for position, item in enumerate(items):
        if check.mapping(item, check.file.data, "a term") is None:
            continue
        code = item.get("code")
        if not isinstance(code, str) or not code:
            check.problem(item, "every term needs a 'code'")
            continue
        if code in seen:
            check.problem(item, f"term code '{code}' is used twice")
            continue
        seen[code] = True
        out.append(
            {
                "code": code,
                "parent": parent,
                "position": position,
                "name": check.text(item, "name", required=True),
                "description": check.text(item, "description") or {"en": ""},
            }
        )
        _check_terms(check, check.items(item, "children"), code, out, seen)


def parse_taxonomy(file: ContentFile) -> dict[str, list[dict]]:
    check = Checker(file)
    result: dict[str, list[dict]] = {}
    data = check.mapping(file.data, None, "taxonomy.yaml")
    seen: dict[str, bool] = {}
    if data is not None:
        for name in TAXONOMIES:
            terms: list[dict] = []
            _check_terms(check, check.items(data, name), None, terms, seen)
            result[name] = terms
    if check.problems:
        raise ContentError(check.problems)
    return result


def _phones(check: Checker, item: dict, languages: set[str] | None = None) -> list[dict]:
    phones = []
    for phone in check.items(item, "phones"):
        number = phone.get("number")
        if not isinstance(number, str) or not any(ch.isdigit() for ch in number):
            check.problem(phone, "a phone needs a quoted 'number' with digits")
            continue
        phones.append(
            {
                "number": number,
                "extension": str(phone["extension"]) if phone.get("extension") else None,
                "type": check.choice(phone, "type", PHONE_TYPES, "voice"),
                "description": check.text(phone, "description"),
                "languages": check.codes(phone, "languages"),
            }
        )
    return phones


def _schedules(check: Checker, service: dict) -> dict | None:
    block = service.get("schedules")
    if block is None:
        return None
    if check.mapping(block, service, "'schedules'") is None:
        return None
    tz = block.get("timezone")
    if not isinstance(tz, str) or zone(tz).key != tz:
        check.problem(block, "'timezone' must be an IANA zone such as America/Los_Angeles")
    hours = []
    for rule in check.items(block, "hours"):
        days = check.codes(rule, "days", set(WEEKDAYS))
        if not days:
            check.problem(rule, "'days' must list at least one of MO TU WE TH FR SA SU")
        if rule.get("open_24_hours") is True:
            opens = closes = check.clock({"t": "00:00"}, "t")
        else:
            opens, closes = check.clock(rule, "opens"), check.clock(rule, "closes")
        hours.append({"days": days, "opens": opens, "closes": closes})
    return {"timezone": tz, "notes": check.text(block, "notes"), "hours": hours}


def parse_organization(file: ContentFile, terms: dict[str, set[str]], seen: dict) -> dict:
    check = Checker(file)
    data = check.mapping(file.data, None, "an organization file")
    if data is None:
        raise ContentError(check.problems)
    org: dict[str, Any] = {
        "slug": check.slug(data, seen, "organization"),
        "is_demo": bool(data.get("demo", False)),
        "name": check.text(data, "name", required=True),
        "alternate_name": check.text(data, "alternate_name"),
        "description": check.text(data, "description", required=True),
        "website": data.get("website"),
        "email": data.get("email"),
        "phones": _phones(check, data),
        "locations": [],
        "services": [],
    }
    location_slugs = set()
    for loc in check.items(data, "locations"):
        slug = check.slug(loc, seen, "location")
        location_slugs.add(slug)
        address = loc.get("address")
        parsed_address = None
        if address is not None and check.mapping(address, loc, "'address'") is not None:
            missing = [k for k in ("address_1", "city", "state_province", "postal_code") if not address.get(k)]
            if missing:
                check.problem(address, f"address is missing: {', '.join(missing)}")
            parsed_address = {k: str(address[k]) if address.get(k) is not None else None for k in
                              ("address_1", "address_2", "city", "region", "state_province", "postal_code", "country")}
        org["locations"].append(
            {
                "slug": slug,
                "location_type": check.choice(loc, "location_type", LOCATION_TYPES, "physical"),
                "name": check.text(loc, "name"),
                "description": check.text(loc, "description"),
                "transportation": check.text(loc, "transportation"),
                "confidential": bool(loc.get("confidential", False)),
                "address": parsed_address,
                "latitude": check.number(loc, "latitude", -90, 90),
                "longitude": check.number(loc, "longitude", -180, 180),
                "accessibility": [check.text(a, "description", required=True) for a in check.items(loc, "accessibility")],
                "languages": check.codes(loc, "languages"),
            }
        )
    for svc in check.items(data, "services"):
        locations = check.codes(svc, "locations")
        for slug in locations:
            if slug not in location_slugs:
                check.problem(svc, f"location '{slug}' is not one of this organization's locations")
        org["services"].append(
            {
                "slug": check.slug(svc, seen, "service"),
                "name": check.text(svc, "name", required=True),
                "alternate_name": check.text(svc, "alternate_name"),
                "description": check.text(svc, "description", required=True),
                "url": svc.get("url"),
                "email": svc.get("email"),
                "status": check.choice(svc, "status", SERVICE_STATUSES, "active"),
                "categories": check.codes(svc, "categories", terms["categories"]),
                "attributes": check.codes(svc, "attributes", terms["attributes"]),
                "languages": check.codes(svc, "languages"),
                "interpretation_services": check.text(svc, "interpretation_services"),
                "application_process": check.text(svc, "application_process"),
                "eligibility_description": check.text(svc, "eligibility_description"),
                "minimum_age": check.integer(svc, "minimum_age"),
                "maximum_age": check.integer(svc, "maximum_age"),
                "fees_description": check.text(svc, "fees_description"),
                "wait_time": check.text(svc, "wait_time"),
                "alert": check.text(svc, "alert"),
                "assured_date": check.day(svc, "assured_date"),
                "assurer_email": svc.get("assurer_email"),
                "cost_options": [
                    {
                        "option": check.text(c, "option"),
                        "amount": check.number(c, "amount", 0, 1_000_000),
                        "currency": c.get("currency"),
                    }
                    for c in check.items(svc, "cost_options")
                ],
                "required_documents": [check.text(d, "document", required=True) for d in check.items(svc, "required_documents")],
                "service_areas": [
                    {"name": check.text(a, "name", required=True), "extent_type": a.get("extent_type")}
                    for a in check.items(svc, "service_areas")
                ],
                "locations": locations,
                "phones": _phones(check, svc),
                "schedules": _schedules(check, svc),
            }
        )
        if not svc.get("categories"):
            check.problem(svc, "a service needs at least one category")
    if check.problems:
        raise ContentError(check.problems)
    return org


def read_content(root: Path) -> tuple[dict[str, list[dict]], list[dict]]:
    """Parse and validate everything; raise :class:`ContentError` listing every problem found."""
    problems = []
    taxonomy = parse_taxonomy(read_yaml(root / "taxonomy.yaml", root))
    terms = {name: {t["code"] for t in items} for name, items in taxonomy.items()}
    organizations = []
    seen: dict[str, str] = {}
    for path in content_files(root)[1:]:
        try:
            organizations.append(parse_organization(read_yaml(path, root), terms, seen))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    return taxonomy, organizations


# -- writing -------------------------------------------------------------------------------------


def set_text(record: Any, field: str, spec: dict[str, str] | None) -> None:
    """Store the source text in the column and every other locale in ``translated_text``."""
    if spec is None:
        setattr(record, field, None if field != "description" else "")
        kept = [t for t in record.translations if t.field != field]
        record.translations[:] = kept
        return
    source_locale = record.source_locale or "en"
    if source_locale not in spec:
        source_locale = next(iter(spec))
        record.source_locale = source_locale
    setattr(record, field, spec[source_locale])
    existing = {(t.field, t.locale): t for t in record.translations}
    for locale, value in spec.items():
        if locale == source_locale:
            continue
        item = existing.pop((field, locale), None)
        if item is None:
            record.translations.append(
                TranslatedText(link_entity=record.__translation_entity__, link_id=record.id, field=field, locale=locale, value=value)
            )
        elif item.value != value or item.is_stale:
            item.value, item.is_stale = value, False
    for (other_field, _locale), item in existing.items():
        if other_field == field:
            record.translations.remove(item)


def _get(model, kind: str, slug: str):
    record_id = id_for_slug(kind, slug)
    record = db.session.get(model, record_id)
    if record is None:
        record = model(id=record_id, content_slug=slug) if hasattr(model, "content_slug") else model(id=record_id)
        record.source_locale = "en"
        db.session.add(record)
    return record


def _new(model, **values):
    from .models import new_id

    record = model(id=new_id(), **values)
    if hasattr(record, "source_locale"):
        record.source_locale = "en"
    return record


def _make_phones(specs: list[dict], **owner) -> list[Phone]:
    phones = []
    for spec in specs:
        phone = _new(Phone, number=spec["number"], extension=spec["extension"], type=spec["type"], **owner)
        set_text(phone, "description", spec["description"])
        phone.languages = [Language(code=code) for code in spec["languages"]]
        phones.append(phone)
    return phones


def _apply_taxonomy(taxonomy: dict[str, list[dict]]) -> dict[str, TaxonomyTerm]:
    by_code: dict[str, TaxonomyTerm] = {}
    for name, terms in taxonomy.items():
        tax = db.session.get(Taxonomy, id_for_slug("taxonomy", name))
        if tax is None:
            tax = Taxonomy(id=id_for_slug("taxonomy", name), name=name, description=TAXONOMIES[name], version="1")
            db.session.add(tax)
        for spec in terms:
            term = db.session.get(TaxonomyTerm, id_for_slug("term", spec["code"]))
            if term is None:
                term = TaxonomyTerm(id=id_for_slug("term", spec["code"]), code=spec["code"], source_locale="en")
                db.session.add(term)
            term.taxonomy = tax
            term.position = spec["position"]
            term.parent_id = id_for_slug("term", spec["parent"]) if spec["parent"] else None
            set_text(term, "name", spec["name"])
            set_text(term, "description", spec["description"])
            by_code[spec["code"]] = term
    return by_code


def _apply_location(org: Organization, spec: dict) -> Location:
    location = _get(Location, "location", spec["slug"])
    location.organization = org
    location.location_type = spec["location_type"]
    location.latitude, location.longitude = spec["latitude"], spec["longitude"]
    location.is_address_confidential = spec["confidential"]
    for field in ("name", "description", "transportation"):
        set_text(location, field, spec[field])
    address = spec["address"]
    location.addresses = [_new(Address, **{k: v for k, v in address.items() if v is not None})] if address else []
    if address and not address.get("country"):
        location.addresses[0].country = "US"
    location.accessibility = []
    for text in spec["accessibility"]:
        item = _new(Accessibility)
        set_text(item, "description", text)
        location.accessibility.append(item)
    location.languages = [Language(code=code) for code in spec["languages"]]
    return location


def _apply_service(org: Organization, spec: dict, terms: dict[str, TaxonomyTerm], locations: dict[str, Location]) -> Service:
    service = _get(Service, "service", spec["slug"])
    service.organization = org
    for field in ("url", "email", "status", "minimum_age", "maximum_age", "assured_date", "assurer_email"):
        setattr(service, field, spec[field])
    for field in ("name", "alternate_name", "description", "interpretation_services", "application_process",
                  "eligibility_description", "fees_description", "wait_time", "alert"):
        set_text(service, field, spec[field])
    service.attributes = []
    for code in [*spec["categories"], *spec["attributes"]]:
        service.add_attribute(terms[code])
    service.languages = [Language(code=code) for code in spec["languages"]]
    service.phones = _make_phones(spec["phones"])
    existing = {sal.location_id: sal for sal in service.service_at_locations}
    service.service_at_locations = [
        existing.get(locations[slug].id) or ServiceAtLocation(id=id_for_slug("sal", f"{spec['slug']}@{slug}"), location=locations[slug])
        for slug in spec["locations"]
    ]
    service.cost_options = []
    for cost in spec["cost_options"]:
        option = _new(CostOption, amount=cost["amount"], currency=cost["currency"])
        set_text(option, "option", cost["option"])
        service.cost_options.append(option)
    service.required_documents = []
    for text in spec["required_documents"]:
        document = _new(RequiredDocument)
        set_text(document, "document", text)
        service.required_documents.append(document)
    service.service_areas = []
    for area_spec in spec["service_areas"]:
        area = _new(ServiceArea, extent_type=area_spec["extent_type"])
        set_text(area, "name", area_spec["name"])
        service.service_areas.append(area)
    service.schedules = []
    block = spec["schedules"]
    if block:
        for rule in block["hours"]:
            schedule = _new(Schedule, timezone_name=block["timezone"], freq="WEEKLY", byday=",".join(rule["days"]),
                            opens_at=rule["opens"], closes_at=rule["closes"])
            set_text(schedule, "notes", block["notes"])
            service.schedules.append(schedule)
    return service


def load_content(root: Path) -> dict[str, int]:
    """Validate all of ``root``, then write it in one transaction. Returns counts of what is there."""
    from ..search.models import SearchOutbox

    taxonomy, organizations = read_content(root)
    # One "rebuild everything" outbox row instead of one per changed row.
    db.session.info["outreach.outbox_disabled"] = True
    try:
        terms = _apply_taxonomy(taxonomy)
        db.session.flush()
        keep = {"organization": set(), "location": set(), "service": set()}
        for spec in organizations:
            org = _get(Organization, "organization", spec["slug"])
            org.is_demo = spec["is_demo"]
            org.website, org.email = spec["website"], spec["email"]
            for field in ("name", "alternate_name", "description"):
                set_text(org, field, spec[field])
            org.phones = _make_phones(spec["phones"])
            keep["organization"].add(org.id)
            locations = {}
            for loc_spec in spec["locations"]:
                location = _apply_location(org, loc_spec)
                locations[loc_spec["slug"]] = location
                keep["location"].add(location.id)
            db.session.flush()
            for svc_spec in spec["services"]:
                keep["service"].add(_apply_service(org, svc_spec, terms, locations).id)
        for model, kind in ((Service, "service"), (Location, "location"), (Organization, "organization")):
            gone = db.session.scalars(select(model).where(model.content_slug.is_not(None), model.id.not_in(keep[kind])))
            for record in gone:
                db.session.delete(record)
        db.session.add(SearchOutbox(service_id=None))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop("outreach.outbox_disabled", None)
    return {kind: len(ids) for kind, ids in keep.items()}
