"""A small crawler over the test client: every public page reachable from the home pages."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import Headers

INTERNAL_HOSTS = {None, "", "localhost"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class PageParser(HTMLParser):
    """Collects every element with its attributes, and the text of <a>, <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag in ("a", "script", "style", "title", "h1"):
            self._open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data


def parse(html: str) -> list[Element]:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser.elements


def is_external(url: str) -> bool:
    """True for anything that would make the browser talk to another host (or run a URL as code)."""
    value = url.strip()
    if value.startswith("//"):
        return True
    parts = urlsplit(value)
    if parts.scheme in ("", "tel", "sms", "mailto", "data"):
        return False
    if parts.scheme in ("http", "https"):
        return parts.hostname not in INTERNAL_HOSTS
    return True  # javascript:, ftp:, … are never expected


@dataclass
class Page:
    path: str
    status: int
    headers: Headers
    body: str
    elements: list[Element] = field(default_factory=list)


def crawl(client, seeds: list[str], limit: int = 5000, locales: tuple[str, ...] | None = None) -> dict[str, Page]:
    """Fetch ``seeds`` and every same-site page and static file they link to (with ``locales``, only
    pages under those locale prefixes, besides the seeds)."""
    pages: dict[str, Page] = {}
    queue = list(seeds)
    while queue:
        path = queue.pop(0)
        if path in pages:
            continue
        assert len(pages) < limit, "crawl did not finish"
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "image/svg")) or \
            response.mimetype.endswith("javascript") else ""
        page = Page(path, response.status_code, response.headers.copy(), body)
        response.close()
        pages[path] = page
        if response.mimetype != "text/html":
            continue
        page.elements = parse(body)
        for element in page.elements:
            for attribute in ("href", "src"):
                url = element.attrs.get(attribute)
                if not url or is_external(url):
                    continue
                parts = urlsplit(urljoin("http://localhost" + path, url))
                if parts.scheme not in ("http", "https"):
                    continue
                if parts.path.startswith(STAFF_PREFIX):
                    continue  # the staff area is not a resident page; tests/test_staff_access.py covers it
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                prefix = parts.path.split("/")[1] if parts.path.count("/") > 1 else ""
                if locales is not None and prefix in LOCALES and prefix not in locales:
                    continue
                if target not in pages:
                    queue.append(target)
    return pages


# Every locale of translations/locales.yaml (all twelve are complete; i18n check fails otherwise).
from outreach.i18n.locales import table_codes  # noqa: E402

LOCALES = table_codes()
# The site is crawled whole in these (both directions, the longest scripts); every other locale from its
# home page and searches, and every page type in every locale by the browser tests (axe) and the
# pseudo-locale test.
CRAWLED_IN_FULL = ("en", "es", "ar", "fa")
STAFF_PREFIX = "/staff/"
SEARCHES = ("naloxone", "tratamiento", "علاج")


def copy_demo_app(template: Path, folder: Path, **settings):
    """An app over a copy of the session's loaded demo content (database and index), with ``settings``."""
    from outreach import create_app
    from tests.conftest import _config

    for item in template.iterdir():
        if item.is_dir():
            shutil.copytree(item, folder / item.name)
        else:
            shutil.copy(item, folder / item.name)
    return create_app(_config(folder, **settings))


def crawl_site(client) -> dict[str, Page]:
    """Every public page in every locale, from the home pages and a few searches."""
    seeds = [f"/{locale}/" for locale in LOCALES]
    seeds += [f"/{locale}/search?q={query}" for locale in LOCALES for query in SEARCHES]
    return crawl(client, seeds, locales=CRAWLED_IN_FULL)
