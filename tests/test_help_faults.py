"""Help requests when things break (issue 6, "Tests that prove the promise"):

* rate limits hold across two server processes sharing Redis (only with OUTREACH_TEST_REDIS_URL, which
  `make test-postgres` sets and `make test` does not:
  collected then, never skipped);
* with Redis unreachable, the help form fails closed (503, a clear message, the crisis line) while
  the directory keeps working;
* killing the server process in the middle of a submission leaves a complete request or none.

The servers here are real processes (``python -m tests.serve``) on loopback ports, over the same
database as the test, so nothing is shared with them but what production shares: the database,
Redis and the configuration.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import func, select

from outreach import create_app
from outreach.extensions import db
from outreach.help.models import KEY_FOR_ORGANIZATION, KEY_FOR_RECEIPT, HelpReply, HelpRequest, HelpRequestKey
from tests.conftest import PROJECT_ROOT, _config, _dispose
from tests.help_fixtures import RECEIPT, build_world
from tests.staff_fixtures import REDIS_URL, clock, staff_config  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

SUBMISSION = {"language": "en", "contact_method": "receipt", "categories": ["harm-reduction"], "area": "97205",
              "message": "Fault-test request: I need naloxone."}


# -- real server processes ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path


@contextmanager
def serve(config: dict, log: Path):
    """A server process for ``config`` (create_app's test configuration), ended on exit."""
    env = {**os.environ, "OUTREACH_TEST_SERVER_CONFIG": json.dumps(config), "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as errors:
        process = subprocess.Popen([sys.executable, "-m", "tests.serve"], cwd=PROJECT_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        line = process.stdout.readline()  # "PORT n", or "" when it died starting
        assert line.startswith("PORT "), f"the server did not start:\n{log.read_text(errors='replace')}"
        yield Server(process, f"http://127.0.0.1:{int(line.split()[1])}", log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        process.stdout.close()


def post(url: str, data: dict, timeout: float = 30) -> tuple[int, str]:
    body = urlencode(data, doseq=True).encode("ascii")
    request = Request(url, data=body, method="POST",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except HTTPError as error:
        return error.code, error.read().decode("utf-8")


def submit_to(server: Server, **fields) -> tuple[int, str]:
    return post(f"{server.url}/en/help/ask", {**SUBMISSION, **fields})


@pytest.fixture
def partners(make_app, clock, tmp_path):  # noqa: F811 (the clock fixture)
    """The test database with two partner organizations (keys, routing rules, members), and the
    configuration the server processes get to serve it."""
    app = make_app(**staff_config())
    build_world(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # no connection of the test's held open while servers write

    def server_config(**extra) -> dict:
        return _config(tmp_path, **staff_config(), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], **extra)

    return app, server_config


def _stored(app) -> tuple[list[HelpRequest], int, int]:
    """Every stored request (with its keys loaded), the number of keys and of replies."""
    with app.app_context():
        db.session.remove()
        requests = list(db.session.scalars(select(HelpRequest)))
        for request in requests:
            request.key_kinds = sorted(k.kind for k in request.keys)
        key_count = db.session.scalar(select(func.count()).select_from(HelpRequestKey))
        reply_count = db.session.scalar(select(func.count()).select_from(HelpReply))
        db.session.expunge_all()
        db.session.remove()
        db.engine.dispose()
    return requests, key_count, reply_count


def _assert_every_request_complete(requests) -> None:
    for request in requests:
        assert request.content and request.public_key and request.receipt_lookup, request.id
        assert request.key_kinds == sorted([KEY_FOR_ORGANIZATION, KEY_FOR_RECEIPT]), (request.id, request.key_kinds)


# -- (a) rate limits across two processes sharing Redis -----------------------------------------------

if REDIS_URL:  # collected only when OUTREACH_TEST_REDIS_URL is set (`make test-postgres` sets it), never skipped

    def test_rate_limits_hold_across_two_processes_sharing_redis(partners, tmp_path):
        import redis

        app, server_config = partners
        prefix = f"outreach-test-faults-{uuid.uuid4().hex}"
        config = server_config(REDIS_URL=REDIS_URL, HELP_SUBMIT_LIMIT="3 per hour", RATELIMIT_KEY_PREFIX=prefix,
                               SESSION_KEY_PREFIX=f"{prefix}:session:")
        store = redis.Redis.from_url(REDIS_URL)
        try:
            with serve(config, tmp_path / "a.log") as first, serve(config, tmp_path / "b.log") as second:
                assert first.process.pid != second.process.pid
                answers = [submit_to(server) for server in (first, second, first)]
                assert [status for status, _ in answers] == [200, 200, 200]
                assert all(RECEIPT.search(body) for _, body in answers)
                # Each process has seen at most two submissions, but together they have seen three.
                for server in (second, first):
                    status, body = submit_to(server)
                    assert status == 429, body[:500]
                    assert 'href="tel:988"' in body
            requests, _keys, _replies = _stored(app)
            assert len(requests) == 3
            _assert_every_request_complete(requests)
            # What the limiter keeps in Redis: opaque keys, never the address.
            stored_keys = [key.decode() for key in store.scan_iter(f"*{prefix}*")]
            assert stored_keys, "the rate limits were not kept in Redis"
            for key in stored_keys:
                assert "127.0.0.1" not in key
        finally:
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
            store.close()


# -- (b) Redis down: the form fails closed, browsing works --------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the with block ends: nothing listens there


@pytest.fixture
def redis_down_app(tmp_path, demo_template):
    """The demo content, with Redis configured at a port where nothing listens."""
    for item in demo_template.iterdir():
        if item.is_dir():
            shutil.copytree(item, tmp_path / item.name)
        else:
            shutil.copy(item, tmp_path / item.name)
    application = create_app(_config(tmp_path, **staff_config(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")))
    yield application
    _dispose(application)


def test_redis_down_fails_the_help_form_closed_and_browsing_works(redis_down_app):
    from outreach.directory import services as directory_services
    from outreach.directory.models import Service

    client = redis_down_app.test_client()
    for method, path, data in (
        ("get", "/en/help/ask", None),
        ("post", "/en/help/ask", SUBMISSION),
        ("get", "/es/help/ask", None),
        ("post", "/es/help/ask", {**SUBMISSION, "language": "es"}),
        ("get", "/ar/help/ask", None),
        ("get", "/en/help/check", None),
        ("post", "/en/help/check", {"receipt": "K7QF-2M9T-AAAA-BBBB-CCCC-DDDD-EEEE"}),
    ):
        response = getattr(client, method)(path, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 503, (path, response.status_code, body[:500])
        assert 'href="tel:988"' in body, path  # the crisis line
        assert "no-store" in response.headers["Cache-Control"]
        if path.startswith("/en/"):
            assert "Requests cannot be sent right now" in body and "cannot take help requests" in body
    with redis_down_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 0
        category = directory_services.category_tree()[0].code
        service = db.session.scalar(select(Service.id).where(Service.status == "active").limit(1))
    for path in ("/en/", "/es/", "/ar/", "/en/help/", "/en/search?q=naloxone", f"/en/categories/{category}",
                 f"/en/services/{service}", "/api/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)


def test_redis_down_mid_visit_still_gives_the_clear_answer(redis_down_app):
    """A resident whose visit began before Redis went down carries a session cookie: the help pages
    must still fail closed with the crisis line, not with a server error."""
    client = redis_down_app.test_client()
    client.set_cookie("outreach-staff", "A" * 43)
    for method, path, data in (("get", "/en/help/ask", None), ("post", "/en/help/ask", SUBMISSION),
                               ("post", "/en/help/check", {"receipt": "K7QF"})):
        response = getattr(client, method)(path, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 503, (path, response.status_code, body[:500])
        assert 'href="tel:988"' in body and "cannot take help requests" in body
    assert client.get("/en/").status_code == 200
    assert client.get("/en/search?q=naloxone").status_code == 200


# -- (c) a crash in the middle of a submission --------------------------------------------------------


def test_killing_the_server_mid_submission_leaves_a_complete_request_or_none(partners, tmp_path):
    app, server_config = partners
    paused = tmp_path / "submission-paused"
    outcome: dict = {}

    def send(server: Server) -> None:
        try:
            outcome["answer"] = submit_to(server, message="Crash-test request.")
        except (URLError, ConnectionError, OSError) as error:  # the server died under it
            outcome["error"] = error

    with serve(server_config(HELP_TEST_PAUSE_BEFORE_COMMIT=str(paused)), tmp_path / "crash.log") as server:
        sender = threading.Thread(target=send, args=(server,), daemon=True)
        sender.start()
        deadline = time.monotonic() + 20
        while not paused.exists():  # the rows are flushed, the transaction still open
            assert time.monotonic() < deadline, server.log.read_text(errors="replace")
            assert server.process.poll() is None, server.log.read_text(errors="replace")
            time.sleep(0.02)
        server.process.send_signal(signal.SIGKILL)
        assert server.process.wait(timeout=10) == -signal.SIGKILL
        sender.join(timeout=10)
    assert "answer" not in outcome, outcome  # no receipt was ever shown for it

    requests, key_count, reply_count = _stored(app)
    _assert_every_request_complete(requests)
    assert requests == [] and key_count == 0 and reply_count == 0  # killed before the commit: nothing
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            assert db.session.execute(db.text("PRAGMA integrity_check")).scalar() == "ok"
            db.session.remove()
            db.engine.dispose()

    # A fresh server on the same database takes the next request whole, and its receipt opens it.
    with serve(server_config(), tmp_path / "after.log") as server:
        status, body = submit_to(server, message="After the crash.")
        assert status == 200, body[:1000]
        receipt = RECEIPT.search(body).group(1)
        status, body = post(f"{server.url}/en/help/check", {"receipt": receipt})
        assert status == 200 and "After the crash." in body, body[:1000]
    requests, key_count, _replies = _stored(app)
    assert len(requests) == 1 and key_count == 2
    _assert_every_request_complete(requests)
