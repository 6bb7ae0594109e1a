"""A per-process cache of the directory's shared pages (home, category, listing, organization, search).

These pages are the same for every resident: they set no cookie and show nothing about the person
asking (DESIGN.md, "no cookies on search and listing pages"). Rendering one costs tens of
milliseconds of Python; serving a copy costs well under one. A copy is keyed on

* a digest of the path and query string (the locale is the path's first segment),
* the ``listings`` and ``taxonomy`` data versions (:mod:`outreach.caching`), which every change to a
  listing, an organization, a campaign or the taxonomy moves in its own transaction: an edit made
  through any worker on any machine shows on the next request everywhere,
* for search pages, the synonyms files' times and whether the index folder is there,

and it is served only until the first moment at which the page would read differently with the same
data. Whatever on a page depends on the time says when it changes next, while the page renders
(:func:`expires_at`): an "open now" badge at the closing time (a "closed" one at the next opening),
"not verified recently" at midnight, a campaign block when one of its campaigns ends or the next one
starts, the "open now" search filter at the next minute. And no copy lives longer than
``PAGE_CACHE_SECONDS`` (search pages: 60 seconds).

A copy served again replays what the view did besides rendering (:func:`on_each_hit`: the anonymous
count of searches per category); a page that shows a passing state is not kept (:func:`dont_keep`).
Keys hold no search words (a digest); the words are in a kept search page itself, in this worker's
memory, for at most a minute, with nothing about who searched (no address, cookie or header is part
of a key or a page). Nothing is kept from a request that carries a cookie (a signed-in staff member, a
resident following up a help request), nor any answer but a plain 200. At most
``PAGE_CACHE_ENTRIES`` pages per worker (0 turns the cache off), least recently used first out.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request
from werkzeug.wrappers import Response

from ..accounts import clock
from ..caching import LISTINGS, data_versions

_SKIPPED_HEADERS = {"content-length", "set-cookie"}
SEARCH_PAGE_SECONDS = 60


def _directory_now() -> datetime:
    from ..directory import services as directory_services  # the clock opening hours are read with

    return directory_services.now()


# The clocks pages read the time from: opening hours and freshness, and campaign windows.
CLOCKS: dict[str, Callable[[], datetime]] = {"directory": _directory_now, "campaigns": lambda: clock.now()}


@dataclass(frozen=True)
class _Entry:
    body: bytes
    status: int
    headers: list[tuple[str, str]]
    replay: tuple[Callable[..., Any], tuple] | None
    since: dict[str, datetime]  # per clock: the time it was rendered at
    until: dict[str, datetime]  # per clock: the copy is good while that clock reads earlier

    def is_current(self) -> bool:
        """Inside [since, until) on every clock (a clock set back makes a copy from its future stale)."""
        for name, read in CLOCKS.items():
            now = read()
            if now < self.since[name] or (name in self.until and now >= self.until[name]):
                return False
        return True


def expires_at(moment: datetime | None, clock_name: str = "directory") -> None:
    """The page being rendered reads differently from ``moment`` on (by the named clock)."""
    if moment is None:
        return
    until: dict[str, datetime] = g.setdefault("outreach_page_until", {})
    if clock_name not in until or moment < until[clock_name]:
        until[clock_name] = moment


def on_each_hit(action: Callable[..., Any], *args: Any) -> None:
    """Run ``action(*args)`` again whenever the page being rendered is served from the copy."""
    g.outreach_page_replay = (action, args)


def dont_keep() -> None:
    """The page being rendered must not be served again (it shows a passing state)."""
    g.outreach_page_keep = False


class _Pages:
    SWEEP_SECONDS = 10

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.swept = time.monotonic()

    def get(self, key: tuple) -> _Entry | None:
        with self.lock:
            self._sweep()
            entry = self.entries.get(key)
            if entry is None:
                return None
            if not entry.is_current():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def _sweep(self) -> None:
        """Drop expired copies every few seconds, so none (a search page) stays in memory unused."""
        if time.monotonic() - self.swept < self.SWEEP_SECONDS:
            return
        self.swept = time.monotonic()
        for key in [key for key, entry in self.entries.items() if not entry.is_current()]:
            del self.entries[key]


def _pages() -> _Pages | None:
    size = current_app.config.get("PAGE_CACHE_ENTRIES", 0)
    if not size:
        return None
    pages = current_app.extensions.get("outreach_pages")
    if pages is None or pages.size != size:
        pages = current_app.extensions["outreach_pages"] = _Pages(size)
    return pages


def _key(vary: Callable[[], Any] | None) -> tuple:
    versions = data_versions()
    return (
        hashlib.sha256(request.full_path.encode("utf-8", "surrogateescape")).digest(),
        versions.get(LISTINGS, 0),
        versions.get("taxonomy", 0),
        vary() if vary is not None else None,
    )


def shared_page(view=None, *, vary: Callable[[], Any] | None = None, max_seconds: int | None = None):
    """Serve this view's 200 responses from the process's copy while nothing it shows has changed.

    ``vary``: what else the page depends on (the search synonyms files, which change without a
    database change). ``max_seconds``: a shorter life than ``PAGE_CACHE_SECONDS``.
    """
    if view is None:
        return lambda view: shared_page(view, vary=vary, max_seconds=max_seconds)

    @wraps(view)
    def cached_view(**kwargs):
        pages = _pages()
        if pages is None or request.cookies:
            return view(**kwargs)
        entry = pages.get(_key(vary))
        if entry is not None:
            if entry.replay is not None:
                entry.replay[0](*entry.replay[1])
            return Response(entry.body, status=entry.status, headers=entry.headers)
        since = {name: read() for name, read in CLOCKS.items()}
        seconds = min(current_app.config.get("PAGE_CACHE_SECONDS", 300), max_seconds or 10**9)
        expires_at(since["directory"] + timedelta(seconds=seconds))
        response = current_app.make_response(view(**kwargs))
        if (response.status_code == 200 and not response.direct_passthrough and "Set-Cookie" not in response.headers
                and g.get("outreach_page_keep", True)):
            headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _SKIPPED_HEADERS]
            entry = _Entry(response.get_data(), response.status_code, headers, g.get("outreach_page_replay"),
                           since, dict(g.get("outreach_page_until", {})))
            # Keyed on the state after rendering: the view may have created what it depends on (an index).
            pages.put(_key(vary), entry)
        return response

    return cached_view
