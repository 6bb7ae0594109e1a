"""Jinja helpers: listing text in the page's locale, opening hours, and locale-aware formats."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, g, url_for
from jinja2 import pass_context
from markupsafe import Markup
from flask_babel import format_currency, get_locale, gettext

from .directory import hours, services
from .directory.models import WEEKDAYS, LocalText, Service
from .i18n import formats
from .i18n.setup import current_locale
from .site.page_cache import expires_at

WEEKDAY_INDEX = {code: index for index, code in enumerate(WEEKDAYS)}


def tx(record, field: str) -> LocalText:
    """The record's ``field`` in the page's locale, or the source text marked as such."""
    return record.text(field, current_locale().code)


# Markup's % escapes the values like .format() does, at a third of the cost (forty counts a page).
_FALLBACK_SPAN = Markup('<span lang="%s" dir="auto">%s</span>')
_FILTER_COUNT = Markup(' <span class="filter__count">(%s)</span>')


def local_inline(text: LocalText) -> Markup:
    """The ``local`` macro of macros.html for a bare inline text, as a function (a card calls it three
    times; a Jinja macro call costs several times a function call): the text, or the source text in
    a span marked with its language when it is shown untranslated."""
    if text.is_fallback:
        return _FALLBACK_SPAN % (text.lang, text.value)
    return Markup.escape(text.value)


def filter_count(facets: dict, field: str, value: str) -> Markup:
    """The count beside a filter choice: how many results applying it would show."""
    return _FILTER_COUNT % formats.number((facets.get(field) or {}).get(value, 0))


def open_status(service: Service) -> hours.OpenStatus:
    if service.status == "temporarily closed":
        return hours.OpenStatus(is_open=False, has_hours=bool(service.schedules))
    rules = tuple(hours.WeeklyRule(s.byday, s.opens_at, s.closes_at, s.timezone_name, s.valid_from, s.valid_to)
                  for s in service.schedules)
    status = _open_status(rules, services.now().replace(second=0, microsecond=0))
    expires_at(status.closes_at if status.is_open else status.opens_at)  # the badge changes then
    return status


@lru_cache(maxsize=4096)
def _open_status(rules: tuple[hours.WeeklyRule, ...], minute: datetime) -> hours.OpenStatus:
    """Hours change on whole minutes: a results page of listings with the same hours (most share a
    few) works each out once a minute, not once per card."""
    return hours.open_status(rules, minute)


def is_stale(service: Service) -> bool:
    """"Not verified recently" on a page; the answer may change at the next (UTC) midnight."""
    today = services.now()
    expires_at(datetime.combine(today.date() + timedelta(days=1), datetime.min.time(), tzinfo=today.tzinfo))
    return services.is_stale(service)


def weekday_name(code: str) -> str:
    return get_locale().days["format"]["wide"][WEEKDAY_INDEX[code]]


def weekly_table(schedules) -> list:
    """The week's opening hours, starting on the day the page's locale starts a week on."""
    table = hours.weekly_table(schedules)
    start = formats.first_weekday()
    return table[start:] + table[:start]


def language_name(code: str) -> str:
    return _language_name(code, get_locale())


@lru_cache(maxsize=1024)
def _language_name(code: str, locale: Locale) -> str:
    name = locale.languages.get(code) or code
    return name[:1].upper() + name[1:]


_PLAIN_ID = re.compile(r"[0-9A-Za-z-]+")


def service_href(service_id: str) -> str:
    """``url_for("directory.service", service_id=...)`` for result cards: the address is built once
    per request and only the id changes between cards (ids are UUIDs: nothing to quote)."""
    if not _PLAIN_ID.fullmatch(service_id):
        return url_for("directory.service", service_id=service_id)
    parts = g.get("outreach_service_href")
    if parts is None:
        marker = "0service0id0"
        head, _, tail = url_for("directory.service", service_id=marker).partition(marker)
        g.outreach_service_href = parts = (head, tail)
    return parts[0] + service_id + parts[1]


def json_ld(service: Service) -> dict:
    """schema.org description of a service, for search engines; never a confidential address."""
    locale = current_locale().code
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": tx(service, "name").value,
        "description": tx(service, "description").value,
        "provider": {"@type": "Organization", "name": tx(service.organization, "name").value},
        "url": url_for("directory.service", service_id=service.id, lang_code=locale, _external=True),
        "availableLanguage": [language.code for language in service.languages],
    }
    phones = [p.number for p in service.phones] or [p.number for p in service.organization.phones]
    if phones:
        data["provider"]["telephone"] = phones[0]
    places = []
    for location in service.locations:
        if location.is_address_confidential:
            continue
        address = location.physical_address
        if address:
            places.append(
                {
                    "@type": "Place",
                    "address": {
                        "@type": "PostalAddress",
                        "streetAddress": " ".join(filter(None, [address.address_1, address.address_2])),
                        "addressLocality": address.city,
                        "addressRegion": address.state_province,
                        "postalCode": address.postal_code,
                        "addressCountry": address.country,
                    },
                }
            )
    if places:
        data["availableChannel"] = [{"@type": "ServiceChannel", "serviceLocation": place} for place in places]
    return data


def truncate_text(text: LocalText, length: int) -> LocalText:
    """Shorten listing text at a word boundary, keeping its language."""
    value = text.value
    if len(value) > length:
        value = value[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
    return LocalText(value, text.lang, text.is_fallback)


def highlight(service: Service, terms: frozenset[str]) -> LocalText:
    """The service's description around the matched words, matches in <mark>."""
    from .search.highlight import snippet

    text = tx(service, "description")
    return LocalText(snippet(text.value, text.lang, terms), text.lang, text.is_fallback)


def about_distance(miles: float) -> str:
    if miles < 1:
        return gettext("Less than 1 mile away")
    rounded = round(miles) if miles < 10 else int(round(miles / 5) * 5)
    return formats.ngettext_number("About %(num)s mile away", "About %(num)s miles away", rounded)


FRAGMENTS_KEPT = 4096


def remembered(*key, caller) -> Markup:
    """``{% call remembered(name, value, ...) %}…{% endcall %}``: the block's HTML, rendered once per
    process for the same values in the same locale and then reused (a results page draws twenty
    cards whose open-now badges mostly read the same). The values must be everything the block
    depends on besides the locale."""
    store: dict = current_app.extensions.setdefault("outreach_fragments", {})
    full = (*key, current_locale().code)
    html = store.get(full)
    if html is None:
        html = Markup(caller())
        if len(store) >= FRAGMENTS_KEPT:
            store.clear()
        store[full] = html
    return html


@pass_context
def _jinja_gettext(context, string: str, **variables) -> str:
    """The templates' ``_``/``gettext``: Jinja's new-style one (autoescaped, always ``%``-formatted),
    with the request's catalog looked up once rather than for each of a page's hundred strings."""
    text = formats.page_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        tx=tx,
        local_inline=local_inline,
        filter_count=filter_count,
        open_status=open_status,
        weekly_table=weekly_table,
        is_always_open=hours.is_always_open,
        weekday_name=weekday_name,
        language_name=language_name,
        is_stale=is_stale,
        json_ld=json_ld,
        highlight=highlight,
        about_distance=about_distance,
        remembered=remembered,
        service_href=service_href,
    )
    app.jinja_env.filters.update(
        clock=formats.clock, day=formats.day, truncate_text=truncate_text, format_number=formats.number,
        format_currency=format_currency
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals["ngettext"] = formats.jinja_ngettext  # %(num)s in the locale's own digits
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = _jinja_gettext
