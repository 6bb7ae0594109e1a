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


def _demo_rules() -> dict[str, dict]:
    """Demo partners' routing choices from the content folder (``content/help-routing.yaml``): for each
    organization slug, lists of categories, areas and languages, and ``coordinator: true`` on at most one."""
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
        if not isinstance(values, dict):
            raise click.ClickException(f"{path}: {slug}: expected lists of categories, areas and languages")
        unknown = set(values) - {"categories", "areas", "languages", "coordinator"}
        if unknown or not all(isinstance(values.get(k, []), list) for k in ("categories", "areas", "languages")) \
                or not isinstance(values.get("coordinator", False), bool):
            raise click.ClickException(f"{path}: {slug}: expected lists of categories, areas and languages "
                                       "(and coordinator: true or false)")
        rules[str(slug)] = {key: [str(v) for v in values.get(key, [])] for key in ("categories", "areas", "languages")}
        rules[str(slug)]["coordinator"] = values.get("coordinator", False)
    if sum(1 for rule in rules.values() if rule["coordinator"]) > 1:
        raise click.ClickException(f"{path}: only one organization can be the coordinator")
    return rules


@help_cli.command("purge")
def purge() -> None:
    """Delete every help request due for deletion (run daily). Safe to run twice."""
    from .services import purge as purge_requests
    from .services import warn_expiring

    warned = warn_expiring()
    count = purge_requests()
    click.echo(f"Deleted {count} expired help request(s); warned about {warned} expiring soon.")


def _routing_set_by_staff(organization_id: str) -> bool:
    from ..audit.models import AuditEntry
    from ..extensions import db

    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "help.routing_changed", AuditEntry.target_id == organization_id).limit(1)) is not None


def set_up_demo_help(echo=click.echo) -> None:
    """Every demo partner of ``content/help-routing.yaml`` ready to receive: its key pair, made by its
    demo member (the demo password is the only way in; the recovery key is printed once), and its
    routing rule; the coordinator a demo partner too. Safe to run again, and fast then: keys are made
    once, a rule a member changed on the staff pages is kept, and a real organization is never set up.
    Run after the demo accounts (:func:`outreach.accounts.cli.create_demo_accounts`)."""
    from ..accounts.cli import DEMO_PASSWORD, demo_organization
    from ..accounts.models import User
    from ..directory.models import Organization
    from ..extensions import db
    from . import crypto, keys, routing
    from .models import RoutingRule

    rules = _demo_rules()
    demo_members = list(db.session.scalars(select(User).where(User.is_demo.is_(True)).order_by(User.email)))
    coordinator_id = None
    for slug, values in rules.items():
        organization = demo_organization(slug)
        if organization is None:
            echo(f"skipped {slug}: demo organization not loaded (`flask outreach content load`)")
            continue
        member = next((m for m in demo_members if organization.id in m.organization_ids), None)
        if member is None:
            raise click.ClickException(f"{slug} has routing rules but no demo member: run `flask outreach accounts "
                                       "demo` (every partner in help-routing.yaml needs one in DEMO_ACCOUNTS)")
        if not member.is_active:
            echo(f"skipped {slug}: its demo member {member.email} is disabled")
            continue
        keys.ensure_member_key(member, DEMO_PASSWORD)
        db.session.commit()
        if keys.public_key_of(organization.id) is None:
            try:
                recovery = keys.set_up_organization(member, organization.id, DEMO_PASSWORD)
            except crypto.DecryptionFailed:
                echo(f"{slug}: no keys made: {member.email}'s password was changed "
                     "(`flask outreach accounts demo --reset` restores it)")
                continue
            echo(f"{organization.name}: keys made by {member.email}; recovery key {recovery}")
        elif not keys.has_access(member, organization.id):
            echo(f"{slug}: {member.email} cannot open the organization key; it receives requests nobody "
                 "here can read until a member restores access with the recovery key")
        rule = db.session.get(RoutingRule, organization.id)
        if rule is None or not _routing_set_by_staff(organization.id):
            rule = rule or RoutingRule(organization_id=organization.id, is_coordinator=False, last_assignment=0)
            rule.is_accepting = True
            rule.categories = sorted(set(values["categories"]))
            rule.areas = sorted({routing.normalize_area(a) for a in values["areas"] if routing.normalize_area(a)})
            rule.languages = sorted(set(values["languages"]))
            db.session.add(rule)
            db.session.commit()
        if values["coordinator"]:
            coordinator_id = organization.id
    # Receivers nobody can read for (a real organization set up by an older version of this command for
    # demo accounts that are no longer its members) stop accepting.
    for rule in list(db.session.scalars(select(RoutingRule).where(RoutingRule.is_accepting.is_(True)))):
        organization = db.session.get(Organization, rule.organization_id)
        if organization is None or organization.is_demo or keys.public_key_of(rule.organization_id) is None:
            continue
        if not any(keys.has_access(m, rule.organization_id) for m in keys.members_of(rule.organization_id)):
            rule.is_accepting, rule.is_coordinator = False, False
            echo(f"{organization.name}: no longer receives requests (no member can read them)")
    db.session.commit()
    if coordinator_id is not None:
        current = [r.organization_id for r in db.session.scalars(
            select(RoutingRule).where(RoutingRule.is_coordinator.is_(True), RoutingRule.is_accepting.is_(True)))]
        real = [i for i in current if not getattr(db.session.get(Organization, i), "is_demo", False)]
        if not current or real:  # the steward may choose another demo partner; a real one was never chosen here
            routing.set_coordinator(None, coordinator_id)
            echo(f"coordinator: {db.session.get(Organization, coordinator_id).name}")


@help_cli.command("demo")
@click.option("--yes-create-demo-keys", "confirmed", is_flag=True,
              help="Run even when OUTREACH_DEMO_ACCOUNTS is not set.")
def demo(confirmed: bool) -> None:
    """Keys and routing rules for the demo partners of content/help-routing.yaml (demo sites only).

    Run after `flask outreach accounts demo`: each partner's demo member makes its key pair, with the
    demo password as the only way in; its recovery key is printed here."""
    if not (confirmed or current_app.config.get("DEMO_ACCOUNTS")):
        click.echo("Demo keys open with a public password: set OUTREACH_DEMO_ACCOUNTS=true "
                   "or pass --yes-create-demo-keys.", err=True)
        sys.exit(1)
    set_up_demo_help()
    click.echo("Demo partners ready: each one's demo member reads its requests (flask outreach accounts demo-codes).")
