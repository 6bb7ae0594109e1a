"""Staff users, their roles, invitations, recovery codes, and the server-side session store."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from . import clock

# Roles a staff account may hold; a person may hold several.
STEWARD = "steward"  # the (non-police) site administrator
REVIEWER = "reviewer"  # approves listing changes
OUTREACH_PUBLISHER = "outreach_publisher"  # police outreach units and coalitions: campaigns only
ORG_MEMBER = "org_member"  # keeps one organization's listings current
ROLES = (STEWARD, REVIEWER, OUTREACH_PUBLISHER, ORG_MEMBER)


def _now() -> datetime:
    return clock.now()


class User(db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Clearly marked demo account (`flask outreach accounts demo`); never on a production site.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Base32 TOTP secret, set once the first code from the authenticator app is accepted.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last accepted TOTP time step: a code of that step or an earlier one is refused (no reuse).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Raised whenever every session of this user must end (password change, account disabled).
    session_epoch: Mapped[int] = mapped_column(Integer, default=1)
    # Per-account sign-in throttle: failures in a row, and no attempt is checked before locked_until.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Staff UI language; empty means the browser's Accept-Language.
    preferred_locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    roles: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="RoleGrant.id"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.roles)

    @property
    def role_names(self) -> set[str]:
        return {grant.role for grant in self.roles}

    @property
    def organization_ids(self) -> set[str]:
        """Organizations this person is a member of."""
        return {grant.organization_id for grant in self.roles if grant.role == ORG_MEMBER and grant.organization_id}

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RoleGrant(db.Model):
    """One role held by one user; ``org_member`` names its organization, the other roles none."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("user_id", "role", "organization_id", name="uq_staff_role_grant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)

    user: Mapped[User] = relationship(back_populates="roles")


class Invitation(db.Model):
    """A one-time link to set a password: only a hash of its token is stored."""

    __tablename__ = "staff_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # [{"role": "org_member", "organization_id": "…"}, {"role": "reviewer", "organization_id": null}]
    roles: Mapped[list] = mapped_column(JSON, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """A single-use code for when the authenticator is lost; stored as a SHA-256 hash."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class StaffSession(db.Model):
    """Server-side staff sessions when no Redis is configured (see :mod:`outreach.accounts.sessions`)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
