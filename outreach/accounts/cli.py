"""``flask outreach accounts …``: the first steward, and demo accounts for development."""
from __future__ import annotations

import sys

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

accounts_cli = AppGroup("accounts", help="Staff accounts.")

# Demo staff: the steward, a reviewer, an outreach publisher, and one member of each demo partner
# organization of content/help-routing.yaml (fictional, `demo: true` under content/organizations/demo/,
# named here by content slug). Their passwords and TOTP secrets are public (README): only ever created
# on a demo site, and marked as demo everywhere. Each member belongs to one organization, so the
# staff pages show "member of A" and "member of B" apart.
DEMO_PASSWORD = "demo only, never in production"
DEMO_ACCOUNTS = (
    ("demo-steward@example.org", "DEMO Steward", "steward", None, "DEMOSTEWARDTOTPSECRETAAAAAAAAAAA"),
    ("demo-reviewer@example.org", "DEMO Reviewer", "reviewer", None, "DEMOREVIEWERTOTPSECRETAAAAAAAAAA"),
    ("demo-publisher@example.org", "DEMO Outreach publisher", "outreach_publisher", None, "DEMOPUBLISHERTOTPSECRETAAAAAAAAA"),
    ("demo-member-riverside@example.org", "DEMO Member, Riverside Harm Reduction Collective", "org_member",
     "riverside-harm-reduction", "DEMOMEMBERRIVERSIDETOTPSECRETAAA"),
    ("demo-member-bridgeway@example.org", "DEMO Member, Bridgeway Recovery Clinic", "org_member",
     "bridgeway-recovery-clinic", "DEMOMEMBERBRIDGEWAYTOTPSECRETAAA"),
    ("demo-member-raices@example.org", "DEMO Member, Raíces Community Center", "org_member",
     "centro-comunitario-raices", "DEMOMEMBERRAICESTOTPSECRETAAAAAA"),
    ("demo-member-crescent@example.org", "DEMO Member, Crescent Light Islamic Center", "org_member",
     "crescent-light-islamic-center", "DEMOMEMBERCRESCENTTOTPSECRETAAAA"),
    ("demo-member-northbank@example.org", "DEMO Member, Northbank Recovery Community Center", "org_member",
     "northbank-recovery-community-center", "DEMOMEMBERNORTHBANKTOTPSECRETAAA"),
)
# One line for the end of `make run`'s set-up.
DEMO_POINTER = (f"Demo staff: sign in at /staff/login as demo-steward@example.org (other roles: README), "
                f"password '{DEMO_PASSWORD}'; codes: .venv/bin/flask --app outreach outreach accounts demo-codes")


def _invitation_link(token: str, base_url: str) -> str:
    with current_app.test_request_context("/", base_url=base_url):
        from flask import url_for

        return url_for("accounts.accept_invitation", token=token, _external=True)


@accounts_cli.command("create-steward")
@click.argument("email")
@click.option("--name", default="", help="The steward's name (they can change it).")
@click.option("--base-url", default=None, help="Where the site is served (default: OUTREACH_SITE_URL).")
def create_steward(email: str, name: str, base_url: str | None) -> None:
    """Print a one-time link (valid 72 hours) that lets EMAIL set a password as a steward."""
    from .services import AccountError, create_invitation

    try:
        _invitation, token = create_invitation(email, [{"role": "steward"}], display_name=name)
    except AccountError as error:
        click.echo(f"No invitation made: {error}", err=True)
        sys.exit(1)
    click.echo(f"Give this link to {email.strip().lower()} (works once, for 72 hours):")
    click.echo(_invitation_link(token, base_url or current_app.config["SITE_URL"]))


def demo_organization(slug: str):
    """The demo organization loaded from content/organizations/demo/<slug>.yaml, or None when the content
    is not loaded; ClickException when an organization with that slug is not marked demo (demo accounts
    never join a real organization)."""
    from ..directory.models import Organization
    from ..extensions import db

    organization = db.session.scalar(select(Organization).where(Organization.content_slug == slug))
    if organization is not None and not organization.is_demo:
        raise click.ClickException(f"organization {slug!r} is not marked demo: demo accounts only join "
                                   "fictional demo organizations (`demo: true` in content/organizations/demo/)")
    return organization


