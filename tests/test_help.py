"""Anonymous help requests, the resident's side: the promise (nothing identifying kept, content
readable only by the receiving organization), the receipt, follow-up, rate limits and retention."""
from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import User
from outreach.extensions import db
from outreach.help import crypto, keys
from outreach.help.keystore import erasure_secrets
from outreach.help.models import HelpReply, HelpRequest, HelpRequestKey
from tests.conftest import TEST_DATABASE_URL
from tests.help_fixtures import RECEIPT, build_world, help_app, submit, world  # noqa: F401  (fixtures)
from tests.staff_fixtures import BACKENDS, PASSWORD, REDIS_URL, clock, staff_config  # noqa: F401

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


def dump_database(app, *, binary: bool = True) -> str:
    """Every row of every table, as text (bytes as hex and as latin-1 text, unless not ``binary``)."""
    parts = []
    with app.app_context(), db.engine.connect() as connection:
        for name, table in sorted(db.metadata.tables.items()):
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        if not binary:
                            continue
                        value = bytes(value)
                        parts.append(value.hex())
                        parts.append(value.decode("latin-1"))
                    else:
                        parts.append(repr(value))
    return "\n".join(parts)


def instance_bytes(app) -> bytes:
    """Every file in the instance folder (database, key store, journal, index, temp files)."""
    return b"".join(path.read_bytes() for path in sorted(Path(app.instance_path).rglob("*")) if path.is_file())


def temp_files_since(started: float) -> bytes:
    """Every readable file in the system temp folder created or changed since ``started``."""
    parts = []
    for folder, _dirs, names in os.walk(tempfile.gettempdir()):
        for name in names:
            path = os.path.join(folder, name)
            try:
                info = os.stat(path, follow_symlinks=False)
                if not os.path.isfile(path) or max(info.st_mtime, info.st_ctime) < started or info.st_size > 64 << 20:
                    continue
                with open(path, "rb") as handle:
                    parts.append(handle.read())
            except OSError:  # gone already, or not ours to read
                continue
    return b"\n".join(parts)


def redis_dump() -> bytes:
    """Every key and value in the test Redis database, whatever its type."""
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    parts = []
    try:
        for key in store.scan_iter(count=1000):
            kind = store.type(key).decode()
            parts.append(key)
            if kind == "string":
                parts.append(store.get(key) or b"")
            elif kind == "hash":
                parts.extend(b"%s=%s" % pair for pair in store.hgetall(key).items())
            elif kind == "list":
                parts.extend(store.lrange(key, 0, -1))
            elif kind == "set":
                parts.extend(store.smembers(key))
            elif kind == "zset":
                parts.extend(member for member, _score in store.zrange(key, 0, -1, withscores=True))
    finally:
        store.close()
    return b"\n".join(part if isinstance(part, bytes) else str(part).encode() for part in parts)


def stored_erasure_secrets(app) -> dict[str, bytes]:
    """The key store's content: request id -> erasure secret."""
    store = app.extensions["outreach.help_keystore"]
    with store.engine.connect() as connection:
        return {rid: bytes(secret) for rid, secret in connection.execute(
            select(erasure_secrets.c.request_id, erasure_secrets.c.secret))}


