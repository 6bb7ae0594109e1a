"""E-mail to organization members that a help request is waiting, by SMTP (``OUTREACH_SMTP_*``).

The message says only that something is waiting (or expiring): never the content, the categories,
the area, the language or the designation. It is sent after the commit; a failure to send is logged
without any of that and never undoes the request.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from typing import Callable

from flask import current_app
from flask_babel import force_locale, gettext, ngettext

from .keys import members_of



def _waiting() -> tuple[str, str]:
    # Translators: subject of an e-mail to organization members. It must never say anything about the request itself.
    return (gettext("Outreach: a help request is waiting"),
            # Translators: body of that e-mail; %(url)s is the sign-in address. It must never say anything about
            # the request itself.
            gettext("A help request is waiting for your organization on Outreach.\n\n"
                    "Sign in to read it: %(url)s\n\n"
                    "For the person's safety, this e-mail never says anything about the request.", url=_inbox_url()))


def _expiring() -> tuple[str, str]:
    days = current_app.config["HELP_WARN_DAYS"]
    # Translators: subject of an e-mail to organization members: some help requests will soon be deleted.
    return (gettext("Outreach: help requests expire soon"),
            # Translators: body of that e-mail; %(num)s is a number of days, %(url)s the sign-in address. It must
            # never say anything about the requests themselves.
            ngettext("Some help requests for your organization will be deleted within %(num)s day unless there "
                     "is new activity.\n\nSign in to see them: %(url)s",
                     "Some help requests for your organization will be deleted within %(num)s days unless "
                     "there is new activity.\n\nSign in to see them: %(url)s", days, url=_inbox_url()))


def _by_locale(organization_id: str) -> dict[str, list[str]]:
    """Members' addresses grouped by the language they chose for the staff pages."""
    locales = current_app.config["LOCALES"]
    groups: dict[str, list[str]] = {}
    for member in members_of(organization_id):
        locale = member.preferred_locale if member.preferred_locale in locales else locales[0]
        groups.setdefault(locale, []).append(member.email)
    return groups


def send_localized(organization_id: str, compose: Callable[[], tuple[str, str]]) -> int:
    """E-mail the organization's members in the language each chose: ``compose`` returns (subject,
    body) and is called once per language with that locale in force."""
    if not current_app.config.get("SMTP_HOST"):
        return 0
    sent = 0
    for locale, recipients in sorted(_by_locale(organization_id).items()):
        with force_locale(locale):
            subject, body = compose()
        sent += _send(recipients, subject, body)
    return sent


def send_to_members(organization_id: str, subject: str, body: str) -> int:
    """E-mail every active member of the organization (in Bcc) one fixed text; returns how many were sent to."""
    if not current_app.config.get("SMTP_HOST"):
        return 0
    return _send([member.email for member in members_of(organization_id)], subject, body)


def _send(recipients: list[str], subject: str, body: str) -> int:
    config = current_app.config
    if not recipients:
        return 0
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = config["SMTP_FROM"]  # recipients are in Bcc: members do not learn each other's addresses
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            smtp.send_message(message, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("Help notification not sent: %s", type(error).__name__)
        return 0
    return len(recipients)


def _inbox_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/") + "/staff/help/"


def request_waiting(organization_id: str) -> int:
    return send_localized(organization_id, _waiting)


def requests_expiring(organization_id: str) -> int:
    return send_localized(organization_id, _expiring)
