"""Staff helpers for the browser tests: a fresh account (own TOTP secret, so codes are never reused),
two-step sign-in through the real pages, and an axe scan that fails with the violations listed."""
from __future__ import annotations

import re
import uuid

import pyotp
from playwright.sync_api import expect

from tests.browser.test_accessibility import format_violations, run_axe

PASSWORD = "staff browser lantern meadow"


def make_account(live_server, role: str, locale: str, organization_id: str | None = None) -> tuple[str, str]:
    """(email, TOTP secret) of a new account holding ``role``, its staff pages in ``locale``."""
    from outreach.accounts import passwords, services
    from outreach.accounts.models import User
    from outreach.extensions import db

    email = f"browser-{role}-{uuid.uuid4().hex[:8]}@example.org"
    secret = pyotp.random_base32()
    with live_server.app.app_context():
        user = User(email=email, display_name=f"Browser {role}", password_hash=passwords.hash_password(PASSWORD),
                    totp_secret=secret, is_active=True, session_epoch=1, failed_logins=0, preferred_locale=locale)
        db.session.add(user)
        db.session.commit()
        services.grant_role(user, role, organization_id if role == "org_member" else None)
        db.session.remove()
    return email, secret


def sign_in(page, live_server, email: str, secret: str) -> None:
    page.goto(f"{live_server.url}/staff/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def assert_axe_clean(axe, page, where: str = "") -> None:
    violations = run_axe(axe, page)
    assert not violations, f"{len(violations)} axe violation(s) on {where or page.url}:\n" + format_violations(violations)
