"""Proposed listing changes (the review queue), residents' problem reports, and trusted organizations.

A proposed change is data: the values of the fields it changes (``proposed``) and what those fields
held when it was proposed (``base``), so the reviewer sees a field-level diff and is told when the
listing changed in between. Nothing is applied to the listing until the change is approved (or the
organization is trusted, and it is applied at once).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts import clock
from ..accounts.models import User
from ..directory.models import Organization
from ..extensions import db

# What a row is.
EDIT = "edit"  # changes to an existing service or location
NEW_SERVICE = "new_service"  # a service that does not exist yet
NEW_LOCATION = "new_location"  # a new place for one service (its id kept in the change's base, "service_id")
PROBLEM = "problem"  # a resident's "report a problem with this listing"
KINDS = (EDIT, NEW_SERVICE, NEW_LOCATION, PROBLEM)

# Where it is. Changes: pending → approved | rejected, or applied at once (trusted organization).
# Problem reports: pending → resolved | dismissed.
PENDING = "pending"
APPROVED = "approved"
APPLIED = "applied"
REJECTED = "rejected"
RESOLVED = "resolved"
DISMISSED = "dismissed"
STATUSES = (PENDING, APPROVED, APPLIED, REJECTED, RESOLVED, DISMISSED)
# Statuses meaning the listing now holds what staff wrote (seed loading leaves such listings alone).
IN_EFFECT = (APPROVED, APPLIED)


def _now() -> datetime:
    return clock.now()


class ListingChange(db.Model):
    __tablename__ = "listing_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    # "service" or "location", and its id: empty for a new service until it is approved.
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # {"field": value} as the listing held them when proposed, and as proposed.
    base: Mapped[dict] = mapped_column(JSON, default=dict)
    proposed: Mapped[dict] = mapped_column(JSON, default=dict)
    # Who proposed it: empty for a resident's problem report (never anything about the resident).
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Why it was rejected (shown to the organization), or what was done about a problem report.
    reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship(lazy="joined")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_problem_report(self) -> bool:
        return self.kind == PROBLEM


class TrustedOrganization(db.Model):
    """An organization whose members' changes are applied at once (still audited, field by field)."""

    __tablename__ = "listing_trusted_organization"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
