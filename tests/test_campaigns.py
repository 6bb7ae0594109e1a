"""Awareness campaigns: scheduled publishing, pages in every locale, events, Atom and iCalendar feeds,
campaigns on browse and search pages, and staff publishing (forms, errors, translations, audit)."""
from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import icalendar
import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEntry
from outreach.campaigns.models import Campaign, CampaignEvent
from outreach.extensions import db
from outreach.i18n.models import TranslatedText
from tests.campaign_fixtures import (  # noqa: F401  (fixtures)
    campaign_world,
    clock,
    future_day,
    make_campaign,
    signed_in,
    staff_app,
)

pytestmark = pytest.mark.db
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def resident(world):
    return world.app.test_client()


# -- scheduled publishing -------------------------------------------------------------------------


def test_campaign_is_live_only_inside_its_window(campaign_world):
    world = campaign_world
    campaign_id = make_campaign(world, title="Take-back day", starts_in=timedelta(hours=2), lasts=timedelta(days=1))
    with world.app.app_context():
        slug = db.session.get(Campaign, campaign_id).slug
    paths = [f"/en/campaigns/{slug}", f"/en/campaigns/{campaign_id}"]

    def visible() -> dict:
        client = resident(world)
        listing = client.get("/en/campaigns/").get_data(as_text=True)
        feed = client.get("/en/campaigns/feed.atom").get_data(as_text=True)
        sitemap = client.get("/sitemap.xml").get_data(as_text=True)
        return {"pages": [client.get(path).status_code for path in paths], "listed": "Take-back day" in listing,
                "feed": "Take-back day" in feed, "sitemap": f"/en/campaigns/{slug}" in sitemap}

    assert visible() == {"pages": [404, 404], "listed": False, "feed": False, "sitemap": False}
    world.clock.advance(hours=2)  # the start time comes: published with no job and no click
    assert visible() == {"pages": [200, 200], "listed": True, "feed": True, "sitemap": True}
    world.clock.advance(days=1)  # the end time passes
    assert visible() == {"pages": [404, 404], "listed": False, "feed": False, "sitemap": False}


def test_unknown_campaign_and_event_are_404(campaign_world):
    campaign_id = make_campaign(campaign_world, events=[(future_day(campaign_world, 5), "Training")])
    client = resident(campaign_world)
    assert client.get("/en/campaigns/no-such-campaign").status_code == 404
    assert client.get(f"/en/campaigns/{campaign_id}/events/00000000-0000-0000-0000-000000000000.ics").status_code == 404
    assert client.get(f"/xx/campaigns/{campaign_id}").status_code == 404


# -- pages ----------------------------------------------------------------------------------------


def test_campaign_page_in_each_locale_with_fallback_marked(campaign_world):
    world = campaign_world
    campaign_id = make_campaign(world, es={"title": "La naloxona salva vidas", "body": "Lleve **naloxona**."},
                                events=[(future_day(world, 10), "Free naloxone training")])
    client = resident(world)
    english = client.get(f"/en/campaigns/{campaign_id}").get_data(as_text=True)
    assert "<h1>Naloxone saves lives</h1>" in english and "Not yet translated" not in english
    spanish = client.get(f"/es/campaigns/{campaign_id}").get_data(as_text=True)
    assert "<h1>La naloxona salva vidas</h1>" in spanish and "<strong>naloxona</strong>" in spanish
    # The event has no Spanish title yet: shown in English, marked as such, date and time written in Spanish.
    assert '<h3 class="event__title"><span lang="en" dir="auto">Free naloxone training</span></h3>' in spanish
    day = future_day(world, 10)
    from babel.dates import format_date

    assert format_date(day, "full", locale="es") in spanish and "18:00–19:30" in spanish
    arabic = client.get(f"/ar/campaigns/{campaign_id}").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<h1><span lang="en" dir="auto">Naloxone saves lives</span></h1>' in arabic
    assert '<div class="campaign__body" lang="en" dir="auto">' in arabic
    assert "data-quick-exit" in arabic and 'href="tel:988"' in arabic


