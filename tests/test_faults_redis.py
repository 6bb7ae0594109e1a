"""Redis going away and coming back, with CSRF on as in production (issue 7, item 8).

A private ``redis-server`` on a free loopback port (never the machine's Redis) holds the sessions
and the rate limits; the test stops it in the middle of a visit:

* browsing, searching and listing pages keep working;
* a help form opened before Redis went down is refused with the help pages' own clear answer (503,
  "Requests cannot be sent right now", the crisis line), not "this form has expired", and nothing is
  stored;
* staff pages fail closed with a clear, translated 503 (not a 500, not a form that cannot be sent);
* when Redis is back the same app (no restart) serves the help form and staff sign-in again.

``tests/test_help_faults.py`` covers Redis unreachable from the start (a closed port) and shared
limits across processes; this file covers Redis stopping under a running app.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.directory.models import Organization
from outreach.extensions import db
from outreach.help.models import HelpRequest
from tests.staff_fixtures import CHEAP_HASHING, clock, csrf_token  # noqa: F401  (the clock fixture)

pytestmark = pytest.mark.db

SUBMISSION = {"language": "en", "contact_method": "receipt", "categories": ["harm-reduction"], "area": "97205",
              "message": "Redis-fault request: I need naloxone."}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own: no persistence, loopback only, stopped and started at will."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the Redis fault tests (Debian's redis-server package)"
        self.binary, self.folder, self.port = binary, folder, _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert self.process.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_on_private_redis(make_app, clock, redis_server):  # noqa: F811 (the clock fixture)
    from tests import factories
    from tests.help_fixtures import build_world

    # CSRF stays on (the default): the token lives in the Redis session, as in production.
    application = make_app(REDIS_URL=redis_server.url, **CHEAP_HASHING)
    world = build_world(application)  # receiving organizations, so a submission with Redis up is stored
    with application.app_context():
        organization = db.session.get(Organization, world.org_a)
        application.config["TEST_SERVICE_ID"] = factories.service(organization, name="Naloxone outreach van").id
        db.session.remove()
    return application


def _stored_requests(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(HelpRequest))
        db.session.remove()
    return count


def test_redis_stopping_mid_visit_fails_help_and_staff_closed_and_browsing_goes_on(app_on_private_redis, redis_server):
    app = app_on_private_redis
    resident, staff = app.test_client(), app.test_client()

    # Redis up: the form works end to end (its token lives in a Redis session).
    form = resident.get("/en/help/ask")
    assert form.status_code == 200
    response = resident.post("/en/help/ask", data={**SUBMISSION, "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert response.status_code == 200 and "receipt" in response.get_data(as_text=True).lower()
    assert _stored_requests(app) == 1
    form = resident.get("/en/help/ask")  # the resident opens the form again ...
    token = csrf_token(form.get_data(as_text=True))
    login = staff.get("/staff/login")
    assert login.status_code == 200
    staff_token = csrf_token(login.get_data(as_text=True))

    redis_server.stop()  # ... and Redis goes away before they send it

    response = resident.post("/en/help/ask", data={**SUBMISSION, "csrf_token": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert "Requests cannot be sent right now" in body and "Nothing you typed was kept" in body
    assert "This form has expired" not in body
    assert 'href="tel:988"' in body and "no-store" in response.headers["Cache-Control"]
    assert _stored_requests(app) == 1  # nothing more was stored

    for path in ("/en/help/ask", "/es/help/ask", "/en/help/check"):
        response = resident.get(path)
        assert response.status_code == 503 and 'href="tel:988"' in response.get_data(as_text=True), path
    spanish = resident.post("/es/help/ask", data={**SUBMISSION, "language": "es", "csrf_token": token})
    assert spanish.status_code == 503 and 'lang="es"' in spanish.get_data(as_text=True)

    for method, path, data in (("get", "/staff/login", None),
                               ("post", "/staff/login", {"email": "a@example.org", "password": "x" * 12,
                                                         "csrf_token": staff_token}),
                               ("get", "/staff/", None)):
        response = getattr(staff, method)(path, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 503, (method, path, response.status_code, body[:300])
        assert "This page is not available right now" in body and "Nothing you sent was kept" in body
        assert "Traceback" not in body and 'href="tel:988"' in body

    service = app.config["TEST_SERVICE_ID"]
    for path in ("/en/", "/ar/", "/en/search?q=naloxone", f"/en/services/{service}", "/en/help/", "/healthz"):
        assert resident.get(path).status_code == 200, path

    redis_server.start()  # back on the same port: the running app recovers by itself
    form = resident.get("/en/help/ask")
    assert form.status_code == 200
    response = resident.post("/en/help/ask", data={**SUBMISSION, "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert _stored_requests(app) == 2
    assert staff.get("/staff/login").status_code == 200
