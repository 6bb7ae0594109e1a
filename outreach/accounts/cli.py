"""``flask outreach accounts …``: the first steward, and demo accounts for development."""
from __future__ import annotations

import sys

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

accounts_cli = AppGroup("accounts", help="Staff accounts.")

# Demo staff, one per role (and a member of each of two organizations). Their passwords and TOTP
# secrets are public (README): only ever created on a demo site, and marked as demo everywhere.
DEMO_PASSWORD = "demo only, never in production"
DEMO_ACCOUNTS = (
    ("demo-steward@example.org", "DEMO Steward", "steward", None, "DEMOSTEWARDTOTPSECRETAAAAAAAAAAA"),
    ("demo-reviewer@example.org", "DEMO Reviewer", "reviewer", None, "DEMOREVIEWERTOTPSECRETAAAAAAAAAA"),
    ("demo-publisher@example.org", "DEMO Outreach publisher", "outreach_publisher", None, "DEMOPUBLISHERTOTPSECRETAAAAAAAAA"),
    ("demo-member-a@example.org", "DEMO Member, first organization", "org_member", 0, "DEMOMEMBERATOTPSECRETAAAAAAAAAAA"),
    ("demo-member-b@example.org", "DEMO Member, second organization", "org_member", 1, "DEMOMEMBERBTOTPSECRETAAAAAAAAAAA"),
)


def _invitation_link(token: str, base_url: str) -> str:
    with current_app.test_request_context("/", base_url=base_url):
        from flask import url_for

        return url_for("accounts.accept_invitation", token=token, _external=True)


@accounts_cli.command("create-steward")
@click.argument("email")
@click.option("--name", default="", help="The steward's name (they can change it).")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Where the site is served.")
def create_steward(email: str, name: str, base_url: str) -> None:
    """Print a one-time link (valid 72 hours) that lets EMAIL set a password as a steward."""
    from .services import AccountError, create_invitation

    try:
        _invitation, token = create_invitation(email, [{"role": "steward"}], display_name=name)
    except AccountError as error:
        click.echo(f"No invitation made: {error}", err=True)
        sys.exit(1)
    click.echo(f"Give this link to {email.strip().lower()} (works once, for 72 hours):")
    click.echo(_invitation_link(token, base_url))


@accounts_cli.command("demo")
@click.option("--yes-create-demo-accounts", "confirmed", is_flag=True,
              help="Create them even when OUTREACH_DEMO_ACCOUNTS is not set.")
def demo(confirmed: bool) -> None:
    """Create the demo staff accounts (public passwords and TOTP secrets: demo sites only)."""
    from ..directory.models import Organization
    from ..extensions import db
    from . import passwords, services
    from .models import User

    if not (confirmed or current_app.config.get("DEMO_ACCOUNTS")):
        click.echo("Demo accounts have public passwords: set OUTREACH_DEMO_ACCOUNTS=true "
                   "or pass --yes-create-demo-accounts.", err=True)
        sys.exit(1)
    organizations = list(db.session.scalars(select(Organization).order_by(Organization.name).limit(2)))
    for email, name, role, org_index, secret in DEMO_ACCOUNTS:
        organization_id = None
        if org_index is not None:
            if len(organizations) <= org_index:
                click.echo(f"skipped {email}: load content first (`flask outreach content load`)")
                continue
            organization_id = organizations[org_index].id
        user = services.user_by_email(email)
        if user is None:
            user = User(email=email, display_name=name, is_demo=True, session_epoch=1, failed_logins=0, is_active=True)
            db.session.add(user)
        user.password_hash = passwords.hash_password(DEMO_PASSWORD)
        user.totp_secret = secret
        user.totp_last_step = None
        db.session.flush()
        if not user.has_role(role):
            services.grant_role(user, role, organization_id)
        db.session.commit()
        where = f" of {organizations[org_index].name}" if org_index is not None else ""
        click.echo(f"{email}  ({role}{where})  TOTP secret {secret}")
    click.echo(f"Password for all of them: {DEMO_PASSWORD!r}. Current codes: flask outreach accounts demo-codes")


@accounts_cli.command("demo-codes")
def demo_codes() -> None:
    """Print the current two-factor code of every demo account (never of a real one)."""
    from ..extensions import db
    from .models import User

    for user in db.session.scalars(select(User).where(User.is_demo.is_(True)).order_by(User.email)):
        if user.totp_secret:
            click.echo(f"{user.email}  {pyotp.TOTP(user.totp_secret).now()}")
