"""Campaign publishing under ``/staff/campaigns/``: outreach publishers and the steward only.

Every change is audited by the service it calls. A form with errors is shown again with what was
typed, an error summary at the top and each message next to its field.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from ..accounts.access import requires_role
from ..accounts.models import OUTREACH_PUBLISHER, STEWARD
from ..domain import NotFound
from ..i18n.setup import site_locales
from . import images, services
from .forms import (
    IMAGE_MESSAGES,
    CampaignForm,
    CampaignTranslationForm,
    ConfirmForm,
    DeleteForm,
    EventForm,
    EventTranslationForm,
)
from .models import CAMPAIGN_TEXT_FIELDS, EVENT_TEXT_FIELDS

bp = Blueprint("campaigns_staff", __name__, url_prefix="/staff/campaigns")
EDITORS = (OUTREACH_PUBLISHER, STEWARD)
DEFAULT_TIME_ZONE = "America/Los_Angeles"


def _campaign(campaign_id: str):
    try:
        return services.get_campaign(campaign_id)
    except NotFound:
        abort(404)


def _event(campaign, event_id: str):
    try:
        return services.get_event(campaign, event_id)
    except NotFound:
        abort(404)


def _other_locale(record, locale: str) -> str:
    if locale == record.source_locale or locale not in {loc.code for loc in site_locales()}:
        abort(404)
    return locale


def _default_zone() -> str:
    """A new campaign starts in the zone of the latest one (the demo county's zone on a new site)."""
    latest = services.all_campaigns()
    return latest[0].time_zone if latest else DEFAULT_TIME_ZONE


@bp.get("/")
@requires_role(*EDITORS)
def list_campaigns():
    return render_template("campaigns_staff/list.html", campaigns=services.all_campaigns(), now=services.now())


@bp.route("/new", methods=["GET", "POST"])
@requires_role(*EDITORS)
def new():
    form = CampaignForm() if request.method == "POST" else CampaignForm(formdata=None, data={"time_zone": _default_zone()})
    form.set_category_choices(services.category_terms())
    if form.validate_on_submit():
        campaign = services.create_campaign(g.staff_user, form.to_input())
        return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id))
    return render_template("campaigns_staff/form.html", form=form, campaign=None), 200


def _edit_page(campaign, form=None, delete_form=None):
    if form is None:
        form = CampaignForm.for_campaign(campaign)
    form.set_category_choices(services.category_terms())
    return render_template(
        "campaigns_staff/form.html", form=form, campaign=campaign, now=services.now(),
        delete_form=delete_form or DeleteForm(formdata=None), other_locales=_locales_status(campaign))


def _locales_status(record):
    """[(locale, number of translated fields, number of stale ones)] for every locale but the source."""
    result = []
    for locale in site_locales():
        if locale.code == record.source_locale:
            continue
        items = [t for t in record.translations if t.locale == locale.code]
        result.append((locale, len(items), sum(1 for t in items if t.is_stale)))
    return result


@bp.route("/<campaign_id>", methods=["GET", "POST"])
@requires_role(*EDITORS)
def edit(campaign_id: str):
    campaign = _campaign(campaign_id)
    if request.method == "POST":
        form = CampaignForm()
        form.set_category_choices(services.category_terms())
        if form.validate_on_submit():
            services.update_campaign(g.staff_user, campaign, form.to_input(campaign.source_locale))
            return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
        return _edit_page(campaign, form)
    return _edit_page(campaign)


@bp.post("/<campaign_id>/delete")
@requires_role(*EDITORS)
def delete(campaign_id: str):
    campaign = _campaign(campaign_id)
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete_campaign(g.staff_user, campaign)
        return redirect(url_for("campaigns_staff.list_campaigns"))
    return _edit_page(campaign, delete_form=form)


@bp.route("/<campaign_id>/image", methods=["GET", "POST"])
@requires_role(*EDITORS)
def image(campaign_id: str):
    from .forms import ImageForm

    campaign = _campaign(campaign_id)
    if request.method == "POST":
        form = ImageForm()
        valid = form.validate_on_submit()
        upload = form.image.data
        data = upload.read(images.MAX_BYTES + 1) if upload else b""
        if not data and not campaign.image_file:
            form.image.errors = [IMAGE_MESSAGES[images.EMPTY]]
            valid = False
        if valid:
            try:
                if data:
                    services.set_image(g.staff_user, campaign, data, form.image_alt.data.strip())
                else:
                    services.set_image_alt(g.staff_user, campaign, form.image_alt.data.strip())
            except images.ImageRefused as refused:
                form.image.errors = [IMAGE_MESSAGES[refused.code]]
            else:
                return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
    else:
        form = ImageForm(formdata=None, data={"image_alt": campaign.image_alt or ""})
    return render_template("campaigns_staff/image.html", form=form, campaign=campaign,
                           remove_form=ConfirmForm(formdata=None))


