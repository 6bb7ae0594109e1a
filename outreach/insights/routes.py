"""Demand insights for outreach publishers, organization members and the steward."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.access import requires_role
from ..accounts.models import ORG_MEMBER, OUTREACH_PUBLISHER, STEWARD
from ..directory.services import all_terms
from . import services

bp = Blueprint("insights", __name__, url_prefix="/staff/insights")


@bp.get("/")
@requires_role(STEWARD, OUTREACH_PUBLISHER, ORG_MEMBER)
def demand():
    terms = {term.code: term for term in all_terms()}
    return render_template("insights/demand.html", searches=services.search_table(),
                           help_requests=services.help_table(), terms=terms)
