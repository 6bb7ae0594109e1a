"""The steward's view of the audit log (never shown on the resident side)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..accounts.access import requires_role
from ..accounts.models import STEWARD
from . import services

bp = Blueprint("audit", __name__, url_prefix="/staff/audit")


@bp.get("/")
@requires_role(STEWARD)
def log():
    try:
        page = max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        page = 1
    return render_template("audit/log.html", entries=services.page_of_entries(page))
