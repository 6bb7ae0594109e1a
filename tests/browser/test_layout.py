"""Right-to-left mirroring and small screens: the layout follows the locale and fits 320 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

from outreach.i18n.locales import table_codes

LOCALES = table_codes()  # all twelve
MIRRORED = {"quick exit": "a[data-quick-exit]", "language switcher": "nav.language-switcher"}


@pytest.mark.parametrize("locale, direction", [(code, "rtl" if code in ("ar", "fa") else "ltr") for code in LOCALES])
def test_html_lang_and_dir(open_page, live_server, locale, direction):
    page = open_page(js=False)
    page.goto(live_server.path(locale))
    expect(page.locator("html")).to_have_attribute("lang", locale.replace("_", "-"))
    expect(page.locator("html")).to_have_attribute("dir", direction)


def _horizontal_gaps(page, selector):
    """Distances from the element's box to the left and right edges of the viewport."""
    box = page.locator(selector).first.bounding_box()
    assert box and box["width"] > 0, f"{selector} is not rendered"
    width = page.evaluate("document.documentElement.clientWidth")
    return box["x"], width - (box["x"] + box["width"])


def _side(left_gap, right_gap):
    return "right" if right_gap < left_gap else "left"


@pytest.mark.parametrize("rtl", ["ar", "fa"])
def test_rtl_mirrors_quick_exit_and_language_switcher(open_page, live_server, rtl):
    pages = {}
    for locale in ("en", rtl):
        pages[locale] = open_page(js=True)
        pages[locale].goto(live_server.path(locale))
    for name, selector in MIRRORED.items():
        en_left, en_right = _horizontal_gaps(pages["en"], selector)
        ar_left, ar_right = _horizontal_gaps(pages[rtl], selector)
        assert abs(en_left - en_right) > 8, (
            f"the {name} spans or is centred in the page in en (gaps {en_left:.0f}/{en_right:.0f} px), "
            "so mirroring cannot be seen"
        )
        en_side, ar_side = _side(en_left, en_right), _side(ar_left, ar_right)
        assert en_side != ar_side, (
            f"the {name} is on the {en_side} in en and also on the {ar_side} in {rtl} "
            f"(en gaps {en_left:.0f}/{en_right:.0f} px, {rtl} gaps {ar_left:.0f}/{ar_right:.0f} px)"
        )
    # The language menu (a disclosure, opened here) lists its languages in reading order: left to
    # right in en, right to left in ar, row by row, and stays inside the page.
    for locale, page in pages.items():
        page.locator("nav.language-switcher summary").click()
        items = page.locator("nav.language-switcher li")
        expect(items.first).to_be_visible()
        boxes = [item.bounding_box() for item in items.all()]
        assert len(boxes) == len(LOCALES)
        width = page.evaluate("document.documentElement.clientWidth")
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= width + 0.5 for b in boxes), (locale, boxes)
        rows: dict[int, list[float]] = {}
        for box in boxes:
            rows.setdefault(round(box["y"]), []).append(box["x"])
        for xs in rows.values():
            expected = sorted(xs) if locale == "en" else sorted(xs, reverse=True)
            assert xs == expected, f"languages out of reading order in {locale}: {xs}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("page_id", ["home", "category", "service"])
def test_fits_320px_without_horizontal_scroll(open_page, live_server, page_id, locale):
    paths = {
        "home": "",
        "category": f"categories/{live_server.paginated_category}",
        "service": f"services/{live_server.hours_service}",
    }
    page = open_page(js=True, viewport={"width": 320, "height": 640})
    response = page.goto(live_server.path(locale, paths[page_id]))
    assert response is not None and response.status == 200
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > 320:
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => { const r = e.getBoundingClientRect(); return r.right > 320.5 || r.left < -0.5; })
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                          + ' ' + Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right))"""
        )
        pytest.fail(f"/{locale}/{paths[page_id]} is {scroll_width}px wide at 320px: {culprits}")
