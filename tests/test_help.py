"""Anonymous help requests, the resident's side: the promise (nothing identifying kept, content
readable only by the receiving organization), the receipt, follow-up, rate limits and retention."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import User
from outreach.extensions import db
from outreach.help import crypto, keys
from outreach.help.models import HelpReply, HelpRequest, HelpRequestKey
from tests.help_fixtures import RECEIPT, help_app, submit, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import PASSWORD, clock, staff_config  # noqa: F401

pytestmark = pytest.mark.db

CANARY_ADDRESS = "203.0.113.77"
CANARY_AGENT = "CanaryAgent/9.9 (zqxcanaryagent)"
CANARY_MESSAGE = "zqxcanarymessage please call my aunt about detox"
CANARY_PHONE = "503 555 0199"


# -- crypto -------------------------------------------------------------------------------------------


def test_padding_hides_the_length_in_buckets():
    short = crypto.seal_document({"message": "a"}, crypto.new_key_pair()[1])
    longer = crypto.seal_document({"message": "a" * 900}, crypto.new_key_pair()[1])
    assert len(short) == len(longer)
    assert len(crypto.pad(b"x" * 5000)) == 16384


def test_sealed_documents_open_only_with_their_key():
    private, public = crypto.new_key_pair()
    other, _ = crypto.new_key_pair()
    sealed = crypto.seal_document({"message": "héllo"}, public)
    assert crypto.open_document(sealed, private) == {"message": "héllo"}
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_document(sealed, other)


def test_receipts_are_long_grouped_and_forgiving():
    receipt = crypto.new_receipt()
    assert len(receipt) * 5 >= 128 and set(receipt) <= set(crypto.ALPHABET)
    grouped = crypto.group(receipt)
    assert grouped.count("-") == 6
    assert crypto.receipt_lookup(grouped.lower().replace("-", " ")) == crypto.receipt_lookup(receipt)
    lookup = crypto.receipt_lookup(receipt)
    assert crypto.contains_receipt_of(f"my code is {grouped.lower()} ok", lookup)
    assert not crypto.contains_receipt_of("nothing here " * 20, lookup)


def test_password_wrap_needs_the_password():
    cost = crypto.KdfCost(1, 1024)
    salt = crypto.new_salt()
    wrapped = crypto.wrap_with_password(b"k" * 32, "right password", salt, cost)
    assert crypto.unwrap_with_password(wrapped, "right password", salt, cost) == b"k" * 32
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unwrap_with_password(wrapped, "wrong password", salt, cost)


# -- the promise: the canary ---------------------------------------------------------------------------


def dump_database(app) -> str:
    """Every row of every table, as text (bytes as hex and as latin-1 text)."""
    parts = []
    with app.app_context(), db.engine.connect() as connection:
        for name, table in sorted(db.metadata.tables.items()):
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        value = bytes(value)
                        parts.append(value.hex())
                        parts.append(value.decode("latin-1"))
                    else:
                        parts.append(repr(value))
    return "\n".join(parts)


def instance_bytes(app) -> bytes:
    """Every file in the instance folder (database, journal, index, temp files)."""
    return b"".join(path.read_bytes() for path in sorted(Path(app.instance_path).rglob("*")) if path.is_file())


def test_canary_leaves_no_address_agent_or_plain_message(help_app, world, caplog):
    caplog.set_level(logging.DEBUG)
    client = help_app.test_client()
    client.environ_base.update({"REMOTE_ADDR": CANARY_ADDRESS, "HTTP_USER_AGENT": CANARY_AGENT})
    assert client.get("/en/help/ask").status_code == 200
    receipt = submit(client, message=CANARY_MESSAGE, contact_method="phone", phone=CANARY_PHONE)
    assert client.post("/en/help/check", data={"receipt": "WRONG-WRONG"}).status_code == 200
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    dump = dump_database(help_app)
    files = instance_bytes(help_app)
    for secret in (CANARY_ADDRESS, "zqxcanaryagent", "CanaryAgent"):
        assert secret not in logs
        assert secret not in dump
        assert secret.encode() not in files
    for plain in ("zqxcanarymessage", CANARY_PHONE, receipt, crypto.normalize_code(receipt)):
        assert plain not in dump and plain not in logs
        assert plain.encode() not in files
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.organization_id == world.org_a
        # Dates only: no time of day anywhere on the request or its keys.
        assert type(request.created_on).__name__ == "date"
        wrap = next(k for k in request.keys if k.kind == "organization")
        org_a_key = keys.organization_private_key(db.session.get(User, world.member_a.id), world.org_a, PASSWORD)
        document = crypto.open_document(request.content, crypto.unseal(wrap.wrapped, org_a_key))
        assert document["message"] == CANARY_MESSAGE and document["contact"] == CANARY_PHONE
        org_b_key = keys.organization_private_key(db.session.get(User, world.member_b.id), world.org_b, PASSWORD)
        with pytest.raises(crypto.DecryptionFailed):
            crypto.unseal(wrap.wrapped, org_b_key)
        with pytest.raises(crypto.DecryptionFailed):
            crypto.open_document(request.content, org_a_key)  # the content is sealed to the request key


def test_receipt_never_in_url_cookie_or_title(help_app, world):
    client = help_app.test_client()
    client.get("/en/help/ask")
    response = client.post("/en/help/ask", data={"language": "en", "contact_method": "receipt", "message": "hi"})
    body = response.get_data(as_text=True)
    receipt = RECEIPT.search(body).group(1)
    title = body.split("<title>", 1)[1].split("</title>", 1)[0]
    assert receipt not in title and crypto.normalize_code(receipt) not in title
    assert receipt not in " ".join(response.headers.getlist("Set-Cookie"))
    assert response.headers.get("Location") is None
    assert receipt not in (response.request.url if hasattr(response, "request") else "")
    assert response.headers["Cache-Control"] == "no-store"


def test_every_help_page_is_no_store_and_shows_quick_exit_and_crisis(help_app, world):
    client = help_app.test_client()
    for locale in ("en", "es", "ar"):
        for path in ("", "ask", "check"):
            response = client.get(f"/{locale}/help/{path}")
            body = response.get_data(as_text=True)
            assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
            assert "data-quick-exit" in body and 'href="tel:988"' in body


def test_help_landing_sets_no_cookie_but_the_form_needs_csrf(make_app, clock):
    from tests.help_fixtures import build_world
    from tests.staff_fixtures import CHEAP_HASHING, csrf_token

    app = make_app(**CHEAP_HASHING)  # CSRF on, as in production
    build_world(app)
    client = app.test_client()
    assert client.get("/en/help/").headers.getlist("Set-Cookie") == []
    assert client.get("/en/").headers.getlist("Set-Cookie") == []
    response = client.get("/en/help/ask")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Strict" in c for c in cookies)
    data = {"language": "en", "contact_method": "receipt", "message": "hello"}
    assert client.post("/en/help/ask", data=data).status_code == 400
    data["csrf_token"] = csrf_token(response.get_data(as_text=True))
    assert RECEIPT.search(client.post("/en/help/ask", data=data).get_data(as_text=True))


def test_honeypot_stores_nothing(help_app, world):
    client = help_app.test_client()
    response = client.post("/en/help/ask", data={"language": "en", "contact_method": "receipt", "message": "spam",
                                                 "website": "http://spam.example"})
    assert response.status_code == 200 and RECEIPT.search(response.get_data(as_text=True))
    with help_app.app_context():
        assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


def test_form_errors_are_reported_gov_uk_style(help_app, world):
    client = help_app.test_client()
    response = client.post("/en/help/ask", data={"language": "en", "contact_method": "phone", "message": "x" * 5001})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error:" in body and 'href="#phone"' in body
    assert 'href="#message"' in body
    with help_app.app_context():
        assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


# -- routing ------------------------------------------------------------------------------------------


def test_routing_by_category_area_language_with_coordinator_fallback(help_app, world):
    client = help_app.test_client()
    submit(client, categories=["treatment"], area="Salem")
    submit(client, categories=["harm-reduction"], area="97205")
    submit(client, categories=["harm-reduction"], area=" Portland ")
    submit(client, categories=["treatment"], area="")
    with help_app.app_context():
        owners = [r.organization_id for r in db.session.scalars(select(HelpRequest).order_by(HelpRequest.id))]
        by_area = {r.area: r.organization_id for r in db.session.scalars(select(HelpRequest))}
    assert by_area["salem"] == world.org_b and by_area["97205"] == world.org_a and by_area["portland"] == world.org_a
    assert len(owners) == 4


# -- follow-up ----------------------------------------------------------------------------------------


def test_check_answer_and_delete_with_the_receipt(help_app, world, clock):
    client = help_app.test_client()
    receipt = submit(client, message="first message")
    page = client.post("/en/help/check", data={"receipt": receipt.lower().replace("-", " ")}).get_data(as_text=True)
    assert "first message" in page and "New" in page
    refused = client.post("/en/help/check/answer", data={"text": f"is it {receipt}?"})
    assert refused.status_code == 400 and "contains your receipt" in refused.get_data(as_text=True)
    assert client.post("/en/help/check/answer", data={"text": "I am free on Tuesdays"}).status_code == 200
    page = client.post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    assert "I am free on Tuesdays" in page
    clock.advance(minutes=31)  # the follow-up session ends after 30 idle minutes
    assert client.post("/en/help/check/answer", data={"text": "late"}).status_code == 400
    client.post("/en/help/check", data={"receipt": receipt})
    assert client.post("/en/help/check/delete", data={}).status_code == 200
    with help_app.app_context():
        assert db.session.scalar(select(func.count(HelpRequest.id))) == 0
        assert db.session.scalar(select(func.count(HelpRequestKey.id))) == 0
        assert db.session.scalar(select(func.count(HelpReply.id))) == 0
    gone = client.post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    unknown = client.post("/en/help/check", data={"receipt": crypto.group(crypto.new_receipt())}).get_data(as_text=True)
    assert "could not find a request" in gone and "could not find a request" in unknown


def test_leave_clears_the_session(help_app, world):
    client = help_app.test_client()
    receipt = submit(client)
    client.post("/en/help/check", data={"receipt": receipt})
    response = client.post("/en/help/leave")
    assert response.status_code == 302 and "cookies" in response.headers["Clear-Site-Data"]
    assert client.post("/en/help/check/answer", data={"text": "after leaving"}).status_code == 400


def test_wrong_receipts_are_rate_limited_right_ones_are_not(make_app, clock):
    from tests.help_fixtures import build_world

    app = make_app(**staff_config(HELP_RECEIPT_LIMIT="3 per hour", RATELIMIT_KEY_PREFIX="t-receipts"))
    build_world(app)
    client = app.test_client()
    receipt = submit(client)
    for _ in range(5):
        assert client.post("/en/help/check", data={"receipt": receipt}).status_code == 200
    for _ in range(3):
        assert client.post("/en/help/check", data={"receipt": crypto.new_receipt()}).status_code == 200
    assert client.post("/en/help/check", data={"receipt": receipt}).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert other.post("/en/help/check", data={"receipt": receipt}).status_code == 200


def test_submissions_are_rate_limited(make_app, clock):
    from tests.help_fixtures import build_world

    app = make_app(**staff_config(HELP_SUBMIT_LIMIT="2 per hour", RATELIMIT_KEY_PREFIX="t-submit"))
    build_world(app)
    client = app.test_client()
    submit(client)
    submit(client)
    response = client.post("/en/help/ask", data={"language": "en", "contact_method": "receipt"})
    assert response.status_code == 429 and 'href="tel:988"' in response.get_data(as_text=True)


def test_redis_down_fails_the_form_closed_but_browsing_works(make_app, clock):
    app = make_app(**staff_config(REDIS_URL="redis://127.0.0.1:1/0"))
    client = app.test_client()
    for path in ("/en/help/ask", "/es/help/ask", "/ar/help/check"):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 503 and 'href="tel:988"' in body
    response = client.post("/en/help/ask", data={"language": "en", "contact_method": "receipt"})
    assert response.status_code == 503
    assert "cannot take help requests" in response.get_data(as_text=True)
    assert client.get("/en/").status_code == 200
    assert client.get("/en/search", query_string={"q": "naloxone"}).status_code == 200
    assert client.get("/en/help/").status_code == 200


def test_rate_limit_keys_rotate_daily_and_hide_the_address(help_app, clock):
    from outreach import ratelimit

    with help_app.test_request_context("/", environ_base={"REMOTE_ADDR": CANARY_ADDRESS}):
        today = ratelimit.client_key()
        clock.advance(days=1)
        tomorrow = ratelimit.client_key()
    assert today != tomorrow and CANARY_ADDRESS not in today and len(today) == 32


# -- retention ----------------------------------------------------------------------------------------


def test_purge_after_expiry_leaves_a_pre_purge_copy_unreadable(help_app, world, clock, tmp_path):
    client = help_app.test_client()
    submit(client, message="expiring message")
    kept_receipt = submit(client, message="kept message")
    clock.advance(days=80)
    client.post("/en/help/check", data={"receipt": kept_receipt})
    assert client.post("/en/help/check/answer", data={"text": "still here"}).status_code == 200  # activity
    with help_app.app_context():  # the copy a thief took before the purge: every request and every wrap
        old_rows = [tuple(row) for row in db.session.execute(select(HelpRequest.id, HelpRequest.content))]
        old_wraps = [bytes(wrapped) for wrapped in db.session.scalars(select(HelpRequestKey.wrapped))]
        is_sqlite = db.engine.dialect.name == "sqlite"
        db.session.remove()
    clock.advance(days=11)  # 91 days after the first request, 11 after the last activity on the second
    runner = help_app.test_cli_runner()
    first = runner.invoke(args=["outreach", "help", "purge"])
    second = runner.invoke(args=["outreach", "help", "purge"])
    assert "Deleted 1 " in first.output and "Deleted 0 " in second.output
    assert len(old_rows) == 2
    with help_app.app_context():
        live_ids = set(db.session.scalars(select(HelpRequest.id)))
        purged = [(rid, content) for rid, content in old_rows if rid not in live_ids]
        assert len(purged) == 1
        # Every key still stored, opened the way its owners would open it.
        organization_keys = [
            keys.organization_private_key(db.session.get(User, world.member_a.id), world.org_a, PASSWORD),
            keys.organization_private_key(db.session.get(User, world.member_b.id), world.org_b, PASSWORD),
            keys.organization_key_from_recovery(world.org_a, world.recovery_a),
        ]
        candidates = list(organization_keys)
        for wrap in db.session.scalars(select(HelpRequestKey).where(HelpRequestKey.kind == "organization")):
            for organization_key in organization_keys:
                try:
                    candidates.append(crypto.unseal(wrap.wrapped, organization_key))
                except crypto.DecryptionFailed:
                    pass
        assert len(candidates) > len(organization_keys)  # the kept request's key was among them
        for _rid, content in purged:
            for key in candidates:
                with pytest.raises(crypto.DecryptionFailed):
                    crypto.open_document(content, key)
    if is_sqlite:  # SQLite's secure_delete: the purged wraps are overwritten in the file, not just unlinked
        with help_app.app_context():
            db.engine.dispose()
        live_file = (Path(help_app.instance_path) / "outreach.sqlite3").read_bytes()
        purged_wraps = [w for w in old_wraps if w not in live_file]
        assert len(purged_wraps) == 2
        assert b"expiring message" not in live_file


def test_retention_setting_is_bounded():
    from outreach.config import load_settings

    with pytest.raises(ValueError):
        load_settings({"HELP_RETENTION_DAYS": 10}, environ={})
    assert load_settings({"HELP_RETENTION_DAYS": 30}, environ={}).HELP_RETENTION_DAYS == 30
