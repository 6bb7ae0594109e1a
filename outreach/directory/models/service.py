"""Services and what belongs to them (HSDS ``service``, ``schedule``, ``phone``, ``language`` …)."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...i18n.models import TranslatedText, utcnow
from .base import Translatable, _attributes, _translations, new_id
from .taxonomy import Attribute, TaxonomyTerm

if TYPE_CHECKING:  # resolved by SQLAlchemy's registry at run time
    from .location import Location, ServiceAtLocation
    from .organization import Organization


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

    def terms(self, taxonomy_name: str) -> list:
        """The listing's terms in one taxonomy (read-only copies from :mod:`..taxonomy`)."""
        return [term for term in self._linked_terms() if term.taxonomy.name == taxonomy_name]

    def has_flag(self, code: str) -> bool:
        return any(term.code == code for term in self._linked_terms())

    def _linked_terms(self):
        from ..taxonomy import snapshot

        by_id = snapshot().by_id
        for attribute in self.attributes:
            term = by_id.get(attribute.taxonomy_term_id) if attribute.taxonomy_term_id else None
            yield term if term is not None else attribute.taxonomy_term  # not yet flushed

    @property
    def locations(self) -> list[Location]:
        return [sal.location for sal in self.service_at_locations]

    @property
    def is_remote_only(self) -> bool:
        return self.has_flag("remote-only") or not self.service_at_locations


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
        return tel_uri(self.number, self.extension, self.type)


def tel_uri(number: str, extension: str | None, phone_type: str) -> str:
    """A ``tel:`` (or, for a text line, ``sms:``) link for a phone number and its extension."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if extension:
        digits += ";ext=" + "".join(ch for ch in extension if ch.isdigit())
    return ("sms:" if phone_type == "text" else "tel:") + digits


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
