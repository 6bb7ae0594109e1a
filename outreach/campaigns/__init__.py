"""Awareness campaigns and their events: public pages, Atom and iCalendar feeds, staff publishing."""
from __future__ import annotations

from flask import Flask, request

IMAGE_ENDPOINT = "campaigns_staff.image"


def init_app(app: Flask) -> None:
    from . import formatting, services
    from .routes import bp, media
    from .staff_routes import bp as staff_bp

    # Before every other hook (CSRF protection reads the form, and so the body, before any view runs).
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_image_upload)
    app.register_blueprint(bp)
    app.register_blueprint(media)
    app.register_blueprint(staff_bp)
    app.jinja_env.globals.update(
        formatting.template_helpers(),
        live_campaigns_for=lambda codes: _shown(services.campaigns_for_categories(codes)),
        featured_campaigns=lambda: _shown(services.featured_campaigns()),
        campaigns_for_search=lambda form, outcome: _shown(campaigns_for_search(form, outcome)),
    )


def _shown(campaigns: list) -> list:
    """A block of live campaigns reads differently when one of them ends or another one starts."""
    from ..accounts.clock import as_utc
    from ..site.page_cache import expires_at
    from .services import next_start

    expires_at(min((as_utc(campaign.ends_at) for campaign in campaigns), default=None), "campaigns")
    expires_at(next_start(), "campaigns")
    return campaigns


def campaigns_for_search(form, outcome) -> list:
    """Live campaigns about what was searched: the category filter, else the best result's categories."""
    from .services import campaigns_for_categories

    if form is None:
        return []
    codes = [form.category] if form.category else []
    if not codes and outcome is not None and outcome.results.items:
        codes = [term.code for term in outcome.results.items[0].terms("categories")]
    return campaigns_for_categories(codes)


def _allow_image_upload() -> None:
    """The campaign image form alone may send a photo larger than the site-wide request limit."""
    if request.endpoint == IMAGE_ENDPOINT and request.method == "POST":
        from .images import MAX_BYTES

        request.max_content_length = MAX_BYTES + 64 * 1024
