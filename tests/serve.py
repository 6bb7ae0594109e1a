"""Serve the app in a process of its own, for the fault tests (tests/test_help_faults.py).

    python -m tests.serve  (configuration as JSON in OUTREACH_TEST_SERVER_CONFIG)

Werkzeug, threaded, on a free loopback port; prints ``PORT <n>`` once it listens. The test owns the
process and ends it (SIGTERM, or SIGKILL to simulate a crash).
"""
from __future__ import annotations

import json
import os
import sys

from werkzeug.serving import make_server

from outreach import create_app


def main() -> None:
    config = json.loads(os.environ["OUTREACH_TEST_SERVER_CONFIG"])
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
