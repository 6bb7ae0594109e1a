"""axe-core (WCAG 2.0/2.1/2.2 A and AA) on every public page in every locale, and a canary."""
from __future__ import annotations

import pytest

from outreach.i18n.locales import table_codes

pytestmark = pytest.mark.browser

LOCALES = table_codes()  # every public page in all twelve languages
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
NO_RESULTS_QUERY = "zzqxjvwk"

# page id → (path under the locale, with {placeholders} from the live server; expected HTTP status)
PAGES = {
    "home": ("", 200),
    "privacy": ("privacy", 200),
    "browsing-safely": ("browsing-safely", 200),
    "about": ("about", 200),
    "for-organizations": ("for-organizations", 200),
    "category": ("categories/{paginated_category}", 200),
    "category-page-2": ("categories/{paginated_category}?page=2", 200),
    "search-results": ("search?q=naloxone", 200),
    "search-no-results": (f"search?q={NO_RESULTS_QUERY}", 200),
    "service-with-hours": ("services/{hours_service}", 200),
    "service-phone-only": ("services/{phone_only_service}", 200),
    "service-report-problem": ("services/{hours_service}/report", 200),
    "organization": ("organizations/{organization}", 200),
    "not-found": ("no-such-page", 404),
    "help-start": ("help/", 200),
    "help-ask": ("help/ask", 200),
    "help-check": ("help/check", 200),
    # Awareness campaigns (content/campaigns/): the list, one with an image, events and three languages,
    # one in English only (other locales show it marked as not yet translated).
    "campaigns": ("campaigns/", 200),
    "campaign-with-events": ("campaigns/naloxone-saves-lives", 200),
    "campaign-untranslated": ("campaigns/families-together", 200),
}
SEED_FIELDS = ("paginated_category", "hours_service", "phone_only_service", "organization")


def format_violations(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}\n      {node['html'][:200]}\n      {summary}")
    return "\n".join(lines)


def run_axe(axe, page):
    return axe.run(page, options=AXE_OPTIONS).response["violations"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("page_id", list(PAGES))
def test_page_has_no_axe_violations(open_page, live_server, axe, page_id, locale):
    template, status = PAGES[page_id]
    for name in SEED_FIELDS:
        if "{" + name + "}" in template:
            assert getattr(live_server, name), f"the seed content has no {name.replace('_', ' ')}"
    path = template.format(**{name: getattr(live_server, name) for name in SEED_FIELDS})
    page = open_page(js=True)
    response = page.goto(live_server.path(locale, path))
    assert response is not None and response.status == status
    assert page.locator("html").get_attribute("lang") == locale.replace("_", "-")
    violations = run_axe(axe, page)
    assert not violations, f"{len(violations)} axe violation(s) on /{locale}/{path}:\n" + format_violations(violations)


BROKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main>
  <h1>Broken page</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40">
  <input type="text" name="unlabelled">
  <p style="color:#dddddd;background:#ffffff">This text is far too faint to read.</p>
</main></body></html>
"""


def test_canary_broken_page_is_caught(open_page, axe):
    page = open_page(js=True)
    page.set_content(BROKEN_PAGE)
    violations = run_axe(axe, page)
    found = {v["id"] for v in violations}
    assert {"image-alt", "label", "color-contrast"} <= found, format_violations(violations)
