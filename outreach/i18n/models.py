"""Per-locale text for any translatable field of a listing (HSDS keeps one language per record)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TranslatedText(db.Model):
    """One field of one record in one locale other than the record's source locale."""

    __tablename__ = "translated_text"
    __table_args__ = (UniqueConstraint("link_entity", "link_id", "field", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_entity: Mapped[str] = mapped_column(String(40))  # "service", "organization", …
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    # Set when the source text changed after this translation was written.
    is_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
