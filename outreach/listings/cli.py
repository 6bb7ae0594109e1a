"""``flask outreach listings …``: reminders about listings nobody has verified recently."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

listings_cli = AppGroup("listings", help="Organization listings: freshness reminders.")


@listings_cli.command("remind")
@click.option("--dry-run", is_flag=True, help="Show who would be e-mailed about what; send nothing.")
def remind(dry_run: bool) -> None:
    """E-mail each organization's members the list of their listings not verified within STALE_AFTER_DAYS."""
    from . import reminders

    items = reminders.reminders()
    if not items:
        click.echo("No listings need checking.")
        return
    if not dry_run and not current_app.config.get("SMTP_HOST"):
        click.echo("No e-mail sent: OUTREACH_SMTP_HOST is not set. Use --dry-run to see what would be sent.", err=True)
        raise SystemExit(1)
    sent_to = 0
    for item in items:
        names = ", ".join(service.name for service in item.services)
        if not item.recipients:
            click.echo(f"{item.organization.name}: {len(item.services)} listing(s) to check ({names}); "
                       "no member to e-mail.")
            continue
        if dry_run:
            click.echo(f"Would e-mail {len(item.recipients)} member(s) of {item.organization.name} about "
                       f"{len(item.services)} listing(s): {names}")
            continue
        count = reminders.send_reminder(item)
        sent_to += count
        outcome = f"e-mailed {count} member(s)" if count else "e-mail could not be sent"
        click.echo(f"{item.organization.name}: {outcome} about {len(item.services)} listing(s).")
    if not dry_run:
        click.echo(f"Reminders sent to {sent_to} member(s).")
