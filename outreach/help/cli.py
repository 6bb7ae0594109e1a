"""``flask outreach help …``: the daily purge, expiry warnings, and demo partner organizations."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

help_cli = AppGroup("help", help="Anonymous help requests.")

DEMO_RULES_FILE = "help-routing.yaml"  # in the content folder: demo partners' opt-ins


def _demo_rules() -> dict[str, dict[str, list[str]]]:
    """Demo partners' routing choices from the content folder (``content/help-routing.yaml``)."""
    import yaml

    path = Path(current_app.config["CONTENT_DIR"]) / DEMO_RULES_FILE
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a mapping of organization slugs to routing choices")
    rules = {}
    for slug, values in data.items():
        values = values or {}
        unknown = set(values) - {"categories", "areas", "languages"}
        if unknown or not all(isinstance(values.get(k, []), list) for k in ("categories", "areas", "languages")):
            raise click.ClickException(f"{path}: {slug}: expected lists of categories, areas and languages")
        rules[str(slug)] = {key: [str(v) for v in values.get(key, [])] for key in ("categories", "areas", "languages")}
    return rules


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
    for slug, values in _demo_rules().items():
        organization = db.session.scalar(select(Organization).where(Organization.content_slug == slug))
        if organization is None:
            continue
        rule = db.session.get(RoutingRule, organization.id) or RoutingRule(organization_id=organization.id)
        rule.is_accepting = True
        rule.categories, rule.areas, rule.languages = values["categories"], values["areas"], values["languages"]
        db.session.add(rule)
    db.session.commit()
    click.echo("Routing rules set. Partners without keys receive nothing until one of their members sets them up.")
