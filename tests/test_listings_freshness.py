"""Freshness: "Last verified on", "not verified recently" after a configurable window, one-click
re-verification, the organization's to-do list, and `flask outreach listings remind`."""
from __future__ import annotations

import email
from datetime import date

import pytest
from sqlalchemy import select

from outreach.accounts.models import User
from outreach.audit.models import AuditEntry
from outreach.directory.models import Service
from outreach.extensions import db
from tests.listings_fixtures import build_listing_world, listing_app, world  # noqa: F401  (fixtures)
from tests.smtp_fixtures import smtp  # noqa: F401  (fixture)
from tests.staff_fixtures import clock, staff_config  # noqa: F401

pytestmark = pytest.mark.db


def set_verified(app, service_id: str, day: date | None) -> None:
    with app.app_context():
        db.session.get(Service, service_id).assured_date = day
        db.session.commit()


def text_of(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_residents_see_when_a_listing_was_verified_and_when_it_is_stale(world):
    client = world.clients["anonymous"]
    page = text_of(client.get(f"/en/services/{world.ids['service_a']}"))
    assert "Last verified on November 1, 2026" in page and "Not verified recently" not in page
    set_verified(world.app, world.ids["service_a"], date(2026, 5, 1))  # 210 days before the clock
    page = text_of(client.get(f"/en/services/{world.ids['service_a']}"))
    assert "Last verified on May 1, 2026" in page and "Not verified recently" in page


def test_the_window_is_configurable(make_app, clock):
    app = make_app(**staff_config(STALE_AFTER_DAYS=20))
    world = build_listing_world(app, clock)
    page = text_of(world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}"))  # 26 days old
    assert "Not verified recently" in page
    assert "Naloxone kits of A" in text_of(world.clients["member_a"].get("/staff/"))


def test_the_window_must_be_positive(make_app):
    with pytest.raises(ValueError, match="STALE_AFTER_DAYS"):
        make_app(STALE_AFTER_DAYS=0)


def test_stale_listings_are_on_the_organizations_to_do_list_and_one_click_verifies(world):
    set_verified(world.app, world.ids["service_a"], date(2026, 1, 2))
    home = text_of(world.clients["member_a"].get("/staff/"))
    assert "1 listing needs verifying" in home and "Naloxone kits of A" in home
    assert "Naloxone kits of A" not in text_of(world.clients["member_b"].get("/staff/"))
    assert "Naloxone kits of A" in text_of(world.clients["member_a"].get("/staff/listings/"))
    response = world.clients["member_a"].post(f"/staff/listings/services/{world.ids['service_a']}/verify")
    assert response.status_code == 302
    with world.app.app_context():
        service = db.session.get(Service, world.ids["service_a"])
        assert service.assured_date == date(2026, 11, 27) and service.assurer_email == "a@example.org"
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "listing_verified")).one()
        assert entry.actor_id == world.people["member_a"].id
        assert entry.changes == {"assured_date": {"before": "2026-01-02", "after": "2026-11-27"}}
    home = text_of(world.clients["member_a"].get("/staff/"))
    assert "Every listing of your organization was verified recently" in home
    assert "Not verified recently" not in text_of(world.clients["anonymous"].get(f"/en/services/{world.ids['service_a']}"))
    # Verifying is a POST: a GET does nothing.
    assert world.clients["member_a"].get(f"/staff/listings/services/{world.ids['service_a']}/verify").status_code == 405


def test_remind_emails_each_organizations_members_about_their_stale_listings(make_app, clock, smtp):
    port, inbox = smtp
    app = make_app(**staff_config(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SITE_URL="https://outreach.example.org"))
    world = build_listing_world(app, clock)
    set_verified(app, world.ids["service_a"], date(2026, 3, 1))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["outreach", "listings", "remind", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would e-mail 1 member(s) of Organization A about 1 listing(s): Naloxone kits of A" in dry.output
    assert "Organization B" not in dry.output and inbox.messages == []
    result = runner.invoke(args=["outreach", "listings", "remind"])
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    recipients, raw = inbox.messages[0]
    assert recipients == ["a@example.org"]
    message = email.message_from_string(raw)
    assert message["Subject"] == "Outreach: please check your listings"
    assert "a@example.org" not in raw.split("\r\n\r\n", 1)[0]  # members in Bcc, not in the headers
    text = message.get_payload(decode=True).decode("utf-8")
    assert "- Naloxone kits of A (last verified: March 1, 2026)" in text
    assert "https://outreach.example.org/staff/listings/" in text and "180 days" in text
    assert "Service of B" not in text
    # Each member gets it in the language they chose for the staff pages.
    with app.app_context():
        db.session.get(User, world.people["member_a"].id).preferred_locale = "es"
        db.session.commit()
    assert runner.invoke(args=["outreach", "listings", "remind"]).exit_code == 0
    spanish = email.message_from_string(inbox.messages[1][1]).get_payload(decode=True).decode("utf-8")
    assert "1 de marzo de 2026" in spanish


def test_remind_without_mail_settings_says_so(listing_app, world):
    set_verified(listing_app, world.ids["service_b"], None)
    result = listing_app.test_cli_runner().invoke(args=["outreach", "listings", "remind"])
    assert result.exit_code == 1 and "OUTREACH_SMTP_HOST" in result.output
    dry = listing_app.test_cli_runner().invoke(args=["outreach", "listings", "remind", "--dry-run"])
    assert "Organization B" in dry.output and "Service of B" in dry.output
