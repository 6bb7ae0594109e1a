"""`flask outreach demo`, which `make run` runs on every start: demo staff for every role in fictional
demo organizations, every demo partner able to read what the demo routing sends it, and demo
campaigns that stay live with upcoming events on a reused instance (moved clock)."""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from outreach import create_app
from outreach.accounts import clock as accounts_clock
from outreach.accounts import passwords
from outreach.accounts import services as account_services
from outreach.accounts.cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from outreach.accounts.clock import as_utc
from outreach.accounts.models import User
from outreach.campaigns import services as campaign_services
from outreach.campaigns.content import load_campaigns, read_campaigns
from outreach.campaigns.models import Campaign
from outreach.directory.models import Organization
from outreach.extensions import db
from outreach.help import crypto, keys, routing
from outreach.help import services as help_services
from outreach.help.cli import _demo_rules
from outreach.help.models import HelpRequest, OrganizationKey, RoutingRule
from tests.conftest import _config, _dispose
from tests.help_fixtures import submit
from tests.staff_fixtures import clock, make_staff, staff_config  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

DEMO = ["outreach", "demo", "--yes-create-demo-accounts"]
COORDINATOR = "northbank-recovery-community-center"


@pytest.fixture
def site(tmp_path, demo_template, clock):
    """A copy of the demo content site (as `make run` has it after `content load`), cheap argon2."""
    for item in demo_template.iterdir():
        (shutil.copytree if item.is_dir() else shutil.copy)(item, tmp_path / item.name)
    application = create_app(_config(tmp_path, **staff_config(HELP_SUBMIT_LIMIT="100 per hour")))
    yield application
    _dispose(application)


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def demo_member_of(organization_id: str) -> User:
    return next(u for u in db.session.scalars(select(User).where(User.is_demo.is_(True)))
                if organization_id in u.organization_ids)


def test_needs_the_flag(site):
    result = run(site, "outreach", "demo")
    assert result.exit_code == 1
    with site.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_every_role_every_partner_ready_and_a_second_run_does_nothing(site, monkeypatch):
    result = run(site, *DEMO)
    assert result.exit_code == 0, result.output
    assert "/staff/login" in result.output.splitlines()[-1] and "demo-codes" in result.output.splitlines()[-1]
    with site.app_context():
        rules = _demo_rules()
        users = list(db.session.scalars(select(User)))
        assert {u.email for u in users} == {email for email, *_ in DEMO_ACCOUNTS}
        assert all(u.is_demo and u.display_name.startswith("DEMO ") for u in users)
        assert set().union(*(u.role_names for u in users)) == {"steward", "reviewer", "outreach_publisher", "org_member"}
        member_orgs = [db.session.get(Organization, i) for u in users for i in u.organization_ids]
        assert all(o.is_demo for o in member_orgs)  # never 988 Lifeline or Al-Anon
        assert all(len(u.organization_ids) <= 1 for u in users)
        for slug in rules:  # every partner with routing rules: keys its demo member can open
            organization = db.session.scalar(select(Organization).where(Organization.content_slug == slug))
            assert organization.is_demo
            assert keys.public_key_of(organization.id) is not None
            member = demo_member_of(organization.id)
            keys.organization_private_key(member, organization.id, DEMO_PASSWORD)
            assert db.session.get(RoutingRule, organization.id).is_accepting
        coordinators = list(db.session.scalars(select(RoutingRule).where(RoutingRule.is_coordinator)))
        assert [db.session.get(Organization, r.organization_id).content_slug for r in coordinators] == [COORDINATOR]
        assert db.session.scalar(select(func.count(OrganizationKey.organization_id))) == len(rules)
        db.session.remove()

    # Again, as every later `make run`: no password hashed, no key derived, nothing changes.
    slow = []
    monkeypatch.setattr(passwords, "hash_password", lambda *a, **k: slow.append("hash"))
    monkeypatch.setattr(crypto, "password_key", lambda *a, **k: slow.append("kdf"))
    again = run(site, *DEMO)
    assert again.exit_code == 0, again.output
    assert slow == []
    assert again.output.splitlines() == [result.output.splitlines()[-1]]
    codes = run(site, "outreach", "accounts", "demo-codes")
    for email, _name, _role, _slug, secret in DEMO_ACCOUNTS:
        assert email in codes.output


# (categories, language) → the demo partner the demo rules send it to.
ROUTES = [
    (["harm-reduction"], "en", "riverside-harm-reduction"),
    (["treatment"], "en", "bridgeway-recovery-clinic"),
    (["faith-based"], "ar", "crescent-light-islamic-center"),
    (["recovery-support"], "vi", COORDINATOR),
    (["crisis"], "zh_Hans", COORDINATOR),  # nobody else answers in Chinese: the coordinator
]


