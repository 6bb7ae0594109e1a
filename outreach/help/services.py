"""Help-request use cases for residents, organizations and the purge. Each commits once; e-mail goes
out only after the commit (``notify``).

Residents are known only by their receipt; organizations only through their members' passwords. The
staff functions take the signed-in user and treat a request of another organization as NotFound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..accounts import clock
from ..accounts.models import User
from ..audit.services import record
from ..domain import NotAllowed, NotFound
from ..extensions import db
from ..insights.services import count_help_request
from . import crypto, keys, notify, routing
from .keystore import keystore
from .models import (
    FROM_ORGANIZATION,
    FROM_RESIDENT,
    KEY_FOR_ORGANIZATION,
    KEY_FOR_RECEIPT,
    STATUSES,
    HelpReply,
    HelpRequest,
    HelpRequestKey,
    HelpSettings,
    new_request_id,
)
from .words import unique_designation

MESSAGE_LIMIT = 5000
CONTACT_METHODS = ("receipt", "phone", "email")


class NoReceiver(Exception):
    """No organization can receive requests right now."""


class ReceiptInMessage(Exception):
    """The text contains the receipt: refused, so it never sits next to what it protects."""


@dataclass(frozen=True)
class Submission:
    categories: list[str]
    area: str
    language: str
    message: str
    contact_method: str = "receipt"
    contact: str = ""


@dataclass
class Message:
    author: str
    day: date
    text: str


@dataclass
class OpenedRequest:
    """A request decrypted for the length of one page."""

    request: HelpRequest
    message: str
    contact_method: str
    contact: str
    thread: list[Message] = field(default_factory=list)


def today() -> date:
    return clock.now().date()


RETENTION_RANGE = (30, 180)


def retention_days() -> int:
    """Days a request is kept after its last activity: the steward's choice, else the configured default."""
    settings = db.session.get(HelpSettings, 1)
    return settings.retention_days if settings else current_app.config["HELP_RETENTION_DAYS"]


def set_retention_days(actor: User, days: int) -> None:
    """The steward's choice (30–180). It applies from each request's next activity; nothing is shortened
    behind anyone's back."""
    low, high = RETENTION_RANGE
    if not low <= days <= high:
        raise ValueError(days)
    settings = db.session.get(HelpSettings, 1) or HelpSettings(id=1)
    before = settings.retention_days if settings.retention_days else current_app.config["HELP_RETENTION_DAYS"]
    settings.retention_days = days
    db.session.add(settings)
    record("help.retention_changed", actor=actor, target_type="help_settings", target_id=1,
           changes={"retention_days": {"before": before, "after": days}})
    db.session.commit()


def _retention() -> timedelta:
    return timedelta(days=retention_days())


def _touch(request: HelpRequest) -> None:
    request.last_activity_on = today()
    request.expires_on = today() + _retention()
    request.warned_on = None


def _is_live(request: HelpRequest | None) -> bool:
    """Not expired, and its erasure secret still exists (without it nothing can open it: gone)."""
    return request is not None and request.expires_on > today() and bool(keystore().existing([request.id]))


def _erasure_secret(request: HelpRequest) -> bytes:
    """The request's erasure secret from the key store; a request without one is gone (NotFound)."""
    secret = keystore().get(request.id)
    if secret is None:
        raise NotFound(request.id)
    return secret


def _free_designation(organization_id: str) -> str:
    """A designation no open request of the organization has (they tell requests apart by it)."""
    taken = set(db.session.scalars(select(HelpRequest.designation).where(
        HelpRequest.organization_id == organization_id, HelpRequest.expires_on > today())))
    return unique_designation(taken)


# -- the resident -------------------------------------------------------------------------------------


