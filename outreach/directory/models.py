"""Directory models, shaped on Open Referral HSDS 3.0.

Tables and columns carry HSDS names wherever HSDS has the concept, so an HSDS export is a mapping.
Where we differ, the column says so:

* ``schedule.timezone_name`` is an IANA zone; HSDS's ``timezone`` (a UTC offset) is derived on export,
  because an offset cannot tell winter from summer time and "open now" must be right in both.
* ``location.is_address_confidential`` mirrors the ``confidential-address`` attribute so queries and
  templates can never forget it.
* Text in other locales lives in ``translated_text`` (see :mod:`outreach.i18n.models`).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from ..extensions import db
from ..i18n.models import TranslatedText, utcnow

# UUIDv5 namespace for ids derived from stable content slugs.
CONTENT_NAMESPACE = uuid.UUID("6b0b6d3e-9a0f-4d2f-9c53-3f1f0d7e2a41")

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
PHONE_TYPES = ("voice", "text", "fax", "cell", "video", "pager", "textphone")
LOCATION_TYPES = ("physical", "postal", "virtual")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def new_id() -> str:
    return str(uuid.uuid4())


def id_for_slug(kind: str, slug: str) -> str:
    """The stable database id of a seed-content record."""
    return str(uuid.uuid5(CONTENT_NAMESPACE, f"{kind}:{slug}"))


@dataclass(frozen=True)
class LocalText:
    """A piece of listing text and the language it is actually in."""

    value: str
    lang: str
    is_fallback: bool  # True when shown in the source language because no translation exists

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)


class Translatable:
    """Mixin for models whose text fields may be stored per locale."""

    __translation_entity__: str
    source_locale: Mapped[str]
    translations: Mapped[list[TranslatedText]]

    def text(self, field: str, locale: str) -> LocalText:
        source = getattr(self, field) or ""
        if locale != self.source_locale:
            for item in self.translations:
                if item.field == field and item.locale == locale and not item.is_stale:
                    return LocalText(item.value, locale, False)
        return LocalText(source, self.source_locale, bool(source) and locale != self.source_locale)


def _translations(entity: str, owner: str):
    return relationship(
        TranslatedText,
        primaryjoin=lambda: and_(
            foreign(TranslatedText.link_id) == db.metadata.tables[owner].c.id,
            TranslatedText.link_entity == entity,
        ),
        cascade="all, delete-orphan",
        lazy="selectin",
        overlaps="translations",
    )


class Organization(Translatable, db.Model):
    __tablename__ = "organization"
    __translation_entity__ = "organization"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(500))
    tax_status: Mapped[str | None] = mapped_column(String(100))
    tax_id: Mapped[str | None] = mapped_column(String(100))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    legal_status: Mapped[str | None] = mapped_column(String(100))
    logo: Mapped[str | None] = mapped_column(String(500))
    uri: Mapped[str | None] = mapped_column(String(500))
    parent_organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    # Ours: the language the text columns are written in, and whether this is demo data.
    source_locale: Mapped[str] = mapped_column(String(16), default="en")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    content_slug: Mapped[str | None] = mapped_column(String(120), unique=True)
    last_modified: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    services: Mapped[list[Service]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Service.name"
    )
    locations: Mapped[list[Location]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", lazy="selectin"
    )
    translations: Mapped[list[TranslatedText]] = _translations("organization", "organization")


class Taxonomy(db.Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(50))

    terms: Mapped[list[TaxonomyTerm]] = relationship(back_populates="taxonomy", cascade="all, delete-orphan")


class TaxonomyTerm(Translatable, db.Model):
    __tablename__ = "taxonomy_term"
    __translation_entity__ = "taxonomy_term"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy_term.id"))
    taxonomy_id: Mapped[str] = mapped_column(ForeignKey("taxonomy.id"))
    language: Mapped[str | None] = mapped_column(String(16))
    term_uri: Mapped[str | None] = mapped_column(String(500))
    # Ours: display order among siblings, and the source language of name/description.
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    taxonomy: Mapped[Taxonomy] = relationship(back_populates="terms")
    parent: Mapped[TaxonomyTerm | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[TaxonomyTerm]] = relationship(
        back_populates="parent", order_by="TaxonomyTerm.position"
    )
    translations: Mapped[list[TranslatedText]] = _translations("taxonomy_term", "taxonomy_term")


class Attribute(db.Model):
    """Links a taxonomy term to a service or location (HSDS ``attribute``): categories and flags."""

    __tablename__ = "attribute"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str | None] = mapped_column(String(100))
    link_entity: Mapped[str] = mapped_column(String(40))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="CASCADE"), index=True)
    value: Mapped[str | None] = mapped_column(String(200))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")


def _attributes(entity: str, owner: str):
    return relationship(
        Attribute,
        primaryjoin=lambda: and_(
            foreign(Attribute.link_id) == db.metadata.tables[owner].c.id,
            Attribute.link_entity == entity,
        ),
        cascade="all, delete-orphan",
        lazy="selectin",
        overlaps="attributes",
    )


class Service(Translatable, db.Model):
    __tablename__ = "service"
    __translation_entity__ = "service"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(30), default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(320))
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")
    content_slug: Mapped[str | None] = mapped_column(String(120), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="services", lazy="joined")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    cost_options: Mapped[list[CostOption]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    required_documents: Mapped[list[RequiredDocument]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    service_areas: Mapped[list[ServiceArea]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin"
    )
    attributes: Mapped[list[Attribute]] = _attributes("service", "service")
    translations: Mapped[list[TranslatedText]] = _translations("service", "service")

    def add_attribute(self, term: TaxonomyTerm, value: str | None = None) -> Attribute:
        attribute = Attribute(link_entity="service", taxonomy_term=term, value=value)
        self.attributes.append(attribute)
        return attribute

    def terms(self, taxonomy_name: str) -> list[TaxonomyTerm]:
        return [a.taxonomy_term for a in self.attributes if a.taxonomy_term.taxonomy.name == taxonomy_name]

    def has_flag(self, code: str) -> bool:
        return any(a.taxonomy_term.code == code for a in self.attributes)

    @property
    def locations(self) -> list[Location]:
        return [sal.location for sal in self.service_at_locations]

    @property
    def is_remote_only(self) -> bool:
        return self.has_flag("remote-only") or not self.service_at_locations


class Location(Translatable, db.Model):
    __tablename__ = "location"
    __translation_entity__ = "location"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    url: Mapped[str | None] = mapped_column(String(500))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    alternate_name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(String(200))
    external_identifier_type: Mapped[str | None] = mapped_column(String(100))
    is_address_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")
    content_slug: Mapped[str | None] = mapped_column(String(120), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="locations")
    addresses: Mapped[list[Address]] = relationship(
        back_populates="location", cascade="all, delete-orphan", lazy="selectin"
    )
    phones: Mapped[list[Phone]] = relationship(back_populates="location", cascade="all, delete-orphan")
    languages: Mapped[list[Language]] = relationship(
        back_populates="location", cascade="all, delete-orphan", lazy="selectin"
    )
    accessibility: Mapped[list[Accessibility]] = relationship(
        back_populates="location", cascade="all, delete-orphan", lazy="selectin"
    )
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )
    attributes: Mapped[list[Attribute]] = _attributes("location", "location")
    translations: Mapped[list[TranslatedText]] = _translations("location", "location")

    @property
    def physical_address(self) -> Address | None:
        for address in self.addresses:
            if address.address_type == "physical":
                return address
        return self.addresses[0] if self.addresses else None


class ServiceAtLocation(db.Model):
    __tablename__ = "service_at_location"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship(back_populates="service_at_locations", lazy="joined")


class Address(db.Model):
    __tablename__ = "address"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    attention: Mapped[str | None] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(300))
    address_2: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    state_province: Mapped[str] = mapped_column(String(120))
    postal_code: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")


class Phone(Translatable, db.Model):
    __tablename__ = "phone"
    __translation_entity__ = "phone"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[str | None] = mapped_column(String(36))
    service_at_location_id: Mapped[str | None] = mapped_column(String(36))
    number: Mapped[str] = mapped_column(String(40))
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20), default="voice")
    description: Mapped[str | None] = mapped_column(Text)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    location: Mapped[Location | None] = relationship(back_populates="phones")
    service: Mapped[Service | None] = relationship(back_populates="phones")
    organization: Mapped[Organization | None] = relationship(back_populates="phones")
    languages: Mapped[list[Language]] = relationship(
        back_populates="phone", cascade="all, delete-orphan", lazy="selectin"
    )
    translations: Mapped[list[TranslatedText]] = _translations("phone", "phone")

    @property
    def tel_uri(self) -> str:
        digits = "".join(ch for ch in self.number if ch.isdigit() or ch == "+")
        if self.extension:
            digits += ";ext=" + "".join(ch for ch in self.extension if ch.isdigit())
        return ("sms:" if self.type == "text" else "tel:") + digits


class Schedule(Translatable, db.Model):
    """One weekly rule: these days, from ``opens_at`` to ``closes_at`` in ``timezone_name``.

    ``closes_at`` at or before ``opens_at`` means the period runs past midnight into the next day;
    ``opens_at == closes_at == 00:00`` means open all day.
    """

    __tablename__ = "schedule"
    __translation_entity__ = "schedule"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    service_at_location_id: Mapped[str | None] = mapped_column(String(36))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    dtstart: Mapped[date | None] = mapped_column(Date)
    timezone_name: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    until: Mapped[date | None] = mapped_column(Date)
    wkst: Mapped[str | None] = mapped_column(String(2))
    freq: Mapped[str] = mapped_column(String(10), default="WEEKLY")
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str] = mapped_column(String(40))  # "MO,TU,WE"
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)
    attending_type: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    service: Mapped[Service | None] = relationship(back_populates="schedules")
    translations: Mapped[list[TranslatedText]] = _translations("schedule", "schedule")

    @property
    def days(self) -> list[str]:
        return [d for d in self.byday.split(",") if d]


class Language(db.Model):
    __tablename__ = "language"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    phone_id: Mapped[str | None] = mapped_column(ForeignKey("phone.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="languages")
    location: Mapped[Location | None] = relationship(back_populates="languages")
    phone: Mapped[Phone | None] = relationship(back_populates="languages")


class Accessibility(Translatable, db.Model):
    __tablename__ = "accessibility"
    __translation_entity__ = "accessibility"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    location: Mapped[Location] = relationship(back_populates="accessibility")
    translations: Mapped[list[TranslatedText]] = _translations("accessibility", "accessibility")


class CostOption(Translatable, db.Model):
    __tablename__ = "cost_option"
    __translation_entity__ = "cost_option"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    amount_description: Mapped[str | None] = mapped_column(Text)
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    service: Mapped[Service] = relationship(back_populates="cost_options")
    translations: Mapped[list[TranslatedText]] = _translations("cost_option", "cost_option")


class RequiredDocument(Translatable, db.Model):
    __tablename__ = "required_document"
    __translation_entity__ = "required_document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    document: Mapped[str] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(String(500))
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    service: Mapped[Service] = relationship(back_populates="required_documents")
    translations: Mapped[list[TranslatedText]] = _translations("required_document", "required_document")


class ServiceArea(Translatable, db.Model):
    __tablename__ = "service_area"
    __translation_entity__ = "service_area"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(40))
    uri: Mapped[str | None] = mapped_column(String(500))
    source_locale: Mapped[str] = mapped_column(String(16), default="en")

    service: Mapped[Service] = relationship(back_populates="service_areas")
    translations: Mapped[list[TranslatedText]] = _translations("service_area", "service_area")
