"""Staff sign-in and account pages under ``/staff/`` (no locale in the URL: the browser's or the
person's own language). Views parse, call one service, and map its errors to HTTP."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..domain import NotFound
from ..i18n import formats
from ..i18n.setup import site_locales
from . import services, sessions
from .access import ANY_ROLE, requires_role
from .forms import (
    PASSWORD_MESSAGES,
    ROLE_LABELS,
    ChangePasswordForm,
    CodeForm,
    STEWARD_MEMBER_MESSAGE,
    EmptyForm,
    ExistingAccountPasswordForm,
    InvitationForm,
    LoginForm,
    MemberInvitationForm,
    ProfileForm,
    RecoveryForm,
    RevokeRoleForm,
    SetPasswordForm,
    choice,
)
from .models import ORG_MEMBER, REVIEWER, STEWARD, User

bp = Blueprint("accounts", __name__, url_prefix="/staff")


def login_failed_message() -> str:
    # Translators: the one message for a wrong e-mail, password or code, a disabled account or too many tries.
    return _("The e-mail address, password or code is not right, or there have been too many tries. "
             "Check them and try again in a few minutes.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.get("staff_user") is not None:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        try:
            user = services.check_password(form.email.data, form.password.data)
        except services.LoginFailed:
            failed = True
        else:
            stage = "totp" if user.has_totp else "setup"
            sessions.begin_pending(user, stage)
            return redirect(url_for("accounts.login_code" if stage == "totp" else "accounts.totp_setup"))
    return render_template("accounts/login.html", form=form, failed=failed,
                           signed_out=request.args.get("signed_out") == "1",
                           ended=g.get("staff_session_ended", False))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    user = sessions.pending_user("totp")
    if user is None:
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        try:
            services.verify_totp(user, form.code.data)
        except services.LoginFailed:
            failed = True
        else:
            sessions.sign_in(user)
            return redirect(url_for("accounts.home"))
    return render_template("accounts/login_code.html", form=form, failed=failed)


@bp.route("/login/recovery-code", methods=["GET", "POST"])
def login_recovery():
    user = sessions.pending_user("totp")
    if user is None:
        return redirect(url_for("accounts.login"))
    form = RecoveryForm()
    failed = False
    if form.validate_on_submit():
        try:
            services.use_recovery_code(user, form.code.data)
        except services.LoginFailed:
            failed = True
        else:
            sessions.sign_in(user)
            return redirect(url_for("accounts.home"))
    return render_template("accounts/login_recovery.html", form=form, failed=failed)


def _qr_svg(uri: str) -> Markup:
    """The authenticator link as inline SVG, drawn here: no request to anyone, no data: URI."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#1b1b1b", light="#ffffff", omitsize=False)
    return Markup(svg)


@bp.route("/login/set-up", methods=["GET", "POST"])
def totp_setup():
    user = sessions.pending_user("setup")
    if user is None:
        return redirect(url_for("accounts.login"))
    secret = sessions.pending_value("secret")
    if not secret:
        secret = services.new_totp_secret()
        sessions.set_pending_value("secret", secret)
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        try:
            codes = services.confirm_totp_setup(user, secret, form.code.data)
        except services.LoginFailed:
            failed = True
        else:
            sessions.sign_in(user)
            # Shown once, as this response: never stored in plain text, never in a later page.
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = services.provisioning_uri(user, secret)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("accounts/totp_setup.html", form=form, failed=failed, qr=_qr_svg(uri), secret=grouped)