@pytest.mark.parametrize("backend", BACKENDS)  # and again with sessions and rate limits in Redis, when configured
def test_canary_leaves_no_address_agent_or_plain_message(make_app, clock, caplog, backend):
    caplog.set_level(logging.DEBUG)
    help_app = make_app(**staff_config(backend, RATELIMIT_KEY_PREFIX=f"t-canary-{uuid.uuid4().hex}"))
    world = build_world(help_app)
    started = time.time() - 1
    client = help_app.test_client()
    client.environ_base.update({"REMOTE_ADDR": CANARY_ADDRESS, "HTTP_USER_AGENT": CANARY_AGENT})
    assert client.get("/en/help/ask").status_code == 200
    receipt = submit(client, message=CANARY_MESSAGE, contact_method="phone", phone=CANARY_PHONE)
    assert client.post("/en/help/check", data={"receipt": "WRONG-WRONG"}).status_code == 200
    assert CANARY_MESSAGE in client.post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    assert client.post("/en/help/check/answer", data={"text": "zqxcanaryanswer on Tuesday"}).status_code == 200
    logs = caplog.text + "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    dump = dump_database(help_app)
    files = instance_bytes(help_app)
    temp = temp_files_since(started)
    redis_content = redis_dump() if backend == "redis" else b""
    for secret in (CANARY_ADDRESS, "zqxcanaryagent", "CanaryAgent"):
        assert secret not in logs
        assert secret not in dump
        assert secret.encode() not in files
        assert secret.encode() not in temp, secret
        assert secret.encode() not in redis_content, secret
    for plain in ("zqxcanarymessage", "zqxcanaryanswer", CANARY_PHONE, receipt, crypto.normalize_code(receipt)):
        assert plain not in dump and plain not in logs
        assert plain.encode() not in files
        assert plain.encode() not in temp, plain
        assert plain.encode() not in redis_content, plain
    if backend == "redis":  # the check really looked at Redis: the follow-up session and the limits are there
        assert b"t-canary-" in redis_content
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.organization_id == world.org_a
        # Dates only: no time of day anywhere on the request or its keys.
        assert type(request.created_on).__name__ == "date"
        erasure = stored_erasure_secrets(help_app)[request.id]
        assert erasure.hex() not in dump  # the erasure secret never enters the main database
        wrap = next(k for k in request.keys if k.kind == "organization")
        org_a_key = keys.organization_private_key(db.session.get(User, world.member_a.id), world.org_a, PASSWORD)
        document = crypto.open_document(request.content, crypto.unseal(crypto.unerase(wrap.wrapped, erasure), org_a_key))
        assert document["message"] == CANARY_MESSAGE and document["contact"] == CANARY_PHONE
        org_b_key = keys.organization_private_key(db.session.get(User, world.member_b.id), world.org_b, PASSWORD)
        with pytest.raises(crypto.DecryptionFailed):
            crypto.unseal(crypto.unerase(wrap.wrapped, erasure), org_b_key)
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


def test_the_receipt_page_says_how_to_print_without_javascript(help_app, world):
    body = help_app.test_client().post("/en/help/ask", data={
        "language": "en", "contact_method": "receipt", "message": "hi"}).get_data(as_text=True)
    hint = body.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "To print this page, use your browser" in hint and "Ctrl+P" in hint
    assert "<script>" not in body and "onclick" not in body  # no inline script: the CSP stays as it is


def test_designations_never_repeat_among_an_organizations_open_requests(help_app, world, monkeypatch):
    from outreach.help import words

    monkeypatch.setattr(words, "ADJECTIVES", ("amber", "azure"))
    monkeypatch.setattr(words, "NOUNS", ("acorn", "heron"))  # 4 two-word names only
    for n in range(6):
        client = help_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"  # under the submission rate limit
        submit(client, categories=["harm-reduction"], area="97205")  # all to organization A
    with help_app.app_context():
        names = list(db.session.scalars(select(HelpRequest.designation).where(HelpRequest.organization_id == world.org_a)))
    assert len(names) == 6 and len(set(names)) == 6
    assert sorted(n for n in names if n.count(" ") == 1) == ["amber acorn", "amber heron", "azure acorn", "azure heron"]
    assert words.unique_designation({"amber acorn"}) != "amber acorn"


# -- routing ------------------------------------------------------------------------------------------


def _listed_towns(app, *towns: tuple[str, ...]) -> None:
    """Towns the directory lists (an address in each, with its county when given): the only town
    names kept in the clear."""
    from outreach.directory.models import Address, Location
    from tests import factories

    with app.app_context():
        organization = factories.organization("Listed places")
        for city, postal_code, *county in towns:
            location = Location(organization=organization, name=f"Office in {city}", latitude=45.0, longitude=-122.0,
                                source_locale="en")
            location.addresses.append(Address(address_1="1 Main St", city=city, state_province="OR",
                                              postal_code=postal_code, region=(county or [None])[0], country="US"))
            db.session.add(location)
        db.session.commit()


