"""Without JavaScript the search form (a plain GET form) and pagination still work."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BROAD_QUERY = "support"


def test_search_form_is_a_plain_get_form(open_page, live_server):
    page = open_page(js=False)
    page.goto(live_server.path("en"))
    form = page.locator("form[role=search]")
    expect(form).to_have_attribute("method", "get")
    expect(form).to_have_attribute("action", "/en/search")
    field = form.locator("input[name=q]")
    field.fill("naloxone")
    field.press("Enter")
    expect(page).to_have_url(re.compile(r"/en/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["naloxone"]
    expect(page.locator("main .cards > .card").first).to_be_visible()
    # The query is kept in the field on the results page.
    expect(page.locator("form[role=search] input[name=q]")).to_have_value("naloxone")


def _service_links(page) -> list[str]:
    return [link.get_attribute("href") for link in page.locator("main .card__title a").all()]


def test_search_pagination_without_javascript(open_page, live_server):
    page = open_page(js=False)
    page.goto(live_server.path("en", "search"))
    page.locator("form[role=search] input[name=q]").fill(BROAD_QUERY)
    page.locator("form[role=search] > button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/en/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == [BROAD_QUERY]
    first = _service_links(page)
    page.locator("nav.pagination a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"/en/search\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == [BROAD_QUERY] and query["page"] == ["2"]
    second = _service_links(page)
    assert second, "page 2 of the search results is empty"
    assert not set(first) & set(second), (
        f"the same services are on page 1 and page 2 of the results for {BROAD_QUERY!r}: "
        f"{sorted(set(first) & set(second))}"
    )
    page.locator("nav.pagination a[rel=prev]").click()
    expect(page).to_have_url(re.compile(r"/en/search\?"))
    assert parse_qs(urlsplit(page.url).query).get("page", ["1"]) == ["1"]
    assert _service_links(page) == first


def test_category_pagination_without_javascript(open_page, live_server):
    code = live_server.paginated_category
    page = open_page(js=False)
    page.goto(live_server.path("es", f"categories/{code}"))
    pages = 1
    while page.locator("nav.pagination a[rel=next]").count():
        page.locator("nav.pagination a[rel=next]").click()
        pages += 1
        expect(page).to_have_url(re.compile(rf"/es/categories/{code}\?page={pages}$"))
        expect(page.locator("main .card").first).to_be_visible()
    assert pages >= 2
