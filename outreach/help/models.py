"""Help requests, their keys and replies, organization and member keys, and routing rules.

Only routing fields (organization, categories, language, coarse area) and the status are stored in
the clear, and every time is a DATE. Content and replies are ciphertext (see ``crypto.py``); the keys
that open them live in their own tables, so deleting a request deletes its keys first.
"""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

STATUSES = ("new", "seen", "contacted", "accepted", "waitlisted", "declined", "closed")
# Wraps of a request's private key: sealed to an organization, or wrapped under the receipt.
KEY_FOR_ORGANIZATION = "organization"
KEY_FOR_RECEIPT = "receipt"
# Who wrote a reply.
FROM_ORGANIZATION = "organization"
FROM_RESIDENT = "resident"


def new_request_id() -> str:
    return secrets.token_hex(16)


class HelpRequest(db.Model):
    __tablename__ = "help_request"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_request_id)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    # A random two-word name staff use to talk about a request ("amber heron"): never derived from it.
    designation: Mapped[str] = mapped_column(String(60))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16))
    # What the resident typed as their area, normalized (ZIP or town), or empty.
    area: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_on: Mapped[date] = mapped_column(Date)
    last_activity_on: Mapped[date] = mapped_column(Date, index=True)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    # The day the organization was warned that this request expires soon.
    warned_on: Mapped[date | None] = mapped_column(Date)
    # One-way handle that finds the request from its receipt (BLAKE2b, see crypto.receipt_lookup).
    receipt_lookup: Mapped[str] = mapped_column(String(64), unique=True)
    # The request's public key (replies are sealed to it) and the sealed, padded content.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    keys: Mapped[list[HelpRequestKey]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                      passive_deletes=True)
    replies: Mapped[list[HelpReply]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                    passive_deletes=True, order_by="HelpReply.id")


class HelpRequestKey(db.Model):
    """The request's private key, sealed to one organization or wrapped under the receipt."""

    __tablename__ = "help_request_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("help_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)

    request: Mapped[HelpRequest] = relationship(back_populates="keys")


class HelpReply(db.Model):
    """One message in the thread, sealed to the request's public key; its day only."""

    __tablename__ = "help_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("help_request.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(20))
    created_on: Mapped[date] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    request: Mapped[HelpRequest] = relationship(back_populates="replies")


class MemberKey(db.Model):
    """A member's personal key pair; the private half wrapped under their password (argon2id)."""

    __tablename__ = "help_member_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    time_cost: Mapped[int] = mapped_column(Integer)
    memory_kib: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class OrganizationKey(db.Model):
    """An organization's public key, and its private key wrapped under the recovery key."""

    __tablename__ = "help_organization_key"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_on: Mapped[date] = mapped_column(Date)
    recovery_salt: Mapped[bytes] = mapped_column(LargeBinary)
    recovery_time_cost: Mapped[int] = mapped_column(Integer)
    recovery_memory_kib: Mapped[int] = mapped_column(Integer)
    recovery_wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class OrganizationKeySeal(db.Model):
    """The organization's private key sealed to one member's public key: that member's access."""

    __tablename__ = "help_organization_key_seal"
    __table_args__ = (UniqueConstraint("organization_id", "user_id", name="uq_help_organization_key_seal_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    granted_on: Mapped[date] = mapped_column(Date)


class RoutingRule(db.Model):
    """What an organization opts in to receive. Empty lists mean "any"; areas are ZIP codes, town or
    county names (lower case), or ``statewide``."""

    __tablename__ = "help_routing_rule"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    is_accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    areas: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    # The fallback when nobody else matches; designated by the steward.
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    # A counter, not a time: ties go to the organization assigned least recently.
    last_assignment: Mapped[int] = mapped_column(Integer, default=0)


class HelpSettings(db.Model):
    """Site-wide help settings the steward changes on the routing page (one row, id 1)."""

    __tablename__ = "help_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Days a request is kept after its last activity (30–180); replaces OUTREACH_HELP_RETENTION_DAYS.
    retention_days: Mapped[int] = mapped_column(Integer)
