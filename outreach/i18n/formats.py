"""Numbers, dates and times in the page's locale, in the digits that locale writes by default.

Babel formats with the locale's separators and patterns (12- or 24-hour clock, date order), but always
with Latin digits; CLDR's default numbering system says which digits a locale really uses (Persian:
۱۲۳, Arabic as used in Egypt: ١٢٣; Modern Standard Arabic as CLDR's "ar" and the other locales: 123).
"""
from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

from babel import Locale, dates, numbers
from flask import g
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}

# CLDR has almost no calendar data for Haitian Creole (Babel writes "2026 M12 26, Sat"): its month and
# day names and date patterns, as Haitian public services write them, fill the gap at start-up.
HAITIAN_CALENDAR = {
    "months": ("janvye", "fevriye", "mas", "avril", "me", "jen", "jiyè", "out", "septanm", "oktòb",
               "novanm", "desanm"),
    "months_short": ("jan", "fev", "mas", "avr", "me", "jen", "jiy", "out", "sep", "okt", "nov", "des"),
    "days": ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch"),  # Monday first
    "days_short": ("len", "mad", "mèk", "jed", "van", "sam", "dim"),
    "date_formats": {"full": "EEEE d MMMM y", "long": "d MMMM y", "medium": "d MMM y", "short": "dd/MM/y"},
    "time_formats": {"full": "HH:mm:ss zzzz", "long": "HH:mm:ss z", "medium": "HH:mm:ss", "short": "HH:mm"},
}


def fill_calendar_gaps() -> None:
    """Give Babel's (process-wide, cached) Haitian Creole data real month and day names and patterns."""
    from babel import localedata
    from babel.dates import parse_pattern

    data = localedata.load("ht")
    if data.get("outreach_filled"):
        return
    table = HAITIAN_CALENDAR
    months = {number: name for number, name in enumerate(table["months"], start=1)}
    months_short = {number: name for number, name in enumerate(table["months_short"], start=1)}
    days = dict(enumerate(table["days"]))
    days_short = dict(enumerate(table["days_short"]))
    data["months"] = {context: {"wide": months, "abbreviated": months_short, "narrow": months_short}
                      for context in ("format", "stand-alone")}
    data["days"] = {context: {"wide": days, "abbreviated": days_short, "short": days_short, "narrow": days_short}
                    for context in ("format", "stand-alone")}
    data["date_formats"] = {name: parse_pattern(pattern) for name, pattern in table["date_formats"].items()}
    data["time_formats"] = {name: parse_pattern(pattern) for name, pattern in table["time_formats"].items()}
    data["outreach_filled"] = True


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def localize_digits(text: str, locale: Locale | None = None) -> str:
    """Latin digits → the locale's own digits, when it has others."""
    digits = DIGITS.get((locale or _locale()).default_numbering_system)
    if not digits:
        return text
    return text.translate(str.maketrans("0123456789", digits))


def number(value: float | int, locale: Locale | None = None) -> str:
    locale = locale or _locale()
    if isinstance(value, int) and 0 <= value < 100_000:  # counts beside filters, pages, results: cached
        return _whole_number(value, locale)
    return localize_digits(numbers.format_decimal(value, locale=locale, numbering_system="default"), locale)


@lru_cache(maxsize=50_000)
def _whole_number(value: int, locale: Locale) -> str:
    return localize_digits(numbers.format_decimal(value, locale=locale, numbering_system="default"), locale)


def day(value: date) -> str:
    locale = _locale()
    return localize_digits(dates.format_date(value, "long", locale=locale), locale)


def clock(value: time | datetime) -> str:
    """A time of day (opening hours), as the locale writes it (12- or 24-hour)."""
    locale = _locale()
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    else:
        value = datetime.combine(date(2026, 1, 5), value)
    return localize_digits(dates.format_time(value, "short", locale=locale), locale)


def first_weekday() -> int:
    """0 for Monday … 6 for Sunday: where a week starts in the page's locale (CLDR, likely territory)."""
    locale = _locale()
    if locale.territory is None:
        from babel.core import get_global

        likely = get_global("likely_subtags").get(str(locale)) or get_global("likely_subtags").get(locale.language)
        if likely:
            locale = Locale.parse(likely)
    return locale.first_week_day


def page_translations():
    """flask_babel's ``get_translations()``, looked up once per request and locale: a search page asks
    for a hundred strings, and each full lookup costs more than the translation itself. The copy is
    kept beside flask_babel's own per-request locale, so ``force_locale`` (e-mails in the recipient's
    language) still gets its own catalog."""
    babel_context = g.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if locale is not None:
        kept = getattr(babel_context, "outreach_translations", None)
        if kept is not None and kept[0] is locale:
            return kept[1]
    translations = get_translations()
    babel_context = g.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if locale is not None:
        babel_context.outreach_translations = (locale, translations)
    return translations


def ngettext_number(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel's ngettext, with ``%(num)s`` written in the locale's digits and separators."""
    variables.setdefault("num", number(num))
    return page_translations().ungettext(singular, plural, num) % variables


@pass_context
def jinja_ngettext(context, singular: str, plural: str, num: int, **variables):
    """The templates' ``ngettext``: Jinja's new-style one (autoescaped), with the number localized."""
    variables.setdefault("num", number(num))
    text = page_translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


__all__ = ["clock", "day", "first_weekday", "jinja_ngettext", "localize_digits", "ngettext_number", "number", "page_translations"]