def test_campaign_pages_set_no_cookie_and_carry_security_headers(campaign_world):
    from tests.test_security_headers import assert_security_headers

    campaign_id = make_campaign(campaign_world, events=[(future_day(campaign_world, 3), "Training")])
    client = resident(campaign_world)
    with campaign_world.app.app_context():
        event_id = db.session.scalar(select(CampaignEvent.id))
    for path in ("/en/campaigns/", f"/es/campaigns/{campaign_id}", "/ar/campaigns/feed.atom", "/es/campaigns/events.ics",
                 f"/en/campaigns/{campaign_id}/events/{event_id}.ics", "/sitemap.xml", "/robots.txt"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response.headers)
        assert response.headers.getlist("Set-Cookie") == [] and response.headers["Cache-Control"] == "no-store"


def test_featured_campaign_on_the_home_page(campaign_world):
    make_campaign(campaign_world, title="Featured one", featured=True)
    make_campaign(campaign_world, title="Not featured")
    home = resident(campaign_world).get("/en/").get_data(as_text=True)
    assert "Featured one" in home and "Not featured" not in home


def test_campaign_appears_on_its_category_pages_and_search(campaign_world):
    make_campaign(campaign_world, title="Naloxone saves lives", categories=("naloxone",))
    make_campaign(campaign_world, title="Treatment works", categories=("treatment",))
    client = resident(campaign_world)
    harm = client.get("/en/categories/harm-reduction").get_data(as_text=True)  # the parent of naloxone
    assert "Naloxone saves lives" in harm and "Treatment works" not in harm
    naloxone = client.get("/es/categories/naloxone").get_data(as_text=True)
    assert "Naloxone saves lives" in naloxone and "Treatment works" not in naloxone
    treatment = client.get("/en/categories/treatment").get_data(as_text=True)
    assert "Treatment works" in treatment and "Naloxone saves lives" not in treatment
    filtered = client.get("/en/search?category=harm-reduction").get_data(as_text=True)
    assert "Naloxone saves lives" in filtered and "Treatment works" not in filtered
    searched = client.get("/en/search?q=naloxone").get_data(as_text=True)
    assert "Naloxone saves lives" in searched and "Treatment works" not in searched


def test_a_category_page_shows_three_campaigns_featured_first_then_the_latest_started(campaign_world):
    from datetime import timedelta

    make_campaign(campaign_world, title="Oldest featured", featured=True, starts_in=timedelta(days=-9))
    make_campaign(campaign_world, title="Started eight days ago", starts_in=timedelta(days=-8))
    make_campaign(campaign_world, title="Started two days ago", starts_in=timedelta(days=-2))
    make_campaign(campaign_world, title="Started five days ago", starts_in=timedelta(days=-5))
    make_campaign(campaign_world, title="Not yet started", featured=True, starts_in=timedelta(days=1))
    make_campaign(campaign_world, title="Already ended", featured=True, starts_in=timedelta(days=-20), lasts=timedelta(days=3))
    page = resident(campaign_world).get("/en/categories/naloxone").get_data(as_text=True)
    shown = [t for t in ("Oldest featured", "Started two days ago", "Started five days ago", "Started eight days ago",
                         "Not yet started", "Already ended") if t in page]
    assert shown == ["Oldest featured", "Started two days ago", "Started five days ago"]
    assert page.index("Oldest featured") < page.index("Started two days ago") < page.index("Started five days ago")


# -- feeds ----------------------------------------------------------------------------------------


