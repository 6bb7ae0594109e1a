"""Help forms, for residents and for organization members. Only these fields are ever read."""
from __future__ import annotations

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import choice
from .models import STATUSES
from .services import MESSAGE_LIMIT

PHONE = re.compile(r"^[0-9+()\-.\s]{7,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Translators: the status of a help request, shown to the resident and to the organization.
STATUS_LABELS = {
    # Translators: status of a help request: sent, not yet read by the organization (adjective, not "create new").
    "new": _l("New"),
    # Translators: status of a help request: the organization has opened it.
    "seen": _l("Read by the organization"),
    # Translators: status of a help request: the organization has replied to the resident.
    "contacted": _l("The organization has answered"),
    # Translators: status of a help request: the organization will help.
    "accepted": _l("Accepted"),
    # Translators: status of a help request: the person is on the organization's waiting list.
    "waitlisted": _l("On a waiting list"),
    # Translators: status of a help request: the organization cannot help; said kindly to the resident.
    "declined": _l("The organization cannot help with this"),
    "closed": lazy_pgettext("help request status", "Closed"),
}
CONTACT_LABELS = {
    "receipt": _l("I will check back here with my receipt"),
    "phone": _l("Call or text me"),
    "email": _l("E-mail me"),
}


class HelpRequestForm(FlaskForm):
    categories = SelectMultipleField(_l("What do you need help with? (optional)"), choices=[],
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                     validators=[Optional()], validate_choice=True)
    area = StringField(_l("Your ZIP code or town (optional)"), validators=[Optional(), Length(max=60)])
    language = RadioField(_l("Which language should they answer in?"), choices=[],
                          validators=[DataRequired(_l("Choose a language."))])
    message = TextAreaField(_l("Your message (optional)"), validators=[
        Optional(), Length(max=MESSAGE_LIMIT, message=_l("Your message must be 5,000 characters or fewer."))])
    contact_method = RadioField(_l("How should they reach you?"), default="receipt",
                                choices=[choice(k, v) for k, v in CONTACT_LABELS.items()],
                                validators=[DataRequired(_l("Choose how they should reach you."))])
    phone = StringField(_l("Phone number"), validators=[Length(max=30)])
    email = StringField(_l("E-mail address"), validators=[Length(max=320)])
    # The honeypot: hidden from people, filled in by bots.
    website = StringField(_l("Leave this empty"), validators=[Optional()])

    def validate_phone(self, field) -> None:
        value = (field.data or "").strip()
        if self.contact_method.data == "phone" and not value:
            raise ValidationError(_l("Enter the phone number they should call or text."))
        if value and not PHONE.match(value):
            raise ValidationError(_l("Enter a phone number, like 503 555 0142."))

    def validate_email(self, field) -> None:
        value = (field.data or "").strip()
        if self.contact_method.data == "email" and not value:
            raise ValidationError(_l("Enter the e-mail address they should write to."))
        if value and not EMAIL.match(value):
            raise ValidationError(_l("Enter an e-mail address, like name@example.org."))


class ReceiptForm(FlaskForm):
    receipt = StringField(_l("Your receipt"), validators=[DataRequired(_l("Enter your receipt.")), Length(max=80)])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Your answer"), validators=[
        DataRequired(_l("Write your answer.")),
        Length(max=MESSAGE_LIMIT, message=_l("Your answer must be 5,000 characters or fewer."))])


class ConfirmForm(FlaskForm):
    """A button that changes something (delete, leave): only the CSRF token is posted."""


# -- staff --------------------------------------------------------------------------------------------


class UnlockForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(_l("Enter your password.")), Length(max=1024)])


class GrantForm(UnlockForm):
    member_id = SelectField(_l("Member"), choices=[], validators=[DataRequired(_l("Choose a member."))])


class RecoveryKeyForm(FlaskForm):
    recovery_key = StringField(_l("Recovery key"), validators=[DataRequired(_l("Enter the recovery key.")), Length(max=80)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your reply"), validators=[
        DataRequired(_l("Write your reply.")),
        Length(max=MESSAGE_LIMIT, message=_l("Your reply must be 5,000 characters or fewer."))])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[choice(s, STATUS_LABELS[s]) for s in STATUSES],
                         validators=[DataRequired(_l("Choose a status."))])


class ForwardForm(UnlockForm):
    organization_id = SelectField(_l("Forward to"), choices=[], validators=[DataRequired(_l("Choose an organization."))])
    keep_access = BooleanField(_l("Keep access for my organization too"))


class DeleteForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this request and everything in it for good"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


# Letters of any script, spaces, hyphens, apostrophes and periods: a town or county name.
PLACE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s'’.-])*$")
MAX_AREAS = 200


def area_lines(text: str | None) -> list[str]:
    """The areas typed one per line (commas also separate), blank lines dropped."""
    return [part.strip() for line in (text or "").splitlines() for part in line.split(",") if part.strip()]


class RoutingForm(FlaskForm):
    """What an organization opts in to receive. The coordinator flag is not a field: only the steward sets it."""

    is_accepting = BooleanField(_l("Send us help requests"))
    categories = SelectMultipleField(_l("Kinds of help (none ticked means any)"), choices=[],
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                     validators=[Optional()], validate_choice=True)
    # Translators: "statewide" must stay in English: it is the keyword the site understands.
    areas = TextAreaField(_l("Areas you serve, one per line: ZIP codes, towns or counties, or “statewide” "
                             "(empty means anywhere)"), validators=[Optional(), Length(max=10_000)])
    languages = SelectMultipleField(_l("Languages you can answer in (none ticked means any)"), choices=[],
                                    widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                    validators=[Optional()], validate_choice=True)

    def validate_areas(self, field) -> None:
        # gettext, not _l: a lazy string counts as safe HTML in templates, and these messages quote input.
        lines = area_lines(field.data)
        if len(lines) > MAX_AREAS:
            raise ValidationError(gettext("List at most %(num)s areas.", num=MAX_AREAS))
        for line in lines:
            digits = line[:5].isdigit()
            if digits and not re.fullmatch(r"\d{5}(-\d{4})?", line):
                raise ValidationError(gettext("“%(area)s” is not a ZIP code: use 5 digits, like 97205.", area=line[:60]))
            if not digits and (len(line) > 60 or not PLACE.match(line)):
                raise ValidationError(gettext("“%(area)s” is not a town or county name.", area=line[:60]))


class CoordinatorForm(FlaskForm):
    organization_id = SelectField(_l("Coordinator organization"), choices=[],
                                  validators=[DataRequired(_l("Choose an organization."))])


class RetentionForm(FlaskForm):
    retention_days = StringField(_l("Keep help requests for this many days after their last activity"),
                                 validators=[Length(max=10)])

    def validate_retention_days(self, field) -> None:
        value = (field.data or "").strip()
        if not (value.isascii() and value.isdigit() and 30 <= int(value) <= 180):
            raise ValidationError(_l("Enter a number of days between 30 and 180."))

    @property
    def days(self) -> int:
        return int(self.retention_days.data.strip())
