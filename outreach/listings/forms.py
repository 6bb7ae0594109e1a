"""Listing forms. Only the fields declared here are read from a POST: organization, status,
verification and roles are not among them, so posting them changes nothing."""
from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import choice
from ..directory.models import PHONE_TYPES, WEEKDAYS
from ..help.forms import EMAIL, PHONE

URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$")
TEXT_LIMIT = 5000
SHORT_TEXT_LIMIT = 2000
EXTRA_ROWS = 2  # blank rows offered for adding a phone, an hours rule or a cost (no JavaScript needed)

# Translators: labels of the listing fields, on the edit forms and in the reviewer's list of changes.
FIELD_LABELS = {
    # Translators: label of a listing field on the edit form and in the reviewer's list of changes.
    "name": _l("Name of the service"),
    # Translators: label of a listing field: the service's description for residents.
    "description": _l("What the service does"),
    # Translators: label of a listing field: who the service is for.
    "eligibility_description": _l("Who can use it (optional)"),
    # Translators: label of a listing field: the cost explained in words.
    "fees_description": _l("What it costs, in words (optional)"),
    # Translators: label of a listing field: what to do to get the service.
    "application_process": _l("How to get it (optional)"),
    # Translators: label of a listing field: remarks about the opening hours (holidays, evenings).
    "schedule_notes": _l("Notes about the hours (optional)"),
    "url": _l("Website (optional)"),
    "email": _l("E-mail address (optional)"),
    # Translators: label of a listing field: the youngest age the service accepts.
    "minimum_age": _l("Youngest age served (optional)"),
    # Translators: label of a listing field: the oldest age the service accepts.
    "maximum_age": _l("Oldest age served (optional)"),
    "phones": _l("Phone numbers"),
    "languages": _l("Languages the service is offered in"),
    "categories": _l("Categories"),
    # Translators: label of a group of tick boxes: free, sliding scale, walk-in, no ID needed …
    "attributes": _l("Cost and access"),
    # Translators: label of a listing field: each price with what it is for.
    "cost_options": _l("Prices"),
    "hours": _l("Opening hours"),
    # Translators: label of a listing field: the organization's places where the service is given.
    "locations": _l("Places where it is offered"),
    "address_1": _l("Street address"),
    "address_2": _l("Address line 2 (optional)"),
    "city": _l("Town or city"),
    # Translators: label of an address field: the US state (e.g. Oregon), not a condition.
    "state_province": _l("State"),
    "postal_code": _l("ZIP code"),
    # Translators: label of a listing field: buses, trains or parking near the place.
    "transportation": _l("How to get there (optional)"),
    # Translators: label of a tick box: hide the street address, e.g. for a shelter; residents are told to call.
    "is_address_confidential": _l("Keep the address private (residents are asked to call)"),
    # Translators: label of a listing field: a place's own name, like "Main clinic".
    "location_name": _l("Name of the place (optional)"),
}
WEEKDAY_LABELS = {
    # Translators: weekday abbreviation (Monday) on the opening-hours form and in the reviewer's list of changes.
    "MO": _l("Mon"),
    # Translators: weekday abbreviation (Tuesday) on the opening-hours form.
    "TU": _l("Tue"),
    # Translators: weekday abbreviation (Wednesday) on the opening-hours form.
    "WE": _l("Wed"),
    # Translators: weekday abbreviation (Thursday) on the opening-hours form.
    "TH": _l("Thu"),
    # Translators: weekday abbreviation (Friday) on the opening-hours form.
    "FR": _l("Fri"),
    # Translators: weekday abbreviation (Saturday) on the opening-hours form.
    "SA": _l("Sat"),
    # Translators: weekday abbreviation (Sunday) on the opening-hours form.
    "SU": _l("Sun"),
}
PHONE_TYPE_LABELS = {
    # Translators: a kind of phone line: for calls (as opposed to text messages or fax).
    "voice": _l("Voice"),
    # Translators: a kind of phone line: takes SMS text messages.
    "text": _l("Text messages"),
    # Translators: a kind of phone line: fax machine.
    "fax": _l("Fax"),
    # Translators: a kind of phone line: a mobile (cell) phone.
    "cell": _l("Mobile"),
    # Translators: a kind of phone line: video calls, e.g. for sign language.
    "video": _l("Video"),
    # Translators: a kind of phone line: a pager (beeper).
    "pager": _l("Pager"),
    # Translators: a kind of phone line: text telephone for deaf or hard-of-hearing people (TTY).
    "textphone": _l("Textphone (TTY)"),
}
# Translators: what a resident can say is wrong with a listing.
PROBLEM_LABELS = {
    # Translators: a reason a resident can pick when reporting a problem with a listing.
    "phone": _l("The phone number is wrong"),
    # Translators: a reason a resident can pick when reporting a problem with a listing.
    "address": _l("The address or place is wrong"),
    # Translators: a reason a resident can pick when reporting a problem with a listing.
    "hours": _l("The opening hours are wrong"),
    # Translators: a reason a resident can pick when reporting a problem with a listing.
    "closed": _l("The service has closed or moved"),
    # Translators: a reason a resident can pick when reporting a problem with a listing.
    "details": _l("Something else in the listing is wrong"),
}


