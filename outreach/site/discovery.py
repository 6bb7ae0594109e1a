"""``/sitemap.xml`` and ``/robots.txt``: every public page in every locale, staff pages kept out.

The sitemap lists each page once per locale with ``xhtml:link`` alternates for every locale plus
``x-default`` (the first locale), as search engines document for multilingual sites. A sitemap file
may hold at most 50,000 addresses and 50 MB: up to ``SITEMAP_PAGES_PER_FILE`` pages (1,000: 12,000
addresses in twelve locales, about 20 MB) ``/sitemap.xml`` is that list itself; a bigger directory
(a state's: 50,000 listings) gets a sitemap index there pointing to ``/sitemap-1.xml``,
``/sitemap-2.xml`` … of that many pages each, so no request builds more than one bounded file.
"""
from __future__ import annotations

from itertools import islice
from typing import Iterator
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, current_app, url_for
from sqlalchemy import func, select

from ..accounts.access import STAFF_PREFIX
from ..extensions import db
from ..i18n.setup import listed_locales, site_locales

bp = Blueprint("discovery", __name__)

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
# The sitemap's elements are written with their prefixes as search engines document them (the sitemap
# namespace as the default, ``xhtml:`` for the alternates), declared on the root element: nothing goes
# through ET.register_namespace, a process-wide table that other documents (the Atom feed) would change.
SITE_PAGES = ("site.browsing_safely", "site.privacy", "site.about", "site.for_organizations")
# Pages that are public but private in purpose (a help request, a receipt) or endless (search results):
# robots are asked to stay out.
PRIVATE_PATHS = ("help/ask", "help/check", "search")


def public_page_count() -> int:
    """How many pages :func:`public_pages` yields, counted without listing them."""
    from ..campaigns.services import live_campaigns
    from ..directory.models import Organization, Service
    from ..directory.services import VISIBLE_STATUSES, all_terms

    services = db.session.scalar(select(func.count(Service.id)).where(Service.status.in_(VISIBLE_STATUSES))) or 0
    organizations = db.session.scalar(select(func.count(Organization.id))) or 0
    categories = sum(1 for term in all_terms() if term.taxonomy.name == "categories")
    return 1 + categories + services + organizations + len(SITE_PAGES) + 2 + len(live_campaigns())


def public_pages() -> Iterator[tuple[str, dict]]:
    """(endpoint, view arguments) of every public page, without the locale."""
    from ..campaigns.services import live_campaigns
    from ..directory.models import Organization, Service
    from ..directory.services import VISIBLE_STATUSES, all_terms

    yield "directory.home", {}
    for term in all_terms():
        if term.taxonomy.name == "categories":
            yield "directory.category", {"code": term.code}
    for service_id in db.session.scalars(select(Service.id).where(Service.status.in_(VISIBLE_STATUSES)).order_by(Service.id)):
        yield "directory.service", {"service_id": service_id}
    for organization_id in db.session.scalars(select(Organization.id).order_by(Organization.id)):
        yield "directory.organization", {"organization_id": organization_id}
    for endpoint in SITE_PAGES:
        yield endpoint, {}
    yield "help.start", {}
    yield "campaigns.index", {}
    for campaign in live_campaigns():
        yield "campaigns.campaign", {"reference": campaign.slug}


def sitemap_xml(pages: Iterator[tuple[str, dict]]) -> bytes:
    locales = listed_locales()  # the complete locales: those offered to residents and search engines
    urlset = ET.Element("urlset", {"xmlns": SITEMAP, "xmlns:xhtml": XHTML})
    for endpoint, values in pages:
        addresses = [(loc, url_for(endpoint, lang_code=loc.code, _external=True, **values)) for loc in locales]
        for _loc, address in addresses:
            url = ET.SubElement(urlset, "url")
            ET.SubElement(url, "loc").text = address
            for other, other_address in addresses:
                ET.SubElement(url, "xhtml:link", {"rel": "alternate", "hreflang": other.html_lang, "href": other_address})
            ET.SubElement(url, "xhtml:link", {"rel": "alternate", "hreflang": "x-default", "href": addresses[0][1]})
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True)


def sitemap_index_xml(files: int) -> bytes:
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP})
    for number in range(1, files + 1):
        entry = ET.SubElement(index, "sitemap")
        ET.SubElement(entry, "loc").text = url_for("discovery.sitemap_part", number=number, _external=True)
    return ET.tostring(index, encoding="utf-8", xml_declaration=True)


def _xml(body: bytes) -> Response:
    return Response(body, content_type="application/xml; charset=utf-8")


def _files() -> tuple[int, int]:
    """(pages per file, number of files)."""
    per_file = current_app.config["SITEMAP_PAGES_PER_FILE"]
    return per_file, -(-public_page_count() // per_file)


@bp.get("/sitemap.xml")
def sitemap():
    per_file, files = _files()
    if files <= 1:
        return _xml(sitemap_xml(public_pages()))
    return _xml(sitemap_index_xml(files))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int):
    per_file, files = _files()
    if files <= 1 or not 1 <= number <= files:
        abort(404)
    return _xml(sitemap_xml(islice(public_pages(), (number - 1) * per_file, number * per_file)))


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", f"Disallow: {STAFF_PREFIX}"]
    for loc in site_locales():
        lines += [f"Disallow: /{loc.code}/{path}" for path in PRIVATE_PATHS]
    lines += ["Allow: /", "", f"Sitemap: {url_for('discovery.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")
