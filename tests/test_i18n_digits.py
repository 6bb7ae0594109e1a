"""Campaign dates and hours and the search radius in the locale's own digits (Persian ۱۲۳), as the rest
of the site writes numbers; an event's day, hours and zone joined by one translatable string."""
from __future__ import annotations

import re

import pytest

PERSIAN_DIGIT = re.compile("[۰-۹]")
LATIN_DIGIT = re.compile("[0-9]")


def _text(html: str) -> str:
    """What a reader sees: tags (and their attributes, e.g. <time datetime>) removed."""
    return re.sub(r"<[^>]+>", "", html)


def _all(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<p class="{css_class}">(.*?)</p>', html, re.S)


@pytest.fixture(scope="module")
def campaign_pages(demo_site_app):
    client = demo_site_app.test_client()
    return {locale: client.get(f"/{locale}/campaigns/naloxone-saves-lives").get_data(as_text=True)
            for locale in ("en", "fa", "ar")}


def test_persian_event_days_hours_and_zones_have_no_latin_digits(campaign_pages):
    whens = _all(campaign_pages["fa"], "event__when")
    assert len(whens) >= 2
    for when in whens:
        shown = _text(when)
        assert not LATIN_DIGIT.search(shown), shown
        assert PERSIAN_DIGIT.search(shown), shown
    assert 'datetime="' in whens[0]  # the machine-readable value keeps ISO digits


def test_persian_campaign_end_date_has_no_latin_digits(campaign_pages, demo_site_app):
    until = re.findall(r'<p class="campaign-card__until">(.*?)</p>', campaign_pages["fa"], re.S)
    assert until
    for text in until:
        assert not LATIN_DIGIT.search(_text(text)) and PERSIAN_DIGIT.search(text), text
    listing = demo_site_app.test_client().get("/fa/campaigns/").get_data(as_text=True)
    for text in re.findall(r'<p class="campaign-card__until">(.*?)</p>', listing, re.S):
        assert not LATIN_DIGIT.search(_text(text)), text


def test_english_and_arabic_keep_latin_digits(campaign_pages):
    # CLDR's "ar" (Modern Standard Arabic) writes Latin digits by default, as the rest of the site does.
    for locale in ("en", "ar"):
        for when in _all(campaign_pages[locale], "event__when"):
            assert LATIN_DIGIT.search(_text(when)) and not PERSIAN_DIGIT.search(when)


def test_day_hours_and_zone_are_one_sentence(campaign_pages):
    when = _all(campaign_pages["en"], "event__when")[0]
    assert re.fullmatch(r'\s*<time datetime="[^"]+">[^<]+</time>, <bdi>[^<]+</bdi> \(<span class="event__zone">'
                        r'[^<]+</span>\)\s*', when), when


def test_the_helpers_localize_digits(demo_site_app):
    from datetime import datetime, timezone

    from outreach.campaigns.formatting import staff_moment

    with demo_site_app.test_request_context("/fa/"):
        from flask_babel import force_locale

        with force_locale("fa"):
            moment = staff_moment(datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc), "America/Los_Angeles")
    assert moment and not LATIN_DIGIT.search(moment) and PERSIAN_DIGIT.search(moment)


@pytest.mark.parametrize("near", ["97214", "Portland"])
def test_persian_search_radius_is_in_persian_digits_and_the_place_is_isolated(demo_site_app, near):
    page = demo_site_app.test_client().get(f"/fa/search?near={near}&radius=10").get_data(as_text=True)
    count = re.search(r'<p class="result-count" role="status">(.*?)</p>', page, re.S).group(1)
    place = re.search(r"<bdi>([^<]+)</bdi>", count)
    assert place and near in place.group(1)  # the place as the resident wrote it, isolated from the sentence
    rest = _text(count.replace(place.group(0), ""))
    assert not LATIN_DIGIT.search(rest), rest
    assert "۱۰" in rest
