"""Retention warnings and the steward's counts-only view of routing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.help import notify, routing
from outreach.help.models import HelpRequest
from tests.help_fixtures import help_app, submit, world  # noqa: F401 (fixtures)
from tests.staff_fixtures import clock  # noqa: F401 (fixture)

pytestmark = pytest.mark.db


def test_organizations_are_warned_once_seven_days_before_expiry(help_app, world, clock, monkeypatch):  # noqa: F811
    warned: list[str] = []
    monkeypatch.setattr(notify, "requests_expiring", lambda organization_id: warned.append(organization_id) or 1)
    client = help_app.test_client()
    submit(client, message="please warn before this expires")
    runner = help_app.test_cli_runner()

    clock.advance(days=82)  # expires on day 90: not yet inside the 7-day window
    assert "warned about 0 " in runner.invoke(args=["outreach", "help", "purge"]).output
    assert warned == []

    clock.advance(days=2)  # day 84: inside the window
    assert "warned about 1 " in runner.invoke(args=["outreach", "help", "purge"]).output
    assert warned == [world.org_a]
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.warned_on is not None

    clock.advance(days=1)  # the warning is sent once, not every day
    assert "warned about 0 " in runner.invoke(args=["outreach", "help", "purge"]).output
    assert warned == [world.org_a]


def test_the_expiry_warning_says_nothing_about_the_request(help_app, world, clock):  # noqa: F811
    submit(help_app.test_client(), message="a marked message 6f1c")
    with help_app.test_request_context():
        subject, body = notify._expiring()
    assert "within 7 days" in body and "/staff/help/" in body
    assert "6f1c" not in subject + body and "harm" not in (subject + body).lower()


def test_routing_is_explained_in_counts_only(help_app, world):  # noqa: F811
    with help_app.app_context():
        summary = routing.explain()
    assert summary == {"rules": 2, "accepting": 2, "ready": 2, "coordinators": 1}
    assert all(isinstance(value, int) for value in summary.values())
    assert world.org_a not in repr(summary) and world.org_b not in repr(summary)
