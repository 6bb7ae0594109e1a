"""Organization self-service for listings: edits through a review queue, residents' problem reports,
and freshness (re-verification, "not verified recently", reminders)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .routes import bp, public

    app.register_blueprint(bp)
    app.register_blueprint(public)

    @app.context_processor
    def listings_context() -> dict:
        return {"listings_to_do": _to_do}


def _to_do(user) -> dict:
    """What the staff home page lists for this person: stale listings of their organizations, the
    changes waiting for review, and residents' open reports."""
    from . import services

    ids = sorted(user.organization_ids)
    return {
        "stale": services.stale_services(ids),
        "reports": services.open_reports(ids),
        "queue_size": len(services.queue()) if services.is_reviewer(user) else 0,
    }
