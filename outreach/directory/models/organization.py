"""Organizations (HSDS ``organization``)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...i18n.models import TranslatedText, utcnow
from .base import Translatable, _translations, new_id

if TYPE_CHECKING:  # resolved by SQLAlchemy's registry at run time
    from .location import Location
    from .service import Phone, Service


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
