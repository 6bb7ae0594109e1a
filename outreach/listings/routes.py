"""Listing pages: organization members edit under ``/staff/listings/``, reviewers work the queue, and
residents report a problem from a service page. Views parse, call one service, and render.

Another organization's listing, change or location is 404 (NotFound), never 403: its existence is
not confirmed. Only the fields declared on the forms are read from a POST.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import ratelimit
from ..accounts.access import requires_role
from ..accounts.forms import choice
from ..accounts.models import ORG_MEMBER, REVIEWER, STEWARD
from ..accounts.services import all_organizations, organizations_of
from ..directory import services as directory_services
from ..directory.models import TaxonomyTerm
from ..domain import NotAllowed, NotFound
from ..extensions import db
from ..i18n.setup import current_locale, site_locales
from . import services, values as listing_values
from .describe import describe, field_label, problem_label, status_label
from .forms import (
    ApproveForm,
    ConfirmForm,
    LocationForm,
    ProblemReportForm,
    RejectForm,
    ServiceForm,
    TranslationForm,
    TrustForm,
    error_items,
    service_form_data,
)

bp = Blueprint("listings", __name__, url_prefix="/staff/listings")
public = Blueprint("listings_public", __name__, url_prefix="/<lang_code>/services")


def _or_404(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except NotFound:
        abort(404)


# -- overview --------------------------------------------------------------------------------------------


@bp.get("/")
@requires_role(ORG_MEMBER, REVIEWER, STEWARD)
def index():
    user = g.staff_user
    organizations = organizations_of(user)
    ids = [o.id for o in organizations]
    return render_template(
        "listings/index.html", organizations=organizations, stale=services.stale_services(ids),
        changes=services.changes_of(ids), reports=services.open_reports(ids),
        all_organizations=all_organizations() if services.is_reviewer(user) else [],
        queue_size=len(services.queue()) if services.is_reviewer(user) else 0,
        verify_form=ConfirmForm(), status_label=status_label, problem_label=problem_label)


@bp.get("/organizations/<organization_id>")
@requires_role(ORG_MEMBER, REVIEWER, STEWARD)
def organization(organization_id: str):
    item = _or_404(services.organization_for_staff, g.staff_user, organization_id)
    return _organization_page(item)


def _organization_page(item, trust_form=None):
    user = g.staff_user
    return render_template(
        "listings/organization.html", organization=item, services=services.services_of(item),
        locations=services.locations_of(item), is_member=item.id in user.organization_ids,
        is_trusted=services.is_trusted(item.id), changes=services.changes_of([item.id]),
        is_stale=services.is_stale, verify_form=ConfirmForm(),
        trust_form=trust_form or TrustForm(formdata=None, data={"trusted": services.is_trusted(item.id)}),
        status_label=status_label, problem_label=problem_label)


@bp.post("/organizations/<organization_id>/trust")
@requires_role(STEWARD)
def trust(organization_id: str):
    item = _or_404(services.organization_for_staff, g.staff_user, organization_id)
    form = TrustForm()
    if form.validate_on_submit():
        services.set_trusted(g.staff_user, item.id, bool(form.trusted.data))
        return redirect(url_for("listings.organization", organization_id=item.id))
    return _organization_page(item, trust_form=form), 400


# -- editing ---------------------------------------------------------------------------------------------


def _fill_choices(form: ServiceForm, organization) -> None:
    locale = g.staff_user.preferred_locale or current_locale().code
    terms = db.session.scalars(db.select(TaxonomyTerm).order_by(TaxonomyTerm.position)).all()
    categories = [t for t in terms if t.taxonomy.name == "categories"]
    labels = {t.id: t.text("name", locale).value for t in categories}
    form.categories.choices = [choice(t.code, (labels[t.parent_id] + " › " if t.parent_id in labels else "") + labels[t.id])
                               for t in categories]
    form.attributes.choices = [choice(t.code, t.text("name", locale).value) for t in terms
                               if t.code in listing_values.EDITABLE_ATTRIBUTES]
    form.locations.choices = [choice(loc.id, _location_label(loc)) for loc in services.locations_of(organization)]


def _location_label(location) -> str:
    address = location.physical_address
    parts = [location.name or "", address.address_1 if address else "", address.city if address else ""]
    return ", ".join(p for p in parts if p) or _("Place without a name")


def _service_page(form, organization, service=None, nothing_changed=False, status=200):
    return render_template("listings/service_form.html", form=form, organization=organization, service=service,
                           errors=error_items(form), nothing_changed=nothing_changed,
                           locales=[loc for loc in site_locales() if service is None or loc.code != service.source_locale],
                           stale=listing_values.stale_counts(service, tuple(loc.code for loc in site_locales())) if service else {}), status


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def edit_service(service_id: str):
    service = _or_404(services.service_for_member, g.staff_user, service_id)
    if request.method == "GET":
        form = ServiceForm(formdata=None, data=service_form_data(services.service_snapshot(service)))
        _fill_choices(form, service.organization)
        return _service_page(form, service.organization, service)
    form = ServiceForm()
    _fill_choices(form, service.organization)
    if form.validate_on_submit():
        try:
            change = services.propose_service_edit(g.staff_user, service.id, form.values())
        except services.NothingChanged:
            return _service_page(form, service.organization, service, nothing_changed=True, status=400)
        return redirect(url_for("listings.change", change_id=change.id))
    return _service_page(form, service.organization, service, status=400 if form.is_submitted() else 200)


@bp.route("/organizations/<organization_id>/services/new", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def new_service(organization_id: str):
    organization = _or_404(services.organization_for_member, g.staff_user, organization_id)
    if request.method == "GET":
        form = ServiceForm(formdata=None, data=service_form_data({}))
        _fill_choices(form, organization)
        return _service_page(form, organization)
    form = ServiceForm()
    _fill_choices(form, organization)
    if form.validate_on_submit():
        try:
            change = services.propose_new_service(g.staff_user, organization.id, form.values())
        except services.NothingChanged:
            return _service_page(form, organization, nothing_changed=True, status=400)
        return redirect(url_for("listings.change", change_id=change.id))
    return _service_page(form, organization, status=400 if form.is_submitted() else 200)


@bp.route("/services/<service_id>/text/<locale>", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def edit_text(service_id: str, locale: str):
    service = _or_404(services.service_for_member, g.staff_user, service_id)
    language = next((loc for loc in site_locales() if loc.code == locale and loc.code != service.source_locale), None)
    if language is None:
        abort(404)
    snapshot = services.service_snapshot(service)
    stale = snapshot.get(f"stale:{locale}", [])
    nothing_changed = False
    if request.method == "GET":
        form = TranslationForm(formdata=None, data={name: snapshot.get(f"{name}:{locale}", "")
                                                    for name in TranslationForm.FIELDS})
        form.still_right.choices = [(name, name) for name in stale]
    else:
        form = TranslationForm()
        form.still_right.choices = [(name, name) for name in stale]
        if form.validate_on_submit():
            try:
                change = services.propose_service_edit(g.staff_user, service.id, form.values(locale))
            except services.NothingChanged:
                nothing_changed = True
            else:
                return redirect(url_for("listings.change", change_id=change.id))
    source = {name: snapshot.get(name, "") for name in TranslationForm.FIELDS}
    status = 400 if request.method == "POST" else 200
    return render_template("listings/text_form.html", form=form, service=service, language=language, source=source,
                           stale=stale, errors=error_items(form), nothing_changed=nothing_changed), status


@bp.route("/locations/<location_id>/edit", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def edit_location(location_id: str):
    location = _or_404(services.location_for_member, g.staff_user, location_id)
    return _location_page(lambda values: services.propose_location_edit(g.staff_user, location.id, values),
                          data=listing_values.location_values(location), location=location)


@bp.route("/services/<service_id>/locations/new", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def new_location(service_id: str):
    """A new place where this service is offered: reviewed like any change."""
    service = _or_404(services.service_for_member, g.staff_user, service_id)
    return _location_page(lambda values: services.propose_new_location(g.staff_user, service.id, values), service=service)


def _location_page(propose, *, data: dict | None = None, location=None, service=None):
    """The place form: on a valid POST, ``propose(values)`` files the change for review."""
    nothing_changed = False
    if request.method == "GET":
        form = LocationForm(formdata=None, data=data)
    else:
        form = LocationForm()
        if form.validate_on_submit():
            try:
                change = propose(form.values())
            except services.NothingChanged:
                nothing_changed = True
            else:
                return redirect(url_for("listings.change", change_id=change.id))
    status = 400 if request.method == "POST" else 200
    return render_template("listings/location_form.html", form=form, location=location, service=service,
                           errors=error_items(form), nothing_changed=nothing_changed), status


@bp.post("/services/<service_id>/verify")
@requires_role(ORG_MEMBER, REVIEWER, STEWARD)
def verify(service_id: str):
    service = _or_404(services.service_for_staff, g.staff_user, service_id)
    if ConfirmForm().validate_on_submit():
        services.verify(g.staff_user, service.id)
    return redirect(url_for("listings.organization", organization_id=service.organization_id, verified=service.id))


# -- the review queue ------------------------------------------------------------------------------------


@bp.get("/review")
@requires_role(REVIEWER, STEWARD)
def queue():
    return render_template("listings/queue.html", items=services.queue(), status_label=status_label,
                           problem_label=problem_label)


def _change_page(change, approve_form=None, reject_form=None, refused=None, status=200):
    outcome = services.review(change)
    return render_template(
        "listings/change.html", change=change, review=outcome, describe=describe, field_label=field_label,
        status_label=status_label, problem_label=problem_label, can_review=services.is_reviewer(g.staff_user),
        approve_form=approve_form or ApproveForm(formdata=None), reject_form=reject_form or RejectForm(formdata=None),
        errors=[item for form in (approve_form, reject_form) if form is not None for item in error_items(form)],
        refused=refused, new_place_service=services.service_of_new_location(change)), status


@bp.get("/changes/<change_id>")
@requires_role(ORG_MEMBER, REVIEWER, STEWARD)
def change(change_id: str):
    return _change_page(_or_404(services.change_for, g.staff_user, change_id))


@bp.post("/changes/<change_id>/approve")
@requires_role(REVIEWER, STEWARD)
def approve(change_id: str):
    item = _or_404(services.change_for, g.staff_user, change_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _change_page(item, approve_form=form, status=400)
    try:
        services.approve(g.staff_user, item.id, overwrite_newer=bool(form.overwrite_newer.data))
    except services.ListingChangedSince:
        form.overwrite_newer.errors = [_("The listing changed after this was proposed (see the fields marked "
                                         "below). Tick the box to replace those newer values, or reject it.")]
        return _change_page(item, approve_form=form, status=409)
    except NotFound:
        return _change_page(item, refused=_("The listing no longer exists. Reject this change."), status=409)
    except NotAllowed:  # already decided (a second click, or another reviewer): show how it stands
        return redirect(url_for("listings.change", change_id=item.id))
    return redirect(url_for("listings.queue"))


@bp.post("/changes/<change_id>/reject")
@requires_role(REVIEWER, STEWARD)
def reject(change_id: str):
    item = _or_404(services.change_for, g.staff_user, change_id)
    form = RejectForm()
    if not item.is_pending:
        return redirect(url_for("listings.change", change_id=item.id))
    if item.is_problem_report:
        form.reason.validators = [v for v in form.reason.validators if v.__class__.__name__ != "DataRequired"]
    if not form.validate_on_submit():
        return _change_page(item, reject_form=form, status=400)
    try:
        services.reject(g.staff_user, item.id, form.reason.data or "")
    except NotAllowed:  # already decided: show how it stands
        return redirect(url_for("listings.change", change_id=item.id))
    return redirect(url_for("listings.queue"))


# -- residents: report a problem -------------------------------------------------------------------------


@public.errorhandler(ratelimit.LimiterUnavailable)
def limiter_down(_error):
    return render_template("listings/report_unavailable.html"), 503


@public.route("/<service_id>/report", methods=["GET", "POST"])
def report(service_id: str):
    """No personal data asked; nothing about the sender stored or logged; a honeypot and a rate limit."""
    service = directory_services.get_service(service_id)
    limit = current_app.config["REPORT_PROBLEM_LIMIT"]
    ratelimit.allowed("listing-report", limit)  # fail closed when the storage is down
    form = ProblemReportForm()
    too_many = False
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: a bot. Look the same as success, store nothing.
            return render_template("listings/report_done.html", service=service)
        if ratelimit.hit("listing-report", limit):
            services.report_problem(service.id, form.problem.data, form.details.data or "")
            return render_template("listings/report_done.html", service=service)
        too_many = True
    status = 429 if too_many else (400 if form.is_submitted() else 200)
    return render_template("listings/report.html", form=form, service=service, errors=error_items(form),
                           too_many=too_many), status
