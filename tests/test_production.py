"""The production set-up (issue 7, items 4 and 6): gunicorn's configuration, the health endpoint, the
reverse proxy's hop count.

* ``outreach/gunicorn_conf.py`` serves the demo site under real gunicorn; its access log has method,
  path, status and duration, and never a search query, address, user agent or referrer, whatever
  the request carried (malformed requests included, which gunicorn reports in its error log).
* ``GET /healthz``: 200 with the database reachable and the index lag in seconds (0 once synced, the
  age of the oldest unapplied outbox row otherwise), 503 when the database cannot be reached; nothing
  else in it, no cookie, never cached.
* ``PROXY_HOPS``: with 0 no forwarded address is believed (a client cannot pick its own rate-limit
  key); with 1 the address the one proxy appended is used, and one the client forged is not.
"""
from __future__ import annotations

import re
import shutil
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import update
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach import create_app
from outreach.config import load_settings
from outreach.extensions import db
from outreach.gunicorn_conf import scrub
from tests import gunicorn_process
from tests.conftest import PROJECT_ROOT, TEST_SEARCH_BACKEND, _config, _dispose

MARKED_QUERY = "zqxprodquery"
MARKED_ADDRESS = "203.0.113.99"
MARKED_AGENT = "ZqxProdAgent/9.9"
MARKED_REFERRER = "https://referrer.example/zqxprodref"


def _copy_demo(demo_template: Path, folder: Path) -> Path:
    shutil.copytree(demo_template, folder)
    return folder


