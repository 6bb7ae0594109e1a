"""Right-to-left mirroring and small screens: the layout follows the locale and fits 320 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LOCALES = ("en", "es", "ar")
MIRRORED = {"quick exit": "a[data-quick-exit]", "language switcher": "nav.language-switcher"}


@pytest.mark.parametrize("locale, direction", [("en", "ltr"), ("es", "ltr"), ("ar", "rtl")])
def test_html_lang_and_dir(open_page, live_server, locale, direction):
    page = open_page(js=False)
    page.goto(live_server.path(locale))
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", direction)


def _horizontal_gaps(page, selector):
    """Distances from the element's box to the left and right edges of the viewport."""
    box = page.locator(selector).first.bounding_box()
    assert box and box["width"] > 0, f"{selector} is not rendered"
    width = page.evaluate("document.documentElement.clientWidth")
    return box["x"], width - (box["x"] + box["width"])


def _side(left_gap, right_gap):
    return "right" if right_gap < left_gap else "left"


def test_rtl_mirrors_quick_exit_and_language_switcher(open_page, live_server):
    pages = {}
    for locale in ("en", "ar"):
        pages[locale] = open_page(js=True)
        pages[locale].goto(live_server.path(locale))
    for name, selector in MIRRORED.items():
        en_left, en_right = _horizontal_gaps(pages["en"], selector)
        ar_left, ar_right = _horizontal_gaps(pages["ar"], selector)
        assert abs(en_left - en_right) > 8, (
            f"the {name} spans or is centred in the page in en (gaps {en_left:.0f}/{en_right:.0f} px), "
            "so mirroring cannot be seen"
        )
        en_side, ar_side = _side(en_left, en_right), _side(ar_left, ar_right)
        assert en_side != ar_side, (
            f"the {name} is on the {en_side} in en and also on the {ar_side} in ar "
            f"(en gaps {en_left:.0f}/{en_right:.0f} px, ar gaps {ar_left:.0f}/{ar_right:.0f} px)"
        )
    # The language switcher lists its languages in reading order: left to right in en, right to
    # left in ar (when they sit on one line).
    for locale, page in pages.items():
        boxes = [item.bounding_box() for item in page.locator("nav.language-switcher li").all()]
        assert len(boxes) == len(LOCALES)
        if len({round(b["y"]) for b in boxes}) == 1:
            xs = [b["x"] for b in boxes]
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
