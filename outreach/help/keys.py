"""Member and organization keys: creation, wrapping on password changes, granting access, unlocking.

See ``crypto.py`` for the design. Functions here add to the session; the caller commits, except the
use cases at the bottom (``set_up_organization``, ``grant_access``), which commit once each.
"""
from __future__ import annotations

import base64

from flask import current_app
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from sqlalchemy import delete, select

from ..accounts import clock
from ..accounts.models import ORG_MEMBER, OUTREACH_PUBLISHER, STEWARD, RoleGrant, User
from ..audit.services import record
from ..domain import NotAllowed, NotFound
from ..extensions import db
from . import crypto
from .models import MemberKey, OrganizationKey, OrganizationKeySeal


def kdf_cost() -> crypto.KdfCost:
    config = current_app.config
    return crypto.KdfCost(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])


def _cost_of(key: MemberKey) -> crypto.KdfCost:
    return crypto.KdfCost(key.time_cost, key.memory_kib)


# -- member keys (called from the accounts services whenever a password is known) --------------------


def _new_member_key(user: User, password: str) -> MemberKey:
    private, public = crypto.new_key_pair()
    salt, cost = crypto.new_salt(), kdf_cost()
    key = MemberKey(user_id=user.id, public_key=public, salt=salt, time_cost=cost.time_cost,
                    memory_kib=cost.memory_kib, wrapped=crypto.wrap_with_password(private, password, salt, cost))
    db.session.add(key)
    return key


def ensure_member_key(user: User, password: str) -> None:
    """Give an organization member a personal key on first sign-in (stewards and publishers never)."""
    if not user.has_role(ORG_MEMBER) or db.session.get(MemberKey, user.id) is not None:
        return
    _new_member_key(user, password)


def rewrap_member_key(user: User, current: str, new: str) -> None:
    """A password change: the same key pair, wrapped under the new password with a fresh salt."""
    key = db.session.get(MemberKey, user.id)
    if key is None:
        ensure_member_key(user, new)
        return
    try:
        private = crypto.unwrap_with_password(key.wrapped, current, key.salt, _cost_of(key))
    except crypto.DecryptionFailed:
        replace_member_key(user, new)
        return
    salt, cost = crypto.new_salt(), kdf_cost()
    key.salt, key.time_cost, key.memory_kib = salt, cost.time_cost, cost.memory_kib
    key.wrapped = crypto.wrap_with_password(private, new, salt, cost)


def replace_member_key(user: User, password: str) -> None:
    """A password set without the old one (a new invitation): the old key is lost, and with it every
    access it held; another member grants it again."""
    db.session.execute(delete(OrganizationKeySeal).where(OrganizationKeySeal.user_id == user.id))
    db.session.execute(delete(MemberKey).where(MemberKey.user_id == user.id))
    if user.has_role(ORG_MEMBER):
        _new_member_key(user, password)


# -- unlocking ----------------------------------------------------------------------------------------


def member_private_key(user: User, password: str) -> bytes:
    key = db.session.get(MemberKey, user.id)
    if key is None:
        raise crypto.DecryptionFailed()
    return crypto.unwrap_with_password(key.wrapped, password, key.salt, _cost_of(key))


def organization_private_key(user: User, organization_id: str, password: str) -> bytes:
    """The organization's private key, opened with this member's password; kept by the caller only
    for the current request."""
    if organization_id not in user.organization_ids:
        raise crypto.DecryptionFailed()
    seal = db.session.scalar(select(OrganizationKeySeal).where(
        OrganizationKeySeal.organization_id == organization_id, OrganizationKeySeal.user_id == user.id))
    if seal is None:
        raise crypto.DecryptionFailed()
    return crypto.unseal(seal.sealed, member_private_key(user, password))


def organization_key_from_recovery(organization_id: str, recovery_key: str) -> bytes:
    key = db.session.get(OrganizationKey, organization_id)
    if key is None:
        raise crypto.DecryptionFailed()
    cost = crypto.KdfCost(key.recovery_time_cost, key.recovery_memory_kib)
    return crypto.unwrap(key.recovery_wrapped, crypto.recovery_salted_key(recovery_key, key.recovery_salt, cost))


def public_key_of(organization_id: str) -> bytes | None:
    key = db.session.get(OrganizationKey, organization_id)
    return bytes(key.public_key) if key else None


def has_access(user: User, organization_id: str) -> bool:
    return db.session.scalar(select(OrganizationKeySeal.id).where(
        OrganizationKeySeal.organization_id == organization_id, OrganizationKeySeal.user_id == user.id)) is not None


def members_of(organization_id: str) -> list[User]:
    return list(db.session.scalars(select(User).join(RoleGrant).where(
        RoleGrant.role == ORG_MEMBER, RoleGrant.organization_id == organization_id, User.is_active.is_(True)
    ).order_by(User.display_name)))


# -- use cases ----------------------------------------------------------------------------------------