def test_atom_feed_is_well_formed_with_live_campaigns_in_the_locale(campaign_world):
    world = campaign_world
    make_campaign(world, title="Naloxone saves lives", es={"title": "La naloxona salva vidas"},
                  body="A <script>x</script> [link](/en/categories/naloxone)")
    make_campaign(world, title="Family groups")
    make_campaign(world, title="Next month", starts_in=timedelta(days=30))
    response = resident(world).get("/es/campaigns/feed.atom")
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)  # raises on anything not well-formed
    assert feed.tag == f"{ATOM}feed" and feed.get(XML_LANG) == "es"
    assert feed.find(f"{ATOM}id").text == "http://localhost/es/campaigns/feed.atom"
    assert feed.find(f"{ATOM}updated").text.endswith("Z") and feed.find(f"{ATOM}author/{ATOM}name").text
    entries = {entry.find(f"{ATOM}title").text: entry for entry in feed.findall(f"{ATOM}entry")}
    assert set(entries) == {"La naloxona salva vidas", "Family groups"}
    assert entries["Family groups"].find(f"{ATOM}title").get(XML_LANG) == "en"  # not translated: says so
    assert entries["La naloxona salva vidas"].find(f"{ATOM}title").get(XML_LANG) is None
    link = entries["La naloxona salva vidas"].find(f"{ATOM}link").get("href")
    assert re.fullmatch(r"http://localhost/es/campaigns/naloxone-saves-lives", link)
    content = entries["La naloxona salva vidas"].find(f"{ATOM}content")
    assert content.get("type") == "html" and "&lt;script&gt;" in content.text and "<script" not in content.text
    for entry in entries.values():
        assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")


def test_event_ics_parses_back_with_its_zone(campaign_world):
    world = campaign_world
    day = future_day(world, 12)
    campaign_id = make_campaign(world, events=[(day, "Free naloxone training")])
    with world.app.app_context():
        event = db.session.scalar(select(CampaignEvent))
        event.translations.append(TranslatedText(link_entity="campaign_event", link_id=event.id, field="title",
                                                 locale="es", value="Capacitación gratuita"))
        db.session.commit()
        event_id = event.id
    response = resident(world).get(f"/es/campaigns/{campaign_id}/events/{event_id}.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    item = events[0]
    assert str(item["SUMMARY"]) == "Capacitación gratuita"
    start, end = item.decoded("DTSTART"), item.decoded("DTEND")
    assert start.date() == day and (start.hour, start.minute) == (18, 0) and (end.hour, end.minute) == (19, 30)
    assert str(start.tzinfo) == "America/Los_Angeles" or getattr(start.tzinfo, "key", "") == "America/Los_Angeles"
    assert str(item["LOCATION"]) == "Central Library, Room B"
    assert str(item["UID"]) == f"{event_id}@outreach"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]


def test_ics_feed_lists_upcoming_events_of_live_campaigns_only(campaign_world):
    world = campaign_world
    make_campaign(world, title="Live", events=[(future_day(world, 5), "Soon"), (future_day(world, -5), "Past")])
    make_campaign(world, title="Later", starts_in=timedelta(days=2), events=[(future_day(world, 6), "Hidden")])
    calendar = icalendar.Calendar.from_ical(resident(world).get("/en/campaigns/events.ics").data)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Soon"]
    world.clock.advance(days=3)
    calendar = icalendar.Calendar.from_ical(resident(world).get("/en/campaigns/events.ics").data)
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Hidden", "Soon"]


# -- staff publishing -----------------------------------------------------------------------------

GOOD_FORM = {
    "title": "Naloxone saves lives", "summary": "Free kits this month.", "body": "Carry **naloxone**.",
    "starts_on": "2026-11-20", "starts_time": "09:00", "ends_on": "2027-01-31", "ends_time": "17:00",
    "time_zone": "America/Los_Angeles", "is_featured": "y",
}


def test_publisher_creates_a_campaign_residents_see_and_it_is_audited(campaign_world):
    world = campaign_world
    client = signed_in(world)
    assert client.get("/staff/campaigns/new").status_code == 200
    response = client.post("/staff/campaigns/new", data={**GOOD_FORM, "categories": [world.terms["naloxone"]]})
    assert response.status_code == 302
    with world.app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.slug == "naloxone-saves-lives" and campaign.is_featured
        assert campaign.starts_at.replace(tzinfo=None).isoformat() == "2026-11-20T17:00:00"  # 09:00 Pacific, in UTC
        assert [t.code for t in campaign.categories] == ["naloxone"]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign_created"))
        assert entry.actor_id == world.publisher.id and entry.target_id == campaign.id
        assert entry.changes["title"] == {"before": None, "after": "Naloxone saves lives"}
    assert response.location.endswith(f"/staff/campaigns/{campaign.id}")
    page = resident(world).get("/en/campaigns/naloxone-saves-lives").get_data(as_text=True)
    assert "<strong>naloxone</strong>" in page


