"""A short-lived, per-process cache of the directory's shared pages (home, category, listing, organization, search).

These pages are the same for every resident: they set no cookie and show nothing about the person
asking (DESIGN.md, "no cookies on search and listing pages"). Rendering one costs tens of
milliseconds of Python; serving a copy costs well under one. A copy is keyed on

* a digest of the path and query string (the locale is the path's first segment),
* the current minute of both clocks the pages read ("open now" badges, campaign windows), so a copy
  never outlives the minute it was rendered in (the first request of a new minute empties the cache),
* the ``listings`` and ``taxonomy`` data versions (:mod:`outreach.caching`), which every change to a
  listing, an organization, a campaign or the taxonomy moves in its own transaction: an edit made
  through any worker on any machine shows on the next request everywhere.

Search pages are kept too. A copy served again replays what the view did besides rendering
(:func:`on_each_hit`: the anonymous count of searches per category); a page shown while the index is
being rebuilt is not kept (:func:`dont_keep`). The key is a digest of the address, so no search words
are held as keys; the words are in the kept page itself, in this worker's memory, for at most the
rest of the minute, with nothing about who searched (no address, no cookie, no header is part of a
key or a page). Nothing is kept from a request that carries a cookie (a signed-in staff member, a
resident following up a help request), nor any answer but a plain 200. At most
``PAGE_CACHE_ENTRIES`` pages per worker (0 turns the cache off), least recently used first out.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request
from werkzeug.wrappers import Response

from ..accounts import clock
from ..caching import data_versions, watch

_SKIPPED_HEADERS = {"content-length", "set-cookie"}


_Entry = tuple[bytes, int, list[tuple[str, str]], tuple[Callable[..., Any], tuple] | None]


def on_each_hit(action: Callable[..., Any], *args: Any) -> None:
    """Run ``action(*args)`` again whenever the page being rendered is served from the copy."""
    g.outreach_page_replay = (action, args)


def dont_keep() -> None:
    """The page being rendered must not be served again (it shows a passing state)."""
    g.outreach_page_keep = False


class _Pages:
    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.minute: tuple = ()
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()

    def _same_minute(self, key: tuple) -> None:
        minute = key[1:3]
        if minute != self.minute:
            self.entries.clear()
            self.minute = minute

    def get(self, key: tuple):
        with self.lock:
            self._same_minute(key)
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry) -> None:
        with self.lock:
            self._same_minute(key)
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


def _key(vary: Callable[[], Any] | None) -> tuple:
    from ..directory import services as directory_services  # the clock "open now" reads

    versions = data_versions()
    return (
        hashlib.sha256(request.full_path.encode("utf-8", "surrogateescape")).digest(),
        directory_services.now().strftime("%Y%m%d%H%M"),
        clock.now().strftime("%Y%m%d%H%M"),
        versions.get("listings", 0),
        versions.get("taxonomy", 0),
        vary() if vary is not None else None,
    )


def shared_page(view=None, *, vary: Callable[[], Any] | None = None):
    """Serve this view's 200 responses from the process's copy while nothing it shows has changed.

    ``vary``: what else the page depends on (the search synonyms files, which change without a
    database change).
    """
    if view is None:
        return lambda view: shared_page(view, vary=vary)

    @wraps(view)
    def cached_view(**kwargs):
        pages = _pages()
        if pages is None or request.cookies:
            return view(**kwargs)
        key = _key(vary)
        entry = pages.get(key)
        if entry is not None:
            body, status, headers, replay = entry
            if replay is not None:
                replay[0](*replay[1])
            return Response(body, status=status, headers=headers)
        response = current_app.make_response(view(**kwargs))
        if (response.status_code == 200 and not response.direct_passthrough and "Set-Cookie" not in response.headers
                and g.get("outreach_page_keep", True)):
            headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _SKIPPED_HEADERS]
            # Keyed on the state after rendering: the view may have created what it depends on (an index).
            pages.put(_key(vary), (response.get_data(), response.status_code, headers, g.get("outreach_page_replay")))
        return response

    return cached_view


_LISTING_MODULES = ("outreach.directory.models", "outreach.campaigns.models", "outreach.i18n.models")


def _touches_listings(item: object) -> bool:
    return type(item).__module__.startswith(_LISTING_MODULES)


watch("listings", _touches_listings)
