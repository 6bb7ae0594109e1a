"""Weekly demand tables built from anonymous counters only.

Searches are counted per category and day by the search page (:mod:`outreach.search.services`); help
requests per category, week and known town at submission (:func:`count_help_request`, in the request's
own transaction). What is shown is rounded for privacy: a count under ``INSIGHTS_MIN_COUNT`` (10) reads
"fewer than 10", and a town whose requests over the whole table stay under it is folded into "other
areas", so a small place never reveals that somebody there asked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..accounts import clock
from ..directory.models import Address
from ..directory.services import all_terms
from ..extensions import db
from ..search.models import SearchCount
from .counting import increment
from .models import HelpDemandCount

WEEKS_SHOWN = 8


def week_of(day: date) -> date:
    """The Monday that starts ``day``'s week."""
    return day - timedelta(days=day.weekday())


def known_town(area: str | None) -> str:
    """The directory's own spelling of the resident's town, or "" when it is not a town we list.

    A ZIP code counts as the town the directory's addresses give for it; free text that is not the name
    of a listed town (it might be a street address, or a name) is never kept.
    """
    value = " ".join((area or "").split())
    if not value:
        return ""
    if value[:5].isdigit():
        row = db.session.execute(
            select(Address.city, func.count()).where(Address.postal_code.like(value[:5] + "%"))
            .group_by(Address.city).order_by(func.count().desc(), Address.city).limit(1)).first()
        return row[0] if row else ""
    return db.session.scalar(
        select(Address.city).where(func.lower(Address.city) == value.lower()).order_by(Address.city).limit(1)) or ""


def count_help_request(categories: list[str], area: str | None) -> None:
    """One more request this week for each category (or "none given"), in the caller's transaction."""
    week = week_of(clock.now().date())
    town = known_town(area)
    for code in sorted(set(categories)) or [""]:
        increment(db.session, HelpDemandCount.__table__, {"week": week, "category_code": code, "town": town},
                  "requests")


@dataclass
class Row:
    category_code: str
    town: str | None = None  # None for the search table; "" for "other or not given"
    counts: dict[date, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Table:
    weeks: list[date]
    rows: list[Row]
    minimum: int

    def shown(self, row: Row, week: date) -> int | None:
        """The count to display, or None for "fewer than the minimum"."""
        value = row.counts.get(week, 0)
        return value if value >= self.minimum else None


def _weeks(today: date | None = None) -> list[date]:
    this_week = week_of(today or clock.now().date())
    return [this_week - timedelta(weeks=back) for back in range(WEEKS_SHOWN - 1, -1, -1)]


def _minimum() -> int:
    return current_app.config["INSIGHTS_MIN_COUNT"]


def _category_order() -> dict[str, int]:
    return {term.code: position for position, term in enumerate(all_terms())}


def search_table(today: date | None = None) -> Table:
    weeks = _weeks(today)
    rows: dict[str, Row] = {}
    for day, code, searches in db.session.execute(
            select(SearchCount.day, SearchCount.category_code, SearchCount.searches)
            .where(SearchCount.day >= weeks[0])):
        row = rows.setdefault(code, Row(code))
        week = week_of(day)
        row.counts[week] = row.counts.get(week, 0) + searches
    order = _category_order()
    return Table(weeks, sorted(rows.values(), key=lambda row: (order.get(row.category_code, len(order)),
                                                               row.category_code)), _minimum())


def help_table(today: date | None = None) -> Table:
    weeks = _weeks(today)
    minimum = _minimum()
    by_place: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for week, code, town, requests in db.session.execute(
            select(HelpDemandCount.week, HelpDemandCount.category_code, HelpDemandCount.town,
                   HelpDemandCount.requests).where(HelpDemandCount.week >= weeks[0])):
        by_place[(code, town)][week] += requests
    rows: dict[tuple[str, str], Row] = {}
    for (code, town), counts in by_place.items():
        if town and sum(counts.values()) < minimum:
            town = ""  # a small place is folded into "other areas"
        row = rows.setdefault((code, town), Row(code, town))
        for week, value in counts.items():
            row.counts[week] = row.counts.get(week, 0) + value
    order = _category_order()
    return Table(weeks, sorted(rows.values(), key=lambda row: (
        order.get(row.category_code, len(order)), row.category_code, row.town == "", row.town or "")), minimum)