def submit(submission: Submission) -> tuple[HelpRequest, str]:
    """Route, encrypt and store a request; returns it and the receipt (shown once, never stored)."""
    typed_area = " ".join(submission.area.split())
    area = routing.clear_area(typed_area)  # what may be stored in the clear; the typed text is encrypted
    rule = routing.choose(submission.categories, area, submission.language)
    if rule is None:
        raise NoReceiver()
    organization_public = keys.public_key_of(rule.organization_id)
    receipt = crypto.new_receipt()
    while crypto.contains_code(submission.message + submission.contact, receipt):  # astronomically rare
        receipt = crypto.new_receipt()
    private, public = crypto.new_key_pair()
    document = {"categories": submission.categories, "area": typed_area, "language": submission.language,
                "message": submission.message, "contact_method": submission.contact_method,
                "contact": submission.contact}
    request_id = new_request_id()
    request = HelpRequest(
        id=request_id, organization_id=rule.organization_id, designation=_free_designation(rule.organization_id),
        categories=list(submission.categories),
        language=submission.language, area=area or None, status="new", created_on=today(),
        receipt_lookup=crypto.receipt_lookup(receipt), public_key=public,
        content=crypto.seal_document(document, public))
    _touch(request)
    salt = crypto.new_salt()
    organization_id = rule.organization_id
    # The erasure secret is committed to the key store first: a crash before the request's commit
    # leaves a secret for nothing (the purge removes it), never a request without its secret.
    erasure = keystore().create(request_id, today())
    request.keys.append(HelpRequestKey(kind=KEY_FOR_ORGANIZATION, organization_id=organization_id,
                                       wrapped=crypto.erasable(crypto.seal(private, organization_public), erasure)))
    request.keys.append(HelpRequestKey(kind=KEY_FOR_RECEIPT, salt=salt, wrapped=crypto.erasable(
        crypto.wrap_with_receipt(private, receipt, salt), erasure)))
    try:
        db.session.add(request)
        count_help_request(submission.categories, typed_area)  # anonymous weekly demand (known towns only)
        db.session.flush()
        _test_pause_before_commit()
        db.session.commit()
    except Exception:
        db.session.rollback()
        keystore().destroy([request_id])
        raise
    notify.request_waiting(organization_id)
    return request, crypto.group(receipt)


def _test_pause_before_commit() -> None:
    """A test hook, off by default and ignored unless the app is TESTING: with
    ``HELP_TEST_PAUSE_BEFORE_COMMIT`` set to a file path, a submission whose rows are flushed but not
    committed creates that file and waits, so tests/test_help_faults.py can kill the server right there."""
    marker = current_app.config.get("HELP_TEST_PAUSE_BEFORE_COMMIT")
    if not marker or not current_app.testing:
        return
    import time
    from pathlib import Path

    Path(marker).touch()
    time.sleep(float(current_app.config.get("HELP_TEST_PAUSE_SECONDS", 30)))


def _by_receipt(receipt: str) -> tuple[HelpRequest, bytes]:
    """The live request and its private key; unknown, expired and wrong all raise NotFound alike."""
    normalized = crypto.normalize_code(receipt)
    if len(normalized) != crypto.RECEIPT_CHARS:
        raise NotFound("receipt")
    request = db.session.scalar(select(HelpRequest).where(HelpRequest.receipt_lookup == crypto.receipt_lookup(normalized)))
    if not _is_live(request):
        raise NotFound("receipt")
    wrap = next((k for k in request.keys if k.kind == KEY_FOR_RECEIPT), None)
    erasure = keystore().get(request.id)
    if wrap is None or erasure is None:
        raise NotFound("receipt")
    try:
        return request, crypto.unwrap_with_receipt(crypto.unerase(wrap.wrapped, erasure), normalized, wrap.salt)
    except crypto.DecryptionFailed:
        raise NotFound("receipt") from None


def _open(request: HelpRequest, private: bytes) -> OpenedRequest:
    document = crypto.open_document(request.content, private)
    thread = [Message(reply.author, reply.created_on, crypto.open_document(reply.content, private)["text"])
              for reply in request.replies]
    return OpenedRequest(request, document.get("message", ""), document.get("contact_method", "receipt"),
                         document.get("contact", ""), thread)


def check(receipt: str) -> OpenedRequest:
    """"Check on my request": the status and the whole thread, for the holder of the receipt."""
    request, private = _by_receipt(receipt)
    return _open(request, private)


def live_request(request_id: str | None) -> HelpRequest:
    request = db.session.get(HelpRequest, request_id) if request_id else None
    if not _is_live(request):
        raise NotFound("request")
    return request


def _add_reply(request: HelpRequest, author: str, text: str) -> None:
    request.replies.append(HelpReply(author=author, created_on=today(),
                                     content=crypto.seal_document({"text": text}, request.public_key)))
    _touch(request)


