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
)
from .words import designation

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
    return request is not None and request.expires_on > today()


# -- the resident -------------------------------------------------------------------------------------


def submit(submission: Submission) -> tuple[HelpRequest, str]:
    """Route, encrypt and store a request; returns it and the receipt (shown once, never stored)."""
    area = routing.normalize_area(submission.area)
    rule = routing.choose(submission.categories, area, submission.language)
    if rule is None:
        raise NoReceiver()
    organization_public = keys.public_key_of(rule.organization_id)
    receipt = crypto.new_receipt()
    while crypto.contains_code(submission.message + submission.contact, receipt):  # astronomically rare
        receipt = crypto.new_receipt()
    private, public = crypto.new_key_pair()
    document = {"categories": submission.categories, "area": area, "language": submission.language,
                "message": submission.message, "contact_method": submission.contact_method,
                "contact": submission.contact}
    request = HelpRequest(
        organization_id=rule.organization_id, designation=designation(), categories=list(submission.categories),
        language=submission.language, area=area or None, status="new", created_on=today(),
        receipt_lookup=crypto.receipt_lookup(receipt), public_key=public,
        content=crypto.seal_document(document, public))
    _touch(request)
    salt = crypto.new_salt()
    request.keys.append(HelpRequestKey(kind=KEY_FOR_ORGANIZATION, organization_id=rule.organization_id,
                                       wrapped=crypto.seal(private, organization_public)))
    request.keys.append(HelpRequestKey(kind=KEY_FOR_RECEIPT, salt=salt,
                                       wrapped=crypto.wrap_with_receipt(private, receipt, salt)))
    db.session.add(request)
    count_help_request(submission.categories, area)  # anonymous weekly demand, same transaction
    db.session.flush()
    _test_pause_before_commit()
    db.session.commit()
    notify.request_waiting(rule.organization_id)
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
    if wrap is None:
        raise NotFound("receipt")
    try:
        return request, crypto.unwrap_with_receipt(wrap.wrapped, normalized, wrap.salt)
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
    """Keys first (in their own statement), then replies, then the requests: one transaction."""
    if not request_ids:
        return 0
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
    found = db.session.scalars(_visible(user).order_by(HelpRequest.created_on.desc(), HelpRequest.id))
    return list(dict.fromkeys(found))


def request_for(user: User, request_id: str) -> HelpRequest:
    """Another organization's request is NotFound: its existence is not confirmed. Reads only."""
    request = db.session.scalar(_visible(user).where(HelpRequest.id == request_id).limit(1))
    if request is None:
        raise NotFound(request_id)
    return request


def _organization_wrap(user: User, request: HelpRequest) -> HelpRequestKey:
    for wrap in request.keys:
        if wrap.kind == KEY_FOR_ORGANIZATION and wrap.organization_id in user.organization_ids:
            return wrap
    raise NotFound(request.id)


def _request_private(user: User, request: HelpRequest, password: str) -> bytes:
    wrap = _organization_wrap(user, request)
    organization_private = keys.organization_private_key(user, wrap.organization_id, password)
    return crypto.unseal(wrap.wrapped, organization_private)


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
        request.keys.append(HelpRequestKey(kind=KEY_FOR_ORGANIZATION, organization_id=organization_id,
                                           wrapped=crypto.seal(private, target_public)))
    if not keep_access:
        request.keys.remove(own)
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
    """Delete every request due on ``on`` (keys first). Safe to run twice, or after a crash: one
    transaction, and what is left is simply due again next time."""
    on = on or today()
    due = list(db.session.scalars(select(HelpRequest.id).where(HelpRequest.expires_on <= on)))
    count = _delete(due)
    db.session.commit()
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

