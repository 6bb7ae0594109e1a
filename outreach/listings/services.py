"""Listing use cases: propose, review, apply, report a problem, re-verify, remind.

Every public function that writes is one use case and commits once. Writing a listing goes through
the session, so the search outbox row is added to the same transaction (``search/outbox.py``).
Organization members reach only their own organization's listings: anything else is NotFound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..accounts import clock
from ..accounts.models import REVIEWER, STEWARD, User
from ..audit.services import record
from ..directory.models import Location, Organization, Service
from ..directory.services import VISIBLE_STATUSES
from ..domain import NotAllowed, NotFound
from ..extensions import db
from ..geo.services import locate_zip
from . import values as listing_values
from .models import (
    APPLIED,
    APPROVED,
    DISMISSED,
    EDIT,
    IN_EFFECT,
    NEW_LOCATION,
    NEW_SERVICE,
    PENDING,
    PROBLEM,
    REJECTED,
    RESOLVED,
    ListingChange,
    TrustedOrganization,
)

PROBLEM_DETAILS_LIMIT = 1000
# In a new place's change, its ``base`` holds only the service the place is for (no values before).
SERVICE_OF_NEW_LOCATION = "service_id"
REASON_LIMIT = 2000


class NothingChanged(Exception):
    """The form was sent without changing anything."""


class ListingChangedSince(Exception):
    """The listing changed after the proposal was made; ``fields`` names what differs now."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def today() -> date:
    return clock.now().date()


def locales() -> tuple[str, ...]:
    return tuple(current_app.config["LOCALES"])


def is_reviewer(user: User) -> bool:
    return user.has_role(STEWARD, REVIEWER)


# -- reaching listings -----------------------------------------------------------------------------------


def _looks_like_id(value: str) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 36


def organization_for_member(user: User, organization_id: str) -> Organization:
    """An organization this user is a member of; anyone else's is NotFound (its existence not confirmed)."""
    if not _looks_like_id(organization_id) or organization_id not in user.organization_ids:
        raise NotFound(organization_id)
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(organization_id)
    return organization


def organization_for_staff(user: User, organization_id: str) -> Organization:
    """Members see their own organizations; reviewers and stewards any."""
    if is_reviewer(user) and _looks_like_id(organization_id):
        organization = db.session.get(Organization, organization_id)
        if organization is not None:
            return organization
    return organization_for_member(user, organization_id)


def _service(user: User, service_id: str, *, reviewers_too: bool) -> Service:
    service = db.session.get(Service, service_id) if _looks_like_id(service_id) else None
    if service is None or not ((reviewers_too and is_reviewer(user)) or service.organization_id in user.organization_ids):
        raise NotFound(service_id)
    return service


def service_for_member(user: User, service_id: str) -> Service:
    """A service of one of this user's organizations (what members may edit)."""
    return _service(user, service_id, reviewers_too=False)


def service_for_staff(user: User, service_id: str) -> Service:
    """Members: their organizations' services; reviewers and stewards: any (re-verifying)."""
    return _service(user, service_id, reviewers_too=True)


def location_for_member(user: User, location_id: str) -> Location:
    location = db.session.get(Location, location_id) if _looks_like_id(location_id) else None
    if location is None or location.organization_id not in user.organization_ids:
        raise NotFound(location_id)
    return location


def change_for(user: User, change_id: str) -> ListingChange:
    """A change or report as this user may see it: reviewers any, members their organization's."""
    try:
        number = int(change_id)
    except (TypeError, ValueError):
        raise NotFound(change_id) from None
    change = db.session.get(ListingChange, number) if 0 < number < 2**31 else None
    if change is None or not (is_reviewer(user) or change.organization_id in user.organization_ids):
        raise NotFound(change_id)
    return change


def is_trusted(organization_id: str) -> bool:
    return db.session.get(TrustedOrganization, organization_id) is not None


def services_of(organization: Organization) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.organization_id == organization.id).order_by(Service.name)))


def locations_of(organization: Organization) -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.organization_id == organization.id).order_by(Location.name)))


def service_snapshot(service: Service) -> dict[str, Any]:
    return listing_values.service_values(service, locales())


# -- freshness -------------------------------------------------------------------------------------------


def stale_after_days() -> int:
    return int(current_app.config["STALE_AFTER_DAYS"])


def is_stale(service: Service, on: date | None = None) -> bool:
    if service.assured_date is None:
        return True
    return service.assured_date < (on or today()) - timedelta(days=stale_after_days())


def stale_services(organization_ids) -> list[Service]:
    """Listings of these organizations that residents can see and nobody verified within the window."""
    ids = list(organization_ids)
    if not ids:
        return []
    cutoff = today() - timedelta(days=stale_after_days())
    statement = select(Service).where(
        Service.organization_id.in_(ids), Service.status.in_(VISIBLE_STATUSES),
        (Service.assured_date.is_(None)) | (Service.assured_date < cutoff)).order_by(Service.name)
    return list(db.session.scalars(statement))


