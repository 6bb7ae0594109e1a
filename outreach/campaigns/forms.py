"""Campaign and event forms. Only the fields listed here are ever read from a POST."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.forms import choice
from . import images
from .services import CampaignInput, EventInput

# Translators: what the campaign image upload says when the file is refused.
IMAGE_MESSAGES = {
    # Translators: error when a campaign image is refused: no file was chosen.
    images.EMPTY: _l("Choose an image file."),
    # Translators: error when a campaign image is refused: the file is too big.
    images.TOO_LARGE: _l("The image must be smaller than 8 MB."),
    # Translators: error when a campaign image is refused: not a picture in a format the site takes.
    images.NOT_AN_IMAGE: _l("The file must be a JPEG, PNG or WebP image."),
    # Translators: error when a campaign image is refused: too many pixels.
    images.TOO_MANY_PIXELS: _l("The image is too large (more than 24 million pixels). Make it smaller and try again."),
}


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


class _Parsed:
    """Replaces WTForms' own parse error with our translated one."""

    invalid_message = _l("Enter a valid value.")

    def process_formdata(self, valuelist):  # type: ignore[override]
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None


class DayField(_Parsed, DateField):
    # Translators: a date typed on a campaign or event form could not be read.
    invalid_message = _l("Enter a real date, for example 2027-03-14.")


class ClockField(_Parsed, TimeField):
    # Translators: a time typed on a campaign or event form could not be read.
    invalid_message = _l("Enter a real time, for example 09:30.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _valid_zone(_form, field) -> None:
    if field.data and field.data.strip() not in time_zone_names():
        raise ValidationError(_l("Enter a time zone such as America/Los_Angeles or America/New_York."))


def _combine(day, clock_time, zone: str) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(zone))


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")),
                                                 Length(max=200, message=_l("The title must be 200 characters or fewer."))])
    summary = TextAreaField(_l("Summary"), validators=[
        DataRequired(_l("Enter a summary of one or two sentences.")),
        Length(max=500, message=_l("The summary must be 500 characters or fewer."))])
    body = TextAreaField(_l("Text of the campaign (optional)"), validators=[
        Optional(), Length(max=20000, message=_l("The text must be 20,000 characters or fewer."))])
    starts_on = DayField(_l("Shown from (date)"), validators=[InputRequired(_l("Enter the date the campaign starts."))])
    starts_time = ClockField(_l("Shown from (time)"), validators=[InputRequired(_l("Enter the time the campaign starts."))])
    ends_on = DayField(_l("Shown until (date)"), validators=[InputRequired(_l("Enter the date the campaign ends."))])
    ends_time = ClockField(_l("Shown until (time)"), validators=[InputRequired(_l("Enter the time the campaign ends."))])
    time_zone = StringField(_l("Time zone"), validators=[DataRequired(_l("Enter a time zone.")), Length(max=64), _valid_zone])
    is_featured = BooleanField(_l("Feature this campaign on the home page"))
    categories = MultiCheckboxField(_l("Show it with these kinds of help (optional)"), choices=[], validate_choice=True)

    def set_category_choices(self, terms) -> None:
        from ..templating import tx

        self.categories.choices = [choice(term.id, ("— " if term.parent_id else "") + tx(term, "name").value)
                                   for term in terms]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        window = (self.starts_on, self.starts_time, self.ends_on, self.ends_time, self.time_zone)
        if all(f.data and not f.errors for f in window):  # the order is checked even when other fields are wrong
            zone = self.time_zone.data.strip()
            starts = _combine(self.starts_on.data, self.starts_time.data, zone)
            if _combine(self.ends_on.data, self.ends_time.data, zone) <= starts:
                self.ends_on.errors = [_l("The end must be after the start.")]
                valid = False
        return valid

    def to_input(self, source_locale: str = "en") -> CampaignInput:
        zone = self.time_zone.data.strip()
        return CampaignInput(
            title=self.title.data.strip(), summary=self.summary.data.strip(), body=(self.body.data or "").strip(),
            starts_at=_combine(self.starts_on.data, self.starts_time.data, zone),
            ends_at=_combine(self.ends_on.data, self.ends_time.data, zone), time_zone=zone,
            is_featured=bool(self.is_featured.data), category_ids=list(self.categories.data or []),
            source_locale=source_locale)

    @classmethod
    def for_campaign(cls, campaign) -> CampaignForm:
        zone = ZoneInfo(campaign.time_zone)
        starts = _aware(campaign.starts_at).astimezone(zone)
        ends = _aware(campaign.ends_at).astimezone(zone)
        return cls(formdata=None, data={
            "title": campaign.title, "summary": campaign.summary, "body": campaign.body,
            "starts_on": starts.date(), "starts_time": starts.time().replace(second=0, microsecond=0),
            "ends_on": ends.date(), "ends_time": ends.time().replace(second=0, microsecond=0),
            "time_zone": campaign.time_zone, "is_featured": campaign.is_featured,
            "categories": [term.id for term in campaign.categories]})