def checkboxes(label, validators=None) -> SelectMultipleField:
    return SelectMultipleField(label, choices=[], widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               validators=[Optional()] if validators is None else validators)


class PhoneEntry(Form):
    # Translators: label of the phone number box on the listing form (the digits to call).
    number = StringField(_l("Number"), validators=[Length(max=30)])
    extension = StringField(_l("Extension (optional)"), validators=[Optional(), Length(max=20)])
    type = SelectField(_l("Kind of line"), choices=[choice(t, PHONE_TYPE_LABELS[t]) for t in PHONE_TYPES], default="voice")
    description = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])

    def validate_number(self, field) -> None:
        value = (field.data or "").strip()
        if value and not PHONE.match(value):
            raise ValidationError(_l("Enter a phone number, like 503 555 0142."))
        if not value and ((self.extension.data or "").strip() or (self.description.data or "").strip()):
            raise ValidationError(_l("Enter the phone number, or clear the other boxes of this phone."))


class HoursEntry(Form):
    days = checkboxes(_l("Days"), validators=[])
    opens = StringField(_l("Opens at (24-hour clock, like 09:00)"), validators=[Length(max=5)])
    closes = StringField(_l("Closes at (24-hour clock, like 17:30)"), validators=[Length(max=5)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.days.choices = [choice(day, WEEKDAY_LABELS[day]) for day in WEEKDAYS]

    @property
    def is_blank(self) -> bool:
        return not (self.days.data or (self.opens.data or "").strip() or (self.closes.data or "").strip())

    def validate_days(self, field) -> None:
        if not self.is_blank and not field.data:
            raise ValidationError(_l("Choose the days these hours apply to."))

    def validate_opens(self, field) -> None:
        self._check_clock(field)

    def validate_closes(self, field) -> None:
        self._check_clock(field)

    def _check_clock(self, field) -> None:
        value = (field.data or "").strip()
        if self.is_blank:
            return
        if not value:
            raise ValidationError(_l("Enter a time, like 09:00."))
        if not CLOCK.match(value):
            raise ValidationError(_l("Enter a time on the 24-hour clock, like 09:00 or 17:30."))


class CostEntry(Form):
    option = StringField(_l("What it is for (like: First visit)"), validators=[Length(max=300)])
    amount = DecimalField(_l("Price in US dollars (optional)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1_000_000, message=_l("Enter a price of 0 or more."))])

    def validate_option(self, field) -> None:
        if not (field.data or "").strip() and self.amount.data is not None:
            raise ValidationError(_l("Say what this price is for, or clear the price."))


def _text(label, limit=SHORT_TEXT_LIMIT):
    return TextAreaField(label, validators=[Optional(), Length(max=limit, message=_l(
        "This must be %(max)d characters or fewer.", max=limit))])


class ServiceForm(FlaskForm):
    name = StringField(FIELD_LABELS["name"], validators=[
        DataRequired(_l("Enter the name of the service.")),
        Length(max=300, message=_l("The name must be 300 characters or fewer."))])
    description = _text(FIELD_LABELS["description"], TEXT_LIMIT)
    eligibility_description = _text(FIELD_LABELS["eligibility_description"])
    fees_description = _text(FIELD_LABELS["fees_description"])
    application_process = _text(FIELD_LABELS["application_process"])
    url = StringField(FIELD_LABELS["url"], validators=[Optional(), Length(max=500)])
    email = StringField(FIELD_LABELS["email"], validators=[Optional(), Length(max=320)])
    minimum_age = IntegerField(FIELD_LABELS["minimum_age"], validators=[
        Optional(), NumberRange(min=0, max=120, message=_l("Enter an age from 0 to 120."))])
    maximum_age = IntegerField(FIELD_LABELS["maximum_age"], validators=[
        Optional(), NumberRange(min=0, max=120, message=_l("Enter an age from 0 to 120."))])
    languages = StringField(FIELD_LABELS["languages"], validators=[Optional(), Length(max=200)])
    categories = checkboxes(FIELD_LABELS["categories"], validators=[])
    attributes = checkboxes(FIELD_LABELS["attributes"])
    locations = checkboxes(FIELD_LABELS["locations"])
    phones = FieldList(FormField(PhoneEntry), min_entries=1)
    hours = FieldList(FormField(HoursEntry), min_entries=1)
    schedule_notes = _text(FIELD_LABELS["schedule_notes"])
    cost_options = FieldList(FormField(CostEntry), min_entries=1)

    def validate_url(self, field) -> None:
        if field.data and not URL.match(field.data.strip()):
            raise ValidationError(_l("Enter a web address starting with https://"))

    def validate_email(self, field) -> None:
        if field.data and not EMAIL.match(field.data.strip()):
            raise ValidationError(_l("Enter an e-mail address, like name@example.org."))

    def validate_maximum_age(self, field) -> None:
        if field.data is not None and self.minimum_age.data is not None and field.data < self.minimum_age.data:
            raise ValidationError(_l("The oldest age must not be below the youngest age."))

    def validate_languages(self, field) -> None:
        for code in _codes(field.data):
            if not LANGUAGE_CODE.match(code):
                raise ValidationError(_l("Enter language codes separated by commas, like: en, es, vi."))

    def validate_categories(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one category."))

    def values(self) -> dict[str, Any]:
        """The form as listing values (see :mod:`outreach.listings.values`)."""
        result: dict[str, Any] = {}
        for name in ("name", "description", "eligibility_description", "fees_description", "application_process",
                     "schedule_notes", "url", "email"):
            result[name] = (getattr(self, name).data or "").strip()
        result["minimum_age"] = self.minimum_age.data
        result["maximum_age"] = self.maximum_age.data
        result["languages"] = list(dict.fromkeys(_codes(self.languages.data)))
        result["categories"] = sorted(set(self.categories.data or []))
        result["attributes"] = sorted(set(self.attributes.data or []))
        result["locations"] = sorted(set(self.locations.data or []))
        result["phones"] = [{"number": entry.number.data.strip(), "extension": (entry.extension.data or "").strip(),
                             "type": entry.type.data or "voice", "description": (entry.description.data or "").strip()}
                            for entry in (e.form for e in self.phones) if (entry.number.data or "").strip()]
        result["hours"] = [{"days": ",".join(d for d in WEEKDAYS if d in (entry.days.data or [])),
                            "opens": _clock(entry.opens.data), "closes": _clock(entry.closes.data)}
                           for entry in (e.form for e in self.hours) if not entry.is_blank]
        result["cost_options"] = [{"option": entry.option.data.strip(),
                                   "amount": None if entry.amount.data is None else str(entry.amount.data.quantize(Decimal("0.01")))}
                                  for entry in (e.form for e in self.cost_options) if (entry.option.data or "").strip()]
        return result


def _codes(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


def _clock(text: str) -> str:
    return time.fromisoformat(text.strip().zfill(5)).strftime("%H:%M")


def service_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """Listing values as form data, with blank rows to add a phone, hours or a price."""
    data = {key: values.get(key) for key in ("name", "description", "eligibility_description", "fees_description",
                                             "application_process", "schedule_notes", "url", "email",
                                             "minimum_age", "maximum_age", "categories", "attributes", "locations")}
    data["languages"] = ", ".join(values.get("languages") or [])
    data["phones"] = list(values.get("phones") or []) + [{}] * EXTRA_ROWS
    data["hours"] = [{"days": rule["days"].split(","), "opens": rule["opens"], "closes": rule["closes"]}
                     for rule in values.get("hours") or []] + [{}] * EXTRA_ROWS
    data["cost_options"] = [{"option": c["option"], "amount": Decimal(c["amount"]) if c.get("amount") else None}
                            for c in values.get("cost_options") or []] + [{}] * EXTRA_ROWS
    return data


class TranslationForm(FlaskForm):
    """The service's text in one other language; an empty box means "no translation yet"."""

    name = StringField(FIELD_LABELS["name"], validators=[Optional(), Length(max=300)])
    description = _text(FIELD_LABELS["description"], TEXT_LIMIT)
    eligibility_description = _text(FIELD_LABELS["eligibility_description"])
    fees_description = _text(FIELD_LABELS["fees_description"])
    application_process = _text(FIELD_LABELS["application_process"])
    schedule_notes = _text(FIELD_LABELS["schedule_notes"])

    # The fields whose translation needs updating (choices set by the view) that the editor finds still right.
    # Translators: an editor confirms that a translation written for an older version of the original text is still correct.
    still_right = checkboxes(_l("Still right"))

    FIELDS = ("name", "description", "eligibility_description", "fees_description", "application_process",
              "schedule_notes")

    def values(self, locale: str) -> dict[str, Any]:
        values: dict[str, Any] = {f"{name}:{locale}": (getattr(self, name).data or "").strip() for name in self.FIELDS}
        confirmed = set(self.still_right.data or [])
        values[f"stale:{locale}"] = [name for name, _label in self.still_right.choices if name not in confirmed]
        return values


class LocationForm(FlaskForm):
    name = StringField(FIELD_LABELS["location_name"], validators=[Optional(), Length(max=300)])
    address_1 = StringField(FIELD_LABELS["address_1"], validators=[
        DataRequired(_l("Enter the street address.")), Length(max=300)])
    address_2 = StringField(FIELD_LABELS["address_2"], validators=[Optional(), Length(max=300)])
    city = StringField(FIELD_LABELS["city"], validators=[DataRequired(_l("Enter the town or city.")), Length(max=120)])
    state_province = StringField(FIELD_LABELS["state_province"], validators=[
        DataRequired(_l("Enter the state.")), Length(max=120)])
    postal_code = StringField(FIELD_LABELS["postal_code"], validators=[DataRequired(_l("Enter the ZIP code."))])
    transportation = _text(FIELD_LABELS["transportation"])
    is_address_confidential = BooleanField(FIELD_LABELS["is_address_confidential"])

    def validate_postal_code(self, field) -> None:
        if not re.match(r"^\d{5}(-\d{4})?$", (field.data or "").strip()):
            raise ValidationError(_l("Enter a ZIP code, like 97205."))

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {name: (getattr(self, name).data or "").strip()
                                  for name in ("name", "address_1", "address_2", "city", "state_province",
                                               "postal_code", "transportation")}
        result["is_address_confidential"] = bool(self.is_address_confidential.data)
        return result


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why (the organization will see this)"), validators=[
        DataRequired(_l("Say why, so the organization can put it right.")),
        Length(max=2000, message=_l("This must be %(max)d characters or fewer.", max=2000))])


class ApproveForm(FlaskForm):
    overwrite_newer = BooleanField(_l("Apply it anyway, replacing what changed since"))


class TrustForm(FlaskForm):
    trusted = BooleanField(_l("Apply this organization's changes at once, without review"))


class ConfirmForm(FlaskForm):
    """A button that changes something (re-verify): only the CSRF token is posted."""


class ProblemReportForm(FlaskForm):
    problem = RadioField(_l("What is wrong?"), choices=[choice(k, v) for k, v in PROBLEM_LABELS.items()],
                         validators=[DataRequired(_l("Choose what is wrong."))])
    details = TextAreaField(_l("What should it say instead? (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("This must be %(max)d characters or fewer.", max=1000))])
    # The honeypot: hidden from people, filled in by bots.
    website = StringField(_l("Leave this empty"), validators=[Optional()])


def error_items(form) -> list[tuple[str, str]]:
    """(field id, first message) for every field in error, nested rows included, for the error summary."""
    items: list[tuple[str, str]] = []

    def walk(field) -> None:
        if isinstance(field, FieldList):
            for entry in field:
                walk(entry)
        elif isinstance(field, FormField):
            for sub in field.form:
                walk(sub)
        elif field.errors and field.type != "CSRFTokenField":
            items.append((field.id, str(field.errors[0])))

    for field in form:
        walk(field)
    return items
