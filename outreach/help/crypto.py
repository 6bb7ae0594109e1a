"""Encryption for anonymous help requests: who can read what, and why nobody else can.

Keys (all X25519 / XSalsa20-Poly1305 from libsodium through PyNaCl):

* **Member key** — every organization member has a personal key pair. Its private half is stored
  only wrapped (``SecretBox``) under a key derived with argon2id from the member's password and a
  per-wrap salt. It is created from the password when a member sets it, signs in or changes it.
* **Organization key** — one X25519 key pair per organization. Its private half is never stored in
  the clear: it is sealed (``SealedBox``) to each member's public key, and wrapped once more under a
  key derived from a **recovery key** (160 random bits, shown once to the member who set the
  organization up). So the organization key is reachable only through a member's password or the
  recovery key. A new member is given access by an existing member, who unlocks with their own
  password; a password change only re-wraps the member key. Stewards and outreach publishers never
  get a member key or a seal: there is no escrow.
* **Request key** — a fresh key pair per help request. The content (needs, message, contact) is
  padded to a size bucket and sealed to the request's public key. The request's private key is
  sealed to the receiving organization's public key and, separately, wrapped under a key derived
  from the resident's **receipt** (140 random bits). Replies, both ways, are sealed to the request's
  public key too, so writing one needs no secret at all, and reading one needs the request key.
* **Erasure secret** — each of those wraps (and every re-seal made when the request is forwarded) is
  encrypted once more (``SecretBox``) under a random per-request secret kept OUTSIDE the main
  database, in the help key store (``keystore.py``). Deleting a request destroys that secret first,
  then the rows: a copy of the main database taken before (a backup) holds only wraps that no key
  still stored anywhere can open — member passwords, the recovery key and the receipt included.
  A copy of the main database alone, without the key store, opens nothing either.

Where the unlocked organization key lives: nowhere but in memory. A member types their password on
the page that shows a request; the view derives the member key, opens the organization key and the
request key, renders the page and lets all of them go. Nothing secret is written to the server-side
session, Redis or the database (a stolen session store gives nothing).

The receipt has 140 bits of entropy, so the key derived from it is a keyed BLAKE2b (a slow KDF adds
nothing against a search of 2^140); the lookup hash that finds the request uses a different
personalization, so it reveals nothing about the wrapping key.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from nacl import exceptions as nacl_exceptions
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

# Crockford's base32: no I, L, O or U, so a receipt read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_CHARS = 28  # 28 × 5 = 140 random bits
RECOVERY_CHARS = 32  # 160 random bits
GROUP = 4
SALT_BYTES = 16
# Content is padded to the smallest of these sizes it fits (then to a multiple of the largest), so
# the stored length tells little about what was written.
BUCKETS = (1024, 4096, 16384, 32768)


class DecryptionFailed(Exception):
    """Wrong key, wrong password or tampered data: never said which."""


# -- codes the resident and the organization write down -----------------------------------------------


def new_code(chars: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(chars))


def group(code: str) -> str:
    """``K7QF2M9T…`` → ``K7QF-2M9T-…`` for reading and copying."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalize_code(text: str) -> str:
    """What a person typed back: any case, spaces and dashes, O for 0 and I/L for 1."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def new_receipt() -> str:
    return new_code(RECEIPT_CHARS)


def new_recovery_key() -> str:
    return new_code(RECOVERY_CHARS)


def contains_code(text: str, code: str) -> bool:
    """True when ``text`` contains ``code``, however it was grouped, spaced or cased."""
    return normalize_code(code) in normalize_code(text)


def contains_receipt_of(text: str, lookup: str) -> bool:
    """True when ``text`` contains the receipt whose lookup hash is ``lookup``, however it was typed.

    The server never keeps the receipt, so every receipt-long run of characters is hashed and
    compared (at most a few thousand BLAKE2b hashes for the longest message)."""
    normalized = normalize_code(text)
    return any(receipt_lookup(normalized[i:i + RECEIPT_CHARS]) == lookup
               for i in range(len(normalized) - RECEIPT_CHARS + 1))


def receipt_lookup(receipt: str) -> str:
    """The stored, one-way handle that finds a request from its receipt."""
    return blake2b(normalize_code(receipt).encode("ascii"), digest_size=32, person=b"outreach-lookup",
                   encoder=RawEncoder).hex()


def _receipt_key(receipt: str, salt: bytes) -> bytes:
    return blake2b(normalize_code(receipt).encode("ascii"), digest_size=SecretBox.KEY_SIZE, salt=salt,
                   person=b"outreach-wrap", encoder=RawEncoder)


# -- password-derived wrapping ------------------------------------------------------------------------


@dataclass(frozen=True)
class KdfCost:
    """argon2id cost, stored beside every wrap so changing the configuration never locks anyone out."""

    time_cost: int
    memory_kib: int


def password_key(password: str, salt: bytes, cost: KdfCost) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=cost.time_cost, memory_cost=cost.memory_kib,
                           parallelism=1, hash_len=SecretBox.KEY_SIZE, type=Type.ID)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def wrap(secret: bytes, key: bytes) -> bytes:
    return bytes(SecretBox(key).encrypt(secret))


def unwrap(wrapped: bytes, key: bytes) -> bytes:
    try:
        return SecretBox(key).decrypt(bytes(wrapped))
    except (nacl_exceptions.CryptoError, ValueError, TypeError) as error:
        raise DecryptionFailed() from error


def wrap_with_password(secret: bytes, password: str, salt: bytes, cost: KdfCost) -> bytes:
    return wrap(secret, password_key(password, salt, cost))


def unwrap_with_password(wrapped: bytes, password: str, salt: bytes, cost: KdfCost) -> bytes:
    return unwrap(wrapped, password_key(password, salt, cost))


def wrap_with_receipt(secret: bytes, receipt: str, salt: bytes) -> bytes:
    return wrap(secret, _receipt_key(receipt, salt))


def unwrap_with_receipt(wrapped: bytes, receipt: str, salt: bytes) -> bytes:
    return unwrap(wrapped, _receipt_key(receipt, salt))


def erasable(wrapped_key: bytes, erasure_secret: bytes) -> bytes:
    """A request key's wrap (sealed or receipt-wrapped), encrypted once more under its erasure secret."""
    return wrap(wrapped_key, erasure_secret)


