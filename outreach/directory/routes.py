"""Public directory pages. Views parse, call one service, and render.

A service raising :class:`outreach.domain.NotFound` becomes the 404 page (see outreach/errors.py).
"""
from __future__ import annotations

import os
from datetime import timedelta

from flask import Blueprint, current_app, abort, redirect, render_template, request, url_for

from ..i18n.locales import negotiate
from ..i18n.setup import current_locale, listed_codes
from ..search import synonym_store
from ..search.forms import filter_choices, page_args, search_form_from
from ..search.services import count_searches, search_directory
from ..site.page_cache import SEARCH_PAGE_SECONDS, dont_keep, expires_at, on_each_hit, shared_page
from . import services

bp = Blueprint("directory", __name__, url_prefix="/<lang_code>")
root = Blueprint("root", __name__)


@root.get("/")
def pick_language():
    """Bare ``/`` sends the visitor to the best language their browser asks for."""
    code = negotiate(request.headers.get("Accept-Language"), listed_codes())
    response = redirect(url_for("directory.home", lang_code=code), code=302)
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.get("/")
@shared_page
def home():
    return render_template("directory/home.html", categories=services.category_tree())


@bp.get("/categories/<code>")
@shared_page
def category(code: str):
    term = services.get_category(code)
    page = services.page_number(request.args.get("page"))
    results = services.services_in_category(term, page)
    if page > results.pages:
        abort(404)
    return render_template("directory/category.html", term=term, results=results)


@bp.get("/services/<service_id>")
@shared_page
def service(service_id: str):
    return render_template("directory/service.html", service=services.get_service(service_id))


@bp.get("/organizations/<organization_id>")
@shared_page
def organization(organization_id: str):
    return render_template("directory/organization.html", organization=services.get_organization(organization_id))


def _search_inputs() -> tuple:
    """What search pages depend on besides the database: the synonyms files (edited without a
    reindex) and the index folder being there (a deleted one is rebuilt by the next search)."""
    return synonym_store().stamp((current_locale().code, "en")), os.path.isdir(current_app.config["SEARCH_INDEX_DIR"])


@bp.get("/search")
@shared_page(vary=_search_inputs, max_seconds=SEARCH_PAGE_SECONDS)
def search():
    categories = services.category_tree()
    form = search_form_from(request.args, services.category_codes(), services.spoken_language_codes())
    outcome = None if form.is_empty else search_directory(form, current_locale().code)
    if form.open_now:  # which listings are open: recounted every minute
        now = services.now()
        expires_at(now.replace(second=0, microsecond=0) + timedelta(minutes=1))
    if outcome is not None and outcome.notice:
        dont_keep()  # "results may be incomplete while the index is rebuilt" passes
    elif outcome is not None and outcome.counted:
        on_each_hit(count_searches, outcome.counted)
    return render_template(
        "directory/search.html",
        form=form,
        query=form.text,
        outcome=outcome,
        categories=categories,
        spoken_languages=sorted(services.spoken_language_codes()),
        page_args=page_args(form),
        **filter_choices(),
    )