def _revoke_real_memberships(user) -> list[str]:
    """A demo account made by an older version may be a member of a real organization: not any more."""
    from ..directory.models import Organization
    from ..extensions import db
    from . import services
    from .models import ORG_MEMBER

    revoked = []
    for organization_id in sorted(user.organization_ids):
        organization = db.session.get(Organization, organization_id)
        if organization is not None and not organization.is_demo:
            services.revoke_role(user, ORG_MEMBER, organization_id)
            revoked.append(organization.name)
    return revoked


def create_demo_accounts(*, reset: bool = False, echo=click.echo, verbose: bool = True) -> None:
    """Create the missing demo accounts and their roles; safe to run again, and fast then (no password
    is hashed for an account that exists). ``reset`` also restores the public password and TOTP secret
    of existing ones and unlocks them. An account with a demo e-mail address that is not marked demo
    is never touched."""
    from ..extensions import db
    from ..help import crypto, keys
    from . import passwords, services
    from .models import User

    for user in db.session.scalars(select(User).where(User.is_demo.is_(True))):
        for name in _revoke_real_memberships(user):
            echo(f"{user.email}: no longer a member of {name} (not a demo organization)")
    for email, name, role, slug, secret in DEMO_ACCOUNTS:
        organization = demo_organization(slug) if slug else None
        if slug and organization is None:
            echo(f"skipped {email}: demo organization {slug!r} not loaded (`flask outreach content load`)")
            continue
        user = services.user_by_email(email)
        created = user is None
        if created:
            user = User(email=email, display_name=name, is_demo=True, session_epoch=1, failed_logins=0,
                        is_active=True, password_hash=passwords.hash_password(DEMO_PASSWORD), totp_secret=secret)
            db.session.add(user)
        elif not user.is_demo:
            raise click.ClickException(f"{email} exists and is not a demo account: left as it is")
        elif reset:
            user.password_hash = passwords.hash_password(DEMO_PASSWORD)
            user.totp_secret, user.totp_last_step = secret, None
            user.failed_logins, user.locked_until, user.is_active = 0, None, True
            try:
                keys.member_private_key(user, DEMO_PASSWORD)
            except crypto.DecryptionFailed:  # the password had been changed: its key is lost with it
                keys.replace_member_key(user, DEMO_PASSWORD)
        user.display_name = name
        db.session.flush()
        if not any(g.role == role and g.organization_id == (organization.id if organization else None)
                   for g in user.roles):
            services.grant_role(user, role, organization.id if organization else None)
        db.session.commit()
        if verbose or created:
            where = f" of {organization.name}" if organization is not None else ""
            echo(f"{email}  ({role}{where})  TOTP secret {secret}" + ("  [created]" if created and not verbose else ""))


@accounts_cli.command("demo")
@click.option("--yes-create-demo-accounts", "confirmed", is_flag=True,
              help="Create them even when OUTREACH_DEMO_ACCOUNTS is not set.")
@click.option("--reset", is_flag=True, help="Also restore the public password and TOTP secret of existing ones.")
def demo(confirmed: bool, reset: bool) -> None:
    """Create the demo staff accounts (public passwords and TOTP secrets: demo sites only)."""
    if not (confirmed or current_app.config.get("DEMO_ACCOUNTS")):
        click.echo("Demo accounts have public passwords: set OUTREACH_DEMO_ACCOUNTS=true "
                   "or pass --yes-create-demo-accounts.", err=True)
        sys.exit(1)
    create_demo_accounts(reset=reset)
    click.echo(f"Password for all of them: {DEMO_PASSWORD!r}. Current codes: flask outreach accounts demo-codes")


@accounts_cli.command("demo-codes")
def demo_codes() -> None:
    """Print the current two-factor code of every demo account (never of a real one)."""
    from ..extensions import db
    from . import clock
    from .models import User

    at = int(clock.now().timestamp())
    for user in db.session.scalars(select(User).where(User.is_demo.is_(True)).order_by(User.email)):
        if user.totp_secret:
            click.echo(f"{user.email}  {pyotp.TOTP(user.totp_secret).at(at)}  {user.display_name}")
