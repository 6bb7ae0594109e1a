"""The organization's help inbox under ``/staff/help/``: organization members only (stewards and
outreach publishers get 403), and a request of another organization is 404.

Content is decrypted only in the response to a POST that carries the member's password; nothing
secret outlives that response (see ``crypto.py``).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, url_for
from flask_babel import gettext as _

from ..accounts.access import requires_role
from ..accounts.forms import choice
from ..accounts.models import ORG_MEMBER, STEWARD
from ..accounts.services import organization_for, organizations_of
from ..directory import services as directory_services
from ..directory.models import Organization
from ..domain import NotAllowed, NotFound
from ..extensions import db
from ..i18n.setup import current_locale, site_locales
from . import crypto, keys, routing, services
from .forms import (
    STATUS_LABELS,
    CoordinatorForm,
    DeleteForm,
    ForwardForm,
    GrantForm,
    RecoveryKeyForm,
    ReplyForm,
    RetentionForm,
    RoutingForm,
    StatusForm,
    UnlockForm,
    area_lines,
)
from .models import OrganizationKey, RoutingRule

bp = Blueprint("help_staff", __name__, url_prefix="/staff/help")


def _wrong_password() -> str:
    # Translators: the password typed to unlock the help inbox did not open the organization's key.
    return _("That password did not unlock your organization's requests. Check it, or ask a member "
             "who has access to give it to you.")


@bp.get("/")
@requires_role(ORG_MEMBER)
def inbox():
    user = g.staff_user
    organizations = [(org, keys.has_access(user, org.id), db.session.get(OrganizationKey, org.id) is not None)
                     for org in organizations_of(user)]
    return render_template("help_staff/inbox.html", requests=services.inbox(user), organizations=organizations,
                           status_labels=STATUS_LABELS, days_left=services.days_left)


def _organization(organization_id: str) -> Organization:
    user = g.staff_user
    if organization_id not in user.organization_ids:
        abort(404)
    try:
        return organization_for(user, organization_id)
    except NotFound:
        abort(404)


def _keys_page(organization, *, unlock=None, grant=None, recovery=None, status=200):
    user = g.staff_user
    grant = grant or GrantForm(formdata=None)
    members = keys.members_of(organization.id)
    grant.member_id.choices = [choice(str(m.id), m.display_name) for m in members
                               if m.id != user.id and not keys.has_access(m, organization.id)]
    return render_template(
        "help_staff/keys.html", organization=organization, is_set_up=keys.public_key_of(organization.id) is not None,
        has_access=keys.has_access(user, organization.id), members=members, has_key=keys.has_access,
        unlock_form=unlock or UnlockForm(formdata=None), grant_form=grant,
        recovery_form=recovery or RecoveryKeyForm(formdata=None)), status


@bp.get("/organizations/<organization_id>")
@requires_role(ORG_MEMBER)
def organization_keys(organization_id: str):
    return _keys_page(_organization(organization_id))


@bp.post("/organizations/<organization_id>/set-up")
@requires_role(ORG_MEMBER)
def set_up(organization_id: str):
    organization = _organization(organization_id)
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            recovery_key = keys.set_up_organization(g.staff_user, organization.id, form.password.data)
        except NotAllowed:
            return redirect(url_for("help_staff.organization_keys", organization_id=organization.id))
        except crypto.DecryptionFailed:
            form.password.errors = [_wrong_password()]
        else:
            return render_template("help_staff/recovery_key.html", organization=organization, recovery_key=recovery_key)
    return _keys_page(organization, unlock=form)


@bp.post("/organizations/<organization_id>/grant")
@requires_role(ORG_MEMBER)
def grant(organization_id: str):
    organization = _organization(organization_id)
    form = GrantForm()
    _keys_page(organization, grant=form)  # fills the member choices for validation
    if form.validate_on_submit():
        try:
            keys.grant_access(g.staff_user, organization.id, form.password.data, int(form.member_id.data))
        except crypto.DecryptionFailed:
            form.password.errors = [_wrong_password()]
        except (NotFound, NotAllowed, ValueError):
            form.member_id.errors = [_("This member cannot be given access yet: they need to sign in once first.")]
        else:
            return redirect(url_for("help_staff.organization_keys", organization_id=organization.id))
    return _keys_page(organization, grant=form)


@bp.post("/organizations/<organization_id>/restore")
@requires_role(ORG_MEMBER)
def restore(organization_id: str):
    organization = _organization(organization_id)
    form = RecoveryKeyForm()
    if form.validate_on_submit():
        try:
            keys.restore_with_recovery_key(g.staff_user, organization.id, form.recovery_key.data)
        except (crypto.DecryptionFailed, NotAllowed):
            form.recovery_key.errors = [_("That recovery key did not work. Check it and try again.")]
        else:
            return redirect(url_for("help_staff.organization_keys", organization_id=organization.id))
    return _keys_page(organization, recovery=form)


def _request(request_id: str):
    try:
        return services.request_for(g.staff_user, request_id)
    except NotFound:
        abort(404)


def _forward_choices(form: ForwardForm, request) -> None:
    targets = db.session.scalars(db.select(Organization).join(
        OrganizationKey, OrganizationKey.organization_id == Organization.id).order_by(Organization.name))
    form.organization_id.choices = [choice(o.id, o.name) for o in targets if o.id != request.organization_id]


def _detail(request, *, opened=None, unlock=None, reply=None, status_form=None, forward=None, delete=None, code=200):
    forward = forward or ForwardForm(formdata=None)
    _forward_choices(forward, request)
    return render_template(
        "help_staff/request.html", item=request, opened=opened, status_labels=STATUS_LABELS,
        days_left=services.days_left(request), unlock_form=unlock or UnlockForm(formdata=None),
        reply_form=reply or ReplyForm(formdata=None),
        status_form=status_form or StatusForm(formdata=None, data={"status": request.status}),
        forward_form=forward, delete_form=delete or DeleteForm(formdata=None)), code


@bp.get("/requests/<request_id>")
@requires_role(ORG_MEMBER)
def request_detail(request_id: str):
    return _detail(_request(request_id))


@bp.post("/requests/<request_id>/read")
@requires_role(ORG_MEMBER)
def read(request_id: str):
    item = _request(request_id)
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            opened = services.read(g.staff_user, item.id, form.password.data)
        except NotFound:  # deleted (its erasure secret destroyed) since the page was found
            abort(404)
        except crypto.DecryptionFailed:
            form.password.errors = [_wrong_password()]
        else:
            return _detail(opened.request, opened=opened)
    return _detail(item, unlock=form)


@bp.post("/requests/<request_id>/reply")
@requires_role(ORG_MEMBER)
def reply(request_id: str):
    item = _request(request_id)
    form = ReplyForm()
    if form.validate_on_submit():
        services.reply(g.staff_user, item.id, form.text.data.strip())
        return redirect(url_for("help_staff.request_detail", request_id=item.id))
    return _detail(item, reply=form)


@bp.post("/requests/<request_id>/status")
@requires_role(ORG_MEMBER)
def status(request_id: str):
    item = _request(request_id)
    form = StatusForm()
    if form.validate_on_submit():
        services.set_status(g.staff_user, item.id, form.status.data)
        return redirect(url_for("help_staff.request_detail", request_id=item.id))
    return _detail(item, status_form=form)


@bp.post("/requests/<request_id>/forward")
@requires_role(ORG_MEMBER)
def forward(request_id: str):
    item = _request(request_id)
    form = ForwardForm()
    _forward_choices(form, item)
    if form.validate_on_submit():
        try:
            services.forward(g.staff_user, item.id, form.password.data, form.organization_id.data,
                             keep_access=form.keep_access.data)
        except NotFound:
            abort(404)
        except crypto.DecryptionFailed:
            form.password.errors = [_wrong_password()]
        except NotAllowed:
            form.organization_id.errors = [_("This organization cannot receive requests.")]
        else:
            return redirect(url_for("help_staff.inbox"))
    return _detail(item, forward=form)


@bp.post("/requests/<request_id>/delete")
@requires_role(ORG_MEMBER)
def delete(request_id: str):
    item = _request(request_id)
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete_by_organization(g.staff_user, item.id)
        return redirect(url_for("help_staff.inbox"))
    return _detail(item, delete=form)


# -- routing: each organization opts in; the steward designates the coordinator and sets retention -----


def _category_choices() -> list:
    locale = current_locale().code
    return [choice(term.code, term.text("name", locale).value) for term in directory_services.category_tree()]


def _routing_choices(form: RoutingForm) -> RoutingForm:
    form.categories.choices = _category_choices()
    form.languages.choices = [choice(loc.code, loc.native_name) for loc in site_locales()]
    return form


@bp.route("/organizations/<organization_id>/routing", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def routing_rule(organization_id: str):
    organization = _organization(organization_id)
    rule = routing.rule_of(organization.id)
    form = _routing_choices(RoutingForm(data={
        "is_accepting": rule.is_accepting, "categories": rule.categories, "languages": rule.languages,
        "areas": "\n".join(rule.areas or [])}))
    if form.validate_on_submit():
        routing.update_rule(g.staff_user, organization.id, is_accepting=form.is_accepting.data,
                            categories=form.categories.data or [], areas=area_lines(form.areas.data),
                            languages=form.languages.data or [])
        return redirect(url_for("help_staff.routing_rule", organization_id=organization.id, saved=1))
    return render_template("help_staff/routing.html", organization=organization, form=form, rule=rule,
                           has_keys=keys.public_key_of(organization.id) is not None), 200


def _overview(*, coordinator=None, retention=None, status=200):
    rules = {rule.organization_id: rule for rule in db.session.scalars(db.select(RoutingRule))}
    organizations = list(db.session.scalars(db.select(Organization).order_by(Organization.name)))
    coordinator = coordinator or CoordinatorForm(formdata=None, data={
        "organization_id": next((oid for oid, rule in rules.items() if rule.is_coordinator), None)})
    coordinator.organization_id.choices = [choice("", "—")] + [choice(o.id, o.name) for o in organizations]
    retention = retention or RetentionForm(formdata=None, data={"retention_days": str(services.retention_days())})
    return render_template(
        "help_staff/overview.html", counts=routing.explain(), coverage=routing.coverage(),
        terms={term.code: term for term in directory_services.all_terms()},
        locales={loc.code: loc for loc in site_locales()}, coordinator_form=coordinator, retention_form=retention,
        default_days=current_app.config["HELP_RETENTION_DAYS"]), status


@bp.get("/routing")
@requires_role(STEWARD)
def overview():
    return _overview()


@bp.post("/routing/coordinator")
@requires_role(STEWARD)
def coordinator():
    form = CoordinatorForm()
    organizations = list(db.session.scalars(db.select(Organization.id)))
    form.organization_id.choices = [choice(oid, oid) for oid in organizations]
    if form.validate_on_submit():
        routing.set_coordinator(g.staff_user, form.organization_id.data)
        return redirect(url_for("help_staff.overview", saved=1))
    return _overview(coordinator=form)


@bp.post("/routing/retention")
@requires_role(STEWARD)
def retention():
    form = RetentionForm()
    if form.validate_on_submit():
        services.set_retention_days(g.staff_user, form.days)
        return redirect(url_for("help_staff.overview", saved=1))
    return _overview(retention=form)
