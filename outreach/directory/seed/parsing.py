"""Parsing and validating content files into plain data (nothing touches the database here)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..hours import zone
from .files import (
    LOCATION_TYPES,
    PHONE_TYPES,
    SERVICE_STATUSES,
    WEEKDAYS,
    Checker,
    ContentError,
    ContentFile,
    read_yaml,
)

TAXONOMIES = {"categories": "Outreach service categories", "attributes": "Outreach service attributes"}


def content_files(root: Path) -> list[Path]:
    return [root / "taxonomy.yaml", *sorted((root / "organizations").rglob("*.yaml"))]


def content_checksum(root: Path) -> str:
    from ...campaigns.content import campaign_files  # campaigns and their images count too

    digest = hashlib.sha256()
    for path in [*content_files(root), *campaign_files(root)]:
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