def verify(user: User, service_id: str) -> Service:
    """One click: the listing is still right as it stands. Sets the verification date to today, audited."""
    service = service_for_staff(user, service_id)
    before = service.assured_date
    service.assured_date = today()
    service.assurer_email = user.email
    record("listing_verified", actor=user, target_type="service", target_id=service.id,
           changes={"assured_date": {"before": before.isoformat() if before else None,
                                     "after": service.assured_date.isoformat()}})
    db.session.commit()
    return service


# -- proposing changes -----------------------------------------------------------------------------------


def _apply_new_location(change: ListingChange) -> dict[str, Any]:
    """Create the place and offer the service there; the change then points at the new place."""
    service = db.session.get(Service, change.base.get(SERVICE_OF_NEW_LOCATION) or "")
    if service is None or service.organization_id != change.organization_id:
        raise NotFound(change.base.get(SERVICE_OF_NEW_LOCATION))
    organization = db.session.get(Organization, change.organization_id)
    location = Location(organization_id=organization.id, location_type="physical",
                        source_locale=organization.source_locale or "en", is_address_confidential=False)
    db.session.add(location)
    centroid = locate_zip(change.proposed["postal_code"]) if change.proposed.get("postal_code") else None
    listing_values.apply_to_location(location, change.proposed, centroid)
    db.session.flush()
    listing_values.apply_to_service(service, {"locations": [sal.location_id for sal in service.service_at_locations]
                                              + [location.id]})
    change.target_id = location.id
    return {**{key: {"before": None, "after": value} for key, value in change.proposed.items()},
            "service_id": service.id}


def _apply_change(change: ListingChange) -> dict[str, Any]:
    """Write a change onto its listing; returns the before/after of each field, for the audit log."""
    if change.kind == NEW_LOCATION:
        return _apply_new_location(change)
    if change.target_type == "location":
        location = db.session.get(Location, change.target_id)
        if location is None:
            raise NotFound(change.target_id)
        before = listing_values.location_values(location)
        centroid = locate_zip(change.proposed["postal_code"]) if change.proposed.get("postal_code") else None
        listing_values.apply_to_location(location, change.proposed, centroid)
        return {key: {"before": before.get(key), "after": value} for key, value in change.proposed.items()}
    if change.kind == NEW_SERVICE:
        organization = db.session.get(Organization, change.organization_id)
        service = Service(organization=organization, name=change.proposed.get("name") or "", description="",
                          status="active", source_locale=organization.source_locale or "en", assured_date=today())
        db.session.add(service)
        db.session.flush()
        change.target_id = service.id
        before: dict[str, Any] = {}
    else:
        service = db.session.get(Service, change.target_id)
        if service is None:
            raise NotFound(change.target_id)
        before = service_snapshot(service)
    listing_values.apply_to_service(service, change.proposed)
    # An approved edit is a fresh look at the listing by the people who run it.
    service.assured_date = today()
    return {key: {"before": before.get(key), "after": value} for key, value in change.proposed.items()}


def _propose(user: User, change: ListingChange) -> ListingChange:
    db.session.add(change)
    if is_trusted(change.organization_id):
        changes = _apply_change(change)
        change.status, change.decided_by_id, change.decided_at = APPLIED, user.id, clock.now()
        db.session.flush()
        record("listing_changed", actor=user, target_type=change.target_type, target_id=change.target_id,
               changes={**changes, "change_id": change.id, "trusted": True})
    else:
        db.session.flush()
        record("listing_change_proposed", actor=user, target_type=change.target_type,
               target_id=change.target_id, changes={"change_id": change.id, "fields": sorted(change.proposed)})
    db.session.commit()
    return change


def propose_service_edit(user: User, service_id: str, new_values: dict[str, Any]) -> ListingChange:
    """Propose new values for some of a service's fields (only keys :mod:`values` knows are kept)."""
    service = service_for_member(user, service_id)
    current = service_snapshot(service)
    wanted = {key: value for key, value in new_values.items() if key in current}
    if "locations" in wanted:
        own = {location.id for location in locations_of(service.organization)}
        wanted["locations"] = sorted(set(wanted["locations"]) & own)
    base, proposed = listing_values.changed(current, wanted)
    if not proposed:
        raise NothingChanged()
    return _propose(user, ListingChange(kind=EDIT, status=PENDING, organization_id=service.organization_id,
                                        target_type="service", target_id=service.id, base=base, proposed=proposed,
                                        submitted_by_id=user.id))