@pytest.mark.parametrize(("categories", "language", "slug"), ROUTES, ids=[r[2] + "-" + r[1] for r in ROUTES])
def test_a_demo_request_lands_where_a_demo_member_can_read_it(site, categories, language, slug):
    assert run(site, *DEMO).exit_code == 0
    message = f"demo request {slug} {language}"
    submit(site.test_client(), locale="en", categories=categories, language=language, message=message)
    with site.app_context():
        request = db.session.scalar(select(HelpRequest))
        organization = db.session.get(Organization, request.organization_id)
        assert organization.content_slug == slug and organization.is_demo
        opened = help_services.read(demo_member_of(organization.id), request.id, DEMO_PASSWORD)
        assert opened.message == message


def test_every_routed_request_is_readable(site):
    """Whatever the demo rules choose, in every language and kind of help, a demo member reads it."""
    assert run(site, *DEMO).exit_code == 0
    client = site.test_client()
    for index, (categories, language) in enumerate([([], "en"), (["counseling"], "es"), (["support-groups"], "ar"),
                                                    (["harm-reduction"], "es"), ([], "vi"), (["prevention-education"], "en")]):
        submit(client, categories=categories, language=language, message=f"demo message {index}")
    with site.app_context():
        requests = list(db.session.scalars(select(HelpRequest)))
        assert len(requests) == 6
        for request in requests:
            assert db.session.get(Organization, request.organization_id).is_demo
            member = demo_member_of(request.organization_id)
            assert help_services.read(member, request.id, DEMO_PASSWORD).message.startswith("demo message")


def test_an_older_set_up_in_real_organizations_is_undone(site):
    """What the old `accounts demo` + `help demo` made: demo members of 988 and Al-Anon, 988 the coordinator."""
    with site.app_context():
        real = list(db.session.scalars(select(Organization).where(Organization.is_demo.is_(False))
                                       .order_by(Organization.name).limit(2)))
        old = User(email="demo-member-a@example.org", display_name="DEMO Member, first organization", is_demo=True,
                   password_hash=passwords.hash_password(DEMO_PASSWORD), totp_secret="DEMOMEMBERATOTPSECRETAAAAAAAAAAA",
                   session_epoch=1, failed_logins=0, is_active=True)
        db.session.add(old)
        db.session.commit()
        account_services.grant_role(old, "org_member", real[0].id)
        keys.ensure_member_key(old, DEMO_PASSWORD)
        db.session.commit()
        keys.set_up_organization(old, real[0].id, DEMO_PASSWORD)
        db.session.add(RoutingRule(organization_id=real[0].id, is_accepting=True, areas=["statewide"], categories=[],
                                   languages=[], is_coordinator=True, last_assignment=0))
        db.session.commit()
        real_id = real[0].id
        db.session.remove()
    result = run(site, *DEMO)
    assert result.exit_code == 0, result.output
    with site.app_context():
        old = account_services.user_by_email("demo-member-a@example.org")
        assert old.organization_ids == set()
        rule = db.session.get(RoutingRule, real_id)
        assert not rule.is_accepting and not rule.is_coordinator
        coordinator = db.session.scalar(select(RoutingRule).where(RoutingRule.is_coordinator))
        assert db.session.get(Organization, coordinator.organization_id).content_slug == COORDINATOR
        assert routing.choose(["crisis"], "", "zh_Hans").organization_id == coordinator.organization_id


def test_a_partner_that_is_not_demo_is_refused(site, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(Path(site.config["CONTENT_DIR"]), content)
    (content / "help-routing.yaml").write_text("988-suicide-crisis-lifeline:\n  categories: []\n  areas: [statewide]\n")
    site.config["CONTENT_DIR"] = str(content)
    assert run(site, "outreach", "accounts", "demo", "--yes-create-demo-accounts").exit_code == 0
    result = run(site, "outreach", "help", "demo", "--yes-create-demo-keys")
    assert result.exit_code != 0
    assert "not marked demo" in result.output
    with site.app_context():
        assert db.session.scalar(select(func.count(OrganizationKey.organization_id))) == 0


def test_a_real_site_gets_no_demo_accounts(site):
    with site.app_context():
        make_staff("steward@example.org", [{"role": "steward"}])
    result = run(site, *DEMO)
    assert result.exit_code == 0
    assert "No demo set-up" in result.output
    with site.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(True))) == 0
        assert db.session.scalar(select(func.count(OrganizationKey.organization_id))) == 0


