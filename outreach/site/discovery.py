"""``/sitemap.xml`` and ``/robots.txt``: every public page in every locale, staff pages kept out.

The sitemap lists each page once per locale with ``xhtml:link`` alternates for every locale plus
``x-default`` (the first locale), as search engines document for multilingual sites.
"""
from __future__ import annotations

from typing import Iterator
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, url_for
from sqlalchemy import select

from ..accounts.access import STAFF_PREFIX
from ..extensions import db
from ..i18n.setup import listed_locales, site_locales

bp = Blueprint("discovery", __name__)

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
ET.register_namespace("", SITEMAP)
ET.register_namespace("xhtml", XHTML)
SITE_PAGES = ("site.browsing_safely", "site.privacy", "site.about", "site.for_organizations")
# Pages that are public but private in purpose (a help request, a receipt) or endless (search results):
# robots are asked to stay out.
PRIVATE_PATHS = ("help/ask", "help/check", "search")


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


def sitemap_xml() -> bytes:
    locales = listed_locales()  # the complete locales: those offered to residents and search engines
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for endpoint, values in public_pages():
        addresses = [(loc, url_for(endpoint, lang_code=loc.code, _external=True, **values)) for loc in locales]
        for _loc, address in addresses:
            url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
            ET.SubElement(url, f"{{{SITEMAP}}}loc").text = address
            for other, other_address in addresses:
                ET.SubElement(url, f"{{{XHTML}}}link", {"rel": "alternate", "hreflang": other.html_lang,
                                                        "href": other_address})
            ET.SubElement(url, f"{{{XHTML}}}link", {"rel": "alternate", "hreflang": "x-default",
                                                    "href": addresses[0][1]})
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True)


@bp.get("/sitemap.xml")
def sitemap():
    return Response(sitemap_xml(), content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", f"Disallow: {STAFF_PREFIX}"]
    for loc in site_locales():
        lines += [f"Disallow: /{loc.code}/{path}" for path in PRIVATE_PATHS]
    lines += ["Allow: /", "", f"Sitemap: {url_for('discovery.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")
