"""Writing parsed content into the database, in one transaction, updating in place."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Collection

from sqlalchemy import select

from ...extensions import db
from ...i18n.models import TranslatedText
from ...search.models import SearchOutbox
from ..models import (
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
    new_id,
)
from .parsing import TAXONOMIES, read_content


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
    verified_later = service.assured_date and (spec["assured_date"] is None or service.assured_date > spec["assured_date"])
    for field in ("url", "email", "status", "minimum_age", "maximum_age", "assured_date", "assurer_email"):
        if field in ("assured_date", "assurer_email") and verified_later:
            continue  # re-verified since (by staff): the content's older date must not undo that
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


def load_content(root: Path, *, protected_services: Collection[str] = (), protected_locations: Collection[str] = (),
                 kept: list[str] | None = None) -> dict[str, int]:
    """Validate all of ``root``, then write it in one transaction. Returns counts of what is there.

    Services and locations whose ids are in ``protected_*`` (edited through the staff pages) are left
    as they are, neither updated nor deleted; their content slugs are appended to ``kept``.
    """
    taxonomy, organizations = read_content(root)
    kept = kept if kept is not None else []
    protected = {"service": set(protected_services), "location": set(protected_locations)}
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
                location_id = id_for_slug("location", loc_spec["slug"])
                if location_id in protected["location"] and db.session.get(Location, location_id) is not None:
                    location = db.session.get(Location, location_id)
                    kept.append(f"location {loc_spec['slug']}")
                else:
                    location = _apply_location(org, loc_spec)
                locations[loc_spec["slug"]] = location
                keep["location"].add(location.id)
            db.session.flush()
            for svc_spec in spec["services"]:
                service_id = id_for_slug("service", svc_spec["slug"])
                if service_id in protected["service"] and db.session.get(Service, service_id) is not None:
                    keep["service"].add(service_id)
                    kept.append(f"service {svc_spec['slug']}")
                    continue
                keep["service"].add(_apply_service(org, svc_spec, terms, locations).id)
        for model, kind in ((Service, "service"), (Location, "location")):
            gone = db.session.scalars(select(model).where(model.content_slug.is_not(None), model.id.not_in(keep[kind])))
            for record in gone:
                if record.id in protected[kind]:
                    kept.append(f"{kind} {record.content_slug} (no longer in the content)")
                    keep["organization"].add(record.organization_id)
                    continue
                db.session.delete(record)
        gone = db.session.scalars(select(Organization).where(Organization.content_slug.is_not(None),
                                                             Organization.id.not_in(keep["organization"])))
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