def test_routing_a_member_changed_is_kept(site):
    assert run(site, *DEMO).exit_code == 0
    with site.app_context():
        organization = db.session.scalar(select(Organization).where(
            Organization.content_slug == "riverside-harm-reduction"))
        member = demo_member_of(organization.id)
        routing.update_rule(member, organization.id, is_accepting=True, categories=["naloxone"], areas=["97205"],
                            languages=["en"])
        organization_id = organization.id
        db.session.remove()
    assert run(site, *DEMO).exit_code == 0
    with site.app_context():
        rule = db.session.get(RoutingRule, organization_id)
        assert (rule.categories, rule.areas, rule.languages) == (["naloxone"], ["97205"], ["en"])


# -- demo campaigns on a reused instance ----------------------------------------------------------------


def _load_campaigns(app) -> None:
    with app.app_context():
        load_campaigns(read_campaigns(Path(app.config["CONTENT_DIR"])))
        db.session.remove()


def _live_with_events(app) -> dict[str, int]:
    """Live content campaigns now, with how many upcoming events each has."""
    with app.app_context():
        now = accounts_clock.now()
        today = now.date()
        return {c.content_slug: len(c.upcoming_events(today)) for c in campaign_services.live_campaigns(now)
                if c.content_slug}


def test_demo_campaigns_stay_live_with_upcoming_events_weeks_later(site, clock):
    _load_campaigns(site)  # set up on the clock's day
    assert _live_with_events(site) == {"naloxone-saves-lives": 2, "medicine-take-back-day": 1, "families-together": 0}
    clock.advance(days=70)  # the same instance, ten weeks later
    assert _live_with_events(site) == {"naloxone-saves-lives": 0}
    result = run(site, *DEMO)
    assert result.exit_code == 0, result.output
    assert "Demo campaigns moved to today" in result.output
    assert _live_with_events(site) == {"naloxone-saves-lives": 2, "medicine-take-back-day": 1, "families-together": 0}
    with site.app_context():
        naloxone = db.session.scalar(select(Campaign).where(Campaign.content_slug == "naloxone-saves-lives"))
        assert as_utc(naloxone.starts_at) == clock.now() - timedelta(days=7)
        training = next(e for e in naloxone.events if e.title.startswith("Free naloxone"))
        assert training.starts_on == (clock.now() + timedelta(days=10)).astimezone(ZoneInfo("America/Los_Angeles")).date()


def test_campaigns_are_moved_once_a_day_at_most(site, clock):
    _load_campaigns(site)
    with site.app_context():
        before = as_utc(db.session.scalar(select(Campaign.starts_at).where(Campaign.content_slug == "families-together")))
    clock.advance(hours=20)
    assert "moved" not in run(site, *DEMO).output
    with site.app_context():
        assert as_utc(db.session.scalar(
            select(Campaign.starts_at).where(Campaign.content_slug == "families-together"))) == before
    clock.advance(hours=5)
    assert "families-together" in run(site, *DEMO).output


def test_campaigns_staff_made_or_changed_are_not_moved(site, clock):
    _load_campaigns(site)
    with site.app_context():
        steward = make_staff("steward-c@example.org", [{"role": "steward"}])
        actor = db.session.get(User, steward.id)
        translated = db.session.scalar(select(Campaign).where(Campaign.content_slug == "families-together"))
        campaign_services.set_translations(actor, translated, "es", {"title": "No está solo"})
        at = accounts_clock.now()
        db.session.add(Campaign(slug="staff-made", title="Staff made", summary="By staff.", starts_at=at,
                                ends_at=at + timedelta(days=3), time_zone="UTC", source_locale="en"))
        db.session.commit()
        windows = {c.slug: (as_utc(c.starts_at), as_utc(c.ends_at)) for c in db.session.scalars(select(Campaign))}
        db.session.remove()
    clock.advance(days=10)
    # A demo database with a steward who is not a demo account still has the demo accounts: runs.
    assert run(site, "outreach", "accounts", "demo", "--yes-create-demo-accounts").exit_code == 0
    result = run(site, *DEMO)
    assert result.exit_code == 0, result.output
    with site.app_context():
        after = {c.slug: (as_utc(c.starts_at), as_utc(c.ends_at)) for c in db.session.scalars(select(Campaign))}
    assert after["families-together"] == windows["families-together"]
    assert after["staff-made"] == windows["staff-made"]
    assert after["naloxone-saves-lives"][0] == windows["naloxone-saves-lives"][0] + timedelta(days=10)


def test_a_disabled_demo_member_does_not_stop_make_run(site):
    assert run(site, *DEMO).exit_code == 0
    with site.app_context():
        member = account_services.user_by_email("demo-member-crescent@example.org")
        member.is_active = False
        db.session.commit()
    result = run(site, *DEMO)
    assert result.exit_code == 0, result.output
    assert "demo-member-crescent@example.org is disabled" in result.output
