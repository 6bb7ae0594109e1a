"""The listing journey in a real browser: an organization member edits a listing → a reviewer sees the
diff and approves it → a resident sees the change. Every page on the way is axe-clean, with the staff
pages in English and in Spanish (the staff members' own language) and the resident page in the same.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.staff import assert_axe_clean, make_account, sign_in

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("locale", ["en", "es"])
def test_member_edits_reviewer_approves_resident_sees(open_page, live_server, axe, locale):
    service_id, organization_id = live_server.hours_service, live_server.organization
    assert service_id and organization_id, "the seed content has no service with hours"
    marker = f"Bring a photo ID {uuid.uuid4().hex[:8]}"
    member = open_page(js=True, viewport={"width": 1280, "height": 900})
    reviewer = open_page(js=True, viewport={"width": 1280, "height": 900})

    # -- the member edits, with a mistake first ----------------------------------------------------------
    sign_in(member, live_server, *make_account(live_server, "org_member", locale, organization_id))
    expect(member.locator("html")).to_have_attribute("lang", locale)
    member.locator("main a[href='/staff/listings/']").first.click()
    member.locator(f"main a[href='/staff/listings/organizations/{organization_id}']").first.click()
    assert_axe_clean(axe, member)
    member.locator(f"main a[href='/staff/listings/services/{service_id}/edit']").click()
    assert_axe_clean(axe, member)
    member.locator("textarea[name=application_process]").fill(marker)
    member.locator("input[name=url]").fill("not a web address")
    member.locator("main form button[type=submit]").click()
    summary = member.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(member).to_have_title(re.compile(r"^Error:" if locale == "en" else r":"))
    expect(member.locator("textarea[name=application_process]")).to_have_value(marker)  # nothing typed is lost
    assert_axe_clean(axe, member)
    summary.locator("a[href='#url']").click()
    member.locator("input[name=url]").fill("")
    member.locator("main form button[type=submit]").click()
    expect(member).to_have_url(re.compile(r"/staff/listings/changes/\d+$"))
    change_path = re.search(r"/staff/listings/changes/\d+$", member.url).group(0)
    expect(member.locator("main")).to_contain_text(marker)
    assert_axe_clean(axe, member)

    # -- the reviewer sees the diff and approves -----------------------------------------------------------
    sign_in(reviewer, live_server, *make_account(live_server, "reviewer", locale))
    reviewer.goto(f"{live_server.url}/staff/listings/review")
    assert_axe_clean(axe, reviewer)
    reviewer.locator(f"main a[href='{change_path}']").click()
    expect(reviewer.locator("main table ins")).to_contain_text(marker)
    assert_axe_clean(axe, reviewer)
    reviewer.locator("main form[action$='/approve'] button[type=submit]").click()
    expect(reviewer).to_have_url(re.compile(r"/staff/listings/review$"))
    expect(reviewer.locator(f"main a[href='{change_path}']")).to_have_count(0)

    # -- the resident sees it --------------------------------------------------------------------------
    resident = open_page(js=True)
    resident.goto(live_server.path(locale, f"services/{service_id}"))
    expect(resident.locator("main")).to_contain_text(marker)
    expect(resident.locator(f"main a[href='/{locale}/services/{service_id}/report']")).to_be_visible()
    assert_axe_clean(axe, resident)
