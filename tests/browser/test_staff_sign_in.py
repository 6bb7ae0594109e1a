"""The staff sign-in journey in a real browser, in English and Spanish (the browser's language: the
account has no preference yet): invitation link → choose a password → set up two-step sign-in with the
QR code → recovery codes → sign out → sign in with the password and a code. axe-clean at every step."""
from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.staff import assert_axe_clean

pytestmark = pytest.mark.browser

PASSWORD = "quiet harbor lantern thistle"


def invitation_path(live_server, email: str) -> str:
    from outreach.accounts import services
    from outreach.extensions import db

    with live_server.app.app_context():
        _invitation, token = services.create_invitation(email, [{"role": "reviewer"}], display_name="Journey")
        db.session.remove()
    return f"/staff/invitations/{token}"


@pytest.mark.parametrize("locale", ["en", "es"])
def test_invitation_to_two_step_sign_in(open_page, live_server, axe, locale):
    email = f"journey-{locale}-{uuid.uuid4().hex[:8]}@example.org"
    page = open_page(viewport={"width": 1280, "height": 900}, locale=locale)

    # -- the invitation link: choose a password, with a mistake first ---------------------------------
    page.goto(live_server.url + invitation_path(live_server, email))
    expect(page.locator("html")).to_have_attribute("lang", locale)
    assert_axe_clean(axe, page, f"set password {locale}")
    page.locator("input[name=password]").fill("password1234")
    page.locator("input[name=confirm]").fill("password1234")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_axe_clean(axe, page, f"set password error {locale}")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=confirm]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))

    # -- first sign-in: password, then the authenticator set-up with its QR code -----------------------
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login/set-up$"))
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator(".qr-code svg")).to_be_visible()
    assert_axe_clean(axe, page, f"set-up {locale}")
    secret = page.locator(".secret-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    first_code = totp.now()
    page.locator("input[name=code]").fill(first_code)
    page.locator("main form button[type=submit]").click()

    # -- recovery codes, shown once ---------------------------------------------------------------------
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_axe_clean(axe, page, f"recovery codes {locale}")
    page.locator("main a.button").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    # -- sign out (POST), then sign in again with the password and a fresh code ---------------------------
    page.locator(".staff-nav__form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login\?signed_out=1$"))
    assert_axe_clean(axe, page, f"signed out {locale}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))
    expect(page.locator("html")).to_have_attribute("lang", locale)
    assert_axe_clean(axe, page, f"code step {locale}")
    page.locator("input[name=code]").fill(first_code)  # the code already used: refused (no reuse)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_axe_clean(axe, page, f"code error {locale}")
    page.locator("input[name=code]").fill(totp.at(time.time() + 30))  # the next step (clock drift allowed)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("main h1")).to_contain_text("Journey")
    assert_axe_clean(axe, page, f"home {locale}")
