"""Audit entries. Never an IP address, a user agent, a password or help-request content."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts import clock
from ..accounts.models import User
from ..extensions import db


def _now() -> datetime:
    return clock.now()


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    # Who acted; empty for anonymous attempts (a failed sign-in) and for the command line.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    # What happened, as a stable code: "login", "login_failed", "role_granted", "password_changed" …
    action: Mapped[str] = mapped_column(String(60))
    # What it happened to: a kind ("user", "invitation", "organization", "service") and its id.
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(64))
    # {"field": {"before": …, "after": …}} for changes; other facts under plain keys.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
