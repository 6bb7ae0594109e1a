"""``flask outreach demo``: keeps a local demo site ready to show, run by ``make run`` (never by
``make serve-prod``): the demo campaigns' relative dates worked out again from today, the demo staff
accounts for every role, and the demo partners' keys and routing rules so a demo help request can be
read. Safe to run on every start: it only does what is missing, and ends with one line on how to sign in."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select


@click.command("demo")
@with_appcontext
@click.option("--yes-create-demo-accounts", "confirmed", is_flag=True,
              help="Run even when OUTREACH_DEMO_ACCOUNTS is not set (make run passes it).")
def demo_command(confirmed: bool) -> None:
    """Keep this demo site ready: current demo campaigns, demo staff, demo partners' keys (demo sites only)."""
    from .accounts.cli import DEMO_POINTER, create_demo_accounts
    from .accounts.models import User
    from .campaigns.content import read_campaigns, reanchor_campaigns
    from .directory.seed import ContentError
    from .extensions import db
    from .help.cli import set_up_demo_help

    if not (confirmed or current_app.config.get("DEMO_ACCOUNTS")):
        click.echo("Demo accounts have public passwords: set OUTREACH_DEMO_ACCOUNTS=true "
                   "or pass --yes-create-demo-accounts.", err=True)
        sys.exit(1)
    real = db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(False)))
    if real and not db.session.scalar(select(func.count(User.id)).where(User.is_demo.is_(True))):
        # Staff accounts and never a demo one: perhaps a real site's database. Demo accounts have public
        # passwords; `flask outreach accounts demo` still makes them for whoever means it.
        click.echo(f"No demo set-up: this database has {real} staff account(s) and no demo account.")
        return
    try:
        moved = reanchor_campaigns(read_campaigns(Path(current_app.config["CONTENT_DIR"])))
    except ContentError as error:
        click.echo(f"Demo campaigns not updated: {len(error.problems)} problem(s) in the content files.", err=True)
        moved = []
    if moved:
        click.echo(f"Demo campaigns moved to today: {', '.join(moved)}")
    create_demo_accounts(verbose=False)
    set_up_demo_help()
    click.echo(DEMO_POINTER)
