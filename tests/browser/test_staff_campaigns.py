"""The campaign journey in a real browser: an outreach publisher creates a campaign (with a mistake
first), adds an image and an event → a resident sees it, on the campaign page and on its category's
page. Every page on the way is axe-clean, in English and in Spanish (the publisher's own language).
"""
from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.staff import assert_axe_clean, make_account, sign_in

pytestmark = pytest.mark.browser
ZONE = "America/Los_Angeles"

@pytest.mark.parametrize("locale", ["en", "es"])
def test_publisher_creates_campaign_resident_sees_it(open_page, live_server, axe, tmp_path, locale):
    marker = uuid.uuid4().hex[:8]
    title = f"Naloxone in the park {marker}"
    today = datetime.now(ZoneInfo(ZONE)).date()
    image_path = tmp_path / "kit.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (0, 94, 162)).save(buffer, format="PNG")
    image_path.write_bytes(buffer.getvalue())

    publisher = open_page(js=True, viewport={"width": 1280, "height": 900})
    sign_in(publisher, live_server, *make_account(live_server, "outreach_publisher", locale))
    expect(publisher.locator("html")).to_have_attribute("lang", locale)
    publisher.locator("a[href='/staff/campaigns/']").first.click()
    expect(publisher).to_have_url(re.compile(r"/staff/campaigns/$"))
    assert_axe_clean(axe, publisher)
    publisher.locator("main a[href='/staff/campaigns/new']").click()
    assert_axe_clean(axe, publisher)

    # -- a mistake first: no title, and the end before the start ----------------------------------------
    publisher.locator("textarea[name=summary]").fill("Free naloxone kits and a short training, no questions asked.")
    publisher.locator("textarea[name=body]").fill("## What to bring\n\nNothing. **Everyone** is welcome.")
    publisher.locator("input[name=starts_on]").fill((today - timedelta(days=1)).isoformat())
    publisher.locator("input[name=starts_time]").fill("09:00")
    publisher.locator("input[name=ends_on]").fill((today - timedelta(days=2)).isoformat())
    publisher.locator("input[name=ends_time]").fill("17:00")
    publisher.locator("input[name=time_zone]").fill(ZONE)
    publisher.locator("input[name=categories]").nth(0).check()  # the first category
    harm_reduction = publisher.locator("input[name=categories]").nth(0).get_attribute("value")
    publisher.locator("main form button[type=submit]").first.click()
    summary = publisher.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(publisher).to_have_title(re.compile(r"^(Error|Error):"))  # the page title says so
    assert summary.locator("a[href='#title']").count() == 1 and summary.locator("a[href='#ends_on']").count() == 1
    # Nothing typed was lost.
    expect(publisher.locator("textarea[name=summary]")).to_have_value(
        "Free naloxone kits and a short training, no questions asked.")
    expect(publisher.locator("input[name=categories]").nth(0)).to_be_checked()
    assert_axe_clean(axe, publisher)

    publisher.locator("input[name=title]").fill(title)
    publisher.locator("input[name=ends_on]").fill((today + timedelta(days=20)).isoformat())
    publisher.locator("main form button[type=submit]").first.click()
    expect(publisher).to_have_url(re.compile(r"/staff/campaigns/[0-9a-f-]{36}\?saved=1$|/staff/campaigns/[0-9a-f-]{36}$"))
    campaign_url = publisher.url.split("?")[0]
    assert_axe_clean(axe, publisher)

    # -- the image -------------------------------------------------------------------------------------
    publisher.locator("main a[href$='/image']").first.click()
    assert_axe_clean(axe, publisher)
    publisher.locator("input[name=image]").set_input_files(str(image_path))
    publisher.locator("input[name=image_alt]").fill("A volunteer holds up a naloxone kit.")
    publisher.locator("main form button[type=submit]").first.click()
    expect(publisher).to_have_url(re.compile(r"\?saved=1$"))
    expect(publisher.locator("main img.campaign__image")).to_be_visible()

    # -- an event --------------------------------------------------------------------------------------
    publisher.locator("main a[href$='/events/new']").click()
    assert_axe_clean(axe, publisher)
    publisher.locator("input[name=title]").fill(f"Training {marker}")
    publisher.locator("input[name=starts_on]").fill((today + timedelta(days=7)).isoformat())
    publisher.locator("input[name=start_time]").fill("18:00")
    publisher.locator("input[name=end_time]").fill("19:30")
    publisher.locator("input[name=place]").fill("Central Library, Room B")
    publisher.locator("main form button[type=submit]").first.click()
    expect(publisher).to_have_url(re.compile(r"\?saved=1$"))
    assert publisher.url.split("?")[0] == campaign_url
    expect(publisher.locator("main")).to_contain_text(f"Training {marker}")

    # -- a resident sees it (axe needs JavaScript; the page itself needs none, see the end) ------------------
    resident = open_page(js=True)
    resident.goto(live_server.path(locale, "campaigns/"))
    assert_axe_clean(axe, resident)
    resident.locator(f"main a:has-text('{title}')").first.click()
    expect(resident.locator("h1")).to_contain_text(title)
    expect(resident.locator("main strong").filter(has_text="Everyone")).to_be_visible()
    expect(resident.locator("main .event")).to_contain_text(f"Training {marker}")
    image = resident.locator("main img.campaign__image")
    expect(image).to_have_attribute("alt", "A volunteer holds up a naloxone kit.")
    assert resident.evaluate("document.querySelector('main img.campaign__image').naturalWidth") == 320
    expect(resident.locator("[data-quick-exit]")).to_be_visible()
    assert_axe_clean(axe, resident)
    calendar = resident.locator("main a.event__ics").first.get_attribute("href")
    assert calendar.endswith(".ics")
    campaign_page = resident.url
    plain = open_page(js=False)
    plain.goto(campaign_page)
    expect(plain.locator("h1")).to_contain_text(title)
    expect(plain.locator("main .event")).to_contain_text(f"Training {marker}")

    from outreach.directory.models import TaxonomyTerm
    from outreach.extensions import db

    with live_server.app.app_context():
        code = db.session.get(TaxonomyTerm, harm_reduction).code
        db.session.remove()
    resident.goto(live_server.path(locale, f"categories/{code}"))
    expect(resident.locator(".campaign-promo")).to_contain_text(title)
    assert_axe_clean(axe, resident)
