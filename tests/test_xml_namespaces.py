"""The sitemap and the Atom feed each write their own default namespace, whichever was built first:
neither goes through ElementTree's process-wide prefix table (registering "" for Atom there once made
/sitemap.xml come out as <ns0:urlset>)."""
from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from outreach.campaigns.feeds import ATOM
from outreach.site.discovery import SITEMAP, XHTML

DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"


def _fetch(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_sitemap_and_feed_keep_their_own_default_namespace_in_any_order(demo_site_app):
    client = demo_site_app.test_client()
    first_feed = _fetch(client, "/en/campaigns/feed.atom")
    sitemap = _fetch(client, "/sitemap.xml")
    second_feed = _fetch(client, "/ar/campaigns/feed.atom")
    assert sitemap.startswith(DECLARATION + f'<urlset xmlns="{SITEMAP}" xmlns:xhtml="{XHTML}">'), sitemap[:200]
    assert "ns0:" not in sitemap and "ns1:" not in sitemap and "<url><loc>" in sitemap
    assert '<xhtml:link rel="alternate" hreflang="x-default" href="' in sitemap
    for feed in (first_feed, second_feed):
        assert re.match(re.escape(DECLARATION) + f'<feed xmlns="{re.escape(ATOM)}"', feed), feed[:200]
        assert "ns0:" not in feed and "<entry>" in feed


def test_the_documents_parse_to_the_right_namespaces(demo_site_app):
    client = demo_site_app.test_client()
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    assert sitemap.tag == f"{{{SITEMAP}}}urlset"
    url = sitemap.find(f"{{{SITEMAP}}}url")
    assert url.find(f"{{{SITEMAP}}}loc").text.startswith("http://localhost/")
    assert url.findall(f"{{{XHTML}}}link")
    feed = ET.fromstring(client.get("/en/campaigns/feed.atom").data)
    assert feed.tag == f"{{{ATOM}}}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_the_sitemap_index_has_no_prefix(demo_site_app):
    demo_site_app.config["SITEMAP_PAGES_PER_FILE"] = 10
    try:
        index = _fetch(demo_site_app.test_client(), "/sitemap.xml")
    finally:
        demo_site_app.config["SITEMAP_PAGES_PER_FILE"] = 1000
    assert index.startswith(DECLARATION + f'<sitemapindex xmlns="{SITEMAP}"><sitemap><loc>'), index[:200]


def test_nothing_is_left_in_elementtrees_global_prefix_table(demo_site_app):
    client = demo_site_app.test_client()
    _fetch(client, "/sitemap.xml")
    _fetch(client, "/en/campaigns/feed.atom")
    assert ATOM not in ET._namespace_map and SITEMAP not in ET._namespace_map
    # A document built elsewhere in the process with its own namespace still gets a prefix of its own.
    assert ET.tostring(ET.Element("{urn:example}x")).startswith(b"<ns0:x")
