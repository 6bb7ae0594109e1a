"""Server-side staff sessions (Flask-Session) and the sign-in state machine kept in them.

The browser holds only a random session id; the data lives in the database (``staff_session``) or, when
``OUTREACH_REDIS_URL`` is set, in Redis. Resident pages never touch the session, and Flask-Session
writes neither storage nor cookie for an empty, unmodified session: residents get no cookie.

States: anonymous → (password ok) ``pending`` (stage "totp" or "setup") → (second factor ok)
``signed in``. Only the sign-in pages accept a pending session; everything else needs ``signed in``.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request, session
from flask_session.base import ServerSideSession, ServerSideSessionInterface

from ..extensions import db
from . import clock
from .models import StaffSession, User

PENDING = "staff_pending"
SIGNED_IN = "staff_auth"
PENDING_LIFETIME = 600  # seconds to finish the second step after the password
SEEN_RESOLUTION = 60  # seconds: the idle clock is written at most once a minute
# A session without staff state (a resident's help follow-up, or a sign-in form not yet sent) is kept
# in storage this long after its last write, not the staff lifetime, and its expiry is a whole minute.
VISITOR_IDLE_MINUTES = 30


def visitor_deadline(minutes: int = VISITOR_IDLE_MINUTES) -> datetime:
    """The start of the minute ``minutes`` + 1 whole minutes after the current one: at least
    ``minutes`` from now, and never a time to the second."""
    minute = int(clock.now().timestamp()) // 60
    return datetime.fromtimestamp((minute + minutes + 1) * 60, tz=timezone.utc)


def _is_visitor(session) -> bool:
    return PENDING not in session and SIGNED_IN not in session


def storage_expiry(session, lifetime: timedelta) -> datetime:
    """When the stored session expires: the staff lifetime, or a visitor's short, coarse one."""
    return visitor_deadline() if _is_visitor(session) else clock.now() + lifetime


class DatabaseSession(ServerSideSession):
    pass


class DatabaseSessionInterface(ServerSideSessionInterface):
    """Flask-Session's interface over our own migrated ``staff_session`` table.

    Flask-Session's bundled SQLAlchemy store declares its model (and creates its table) at start-up,
    outside Alembic; this one uses a table the migrations own and a connection of its own, so saving a
    session never commits (or fails with) the request's unit of work.
    """

    session_class = DatabaseSession
    ttl = True  # expired rows are skipped on read and pruned on write: no cleanup command needed

    def _table(self) -> sa.Table:
        return StaffSession.__table__

    def _retrieve_session_data(self, store_id: str) -> Optional[dict]:
        table = self._table()
        with db.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.data, table.c.expires_at).where(table.c.session_id == store_id)
            ).first()
        if row is None or clock.as_utc(row.expires_at) <= clock.now():
            return None
        return self.serializer.decode(bytes(row.data))

    def _delete_session(self, store_id: str) -> None:
        table = self._table()
        with db.engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.session_id == store_id))

    def _upsert_session(self, session_lifetime: timedelta, session: ServerSideSession, store_id: str) -> None:
        table = self._table()
        now = clock.now()
        values = {"data": self.serializer.encode(session), "expires_at": storage_expiry(session, session_lifetime)}
        with db.engine.begin() as connection:
            updated = connection.execute(sa.update(table).where(table.c.session_id == store_id).values(**values))
            if not updated.rowcount:
                connection.execute(sa.insert(table).values(session_id=store_id, **values))
            connection.execute(sa.delete(table).where(table.c.expires_at < now))


def _redis_interface():
    from flask_session.redis import RedisSessionInterface
    from redis.exceptions import RedisError

    class RedisDownIsNoSession(RedisSessionInterface):
        """Redis unreachable reads as "no session" instead of failing the whole request. Any browser
        that holds a session cookie (a resident who opened the help form, a staff member) would
        otherwise get a server error on every page, directory included. Staff are then simply not
        signed in (fail closed), and the help pages fail closed at the rate limiter with the crisis line."""

        def _retrieve_session_data(self, store_id: str) -> Optional[dict]:
            try:
                return super()._retrieve_session_data(store_id)
            except RedisError:
                return None

        def _upsert_session(self, session_lifetime: timedelta, session, store_id: str) -> None:
            if not _is_visitor(session):
                return super()._upsert_session(session_lifetime, session, store_id)
            # A visitor's session expires at a whole minute (Redis keeps the absolute expiry).
            seconds = (visitor_deadline() - clock.now()).total_seconds()
            expire_at = round((time.time() + seconds) / 60) * 60
            self.client.set(name=store_id, value=self.serializer.encode(session), exat=expire_at)

    return RedisDownIsNoSession


