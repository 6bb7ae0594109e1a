"""Public pages: service detail, category browse with pagination, organization page — all
server-rendered, so everything a resident needs is in the HTML without JavaScript."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from outreach.directory import services as directory_services
from tests import factories
from tests.crawling import parse

pytestmark = pytest.mark.db


def text_of(html: str) -> str:
    """The page's visible text with whitespace (including narrow no-break spaces) collapsed."""
    without_tags = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.DOTALL)
    return " ".join(without_tags.replace("\u202f", " ").replace("\xa0", " ").split())


def json_ld(html: str) -> dict:
    scripts = [e.text for e in parse(html) if e.tag == "script" and e.attrs.get("type") == "application/ld+json"]
    assert len(scripts) == 1
    return json.loads(scripts[0])


@pytest.fixture
def full_service(app):
    with app.app_context():
        free = factories.term("free", taxonomy_name="attributes")
        no_id = factories.term("no-id-required", taxonomy_name="attributes")
        harm = factories.term("harm-reduction", name="Harm reduction")
        naloxone = factories.term("naloxone", name="Naloxone", parent=harm)
        org = factories.organization("Riverside Collective", website="https://example.org/riverside")
        service = factories.service(
            org,
            name="Naloxone kits and training",
            categories=[naloxone],
            flags=[free, no_id],
            schedules=[("MO,TU,WE,TH,FR", "09:00", "17:00"), ("FR,SA", "22:00", "06:00")],
            minimum_age=18,
            maximum_age=25,
            application_process="Walk in and ask for a kit at the front desk.",
            eligibility_description="Anyone who might see an overdose.",
            assured_date=date.today() - timedelta(days=10),
            url="https://example.org/riverside/naloxone",
        )
        from outreach.directory.models import Language, Phone
        service.languages.append(Language(code="es"))
        service.phones.append(Phone(number="971-555-0199", type="text", source_locale="en"))
        from outreach.extensions import db
        db.session.commit()
        return service.id


