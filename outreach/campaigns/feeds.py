"""The Atom feed of live campaigns and the iCalendar files of their events, per locale.

XML is built with ElementTree (which escapes every text and attribute), iCalendar with the
``icalendar`` package; neither is ever assembled from strings.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence
from xml.etree import ElementTree as ET

from flask import url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..accounts.clock import as_utc
from . import markdown
from .models import Campaign, CampaignEvent
from .services import event_end, event_start

ATOM = "http://www.w3.org/2005/Atom"
# Elements are named as written, Atom being the default namespace declared on <feed> (xml: is predefined):
# nothing goes through ET.register_namespace, whose process-wide table once made /sitemap.xml
# (outreach/site/discovery.py) come out with ns0: prefixes after this module registered "" for Atom.
XML_LANG = "xml:lang"
XML_BASE = "xml:base"


def _atom(tag: str) -> str:
    return tag


def _stamp(value: datetime) -> str:
    return as_utc(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, tag: str, text, **attributes) -> ET.Element:
    element = ET.SubElement(parent, _atom(tag), attributes)
    element.text = str(text)
    if getattr(text, "is_fallback", False):
        element.set(XML_LANG, text.lang)  # shown in its source language: say which
    return element


def atom_feed(campaigns: Sequence[Campaign], locale: str, html_lang: str, now: datetime) -> bytes:
    """An Atom 1.0 document of ``campaigns`` with each text in ``locale`` where translated."""
    # xml:base: the links inside campaign text are relative to the site ("/en/categories/naloxone").
    feed = ET.Element(_atom("feed"), {"xmlns": ATOM, XML_LANG: html_lang,
                                      XML_BASE: url_for("root.pick_language", _external=True)})
    self_url = url_for("campaigns.feed", lang_code=locale, _external=True)
    # Translators: the title of the news feed (Atom) of awareness campaigns.
    _text(feed, "title", _("Campaigns and events – Outreach"))
    ET.SubElement(feed, _atom("id")).text = self_url
    ET.SubElement(feed, _atom("link"), {"rel": "self", "type": "application/atom+xml", "href": self_url})
    ET.SubElement(feed, _atom("link"), {"rel": "alternate", "type": "text/html",
                                         "href": url_for("campaigns.index", lang_code=locale, _external=True)})
    updated = max((as_utc(c.updated_at) for c in campaigns), default=now)
    ET.SubElement(feed, _atom("updated")).text = _stamp(updated)
    author = ET.SubElement(feed, _atom("author"))
    ET.SubElement(author, _atom("name")).text = _("Outreach")
    for campaign in campaigns:
        entry = ET.SubElement(feed, _atom("entry"))
        page = url_for("campaigns.campaign", lang_code=locale, reference=campaign.slug, _external=True)
        ET.SubElement(entry, _atom("id")).text = f"urn:uuid:{campaign.id}"
        _text(entry, "title", campaign.text("title", locale))
        ET.SubElement(entry, _atom("link"), {"rel": "alternate", "type": "text/html", "href": page})
        ET.SubElement(entry, _atom("published")).text = _stamp(campaign.starts_at)
        ET.SubElement(entry, _atom("updated")).text = _stamp(max(as_utc(campaign.updated_at), as_utc(campaign.starts_at)))
        _text(entry, "summary", campaign.text("summary", locale))
        body = campaign.text("body", locale)
        if body:
            content = _text(entry, "content", markdown.render(body.value), type="html")
            if body.is_fallback:
                content.set(XML_LANG, body.lang)
        for term in campaign.categories:
            ET.SubElement(entry, _atom("category"), {"term": term.code, "label": term.text("name", locale).value})
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _calendar(name: str, locale: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//Outreach//Campaign events//{locale.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(item: CampaignEvent, locale: str, now: datetime) -> Event:
    campaign = item.campaign
    page = url_for("campaigns.campaign", lang_code=locale, reference=campaign.slug, _external=True)
    event = Event()
    event.add("uid", f"{item.id}@outreach")
    event.add("dtstamp", as_utc(item.updated_at or now))
    event.add("dtstart", event_start(item))
    event.add("dtend", event_end(item))
    event.add("summary", item.text("title", locale).value)
    place = item.text("place", locale).value
    if item.is_online:
        # Translators: the place of an event held online, in calendar files.
        place = " ".join(filter(None, [_("Online"), place, item.online_url or ""]))
    if place:
        event.add("location", place)
    details = item.text("details", locale).value
    event.add("description", "\n\n".join(filter(None, [details, campaign.text("title", locale).value, page])))
    event.add("url", page)
    return event


def event_calendar(item: CampaignEvent, locale: str, now: datetime) -> bytes:
    calendar = _calendar(item.text("title", locale).value, locale)
    calendar.add_component(_event(item, locale, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def events_calendar(items: Sequence[CampaignEvent], locale: str, now: datetime) -> bytes:
    # Translators: the name of the calendar (.ics) of all upcoming campaign events.
    calendar = _calendar(_("Outreach events"), locale)
    for item in items:
        calendar.add_component(_event(item, locale, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()
