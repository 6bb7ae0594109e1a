"""Writes outbox rows for every listing change, and applies them to this machine's index.

* :func:`track_changes` hooks the session: whatever a flush inserts, updates or deletes that shows
  in a service's search document adds a :class:`SearchOutbox` row to the same transaction.
* :func:`apply_outbox` takes the index's write lock (with a timeout; never a silent AsyncWriter),
  re-indexes the services named since the position recorded in the index folder, then records the
  new position. Rows committed out of id order (concurrent transactions on PostgreSQL) are caught
  by re-reading a trailing window of ids and skipping those already applied.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..directory.models import (
    Accessibility,
    Address,
    Attribute,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ..directory.models.base import new_id
from ..extensions import db
from ..i18n.models import TranslatedText
from .models import SearchOutbox

# Ids below the position still re-read, for transactions that committed after a later id.
TRAILING_WINDOW = 2000
POSITION_FILE = "outbox-position.json"
ALL = None  # an outbox row meaning "rebuild everything"


# -- recording changes ---------------------------------------------------------------------------


def _services_at_location(session: Session, location_id: str | None) -> set[str]:
    if not location_id:
        return set()
    return set(session.scalars(select(ServiceAtLocation.service_id).where(ServiceAtLocation.location_id == location_id)))


def _services_of_organization(session: Session, organization_id: str | None) -> set[str]:
    if not organization_id:
        return set()
    return set(session.scalars(select(Service.id).where(Service.organization_id == organization_id)))


def _owner_table_service(session: Session, entity: str, link_id: str) -> set[str]:
    """The service a translated child row (phone, schedule, …) belongs to."""
    table = db.metadata.tables.get(entity)
    if table is None:
        return set()
    if "service_id" in table.c:
        value = session.execute(select(table.c.service_id).where(table.c.id == link_id)).scalar()
        return {value} if value else set()
    if "location_id" in table.c:
        location_id = session.execute(select(table.c.location_id).where(table.c.id == link_id)).scalar()
        return _services_at_location(session, location_id)
    return set()


def affected_services(session: Session, obj: object) -> set[str | None]:
    """Which services' search documents change when ``obj`` changes (None: all of them)."""
    if isinstance(obj, Service):
        return {obj.id}
    if isinstance(obj, TaxonomyTerm):
        return {ALL}
    if isinstance(obj, Organization):
        return set(_services_of_organization(session, obj.id))
    if isinstance(obj, (Location,)):
        return _services_at_location(session, obj.id)
    if isinstance(obj, (Address, Accessibility)):
        return _services_at_location(session, obj.location_id or (obj.location.id if obj.location else None))
    if isinstance(obj, Attribute):
        if obj.link_entity == "service":
            return {obj.link_id} if obj.link_id else set()
        if obj.link_entity == "location":
            return _services_at_location(session, obj.link_id)
        return set()
    if isinstance(obj, TranslatedText):
        if obj.link_entity == "service":
            return {obj.link_id}
        if obj.link_entity == "organization":
            return _services_of_organization(session, obj.link_id)
        if obj.link_entity == "location":
            return _services_at_location(session, obj.link_id)
        if obj.link_entity == "taxonomy_term":
            return {ALL}
        return _owner_table_service(session, obj.link_entity, obj.link_id)
    service = getattr(obj, "service", None)
    if isinstance(service, Service):
        return {service.id}
    service_id = getattr(obj, "service_id", None)
    if service_id:
        return {service_id}
    return set()


def _before_flush(session: Session, flush_context, instances) -> None:
    if session.info.get("outreach.outbox_disabled"):
        return
    changed: set[str | None] = set()
    for obj in session.new:
        # Give new listings their id now (it is otherwise set at INSERT), so the outbox row names
        # the service instead of NULL, which would mean "rebuild everything".
        if isinstance(obj, (Service, Organization, Location)) and obj.id is None:
            obj.id = new_id()
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if isinstance(obj, SearchOutbox):
                continue
            if obj in session.dirty and not session.is_modified(obj, include_collections=True):
                continue
            changed |= affected_services(session, obj)
    pending = session.info.setdefault("outreach.outbox_pending", set())
    new = changed - pending
    if ALL in pending:
        new = set()
    for service_id in sorted(new, key=lambda value: value or ""):
        session.add(SearchOutbox(service_id=service_id))
    pending |= new


def _after_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("outreach.outbox_pending", None)


_installed = False


def track_changes() -> None:
    """Install the session hooks once per process."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_transaction_end", _after_transaction)
    _installed = True


# -- applying changes ----------------------------------------------------------------------------


@dataclass
class Position:
    last_id: int = 0
    recent: tuple[int, ...] = ()  # ids in the trailing window already applied

    @classmethod
    def read(cls, folder: Path) -> Position:
        try:
            data = json.loads((folder / POSITION_FILE).read_text())
            return cls(int(data["last_id"]), tuple(int(i) for i in data.get("recent", ())))
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def write(self, folder: Path) -> None:
        temporary = folder / (POSITION_FILE + ".tmp")
        temporary.write_text(json.dumps({"last_id": self.last_id, "recent": list(self.recent)}))
        os.replace(temporary, folder / POSITION_FILE)


_LATEST = select(func.max(SearchOutbox.id))


def latest_outbox_id() -> int:
    return db.session.scalar(_LATEST) or 0


def pending_rows(position: Position) -> list[tuple[int, str | None]]:
    floor = max(0, position.last_id - TRAILING_WINDOW)
    rows = db.session.execute(
        select(SearchOutbox.id, SearchOutbox.service_id).where(SearchOutbox.id > floor).order_by(SearchOutbox.id)
    ).all()
    done = set(position.recent)
    return [(row_id, service_id) for row_id, service_id in rows if row_id > position.last_id or row_id not in done]


def advance(position: Position, applied: Iterable[int]) -> Position:
    applied = set(applied)
    last_id = max([position.last_id, *applied])
    floor = last_id - TRAILING_WINDOW
    recent = sorted(i for i in set(position.recent) | applied if i > floor)
    return Position(last_id, tuple(recent))


def is_behind(position: Position) -> bool:
    return latest_outbox_id() > position.last_id


__all__ = ["ALL", "Position", "advance", "affected_services", "latest_outbox_id", "pending_rows", "track_changes"]
