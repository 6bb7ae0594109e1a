"""Listing text in the locales of ``translations/locales.yaml``: the content loader refuses any other
locale code (text stored under "zh" would never be shown: pages ask for "zh_Hans"), and the key demo
services read fully in Vietnamese, Simplified Chinese and Arabic."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from outreach.directory.models import id_for_slug
from tests.test_content_load import ALPHA, counts, line_of, load, write_content

CONTENT = Path(__file__).resolve().parent.parent / "content"
UNTRANSLATED = "Not yet translated into your language."
KEY_LOCALES = ("vi", "zh_Hans", "ar")

# The services a resident is most likely to need (issue 4: naloxone, syringe services, crisis, detox,
# support groups, family support), each written in Vietnamese, Simplified Chinese and Arabic.
KEY_SERVICES = {
    "riverside-harm-reduction": ["riverside-harm-reduction-syringe-services", "riverside-harm-reduction-test-strips",
                                 "riverside-harm-reduction-outreach-van", "riverside-harm-reduction-stay-connected"],
    "willamette-demo-county-health": ["willamette-demo-county-health-naloxone", "willamette-demo-county-health-syringe-services",
                                      "willamette-demo-county-health-vending", "willamette-demo-county-health-naloxone-by-mail"],
    "willamette-demo-county-crisis-services": ["willamette-demo-county-crisis-services-crisis-line",
                                               "willamette-demo-county-crisis-services-mobile-crisis",
                                               "willamette-demo-county-crisis-services-stabilization-center"],
    "cedar-path-harm-reduction": ["cedar-path-harm-reduction-dropin"],
    "lantern-hill-community-church": ["lantern-hill-community-church-naloxone-cabinet"],
    "lotus-bridge-vietnamese-community": ["lotus-bridge-vietnamese-community-naloxone"],
    "cascade-ridge-treatment": ["cascade-ridge-treatment-withdrawal"],
    "fernhollow-community-hospital": ["fernhollow-community-hospital-bridge-clinic"],
    "bridgeway-recovery-clinic": ["bridgeway-recovery-clinic-buprenorphine"],
    "clear-harbor-opioid-treatment": ["clear-harbor-opioid-treatment-methadone"],
    "northbank-recovery-community-center": ["northbank-recovery-community-center-all-recovery-meetings"],
    "open-door-peer-network": ["open-door-peer-network-language-groups"],
    "family-lantern-network": ["family-lantern-network-parent-groups"],
}
# Every text field of a service that its page shows a resident, besides name and description.
SERVICE_TEXT = ("application_process", "fees_description", "eligibility_description", "interpretation_services",
                "wait_time", "alert")


def _organization(slug: str) -> dict:
    return yaml.safe_load((CONTENT / "organizations" / "demo" / f"{slug}.yaml").read_text(encoding="utf-8"))


def _service(org: dict, slug: str) -> dict:
    return next(service for service in org["services"] if service["id"] == slug)


def _key_services():
    for org_slug, services in KEY_SERVICES.items():
        for slug in services:
            yield org_slug, slug


def _shown(text: str) -> str:
    return str(escape(text))


# -- the loader -------------------------------------------------------------------------------------


@pytest.mark.db
def test_a_locale_code_outside_the_table_is_refused_with_file_and_line(app, runner, tmp_path):
    broken = ALPHA.replace("  es: Colectivo Alfa\n", "  es: Colectivo Alfa\n  zh: 阿尔法互助社\n")
    root = write_content(tmp_path / "content", alpha=broken)
    empty = counts(app)
    result = load(runner, root)
    assert result.exit_code == 1
    assert f"organizations/alpha.yaml:{line_of(broken, 'zh: 阿尔法互助社')}:" in result.output, result.output
    assert "'zh'" in result.output and "translations/locales.yaml" in result.output
    assert "zh_Hans" in result.output  # the likely intended code is suggested
    assert "Traceback" not in result.output
    assert counts(app) == empty


@pytest.mark.db
@pytest.mark.parametrize("code", ["pt", "en_US", "zh_hans"])
def test_other_unknown_locale_codes_are_refused(app, runner, tmp_path, code):
    broken = ALPHA.replace("      es: Kits de naloxona Alfa\n", f"      es: Kits de naloxona Alfa\n      {code}: Kits\n")
    root = write_content(tmp_path / "content", alpha=broken)
    result = load(runner, root)
    assert result.exit_code == 1
    assert f"organizations/alpha.yaml:{line_of(broken, f'{code}: Kits')}:" in result.output, result.output
    assert repr(code) in result.output
    assert counts(app)["service"] == 0


def test_campaign_text_in_an_unknown_locale_is_refused(tmp_path):
    from outreach.campaigns.content import parse_campaign
    from outreach.directory.seed import ContentError
    from outreach.directory.seed.files import read_yaml

    path = tmp_path / "campaign.yaml"
    path.write_text("id: test-campaign\ntitle:\n  en: Test\n  zh: 测试\nsummary: A test\nstarts: 0\nends: 10\n"
                    "time_zone: America/Los_Angeles\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        parse_campaign(read_yaml(path, tmp_path), tmp_path, {"naloxone"}, {})
    assert "campaign.yaml:4:" in str(caught.value) and "'zh'" in str(caught.value)


@pytest.mark.db
def test_simplified_chinese_text_is_stored_and_shown_as_zh_hans(app, runner, tmp_path):
    text = ALPHA.replace("      es: Kits de naloxona Alfa\n", "      es: Kits de naloxona Alfa\n      zh_Hans: 阿尔法纳洛酮包\n")
    assert load(runner, write_content(tmp_path / "content", alpha=text)).exit_code == 0
    page = app.test_client().get(f"/zh_Hans/services/{id_for_slug('service', 'alpha-naloxone')}").get_data(as_text=True)
    assert "<h1>阿尔法纳洛酮包</h1>" in page


def test_every_locale_key_in_content_is_in_the_locale_table():
    from outreach.directory.seed import read_content

    read_content(CONTENT)  # raises ContentError naming file and line otherwise
    for path in sorted((CONTENT / "campaigns").glob("*.yaml")):
        assert "\n  zh:" not in path.read_text(encoding="utf-8")


# -- the key demo services in Vietnamese, Simplified Chinese and Arabic ------------------------------


def test_there_are_twenty_key_services_across_the_needs_residents_have():
    categories = set()
    for org_slug, slug in _key_services():
        categories.update(_service(_organization(org_slug), slug)["categories"])
    assert sum(len(services) for services in KEY_SERVICES.values()) >= 20
    for needed in ("naloxone", "syringe-services", "crisis-lines", "withdrawal-management", "peer-support-groups",
                   "family-friends-groups"):
        assert needed in categories


@pytest.mark.parametrize("locale", KEY_LOCALES)
def test_key_services_read_fully_in_the_locale(demo_site_app, locale):
    client = demo_site_app.test_client()
    problems = []
    for org_slug, slug in _key_services():
        org = _organization(org_slug)
        service = _service(org, slug)
        response = client.get(f"/{locale}/services/{id_for_slug('service', slug)}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        expected = {"name": service["name"], "description": service["description"]}
        expected.update({field: service[field] for field in SERVICE_TEXT if field in service})
        notes = (service.get("schedules") or {}).get("notes")
        if notes:
            expected["schedule notes"] = notes
        for field, text in expected.items():
            if not isinstance(text, dict) or locale not in text:
                problems.append(f"{slug} {field}: no {locale} text in content/")
            elif _shown(text[locale]) not in page:
                problems.append(f"{slug} {field}: {locale} text not on the page")
        if UNTRANSLATED in page:
            problems.append(f"{slug}: the page says {UNTRANSLATED!r}")
        if 'lang="en" dir="auto"' in page:  # English shown in place of a translation (macros.local)
            problems.append(f"{slug}: English text marked lang=en on the page")
    assert problems == []


@pytest.mark.parametrize("locale", KEY_LOCALES)
def test_key_services_organizations_are_described_in_the_locale(demo_site_app, locale):
    client = demo_site_app.test_client()
    for org_slug in KEY_SERVICES:
        org = _organization(org_slug)
        page = client.get(f"/{locale}/organizations/{id_for_slug('organization', org_slug)}").get_data(as_text=True)
        assert _shown(org["name"][locale]) in page, org_slug
        assert _shown(org["description"][locale]) in page, org_slug
