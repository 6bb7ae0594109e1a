"""axe-core (WCAG 2.2 AA tags) on the staff pages, in English and Spanish, signed in with two factors.

Each case signs in a fresh account (its own TOTP secret, its staff pages in ``locale``), so codes are
never reused between cases. The listing and campaign pages are scanned by their own journeys.
"""
from __future__ import annotations

import re
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import format_violations, run_axe

pytestmark = pytest.mark.browser
PASSWORD = "staff scan lantern meadow"


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture(scope="module")
def organization_id(live_server) -> str:
    from sqlalchemy import select

    from outreach.directory.models import Organization
    from outreach.extensions import db

    with live_server.app.app_context():
        found = db.session.scalar(select(Organization.id).order_by(Organization.name).limit(1))
        db.session.remove()
    return found


def _account(live_server, role: str, locale: str, organization_id: str | None) -> tuple[str, str]:
    from outreach.accounts import passwords, services
    from outreach.accounts.models import User
    from outreach.extensions import db

    email = f"scan-{role}-{uuid.uuid4().hex[:8]}@example.org"
    secret = pyotp.random_base32()
    with live_server.app.app_context():
        user = User(email=email, display_name=f"Scan {role}", password_hash=passwords.hash_password(PASSWORD),
                    totp_secret=secret, is_active=True, session_epoch=1, failed_logins=0, preferred_locale=locale)
        db.session.add(user)
        db.session.commit()
        services.grant_role(user, role, organization_id if role == "org_member" else None)
        db.session.remove()
    return email, secret


def _sign_in(page, live_server, email: str, secret: str) -> None:
    page.goto(f"{live_server.url}/staff/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def _scan(axe, page, where: str) -> None:
    violations = run_axe(axe, page)
    assert not violations, f"{where}:\n{format_violations(violations)}"


PAGES = {
    "steward": ["/staff/", "/staff/account", "/staff/account/password", "/staff/invitations/new", "/staff/audit/",
                "/staff/help/routing", "/staff/insights/"],
    "outreach_publisher": ["/staff/", "/staff/insights/"],
    "org_member": ["/staff/", "/staff/organizations/{org}", "/staff/help/", "/staff/help/organizations/{org}",
                   "/staff/help/organizations/{org}/routing", "/staff/insights/"],
}


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("role", list(PAGES))
def test_staff_pages_have_no_axe_violations(open_page, live_server, axe, organization_id, role, locale):
    email, secret = _account(live_server, role, locale, organization_id)
    page = open_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server, email, secret)
    for path in PAGES[role]:
        response = page.goto(live_server.url + path.format(org=organization_id))
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", locale)
        _scan(axe, page, f"{role} {locale} {path}")


@pytest.mark.parametrize("locale", ["en", "es"])
def test_staff_error_pages_have_no_axe_violations(open_page, live_server, axe, organization_id, locale):
    """A form with errors: the error summary, the field messages and their links."""
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/staff/login")
    page.locator("input[name=email]").fill("nobody@example.org")
    page.locator("input[name=password]").fill("wrong wrong wrong")
    page.locator("main form button[type=submit]").click()
    _scan(axe, page, f"login error {locale}")

    email, secret = _account(live_server, "org_member", locale, organization_id)
    _sign_in(page, live_server, email, secret)
    page.goto(f"{live_server.url}/staff/help/organizations/{organization_id}/routing")
    page.locator("textarea[name=areas]").fill("12 Elm Street")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    _scan(axe, page, f"routing error {locale}")