def test_routing_by_category_area_language_with_coordinator_fallback(help_app, world):
    _listed_towns(help_app, ("Salem", "97301"), ("Portland", "97205"))
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


def test_a_zip_is_in_its_town_and_county_and_a_town_in_its_county(help_app, world):
    from outreach.geo.models import PostalCentroid
    from tests import factories
    from tests.help_fixtures import _with_keys
    from tests.staff_fixtures import make_staff

    _listed_towns(help_app, ("Gresham", "97030", "Multnomah County"), ("Salem", "97301", "Marion"))
    with help_app.app_context():
        db.session.add_all([PostalCentroid(postal_code="97030", latitude=45.50, longitude=-122.43),
                            PostalCentroid(postal_code="97301", latitude=44.95, longitude=-122.99)])
        db.session.commit()
        town_org = factories.organization("Serves Gresham").id
        county_org = factories.organization("Serves Marion County").id
        _with_keys(make_staff("town@example.org", [{"role": "org_member", "organization_id": town_org}]), town_org,
                   categories=["treatment"], areas=["Gresham"])
        _with_keys(make_staff("county@example.org", [{"role": "org_member", "organization_id": county_org}]), county_org,
                   categories=["treatment"], areas=["Marion County"])
    client = help_app.test_client()
    for area in ("97030", "Gresham", "97301", "Salem", "97205"):
        submit(client, categories=["treatment"], area=area)
    with help_app.app_context():
        by_area = {r.area: r.organization_id for r in db.session.scalars(select(HelpRequest))}
    assert by_area == {
        "97030": town_org, "gresham": town_org,     # the town's own organization, not the statewide one
        "97301": county_org, "salem": county_org,   # the county's ("Marion" in the addresses)
        "97205": world.org_b,                       # no town or county organization there: statewide
    }


@pytest.mark.parametrize("typed", [
    "12 Elm Street, apartment 4",   # a street address
    "Maria Gonzalez",               # a name
    "99999",                        # five digits, but no such ZIP code
    "97205 NW 23rd Ave",            # a ZIP code followed by an address
    "Portlandia",                   # not a town the directory lists
])
def test_an_area_that_is_not_a_known_zip_or_town_is_kept_only_encrypted(help_app, world, typed):
    _listed_towns(help_app, ("Portland", "97205"))
    client = help_app.test_client()
    receipt = submit(client, categories=["treatment"], area=typed, message="where I am")
    with help_app.app_context():
        request = db.session.scalar(select(HelpRequest))
        assert request.area is None
        # Routing treated the area as unknown: B (treatment, statewide) rather than a place match.
        assert request.organization_id == world.org_b
        erasure = stored_erasure_secrets(help_app)[request.id]
        wrap = next(k for k in request.keys if k.kind == "receipt")
        private = crypto.unwrap_with_receipt(crypto.unerase(wrap.wrapped, erasure), receipt, wrap.salt)
        assert crypto.open_document(request.content, private)["area"] == typed  # the organization still reads it
    clear = dump_database(help_app, binary=False)  # every value stored in the clear (ciphertext aside)
    for word in typed.replace(",", " ").split():
        if len(word) >= 4 and word not in ("Portland", "97205"):  # the directory itself lists these
            assert word not in clear, word
    assert typed not in clear
    assert typed.encode() not in instance_bytes(help_app)


@pytest.mark.parametrize("typed, stored", [
    ("97205", "97205"), ("97205-1234", "97205"), (" 97201 ", "97201"), ("  PORTLAND ", "portland"),
])
def test_a_known_zip_or_town_is_kept_normalized(help_app, world, typed, stored):
    _listed_towns(help_app, ("Portland", "97205"))
    submit(help_app.test_client(), area=typed)
    with help_app.app_context():
        assert db.session.scalar(select(HelpRequest.area)) == stored


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


