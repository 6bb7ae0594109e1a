"""Per-process copies of data that pages read on every request and that rarely changes (the taxonomy).

Each kind of cached data has a row in ``data_version`` whose number every change moves, in the
same transaction as the change: a flush that touches a watched model bumps it by itself (see
:func:`watch`), and code that writes with bulk statements calls :func:`bump`. A request reads all
the numbers once (one small query); a process rebuilds its copy only when a number moved. So every
gunicorn worker on every machine sharing the database sees a change with its next request, and none
of them asks the database for the whole taxonomy on every page.

A session that has changed watched data and not yet committed reads its own, fresh copy and never
stores it: a rolled-back change must not outlive its transaction in a shared cache.
"""
from __future__ import annotations

import threading
from time import monotonic
from typing import Any, Callable, TypeVar

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

T = TypeVar("T")

_WATCHERS: dict[str, Callable[[object], bool]] = {}
_PENDING = "outreach_bumped"  # Session.info key: names this transaction has bumped


class DataVersion(db.Model):
    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def watch(name: str, touches: Callable[[object], bool]) -> None:
    """Bump ``name`` whenever a flush adds, changes or deletes an object for which ``touches`` is true."""
    _WATCHERS[name] = touches


def bump(name: str, session: Session | None = None) -> None:
    """Move ``name``'s number in the session's transaction (for writers that bypass the ORM)."""
    session = session or db.session()
    table = DataVersion.__table__
    connection = session.connection()
    moved = connection.execute(update(table).where(table.c.name == name).values(version=table.c.version + 1))
    if moved.rowcount == 0:
        connection.execute(insert(table).values(name=name, version=1))
    session.info.setdefault(_PENDING, set()).add(name)
    if has_request_context():
        g.pop("outreach_data_versions", None)


@event.listens_for(Session, "before_flush")
def _bump_watched(session: Session, _context, _instances) -> None:
    if not _WATCHERS:
        return
    changed = [*session.new, *session.dirty, *session.deleted]
    for name, touches in _WATCHERS.items():
        if any(touches(item) for item in changed):
            bump(name, session)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_PENDING, None) and has_app_context():
        # This process sees its own change with its next request; other processes within the poll time.
        current_app.extensions.get("outreach_versions", {}).pop("seen", None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def data_versions() -> dict[str, int]:
    """Every cached kind's number: read once per request, and by one request of the process per
    ``DATA_VERSION_POLL_SECONDS`` (0: every request). A change committed by this process is seen by
    its next request whatever the poll time; one committed by another process or machine, within it."""

    def read() -> dict[str, int]:
        return {name: version for name, version in db.session.execute(select(DataVersion.name, DataVersion.version))}

    if not has_request_context():
        return read()
    if "outreach_data_versions" in g:
        return g.outreach_data_versions
    poll = current_app.config.get("DATA_VERSION_POLL_SECONDS", 0)
    store: dict[str, Any] = current_app.extensions.setdefault("outreach_versions", {})
    seen = store.get("seen") if poll > 0 else None
    if seen is not None and monotonic() - seen[0] < poll and not db.session().info.get(_PENDING):
        values = seen[1]
    else:
        values = read()
        if poll > 0:
            store["seen"] = (monotonic(), values)
    g.outreach_data_versions = values
    return values


def cached(name: str, build: Callable[[], T], version_of: str | None = None) -> T:
    """This process's copy of ``build()``, rebuilt when the number of ``version_of`` (default: ``name``)
    has moved."""
    version_of = version_of or name
    if version_of in db.session().info.get(_PENDING, ()):
        return build()
    version = data_versions().get(version_of, 0)
    store: dict[str, Any] = current_app.extensions.setdefault("outreach_cache", {})
    entry = store.get(name)
    if entry is not None and entry[0] == version:
        return entry[1]
    lock: threading.Lock = store.setdefault(f"{name}:lock", threading.Lock())
    with lock:  # one thread rebuilds; the others wait for its copy instead of building their own
        entry = store.get(name)
        if entry is not None and entry[0] == version:
            return entry[1]
        value = build()
        store[name] = (version, value)
        return value


LISTINGS = "listings"  # the data version every listing change moves

# What residents see of listings: services, organizations, locations and their parts, campaigns, and
# text in other languages (the taxonomy has a number of its own, see outreach/directory/taxonomy.py).
_LISTING_MODULES = ("outreach.directory.models", "outreach.campaigns.models", "outreach.i18n.models")


def _touches_listings(item: object) -> bool:
    return type(item).__module__.startswith(_LISTING_MODULES)


watch(LISTINGS, _touches_listings)