def test_form_errors_are_summarised_and_nothing_typed_is_lost(campaign_world):
    client = signed_in(campaign_world)
    response = client.post("/staff/campaigns/new", data={
        **GOOD_FORM, "title": "", "ends_on": "2026-11-01", "time_zone": "Mars/Olympus", "starts_time": "25:99",
        "summary": "Keep this <summary> text", "categories": ["not-a-term"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in page
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    for field in ("title", "starts_time", "time_zone", "categories"):
        assert f'href="#{field}"' in summary, field
    assert "Enter a title." in page and "Enter a real time, for example 09:30." in page
    assert "Keep this &lt;summary&gt; text" in page and 'value="2026-11-01"' in page and "Carry **naloxone**." in page
    # Only the order of start and end is wrong: that gets its own message.
    response = client.post("/staff/campaigns/new", data={**GOOD_FORM, "ends_on": "2026-11-01"})
    assert "The end must be after the start." in response.get_data(as_text=True)
    with campaign_world.app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("campaign%"))) == 0


def test_editing_source_text_marks_translations_stale(campaign_world):
    world = campaign_world
    campaign_id = make_campaign(world, es={"title": "La naloxona salva vidas", "summary": "Resumen."})
    client = signed_in(world, "steward")
    translation = client.post(f"/staff/campaigns/{campaign_id}/translations/es",
                              data={"title": "La naloxona salva vidas", "summary": "Kits gratis.", "body": "Lleve naloxona."})
    assert translation.status_code == 302
    assert "Lleve naloxona." in resident(world).get(f"/es/campaigns/{campaign_id}").get_data(as_text=True)
    edit = client.get(f"/staff/campaigns/{campaign_id}").get_data(as_text=True)
    form = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', edit))
    form["summary"] = re.search(r'<textarea[^>]*name="summary"[^>]*>\s*(.*?)</textarea>', edit, re.S).group(1)
    assert form["summary"] == "About Naloxone saves lives." and form["time_zone"] == "America/Los_Angeles"
    changed = {**GOOD_FORM, "title": "Naloxone saves lives", "summary": form["summary"], "body": "New English text.",
               "starts_on": form["starts_on"], "starts_time": form["starts_time"], "ends_on": form["ends_on"],
               "ends_time": form["ends_time"], "categories": [world.terms["naloxone"]]}
    assert client.post(f"/staff/campaigns/{campaign_id}", data=changed).status_code == 302
    with world.app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        stale = {t.field: t.is_stale for t in campaign.translations if t.locale == "es"}
        assert stale == {"title": False, "summary": False, "body": True}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign_updated"))
        assert entry.changes["body"] == {"before": "Carry **naloxone**.", "after": "New English text."}
        assert entry.actor_id == world.steward.id
    spanish = resident(world).get(f"/es/campaigns/{campaign_id}").get_data(as_text=True)
    assert "New English text." in spanish and "Lleve naloxona." not in spanish and 'class="untranslated"' in spanish
    page = client.get(f"/staff/campaigns/{campaign_id}/translations/es").get_data(as_text=True)
    assert "The original changed after this was translated." in page and "Lleve naloxona." in page
    client.post(f"/staff/campaigns/{campaign_id}/translations/es",
                data={"title": "La naloxona salva vidas", "summary": "Kits gratis.", "body": "Texto nuevo."})
    spanish = resident(world).get(f"/es/campaigns/{campaign_id}").get_data(as_text=True)
    assert "Texto nuevo." in spanish and 'class="untranslated"' not in spanish


def test_translation_pages_only_for_other_site_locales(campaign_world):
    campaign_id = make_campaign(campaign_world)
    client = signed_in(campaign_world)
    assert client.get(f"/staff/campaigns/{campaign_id}/translations/es").status_code == 200
    assert client.get(f"/staff/campaigns/{campaign_id}/translations/en").status_code == 404  # the source itself
    assert client.get(f"/staff/campaigns/{campaign_id}/translations/zz").status_code == 404
    assert client.get("/staff/campaigns/00000000-0000-0000-0000-000000000000").status_code == 404


def test_events_added_with_validation_and_deleted_only_when_confirmed(campaign_world):
    world = campaign_world
    campaign_id = make_campaign(world)
    client = signed_in(world)
    bad = client.post(f"/staff/campaigns/{campaign_id}/events/new", data={
        "title": "Take-back day", "starts_on": "2027-13-40", "start_time": "14:00", "end_time": "10:00",
        "time_zone": "Nowhere/Town", "place": "", "online_url": "javascript:alert(1)"})
    page = bad.get_data(as_text=True)
    for message in ("Enter a real date", "The event must end after it starts.", "Enter a time zone such as",
                    "Enter where the event happens.", "The link must start with https://"):
        assert message in page, message
    assert 'value="Take-back day"' in page
    good = client.post(f"/staff/campaigns/{campaign_id}/events/new", data={
        "title": "Take-back day", "starts_on": future_day(world, 9).isoformat(), "start_time": "10:00",
        "end_time": "14:00", "time_zone": "America/New_York", "is_online": "y", "place": "",
        "online_url": "https://meet.example.org/x"})
    assert good.status_code == 302
    with world.app.app_context():
        event = db.session.scalar(select(CampaignEvent))
        event_id = event.id
        assert event.is_online and event.time_zone == "America/New_York"
    page = resident(world).get(f"/en/campaigns/{campaign_id}").get_data(as_text=True)
    hours = re.sub(r"\s", " ", page)  # Babel separates with narrow and thin spaces
    assert "Take-back day" in page and "10:00 AM – 2:00 PM" in hours and "Eastern Standard Time" in page
    unconfirmed = client.post(f"/staff/campaigns/{campaign_id}/events/{event_id}/delete")
    assert unconfirmed.status_code == 200 and "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert client.post(f"/staff/campaigns/{campaign_id}/events/{event_id}/delete", data={"confirm": "y"}).status_code == 302
    with world.app.app_context():
        assert db.session.scalar(select(func.count(CampaignEvent.id))) == 0
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"campaign_event_created", "campaign_event_deleted"} <= actions


