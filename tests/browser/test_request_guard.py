"""The request guard that every browser test relies on does see a request to another host."""
from __future__ import annotations

import pytest

from .conftest import foreign_requests, record_requests

pytestmark = pytest.mark.browser


def test_request_guard_catches_another_host(shared_contexts, live_server):
    page = shared_contexts(True).new_page()
    try:
        seen = record_requests(page)
        # Nothing may actually leave the machine: abort anything not for the live server.
        page.route(
            "**/*",
            lambda route: route.continue_() if live_server.netloc in route.request.url else route.abort(),
        )
        page.goto(live_server.path("en", "about"))
        page.evaluate(
            """() => new Promise(resolve => {
                const img = document.createElement('img');
                img.onload = img.onerror = resolve;
                img.src = 'http://203.0.113.9/pixel.png';
                document.body.append(img);
            })"""
        )
        assert foreign_requests(seen, {live_server.netloc}) == ["http://203.0.113.9/pixel.png"]
        assert any(live_server.netloc in url for url in seen)
    finally:
        page.close()
