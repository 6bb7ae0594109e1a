"""Werkzeug servers for the tests, and a process of its own for the fault tests (tests/test_help_faults.py).

    python -m tests.serve  (configuration as JSON in OUTREACH_TEST_SERVER_CONFIG)

Werkzeug, threaded, on a free loopback port; prints ``PORT <n>`` once it listens. The test owns the
process and ends it (SIGTERM, or SIGKILL to simulate a crash).
"""
from __future__ import annotations

import json
import os
import sys

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from outreach import create_app

_BODY = "outreach.tests.response_body"


class _ClosingRequestHandler(WSGIRequestHandler):
    """Closes the response when the client drops the connection mid-response.

    Werkzeug's development server closes a response only after sending all of it. Chromium cancels
    loads it no longer needs (the favicon of a page it navigates away from), and the open static file
    is then left to the garbage collector: a ResourceWarning, an error under our warning filters, at
    whichever test happens to run then.
    """

    def connection_dropped(self, error, environ=None):
        body = environ.pop(_BODY, None) if environ is not None else None
        if body is not None and hasattr(body, "close"):
            body.close()


def _remember_body(app):
    def application(environ, start_response):
        body = app(environ, start_response)
        environ[_BODY] = body
        return body

    return application


def make_test_server(app) -> BaseWSGIServer:
    """A threaded Werkzeug server for ``app`` on a free loopback port."""
    return make_server(
        "127.0.0.1", 0, _remember_body(app), threaded=True, request_handler=_ClosingRequestHandler
    )


def main() -> None:
    config = json.loads(os.environ["OUTREACH_TEST_SERVER_CONFIG"])
    server = make_test_server(create_app(config))
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
