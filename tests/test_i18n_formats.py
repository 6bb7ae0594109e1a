"""Dates, times, numbers and the week in each locale's own way (Babel/CLDR), digits included."""
from __future__ import annotations

from datetime import date, time

import pytest
from flask_babel import force_locale

from outreach.i18n import formats


@pytest.fixture
def context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "5:30 PM"), ("es", "17:30"), ("ru", "17:30"), ("ko", "오후 5:30"), ("fa", "۱۷:۳۰"), ("ht", "17:30"),
])
def test_opening_times_use_the_locales_clock(context, locale, expected):
    with force_locale(locale):
        assert formats.clock(time(17, 30)).replace("\u202f", " ") == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "1,234.5"), ("fr", "1\u202f234,5"), ("ru", "1\xa0234,5"), ("fa", "۱٬۲۳۴٫۵"), ("ar", "1,234.5"),
])
def test_numbers_use_the_locales_separators_and_digits(context, locale, expected):
    with force_locale(locale):
        assert formats.number(1234.5) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "December 26, 2026"), ("es", "26 de diciembre de 2026"), ("ht", "26 desanm 2026"),
    ("fa", "۲۶ دسامبر ۲۰۲۶"), ("zh_Hant", "2026年12月26日"),
])
def test_dates_in_the_locales_words_even_where_cldr_has_none(context, locale, expected):
    with force_locale(locale):
        assert formats.day(date(2026, 12, 26)) == expected


@pytest.mark.parametrize(("locale", "first"), [("en", 6), ("es", 0), ("ar", 5), ("fa", 5), ("zh_Hans", 0)])
def test_the_week_starts_where_the_locale_starts_it(context, locale, first):
    with force_locale(locale):
        assert formats.first_weekday() == first


def test_plural_messages_show_the_number_in_the_locales_digits(context):
    with force_locale("fa"):
        text = formats.ngettext_number("About %(num)s mile away", "About %(num)s miles away", 12)
    assert "۱۲" in text and "12" not in text