def answer(request_id: str, text: str) -> HelpRequest:
    """The resident writes back (needs no key: replies are sealed to the request's public key)."""
    request = live_request(request_id)
    if crypto.contains_receipt_of(text, request.receipt_lookup):
        raise ReceiptInMessage()
    if request.status == "closed":
        raise NotAllowed("closed")
    _add_reply(request, FROM_RESIDENT, text)
    organization_id = request.organization_id
    db.session.commit()
    notify.request_waiting(organization_id)
    return request


def _delete(request_ids: list[str]) -> int:
    """The erasure secrets first (committed in the key store: from then on no copy of the main
    database can open these requests), then the wrapped keys, replies and requests in one transaction.
    A crash between the two leaves rows nothing can open, treated as gone and purged next time."""
    if not request_ids:
        return 0
    keystore().destroy(request_ids)
    db.session.execute(delete(HelpRequestKey).where(HelpRequestKey.request_id.in_(request_ids)))
    db.session.flush()
    db.session.execute(delete(HelpReply).where(HelpReply.request_id.in_(request_ids)))
    result = db.session.execute(delete(HelpRequest).where(HelpRequest.id.in_(request_ids)))
    db.session.expire_all()
    return result.rowcount or 0


def delete_by_resident(request_id: str) -> None:
    request = live_request(request_id)
    _delete([request.id])
    db.session.commit()


# -- the organization ---------------------------------------------------------------------------------


def _visible(user: User):
    """Requests some organization of ``user`` holds a key for."""
    return (select(HelpRequest).join(HelpRequestKey)
            .where(HelpRequestKey.kind == KEY_FOR_ORGANIZATION,
                   HelpRequestKey.organization_id.in_(user.organization_ids or {""}),
                   HelpRequest.expires_on > today()))


def inbox(user: User) -> list[HelpRequest]:
    # De-duplicated here, not with SQL DISTINCT: PostgreSQL cannot compare the JSON columns.
    found = list(dict.fromkeys(db.session.scalars(_visible(user).order_by(HelpRequest.created_on.desc(),
                                                                          HelpRequest.id))))
    readable = keystore().existing(request.id for request in found)  # a request without its secret is gone
    return [request for request in found if request.id in readable]


def request_for(user: User, request_id: str) -> HelpRequest:
    """Another organization's request is NotFound: its existence is not confirmed. Reads only."""
    request = db.session.scalar(_visible(user).where(HelpRequest.id == request_id).limit(1))
    if request is None or not keystore().existing([request.id]):
        raise NotFound(request_id)
    return request


def _organization_wrap(user: User, request: HelpRequest) -> HelpRequestKey:
    for wrap in request.keys:
        if wrap.kind == KEY_FOR_ORGANIZATION and wrap.organization_id in user.organization_ids:
            return wrap
    raise NotFound(request.id)


def _request_private(user: User, request: HelpRequest, password: str) -> bytes:
    wrap = _organization_wrap(user, request)
    erasure = _erasure_secret(request)
    organization_private = keys.organization_private_key(user, wrap.organization_id, password)
    return crypto.unseal(crypto.unerase(wrap.wrapped, erasure), organization_private)


def read(user: User, request_id: str, password: str) -> OpenedRequest:
    """Decrypt for this page only; opening is audited (never the content); "new" becomes "seen"."""
    request = request_for(user, request_id)
    opened = _open(request, _request_private(user, request, password))
    if request.status == "new":
        request.status = "seen"
    record("help_request_opened", actor=user, target_type="help_request", target_id=request.id)
    db.session.commit()
    return opened


def reply(user: User, request_id: str, text: str) -> None:
    request = request_for(user, request_id)
    _add_reply(request, FROM_ORGANIZATION, text)
    if request.status in ("new", "seen"):
        request.status = "contacted"
    record("help_reply_sent", actor=user, target_type="help_request", target_id=request.id)
    db.session.commit()


def set_status(user: User, request_id: str, status: str) -> None:
    if status not in STATUSES:
        raise NotAllowed(status)
    request = request_for(user, request_id)
    before = request.status
    request.status = status
    _touch(request)
    record("help_status_changed", actor=user, target_type="help_request", target_id=request.id,
           changes={"status": {"before": before, "after": status}})
    db.session.commit()