# -- gunicorn with the production configuration ---------------------------------------------------


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *[f"{name}: {value}" for name, value in (headers or {}).items()]]
    answer = _raw(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    return int(answer.split(b" ", 2)[1]), answer


@pytest.fixture
def gunicorn_site(tmp_path, demo_template):
    """The demo site under ``gunicorn -c outreach/gunicorn_conf.py`` (2 workers) on a free port."""
    folder = _copy_demo(demo_template, tmp_path / "instance")
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    env = gunicorn_process.server_env(
        OUTREACH_INSTANCE_PATH=str(folder), OUTREACH_DATABASE_URL=f"sqlite:///{folder / 'outreach.sqlite3'}",
        OUTREACH_SECRET_KEY="test-secret-key-for-the-production-tests", OUTREACH_SEARCH_BACKEND=TEST_SEARCH_BACKEND,
        OUTREACH_ACCESS_LOG=str(access_log), OUTREACH_ERROR_LOG=str(error_log))
    process = gunicorn_process.start(env)
    try:
        port = gunicorn_process.wait_until_serving(process, error_log, lambda port: _get(port, "/healthz")[0] == 200)
        yield port, access_log, error_log
    finally:
        gunicorn_process.stop(process)


def test_gunicorn_logs_carry_no_query_address_agent_or_referrer(gunicorn_site):
    port, access_log, error_log = gunicorn_site
    marked = {"User-Agent": MARKED_AGENT, "Referer": MARKED_REFERRER, "X-Forwarded-For": MARKED_ADDRESS,
              "Cookie": f"outreach-staff={MARKED_QUERY}"}
    answers = [
        _get(port, f"/en/search?{urlencode({'q': MARKED_QUERY + ' naloxone'})}", marked),
        _get(port, f"/es/search?{urlencode({'q': MARKED_QUERY, 'near': '97205'})}", marked),
        _get(port, f"/en/no-such-page?q={MARKED_QUERY}", marked),
        _get(port, f"/healthz?probe={MARKED_QUERY}", marked),
        _get(port, "/en/", marked),
    ]
    assert [status for status, _ in answers] == [200, 200, 404, 200, 200]
    # Malformed requests: gunicorn's own error log names the peer and the raw request line.
    _raw(port, f"GET /en/search?q={MARKED_QUERY} HTTP/1.1 trailing\r\n\r\n".encode())
    _raw(port, f"GET /en/search?q={MARKED_QUERY} HTTP/9.9\r\nHost: x\r\n\r\n".encode())
    _raw(port, f"GARBAGE\x01 /{MARKED_QUERY}\r\n\r\n".encode())

    deadline = time.monotonic() + 10
    while access_log.read_text().count("\n") < len(answers) and time.monotonic() < deadline:
        time.sleep(0.05)
    access, errors = access_log.read_text(), error_log.read_text()
    for line in ('"GET /en/search" 200', '"GET /es/search" 200', '"GET /en/no-such-page" 404', '"GET /healthz" 200',
                 '"GET /en/" 200'):
        assert line in access, access
    assert re.search(r'^\[[^\]]+\] "GET /en/search" 200 \d+ \d+ms$', access, re.MULTILINE), access
    assert "Invalid request" in errors, errors  # the malformed requests were seen, and reported ...
    for secret in (MARKED_QUERY, MARKED_ADDRESS, MARKED_AGENT, "ZqxProdAgent", "zqxprodref", "127.0.0.1 -", "ip="):
        assert secret not in access, (secret, access)
        assert secret not in errors, (secret, errors)  # ... without what the client sent
    assert not re.search(r"\?\S", access)  # no query string at all


def test_scrub_keeps_the_kind_of_problem_and_drops_request_data():
    assert scrub(f"Invalid request from ip=198.51.100.7: Invalid HTTP request line: 'GET /x?q={MARKED_QUERY} HTTP/1.1 x'") \
        == "Invalid request: Invalid HTTP request line"
    assert scrub(f"Error handling request GET /en/search?q={MARKED_QUERY}") == "Error handling request GET /en/search"
    assert scrub("Booting worker with pid: 12") == "Booting worker with pid: 12"


def test_gunicorn_runs_single_threaded_workers_by_default(monkeypatch):
    """Threaded workers died with SIGSEGV under load (outreach/gunicorn_conf.py): sync is the default."""
    import importlib

    import outreach.gunicorn_conf as conf

    for name in ("OUTREACH_WORKERS", "OUTREACH_THREADS"):
        monkeypatch.delenv(name, raising=False)
    reloaded = importlib.reload(conf)
    assert (reloaded.threads, reloaded.worker_class) == (1, "sync")
    assert reloaded.workers >= 2


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    import importlib

    import outreach.gunicorn_conf as conf

    monkeypatch.setenv("OUTREACH_WORKERS", "5")
    monkeypatch.setenv("OUTREACH_THREADS", "3")
    monkeypatch.setenv("OUTREACH_BIND", "127.0.0.1:9100")
    try:
        reloaded = importlib.reload(conf)
        assert (reloaded.workers, reloaded.threads, reloaded.bind) == (5, 3, ["127.0.0.1:9100"])
        assert reloaded.forwarded_allow_ips == ""  # gunicorn trusts no forwarded header; the app counts hops
        monkeypatch.setenv("OUTREACH_WORKERS", "many")
        with pytest.raises(ValueError, match="OUTREACH_WORKERS must be a whole number"):
            importlib.reload(conf)
    finally:
        monkeypatch.delenv("OUTREACH_WORKERS")
        monkeypatch.delenv("OUTREACH_THREADS")
        monkeypatch.delenv("OUTREACH_BIND")
        importlib.reload(conf)


# -- /healthz --------------------------------------------------------------------------------------


@pytest.mark.db
def test_health_reports_the_database_and_the_index_lag_and_nothing_else(make_app):
    from outreach.search import indexing
    from outreach.search.models import SearchOutbox
    from tests import factories

    app = make_app()
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "index_lag_seconds": 0.0}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Set-Cookie") == []
    assert "Server" not in response.headers and "version" not in response.get_data(as_text=True).lower()

    with app.app_context():
        indexing.sync()
        factories.service(name="Lagging listing")  # an edit this machine's index has not applied yet
        db.session.execute(update(SearchOutbox).values(created_at=datetime.now(timezone.utc) - timedelta(seconds=90)))
        db.session.commit()
        db.session.remove()
    lag = client.get("/healthz").get_json()["index_lag_seconds"]
    assert 90 <= lag < 150, lag
    with app.app_context():
        indexing.sync()
        db.session.remove()
    assert client.get("/healthz").get_json()["index_lag_seconds"] == 0.0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_health_is_503_when_the_database_cannot_be_reached(tmp_path):
    app = create_app(_config(tmp_path, DATABASE_URL=f"postgresql+psycopg://root@127.0.0.1:{_closed_port()}/nothing"))
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers.getlist("Set-Cookie") == []
        assert "127.0.0.1" not in response.get_data(as_text=True)
    finally:
        _dispose(app)


