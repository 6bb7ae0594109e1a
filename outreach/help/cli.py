"""``flask outreach help …``: the daily purge, expiry warnings, and demo partner organizations."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

help_cli = AppGroup("help", help="Anonymous help requests.")

# Demo partner organizations (by content slug) and what they opt in to receive. The first demo
# member's organization is made the coordinator, so every request finds a reader on a demo site.
DEMO_RULES = {
    "riverside-harm-reduction": {"categories": ["harm-reduction"], "areas": ["statewide"], "languages": ["en", "es"]},
    "bridgeway-recovery-clinic": {"categories": ["treatment", "counseling"], "areas": ["statewide"], "languages": ["en"]},
    "centro-comunitario-raices": {"categories": [], "areas": ["statewide"], "languages": ["es", "en"]},
    "crescent-light-islamic-center": {"categories": ["support-groups", "faith-based"], "areas": ["statewide"], "languages": ["ar", "en"]},
}


@help_cli.command("purge")
def purge() -> None:
    """Delete every help request due for deletion (run daily). Safe to run twice."""
    from .services import purge as purge_requests
    from .services import warn_expiring

    warned = warn_expiring()
    count = purge_requests()
    click.echo(f"Deleted {count} expired help request(s); warned about {warned} expiring soon.")


@help_cli.command("demo")
@click.option("--yes-create-demo-keys", "confirmed", is_flag=True,
              help="Run even when OUTREACH_DEMO_ACCOUNTS is not set.")
def demo(confirmed: bool) -> None:
    """Routing rules for demo partners, and keys for the demo members' organizations (demo sites only).

    Run after `flask outreach accounts demo`: each demo member's organization gets its key pair, with
    the demo password as the only way in; its recovery key is printed here."""
    from ..accounts.cli import DEMO_PASSWORD
    from ..accounts.models import User
    from ..directory.models import Organization
    from ..extensions import db
    from . import keys
    from .models import OrganizationKey, RoutingRule

    if not (confirmed or current_app.config.get("DEMO_ACCOUNTS")):
        click.echo("Demo keys open with a public password: set OUTREACH_DEMO_ACCOUNTS=true "
                   "or pass --yes-create-demo-keys.", err=True)
        sys.exit(1)
    members = list(db.session.scalars(select(User).where(User.is_demo.is_(True)).order_by(User.email)))
    members = [m for m in members if m.organization_ids]
    if not members:
        click.echo("No demo organization members: run `flask outreach accounts demo` first.", err=True)
        sys.exit(1)
    coordinator_id = None
    for member in members:
        keys.ensure_member_key(member, DEMO_PASSWORD)
        db.session.commit()
        for organization_id in sorted(member.organization_ids):
            if db.session.get(OrganizationKey, organization_id) is None:
                recovery = keys.set_up_organization(member, organization_id, DEMO_PASSWORD)
                click.echo(f"{member.email}: keys created; recovery key {recovery}")
            rule = db.session.get(RoutingRule, organization_id) or RoutingRule(organization_id=organization_id)
            rule.is_accepting, rule.areas = True, ["statewide"]
            rule.categories, rule.languages = [], []
            rule.is_coordinator = coordinator_id is None
            coordinator_id = coordinator_id or organization_id
            db.session.add(rule)
    for slug, values in DEMO_RULES.items():
        organization = db.session.scalar(select(Organization).where(Organization.content_slug == slug))
        if organization is None:
            continue
        rule = db.session.get(RoutingRule, organization.id) or RoutingRule(organization_id=organization.id)
        rule.is_accepting = True
        rule.categories, rule.areas, rule.languages = values["categories"], values["areas"], values["languages"]
        db.session.add(rule)
    db.session.commit()
    click.echo("Routing rules set. Partners without keys receive nothing until one of their members sets them up.")