def _aware(value: datetime) -> datetime:
    from ..accounts.clock import as_utc

    return as_utc(value)


class ImageForm(FlaskForm):
    image = FileField(_l("Image file (JPEG, PNG or WebP)"))
    image_alt = StringField(_l("Describe the image for people who cannot see it"), validators=[
        DataRequired(_l("Describe the image: people using screen readers hear this text.")),
        Length(max=300, message=_l("The description must be 300 characters or fewer."))])


class CampaignTranslationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200, message=_l("The title must be 200 characters or fewer."))])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=500, message=_l("The summary must be 500 characters or fewer."))])
    body = TextAreaField(_l("Text of the campaign"), validators=[Optional(), Length(max=20000, message=_l("The text must be 20,000 characters or fewer."))])
    image_alt = StringField(_l("Image description"), validators=[Optional(), Length(max=300, message=_l("The description must be 300 characters or fewer."))])


class EventTranslationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200, message=_l("The title must be 200 characters or fewer."))])
    place = StringField(_l("Place, or how to join"), validators=[Optional(), Length(max=300, message=_l("The place must be 300 characters or fewer."))])
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=5000, message=_l("The details must be 5,000 characters or fewer."))])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")),
                                                 Length(max=200, message=_l("The title must be 200 characters or fewer."))])
    starts_on = DayField(_l("Date"), validators=[InputRequired(_l("Enter the date of the event."))])
    start_time = ClockField(_l("Starts at"), validators=[InputRequired(_l("Enter the time the event starts."))])
    end_time = ClockField(_l("Ends at"), validators=[InputRequired(_l("Enter the time the event ends."))])
    time_zone = StringField(_l("Time zone"), validators=[DataRequired(_l("Enter a time zone.")), Length(max=64), _valid_zone])
    is_online = BooleanField(_l("This event is online"))
    place = StringField(_l("Place, or how to join (optional for online events)"),
                        validators=[Length(max=300, message=_l("The place must be 300 characters or fewer."))])
    online_url = StringField(_l("Link to join (optional)"), validators=[
        Optional(), Length(max=500, message=_l("The link must be 500 characters or fewer."))])
    details = TextAreaField(_l("Details (optional)"), validators=[
        Optional(), Length(max=5000, message=_l("The details must be 5,000 characters or fewer."))])

    def validate_end_time(self, field) -> None:
        if field.data and self.start_time.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The event must end after it starts."))

    def validate_place(self, field) -> None:
        if not self.is_online.data and not (field.data or "").strip():
            raise ValidationError(_l("Enter where the event happens."))

    def validate_online_url(self, field) -> None:
        value = (field.data or "").strip()
        if value and not value.lower().startswith("https://"):
            raise ValidationError(_l("The link must start with https://"))

    def to_input(self) -> EventInput:
        return EventInput(
            title=self.title.data.strip(), starts_on=self.starts_on.data, start_time=self.start_time.data,
            end_time=self.end_time.data, time_zone=self.time_zone.data.strip(), is_online=bool(self.is_online.data),
            place=(self.place.data or "").strip(), online_url=(self.online_url.data or "").strip() or None,
            details=(self.details.data or "").strip())

    @classmethod
    def for_event(cls, event) -> EventForm:
        return cls(formdata=None, data={
            "title": event.title, "starts_on": event.starts_on, "start_time": event.start_time,
            "end_time": event.end_time, "time_zone": event.time_zone, "is_online": event.is_online,
            "place": event.place, "online_url": event.online_url or "", "details": event.details})


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token (delete buttons)."""


class DeleteForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete it"), validators=[DataRequired(_l("Tick the box to confirm the deletion."))])
