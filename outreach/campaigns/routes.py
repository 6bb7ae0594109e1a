"""Resident campaign pages, feeds and images. Only live campaigns exist here: anything else is a 404.

No cookie, nothing about the visitor is read or kept (the same rules as the directory pages).
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..domain import NotFound
from ..i18n.setup import current_locale
from . import feeds, images, services

bp = Blueprint("campaigns", __name__, url_prefix="/<lang_code>/campaigns")
media = Blueprint("campaign_media", __name__)


@bp.get("/")
def index():
    return render_template("campaigns/index.html", campaigns=services.live_campaigns(),
                           events=services.upcoming_events())


@bp.get("/<reference>")
def campaign(reference: str):
    item = services.get_live_campaign(reference)
    today = services.now().date()
    return render_template("campaigns/campaign.html", campaign=item, events=item.upcoming_events(today))


@bp.get("/<reference>/events/<event_id>.ics")
def event_calendar(reference: str, event_id: str):
    event = services.get_live_event(reference, event_id)
    body = feeds.event_calendar(event, current_locale().code, services.now())
    return _download(body, "text/calendar; charset=utf-8", f"event-{event.id[:8]}.ics")


@bp.get("/events.ics")
def calendar():
    body = feeds.events_calendar(services.upcoming_events(), current_locale().code, services.now())
    return _download(body, "text/calendar; charset=utf-8", f"outreach-events-{current_locale().code}.ics")


@bp.get("/feed.atom")
def feed():
    locale = current_locale()
    body = feeds.atom_feed(services.live_campaigns(), locale.code, locale.html_lang, services.now())
    return Response(body, mimetype="application/atom+xml", content_type="application/atom+xml; charset=utf-8")


def _download(body: bytes, content_type: str, file_name: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@media.get("/campaign-images/<file_name>")
def image(file_name: str):
    """A live campaign's image, as we re-encoded it, with a fixed type (nosniff is set on every response)."""
    path = images.path_of(file_name)
    if path is None:
        raise NotFound(file_name)
    services.image_of_live_campaign(file_name)
    return Response(path.read_bytes(), content_type=images.content_type(file_name))
