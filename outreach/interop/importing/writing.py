"""Checked rows → the database: compare with what is stored, then write the differences in bulk.

Rows are matched by their HSDS id, so importing a file twice changes nothing the second time. For each
record the file describes, the child rows the file gives (a service's phones, a location's addresses …)
replace the stored ones; records the file does not mention are never touched, and nothing an import
leaves out deletes an organization, a service or a location.

Writing goes through SQLAlchemy Core in batches (executemany) rather than one ORM object per row:
that is what lets 50,000 services import in well under two minutes. The session hook that writes an
outbox row per changed listing does not see Core statements, so this module writes the search outbox
rows itself, in the same transaction: one per changed service, or one "rebuild everything" row when
the taxonomy changed or too many services did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, insert, select, update

from ...caching import LISTINGS, bump
from ...extensions import db
from .mapping import ORDER, TRANSLATABLE, Mapped, Row, zone_for_offset

BATCH = 500
# More changed services than this: one "rebuild everything" outbox row instead of one row each.
OUTBOX_ROWS_LIMIT = 2000
KINDS = ("organization", "service", "location", "taxonomy", "taxonomy_term")
# Child rows a record's file description replaces: (parent table, child table, the child's column).
CHILDREN = (
    ("service", "phone", "service_id"), ("service", "schedule", "service_id"),
    ("service", "service_area", "service_id"), ("service", "language", "service_id"),
    ("service", "cost_option", "service_id"), ("service", "required_document", "service_id"),
    ("service", "service_at_location", "service_id"),
    ("location", "address", "location_id"), ("location", "accessibility", "location_id"),
    ("location", "phone", "location_id"), ("location", "language", "location_id"),
    ("organization", "phone", "organization_id"), ("phone", "language", "phone_id"),
)
ATTRIBUTE_OWNERS = ("service", "location", "organization")
# Which listing a child row's change shows on (for the created/updated/unchanged counts).
OWNER_COLUMNS = {
    "phone": (("service_id", "service"), ("location_id", "location"), ("organization_id", "organization")),
    "schedule": (("service_id", "service"),),
    "service_area": (("service_id", "service"),),
    "language": (("service_id", "service"), ("location_id", "location")),
    "cost_option": (("service_id", "service"),),
    "required_document": (("service_id", "service"),),
    "service_at_location": (("service_id", "service"),),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
}


@dataclass
class Summary:
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {k: {"created": 0, "updated": 0, "unchanged": 0}
                                                                        for k in KINDS})
    removed: dict[str, int] = field(default_factory=dict)  # child rows the file no longer lists
    ignored: dict[str, int] = field(default_factory=dict)  # HSDS tables this site does not keep
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    reindex: str = "nothing"  # "nothing", "N services" or "everything"


@dataclass
class _Plan:
    inserts: dict[str, list[dict]] = field(default_factory=dict)
    updates: dict[str, list[dict]] = field(default_factory=dict)
    deletes: dict[str, dict[str, str | None]] = field(default_factory=dict)  # table → id → owner id
    stale: list[dict] = field(default_factory=list)  # translations whose source text changed
    changed: dict[str, set[str]] = field(default_factory=dict)  # kind → ids created or updated
    created: dict[str, set[str]] = field(default_factory=dict)


def _same(stored: Any, new: Any) -> bool:
    if stored in ("", None) and new in ("", None):  # HSDS leaves empty text out: empty and absent agree
        return True
    if isinstance(stored, datetime) and isinstance(new, datetime):
        if stored.tzinfo is None:
            stored = stored.replace(tzinfo=timezone.utc)
        if new.microsecond == 0:  # a CSV gives whole seconds: the same moment, to the second
            stored = stored.replace(microsecond=0)
        return stored == new
    return stored == new


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored(table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    model = db.metadata.tables[table]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in db.session.execute(select(model).where(model.c.id.in_(chunk))).mappings():
            found[row["id"]] = dict(row)
    return found


def _default_zone() -> str:
    return db.metadata.tables["schedule"].c.timezone_name.default.arg


def _prepare(table: str, row: Row, stored: dict[str, Any] | None, mapped: Mapped) -> dict[str, Any]:
    values = dict(row.values)
    if table == "schedule":
        offset = values["timezone_name"]
        current = stored["timezone_name"] if stored else None
        if offset is None:
            values["timezone_name"] = current or _default_zone()
        else:
            values["timezone_name"] = zone_for_offset(offset, (current, _default_zone()))
    if table == "location" and values["is_address_confidential"] and stored:
        # An export leaves a confidential place's coordinates and directions out: keep ours.
        for column in ("latitude", "longitude", "transportation"):
            if values[column] is None:
                values.pop(column)
    if table == "taxonomy_term" and stored and stored["language"] is None and values["language"] == stored["source_locale"]:
        values["language"] = None  # the export names the source language when the term has none of its own
    if stored is None and "source_locale" in db.metadata.tables[table].c:
        values["source_locale"] = mapped.default_locale
    return values


def _plan(mapped: Mapped) -> _Plan:
    plan = _Plan()
    for table in ORDER:
        rows = mapped.rows[table]
        stored_rows = _stored(table, sorted(rows))
        inserts, updates = [], []
        for row_id, row in rows.items():
            stored = stored_rows.get(row_id)
            values = _prepare(table, row, stored, mapped)
            if stored is None:
                inserts.append(values)
                plan.created.setdefault(table, set()).add(row_id)
                plan.changed.setdefault(table, set()).add(row_id)
                continue
            differing = [c for c, v in values.items() if not _same(stored.get(c), v)]
            if not differing:
                continue
            updates.append(values)
            plan.changed.setdefault(table, set()).add(row_id)
            for column in set(differing) & set(TRANSLATABLE.get(table, ())):
                plan.stale.append({"b_entity": table, "b_link": row_id, "b_field": column})
        plan.inserts[table], plan.updates[table] = inserts, updates
    _plan_removals(mapped, plan)
    return plan


def _plan_removals(mapped: Mapped, plan: _Plan) -> None:
    rows = mapped.rows
    with_address = {a.values["location_id"] for a in rows["address"].values()}
    confidential_without_address = {location_id for location_id, row in rows["location"].items()
                                    if row.values["is_address_confidential"] and location_id not in with_address}
    for parent, child, column in CHILDREN:
        parents = [pid for pid, row in rows[parent].items() if child in row.given]
        if parent == "location" and child == "address":
            # A confidential place's address is never in an export: its absence removes nothing.
            parents = [pid for pid in parents if pid not in confidential_without_address]
        model = db.metadata.tables[child]
        for chunk in _chunks(parents):
            for child_id, owner in db.session.execute(
                select(model.c.id, model.c[column]).where(model.c[column].in_(chunk))
            ):
                if child_id not in rows[child]:
                    plan.deletes.setdefault(child, {})[child_id] = owner
    attribute = db.metadata.tables["attribute"]
    for parent in ATTRIBUTE_OWNERS:
        parents = [pid for pid, row in rows[parent].items() if "attribute" in row.given]
        for chunk in _chunks(parents):
            for child_id, owner in db.session.execute(
                select(attribute.c.id, attribute.c.link_id).where(attribute.c.link_entity == parent,
                                                                  attribute.c.link_id.in_(chunk))
            ):
                if child_id not in rows["attribute"]:
                    plan.deletes.setdefault("attribute", {})[child_id] = owner
    # The languages of a phone that goes go with it.
    phones = sorted(plan.deletes.get("phone", {}))
    language = db.metadata.tables["language"]
    for chunk in _chunks(phones):
        for child_id, owner in db.session.execute(select(language.c.id, language.c.phone_id)
                                                  .where(language.c.phone_id.in_(chunk))):
            plan.deletes.setdefault("language", {})[child_id] = None


def _owners(mapped: Mapped, plan: _Plan) -> dict[str, set[str]]:
    """Listings whose own row or child rows change, by kind."""
    touched: dict[str, set[str]] = {kind: set(plan.changed.get(kind, ())) for kind in KINDS}
    for table, ids in plan.changed.items():
        for row_id in ids:
            values = mapped.rows[table][row_id].values
            for column, kind in OWNER_COLUMNS.get(table, ()):
                if values.get(column):
                    touched[kind].add(values[column])
            if table == "attribute" and values["link_entity"] in touched:
                touched[values["link_entity"]].add(values["link_id"])
    for table, deleted in plan.deletes.items():
        for row_id, owner in deleted.items():
            if owner is None:
                continue
            if table == "attribute":
                for kind in ATTRIBUTE_OWNERS:
                    if owner in mapped.rows[kind]:
                        touched[kind].add(owner)
            else:
                for _, kind in OWNER_COLUMNS.get(table, ()):
                    if owner in mapped.rows[kind]:
                        touched[kind].add(owner)
    return touched


def _summarize(mapped: Mapped, plan: _Plan, summary: Summary) -> dict[str, set[str]]:
    touched = _owners(mapped, plan)
    for kind in KINDS:
        created = plan.created.get(kind, set())
        counts = summary.counts[kind]
        counts["created"] = len(created)
        counts["updated"] = len((touched[kind] - created) & set(mapped.rows[kind]))
        counts["unchanged"] = len(mapped.rows[kind]) - counts["created"] - counts["updated"]
    summary.removed = {table: len(ids) for table, ids in plan.deletes.items() if ids}
    summary.ignored = dict(mapped.ignored)
    summary.notes = list(mapped.notes)
    return touched


def _apply(plan: _Plan) -> None:
    tt = db.metadata.tables["translated_text"]
    for table in reversed(ORDER):  # children first
        ids = sorted(plan.deletes.get(table, {}))
        model = db.metadata.tables[table]
        for chunk in _chunks(ids):
            db.session.execute(delete(model).where(model.c.id.in_(chunk)))
            if table in TRANSLATABLE:
                db.session.execute(delete(tt).where(tt.c.link_entity == table, tt.c.link_id.in_(chunk)))
    for table in ORDER:
        model = db.metadata.tables[table]
        if plan.inserts.get(table):
            for chunk in _chunks(plan.inserts[table], 2000):
                db.session.execute(insert(model), chunk)
        groups: dict[tuple[str, ...], list[dict]] = {}
        for values in plan.updates.get(table, ()):
            params = {key: value for key, value in values.items() if key != "id"}
            params["b_id"] = values["id"]
            groups.setdefault(tuple(sorted(params)), []).append(params)
        for params in groups.values():
            db.session.execute(update(model).where(model.c.id == bindparam("b_id")), params)
    if plan.stale:
        db.session.execute(
            update(tt).where(tt.c.link_entity == bindparam("b_entity"), tt.c.link_id == bindparam("b_link"),
                             tt.c.field == bindparam("b_field")).values(is_stale=True),
            plan.stale,
        )


def _outbox(mapped: Mapped, plan: _Plan, touched: dict[str, set[str]]) -> str:
    """Search outbox rows for every service whose search document may change (same transaction)."""
    from ...directory.models import Service, ServiceAtLocation
    from ...search.models import SearchOutbox

    if plan.changed.get("taxonomy_term") or plan.changed.get("taxonomy") or plan.deletes.get("taxonomy_term"):
        services: set[str] | None = None
    else:
        services = set(touched["service"])
        for chunk in _chunks(sorted(touched["location"])):
            services |= set(db.session.scalars(select(ServiceAtLocation.service_id)
                                               .where(ServiceAtLocation.location_id.in_(chunk))))
        for chunk in _chunks(sorted(set(plan.deletes.get("service_at_location", {}).values()) - {None})):
            services |= set(chunk)
        for chunk in _chunks(sorted(touched["organization"])):
            services |= set(db.session.scalars(select(Service.id).where(Service.organization_id.in_(chunk))))
        if len(services) > OUTBOX_ROWS_LIMIT:
            services = None
    outbox = SearchOutbox.__table__
    if services is None:
        db.session.execute(insert(outbox), [{"service_id": None}])
        return "everything"
    if services:
        db.session.execute(insert(outbox), [{"service_id": service_id} for service_id in sorted(services)])
    return f"{len(services)} services" if services else "nothing"


def write(mapped: Mapped, *, dry_run: bool) -> Summary:
    """Compare and (unless ``dry_run``) write, in the caller's transaction."""
    summary = Summary(dry_run=dry_run)
    plan = _plan(mapped)
    touched = _summarize(mapped, plan, summary)
    has_changes = any(plan.inserts.values()) or any(plan.updates.values()) or any(plan.deletes.values())
    if dry_run or not has_changes:
        return summary
    _apply(plan)
    if any(plan.inserts.get(t) or plan.updates.get(t) or plan.deletes.get(t)
           for t in ("taxonomy", "taxonomy_term", "translated_text")) or plan.stale:
        bump("taxonomy")  # bulk statements bypass the flush that would move it (outreach/caching.py)
    bump(LISTINGS)
    summary.reindex = _outbox(mapped, plan, touched)
    return summary
