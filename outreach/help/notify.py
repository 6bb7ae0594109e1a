"""E-mail to organization members that a help request is waiting, by SMTP (``OUTREACH_SMTP_*``).

The message says only that something is waiting (or expiring): never the content, the categories,
the area, the language or the designation. It is sent after the commit; a failure to send is logged
without any of that and never undoes the request.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from .keys import members_of

SUBJECT = "Outreach: a help request is waiting"
BODY = (
    "A help request is waiting for your organization on Outreach.\n\n"
    "Sign in to read it: {url}\n\n"
    "For the person's safety, this e-mail never says anything about the request."
)
EXPIRING_SUBJECT = "Outreach: help requests expire soon"
EXPIRING_BODY = (
    "Some help requests for your organization will be deleted within {days} days unless there is new "
    "activity.\n\nSign in to see them: {url}"
)


def _send(organization_id: str, subject: str, body: str) -> int:
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return 0
    recipients = [member.email for member in members_of(organization_id)]
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
    return _send(organization_id, SUBJECT, BODY.format(url=_inbox_url()))


def requests_expiring(organization_id: str) -> int:
    days = current_app.config["HELP_WARN_DAYS"]
    return _send(organization_id, EXPIRING_SUBJECT, EXPIRING_BODY.format(days=days, url=_inbox_url()))
