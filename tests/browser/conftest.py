"""Fixtures for the real-browser suite: one live server and one headless Chromium per session.

* ``live_server`` — the app with the real seed content (copied from the session's ``demo_template``)
  served by Werkzeug in a background thread on 127.0.0.1, plus a tiny second HTTP server on another
  port serving a neutral "Weather" page that the quick exit points at.
* ``browser`` — Debian's Chromium (``/usr/bin/chromium``) driven by Playwright. Missing Chromium is a
  failure, never a skip: the browser tests are part of "done".
* ``open_page`` — opens a page in a fresh context (JavaScript on or off) and records every request
  the page makes; at teardown the test fails if any request went to a host other than the live server
  (the quick-exit stub host is allowed only when the test asks for it).
"""
from __future__ import annotations

import http.server
import os
import shutil
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from outreach import create_app
from tests.conftest import _config, _dispose
from tests.serve import make_test_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# Small pages (the app's default is 20) so categories and searches with a handful of services
# have a page 2 to browse to, whatever the seed content grows to.
PAGE_SIZE = 4

WEATHER_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weather</title></head>
<body><h1>Weather</h1><p>Sunny, 21 degrees.</p></body></html>
"""


class _WeatherHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(WEATHER_PAGE)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(WEATHER_PAGE)

    def log_message(self, format, *args):  # keep the test output quiet
        pass


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    netloc: str  # 127.0.0.1:<port>
    stub_url: str  # the quick-exit target
    stub_netloc: str
    app: object
    # Paths discovered from the seed content, so the tests follow the content as it grows.
    paginated_category: str = ""
    hours_service: str = ""
    phone_only_service: str = ""
    organization: str = ""

    def path(self, locale: str, rest: str = "") -> str:
        return f"{self.url}/{locale}/{rest.lstrip('/')}"


def _discover(app) -> dict:
    """Pick real listings for the page-specific tests: a paginated category, a service with a full
    weekly hours table and an address, a phone-only service and an organization."""
    from outreach.directory import services
    from outreach.directory.hours import is_always_open
    from outreach.directory.models import Service

    with app.app_context():
        paginated = next(
            (t.code for t in services.category_tree() if services.services_in_category(t, 1).pages >= 2),
            "",
        )
        active = [s for s in Service.query.order_by(Service.id).all() if s.status == "active"]

        def phones(s):
            return s.phones or s.organization.phones

        hours = next(
            (
                s for s in active
                if s.locations and s.schedules and not is_always_open(s.schedules) and phones(s)
                and not any(loc.is_address_confidential for loc in s.locations)
            ),
            None,
        )
        phone_only = next((s for s in active if not s.locations and phones(s) and s.is_remote_only), None)
        return {
            "paginated_category": paginated,
            "hours_service": hours.id if hours else "",
            "phone_only_service": phone_only.id if phone_only else "",
            "organization": hours.organization.id if hours else "",
        }


def _serve_in_thread(server, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, demo_template):
    # The neutral page the quick exit goes to.
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WeatherHandler)
    stub.daemon_threads = True
    stub_thread = _serve_in_thread(stub, "weather-stub")
    stub_netloc = f"127.0.0.1:{stub.server_address[1]}"

    folder = tmp_path_factory.mktemp("browser-demo")
    for item in demo_template.iterdir():
        if item.is_dir():
            shutil.copytree(item, folder / item.name)
        else:
            shutil.copy(item, folder / item.name)
    app = create_app(
        _config(folder, QUICK_EXIT_URL=f"http://{stub_netloc}/weather", PAGE_SIZE=PAGE_SIZE)
    )
    server = make_test_server(app)
    thread = _serve_in_thread(server, "live-server")
    netloc = f"127.0.0.1:{server.server_port}"
    live = LiveServer(
        url=f"http://{netloc}",
        netloc=netloc,
        stub_url=f"http://{stub_netloc}/weather",
        stub_netloc=stub_netloc,
        app=app,
        **_discover(app),
    )
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        stub.shutdown()
        stub.server_close()
        stub_thread.join(timeout=5)
        _dispose(app)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(apt-get install chromium). Do not run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def record_requests(page) -> list[str]:
    """Every URL the page requests from now on (navigations, styles, scripts, images, fetches)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def foreign_requests(urls, allowed_netlocs) -> list[str]:
    """The URLs that went to a host:port not in ``allowed_netlocs`` (data: and blob: stay local)."""
    return [
        url for url in urls
        if urlsplit(url).scheme not in {"data", "blob", "about"} and urlsplit(url).netloc not in allowed_netlocs
    ]


@pytest.fixture(scope="session")
def shared_contexts(browser):
    """One context with JavaScript on and one with it off, reused by the tests (a new page each
    time) because creating a context costs more than most tests. The app sets no cookies on these
    pages, so nothing leaks between tests through them."""
    contexts = {}

    def get(js: bool):
        if js not in contexts:
            contexts[js] = _new_context(browser, js)
        return contexts[js]

    yield get
    for context in contexts.values():
        context.close()


def _new_context(browser, js: bool, **options):
    options.setdefault("viewport", {"width": 1024, "height": 768})
    context = browser.new_context(java_script_enabled=js, **options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    return context


@pytest.fixture
def open_page(browser, live_server, shared_contexts):
    """``open_page(js=True, allow_stub=False, **context_options)`` → a new page.

    Without context options the page opens in the session's shared context for ``js``; with them
    (e.g. ``viewport=``) in a new context closed at teardown. Every request each page makes is
    recorded; at teardown any request to a host other than the live server (and, when
    ``allow_stub``, the quick-exit stub) fails the test.
    """
    own_contexts = []
    pages = []
    records = []  # (allowed netlocs, [url, ...])

    def factory(js: bool = True, allow_stub: bool = False, **options):
        if options:
            context = _new_context(browser, js, **options)
            own_contexts.append(context)
        else:
            context = shared_contexts(js)
        page = context.new_page()
        pages.append(page)
        allowed = {live_server.netloc} | ({live_server.stub_netloc} if allow_stub else set())
        records.append((allowed, record_requests(page)))
        return page

    yield factory

    for page in pages:
        page.close()
    for context in own_contexts:
        context.close()
    problems = [url for allowed, seen in records for url in foreign_requests(seen, allowed)]
    assert not problems, "requests left the live server:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def axe():
    """axe-core (bundled by axe-playwright-python), loaded once for the session."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
