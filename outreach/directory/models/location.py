"""Places (HSDS ``location``, ``service_at_location``, ``address``, ``accessibility``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...i18n.models import TranslatedText
from .base import Translatable, _attributes, _translations, new_id

if TYPE_CHECKING:  # resolved by SQLAlchemy's registry at run time
    from .organization import Organization
    from .service import Language, Phone, Service
    from .taxonomy import Attribute


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
