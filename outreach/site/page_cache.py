"""A short-lived, per-process cache of the directory's shared pages (home, category, listing, organization).

These pages are the same for every resident: they set no cookie and show nothing about the person
asking (DESIGN.md, "no cookies on search and listing pages"). Rendering one costs tens of
milliseconds of Python; serving a copy costs well under one. A copy is keyed on

* the path and query string (the locale is the path's first segment),
* the current minute of both clocks the pages read ("open now" badges, campaign windows), so a copy
  never outlives the minute it was rendered in,
* the ``listings`` and ``taxonomy`` data versions (:mod:`outreach.caching`), which every change to a
  listing, an organization, a campaign or the taxonomy moves in its own transaction: an edit made
  through any worker on any machine shows on the next request everywhere.

Not cached: search pages (they count anonymous demand per search), anything but a plain 200, and
requests that carry a cookie (a signed-in staff member or a resident following up a help request
gets a fresh page). The copies live in the worker's memory only, at most ``PAGE_CACHE_ENTRIES`` of
them (0 turns the cache off), least recently used first out.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps

from flask import current_app, request
from werkzeug.wrappers import Response

from ..accounts import clock
from ..caching import data_versions, watch

_SKIPPED_HEADERS = {"content-length", "set-cookie"}


class _Pages:
    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, tuple[bytes, int, list[tuple[str, str]]]] = OrderedDict()

    def get(self, key: tuple):
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _pages() -> _Pages | None:
    size = current_app.config.get("PAGE_CACHE_ENTRIES", 0)
    if not size:
        return None
    pages = current_app.extensions.get("outreach_pages")
    if pages is None or pages.size != size:
        pages = current_app.extensions["outreach_pages"] = _Pages(size)
    return pages


def _key() -> tuple:
    from ..directory import services as directory_services  # the clock "open now" reads

    versions = data_versions()
    return (
        request.full_path,
        directory_services.now().strftime("%Y%m%d%H%M"),
        clock.now().strftime("%Y%m%d%H%M"),
        versions.get("listings", 0),
        versions.get("taxonomy", 0),
    )


def shared_page(view):
    """Serve this view's 200 responses from the process's copy while nothing it shows has changed."""

    @wraps(view)
    def cached_view(**kwargs):
        pages = _pages()
        if pages is None or request.cookies:
            return view(**kwargs)
        key = _key()
        entry = pages.get(key)
        if entry is not None:
            body, status, headers = entry
            return Response(body, status=status, headers=headers)
        response = current_app.make_response(view(**kwargs))
        if response.status_code == 200 and not response.direct_passthrough and "Set-Cookie" not in response.headers:
            headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _SKIPPED_HEADERS]
            pages.put(key, (response.get_data(), response.status_code, headers))
        return response

    return cached_view


_LISTING_MODULES = ("outreach.directory.models", "outreach.campaigns.models", "outreach.i18n.models")


def _touches_listings(item: object) -> bool:
    return type(item).__module__.startswith(_LISTING_MODULES)


watch("listings", _touches_listings)
