"""A resident's journeys through the directory, with JavaScript on and off, in English and Spanish."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

JOURNEY_LOCALES = ("en", "es")


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request):
    return request.param


@pytest.mark.parametrize("locale", JOURNEY_LOCALES)
def test_search_to_service_detail(open_page, live_server, locale, js):
    page = open_page(js=js)
    page.goto(live_server.path(locale))
    expect(page.locator("html")).to_have_attribute("lang", locale)

    search = page.locator("form[role=search]")
    search.locator("input[name=q]").fill("naloxone")
    search.locator("> button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/{locale}/search\?"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["naloxone"]

    cards = page.locator("main .cards > .card")
    expect(cards.first).to_be_visible()
    # A result that shows hours (an open/closed badge) and a phone number.
    card = cards.filter(has=page.locator(".card__status .badge")).filter(
        has=page.locator(".card__phone a[href^='tel:']")
    ).first
    expect(card).to_be_visible()
    name = card.locator(".card__title a").inner_text().strip()
    card.locator(".card__title a").click()

    expect(page).to_have_url(re.compile(rf"/{locale}/services/[^/?#]+$"))
    expect(page.locator("main h1")).to_have_text(name)
    expect(page.locator("main a[href^='tel:']").first).to_be_visible()
    hours = page.locator("section[aria-labelledby=hours-heading]")
    expect(hours.locator("h2")).to_be_visible()
    expect(hours.locator(".badge").first).to_be_visible()
    table = hours.locator("table.hours")
    if table.count():
        expect(table.locator("tbody tr")).to_have_count(7)


@pytest.mark.parametrize("locale", JOURNEY_LOCALES)
def test_category_pagination_service_organization(open_page, live_server, locale, js):
    code = live_server.paginated_category
    assert code, "no category in the seed content has more than one page of services"
    page = open_page(js=js)
    page.goto(live_server.path(locale))

    page.locator(f"a.tile__link[href='/{locale}/categories/{code}']").click()
    expect(page).to_have_url(re.compile(rf"/{locale}/categories/{code}$"))
    first_page = [a.get_attribute("href") for a in page.locator("main .card__title a[href*='/services/']").all()]
    assert first_page

    page.locator("nav.pagination a[rel=next]").click()
    expect(page).to_have_url(re.compile(rf"/{locale}/categories/{code}\?page=2$"))
    expect(page.locator("nav.pagination a[rel=prev]")).to_be_visible()
    second_page = [a.get_attribute("href") for a in page.locator("main .card__title a[href*='/services/']").all()]
    assert second_page and not set(second_page) & set(first_page), "pages 1 and 2 overlap"

    service_link = page.locator("main .card__title a[href*='/services/']").first
    service_name = service_link.inner_text().strip()
    service_link.click()
    expect(page).to_have_url(re.compile(rf"/{locale}/services/[^/?#]+$"))
    expect(page.locator("main h1")).to_have_text(service_name)

    org_link = page.locator("main .listing__org a")
    org_name = org_link.inner_text().strip()
    org_link.click()
    expect(page).to_have_url(re.compile(rf"/{locale}/organizations/[^/?#]+$"))
    expect(page.locator("main h1")).to_have_text(org_name)
    # The organization page lists the service we came from.
    expect(page.locator("main .card__title a", has_text=service_name).first).to_be_visible()
