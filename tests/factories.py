"""Small factories for test data; each returns committed rows with sensible defaults."""
from __future__ import annotations

from datetime import date, time
from itertools import count

from outreach.directory.models import (
    Address,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from outreach.extensions import db
from outreach.i18n.models import TranslatedText

_sequence = count(1)


def taxonomy(name: str = "categories") -> Taxonomy:
    existing = db.session.scalar(db.select(Taxonomy).where(Taxonomy.name == name))
    if existing:
        return existing
    item = Taxonomy(name=name, description=name)
    db.session.add(item)
    db.session.flush()
    return item


def term(code: str | None = None, *, name: str | None = None, parent: TaxonomyTerm | None = None,
         taxonomy_name: str = "categories", es: str | None = None) -> TaxonomyTerm:
    n = next(_sequence)
    code = code or f"term-{n}"
    item = TaxonomyTerm(code=code, name=name or code.replace("-", " ").title(), description=f"About {code}",
                        taxonomy=taxonomy(taxonomy_name), parent=parent, position=n, source_locale="en")
    db.session.add(item)
    db.session.flush()
    if es:
        item.translations.append(TranslatedText(link_entity="taxonomy_term", link_id=item.id, field="name", locale="es", value=es))
    db.session.commit()
    return item


def organization(name: str | None = None, **values) -> Organization:
    item = Organization(name=name or f"Organization {next(_sequence)}", description="Helps people.",
                        source_locale="en", **values)
    db.session.add(item)
    db.session.commit()
    return item


def service(org: Organization | None = None, *, name: str | None = None, categories=(), flags=(),
            es_name: str | None = None, schedules=(), confidential: bool = False, with_location: bool = True,
            **values) -> Service:
    org = org or organization()
    item = Service(organization=org, name=name or f"Service {next(_sequence)}", description="A service.",
                   status=values.pop("status", "active"), assured_date=values.pop("assured_date", date(2026, 11, 1)),
                   source_locale="en", **values)
    db.session.add(item)
    db.session.flush()
    for category in categories:
        item.add_attribute(category)
    for flag in flags:
        item.add_attribute(flag)
    if es_name:
        item.translations.append(TranslatedText(link_entity="service", link_id=item.id, field="name", locale="es", value=es_name))
    if with_location:
        location = Location(organization=org, name="Main office", latitude=45.52, longitude=-122.68,
                            is_address_confidential=confidential, source_locale="en")
        location.addresses.append(Address(address_1="100 Example St", city="Portland", state_province="OR",
                                          postal_code="97205", country="US"))
        db.session.add(location)
        item.service_at_locations.append(ServiceAtLocation(location=location))
    item.phones.append(Phone(number="503-555-0142", type="voice", source_locale="en"))
    item.languages.append(Language(code="en"))
    for days, opens, closes in schedules:
        item.schedules.append(Schedule(byday=days, opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes),
                                       timezone_name="America/Los_Angeles", source_locale="en"))
    db.session.commit()
    return item
