"""Fixtures and helpers for the staff-account tests: a movable clock, cheap argon2, signed-in clients."""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from outreach.accounts import clock as clock_module
from outreach.accounts import passwords, services
from outreach.accounts.models import User
from outreach.extensions import db

REDIS_URL = os.environ.get("OUTREACH_TEST_REDIS_URL", "")
PASSWORD = "plum violin harbor seventeen"
CHEAP_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024}
COOKIE = "outreach-staff"


class FakeClock:
    def __init__(self) -> None:
        self.current = datetime(2026, 11, 27, 10, 0, 5, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)

    def code(self, secret: str, steps_ahead: int = 0) -> str:
        return pyotp.TOTP(secret).at(int(self.current.timestamp()) + 30 * steps_ahead)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(clock_module, "now", fake.now)
    return fake


def staff_config(backend: str = "database", **extra) -> dict:
    config = {"WTF_CSRF_ENABLED": False, **CHEAP_HASHING, **extra}
    if backend == "redis":
        config["REDIS_URL"] = REDIS_URL
        config["SESSION_KEY_PREFIX"] = f"outreach-test:{uuid.uuid4().hex}:"
    return config


@pytest.fixture
def staff_app(make_app, clock):
    return make_app(**staff_config())


# Redis joins the list when OUTREACH_TEST_REDIS_URL is set (CI's `make test-services` sets it):
# not collected otherwise, rather than skipped.
BACKENDS = ["database", *(["redis"] if REDIS_URL else [])]


@pytest.fixture(params=BACKENDS)
def session_app(request, make_app, clock):
    """The staff app once per session store: the database, then Redis when configured."""
    return make_app(**staff_config(request.param))


@dataclass
class Staff:
    id: int
    email: str
    secret: str
    password: str = PASSWORD


def make_staff(email: str, roles: list[dict], *, password: str = PASSWORD, with_totp: bool = True) -> Staff:
    """A staff account straight in the database (inside an app context)."""
    user = User(email=email, display_name=email.split("@")[0], password_hash=passwords.hash_password(password),
                is_active=True, session_epoch=1, failed_logins=0)
    secret = pyotp.random_base32()
    if with_totp:
        user.totp_secret = secret
    db.session.add(user)
    db.session.commit()
    for grant in roles:
        services.grant_role(user, grant["role"], grant.get("organization_id"))
    return Staff(user.id, email, secret, password)


def password_step(client, staff: Staff, password: str | None = None):
    return client.post("/staff/login", data={"email": staff.email, "password": password or staff.password})


def sign_in(client, staff: Staff, clock: FakeClock) -> None:
    """Both steps; moves the clock one TOTP step afterwards so the next sign-in gets a fresh code."""
    response = password_step(client, staff)
    assert response.status_code == 302 and response.location.endswith("/staff/login/code"), response.location
    response = client.post("/staff/login/code", data={"code": clock.code(staff.secret)})
    assert response.status_code == 302 and response.location.endswith("/staff/"), response.get_data(as_text=True)[:500]
    clock.advance(seconds=30)


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
