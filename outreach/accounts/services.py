"""Account use cases: invitations, sign-in with two factors, recovery codes, roles, passwords.

Every public function here is one use case and commits once; the routes and the CLI only call these.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import or_, select, update

from ..audit.services import record
from ..directory.models import Organization
from ..domain import NotFound
from ..extensions import db
from . import clock, passwords
from .models import (
    ORG_MEMBER,
    OUTREACH_PUBLISHER,
    REVIEWER,
    ROLES,
    STEWARD,
    Invitation,
    RecoveryCode,
    RoleGrant,
    User,
)

INVITATION_LIFETIME = timedelta(hours=72)
# In an invitation's stored role grant: the organization's private key wrapped for the link's token.
WRAPPED_KEY = "wrapped_key"
TOTP_INTERVAL = 30  # seconds per time step (RFC 6238)
TOTP_ISSUER = "Outreach"
RECOVERY_CODE_COUNT = 10
# Failures in a row before the account waits; each further failure doubles the wait, up to the cap.
FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)


class AccountError(Exception):
    """A rule of the accounts feature was broken; ``code`` names which."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class RoleConflict(AccountError):
    """A police outreach account can never be a member of an organization, nor the other way round."""


class InvitationInvalid(AccountError):
    """Unknown, expired or already used: the person sees one message for all three."""


class PasswordRejected(AccountError):
    """The password breaks a rule; ``code`` is one of the ``passwords`` problem names."""


class LoginFailed(AccountError):
    """Wrong e-mail, password or code, disabled account, or too many tries: never said which."""


# -- helpers ------------------------------------------------------------------------------------------


def _help_keys():
    """The help feature's key wrapping (outreach/help/keys.py): a member's personal key is wrapped under
    their password, so every place a password is set or checked hands it on. Imported late: help
    imports the accounts models."""
    from ..help import keys

    return keys


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalize_recovery_code(code).encode("ascii", "ignore")).hexdigest()


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def _role_snapshot(grants) -> list[dict]:
    return sorted(({"role": g["role"], "organization_id": g.get("organization_id")} if isinstance(g, dict)
                   else {"role": g.role, "organization_id": g.organization_id} for g in grants),
                  key=lambda g: (g["role"], g["organization_id"] or ""))


def check_roles(grants: list[dict]) -> list[dict]:
    """Validate a set of role grants as a whole; return them normalized (no duplicates)."""
    clean: list[dict] = []
    for grant in grants:
        role, organization_id = grant.get("role"), grant.get("organization_id") or None
        if role not in ROLES:
            raise AccountError("unknown_role", f"unknown role {role!r}")
        if role == ORG_MEMBER:
            if not organization_id or db.session.get(Organization, organization_id) is None:
                raise AccountError("organization_required", "an organization member needs an existing organization")
        elif organization_id:
            raise AccountError("no_organization", f"the {role} role is not tied to an organization")
        item = {"role": role, "organization_id": organization_id}
        if item not in clean:
            clean.append(item)
    roles = {g["role"] for g in clean}
    if OUTREACH_PUBLISHER in roles and ORG_MEMBER in roles:
        raise RoleConflict(
            "publisher_member_conflict",
            "a police outreach (outreach_publisher) account can never be a member of an organization",
        )
    if STEWARD in roles and ORG_MEMBER in roles:
        # Issue 6: the steward never holds any organization key, and a member's key is the way to one.
        raise RoleConflict("steward_member_conflict",
                           "the steward can never be a member of an organization (and hold its key)")
    return clean


def _grant(user: User, role: str, organization_id: str | None, actor) -> RoleGrant | None:
    wanted = check_roles(_role_snapshot(user.roles) + [{"role": role, "organization_id": organization_id}])
    if any(g.role == role and g.organization_id == (organization_id or None) for g in user.roles):
        return None
    assert {"role": role, "organization_id": organization_id or None} in wanted
    grant = RoleGrant(role=role, organization_id=organization_id or None)
    user.roles.append(grant)
    db.session.flush()
    record("role_granted", actor=actor, target_type="user", target_id=user.id,
           changes={"role": {"before": None, "after": role}, "organization_id": organization_id})
    return grant


# -- roles --------------------------------------------------------------------------------------------


def grant_role(user: User, role: str, organization_id: str | None = None, *, actor=None) -> None:
    """Give ``user`` a role (``org_member`` needs the organization). Raises RoleConflict for police + org."""
    _grant(user, role, organization_id, actor)
    db.session.commit()