def propose_new_service(user: User, organization_id: str, new_values: dict[str, Any]) -> ListingChange:
    organization = organization_for_member(user, organization_id)
    allowed = set(listing_values.SERVICE_TEXT) | set(listing_values.SERVICE_PLAIN) | set(listing_values.SERVICE_LISTS)
    proposed = {key: value for key, value in new_values.items() if key in allowed and value not in ("", [], None)}
    if not proposed.get("name"):
        raise NothingChanged()
    if "locations" in proposed:
        own = {location.id for location in locations_of(organization)}
        proposed["locations"] = sorted(set(proposed["locations"]) & own)
    return _propose(user, ListingChange(kind=NEW_SERVICE, status=PENDING, organization_id=organization.id,
                                        target_type="service", target_id=None, base={}, proposed=proposed,
                                        submitted_by_id=user.id))


def propose_new_location(user: User, service_id: str, new_values: dict[str, Any]) -> ListingChange:
    """A new place where one of the member's services is offered; reviewed like any change (applied at
    once for a trusted organization). Only the place's own fields are kept."""
    service = service_for_member(user, service_id)
    proposed = {key: value for key, value in new_values.items()
                if key in listing_values.LOCATION_FIELDS and value not in ("", None, False)}
    if not (proposed.get("address_1") or proposed.get("name")):
        raise NothingChanged()
    return _propose(user, ListingChange(kind=NEW_LOCATION, status=PENDING, organization_id=service.organization_id,
                                        target_type="location", target_id=None,
                                        base={SERVICE_OF_NEW_LOCATION: service.id}, proposed=proposed,
                                        submitted_by_id=user.id))


def service_of_new_location(change: ListingChange) -> Service | None:
    if change.kind != NEW_LOCATION:
        return None
    return db.session.get(Service, change.base.get(SERVICE_OF_NEW_LOCATION) or "")


def propose_location_edit(user: User, location_id: str, new_values: dict[str, Any]) -> ListingChange:
    location = location_for_member(user, location_id)
    current = listing_values.location_values(location)
    base, proposed = listing_values.changed(current, {k: v for k, v in new_values.items() if k in current})
    if not proposed:
        raise NothingChanged()
    return _propose(user, ListingChange(kind=EDIT, status=PENDING, organization_id=location.organization_id,
                                        target_type="location", target_id=location.id, base=base, proposed=proposed,
                                        submitted_by_id=user.id))


# -- reviewing -------------------------------------------------------------------------------------------


@dataclass
class Review:
    """What the reviewer sees: each field before (as the listing holds it now) and after."""

    change: ListingChange
    rows: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    target_missing: bool = False


def current_values(change: ListingChange) -> dict[str, Any] | None:
    if change.kind == NEW_SERVICE:
        return {}
    if change.kind == NEW_LOCATION:  # nothing to compare with; the service it is for must still be there
        service = service_of_new_location(change)
        return {} if service is not None and service.organization_id == change.organization_id else None
    if change.target_type == "location":
        location = db.session.get(Location, change.target_id) if change.target_id else None
        return listing_values.location_values(location) if location else None
    service = db.session.get(Service, change.target_id) if change.target_id else None
    return service_snapshot(service) if service else None


def review(change: ListingChange) -> Review:
    result = Review(change)
    if change.kind == PROBLEM:
        return result
    now = current_values(change) if change.is_pending else None
    if change.is_pending and now is None:
        result.target_missing = True
    for key in sorted(change.proposed, key=_field_order):
        before = None if change.kind == NEW_LOCATION else change.base.get(key)
        row = {"key": key, "before": before, "after": change.proposed[key], "now": None, "changed_since": False}
        if now is not None and change.kind not in (NEW_SERVICE, NEW_LOCATION) and now.get(key) != before:
            row["now"], row["changed_since"] = now.get(key), True
            result.conflicts.append(key)
        result.rows.append(row)
    return result


def _field_order(key: str) -> tuple:
    order = (*listing_values.SERVICE_TEXT, *listing_values.SERVICE_PLAIN, *listing_values.SERVICE_LISTS,
             *listing_values.LOCATION_FIELDS)
    field_name, locale = listing_values.split_key(key)
    return (locale or "", order.index(field_name) if field_name in order else len(order), key)


def queue() -> list[ListingChange]:
    """Everything waiting for a reviewer, oldest first: proposed changes and problem reports."""
    return list(db.session.scalars(select(ListingChange).where(ListingChange.status == PENDING)
                                   .order_by(ListingChange.created_at, ListingChange.id)))


def changes_of(organization_ids, limit: int = 50) -> list[ListingChange]:
    """An organization's recent changes and reports (pending first), for its members."""
    ids = list(organization_ids)
    if not ids:
        return []
    statement = (select(ListingChange).where(ListingChange.organization_id.in_(ids))
                 .order_by(ListingChange.created_at.desc(), ListingChange.id.desc()).limit(limit))
    items = list(db.session.scalars(statement))
    return sorted(items, key=lambda c: c.status != PENDING)