def test_deleting_a_campaign_needs_confirmation_and_is_audited(campaign_world):
    world = campaign_world
    campaign_id = make_campaign(world, es={"title": "Título"}, events=[(future_day(world, 4), "Training")])
    client = signed_in(world, "steward")
    assert client.post(f"/staff/campaigns/{campaign_id}/delete").status_code == 200
    assert client.post(f"/staff/campaigns/{campaign_id}/delete", data={"confirm": "y"}).status_code == 302
    with world.app.app_context():
        assert db.session.get(Campaign, campaign_id) is None
        assert db.session.scalar(select(func.count(CampaignEvent.id))) == 0
        assert db.session.scalar(select(func.count(TranslatedText.id)).where(
            TranslatedText.link_entity.in_(("campaign", "campaign_event")))) == 0
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign_deleted"))
        assert entry.actor_id == world.steward.id and entry.target_id == campaign_id


def test_organization_members_cannot_publish(campaign_world):
    client = signed_in(campaign_world, "member")
    assert client.get("/staff/campaigns/").status_code == 403
    assert client.post("/staff/campaigns/new", data=GOOD_FORM).status_code == 403
    with campaign_world.app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_staff_list_shows_status(campaign_world):
    make_campaign(campaign_world, title="Running now")
    make_campaign(campaign_world, title="Coming later", starts_in=timedelta(days=5))
    page = signed_in(campaign_world).get("/staff/campaigns/").get_data(as_text=True)
    assert "Running now" in page and "Coming later" in page and "Live now" in page and "Scheduled" in page
