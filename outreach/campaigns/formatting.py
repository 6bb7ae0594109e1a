"""Dates and times of campaigns and events, written the way the page's locale writes them (Babel), in
the locale's own digits (Persian ۱۲۳, as everywhere else on the site: :func:`..i18n.formats.localize_digits`)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates
from flask_babel import get_locale

from ..accounts.clock import as_utc
from ..i18n.formats import localize_digits
from . import markdown
from .models import Campaign, CampaignEvent
from .services import event_end, event_start


def event_day(event: CampaignEvent) -> str:
    """"Saturday, March 14, 2027" in English, "sábado, 14 de marzo de 2027" in Spanish …"""
    locale = get_locale()
    return localize_digits(dates.format_date(event.starts_on, "full", locale=locale), locale)


def event_hours(event: CampaignEvent) -> str:
    """"10:00 AM – 12:00 PM" (or the locale's own way of writing a span of hours)."""
    zone = ZoneInfo(event.time_zone)
    locale = get_locale()
    start, end = event_start(event), event_end(event)
    try:
        text = dates.format_interval(start, end, "hm" if _uses_12_hours() else "Hm", tzinfo=zone, locale=locale)
    except (KeyError, ValueError):
        text = "{} – {}".format(dates.format_time(start, "short", tzinfo=zone, locale=locale),
                                dates.format_time(end, "short", tzinfo=zone, locale=locale))
    return localize_digits(text, locale)


def _uses_12_hours() -> bool:
    return "a" in get_locale().time_formats["short"].pattern


def event_zone(event: CampaignEvent) -> str:
    """The zone's name for that day ("Pacific Standard Time"), in the page's language."""
    locale = get_locale()
    return localize_digits(dates.get_timezone_name(event_start(event), "long", locale=locale), locale)


def campaign_until(campaign: Campaign) -> str:
    zone = ZoneInfo(campaign.time_zone)
    locale = get_locale()
    return localize_digits(dates.format_date(as_utc(campaign.ends_at).astimezone(zone).date(), "long", locale=locale), locale)


def staff_moment(value: datetime, zone_name: str) -> str:
    zone = ZoneInfo(zone_name)
    locale = get_locale()
    return localize_digits(dates.format_datetime(as_utc(value), "medium", tzinfo=zone, locale=locale), locale)


def template_helpers() -> dict:
    return {
        "event_day": event_day, "event_hours": event_hours, "event_zone": event_zone,
        "campaign_until": campaign_until, "campaign_markdown": markdown.render, "staff_moment": staff_moment,
    }
