"""Anonymous help-request demand: how many requests a category (and a known town) received in a week.

Nothing per person: no request id, no day, no free text. The town is kept only when it is a town the
directory itself lists (see :func:`outreach.insights.services.known_town`); anything else a resident
typed is counted without a place.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class HelpDemandCount(db.Model):
    __tablename__ = "help_demand_count"
    __table_args__ = (UniqueConstraint("week", "category_code", "town"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday that starts the week
    category_code: Mapped[str] = mapped_column(String(100))
    town: Mapped[str] = mapped_column(String(120), default="")  # "" when not given or not a known town
    requests: Mapped[int] = mapped_column(Integer, default=0)
