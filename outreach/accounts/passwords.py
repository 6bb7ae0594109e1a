"""Password rules and argon2id hashing.

Rules follow NIST SP 800-63B: 12–128 characters, anything may be pasted, no composition rules, and a
refusal of passwords known from breaches, of the e-mail address and of long repeats.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")

# Problems a password can have; the form maps each to a translated message.
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
TOO_COMMON = "too_common"
LIKE_EMAIL = "like_email"
TOO_REPETITIVE = "too_repetitive"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """The first rule the password breaks, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = password.casefold()
    squashed = "".join(folded.split())
    if folded in common_passwords() or squashed in common_passwords():
        return TOO_COMMON
    local_part = email.casefold().split("@", 1)[0]
    if email and (folded == email.casefold() or (len(local_part) >= 4 and local_part in folded
                                                  and len(folded) - len(local_part) < 8)):
        return LIKE_EMAIL
    if len(set(folded)) < 5:
        return TOO_REPETITIVE
    return None


def hasher() -> PasswordHasher:
    """argon2id with the configured cost (tests use a cheap one; production the defaults)."""
    config = current_app.config
    return _hasher(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one hash, so timing tells nothing."""
    ph = hasher()
    if not stored_hash:
        try:
            ph.verify(_dummy_hash(ph), password + "\x00never")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return ph.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


_dummy_hashes: dict[tuple, str] = {}


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = ph.hash("dummy password for unknown accounts")
    return _dummy_hashes[key]