def store_reachable() -> bool:
    """Whether the session store answers (always, for the database store: without the database
    nothing works anyway). The staff pages and the CSRF error page ask before promising a form."""
    client = current_app.extensions.get("outreach.redis")
    if client is None:
        return True
    from redis.exceptions import RedisError

    try:
        client.ping()
    except (RedisError, OSError):
        return False
    return True


def _staff_pages_need_the_store():
    """Staff pages live in the session: with its store down they fail closed with a clear 503
    (a sign-in form that could never be sent, or a 500, would be worse). Resident pages never ask."""
    if request.path.startswith("/staff/") and not store_reachable():
        abort(503)


def init_app(app: Flask) -> None:
    common: dict[str, Any] = dict(
        app=app,
        key_prefix=app.config["SESSION_KEY_PREFIX"],
        use_signer=False,
        permanent=app.config["SESSION_PERMANENT"],
        sid_length=32,
        serialization_format="msgpack",
    )
    if app.config.get("REDIS_URL"):
        import redis

        # Bounded waits: an unreachable Redis must fail a request in seconds, not hang a worker.
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
        app.extensions["outreach.redis"] = client
        app.session_interface = _redis_interface()(client=client, **common)
        app.before_request(_staff_pages_need_the_store)
    else:
        app.session_interface = DatabaseSessionInterface(**common)


# -- the state machine --------------------------------------------------------------------------------


def _timestamp() -> int:
    return int(clock.now().timestamp())


def rotate() -> None:
    """A fresh session id, the old one deleted from storage (at each step of signing in)."""
    data = dict(session)
    current_app.session_interface.regenerate(session)
    session.clear()
    session.update({k: v for k, v in data.items() if k in (PENDING, SIGNED_IN)})
    session.modified = True


def begin_pending(user: User, stage: str, **extra: Any) -> None:
    session.clear()
    session[PENDING] = {"uid": user.id, "epoch": user.session_epoch, "stage": stage, "at": _timestamp(), **extra}
    rotate()


def pending_user(stage: str) -> User | None:
    """The user between the two steps, if the session is at ``stage`` and not stale."""
    state = session.get(PENDING)
    if not state or state.get("stage") != stage or _timestamp() - state.get("at", 0) > PENDING_LIFETIME:
        return None
    user = db.session.get(User, state["uid"])
    if user is None or not user.is_active or user.session_epoch != state.get("epoch"):
        return None
    return user


def pending_value(key: str) -> Any:
    return (session.get(PENDING) or {}).get(key)


def set_pending_value(key: str, value: Any) -> None:
    state = dict(session.get(PENDING) or {})
    state[key] = value
    session[PENDING] = state


def sign_in(user: User) -> None:
    """Both factors passed: a new session id, the clocks started."""
    now = _timestamp()
    session.clear()
    session[SIGNED_IN] = {"uid": user.id, "epoch": user.session_epoch, "auth_at": now, "seen_at": now}
    rotate()


def refresh_epoch(user: User) -> None:
    """After this user's own password change: keep this session (with a new id), end all others."""
    state = dict(session.get(SIGNED_IN) or {})
    state["epoch"] = user.session_epoch
    session[SIGNED_IN] = state
    rotate()


def sign_out() -> None:
    session.clear()


def signed_in_user() -> User | None:
    """The signed-in user, or None when the session is missing, stale, idle too long or revoked."""
    state = session.get(SIGNED_IN)
    if not state:
        return None
    now = _timestamp()
    config = current_app.config
    idle = config["STAFF_IDLE_MINUTES"] * 60
    absolute = config["STAFF_ABSOLUTE_HOURS"] * 3600
    user = db.session.get(User, state.get("uid"))
    if (
        user is None
        or not user.is_active
        or user.session_epoch != state.get("epoch")
        or now - state.get("auth_at", 0) >= absolute
        or now - state.get("seen_at", 0) >= idle
    ):
        session.clear()
        g.staff_session_ended = True
        return None
    if now - state["seen_at"] >= SEEN_RESOLUTION:
        state = dict(state)
        state["seen_at"] = now
        session[SIGNED_IN] = state
    return user
