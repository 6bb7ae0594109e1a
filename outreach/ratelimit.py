"""Rate limits for the help pages, and the ONE place in Outreach that reads the client address.

The address is never stored, logged or passed on: it is turned at once into an HMAC under a secret
that changes every day (derived from ``SECRET_KEY`` and the date), and only that opaque key reaches
the rate-limit storage. Tomorrow's keys cannot be linked to today's, and without ``SECRET_KEY`` no
key can be linked to an address at all. ``tests/test_accounts.py`` checks that no other module
mentions the address.

Flask-Limiter provides the storage (Redis when ``OUTREACH_REDIS_URL`` is set, memory otherwise) and
the moving-window strategy. Views check limits explicitly (:func:`allowed`, :func:`hit`) rather than
with decorators, because a wrong receipt must count and a right one must not, and because a storage
failure must close the help form with a clear message (:class:`LimiterUnavailable`) while browsing,
which never touches the limiter, keeps working.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import parse
from limits.errors import StorageError
from redis.exceptions import RedisError

from .accounts import clock


class LimiterUnavailable(Exception):
    """The rate-limit storage cannot be reached: fail closed."""


def _daily_secret() -> bytes:
    day = clock.now().date().isoformat()
    return hmac.new(current_app.config["SECRET_KEY"].encode("utf-8"), b"outreach-ratelimit:" + day.encode("ascii"),
                    hashlib.sha256).digest()


def client_key() -> str:
    """An opaque, daily-rotating key for the client: HMAC(daily secret, address)."""
    address = (request.remote_addr or "").encode("utf-8")
    return hmac.new(_daily_secret(), address, hashlib.sha256).hexdigest()[:32]


def init_app(app: Flask) -> None:
    uri = app.config.get("REDIS_URL") or "memory://"
    limiter = Limiter(key_func=client_key, storage_uri=uri, default_limits=[], headers_enabled=False,
                      swallow_errors=False, in_memory_fallback_enabled=False, strategy="moving-window",
                      key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "outreach-limit"))
    limiter.init_app(app)
    app.extensions["outreach.limiter"] = limiter
    app.extensions["outreach.limiter_prefix"] = app.config.get("RATELIMIT_KEY_PREFIX", "outreach-limit")


def _check(name: str, limit: str, *, record: bool) -> bool:
    limiter: Limiter = current_app.extensions["outreach.limiter"]
    item = parse(limit)
    identifiers = (current_app.extensions["outreach.limiter_prefix"], name, client_key())
    try:
        if record:
            return limiter.limiter.hit(item, *identifiers)
        return limiter.limiter.test(item, *identifiers)
    except (OSError, RedisError, StorageError) as error:  # never the address in the message
        raise LimiterUnavailable(type(error).__name__) from None


def allowed(name: str, limit: str) -> bool:
    """True when the client has not used up ``limit`` for ``name`` (counts nothing)."""
    return _check(name, limit, record=False)


def hit(name: str, limit: str) -> bool:
    """Count one use of ``name``; False when that went over ``limit``."""
    return _check(name, limit, record=True)
