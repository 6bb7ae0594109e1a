"""Reminders to organizations about listings nobody has verified within ``STALE_AFTER_DAYS``
(``flask outreach listings remind``), in each member's own language."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..directory.models import Organization, Service
from ..directory.services import VISIBLE_STATUSES
from ..extensions import db
from .services import stale_after_days, today


@dataclass
class Reminder:
    organization: Organization
    services: list[Service]
    recipients: list[str]


def reminders() -> list[Reminder]:
    """For each organization with stale listings: which ones, and which members to tell."""
    from ..help.keys import members_of

    stale: dict[str, list[Service]] = {}
    cutoff = today() - timedelta(days=stale_after_days())
    statement = select(Service).where(Service.status.in_(VISIBLE_STATUSES),
                                      (Service.assured_date.is_(None)) | (Service.assured_date < cutoff)).order_by(Service.name)
    for service in db.session.scalars(statement):
        stale.setdefault(service.organization_id, []).append(service)
    result = []
    for organization_id, items in stale.items():
        organization = db.session.get(Organization, organization_id)
        result.append(Reminder(organization, items, [member.email for member in members_of(organization_id)]))
    return sorted(result, key=lambda r: r.organization.name)


def reminder_text(reminder: Reminder) -> tuple[str, str]:
    """(subject, body) of the reminder, in the language in force (each member's own, see ``send_reminder``)."""
    from flask_babel import format_date, get_locale, gettext, ngettext

    days = stale_after_days()
    locale = str(get_locale() or "en").replace("_", "-")
    url = current_app.config["SITE_URL"].rstrip("/") + "/staff/listings/"
    # Translators: e-mail to an organization's members about listings nobody has verified recently.
    subject = gettext("Outreach: please check your listings")
    lines = [ngettext("These listings of %(organization)s on Outreach have not been verified in the last %(num)s day. "
                      "Residents now see them as not verified recently.",
                      "These listings of %(organization)s on Outreach have not been verified in the last %(num)s days. "
                      "Residents now see them as not verified recently.", days,
                      organization=reminder.organization.name), ""]
    for service in reminder.services:
        name = service.text("name", locale.split("-")[0]).value
        when = format_date(service.assured_date, "long") if service.assured_date else gettext("never")
        # Translators: one line of the reminder e-mail: a listing and when it was last verified.
        lines.append(gettext("- %(name)s (last verified: %(date)s)", name=name, date=when))
    lines += ["", gettext("Sign in to check them, correct them or confirm they are still right: %(url)s", url=url)]
    return subject, "\n".join(lines)


def send_reminder(reminder: Reminder) -> int:
    from ..help.notify import send_localized

    return send_localized(reminder.organization.id, lambda: reminder_text(reminder))