@bp.post("/logout")
@requires_role(*ANY_ROLE)
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    services.record_logout(g.staff_user)
    sessions.sign_out()
    return redirect(url_for("accounts.login", signed_out="1"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = services.find_invitation(token)
    except services.InvitationInvalid:
        return render_template("accounts/invitation_invalid.html"), 404
    existing = services.invitation_for_existing_account(invitation)
    form_class = ExistingAccountPasswordForm if existing else SetPasswordForm
    form = form_class(data=None if request.method == "POST" else {"display_name": invitation.display_name})
    if form.validate_on_submit():
        current = form.current_password.data if existing else ""
        try:
            services.accept_invitation(token, form.password.data, form.display_name.data, current or "")
        except services.PasswordRejected as error:
            form.password.errors = [PASSWORD_MESSAGES[error.code]]
        except services.LoginFailed:
            form.current_password.errors = [_("Your current password is not right, or there have been too many "
                                              "tries. Leave it empty if you have forgotten it.")]
        except services.InvitationInvalid:
            return render_template("accounts/invitation_invalid.html"), 404
        else:
            sessions.sign_out()
            return redirect(url_for("accounts.login"))
    return render_template("accounts/set_password.html", form=form, invitation=invitation, existing=existing)


@bp.get("/")
@requires_role(*ANY_ROLE)
def home():
    user = g.staff_user
    return render_template("accounts/home.html", user=user, organizations=services.organizations_of(user),
                           role_labels=ROLE_LABELS, codes_left=services.recovery_codes_left(user))


@bp.get("/organizations/<organization_id>")
@requires_role(ORG_MEMBER, STEWARD, REVIEWER)
def organization(organization_id: str):
    try:
        item = services.organization_for(g.staff_user, organization_id)
    except NotFound:
        abort(404)
    return render_template("accounts/organization.html", organization=item)


@bp.route("/account", methods=["GET", "POST"])
@requires_role(*ANY_ROLE)
def account():
    user = g.staff_user
    form = ProfileForm(data=None if request.method == "POST" else
                       {"display_name": user.display_name, "preferred_locale": user.preferred_locale or ""})
    form.preferred_locale.choices = [choice("", _("The language my browser asks for"))] + [
        choice(loc.code, loc.native_name) for loc in site_locales()]
    if form.validate_on_submit():
        services.update_profile(user, services.ProfileChange(form.display_name.data, form.preferred_locale.data))
        return redirect(url_for("accounts.home"))
    return render_template("accounts/account.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires_role(*ANY_ROLE)
def change_password():
    user = g.staff_user
    form = ChangePasswordForm()
    failed = False
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except services.LoginFailed:
            failed = True
            form.current_password.errors = [_("Your current password is not right.")]
        except services.PasswordRejected as error:
            form.password.errors = [PASSWORD_MESSAGES[error.code]]
        else:
            sessions.refresh_epoch(user)
            return redirect(url_for("accounts.home"))
    return render_template("accounts/change_password.html", form=form, failed=failed)


@bp.route("/invitations/new", methods=["GET", "POST"])
@requires_role(STEWARD)
def invite():
    form = InvitationForm()
    form.organization_id.choices = [choice("", _("None"))] + [choice(o.id, o.name) for o in services.all_organizations()]
    if form.validate_on_submit():
        roles = [{"role": role, "organization_id": form.organization_id.data if role == ORG_MEMBER else None}
                 for role in form.roles.data]
        try:
            _invitation, token = services.create_invitation(
                form.email.data, roles, display_name=form.display_name.data or "", actor=g.staff_user)
        except services.RoleConflict as error:
            form.roles.errors = [STEWARD_MEMBER_MESSAGE if error.code == "steward_member_conflict" else
                                 _("A police outreach account cannot also be a member of an organization.")]
        except services.AccountError:
            form.email.errors = [_("This invitation cannot be made. Check the e-mail address and the roles.")]
        else:
            return _invitation_made(form.email.data.strip().lower(), token)
    return render_template("accounts/invite.html", form=form)


def _invitation_made(email: str, token: str, with_key: bool = False):
    """E-mail the one-time link when SMTP is set up; otherwise (or if sending fails) show it once."""
    link = invitation_link(token)
    sent = send_invitation(email, link)
    return render_template("accounts/invitation_link.html", link=None if sent else link, email=email, sent=sent,
                           smtp_configured=bool(current_app.config.get("SMTP_HOST")), with_key=with_key)


def invitation_link(token: str) -> str:
    """Built from the configured public address (SITE_URL), never from the request's Host header."""
    return current_app.config["SITE_URL"].rstrip("/") + url_for("accounts.accept_invitation", token=token)


def send_invitation(email: str, link: str) -> bool:
    if not current_app.config.get("SMTP_HOST"):
        return False
    from ..help.notify import _send

    # Translators: the invitation e-mail. %(link)s is the one-time link; %(hours)s is 72.
    subject = _("Outreach: your invitation to the staff pages")
    body = _("You are invited to the staff pages of Outreach.\n\n"
             "Open this link to set your password. It works once, for %(hours)s hours:\n%(link)s\n\n"
             "If you did not expect this invitation, ignore this e-mail.", link=link,
             hours=formats.number(int(services.INVITATION_LIFETIME.total_seconds() // 3600)))
    return _send([email], subject, body) == 1


@bp.route("/organizations/<organization_id>/invite", methods=["GET", "POST"])
@requires_role(ORG_MEMBER)
def invite_member(organization_id: str):
    """A member invites a colleague; the organization's key for help requests goes with the invitation."""
    user = g.staff_user
    if organization_id not in user.organization_ids:
        abort(404)
    organization = services.organization_for(user, organization_id)
    from ..help import keys

    holds_key = keys.has_access(user, organization_id)
    form = MemberInvitationForm()
    if form.validate_on_submit():
        try:
            _invitation, token, with_key = services.invite_member(
                user, organization_id, form.email.data, display_name=form.display_name.data or "",
                password=form.password.data or "")
        except services.RoleConflict:
            form.email.errors = [_("This person cannot be a member of an organization: they are the site steward "
                                   "or a police outreach account.")]
        except services.LoginFailed:
            form.password.errors = [_("Your password is not right.")]
        except services.AccountError as error:
            if error.code == "password_needed":
                form.password.errors = [_("Enter your password: it unlocks the organization's key to give to them.")]
            else:
                form.email.errors = [_("This invitation cannot be made. Check the e-mail address.")]
        else:
            return _invitation_made(form.email.data.strip().lower(), token, with_key)
    return render_template("accounts/invite_member.html", form=form, organization=organization, holds_key=holds_key)


# -- the steward's People page ------------------------------------------------------------------------


def _people_page(error: str | None = None, status: int = 200):
    """The list; with ``error``, the same page with the problem at the top (nothing was changed)."""
    organizations = {o.id: o.name for o in services.all_organizations()}
    return render_template("accounts/people.html", people=services.people(), organizations=organizations,
                           role_labels=ROLE_LABELS, error=error, me=g.staff_user), status


@bp.get("/people")
@requires_role(STEWARD)
def people():
    return _people_page()


def _person(user_id: int) -> User:
    person = services.get_user(user_id)
    if person is None:
        abort(404)
    return person


@bp.post("/people/<int:user_id>/disable")
@requires_role(STEWARD)
def disable_person(user_id: int):
    person = _person(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(person, False, actor=g.staff_user)
    except services.AccountError:
        return _people_page(_("You cannot disable your own account."))
    return redirect(url_for("accounts.people") + f"#person-{person.id}")


@bp.post("/people/<int:user_id>/enable")
@requires_role(STEWARD)
def enable_person(user_id: int):
    person = _person(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.set_active(person, True, actor=g.staff_user)
    return redirect(url_for("accounts.people") + f"#person-{person.id}")


@bp.post("/people/<int:user_id>/revoke")
@requires_role(STEWARD)
def revoke_role(user_id: int):
    person = _person(user_id)
    form = RevokeRoleForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _people_page(_("This account does not hold that role (any more)."))
    role, organization_id = form.role.data, form.organization_id.data or None
    if not any(g_.role == role and g_.organization_id == organization_id for g_ in person.roles):
        return _people_page(_("This account does not hold that role (any more)."))
    try:
        services.revoke_role(person, role, organization_id, actor=g.staff_user)
    except services.AccountError:
        return _people_page(_("You cannot take the steward role from yourself."))
    return redirect(url_for("accounts.people") + f"#person-{person.id}")


def init_app(app) -> None:
    app.register_blueprint(bp)


@bp.app_context_processor
def staff_helpers() -> dict:
    return {"login_failed_message": login_failed_message}


@bp.app_template_filter("datetime_short")
def datetime_short(value) -> str:
    from flask_babel import format_datetime

    from .clock import as_utc

    return format_datetime(as_utc(value), "short")
