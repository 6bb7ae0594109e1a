"""Opening hours: weekly rules → "open now", "closes at", "opens next", and a table per weekday.

Every computation happens in the schedule's own IANA time zone, so a listing's hours are right for
its place whatever zone the server or the resident is in, in summer and in winter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .models import WEEKDAYS, Schedule

MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class Period:
    opens: time
    closes: time

    @property
    def is_all_day(self) -> bool:
        return self.opens == MIDNIGHT and self.closes == MIDNIGHT

    @property
    def is_overnight(self) -> bool:
        return not self.is_all_day and self.closes <= self.opens


@dataclass(frozen=True)
class WeeklyRule:
    """A schedule's rule as plain data, safe to cache across requests and threads."""

    byday: str
    opens_at: time
    closes_at: time
    timezone_name: str
    valid_from: date | None = None
    valid_to: date | None = None

    @property
    def days(self) -> list[str]:
        return [d for d in self.byday.split(",") if d]


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    always_open: bool = False
    closes_at: datetime | None = None  # local time the current opening ends
    opens_at: datetime | None = None  # local time of the next opening, when closed
    has_hours: bool = True


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _intervals(schedule: Schedule, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if WEEKDAYS[day.weekday()] not in schedule.days:
        return []
    if schedule.valid_from and day < schedule.valid_from:
        return []
    if schedule.valid_to and day > schedule.valid_to:
        return []
    period = Period(schedule.opens_at, schedule.closes_at)
    start = datetime.combine(day, period.opens, tz)
    if period.is_all_day:
        end = datetime.combine(day + timedelta(days=1), MIDNIGHT, tz)
    elif period.is_overnight:
        end = datetime.combine(day + timedelta(days=1), period.closes, tz)
    else:
        end = datetime.combine(day, period.closes, tz)
    return [(start, end)]


def open_status(schedules: Sequence[Schedule], now: datetime) -> OpenStatus:
    """Whether the schedules are open at the aware datetime ``now``, and until or from when."""
    if not schedules:
        return OpenStatus(is_open=False, has_hours=False)
    tz = zone(schedules[0].timezone_name)
    local_now = now.astimezone(tz)
    today = local_now.date()
    intervals = sorted(
        interval
        for offset in range(-1, 9)
        for schedule in schedules
        for interval in _intervals(schedule, today + timedelta(days=offset), tz)
    )
    current = [(s, e) for s, e in intervals if s <= local_now < e]
    if current:
        end = max(e for _, e in current)
        # Follow periods that start before this one ends (24/7, or 22:00–06:00 then 06:00–14:00).
        extended = True
        while extended:
            extended = False
            for start, stop in intervals:
                if start <= end < stop:
                    end, extended = stop, True
        always = end - local_now > timedelta(days=7)
        return OpenStatus(is_open=True, always_open=always, closes_at=None if always else end.astimezone(tz))
    upcoming = [s for s, _ in intervals if s > local_now]
    return OpenStatus(is_open=False, opens_at=min(upcoming).astimezone(tz) if upcoming else None)


def weekly_table(schedules: Iterable[Schedule]) -> list[tuple[str, list[Period]]]:
    """Monday to Sunday, each with its periods in opening order (empty list: closed)."""
    table: dict[str, list[Period]] = {day: [] for day in WEEKDAYS}
    for schedule in schedules:
        for day in schedule.days:
            if day in table:
                table[day].append(Period(schedule.opens_at, schedule.closes_at))
    return [(day, sorted(table[day], key=lambda p: p.opens)) for day in WEEKDAYS]


def is_always_open(schedules: Sequence[Schedule]) -> bool:
    table = weekly_table(schedules)
    return bool(schedules) and all(any(p.is_all_day for p in periods) for _, periods in table)