def _stored_session(app, client, backend) -> tuple[dict, float]:
    """The follow-up session as storage holds it: its data and seconds until storage drops it."""
    from tests.staff_fixtures import session_cookie

    store_id = app.config["SESSION_KEY_PREFIX"] + session_cookie(client)
    interface = app.session_interface
    if backend == "redis":
        raw = interface.client.get(store_id)
        expire_ms = interface.client.execute_command("PEXPIRETIME", store_id)
        assert expire_ms % 60_000 == 0  # Redis keeps the absolute expiry: a whole minute, no seconds
        return interface.serializer.decode(raw), expire_ms / 1000 - time.time()
    from outreach.accounts import clock as clock_module
    from outreach.accounts.models import StaffSession

    with app.app_context():
        row = db.session.scalar(select(StaffSession).where(StaffSession.session_id == store_id))
        data, expires_at = interface.serializer.decode(bytes(row.data)), row.expires_at
        db.session.remove()
    if expires_at.tzinfo is None:
        from datetime import timezone

        expires_at = expires_at.replace(tzinfo=timezone.utc)
    assert expires_at.second == 0 and expires_at.microsecond == 0  # a whole minute, no seconds
    return data, (expires_at - clock_module.now()).total_seconds()


def _numbers(value) -> list:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, (list, tuple)):
        return [n for item in value for n in _numbers(item)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_follow_up_session_expires_in_storage_after_30_idle_minutes_and_keeps_no_seconds(make_app, clock, backend):
    app = make_app(**staff_config(backend))
    build_world(app)
    client = app.test_client()
    receipt = submit(client)
    clock.advance(seconds=17)
    assert client.post("/en/help/check", data={"receipt": receipt}).status_code == 200
    data, left = _stored_session(app, client, backend)
    assert 30 * 60 - 31 <= left <= 31 * 60 + 31  # 30 idle minutes (to the minute), not the staff 12 hours
    now = clock.now().timestamp()
    assert not any(abs(n - now) < 86400 for n in _numbers(data)), data  # no time to the second in it
    assert "help_follow_up" in data and receipt not in repr(data) and crypto.normalize_code(receipt) not in repr(data)
    clock.advance(minutes=29)  # still within the idle time: answering keeps it going
    assert client.post("/en/help/check/answer", data={"text": "after 29 minutes"}).status_code == 200
    clock.advance(minutes=29)
    assert client.post("/en/help/check/answer", data={"text": "after 58 minutes"}).status_code == 200
    _data, left = _stored_session(app, client, backend)
    assert 30 * 60 - 31 <= left <= 31 * 60 + 31  # moved on with the activity
    clock.advance(minutes=31)
    if backend == "database":  # storage itself has let it go (the database store compares with the clock)
        _data, left = _stored_session(app, client, backend)
        assert left <= 0
    assert client.post("/en/help/check/answer", data={"text": "after an idle half hour"}).status_code == 400


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


@dataclass
class DatabaseCopy:
    """What a thief (or a backup) holds of the main database: every request's content and every wrap."""

    contents: dict[str, bytes]
    wraps: list[tuple[str, str, bytes | None, bytes]]  # request id, kind, salt, wrapped


def copy_main_database(app) -> DatabaseCopy:
    with app.app_context():
        contents = {rid: bytes(content) for rid, content in db.session.execute(select(HelpRequest.id, HelpRequest.content))}
        wraps = [(k.request_id, k.kind, bytes(k.salt) if k.salt else None, bytes(k.wrapped))
                 for k in db.session.scalars(select(HelpRequestKey))]
        db.session.remove()
    return DatabaseCopy(contents, wraps)


def every_key_still_stored(app, world, receipts: list[str], *, with_keystore: bool = True) -> dict:
    """Every key that still exists anywhere, opened the way its holders would open it: both
    organizations' keys (members' passwords, A's recovery key), the receipts, the key store's secrets."""
    with app.app_context():
        organization_keys = [
            keys.organization_private_key(db.session.get(User, world.member_a.id), world.org_a, PASSWORD),
            keys.organization_private_key(db.session.get(User, world.member_b.id), world.org_b, PASSWORD),
            keys.organization_key_from_recovery(world.org_a, world.recovery_a),
        ]
        db.session.remove()
    erasure = list(stored_erasure_secrets(app).values()) if with_keystore else []
    return {"organization": organization_keys, "receipt": receipts, "erasure": erasure}


def readable_messages(copy: DatabaseCopy, stored: dict) -> set[str]:
    """The messages of ``copy`` that open with ``stored``: every wrap of the copy is tried with every
    erasure secret (and with none), then with every organization key or receipt; every content with
    every request key so found and with every stored key itself."""
    candidates = list(stored["organization"]) + list(stored["erasure"])
    for _rid, kind, salt, wrapped in copy.wraps:
        for inner in [wrapped] + [_try(crypto.unerase, wrapped, secret) for secret in stored["erasure"]]:
            if inner is None:
                continue
            if kind == "organization":
                candidates += [_try(crypto.unseal, inner, key) for key in stored["organization"]]
            else:
                candidates += [_try(crypto.unwrap_with_receipt, inner, receipt, salt) for receipt in stored["receipt"]]
    found = set()
    for content in copy.contents.values():
        for key in filter(None, candidates):
            document = _try(crypto.open_document, content, key)
            if document is not None:
                found.add(document["message"])
    return found


def _try(function, *args):
    try:
        return function(*args)
    except crypto.DecryptionFailed:
        return None


def test_purge_after_expiry_leaves_a_pre_purge_copy_unreadable(help_app, world, clock):
    client = help_app.test_client()
    expiring_receipt = submit(client, message="expiring message")
    kept_receipt = submit(client, message="kept message")
    receipts = [expiring_receipt, kept_receipt]
    clock.advance(days=80)
    client.post("/en/help/check", data={"receipt": kept_receipt})
    assert client.post("/en/help/check/answer", data={"text": "still here"}).status_code == 200  # activity
    old_copy = copy_main_database(help_app)  # the copy a thief (or a backup) took before the purge
    assert len(old_copy.contents) == 2 and len(old_copy.wraps) == 4
    # Before the purge, the copy opens with the keys that exist: the check below can fail.
    assert readable_messages(old_copy, every_key_still_stored(help_app, world, receipts)) == {
        "expiring message", "kept message"}
    old_secrets = stored_erasure_secrets(help_app)
    clock.advance(days=11)  # 91 days after the first request, 11 after the last activity on the second
    runner = help_app.test_cli_runner()
    first = runner.invoke(args=["outreach", "help", "purge"])
    second = runner.invoke(args=["outreach", "help", "purge"])
    assert "Deleted 1 " in first.output and "Deleted 0 " in second.output
    # After it, the same OLD copy, tried with every key still stored anywhere (member passwords, the
    # recovery key, both receipts, every erasure secret left), opens only the request still kept.
    after = every_key_still_stored(help_app, world, receipts)
    assert readable_messages(old_copy, after) == {"kept message"}
    purged_id = next(rid for rid, secret in old_secrets.items() if secret not in after["erasure"])
    assert set(stored_erasure_secrets(help_app)) == set(old_secrets) - {purged_id}
    with help_app.app_context():
        assert db.session.get(HelpRequest, purged_id) is None
        assert db.session.scalar(select(func.count(HelpRequestKey.id)).where(HelpRequestKey.request_id == purged_id)) == 0
        is_sqlite = db.engine.dialect.name == "sqlite"
        db.session.remove()
    help_app.extensions["outreach.help_keystore"].dispose()
    keystore_file = (Path(help_app.instance_path) / "help-keystore.sqlite3").read_bytes()
    assert old_secrets[purged_id] not in keystore_file  # secure_delete: overwritten, not just unlinked
    assert all(secret in keystore_file for rid, secret in old_secrets.items() if rid != purged_id)
    if is_sqlite:  # the main database's purged wraps are overwritten in its file too
        with help_app.app_context():
            db.engine.dispose()
        live_file = (Path(help_app.instance_path) / "outreach.sqlite3").read_bytes()
        purged_wraps = [w for rid, _kind, _salt, w in old_copy.wraps if rid == purged_id]
        assert len(purged_wraps) == 2 and not any(w in live_file for w in purged_wraps)
        assert b"expiring message" not in live_file


@pytest.mark.parametrize("who", ["resident", "organization"])
def test_a_deleted_request_is_unreadable_in_a_copy_taken_before(help_app, world, clock, who):
    from tests.staff_fixtures import sign_in

    client = help_app.test_client()
    deleted_receipt = submit(client, message="deleted message")
    kept_receipt = submit(client, message="kept message")
    receipts = [deleted_receipt, kept_receipt]
    old_copy = copy_main_database(help_app)
    assert readable_messages(old_copy, every_key_still_stored(help_app, world, receipts)) == {
        "deleted message", "kept message"}
    if who == "resident":
        client.post("/en/help/check", data={"receipt": deleted_receipt})
        assert client.post("/en/help/check/delete", data={}).status_code == 200
    else:
        with help_app.app_context():
            rid = db.session.scalar(select(HelpRequest.id).where(
                HelpRequest.receipt_lookup == crypto.receipt_lookup(deleted_receipt)))
            db.session.remove()
        member = help_app.test_client()
        sign_in(member, world.member_a, clock)
        assert member.post(f"/staff/help/requests/{rid}/delete", data={"confirm": "y"}).status_code == 302
    assert readable_messages(old_copy, every_key_still_stored(help_app, world, receipts)) == {"kept message"}


def test_a_copy_of_the_main_database_alone_opens_nothing(help_app, world, clock):
    """Without the key store, every key that exists (passwords, recovery key, receipts) opens nothing."""
    client = help_app.test_client()
    receipts = [submit(client, message="first message"), submit(client, message="second message")]
    client.post("/en/help/check", data={"receipt": receipts[0]})
    client.post("/en/help/check/answer", data={"text": "an answer"})
    copy = copy_main_database(help_app)
    assert readable_messages(copy, every_key_still_stored(help_app, world, receipts)) == {
        "first message", "second message"}  # with the key store, as the organization and residents have it
    assert readable_messages(copy, every_key_still_stored(help_app, world, receipts, with_keystore=False)) == set()
    with help_app.app_context():
        for reply in db.session.scalars(select(HelpReply)):
            for key in every_key_still_stored(help_app, world, receipts, with_keystore=False)["organization"]:
                with pytest.raises(crypto.DecryptionFailed):
                    crypto.open_document(reply.content, key)


def test_a_request_whose_secret_is_gone_is_gone_and_the_purge_tidies_both_sides(help_app, world, clock):
    """A crash between the two databases: a deletion that destroyed the secret but not the rows, or a
    submission that committed its secret but not its request. Both are safe, and the purge tidies them."""
    from tests.staff_fixtures import sign_in

    client = help_app.test_client()
    receipt = submit(client, message="half deleted")
    submit(client, message="untouched")
    store = help_app.extensions["outreach.help_keystore"]
    with help_app.app_context():
        rid = db.session.scalar(select(HelpRequest.id).where(HelpRequest.receipt_lookup == crypto.receipt_lookup(receipt)))
        db.session.remove()
    store.destroy([rid])  # the crash: the secret destroyed, the rows still there
    store.create("f" * 32, clock.now().date())  # the other crash: a secret whose request never came
    orphan_today = "e" * 32
    store.create(orphan_today, clock.now().date())
    # The request is gone for everyone: the resident, the organization's inbox and its page.
    assert "could not find a request" in client.post("/en/help/check", data={"receipt": receipt}).get_data(as_text=True)
    member = help_app.test_client()
    sign_in(member, world.member_a, clock)
    assert rid not in member.get("/staff/help/").get_data(as_text=True)
    assert member.get(f"/staff/help/requests/{rid}").status_code == 404
    assert member.post(f"/staff/help/requests/{rid}/read", data={"password": PASSWORD}).status_code == 404
    clock.advance(days=2)
    runner = help_app.test_cli_runner()
    for _ in range(2):  # safe to run twice
        assert runner.invoke(args=["outreach", "help", "purge"]).exit_code == 0
        with help_app.app_context():
            assert db.session.get(HelpRequest, rid) is None
            assert db.session.scalar(select(func.count(HelpRequestKey.id)).where(HelpRequestKey.request_id == rid)) == 0
            assert db.session.scalar(select(func.count(HelpRequest.id))) == 1
            db.session.remove()
        remaining = stored_erasure_secrets(help_app)
        assert "f" * 32 not in remaining and orphan_today not in remaining and len(remaining) == 1


def test_a_secret_of_a_submission_in_flight_is_not_purged(help_app, world, clock):
    store = help_app.extensions["outreach.help_keystore"]
    store.create("d" * 32, clock.now().date())  # committed a moment ago; its request is being written
    assert help_app.test_cli_runner().invoke(args=["outreach", "help", "purge"]).exit_code == 0
    assert "d" * 32 in stored_erasure_secrets(help_app)


def test_a_key_store_that_is_not_this_sites_deletes_nothing(help_app, world, clock):
    """A wrong OUTREACH_HELP_KEYSTORE_URL (an empty key store) must not make the purge delete everything."""
    client = help_app.test_client()
    submit(client)
    submit(client)
    store = help_app.extensions["outreach.help_keystore"]
    store.destroy(list(stored_erasure_secrets(help_app)))
    result = help_app.test_cli_runner().invoke(args=["outreach", "help", "purge"])
    assert result.exit_code == 0 and "Deleted 0 " in result.output
    with help_app.app_context():
        assert db.session.scalar(select(func.count(HelpRequest.id))) == 2
        db.session.remove()


if TEST_DATABASE_URL.startswith("postgresql"):  # collected with OUTREACH_TEST_DATABASE_URL (`make test-postgres`)

    def test_a_postgresql_key_store_is_vacuumed_after_the_purge(make_app, clock):
        separator = "&" if "?" in TEST_DATABASE_URL else "?"
        # The same test database under another URL: a separate database in production.
        app = make_app(**staff_config(HELP_KEYSTORE_URL=f"{TEST_DATABASE_URL}{separator}application_name=keystore"))
        store = app.extensions["outreach.help_keystore"]
        try:
            assert store.is_postgresql
            store.destroy(list(stored_erasure_secrets(app)))  # left by earlier runs: the table outlives tests
            world = build_world(app)
            client = app.test_client()
            receipts = [submit(client, message="expiring message")]
            old_copy = copy_main_database(app)
            assert readable_messages(old_copy, every_key_still_stored(app, world, receipts)) == {"expiring message"}
            with store.engine.connect() as connection:
                before = connection.exec_driver_sql("SELECT pg_relation_filenode('help_erasure_secret')").scalar()
            clock.advance(days=91)
            assert "Deleted 1 " in app.test_cli_runner().invoke(args=["outreach", "help", "purge"]).output
            assert readable_messages(old_copy, every_key_still_stored(app, world, receipts)) == set()
            with store.engine.connect() as connection:
                after = connection.exec_driver_sql("SELECT pg_relation_filenode('help_erasure_secret')").scalar()
            assert after != before  # VACUUM FULL rewrote the table: the destroyed secret left its files
        finally:
            # The key store shared the test database here: leave it as the migrations made it.
            with store.engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS help_erasure_secret")
            store.dispose()


def test_the_key_store_cannot_be_the_main_database():
    from outreach.config import load_settings

    with pytest.raises(ValueError, match="HELP_KEYSTORE_URL"):
        load_settings({"DATABASE_URL": "sqlite:////tmp/x.sqlite3", "HELP_KEYSTORE_URL": "sqlite:////tmp/x.sqlite3"},
                      environ={})
    settings = load_settings({"INSTANCE_PATH": "/srv/outreach"}, environ={})
    assert settings.help_keystore_url == "sqlite:////srv/outreach/help-keystore.sqlite3"
    assert load_settings({}, environ={"OUTREACH_HELP_KEYSTORE_URL": "postgresql+psycopg://k@db/keys"}
                         ).help_keystore_url == "postgresql+psycopg://k@db/keys"


def test_retention_setting_is_bounded():
    from outreach.config import load_settings

    with pytest.raises(ValueError):
        load_settings({"HELP_RETENTION_DAYS": 10}, environ={})
    assert load_settings({"HELP_RETENTION_DAYS": 30}, environ={}).HELP_RETENTION_DAYS == 30
