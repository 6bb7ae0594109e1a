"""Staff sign-in and account pages under ``/staff/`` (no locale in the URL: the browser's or the
person's own language). Views parse, call one service, and map its errors to HTTP."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..domain import NotFound
from ..i18n.setup import site_locales
from . import services, sessions
from .access import ANY_ROLE, requires_role
from .forms import (
    PASSWORD_MESSAGES,
    ROLE_LABELS,
    ChangePasswordForm,
    CodeForm,
    EmptyForm,
    InvitationForm,
    LoginForm,
    ProfileForm,
    RecoveryForm,
    SetPasswordForm,
    choice,
)
from .models import ORG_MEMBER, REVIEWER, STEWARD

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
    form = SetPasswordForm(data=None if request.method == "POST" else {"display_name": invitation.display_name})
    if form.validate_on_submit():
        problem = None
        try:
            services.accept_invitation(token, form.password.data, form.display_name.data)
        except services.PasswordRejected as error:
            problem = error.code
        except services.InvitationInvalid:
            return render_template("accounts/invitation_invalid.html"), 404
        else:
            sessions.sign_out()
            return redirect(url_for("accounts.login"))
        form.password.errors = [PASSWORD_MESSAGES[problem]]
    return render_template("accounts/set_password.html", form=form, invitation=invitation)


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
        except services.RoleConflict:
            form.roles.errors = [_("A police outreach account cannot also be a member of an organization.")]
        except services.AccountError:
            form.email.errors = [_("This invitation cannot be made. Check the e-mail address and the roles.")]
        else:
            link = url_for("accounts.accept_invitation", token=token, _external=True)
            return render_template("accounts/invitation_link.html", link=link, email=form.email.data.strip().lower())
    return render_template("accounts/invite.html", form=form)


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