def test_service_detail_shows_what_a_resident_needs(client, full_service):
    response = client.get(f"/en/services/{full_service}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "<h1>Naloxone kits and training</h1>" in html
    assert "Riverside Collective" in text
    # Phones as tel: (and text lines as sms:) links.
    assert 'href="tel:5035550142"' in html
    assert 'href="sms:9715550199"' in html
    # The address.
    assert "100 Example St" in text and "Portland, OR 97205" in text
    # Hours: a table with every day, the overnight period spelled out.
    assert '<table class="hours">' in html
    assert "9:00 AM to 5:00 PM" in text
    assert "10:00 PM to 6:00 AM the next day" in text
    assert text.count("Closed") >= 1  # Sunday
    # Languages, cost, eligibility, how to apply, last checked.
    assert "English" in text and "Spanish" in text
    assert "Free" in text
    assert "No ID needed" in text or "No ID" in text
    assert "Ages 18 to 25" in text
    assert "Anyone who might see an overdose." in text
    assert "Walk in and ask for a kit at the front desk." in text
    checked = (date.today() - timedelta(days=10))
    assert f"Last verified on {checked:%B} {checked.day}, {checked.year}" in text
    assert "Not verified recently" not in text
    # Outbound website link keeps the visitor's trail private.
    link = next(e for e in parse(html) if e.tag == "a" and e.attrs.get("href") == "https://example.org/riverside/naloxone")
    assert {"noopener", "noreferrer"} <= set(link.attrs["rel"].split())


def test_service_detail_json_ld(client, full_service):
    data = json_ld(client.get(f"/en/services/{full_service}").get_data(as_text=True))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Service"
    assert data["name"] == "Naloxone kits and training"
    assert data["provider"]["@type"] == "Organization"
    assert data["provider"]["name"] == "Riverside Collective"
    assert data["provider"]["telephone"]
    assert data["url"].endswith(f"/en/services/{full_service}")
    assert set(data["availableLanguage"]) >= {"en", "es"}
    address = data["availableChannel"][0]["serviceLocation"]["address"]
    assert address["streetAddress"] == "100 Example St"
    assert address["postalCode"] == "97205"


def test_json_ld_is_safe_against_script_injection(app, client):
    with app.app_context():
        service_id = factories.service(name="</script><script>alert(1)</script>").id
    html = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert json_ld(html)["name"] == "</script><script>alert(1)</script>"


def test_confidential_address_says_call_for_location(app, client):
    with app.app_context():
        service_id = factories.service(name="Safe house support", confidential=True).id
    html = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert "Call for the location" in html
    assert "100 Example St" not in html
    assert "97205" not in html
    assert "availableChannel" not in json_ld(html)
    assert 'href="tel:5035550142"' in html


def test_phone_only_service_says_so(app, client):
    with app.app_context():
        service_id = factories.service(name="Warm line", with_location=False).id
    text = text_of(client.get(f"/en/services/{service_id}").get_data(as_text=True))
    assert "By phone or online only" in text


def test_no_hours_says_call_for_hours(app, client):
    with app.app_context():
        service_id = factories.service(name="Call first").id
    text = text_of(client.get(f"/en/services/{service_id}").get_data(as_text=True))
    assert "Call for hours" in text
    assert "Open now" not in text and "Closed now" not in text


def test_stale_listing_is_flagged(app, client):
    with app.app_context():
        old = factories.service(name="Old listing", assured_date=date.today() - timedelta(days=200)).id
        edge = factories.service(name="Edge listing", assured_date=date.today() - timedelta(days=180)).id
        never = factories.service(name="Never checked", assured_date=None).id
    assert "Not verified recently" in text_of(client.get(f"/en/services/{old}").get_data(as_text=True))
    assert "Not verified recently" not in text_of(client.get(f"/en/services/{edge}").get_data(as_text=True))
    never_text = text_of(client.get(f"/en/services/{never}").get_data(as_text=True))
    assert "Not verified recently" in never_text and "Last verified on" not in never_text


def test_stale_threshold_follows_config(app, client):
    app.config["STALE_AFTER_DAYS"] = 5
    with app.app_context():
        service_id = factories.service(name="Checked last week", assured_date=date.today() - timedelta(days=7)).id
    assert "Not verified recently" in text_of(client.get(f"/en/services/{service_id}").get_data(as_text=True))


@pytest.mark.parametrize(
    ("instant", "words"),
    [
        # Wednesday 2026-07-15 10:00 in Los Angeles.
        (datetime(2026, 7, 15, 17, 0, tzinfo=UTC), "Open now until 5:00 PM"),
        # Wednesday 20:00 in Los Angeles: opens Thursday morning.
        (datetime(2026, 7, 16, 3, 0, tzinfo=UTC), "Closed now opens Thursday 9:00 AM"),
        # Saturday 02:00 in Los Angeles: the Friday overnight period is still open.
        (datetime(2026, 7, 18, 9, 0, tzinfo=UTC), "Open now until 6:00 AM"),
    ],
)
def test_open_now_badge(client, full_service, monkeypatch, instant, words):
    monkeypatch.setattr(directory_services, "now", lambda: instant)
    assert words in text_of(client.get(f"/en/services/{full_service}").get_data(as_text=True))


def test_always_open_service(app, client):
    with app.app_context():
        service_id = factories.service(name="Hotline", schedules=[("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")]).id
    text = text_of(client.get(f"/en/services/{service_id}").get_data(as_text=True))
    assert "Open 24 hours a day, 7 days a week" in text
    assert "Open 24 hours" in text


def test_temporarily_closed_and_inactive_services(app, client):
    with app.app_context():
        closed = factories.service(name="Paused", status="temporarily closed",
                                   schedules=[("MO,TU,WE,TH,FR,SA,SU", "00:00", "00:00")]).id
        inactive = factories.service(name="Ended", status="inactive").id
        defunct = factories.service(name="Gone", status="defunct").id
    closed_text = text_of(client.get(f"/en/services/{closed}").get_data(as_text=True))
    assert "temporarily closed" in closed_text
    assert "Open now" not in closed_text
    assert "no longer offered" in text_of(client.get(f"/en/services/{inactive}").get_data(as_text=True))
    assert client.get(f"/en/services/{defunct}").status_code == 404


def test_spanish_detail_page(app, client, full_service):
    html = client.get(f"/es/services/{full_service}").get_data(as_text=True)
    assert '<html lang="es"' in html
    # The listing has no Spanish name yet: the English one is shown and marked as English.
    assert 'lang="en" dir="auto">Naloxone kits and training<' in html
    assert json_ld(html)["url"].endswith(f"/es/services/{full_service}")


# -- category browse -------------------------------------------------------------------------------


@pytest.fixture
def category_with_services(app):
    """A parent category with 5 services (2 through a child category), plus noise."""
    with app.app_context():
        parent = factories.term("treatment", name="Treatment")
        child = factories.term("outpatient", name="Outpatient", parent=parent)
        other = factories.term("crisis", name="Crisis")
        org = factories.organization("Clinic")
        names = ["Alpha care", "Bravo care", "Charlie care"]
        for name in names:
            factories.service(org, name=name, categories=[parent])
        factories.service(org, name="Delta outpatient", categories=[child])
        factories.service(org, name="Echo outpatient", categories=[child, parent])  # counted once
        factories.service(org, name="Hidden inactive", categories=[parent], status="inactive")
        factories.service(org, name="Crisis line", categories=[other])
    app.config["PAGE_SIZE"] = 2
    return ["Alpha care", "Bravo care", "Charlie care", "Delta outpatient", "Echo outpatient"]


def test_category_paginates(client, category_with_services):
    seen = []
    for page in (1, 2, 3):
        response = client.get(f"/en/categories/treatment?page={page}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        titles = [name for name in category_with_services if name in html]
        assert len(titles) == (2 if page < 3 else 1)
        seen += titles
        assert "5 services" in text_of(html)
        assert f"Page {page} of 3" in text_of(html)
        assert ('rel="next"' in html) == (page < 3)
        assert ('rel="prev"' in html) == (page > 1)
        assert "Hidden inactive" not in html and "Crisis line" not in html
    assert seen == category_with_services  # alphabetical, each once


def test_category_next_link_leads_to_the_next_page(client, category_with_services):
    html = client.get("/en/categories/treatment").get_data(as_text=True)
    next_link = next(e for e in parse(html) if e.tag == "a" and e.attrs.get("rel") == "next")
    assert next_link.attrs["href"] == "/en/categories/treatment?page=2"


@pytest.mark.parametrize("page", ["4", "99", "10000"])
def test_category_past_the_last_page_is_not_found(client, category_with_services, page):
    assert client.get(f"/en/categories/treatment?page={page}").status_code == 404


@pytest.mark.parametrize("page", ["0", "-3", "abc", ""])
def test_odd_page_numbers_mean_the_first_page(client, category_with_services, page):
    response = client.get(f"/en/categories/treatment?page={page}")
    assert response.status_code == 200
    assert "Page 1 of 3" in text_of(response.get_data(as_text=True))


def test_child_category_lists_only_its_services(client, category_with_services):
    html = client.get("/en/categories/outpatient").get_data(as_text=True)
    assert "Delta outpatient" in html and "Echo outpatient" in html
    assert "Alpha care" not in html
    assert "2 services" in text_of(html)
    # Breadcrumb back to the parent.
    assert 'href="/en/categories/treatment"' in html


def test_empty_category_has_one_page(app, client):
    with app.app_context():
        factories.term("family-youth", name="Family and youth")
    response = client.get("/en/categories/family-youth")
    assert response.status_code == 200
    assert "There are no services listed here yet" in text_of(response.get_data(as_text=True))
    assert client.get("/en/categories/family-youth?page=2").status_code == 404


def test_home_shows_search_and_category_tiles(client, category_with_services):
    html = client.get("/en/").get_data(as_text=True)
    assert 'role="search"' in html
    assert 'action="/en/search"' in html and 'method="get"' in html
    assert 'href="/en/categories/treatment"' in html
    assert 'href="/en/categories/crisis"' in html


# -- organization page -----------------------------------------------------------------------------


def test_organization_page_lists_its_services(app, client):
    with app.app_context():
        org = factories.organization("Harbor Recovery", website="https://example.org/harbor")
        factories.service(org, name="Harbor peer coaching")
        factories.service(org, name="Harbor housing")
        factories.service(org, name="Harbor old program", status="inactive")
        factories.service(name="Someone else's service")
        org_id = org.id
    response = client.get(f"/en/organizations/{org_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Harbor Recovery</h1>" in html
    assert "Harbor peer coaching" in html and "Harbor housing" in html
    assert "Harbor old program" not in html
    assert "Someone else" not in html
    links = [e for e in parse(html) if e.tag == "a" and "/services/" in e.attrs.get("href", "")]
    assert len({e.attrs["href"] for e in links}) == 2
    website = next(e for e in parse(html) if e.tag == "a" and e.attrs.get("href") == "https://example.org/harbor")
    assert {"noopener", "noreferrer"} <= set(website.attrs["rel"].split())


def test_service_links_back_to_its_organization(app, client):
    with app.app_context():
        service = factories.service(name="Linked")
        service_id, org_id = service.id, service.organization.id
    html = client.get(f"/en/services/{service_id}").get_data(as_text=True)
    assert f'href="/en/organizations/{org_id}"' in html


# -- works without JavaScript ---------------------------------------------------------------------------


def test_pages_are_complete_without_javascript(client, full_service, category_with_services):
    """Everything is in the server's HTML: no placeholders waiting for a script to fill them."""
    for path in (f"/en/services/{full_service}", "/en/categories/treatment", "/en/", "/en/privacy",
                 "/en/browsing-safely"):
        html = client.get(path).get_data(as_text=True)
        assert "<noscript" not in html.lower()
        scripts = [e for e in parse(html) if e.tag == "script" and e.attrs.get("type") != "application/ld+json"]
        assert all("defer" in e.attrs or "async" in e.attrs for e in scripts)
        assert text_of(html).count(" ") > 30
    detail = text_of(client.get(f"/en/services/{full_service}").get_data(as_text=True))
    assert "503-555-0142" in detail and "Monday" in detail and "Naloxone kits and training" in detail
    # The quick exit is a plain link that works without JavaScript.
    home = parse(client.get("/en/").get_data(as_text=True))
    quick_exit = next(e for e in home if e.tag == "a" and "data-quick-exit" in e.attrs)
    assert quick_exit.attrs["href"].startswith("https://")


@pytest.mark.parametrize("page", ["privacy", "browsing-safely", "about", "for-organizations"])
@pytest.mark.parametrize("locale", ["en", "es", "ar"])
def test_site_pages_render(client, page, locale):
    response = client.get(f"/{locale}/{page}")
    assert response.status_code == 200
    assert len(text_of(response.get_data(as_text=True))) > 400
