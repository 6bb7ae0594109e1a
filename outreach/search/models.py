"""The search outbox: one row per listing change, written in the same transaction as the change.

Every machine's index applies these rows in order (see :mod:`outreach.search.outbox`), so no edit
is lost when several processes or machines write, and a crashed writer simply replays.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n.models import utcnow


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The service to re-index (or remove); NULL means "rebuild everything" (e.g. a taxonomy rename).
    service_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class SearchCount(db.Model):
    """Anonymous demand: how many searches touched a category on a day. Nothing per person."""

    __tablename__ = "search_count"
    __table_args__ = (UniqueConstraint("day", "category_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    category_code: Mapped[str] = mapped_column(String(100))
    searches: Mapped[int] = mapped_column(Integer, default=0)