def _seal_for(organization_id: str, member: User, organization_private: bytes) -> None:
    if member.has_role(STEWARD, OUTREACH_PUBLISHER):
        raise NotAllowed("never_for_steward_or_publisher")  # no escrow: never, whatever else they hold
    member_key = db.session.get(MemberKey, member.id)
    if member_key is None or organization_id not in member.organization_ids:
        raise NotAllowed("member_has_no_key")
    sealed = crypto.seal(organization_private, member_key.public_key)
    existing = db.session.scalar(select(OrganizationKeySeal).where(
        OrganizationKeySeal.organization_id == organization_id, OrganizationKeySeal.user_id == member.id))
    if existing is None:
        db.session.add(OrganizationKeySeal(organization_id=organization_id, user_id=member.id, sealed=sealed,
                                           granted_on=clock.now().date()))
    else:
        existing.sealed = sealed


def set_up_organization(user: User, organization_id: str, password: str) -> str:
    """The first member creates the organization key; returns the recovery key (shown once)."""
    if organization_id not in user.organization_ids:
        raise NotFound(organization_id)
    if db.session.get(OrganizationKey, organization_id) is not None:
        raise NotAllowed("already_set_up")
    member_private_key(user, password)  # the password must open this member's own key
    private, public = crypto.new_key_pair()
    recovery = crypto.new_recovery_key()
    salt, cost = crypto.new_salt(), kdf_cost()
    db.session.add(OrganizationKey(
        organization_id=organization_id, public_key=public, created_on=clock.now().date(), recovery_salt=salt,
        recovery_time_cost=cost.time_cost, recovery_memory_kib=cost.memory_kib,
        recovery_wrapped=crypto.wrap(private, crypto.recovery_salted_key(recovery, salt, cost))))
    db.session.flush()
    _seal_for(organization_id, user, private)
    record("help_keys_created", actor=user, target_type="organization", target_id=organization_id)
    db.session.commit()
    return crypto.group(recovery)


def grant_access(user: User, organization_id: str, password: str, member_id: int) -> None:
    """An existing member (unlocking with their password) gives another member of the same
    organization access to its help requests."""
    if organization_id not in user.organization_ids:
        raise NotFound(organization_id)
    member = db.session.get(User, member_id)
    if member is None or organization_id not in member.organization_ids:
        raise NotFound(str(member_id))
    private = organization_private_key(user, organization_id, password)
    _seal_for(organization_id, member, private)
    record("help_access_granted", actor=user, target_type="user", target_id=member.id,
           changes={"organization_id": organization_id})
    db.session.commit()


def revoke_access(user: User, organization_id: str, member_id: int) -> None:
    if organization_id not in user.organization_ids:
        raise NotFound(organization_id)
    db.session.execute(delete(OrganizationKeySeal).where(
        OrganizationKeySeal.organization_id == organization_id, OrganizationKeySeal.user_id == member_id))
    record("help_access_revoked", actor=user, target_type="user", target_id=member_id,
           changes={"organization_id": organization_id})
    db.session.commit()


def restore_with_recovery_key(user: User, organization_id: str, recovery_key: str) -> None:
    """A member who lost access (everyone changed laptops…) restores it with the recovery key."""
    if organization_id not in user.organization_ids:
        raise NotFound(organization_id)
    private = organization_key_from_recovery(organization_id, recovery_key)
    _seal_for(organization_id, user, private)
    record("help_access_restored", actor=user, target_type="organization", target_id=organization_id)
    db.session.commit()


# -- called from the accounts services (roles revoked, invitations) -----------------------------------


def forget_organization(user: User, organization_id: str) -> None:
    """A member's role in the organization was revoked: their sealed copy of its key goes with it, and
    their member key too once they are a member of no organization. The caller commits."""
    db.session.execute(delete(OrganizationKeySeal).where(
        OrganizationKeySeal.organization_id == organization_id, OrganizationKeySeal.user_id == user.id))
    if not user.has_role(ORG_MEMBER):
        db.session.execute(delete(MemberKey).where(MemberKey.user_id == user.id))


def wrap_for_invitation(organization_private: bytes, token: str) -> str:
    """The organization key wrapped under the invitation link's token (never stored: only its hash is),
    as text for the invitation's JSON."""
    return base64.b64encode(crypto.wrap(organization_private, _invitation_key(token))).decode("ascii")


def accept_invited_key(user: User, organization_id: str, wrapped: str, token: str) -> bool:
    """At acceptance: open the key the invitation carries and seal it to the new member's own key.
    False (nothing stored) when it does not open or is not this organization's key. The caller commits."""
    organization_key = db.session.get(OrganizationKey, organization_id)
    if organization_key is None or organization_id not in user.organization_ids:
        return False
    try:
        private = crypto.unwrap(base64.b64decode(wrapped), _invitation_key(token))
    except (crypto.DecryptionFailed, ValueError):
        return False
    if crypto.public_of(private) != bytes(organization_key.public_key):
        return False
    db.session.flush()
    _seal_for(organization_id, user, private)
    record("help_access_granted", actor=user, target_type="user", target_id=user.id,
           changes={"organization_id": organization_id, "through": "invitation"})
    return True


def _invitation_key(token: str) -> bytes:
    # The token has 256 random bits: a keyed hash is enough (a slow KDF adds nothing against 2^256).
    return blake2b(token.encode("ascii"), digest_size=crypto.SecretBox.KEY_SIZE, person=b"outreach-invite",
                   encoder=RawEncoder)
