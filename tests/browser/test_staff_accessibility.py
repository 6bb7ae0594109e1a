"""axe-core (WCAG 2.2 AA tags) on the staff pages, in English and Spanish, signed in with two factors.

Each case signs in a fresh account (its own TOTP secret, its staff pages in ``locale``), so codes are
never reused between cases. The listing and campaign pages are scanned by their own journeys.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.staff import assert_axe_clean, make_account, sign_in

pytestmark = pytest.mark.browser
@pytest.fixture(scope="module")
def organization_id(live_server) -> str:
    from sqlalchemy import select

    from outreach.directory.models import Organization
    from outreach.extensions import db

    with live_server.app.app_context():
        found = db.session.scalar(select(Organization.id).order_by(Organization.name).limit(1))
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def service_id(live_server, organization_id) -> str:
    from sqlalchemy import select

    from outreach.directory.models import Service
    from outreach.extensions import db

    with live_server.app.app_context():
        found = db.session.scalar(select(Service.id).where(Service.organization_id == organization_id)
                                  .order_by(Service.name).limit(1))
        db.session.remove()
    return found


PAGES = {
    "steward": ["/staff/", "/staff/account", "/staff/account/password", "/staff/invitations/new", "/staff/audit/",
                "/staff/people", "/staff/help/routing", "/staff/insights/"],
    "outreach_publisher": ["/staff/", "/staff/insights/"],
    "org_member": ["/staff/", "/staff/organizations/{org}", "/staff/organizations/{org}/invite", "/staff/help/",
                   "/staff/help/organizations/{org}",
                   "/staff/help/organizations/{org}/routing", "/staff/insights/",
                   "/staff/listings/services/{service}/locations/new"],
}


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("role", list(PAGES))
def test_staff_pages_have_no_axe_violations(open_page, live_server, axe, organization_id, service_id, role, locale):
    email, secret = make_account(live_server, role, locale, organization_id)
    page = open_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server, email, secret)
    for path in PAGES[role]:
        response = page.goto(live_server.url + path.format(org=organization_id, service=service_id))
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", locale)
        assert_axe_clean(axe, page, f"{role} {locale} {path}")


@pytest.mark.parametrize("locale", ["en", "es"])
def test_staff_error_pages_have_no_axe_violations(open_page, live_server, axe, organization_id, locale):
    """A form with errors: the error summary, the field messages and their links. The sign-in page has
    no account yet, so its language is the browser's: the context asks for ``locale``."""
    page = open_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.goto(f"{live_server.url}/staff/login")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    page.locator("input[name=email]").fill("nobody@example.org")
    page.locator("input[name=password]").fill("wrong wrong wrong")
    page.locator("main form button[type=submit]").click()
    assert_axe_clean(axe, page, f"login error {locale}")

    email, secret = make_account(live_server, "org_member", locale, organization_id)
    sign_in(page, live_server, email, secret)
    page.goto(f"{live_server.url}/staff/help/organizations/{organization_id}/routing")
    page.locator("textarea[name=areas]").fill("12 Elm Street")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", locale)
    assert_axe_clean(axe, page, f"routing error {locale}")
