"""Sign-in, invitation and account forms. Only the fields listed here are ever read from a POST."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import passwords

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms
    def choice(value, label):  # type: ignore[no-redef]
        return (value, label)
from .models import ORG_MEMBER, OUTREACH_PUBLISHER, REVIEWER, STEWARD

# Translators: what each password rule says when it is broken.
PASSWORD_MESSAGES = {
    # Translators: error when a chosen password breaks a rule: too short.
    passwords.TOO_SHORT: _l("Your password must be at least 12 characters long."),
    # Translators: error when a chosen password breaks a rule: too long.
    passwords.TOO_LONG: _l("Your password must be 128 characters or fewer."),
    # Translators: error when a chosen password breaks a rule: on the list of common passwords.
    passwords.TOO_COMMON: _l("This password is too common and easy to guess. Choose another one."),
    # Translators: error when a chosen password breaks a rule: too close to the person's e-mail address.
    passwords.LIKE_EMAIL: _l("Your password must not be your e-mail address or close to it."),
    # Translators: error when a chosen password breaks a rule: only a few characters repeated.
    passwords.TOO_REPETITIVE: _l("Your password repeats the same few characters. Choose another one."),
}
# Translators: the steward never holds an organization's key for help requests, so is never a member.
STEWARD_MEMBER_MESSAGE = _l("The site steward cannot also be a member of an organization.")
# Translators: names of the staff roles, shown on the invitation form and the staff home page.
ROLE_LABELS = {
    # Translators: name of a staff role: the person who runs the whole site (invitation form, staff home page).
    STEWARD: _l("Site steward"),
    # Translators: name of a staff role: checks organizations' listing changes before residents see them.
    REVIEWER: _l("Reviewer of listing changes"),
    # Translators: name of a staff role: publishes awareness campaigns and events (e.g. a police or health outreach team).
    OUTREACH_PUBLISHER: _l("Outreach publisher (campaigns and events)"),
    # Translators: name of a staff role: works for one organization and edits its listings.
    ORG_MEMBER: _l("Member of an organization"),
}


class NewPassword:
    """Checks the password rules; ``email_field`` names the field holding the e-mail, when there is one."""

    def __init__(self, email_source=None) -> None:
        self.email_source = email_source

    def __call__(self, form, field) -> None:
        email = self.email_source(form) if self.email_source else ""
        problem = passwords.password_problem(field.data or "", email or "")
        if problem:
            raise ValidationError(PASSWORD_MESSAGES[problem])


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(_l("Enter the 6-digit code from your authenticator app.")), Length(max=20)])


class RecoveryForm(FlaskForm):
    code = StringField(_l("Recovery code"), validators=[DataRequired(_l("Enter one of your recovery codes.")), Length(max=40)])


class SetPasswordForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter a password.")), Length(max=1024)])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(_l("Enter the password again.")), EqualTo("password", _l("The two passwords are not the same."))])


class ExistingAccountPasswordForm(SetPasswordForm):
    """Accepting an invitation for an account that already exists: the current password, when the
    person remembers it, keeps their access to their organizations' help requests."""

    current_password = PasswordField(_l("Your current password (if you remember it)"),
                                     validators=[Optional(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))])
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password.")), Length(max=1024)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")), EqualTo("password", _l("The two passwords are not the same."))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)])
    preferred_locale = SelectField(_l("Language of the staff pages"), choices=[], validators=[Optional()])


class InvitationForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter an e-mail address.")), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.org.")), Length(max=320)])
    display_name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    roles = SelectMultipleField(_l("Roles"), choices=[choice(value, label) for value, label in ROLE_LABELS.items()],
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                validators=[DataRequired(_l("Choose at least one role."))])
    organization_id = SelectField(_l("Organization (for members of an organization)"), choices=[], validators=[Optional()])

    def validate_organization_id(self, field) -> None:
        if ORG_MEMBER in (self.roles.data or []) and not field.data:
            raise ValidationError(_l("Choose the organization this person is a member of."))

    def validate_roles(self, field) -> None:
        if OUTREACH_PUBLISHER in (field.data or []) and ORG_MEMBER in (field.data or []):
            raise ValidationError(_l("A police outreach account cannot also be a member of an organization."))
        if STEWARD in (field.data or []) and ORG_MEMBER in (field.data or []):
            raise ValidationError(STEWARD_MEMBER_MESSAGE)


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token is posted (sign out)."""


class RevokeRoleForm(FlaskForm):
    """One role of one account, taken away by the steward (the account is in the URL)."""

    role = HiddenField(validators=[DataRequired()])
    organization_id = HiddenField(validators=[Optional(), Length(max=64)])


class MemberInvitationForm(FlaskForm):
    """An organization member invites a colleague to the same organization (the organization is in the URL)."""

    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter an e-mail address.")), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.org.")), Length(max=320)])
    display_name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=1024)])