def approve(user: User, change_id: str, *, overwrite_newer: bool = False) -> ListingChange:
    """Apply a pending change (or close a problem report as dealt with). Refuses to silently replace
    values that changed after the proposal was made, unless ``overwrite_newer``."""
    if not is_reviewer(user):
        raise NotAllowed(change_id)
    change = change_for(user, change_id)
    if not change.is_pending:
        raise NotAllowed(change_id)
    if change.kind == PROBLEM:
        return _close_report(user, change, RESOLVED, "")
    outcome = review(change)
    if outcome.target_missing:
        raise NotFound(change.target_id)
    if outcome.conflicts and not overwrite_newer:
        raise ListingChangedSince(outcome.conflicts)
    changes = _apply_change(change)
    change.status, change.decided_by_id, change.decided_at = APPROVED, user.id, clock.now()
    record("listing_change_approved", actor=user, target_type=change.target_type, target_id=change.target_id,
           changes={**changes, "change_id": change.id, "overwrote_newer": sorted(outcome.conflicts) if overwrite_newer else []})
    db.session.commit()
    return change


def reject(user: User, change_id: str, reason: str) -> ListingChange:
    """Turn a change down with a reason the organization sees (or dismiss a problem report)."""
    if not is_reviewer(user):
        raise NotAllowed(change_id)
    change = change_for(user, change_id)
    if not change.is_pending:
        raise NotAllowed(change_id)
    reason = reason.strip()[:REASON_LIMIT]
    if change.kind == PROBLEM:
        return _close_report(user, change, DISMISSED, reason)
    change.status, change.decided_by_id, change.decided_at, change.reason = REJECTED, user.id, clock.now(), reason
    record("listing_change_rejected", actor=user, target_type=change.target_type, target_id=change.target_id,
           changes={"change_id": change.id, "reason": reason})
    db.session.commit()
    return change


def _close_report(user: User, change: ListingChange, status: str, reason: str) -> ListingChange:
    change.status, change.decided_by_id, change.decided_at, change.reason = status, user.id, clock.now(), reason or None
    record("problem_report_" + status, actor=user, target_type="service", target_id=change.target_id,
           changes={"change_id": change.id})
    db.session.commit()
    return change


def set_trusted(user: User, organization_id: str, trusted: bool) -> None:
    """The steward's switch: a trusted organization's changes are applied at once."""
    if not user.has_role(STEWARD):
        raise NotAllowed(organization_id)
    organization = db.session.get(Organization, organization_id) if _looks_like_id(organization_id) else None
    if organization is None:
        raise NotFound(organization_id)
    current = db.session.get(TrustedOrganization, organization.id)
    if trusted == (current is not None):
        return
    if trusted:
        db.session.add(TrustedOrganization(organization_id=organization.id, marked_by_id=user.id))
    else:
        db.session.delete(current)
    record("organization_trust_changed", actor=user, target_type="organization", target_id=organization.id,
           changes={"trusted": {"before": not trusted, "after": trusted}})
    db.session.commit()


# -- residents' problem reports --------------------------------------------------------------------------


def report_problem(service_id: str, problem: str, details: str) -> ListingChange:
    """File a resident's report into the review queue. Nothing about the resident is stored: no account,
    no address, no browser, and no time finer than the day."""
    service = db.session.get(Service, service_id) if _looks_like_id(service_id) else None
    if service is None or service.status not in (*VISIBLE_STATUSES, "inactive"):
        raise NotFound(service_id)
    change = ListingChange(kind=PROBLEM, status=PENDING, organization_id=service.organization_id,
                           target_type="service", target_id=service.id, base={},
                           proposed={"problem": problem, "details": details.strip()[:PROBLEM_DETAILS_LIMIT]},
                           created_at=datetime.combine(today(), datetime.min.time(), tzinfo=timezone.utc))
    db.session.add(change)
    db.session.commit()
    return change


def open_reports(organization_ids) -> list[ListingChange]:
    ids = list(organization_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(ListingChange).where(
        ListingChange.organization_id.in_(ids), ListingChange.kind == PROBLEM, ListingChange.status == PENDING)
        .order_by(ListingChange.created_at)))


# -- seed content ----------------------------------------------------------------------------------------


def staff_edited() -> tuple[set[str], set[str]]:
    """(service ids, location ids) whose current content came from staff edits: seed loading must not
    overwrite them silently."""
    rows = db.session.execute(select(ListingChange.target_type, ListingChange.target_id).where(
        ListingChange.status.in_(IN_EFFECT), ListingChange.target_id.is_not(None))).all()
    services = {target_id for kind, target_id in rows if kind == "service"}
    locations = {target_id for kind, target_id in rows if kind == "location"}
    return services, locations
