"""Opening hours: open/closed at given instants, overnight and 24-hour periods, time zones and DST.

Schedules are built as plain (unsaved) model objects: ``hours`` is pure computation over them.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from outreach.directory.hours import Period, is_always_open, open_status, weekly_table
from outreach.directory.models import Schedule

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
WEEKDAYS = "MO,TU,WE,TH,FR"
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def rule(byday: str, opens: str, closes: str, tz: str = "America/Los_Angeles", **values) -> Schedule:
    return Schedule(byday=byday, opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes),
                    timezone_name=tz, **values)


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- ordinary weekday hours ----------------------------------------------------------------------
# 2026-07-13 is a Monday.


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (la(2026, 7, 15, 8, 59), False),  # Wednesday, a minute before opening
        (la(2026, 7, 15, 9, 0), True),  # opening minute
        (la(2026, 7, 15, 12, 30), True),
        (la(2026, 7, 15, 16, 59), True),
        (la(2026, 7, 15, 17, 0), False),  # closing time itself is closed
        (la(2026, 7, 15, 23, 0), False),
        (la(2026, 7, 18, 12, 0), False),  # Saturday
        (la(2026, 7, 19, 12, 0), False),  # Sunday
        (la(2026, 7, 17, 10, 0), True),  # Friday
    ],
)
def test_weekday_hours(instant, is_open):
    status = open_status([rule(WEEKDAYS, "09:00", "17:00")], instant)
    assert status.is_open is is_open
    assert status.has_hours is True
    assert status.always_open is False


def test_open_reports_closing_time_in_local_time():
    status = open_status([rule(WEEKDAYS, "09:00", "17:00")], la(2026, 7, 15, 10, 0))
    assert status.closes_at == la(2026, 7, 15, 17, 0)
    assert status.closes_at.utcoffset() == la(2026, 7, 15, 17, 0).utcoffset()
    assert status.opens_at is None


def test_closed_after_hours_opens_next_morning():
    status = open_status([rule(WEEKDAYS, "09:00", "17:00")], la(2026, 7, 15, 18, 0))
    assert not status.is_open
    assert status.opens_at.replace(tzinfo=None) == datetime(2026, 7, 16, 9, 0)
    assert status.closes_at is None


def test_closed_at_weekend_opens_on_monday():
    status = open_status([rule(WEEKDAYS, "09:00", "17:00")], la(2026, 7, 18, 11, 0))
    assert status.opens_at.replace(tzinfo=None) == datetime(2026, 7, 20, 9, 0)
    assert status.opens_at.weekday() == 0


def test_next_opening_picks_the_earliest_of_several_rules():
    schedules = [rule("MO", "13:00", "15:00"), rule("SU", "18:00", "20:00"), rule("TU", "08:00", "09:00")]
    status = open_status(schedules, la(2026, 7, 18, 11, 0))  # Saturday
    assert status.opens_at.replace(tzinfo=None) == datetime(2026, 7, 19, 18, 0)


def test_split_day_closed_over_lunch():
    schedules = [rule(WEEKDAYS, "09:00", "12:00"), rule(WEEKDAYS, "13:00", "17:00")]
    assert open_status(schedules, la(2026, 7, 15, 11, 0)).is_open
    lunch = open_status(schedules, la(2026, 7, 15, 12, 30))
    assert not lunch.is_open
    assert lunch.opens_at.replace(tzinfo=None) == datetime(2026, 7, 15, 13, 0)
    assert open_status(schedules, la(2026, 7, 15, 13, 30)).closes_at.replace(tzinfo=None) == datetime(2026, 7, 15, 17, 0)


def test_no_schedules_means_no_hours():
    status = open_status([], la(2026, 7, 15, 10, 0))
    assert status.has_hours is False
    assert status.is_open is False


# -- overnight -----------------------------------------------------------------------------------
# 2026-07-17 is a Friday.


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (la(2026, 7, 17, 21, 59), False),  # Friday evening, before opening
        (la(2026, 7, 17, 22, 0), True),
        (la(2026, 7, 17, 23, 30), True),
        (la(2026, 7, 18, 0, 0), True),  # midnight
        (la(2026, 7, 18, 2, 0), True),  # 02:00 the next (Saturday) morning
        (la(2026, 7, 18, 5, 59), True),
        (la(2026, 7, 18, 6, 0), False),
        (la(2026, 7, 18, 7, 0), False),  # 07:00 the next morning: closed
        (la(2026, 7, 17, 2, 0), False),  # Friday 02:00 belongs to Thursday night, which is not listed
    ],
)
def test_overnight_friday_night(instant, is_open):
    assert open_status([rule("FR", "22:00", "06:00")], instant).is_open is is_open


def test_overnight_closes_the_next_morning():
    status = open_status([rule("FR", "22:00", "06:00")], la(2026, 7, 18, 2, 0))
    assert status.closes_at.replace(tzinfo=None) == datetime(2026, 7, 18, 6, 0)


def test_overnight_next_opening_is_the_same_evening():
    status = open_status([rule("FR", "22:00", "06:00")], la(2026, 7, 18, 7, 0))
    assert not status.is_open
    assert status.opens_at.replace(tzinfo=None) == datetime(2026, 7, 24, 22, 0)


def test_back_to_back_periods_report_the_real_closing_time():
    schedules = [rule(EVERY_DAY, "22:00", "06:00"), rule(EVERY_DAY, "06:00", "14:00")]
    status = open_status(schedules, la(2026, 7, 15, 23, 0))
    assert status.is_open
    assert status.closes_at.replace(tzinfo=None) == datetime(2026, 7, 16, 14, 0)
    assert not open_status(schedules, la(2026, 7, 16, 15, 0)).is_open


def test_period_kinds():
    assert Period(time(22), time(6)).is_overnight
    assert not Period(time(22), time(6)).is_all_day
    assert Period(time(0), time(0)).is_all_day
    assert not Period(time(0), time(0)).is_overnight
    assert not Period(time(9), time(17)).is_overnight
    assert Period(time(9), time(9)).is_overnight  # closes at or before it opens: next day


# -- 24 hours and 24/7 ----------------------------------------------------------------------------


def test_open_24_hours_on_one_day():
    schedules = [rule("SU", "00:00", "00:00")]
    assert open_status(schedules, la(2026, 7, 19, 0, 0)).is_open
    assert open_status(schedules, la(2026, 7, 19, 23, 59)).is_open
    status = open_status(schedules, la(2026, 7, 19, 3, 0))
    assert status.closes_at.replace(tzinfo=None) == datetime(2026, 7, 20, 0, 0)
    assert not status.always_open
    assert not open_status(schedules, la(2026, 7, 20, 0, 0)).is_open
    assert not is_always_open(schedules)


def test_every_day_00_to_00_is_always_open():
    schedules = [rule(EVERY_DAY, "00:00", "00:00")]
    assert is_always_open(schedules)
    for instant in (la(2026, 7, 15, 3, 0), la(2026, 7, 18, 23, 59), utc(2026, 3, 8, 10, 0)):
        status = open_status(schedules, instant)
        assert status.is_open and status.always_open
        assert status.closes_at is None


def test_24_7_spread_over_rules_is_always_open():
    schedules = [rule(WEEKDAYS, "00:00", "00:00"), rule("SA,SU", "00:00", "00:00")]
    assert is_always_open(schedules)
    assert open_status(schedules, la(2026, 7, 18, 12, 0)).always_open


@pytest.mark.parametrize(
    "schedules",
    [
        [rule("MO,TU,WE,TH,FR,SA", "00:00", "00:00")],  # Sunday missing
        [rule(EVERY_DAY, "00:00", "23:00")],
        [rule(EVERY_DAY, "09:00", "17:00")],
        [],
    ],
)
def test_not_always_open(schedules):
    assert not is_always_open(schedules)


def test_weekly_table_lists_every_day_in_order():
    schedules = [rule("MO,WE", "13:00", "15:00"), rule("MO", "09:00", "11:00"), rule("FR", "22:00", "06:00"),
                 rule("SU", "00:00", "00:00")]
    table = dict(weekly_table(schedules))
    assert [day for day, _ in weekly_table(schedules)] == ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    assert [p.opens for p in table["MO"]] == [time(9), time(13)]
    assert table["TU"] == []
    assert table["FR"][0].is_overnight
    assert table["SU"][0].is_all_day


# -- time zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "tz", "is_open"),
    [
        # 16:30 UTC in July is 09:30 in Los Angeles (PDT) and 12:30 in New York (EDT).
        (utc(2026, 7, 15, 16, 30), "America/Los_Angeles", True),
        (utc(2026, 7, 15, 16, 30), "America/New_York", True),
        # 15:00 UTC: 08:00 in Los Angeles (not yet open), 11:00 in New York (open).
        (utc(2026, 7, 15, 15, 0), "America/Los_Angeles", False),
        (utc(2026, 7, 15, 15, 0), "America/New_York", True),
        # 22:30 UTC: 15:30 in Los Angeles (open), 18:30 in New York (closed).
        (utc(2026, 7, 15, 22, 30), "America/Los_Angeles", True),
        (utc(2026, 7, 15, 22, 30), "America/New_York", False),
        # 03:00 UTC on Thursday is still Wednesday 20:00 in Los Angeles: closed, and not a Thursday.
        (utc(2026, 7, 16, 3, 0), "America/Los_Angeles", False),
    ],
)
def test_open_now_is_computed_in_the_listings_zone(instant, tz, is_open):
    assert open_status([rule(WEEKDAYS, "09:00", "17:00", tz=tz)], instant).is_open is is_open


def test_weekday_is_taken_in_the_listings_zone():
    # Saturday 01:00 UTC is still Friday 18:00 in Los Angeles: a Friday-only evening rule applies.
    schedules = [rule("FR", "17:00", "20:00")]
    assert open_status(schedules, utc(2026, 7, 18, 1, 0)).is_open
    assert not open_status([rule("SA", "17:00", "20:00")], utc(2026, 7, 18, 1, 0)).is_open


def test_reported_times_are_in_the_listings_zone():
    status = open_status([rule(WEEKDAYS, "09:00", "17:00", tz="America/New_York")], utc(2026, 7, 15, 16, 30))
    assert status.closes_at.utcoffset().total_seconds() == -4 * 3600
    assert (status.closes_at.hour, status.closes_at.minute) == (17, 0)
    assert status.closes_at.astimezone(UTC) == utc(2026, 7, 15, 21, 0)
    closed = open_status([rule(WEEKDAYS, "09:00", "17:00")], utc(2026, 7, 15, 15, 0))
    assert closed.opens_at.astimezone(UTC) == utc(2026, 7, 15, 16, 0)


def test_server_time_zone_does_not_matter():
    schedules = [rule(WEEKDAYS, "09:00", "17:00")]
    same_instant = [utc(2026, 7, 15, 16, 30), utc(2026, 7, 15, 16, 30).astimezone(ZoneInfo("Asia/Tokyo")),
                    utc(2026, 7, 15, 16, 30).astimezone(NY)]
    assert {open_status(schedules, instant).is_open for instant in same_instant} == {True}


# -- daylight saving time in Los Angeles ---------------------------------------------------------
# 2026-03-08 (Sunday): clocks go from 02:00 PST to 03:00 PDT. 2026-11-01 (Sunday): 02:00 PDT back to 01:00 PST.


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (utc(2026, 3, 7, 16, 30), False),  # Saturday 08:30 PST
        (utc(2026, 3, 7, 17, 0), True),  # Saturday 09:00 PST
        (utc(2026, 3, 8, 15, 59), False),  # Sunday 08:59 PDT (07:59 if the offset had not changed)
        (utc(2026, 3, 8, 16, 0), True),  # Sunday 09:00 PDT
        (utc(2026, 3, 8, 16, 30), True),  # Sunday 09:30 PDT (would be 08:30 PST: closed)
        (utc(2026, 3, 9, 16, 0), True),  # Monday 09:00 PDT
        (utc(2026, 3, 9, 23, 59), True),  # Monday 16:59 PDT
        (utc(2026, 3, 10, 0, 0), False),  # Monday 17:00 PDT (would be 16:00 PST: open)
    ],
)
def test_spring_forward(instant, is_open):
    assert open_status([rule(EVERY_DAY, "09:00", "17:00")], instant).is_open is is_open


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        (utc(2026, 10, 31, 16, 0), True),  # Saturday 09:00 PDT
        (utc(2026, 11, 1, 16, 30), False),  # Sunday 08:30 PST (would be 09:30 PDT: open)
        (utc(2026, 11, 1, 17, 0), True),  # Sunday 09:00 PST
        (utc(2026, 11, 2, 0, 30), True),  # Sunday 16:30 PST (would be 17:30 PDT: closed)
        (utc(2026, 11, 2, 1, 0), False),  # Sunday 17:00 PST
    ],
)
def test_fall_back(instant, is_open):
    assert open_status([rule(EVERY_DAY, "09:00", "17:00")], instant).is_open is is_open


def test_overnight_across_spring_forward():
    # Saturday 22:00 PST to Sunday 06:00 PDT: a night one hour shorter.
    schedules = [rule("SA", "22:00", "06:00")]
    assert open_status(schedules, utc(2026, 3, 8, 6, 0)).is_open  # 22:00 PST
    assert open_status(schedules, utc(2026, 3, 8, 12, 30)).is_open  # 05:30 PDT
    assert not open_status(schedules, utc(2026, 3, 8, 13, 30)).is_open  # 06:30 PDT (05:30 in PST)
    closes = open_status(schedules, utc(2026, 3, 8, 12, 30)).closes_at
    assert closes.astimezone(UTC) == utc(2026, 3, 8, 13, 0)


def test_overnight_across_fall_back():
    # Saturday 22:00 PDT to Sunday 06:00 PST: a night one hour longer.
    schedules = [rule("SA", "22:00", "06:00")]
    assert open_status(schedules, utc(2026, 11, 1, 5, 0)).is_open  # 22:00 PDT
    assert open_status(schedules, utc(2026, 11, 1, 13, 30)).is_open  # 05:30 PST (06:30 in PDT)
    assert not open_status(schedules, utc(2026, 11, 1, 14, 0)).is_open  # 06:00 PST
    closes = open_status(schedules, utc(2026, 11, 1, 13, 30)).closes_at
    assert closes.astimezone(UTC) == utc(2026, 11, 1, 14, 0)


def test_next_opening_across_spring_forward():
    status = open_status([rule(EVERY_DAY, "09:00", "17:00")], utc(2026, 3, 8, 2, 0))  # Saturday 18:00 PST
    assert status.opens_at.astimezone(UTC) == utc(2026, 3, 8, 16, 0)  # Sunday 09:00 PDT


# -- valid_from / valid_to ----------------------------------------------------------------------


def test_schedule_not_yet_valid():
    schedules = [rule(EVERY_DAY, "09:00", "17:00", valid_from=date(2026, 8, 1))]
    before = open_status(schedules, la(2026, 7, 31, 12, 0))
    assert not before.is_open
    assert before.opens_at.replace(tzinfo=None) == datetime(2026, 8, 1, 9, 0)
    assert open_status(schedules, la(2026, 8, 1, 12, 0)).is_open


def test_schedule_no_longer_valid():
    schedules = [rule(EVERY_DAY, "09:00", "17:00", valid_to=date(2026, 7, 31))]
    assert open_status(schedules, la(2026, 7, 31, 12, 0)).is_open
    after = open_status(schedules, la(2026, 8, 1, 12, 0))
    assert not after.is_open
    assert after.opens_at is None


def test_summer_and_winter_hours_replace_each_other():
    schedules = [
        rule(EVERY_DAY, "08:00", "20:00", valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31)),
        rule(EVERY_DAY, "10:00", "16:00", valid_from=date(2026, 9, 1)),
    ]
    assert open_status(schedules, la(2026, 8, 31, 19, 0)).is_open
    assert not open_status(schedules, la(2026, 9, 1, 19, 0)).is_open
    assert not open_status(schedules, la(2026, 9, 1, 9, 0)).is_open
    assert open_status(schedules, la(2026, 9, 1, 10, 0)).is_open


def test_overnight_started_on_last_valid_day_runs_to_the_morning():
    schedules = [rule(EVERY_DAY, "22:00", "06:00", valid_to=date(2026, 7, 31))]
    assert open_status(schedules, la(2026, 8, 1, 3, 0)).is_open
    assert not open_status(schedules, la(2026, 8, 1, 23, 0)).is_open
