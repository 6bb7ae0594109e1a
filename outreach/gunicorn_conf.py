"""gunicorn's configuration for production: ``gunicorn -c outreach/gunicorn_conf.py`` (see README "Production").

Tuned from the environment (each optional):

=========================  =====================  ===============================================
``OUTREACH_BIND``          ``127.0.0.1:8000``     address to listen on (the reverse proxy's upstream)
``OUTREACH_WORKERS``       CPU cores (at least 2) worker processes (each keeps its own index reader and page copies)
``OUTREACH_THREADS``       ``1``                  threads per worker (1: gunicorn's sync worker; see below)
``OUTREACH_TIMEOUT``       ``30``                 seconds before a stuck worker is replaced
``OUTREACH_ACCESS_LOG``    ``-`` (stdout)         access log file; empty turns it off
``OUTREACH_ERROR_LOG``     ``-`` (stderr)         error log file
=========================  =====================  ===============================================

What gets logged is part of the privacy promise. :class:`PrivateLogger` gives the access log only
the time, method, path WITHOUT its query string (a search query never reaches a log), status,
response size and duration: no client address, user agent, referrer, header or cookie, whatever
``access_log_format`` an operator sets; and no line at all for the resident's help pages
(``/<locale>/help/…``), whose times are kept to the day only. Lines of the error log that would carry request data
(gunicorn writes the peer's address and the raw request line on malformed requests, and the full
URI when a request fails) are rewritten to keep only the method and the path.

Forwarded headers are trusted by the app itself, for exactly ``OUTREACH_PROXY_HOPS`` proxies
(``outreach/operations.py``); gunicorn trusts none of them (``forwarded_allow_ips`` is empty).
"""
from __future__ import annotations

import logging
import os
import re

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, not {value}")
    return value


wsgi_app = "outreach:create_app()"
bind = [os.environ.get("OUTREACH_BIND", "127.0.0.1:8000")]
# One single-threaded ("sync") worker per core. Each worker renders and keeps its own copy of every page
# (outreach/site/page_cache.py), so an extra process mostly renders the same pages once more; and threads
# in one worker only take turns at the GIL for work that is almost all Python. On the 2-core machine
# bench/load.py measured, in requests/second (ratio to the bare Flask page): 2 sync workers 917 (0.72),
# 3 sync 706 (0.50), 4 sync 416 (0.40), 2 workers x 4 threads 551 (0.38). Threaded workers also died
# with SIGSEGV under load (5 in one 3-minute run; heap corruption inside CPython while several request
# threads ran, not tied to psycopg's or SQLAlchemy's C code; never seen with sync workers in 0.2 million
# requests): OUTREACH_THREADS above 1 is possible but not advised. A sync worker must not face slow
# clients itself: the reverse proxy in front buffers requests and responses (README "Production").
workers = _int("OUTREACH_WORKERS", max(2, os.cpu_count() or 1))
threads = _int("OUTREACH_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("OUTREACH_TIMEOUT", 30)
graceful_timeout = 20
keepalive = 5
# Each worker builds its own app (database pool, search reader) after the fork: nothing is shared by
# accident, and a worker replaced after a crash starts exactly like the others.
preload_app = False
forwarded_allow_ips = ""  # the app's ProxyFix applies the exact hop count instead
proxy_protocol = False
control_socket_disable = True  # no control socket under the home folder, shared by every instance
accesslog = os.environ.get("OUTREACH_ACCESS_LOG", "-") or None
errorlog = os.environ.get("OUTREACH_ERROR_LOG", "-")
loglevel = "info"
# Time, method, path (no query string), status, bytes, milliseconds. PrivateLogger provides no other atom.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "outreach.gunicorn_conf.PrivateLogger"


# -- logging without personal data ---------------------------------------------------------------

HELP_PATH = re.compile(r"^/[a-z]{2,3}(?:_[A-Z][a-z]{3})?/help(?:/|$)")  # /<locale>/help/…: the resident's help pages
_ATOMS_KEPT = ("t", "m", "U", "s", "B", "b", "T", "D", "M", "L", "p", "H")
_ADDRESS = re.compile(r"\s*(?:from\s+)?\bip=\S*", re.IGNORECASE)
_QUERY = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")
_BAD_REQUEST = re.compile(r"^(Invalid request)\b.*?:\s*(.*)$", re.DOTALL)


def scrub(message: str) -> str:
    """Remove what could identify a person or their search from one error-log message."""
    bad = _BAD_REQUEST.match(message)
    if bad:
        # "Invalid request from ip=…: Invalid HTTP request line: '<the whole raw line>'": keep the kind only.
        kind = bad.group(2).split(":", 1)[0].strip()
        return f"{bad.group(1)}: {kind}" if kind else bad.group(1)
    return _QUERY.sub(r"\1", _ADDRESS.sub("", message))


class _Scrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is dropped, not leaked
            return False
        record.msg, record.args = scrub(message), None
        return True


class PrivateLogger(Logger):
    """gunicorn's logger with the privacy rules above."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(existing, _Scrubber) for existing in self.error_log.filters):
            self.error_log.addFilter(_Scrubber())

    def access(self, resp, req, environ, request_time) -> None:
        """No line at all for the anonymous help flow: not even the time a request was asked or
        followed up is written (the help pages keep times to the day only)."""
        if HELP_PATH.match(environ.get("PATH_INFO") or ""):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time) -> dict:
        every = super().atoms(resp, req, environ, request_time)
        kept = {name: every[name] for name in _ATOMS_KEPT if name in every}
        kept["r"] = f"{every.get('m')} {every.get('U')} {every.get('H')}"  # the request line, no query
        return kept


def post_fork(server, worker):  # noqa: ARG001  (gunicorn's hook signature)
    """A worker that crashes in C code writes the Python stack of every thread to the error log first
    (stacks only: no request data is on them)."""
    import faulthandler
    import sys

    faulthandler.enable(file=sys.stderr, all_threads=True)


def worker_exit(server, worker):  # noqa: ARG001  (gunicorn's hook signature)
    """A worker stopping (restart, scale-down, max requests) writes the anonymous search counts it
    still holds (outreach/search/services.py)."""
    from outreach.search.services import flush_search_counts

    flush_search_counts()