def unerase(stored: bytes, erasure_secret: bytes) -> bytes:
    return unwrap(stored, erasure_secret)


def recovery_salted_key(recovery_key: str, salt: bytes, cost: KdfCost) -> bytes:
    return password_key(normalize_code(recovery_key), salt, cost)


# -- key pairs and sealed boxes -----------------------------------------------------------------------


def new_key_pair() -> tuple[bytes, bytes]:
    """(private, public), 32 bytes each."""
    private = PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def public_of(private: bytes) -> bytes:
    return bytes(PrivateKey(bytes(private)).public_key)


def seal(data: bytes, public_key: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(data))


def unseal(sealed: bytes, private_key: bytes) -> bytes:
    try:
        return SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(sealed))
    except (nacl_exceptions.CryptoError, ValueError, TypeError) as error:
        raise DecryptionFailed() from error


# -- padded documents ---------------------------------------------------------------------------------


def pad(data: bytes) -> bytes:
    """Length prefix, data, zeros up to the bucket size."""
    body = len(data).to_bytes(4, "big") + data
    for size in BUCKETS:
        if len(body) <= size:
            return body + bytes(size - len(body))
    largest = BUCKETS[-1]
    return body + bytes(-len(body) % largest)


def unpad(padded: bytes) -> bytes:
    length = int.from_bytes(padded[:4], "big")
    if length > len(padded) - 4:
        raise DecryptionFailed()
    return padded[4:4 + length]


def seal_document(document: dict[str, Any], public_key: bytes) -> bytes:
    """A JSON document, padded to a bucket, sealed to ``public_key``."""
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return seal(pad(data), public_key)


def open_document(sealed: bytes, private_key: bytes) -> dict[str, Any]:
    return json.loads(unpad(unseal(sealed, private_key)).decode("utf-8"))
