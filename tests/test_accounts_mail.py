"""Invitations are e-mailed when SMTP is set up (a real SMTP server on loopback), with a link built from
SITE_URL; without SMTP, or when sending fails, the one-time link is shown instead."""
from __future__ import annotations

import email
import re

import pytest
from sqlalchemy import select

from outreach.accounts import services
from outreach.accounts.models import Invitation
from outreach.extensions import db
from tests import factories
from tests.smtp_fixtures import free_port, smtp  # noqa: F401  (fixture)
from tests.staff_fixtures import clock, make_staff, sign_in, staff_config  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

SITE = "https://outreach.example.org"


def steward_client(app, clock):
    with app.app_context():
        steward = make_staff("steward@example.org", [{"role": "steward"}])
    client = app.test_client()
    sign_in(client, steward, clock)
    return client


def test_invitation_is_emailed_with_a_link_from_site_url(make_app, clock, smtp):
    port, inbox = smtp
    app = make_app(**staff_config(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SITE_URL=SITE + "/"))
    client = steward_client(app, clock)
    response = client.post("/staff/invitations/new", data={"email": "New.Person@example.org", "roles": ["reviewer"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "We e-mailed a one-time link to new.person@example.org" in body
    assert "/staff/invitations/" not in body.replace("/staff/invitations/new", "")  # the link is not shown
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["new.person@example.org"]
    message = email.message_from_string(raw)
    assert message["Subject"] == "Outreach: your invitation to the staff pages"
    text = message.get_payload(decode=True).decode("utf-8")
    link = re.search(r"(\S+/staff/invitations/\S+)", text).group(1)
    assert link.startswith(SITE + "/staff/invitations/") and "localhost" not in text and "72 hours" in text
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        assert services.find_invitation(token).email == "new.person@example.org"
    assert app.test_client().get(link.removeprefix(SITE)).status_code == 200


def test_member_invitation_is_emailed_too(make_app, clock, smtp):
    port, inbox = smtp
    app = make_app(**staff_config(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SITE_URL=SITE))
    with app.app_context():
        organization_id = factories.organization("Harbor").id
        member = make_staff("member@example.org", [{"role": "org_member", "organization_id": organization_id}])
    client = app.test_client()
    sign_in(client, member, clock)
    response = client.post(f"/staff/organizations/{organization_id}/invite", data={"email": "colleague@example.org"})
    assert "We e-mailed a one-time link to colleague@example.org" in response.get_data(as_text=True)
    assert [recipients for recipients, _raw in inbox.messages] == [["colleague@example.org"]]


def test_without_smtp_the_link_is_shown_once_from_site_url(make_app, clock):
    app = make_app(**staff_config(SITE_URL=SITE))
    client = steward_client(app, clock)
    body = client.post("/staff/invitations/new", data={"email": "x@example.org", "roles": ["reviewer"]}).get_data(as_text=True)
    link = re.search(r"<code>([^<]+)</code>", body).group(1)
    assert link.startswith(SITE + "/staff/invitations/") and "could not be sent" not in body
    with app.app_context():
        assert services.find_invitation(link.rsplit("/", 1)[1])


def test_when_sending_fails_the_link_is_shown_with_a_notice(make_app, clock):
    app = make_app(**staff_config(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SITE_URL=SITE))  # nobody listens
    client = steward_client(app, clock)
    response = client.post("/staff/invitations/new", data={"email": "x@example.org", "roles": ["reviewer"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "The e-mail could not be sent." in body
    assert re.search(r"<code>" + re.escape(SITE) + r"/staff/invitations/[A-Za-z0-9_-]{20,}</code>", body)
    with app.app_context():
        assert db.session.scalar(select(Invitation)).email == "x@example.org"
