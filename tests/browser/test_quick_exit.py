"""The quick exit: first in tab order, a plain link without JavaScript, location.replace with it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from outreach.i18n.locales import table_codes

pytestmark = pytest.mark.browser

LOCALES = table_codes()  # every public page in all twelve languages


def _record_stub_requests(page, live_server):
    requests = []
    page.on("request", lambda r: requests.append(r) if live_server.stub_netloc in r.url else None)
    return requests


def _assert_no_referrer(requests):
    assert requests, "the quick exit made no request to the neutral site"
    for request in requests:
        assert "referer" not in request.headers, f"{request.url} was sent a Referer"


@pytest.mark.parametrize("js", [False, True], ids=["nojs", "js"])
@pytest.mark.parametrize("locale", LOCALES)
def test_quick_exit_is_first_in_tab_order(open_page, live_server, locale, js):
    page = open_page(js=js)
    page.goto(live_server.path(locale))
    page.keyboard.press("Tab")
    quick_exit = page.locator("a[data-quick-exit]")
    expect(quick_exit).to_be_focused()
    expect(quick_exit).to_have_attribute("href", live_server.stub_url)
    rel = (quick_exit.get_attribute("rel") or "").split()
    assert "noreferrer" in rel and "nofollow" in rel


def test_quick_exit_link_without_javascript(open_page, live_server):
    page = open_page(js=False, allow_stub=True)
    requests = _record_stub_requests(page, live_server)
    page.goto(live_server.path("en", "privacy"))
    page.locator("a[data-quick-exit]").click()
    page.wait_for_url(live_server.stub_url)
    expect(page.locator("h1")).to_have_text("Weather")
    _assert_no_referrer(requests)


def _start_history_on_neutral_site(page, live_server):
    """History: a neutral page, then our site. After a location.replace exit, Back lands on the
    neutral page; had the exit pushed a new entry, Back would return to our site."""
    page.goto(live_server.stub_url.replace("/weather", "/start"))
    page.goto(live_server.path("en"))


def _assert_back_does_not_return(page, live_server):
    page.go_back()
    page.wait_for_load_state()
    assert live_server.netloc not in page.url, f"Back returned to the site: {page.url}"


def test_triple_shift_leaves_and_back_does_not_return(open_page, live_server):
    page = open_page(js=True, allow_stub=True)
    requests = _record_stub_requests(page, live_server)
    _start_history_on_neutral_site(page, live_server)
    expect(page.locator("a[data-quick-exit]")).to_be_visible()
    page.locator("main h1").click()  # focus in the page, as a resident reading would be
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(live_server.stub_url)
    expect(page.locator("h1")).to_have_text("Weather")
    requests = [r for r in requests if r.url == live_server.stub_url]
    _assert_no_referrer(requests)
    _assert_back_does_not_return(page, live_server)


def test_quick_exit_click_with_javascript(open_page, live_server):
    page = open_page(js=True, allow_stub=True)
    requests = _record_stub_requests(page, live_server)
    _start_history_on_neutral_site(page, live_server)
    page.locator("a[data-quick-exit]").click()
    page.wait_for_url(live_server.stub_url)
    expect(page.locator("h1")).to_have_text("Weather")
    _assert_no_referrer([r for r in requests if r.url == live_server.stub_url])
    _assert_back_does_not_return(page, live_server)