def revoke_role(user: User, role: str, organization_id: str | None = None, *, actor=None) -> None:
    """Take a role away. A member losing an organization loses its key with it (their sealed copy is
    deleted); a steward cannot take the steward role from themselves (someone must stay in charge)."""
    if role == STEWARD and actor is not None and getattr(actor, "id", None) == user.id:
        raise AccountError("own_steward_role", "a steward cannot revoke their own steward role")
    for grant in list(user.roles):
        if grant.role == role and grant.organization_id == (organization_id or None):
            user.roles.remove(grant)
            db.session.flush()
            if role == ORG_MEMBER:
                _help_keys().forget_organization(user, grant.organization_id)
            record("role_revoked", actor=actor, target_type="user", target_id=user.id,
                   changes={"role": {"before": role, "after": None}, "organization_id": organization_id})
    db.session.commit()


# -- invitations --------------------------------------------------------------------------------------


def create_invitation(email: str, roles: list[dict], *, display_name: str = "", actor=None,
                      organization_keys: dict[str, bytes] | None = None) -> tuple[Invitation, str]:
    """A one-time link (returned token) that lets ``email`` set a password and receive ``roles``.

    ``organization_keys`` (organization id → its private key, unlocked by an inviting member) are
    stored only wrapped under a key derived from the token, which the database never holds: whoever
    opens the link gets them sealed to their own member key at acceptance (help/keys.py)."""
    email = normalize_email(email)
    if "@" not in email:
        raise AccountError("bad_email", "an e-mail address is needed")
    grants = check_roles(roles)
    existing = user_by_email(email)
    if existing is not None:
        check_roles(_role_snapshot(existing.roles) + grants)
    token = secrets.token_urlsafe(32)
    stored = [dict(grant) for grant in grants]
    for grant in stored:
        private = (organization_keys or {}).get(grant["organization_id"]) if grant["role"] == ORG_MEMBER else None
        if private is not None:
            grant[WRAPPED_KEY] = _help_keys().wrap_for_invitation(private, token)
    invitation = Invitation(
        token_hash=_token_hash(token), email=email, display_name=display_name.strip(), roles=stored,
        invited_by_id=getattr(actor, "id", None), expires_at=clock.now() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    record("invitation_created", actor=actor, target_type="invitation", target_id=invitation.id,
           changes={"email": email, "roles": grants,
                    "organization_keys": sorted(g["organization_id"] for g in stored if WRAPPED_KEY in g)})
    db.session.commit()
    return invitation, token


def invite_member(actor: User, organization_id: str, email: str, *, display_name: str = "",
                  password: str = "") -> tuple[Invitation, str, bool]:
    """A member invites a colleague to their own organization. When the organization's key is set up
    and this member holds it, their password unlocks it (in memory only) and the invitation carries it
    wrapped for the link's token: the new member can read help requests from their first sign-in.
    Returns (invitation, token, whether the key goes with it)."""
    if organization_id not in actor.organization_ids:
        raise NotFound(organization_id)
    keys = _help_keys()
    private = None
    if keys.has_access(actor, organization_id):
        from ..help.crypto import DecryptionFailed

        if not password:
            raise AccountError("password_needed", "the member's password is needed to pass the key on")
        try:
            private = keys.organization_private_key(actor, organization_id, password)
        except DecryptionFailed:
            _register_failure(actor, "invitation_key_unlock")
            raise LoginFailed("login_failed") from None
    invitation, token = create_invitation(
        email, [{"role": ORG_MEMBER, "organization_id": organization_id}], display_name=display_name, actor=actor,
        organization_keys={organization_id: private} if private is not None else None)
    return invitation, token, private is not None


def find_invitation(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.used_at is not None or clock.as_utc(invitation.expires_at) <= clock.now():
        raise InvitationInvalid("invitation_invalid")
    return invitation


def invitation_for_existing_account(invitation: Invitation) -> bool:
    """True when the invitation is for an account that already has a password (the form then asks for it)."""
    user = user_by_email(invitation.email)
    return user is not None and bool(user.password_hash)


def accept_invitation(token: str, password: str, display_name: str, current_password: str = "") -> User:
    """Set the password (creating the account if needed) and grant the invitation's roles; once only.

    For an existing account, ``current_password`` (when given, it must be right) keeps the member key
    and with it every organization key already held; left empty (a forgotten password), the member key
    is replaced and those keys are lost (no escrow). Organization keys carried by the invitation are
    sealed to the member key either way. Two requests with the same link: one wins, the other gets
    InvitationInvalid and changes nothing."""
    invitation = find_invitation(token)
    problem = passwords.password_problem(password, invitation.email)
    if problem:
        raise PasswordRejected(problem)
    keys = _help_keys()
    user = user_by_email(invitation.email)
    created = user is None
    old_password_kept = False
    if user is not None and current_password:
        right = passwords.verify_password(user.password_hash, current_password)  # hashed even when locked
        if _is_locked(user) or not right:
            _register_failure(user, "invitation_current_password")
            raise LoginFailed("login_failed")
        old_password_kept = True
    # Claim the invitation first, conditionally: of two concurrent acceptances only one sees a row.
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise InvitationInvalid("invitation_invalid")
    if created:
        user = User(email=invitation.email, display_name=display_name.strip() or invitation.display_name or invitation.email,
                    session_epoch=1, failed_logins=0, is_active=True)
        db.session.add(user)
        db.session.flush()
    else:
        user.session_epoch = (user.session_epoch or 1) + 1  # a new password ends every old session
        if display_name.strip():
            user.display_name = display_name.strip()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    try:
        for grant in invitation.roles:
            _grant(user, grant["role"], grant.get("organization_id"), None)
    except AccountError:  # the account's roles changed since the invitation: it no longer fits
        db.session.rollback()
        raise InvitationInvalid("invitation_invalid") from None
    if old_password_kept:
        keys.rewrap_member_key(user, current_password, password)  # the same key: organization keys survive
    else:
        keys.replace_member_key(user, password)  # the old password is unknown: a new member key
    received = []
    for grant in invitation.roles:
        if grant.get(WRAPPED_KEY) and keys.accept_invited_key(user, grant["organization_id"], grant[WRAPPED_KEY], token):
            received.append(grant["organization_id"])
    # The wrapped organization keys are not kept once used: the invitation keeps its roles only.
    invitation.roles = [{"role": g["role"], "organization_id": g.get("organization_id")} for g in invitation.roles]
    record("invitation_accepted", actor=user, target_type="invitation", target_id=invitation.id,
           changes={"account_created": created, "organization_keys_received": sorted(received),
                    "organization_keys_kept": old_password_kept})
    record("password_set", actor=user, target_type="user", target_id=user.id)
    db.session.commit()
    return user


# -- sign-in ------------------------------------------------------------------------------------------


def _is_locked(user: User) -> bool:
    locked_until = clock.as_utc(user.locked_until)
    return locked_until is not None and locked_until > clock.now()


def _register_failure(user: User | None, stage: str) -> None:
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        extra = user.failed_logins - FREE_FAILURES
        if extra >= 0:
            wait = min(FIRST_WAIT * (2 ** min(extra, 20)), LONGEST_WAIT)
            user.locked_until = clock.now() + wait
    record("login_failed", target_type="user" if user else None, target_id=user.id if user else None,
           changes={"stage": stage})
    db.session.commit()


def _clear_failures(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


def check_password(email: str, password: str) -> User:
    """The first step: the user whose password this is, or LoginFailed (same for every reason)."""
    user = user_by_email(email) if email else None
    if user is not None and _is_locked(user):
        passwords.verify_password(None, password)  # the same cost as any other answer: no timing oracle
        record("login_throttled", target_type="user", target_id=user.id)
        db.session.commit()
        raise LoginFailed("login_failed")
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        _register_failure(user, "password")
        raise LoginFailed("login_failed")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        record("password_rehashed", actor=user, target_type="user", target_id=user.id)
        db.session.commit()
    _help_keys().ensure_member_key(user, password)  # organization members only; the password is at hand
    db.session.commit()
    return user


def current_step() -> int:
    return int(clock.now().timestamp()) // TOTP_INTERVAL


def _matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is, if not used yet."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = current_step()
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * TOTP_INTERVAL), code) and (after_step is None or step > after_step):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Mark ``step`` used only if no request got there first (a conditional UPDATE, not read-then-write)."""
    claimed = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def verify_totp(user: User, code: str) -> None:
    """The second step. A code (or an earlier one) already accepted is refused: no replay."""
    if _is_locked(user) or not user.is_active or not user.totp_secret:
        record("login_throttled", target_type="user", target_id=user.id)
        db.session.commit()
        raise LoginFailed("login_failed")
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None or not _claim_step(user, step):
        _register_failure(user, "totp")
        raise LoginFailed("login_failed")
    _clear_failures(user)
    record("login", actor=user, target_type="user", target_id=user.id, changes={"second_factor": "totp"})
    db.session.commit()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def confirm_totp_setup(user: User, secret: str, code: str) -> list[str]:
    """Save the authenticator once its first code checks out; return the recovery codes (shown once)."""
    if _is_locked(user) or not user.is_active:
        raise LoginFailed("login_failed")
    step = _matching_step(secret, code, None)
    if step is None:
        _register_failure(user, "totp_setup")
        raise LoginFailed("login_failed")
    user.totp_secret = secret
    user.totp_last_step = step
    _clear_failures(user)
    codes = _replace_recovery_codes(user)
    record("totp_enabled", actor=user, target_type="user", target_id=user.id)
    record("login", actor=user, target_type="user", target_id=user.id, changes={"second_factor": "totp"})
    db.session.commit()
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    user.recovery_codes.clear()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        user.recovery_codes.append(RecoveryCode(code_hash=_code_hash(raw)))
    return codes


def use_recovery_code(user: User, code: str) -> None:
    """The second step with a recovery code instead of the app; each code works once."""
    if _is_locked(user) or not user.is_active:
        raise LoginFailed("login_failed")
    wanted = _code_hash(code)
    match = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == wanted, RecoveryCode.used_at.is_(None)))
    claimed = None if match is None else db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False))
    if claimed is None or claimed.rowcount != 1:
        _register_failure(user, "recovery_code")
        raise LoginFailed("login_failed")
    db.session.refresh(match)
    _clear_failures(user)
    left = sum(1 for item in user.recovery_codes if item.used_at is None)
    record("login", actor=user, target_type="user", target_id=user.id,
           changes={"second_factor": "recovery_code", "recovery_codes_left": left})
    db.session.commit()


def recovery_codes_left(user: User) -> int:
    return sum(1 for item in user.recovery_codes if item.used_at is None)


def record_logout(user: User) -> None:
    record("logout", actor=user, target_type="user", target_id=user.id)
    db.session.commit()


# -- the account itself -------------------------------------------------------------------------------


def change_password(user: User, current: str, new: str) -> int:
    """Replace the password and end every other session; returns the new session epoch."""
    if not passwords.verify_password(user.password_hash, current):
        _register_failure(user, "password_change")
        raise LoginFailed("login_failed")
    problem = passwords.password_problem(new, user.email)
    if problem:
        raise PasswordRejected(problem)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = clock.now()
    user.session_epoch = (user.session_epoch or 1) + 1
    _help_keys().rewrap_member_key(user, current, new)
    record("password_changed", actor=user, target_type="user", target_id=user.id)
    db.session.commit()
    return user.session_epoch


def set_active(user: User, is_active: bool, *, actor=None) -> None:
    """Disable (or enable again) an account; disabling ends every session at once. Nobody disables
    their own account (the last steward would lock everyone out)."""
    if not is_active and actor is not None and getattr(actor, "id", None) == user.id:
        raise AccountError("own_account", "an account cannot disable itself")
    before = user.is_active
    user.is_active = is_active
    if not is_active:
        user.session_epoch = (user.session_epoch or 1) + 1
    record("account_disabled" if not is_active else "account_enabled", actor=actor, target_type="user",
           target_id=user.id, changes={"is_active": {"before": before, "after": is_active}})
    db.session.commit()


@dataclass(frozen=True)
class ProfileChange:
    display_name: str
    preferred_locale: str | None


def update_profile(user: User, change: ProfileChange) -> None:
    """The fields a person may change about themselves: nothing else is read from the form."""
    before = {"display_name": user.display_name, "preferred_locale": user.preferred_locale}
    user.display_name = change.display_name.strip() or user.display_name
    user.preferred_locale = change.preferred_locale or None
    after = {"display_name": user.display_name, "preferred_locale": user.preferred_locale}
    from ..audit.services import diff

    changes = diff(before, after)
    if changes:
        record("profile_changed", actor=user, target_type="user", target_id=user.id, changes=changes)
    db.session.commit()


def organization_for(user: User, organization_id: str) -> Organization:
    """The organization as this user may see it: stewards and reviewers any, members only their own.

    Someone else's organization is NotFound, not NotAllowed: its existence is not confirmed.
    """
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(organization_id)
    if user.has_role(STEWARD, REVIEWER) or organization_id in user.organization_ids:
        return organization
    raise NotFound(organization_id)


def organizations_of(user: User) -> list[Organization]:
    ids = user.organization_ids
    if not ids:
        return []
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)))


def people() -> list[User]:
    """Every staff account, for the steward's People page."""
    return list(db.session.scalars(select(User).order_by(User.is_active.desc(), User.display_name, User.email)))


def all_organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))