def forward(user: User, request_id: str, password: str, organization_id: str, *, keep_access: bool = False) -> None:
    """Seal the request key for another organization, which becomes responsible for it; this
    organization's seal is deleted unless ``keep_access``."""
    request = request_for(user, request_id)
    target_public = keys.public_key_of(organization_id)
    if target_public is None or organization_id == request.organization_id:
        raise NotAllowed("cannot_receive")
    private = _request_private(user, request, password)
    own = _organization_wrap(user, request)
    if not any(k.kind == KEY_FOR_ORGANIZATION and k.organization_id == organization_id for k in request.keys):
        sealed = crypto.seal(private, target_public)
        request.keys.append(HelpRequestKey(kind=KEY_FOR_ORGANIZATION, organization_id=organization_id,
                                           wrapped=crypto.erasable(sealed, _erasure_secret(request))))
    if not keep_access:
        request.keys.remove(own)
    taken = set(db.session.scalars(select(HelpRequest.designation).where(
        HelpRequest.organization_id == organization_id, HelpRequest.expires_on > today(),
        HelpRequest.id != request.id)))
    if request.designation in taken:  # unique within the receiving organization's open requests too
        request.designation = unique_designation(taken)
    request.organization_id = organization_id
    request.status = "new"
    _touch(request)
    record("help_request_forwarded", actor=user, target_type="help_request", target_id=request.id,
           changes={"organization_id": organization_id, "kept_access": keep_access})
    db.session.commit()
    notify.request_waiting(organization_id)


def delete_by_organization(user: User, request_id: str) -> None:
    request = request_for(user, request_id)
    _delete([request.id])
    record("help_request_deleted", actor=user, target_type="help_request", target_id=request_id)
    db.session.commit()


def days_left(request: HelpRequest) -> int:
    return max(0, (request.expires_on - today()).days)


# -- retention ----------------------------------------------------------------------------------------


def purge(on: date | None = None) -> int:
    """Delete every request due on ``on``: erasure secrets first, then the rows. Also removes what a
    crash between the two databases can leave: requests whose secret is gone (unreadable: deleted
    now) and secrets at least two days old whose request was never committed. Safe to run twice, or
    after a crash: each step only deletes, and what is left is simply found again next time. Returns
    the number of expired requests deleted."""
    on = on or today()
    store = keystore()
    due = list(db.session.scalars(select(HelpRequest.id).where(HelpRequest.expires_on <= on)))
    count = _delete(due)
    db.session.commit()
    # Rows without a secret (a deletion that crashed half-way). The main database is read first: any
    # request committed by then had its secret committed before it, so a missing secret means destroyed.
    stored = list(db.session.scalars(select(HelpRequest.id)))
    with_secret = store.existing(stored)
    if stored and not with_secret:
        # Not one secret for any request: far likelier a key store that is not this site's (a wrong
        # OUTREACH_HELP_KEYSTORE_URL, a machine with its own file) than a crash. Delete nothing.
        current_app.logger.warning("Help purge: the key store holds no secret for any of %d stored requests; "
                                   "check OUTREACH_HELP_KEYSTORE_URL. Requests without a secret were kept.",
                                   len(stored))
    else:
        _delete(sorted(set(stored) - with_secret))
        db.session.commit()
    # Secrets without a request (a submission that crashed before its commit). Only old ones: a
    # submission in flight has committed its secret but not yet its request.
    candidates = store.created_before(on - timedelta(days=1))
    present = set()
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        present.update(db.session.scalars(select(HelpRequest.id).where(HelpRequest.id.in_(batch))))
    store.destroy(sorted(set(candidates) - present))
    store.vacuum()
    return count


def warn_expiring(on: date | None = None) -> int:
    """Tell each organization once that some of its requests expire within HELP_WARN_DAYS."""
    on = on or today()
    horizon = on + timedelta(days=current_app.config["HELP_WARN_DAYS"])
    expiring = list(db.session.scalars(select(HelpRequest).where(
        HelpRequest.expires_on <= horizon, HelpRequest.expires_on > on, HelpRequest.warned_on.is_(None))))
    organizations = sorted({request.organization_id for request in expiring})
    for request in expiring:
        request.warned_on = on
    db.session.commit()
    for organization_id in organizations:
        notify.requests_expiring(organization_id)
    return len(expiring)

