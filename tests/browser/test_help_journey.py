"""The anonymous help request, end to end in a real browser (issue 6, "Tests that prove the promise").

A resident asks for help and gets a receipt → an organization member signs in with password and
two-factor code, unlocks the request with their password, reads it and replies → the resident checks
with the receipt, reads the reply, answers and deletes the request → the receipt then gets the same
generic answer as a receipt that never existed.

With JavaScript on and off, in English, Spanish and Arabic. Along the way: the receipt is never in a
URL the browser requested or showed, nor in a page title, and every help response is ``no-store``.

The partner organizations come from the app's own commands, run against the live server's database:
``flask outreach accounts demo`` then ``flask outreach help demo``. Each journey signs in as a member
of its own (given access by the demo members through ``keys.grant_access``), because a TOTP code is
accepted once per 30-second step and a member's codes must move forward: one member per journey
keeps the journeys fast and independent of the clock.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESIDENT_MESSAGE = {
    "en": "I want to stop using and need a ride to detox.",
    "es": "Quiero dejar de consumir y necesito transporte a desintoxicación.",
    "ar": "أريد التوقف عن التعاطي وأحتاج إلى توصيلة إلى مركز إزالة السموم.",
}
# Every locale with JavaScript on and off (about 8 s a journey).
JOURNEYS = [pytest.param(locale, javascript, id=f"{locale}-{'js' if javascript else 'nojs'}")
            for locale in ("en", "es", "ar") for javascript in (True, False)]
MEMBER_PASSWORD = "journey lantern copper meadow"


@dataclass
class DemoPartners:
    organization_ids: list[str]  # the organizations that hold keys (the demo members')
    members: list[int]  # the demo members' user ids


@pytest.fixture(scope="session")
def demo_partners(live_server) -> DemoPartners:
    """Demo staff, partner keys and routing rules, made by the app's own commands in the live
    server's database (the same app object the live server serves: no second server)."""
    from sqlalchemy import select

    from outreach.accounts.models import User
    from outreach.extensions import db
    from outreach.help.models import OrganizationKey

    runner = live_server.app.test_cli_runner()
    result = runner.invoke(args=["outreach", "accounts", "demo", "--yes-create-demo-accounts"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["outreach", "help", "demo", "--yes-create-demo-keys"])
    assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        organization_ids = sorted(db.session.scalars(select(OrganizationKey.organization_id)))
        members = [u.id for u in db.session.scalars(select(User).where(User.is_demo.is_(True)))
                   if u.organization_ids & set(organization_ids)]
        db.session.remove()
    assert organization_ids and members, result.output
    return DemoPartners(organization_ids, members)


@dataclass
class Member:
    email: str
    password: str
    totp_secret: str


@pytest.fixture
def member(live_server, demo_partners) -> Member:
    """A fresh member of every organization that receives requests, given access by the demo
    members (the organization keys re-wrapped for them, as the app does for a new member)."""
    from outreach.accounts import passwords, services
    from outreach.accounts.cli import DEMO_PASSWORD
    from outreach.accounts.models import User
    from outreach.extensions import db
    from outreach.help import keys

    email = f"journey-{uuid.uuid4().hex[:10]}@example.org"
    secret = pyotp.random_base32()
    with live_server.app.app_context():
        user = User(email=email, display_name="Journey member", password_hash=passwords.hash_password(MEMBER_PASSWORD),
                    totp_secret=secret, is_active=True, session_epoch=1, failed_logins=0)
        db.session.add(user)
        db.session.commit()
        for organization_id in demo_partners.organization_ids:
            services.grant_role(user, "org_member", organization_id)
        keys.ensure_member_key(user, MEMBER_PASSWORD)
        db.session.commit()
        for organization_id in demo_partners.organization_ids:
            granter = next(u for u in (db.session.get(User, i) for i in demo_partners.members)
                           if organization_id in u.organization_ids)
            keys.grant_access(granter, organization_id, DEMO_PASSWORD, user.id)
        db.session.remove()
    return Member(email, MEMBER_PASSWORD, secret)


@pytest.fixture
def fresh_limits(live_server):
    """Every journey starts with the live server's (in-memory) rate limits empty: six journeys from
    one loopback address would otherwise use up the hourly submission limit."""
    live_server.app.extensions["outreach.limiter"].reset()
    yield
    live_server.app.extensions["outreach.limiter"].reset()


@dataclass
class Watch:
    """What one browser context showed and requested."""

    netloc: str
    urls: list[str] = field(default_factory=list)  # every request and every address shown
    titles: list[str] = field(default_factory=list)
    help_responses: list[tuple[str, str]] = field(default_factory=list)  # (url, cache-control)

    def attach(self, page) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("framenavigated", lambda frame: self.urls.append(frame.url))
        page.on("response", self._response)
        page.on("load", lambda: self._title(page))

    def _title(self, page) -> None:
        try:
            self.titles.append(page.title())
        except Exception:  # noqa: BLE001 (the page moved on; the next load records it)
            pass

    def _response(self, response) -> None:
        parts = urlsplit(response.url)
        if parts.netloc == self.netloc and "/help" in parts.path and not parts.path.startswith("/static/"):
            self.help_responses.append((response.url, response.headers.get("cache-control", "")))

    def check_title(self, page) -> None:
        self.titles.append(page.title())


def _forms_of_receipt(receipt: str) -> list[str]:
    bare = receipt.replace("-", "")
    return [receipt, bare, receipt.lower(), bare.lower()]


def _error_summary(page) -> str:
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    return " ".join(summary.inner_text().split())


def _check_with(page, live_server, locale: str, receipt: str) -> None:
    page.goto(live_server.path(locale, "help/check"))
    page.locator("input[name=receipt]").fill(receipt)
    page.locator("main form[action$='/help/check'] button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("locale", "js"), JOURNEYS)
def test_help_journey(open_page, live_server, demo_partners, member, fresh_limits, locale, js):
    marker = uuid.uuid4().hex[:12]
    message = f"{RESIDENT_MESSAGE[locale]} [{marker}]"
    reply = f"We can drive you on Tuesday. Reply {marker}"
    answer = f"Tuesday works, thank you. {marker}"

    resident = open_page(js=js, viewport={"width": 1024, "height": 768})
    staff = open_page(js=js, viewport={"width": 1280, "height": 900})
    resident_watch, staff_watch = Watch(live_server.netloc), Watch(live_server.netloc)
    resident_watch.attach(resident)
    staff_watch.attach(staff)

    # What an unknown receipt is told, for comparison at the end.
    _check_with(resident, live_server, locale, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZ")
    unknown_answer = _error_summary(resident)

    # -- the resident asks ---------------------------------------------------------------------------
    resident.goto(live_server.path(locale, "help/"))
    expect(resident.locator("html")).to_have_attribute("lang", locale)
    if locale == "ar":
        expect(resident.locator("html")).to_have_attribute("dir", "rtl")
    resident.locator(f"main a[href='/{locale}/help/ask']").first.click()
    expect(resident).to_have_url(re.compile(rf"/{locale}/help/ask$"))
    boxes = resident.locator("input[type=checkbox][name=categories]")
    assert boxes.count() >= 2
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(resident.locator(f"input[type=radio][name=language][value={locale}]")).to_be_checked()
    expect(resident.locator("input[type=radio][name=contact_method][value=receipt]")).to_be_checked()
    resident.locator("textarea[name=message]").fill(message)
    resident.locator("main form[action$='/help/ask'] button[type=submit]").click()

    receipt_box = resident.locator("[data-receipt]")
    expect(receipt_box).to_be_visible()
    receipt = receipt_box.inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{1,4})+", receipt), receipt
    assert len(receipt.replace("-", "")) * 5 >= 128  # base32: 5 bits a character
    copy_button = expect(resident.locator("[data-copy-receipt]"))
    if js:
        copy_button.to_be_visible()
    else:
        copy_button.to_be_hidden()
    resident_watch.check_title(resident)

    # -- an organization member signs in with two factors and reads it -------------------------------
    staff.goto(f"{live_server.url}/staff/login")
    staff.locator("input[name=email]").fill(member.email)
    staff.locator("input[name=password]").fill(member.password)
    staff.locator("main form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/staff/login/code$"))
    staff.locator("input[name=code]").fill(pyotp.TOTP(member.totp_secret).now())
    staff.locator("main form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/staff/$"))

    staff.locator("a[href='/staff/help/']").first.click()
    expect(staff).to_have_url(re.compile(r"/staff/help/$"))
    links = staff.locator("main table a[href^='/staff/help/requests/']")
    expect(links.first).to_be_visible()
    addresses = [links.nth(i).get_attribute("href") for i in range(links.count())]
    found = False
    for address in addresses:  # normally just ours; leftovers of a failed run are skipped
        staff.goto(f"{live_server.url}{address}")
        unlock = staff.locator("main form[action$='/read']")
        expect(unlock).to_be_visible()
        expect(staff.locator("main")).not_to_contain_text(marker)  # nothing readable before unlocking
        unlock.locator("input[name=password]").fill(member.password)
        unlock.locator("button[type=submit]").click()
        expect(staff.locator("main form[action$='/read']")).to_have_count(0)
        if marker in staff.locator("main").inner_text():
            found = True
            break
    assert found, "the request never reached the member's inbox"
    main = staff.locator("main")
    expect(main).to_contain_text(message)
    for code in chosen:
        expect(main).to_contain_text(code)
    assert receipt not in main.inner_text()
    request_path = urlsplit(staff.url).path
    # Reload the request page (a GET): the content is shown only in the unlock response.
    staff.goto(f"{live_server.url}{request_path.removesuffix('/read')}")
    expect(staff.locator("main")).not_to_contain_text(marker)

    staff.locator("main form[action$='/reply'] textarea[name=text]").fill(reply)
    staff.locator("main form[action$='/reply'] button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/staff/help/requests/[^/]+$"))
    staff_watch.check_title(staff)

    # -- the resident checks back, reads the reply, answers ------------------------------------------
    resident.locator(f"main a[href='/{locale}/help/check']").click()
    expect(resident).to_have_url(re.compile(rf"/{locale}/help/check$"))
    resident.locator("input[name=receipt]").fill(receipt)
    resident.locator("main form[action$='/help/check'] button[type=submit]").click()
    thread = resident.locator("main ol.thread")
    expect(thread.locator(".thread__item").first).to_contain_text(message)
    expect(thread.locator(".thread__item--theirs")).to_contain_text(reply)
    resident_watch.check_title(resident)

    resident.locator("main form[action$='/help/check/answer'] textarea[name=text]").fill(answer)
    resident.locator("main form[action$='/help/check/answer'] button[type=submit]").click()
    expect(resident.locator("main form[action$='/help/leave']")).to_be_visible()
    expect(resident.locator(f"main a[href='/{locale}/help/check']")).to_be_visible()

    # The organization sees the answer (unlocking again).
    staff.reload()
    unlock = staff.locator("main form[action$='/read']")
    unlock.locator("input[name=password]").fill(member.password)
    unlock.locator("button[type=submit]").click()
    expect(staff.locator("main ol.thread")).to_contain_text(answer)

    # -- the resident checks again and deletes -------------------------------------------------------
    resident.locator(f"main a[href='/{locale}/help/check']").click()
    resident.locator("input[name=receipt]").fill(receipt)
    resident.locator("main form[action$='/help/check'] button[type=submit]").click()
    thread = resident.locator("main ol.thread")
    expect(thread).to_contain_text(reply)
    expect(thread).to_contain_text(answer)
    resident.locator("main form[action$='/help/check/delete'] button[type=submit]").click()
    expect(resident.locator("main form[action$='/help/check/delete']")).to_have_count(0)
    expect(resident.locator("main form[action$='/help/leave']")).to_be_visible()
    resident_watch.check_title(resident)

    # The receipt now gets exactly what an unknown one gets.
    _check_with(resident, live_server, locale, receipt)
    assert _error_summary(resident) == unknown_answer
    expect(resident.locator("main ol.thread")).to_have_count(0)
    assert marker not in resident.locator("main").inner_text()
    resident_watch.check_title(resident)

    # ...and the organization's copy is gone too.
    staff.goto(f"{live_server.url}{request_path.removesuffix('/read')}")
    expect(staff.locator("main h1")).not_to_contain_text(marker)
    assert not any(marker in t for t in staff_watch.titles)
    staff_response = staff.request.get(f"{live_server.url}{request_path.removesuffix('/read')}")
    assert staff_response.status == 404

    # -- what must never happen ----------------------------------------------------------------------
    for watch in (resident_watch, staff_watch):
        for url in watch.urls:
            for form in _forms_of_receipt(receipt):
                assert form not in unquote(url), f"the receipt appeared in a URL: {url}"
        for title in watch.titles:
            for form in _forms_of_receipt(receipt):
                assert form not in title, f"the receipt appeared in a title: {title!r}"
        assert watch.help_responses
        wrong = [(url, value) for url, value in watch.help_responses if "no-store" not in value.lower()]
        assert not wrong, f"help responses without Cache-Control: no-store: {wrong}"
    assert any(f"/{locale}/help/check" in url for url, _ in resident_watch.help_responses)
    assert any("/staff/help/" in url for url, _ in staff_watch.help_responses)