# -- the reverse proxy's hop count -----------------------------------------------------------------


def _wrong_receipts(client, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/en/help/check", data={"receipt": "K7QF-2M9T-AAAA-BBBB-CCCC-DDDD-EEEE"}, headers=headers).status_code


@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_addresses_are_believed_for_exactly_the_configured_hops(tmp_path, demo_template, hops):
    folder = _copy_demo(demo_template, tmp_path / "instance")
    app = create_app(_config(folder, PROXY_HOPS=hops, WTF_CSRF_ENABLED=False, HELP_RECEIPT_LIMIT="1 per hour"))
    try:
        assert isinstance(app.wsgi_app, ProxyFix) == bool(hops)
        client = app.test_client()
        assert _wrong_receipts(client, "198.51.100.1") == 200  # one wrong receipt allowed ...
        assert _wrong_receipts(client, "198.51.100.1") == 429  # ... then the limit
        # Another resident behind the same proxy: a key of their own only when the proxy is trusted.
        assert _wrong_receipts(client, "198.51.100.2") == (200 if hops else 429)
        # A client forging its own header in front of the proxy's: the proxy's (last) entry counts.
        assert _wrong_receipts(client, "192.0.2.50, 198.51.100.1") == 429
    finally:
        _dispose(app)


def test_proxy_hops_must_not_be_negative():
    with pytest.raises(ValueError, match="OUTREACH_PROXY_HOPS"):
        load_settings(environ={"OUTREACH_PROXY_HOPS": "-1"})


def test_the_access_log_writes_no_line_for_the_help_flow(tmp_path):
    """The anonymous help pages leave no trace in the access log, not even the time they were used."""
    from datetime import timedelta as duration
    from types import SimpleNamespace

    from gunicorn.config import Config

    from outreach.gunicorn_conf import PrivateLogger

    log = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log))
    logger = PrivateLogger(config)
    for path in ("/en/help/", "/ar/help/check", "/zh_Hant/help", "/en/search", "/en/helpful-page", "/staff/help/inbox"):
        environ = {"REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1"}
        logger.access(SimpleNamespace(status="200 OK", headers=[], sent=10), SimpleNamespace(headers=[]), environ,
                      duration(milliseconds=3))
    for handler in list(logger.access_log.handlers):
        handler.close()
        logger.access_log.removeHandler(handler)
    written = log.read_text()
    assert "/en/search" in written and "/en/helpful-page" in written and "/staff/help/inbox" in written
    assert "/en/help" not in written.replace("/en/helpful-page", "") and "/ar/help" not in written and "/zh_Hant/help" not in written


def test_the_access_log_has_no_atom_for_the_address_agent_referrer_or_query():
    """Whatever access_log_format an operator sets, PrivateLogger offers none of these to it."""
    from datetime import timedelta as duration
    from types import SimpleNamespace

    from gunicorn.config import Config

    from outreach.gunicorn_conf import PrivateLogger

    config = Config()
    config.set("accesslog", None)
    logger = PrivateLogger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/en/search?q={MARKED_QUERY}", "PATH_INFO": "/en/search",
               "QUERY_STRING": f"q={MARKED_QUERY}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": MARKED_ADDRESS,
               "HTTP_USER_AGENT": MARKED_AGENT, "HTTP_REFERER": MARKED_REFERRER}
    request = SimpleNamespace(headers=[("USER-AGENT", MARKED_AGENT), ("REFERER", MARKED_REFERRER)])
    response = SimpleNamespace(status="200 OK", headers=[("Set-Cookie", "x")], sent=512)
    atoms = logger.atoms(response, request, environ, duration(milliseconds=12))
    assert not {"h", "a", "f", "q", "u", "l"} & set(atoms)
    assert not any(name.startswith("{") for name in atoms)  # no header or environ atoms either
    assert atoms["r"] == "GET /en/search HTTP/1.1" and atoms["U"] == "/en/search" and atoms["M"] == 12
    assert MARKED_QUERY not in repr(atoms) and MARKED_ADDRESS not in repr(atoms) and MARKED_AGENT not in repr(atoms)
