"""Writing and reading the audit log. ``record`` only adds to the session: the caller commits."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from .models import AuditEntry

# Keys whose values are never written, whatever a caller passes.
SECRET_KEYS = frozenset({"password", "password_hash", "totp_secret", "code", "token", "token_hash"})


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-level changes between two snapshots: {"field": {"before": …, "after": …}}."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and key not in SECRET_KEYS
    }


def record(action: str, *, actor=None, target_type: str | None = None, target_id: Any = None,
           changes: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", actor),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        changes={k: v for k, v in (changes or {}).items() if k not in SECRET_KEYS},
    )
    db.session.add(entry)
    return entry


def page_of_entries(page: int, per_page: int = 50):
    """Newest first, for the steward's audit page."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
