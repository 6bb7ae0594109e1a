"""Static, translated pages about safety and privacy."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("site", __name__, url_prefix="/<lang_code>")


@bp.get("/browsing-safely")
def browsing_safely():
    return render_template("site/browsing_safely.html")


@bp.get("/privacy")
def privacy():
    return render_template("site/privacy.html")


@bp.get("/about")
def about():
    return render_template("site/about.html")


@bp.get("/for-organizations")
def for_organizations():
    return render_template("site/for_organizations.html")
