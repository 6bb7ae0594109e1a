"""Demo campaigns from content/campaigns/, sitemap.xml and robots.txt over the demo site."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from outreach.accounts.clock import as_utc
from outreach.campaigns import images
from outreach.campaigns.models import Campaign
from outreach.directory.models import Organization, Service, TaxonomyTerm
from outreach.extensions import db
from tests.conftest import PROJECT_ROOT

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def sitemap(demo_site_app):
    response = demo_site_app.test_client().get("/sitemap.xml")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/xml; charset=utf-8"
    return ET.fromstring(response.data)


def test_demo_content_has_three_live_campaigns_one_with_events_one_multilingual_one_with_image(demo_site_app):
    now = datetime.now(timezone.utc)
    with demo_site_app.app_context():
        campaigns = list(db.session.scalars(select(Campaign)))
        live = [c for c in campaigns if c.is_live(now)]
        assert len(live) >= 3
        assert any(c.upcoming_events(now.date()) for c in live)
        assert any({t.locale for t in c.translations if t.field == "title"} >= {"es", "ar"} for c in live)
        with_image = [c for c in live if c.image_file]
        assert with_image and all(c.image_alt for c in with_image)
        assert any(c.is_featured for c in live)
        for campaign in with_image:
            assert images.path_of(campaign.image_file) is not None
    client = demo_site_app.test_client()
    home = client.get("/es/").get_data(as_text=True)
    assert "/es/campaigns/naloxone-saves-lives" in home
    arabic = client.get("/ar/campaigns/naloxone-saves-lives").get_data(as_text=True)
    assert "النالوكسون ينقذ الأرواح" in arabic and 'dir="rtl"' in arabic
    harm = client.get("/en/categories/harm-reduction").get_data(as_text=True)
    assert "/en/campaigns/naloxone-saves-lives" in harm


def listed(app) -> list[str]:
    from outreach.i18n.setup import listed_codes

    with app.app_context():
        return list(listed_codes())


def test_sitemap_lists_every_public_page_in_every_locale_with_alternates(demo_site_app, sitemap):
    locales = listed(demo_site_app)  # every complete locale (an incomplete one is served, never offered)
    assert {"en", "es"} <= set(locales)
    urls = sitemap.findall(f"{SITEMAP}url")
    locs = {url.find(f"{SITEMAP}loc").text.removeprefix("http://localhost") for url in urls}
    assert len(locs) == len(urls)  # each page once per locale
    now = datetime.now(timezone.utc)
    with demo_site_app.app_context():
        services = list(db.session.scalars(select(Service.id).where(Service.status.in_(("active", "temporarily closed")))))
        organizations = list(db.session.scalars(select(Organization.id)))
        terms = [t.code for t in db.session.scalars(select(TaxonomyTerm)) if t.taxonomy.name == "categories"]
        campaigns = [c.slug for c in db.session.scalars(select(Campaign)) if c.is_live(now)]
    for locale in locales:
        expected = {f"/{locale}/", f"/{locale}/campaigns/", f"/{locale}/privacy", f"/{locale}/browsing-safely",
                    f"/{locale}/about", f"/{locale}/for-organizations", f"/{locale}/help/"}
        expected |= {f"/{locale}/services/{i}" for i in services}
        expected |= {f"/{locale}/organizations/{i}" for i in organizations}
        expected |= {f"/{locale}/categories/{code}" for code in terms}
        expected |= {f"/{locale}/campaigns/{slug}" for slug in campaigns}
        assert expected <= locs, sorted(expected - locs)[:5]
    assert not any("/staff" in loc or "/search" in loc or "/help/ask" in loc for loc in locs)
    for url in urls:
        links = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
        assert set(links) == {*(code.replace("_", "-") for code in locales), "x-default"}
        assert links["x-default"] == links[locales[0].replace("_", "-")]
        loc = url.find(f"{SITEMAP}loc").text
        assert loc in links.values()
        rest = loc.removeprefix("http://localhost").split("/", 2)[2]
        for code in locales:
            assert links[code.replace("_", "-")] == f"http://localhost/{code}/{rest}"


def test_every_sitemap_page_works(demo_site_app, sitemap):
    client = demo_site_app.test_client()
    for url in sitemap.findall(f"{SITEMAP}url")[::7]:  # a spread sample: every seventh address
        path = url.find(f"{SITEMAP}loc").text.removeprefix("http://localhost")
        assert client.get(path).status_code == 200, path


def test_a_big_directory_gets_a_sitemap_index_of_bounded_files_listing_the_same_pages(demo_site_app, sitemap):
    """A state's directory (50,000 listings x 12 locales) would pass a sitemap's 50,000 addresses:
    /sitemap.xml becomes an index, each file holds at most SITEMAP_PAGES_PER_FILE pages."""
    everything = sorted(url.find(f"{SITEMAP}loc").text for url in sitemap.findall(f"{SITEMAP}url"))
    locales = listed(demo_site_app)
    client = demo_site_app.test_client()
    demo_site_app.config["SITEMAP_PAGES_PER_FILE"] = 40
    try:
        response = client.get("/sitemap.xml")
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/xml; charset=utf-8"
        index = ET.fromstring(response.data)
        assert index.tag == f"{SITEMAP}sitemapindex"
        parts = [entry.find(f"{SITEMAP}loc").text for entry in index.findall(f"{SITEMAP}sitemap")]
        pages = len(everything) // len(locales)
        assert parts == [f"http://localhost/sitemap-{n}.xml" for n in range(1, -(-pages // 40) + 1)] and len(parts) > 1
        found = []
        for part in parts:
            urlset = ET.fromstring(client.get(part.removeprefix("http://localhost")).data)
            assert urlset.tag == f"{SITEMAP}urlset"
            locs = [url.find(f"{SITEMAP}loc").text for url in urlset.findall(f"{SITEMAP}url")]
            assert 0 < len(locs) <= 40 * len(locales)
            found += locs
        assert sorted(found) == everything  # the same pages, each once
        for wrong in ("/sitemap-0.xml", f"/sitemap-{len(parts) + 1}.xml"):
            assert client.get(wrong).status_code == 404
    finally:
        demo_site_app.config["SITEMAP_PAGES_PER_FILE"] = 1000
    assert client.get("/sitemap-1.xml").status_code == 404  # a small directory has one file only


def test_robots_txt_points_to_the_sitemap_and_keeps_staff_out(demo_site_app):
    response = demo_site_app.test_client().get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /staff/" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    for locale in demo_site_app.config["LOCALES"]:
        assert f"Disallow: /{locale}/help/check" in lines and f"Disallow: /{locale}/help/ask" in lines
    assert not any(line in ("Disallow: /", "Disallow: /*") for line in lines)


def test_loading_twice_updates_in_place_and_keeps_one_image_file_each(app, tmp_path):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["outreach", "content", "load"])
        assert result.exit_code == 0, result.output
        assert "Loaded 3 campaigns." in result.output
    with app.app_context():
        campaigns = list(db.session.scalars(select(Campaign)))
        assert len(campaigns) == 3
        names = sorted(c.image_file for c in campaigns if c.image_file)
        assert sorted(p.name for p in images.folder().iterdir()) == names
        events = {c.slug: len(c.events) for c in campaigns}
        assert events["naloxone-saves-lives"] == 2
        campaign = next(c for c in campaigns if c.slug == "naloxone-saves-lives")
        assert as_utc(campaign.starts_at) < datetime.now(timezone.utc) < as_utc(campaign.ends_at)


def _content_with(tmp_path: Path, campaign_yaml: str) -> Path:
    root = tmp_path / "content"
    (root / "campaigns").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "content" / "taxonomy.yaml", root / "taxonomy.yaml")
    (root / "campaigns" / "bad.yaml").write_text(campaign_yaml, encoding="utf-8")
    (root / "campaigns" / "fake.png").write_bytes(b"<html>not a png</html>")
    return root


def test_a_bad_campaign_file_loads_nothing_and_names_each_problem(app, tmp_path):
    root = _content_with(tmp_path, """
id: bad-campaign
title: Hello
summary: A summary.
starts: yesterday
ends: 10
time_zone: Mars/Olympus
categories: [naloxone, not-a-category]
image: fake.png
image_alt: A picture
events:
  - id: one
    title: Event
    date: 3
    start: "18:00"
    end: "17:00"
    online_url: javascript:alert(1)
""")
    result = app.test_cli_runner().invoke(args=["outreach", "content", "load", "--path", str(root)])
    assert result.exit_code == 1
    for expected in ("'starts' must be a date", "'time_zone' must be an IANA zone", "unknown code(s): not-a-category",
                     "'image' cannot be used", "'end' must be after 'start'", "needs a 'place'",
                     "'online_url' must be a link starting with https://"):
        assert expected in result.output, expected
    assert "campaigns/bad.yaml:" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Campaign.id))) == 0
        assert db.session.scalar(select(func.count(TaxonomyTerm.id))) == 0  # nothing at all was loaded