@bp.get("/<campaign_id>/image/preview")
@requires_role(*EDITORS)
def image_preview(campaign_id: str):
    """The image as residents will get it, also before the campaign is live."""
    campaign = _campaign(campaign_id)
    path = images.path_of(campaign.image_file or "")
    if path is None:
        abort(404)
    return Response(path.read_bytes(), content_type=images.content_type(campaign.image_file))


@bp.post("/<campaign_id>/image/remove")
@requires_role(*EDITORS)
def remove_image(campaign_id: str):
    campaign = _campaign(campaign_id)
    if ConfirmForm().validate_on_submit():
        services.remove_image(g.staff_user, campaign)
    return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id))


def _translate_page(record, locale, form, campaign, event=None):
    fields = CAMPAIGN_TEXT_FIELDS if event is None else EVENT_TEXT_FIELDS
    existing = services.translation_values(record, locale)
    return render_template("campaigns_staff/translate.html", form=form, campaign=campaign, event=event, record=record,
                           locale=next(loc for loc in site_locales() if loc.code == locale),
                           source={name: getattr(record, name) or "" for name in fields},
                           stale={name for name, item in existing.items() if item.is_stale})


def _translate(record, locale: str, form_class, campaign, event=None):
    locale = _other_locale(record, locale)
    fields = CAMPAIGN_TEXT_FIELDS if event is None else EVENT_TEXT_FIELDS
    if request.method == "POST":
        form = form_class()
        if form.validate_on_submit():
            values = {name: getattr(form, name).data or "" for name in fields}
            if event is None and not campaign.image_file:
                values.pop("image_alt")
            services.set_translations(g.staff_user, record, locale, values)
            return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
    else:
        existing = services.translation_values(record, locale)
        form = form_class(formdata=None, data={name: existing[name].value if name in existing else "" for name in fields})
    return _translate_page(record, locale, form, campaign, event)


@bp.route("/<campaign_id>/translations/<locale>", methods=["GET", "POST"])
@requires_role(*EDITORS)
def translate(campaign_id: str, locale: str):
    campaign = _campaign(campaign_id)
    return _translate(campaign, locale, CampaignTranslationForm, campaign)


@bp.route("/<campaign_id>/events/new", methods=["GET", "POST"])
@requires_role(*EDITORS)
def new_event(campaign_id: str):
    campaign = _campaign(campaign_id)
    form = EventForm() if request.method == "POST" else EventForm(formdata=None, data={"time_zone": campaign.time_zone})
    if form.validate_on_submit():
        services.add_event(g.staff_user, campaign, form.to_input())
        return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
    return render_template("campaigns_staff/event_form.html", form=form, campaign=campaign, event=None)


@bp.route("/<campaign_id>/events/<event_id>", methods=["GET", "POST"])
@requires_role(*EDITORS)
def edit_event(campaign_id: str, event_id: str):
    campaign = _campaign(campaign_id)
    event = _event(campaign, event_id)
    form = EventForm() if request.method == "POST" else EventForm.for_event(event)
    if form.validate_on_submit():
        services.update_event(g.staff_user, event, form.to_input())
        return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
    return render_template("campaigns_staff/event_form.html", form=form, campaign=campaign, event=event,
                           delete_form=DeleteForm(formdata=None), other_locales=_locales_status(event))


@bp.route("/<campaign_id>/events/<event_id>/translations/<locale>", methods=["GET", "POST"])
@requires_role(*EDITORS)
def translate_event(campaign_id: str, event_id: str, locale: str):
    campaign = _campaign(campaign_id)
    event = _event(campaign, event_id)
    return _translate(event, locale, EventTranslationForm, campaign, event)


@bp.post("/<campaign_id>/events/<event_id>/delete")
@requires_role(*EDITORS)
def delete_event(campaign_id: str, event_id: str):
    campaign = _campaign(campaign_id)
    event = _event(campaign, event_id)
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete_event(g.staff_user, event)
        return redirect(url_for("campaigns_staff.edit", campaign_id=campaign.id, saved=1))
    return render_template("campaigns_staff/event_form.html", form=EventForm.for_event(event), campaign=campaign,
                           event=event, delete_form=form, other_locales=_locales_status(event))
