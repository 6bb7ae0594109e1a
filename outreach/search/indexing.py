"""Keeping this machine's index in step with the database (outbox sync, rebuild, check)."""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select

from ..directory.services import now
from ..extensions import db
from . import backend
from .backend import IndexBusy, IndexReport
from .documents import documents
from .models import SearchOutbox
from .outbox import Position, advance, latest_outbox_id, pending_rows


def _rebuild_locked() -> int:
    engine = backend()
    latest = latest_outbox_id()
    count = engine.reindex(documents())
    recent = db.session.scalars(select(SearchOutbox.id).where(SearchOutbox.id > latest - 2000, SearchOutbox.id <= latest))
    Position(latest, tuple(recent)).write(engine.state_dir)
    return count


def reindex(timeout: float = 60.0) -> int:
    """Rebuild the whole index from the database (``flask outreach search reindex``)."""
    with backend().sync_lock(timeout):
        return _rebuild_locked()


def sync(timeout: float = 5.0) -> int:
    """Apply outbox rows this index has not seen. Returns how many services were (re)indexed.

    Raises :class:`IndexBusy` when another process is applying them right now.
    """
    engine = backend()
    with engine.sync_lock(timeout):
        if not engine.exists():
            return _rebuild_locked()
        position = Position.read(engine.state_dir)
        rows = pending_rows(position)
        if not rows:
            return 0
        ids = {service_id for _row, service_id in rows}
        if None in ids or position.last_id == 0 and latest_outbox_id() > len(rows):
            return _rebuild_locked()
        docs = list(documents(ids))
        engine.index(docs, removed_ids=ids - {d.service_id for d in docs})
        advance(position, [row for row, _ in rows]).write(engine.state_dir)
        return len(docs)


def ensure_index() -> bool:
    """Build the index when it is missing (first start, or deleted). Returns True if it was built."""
    if backend().exists():
        return False
    reindex()
    return True


def prune_outbox(keep_days: int = 7) -> int:
    from datetime import timedelta

    cutoff = now() - timedelta(days=keep_days)
    rows = db.session.query(SearchOutbox).filter(SearchOutbox.created_at < cutoff).delete()
    db.session.commit()
    return rows


def check_index() -> IndexReport:
    return backend().check({document.service_id: document.version for document in documents()})


def freshen() -> str | None:
    """Before answering: catch up with other processes' edits. Returns a notice if the index is unusable."""
    engine = backend()
    try:
        latest = latest_outbox_id()
        if has_request_context():
            g.outreach_outbox_latest = latest  # the search's snapshot, read next, asks the same
        if not engine.exists() or latest > Position.read(engine.state_dir).last_id:
            sync(timeout=0.5)
    except IndexBusy:
        if not engine.exists():
            return "rebuilding"
    return None
