"""Staff accounts: invitations, password rules, argon2, two-factor sign-in, recovery codes, throttling."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from outreach.accounts import passwords, services
from outreach.accounts.models import Invitation, RecoveryCode, User
from outreach.audit.models import AuditEntry
from outreach.extensions import db
from tests import factories
from tests.staff_fixtures import (  # noqa: F401  (fixtures)
    PASSWORD,
    clock,
    make_staff,
    password_step,
    sign_in,
    staff_app,
)

pytestmark = pytest.mark.db


@pytest.fixture
def client(staff_app):
    return staff_app.test_client()


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- password rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", passwords.TOO_SHORT),
        ("x" * 129, passwords.TOO_LONG),
        ("password1234", passwords.TOO_COMMON),
        ("Password123!", passwords.TOO_COMMON),
        ("qwertyuiopasdf", passwords.TOO_COMMON),
        ("iloveyou2024!", passwords.TOO_COMMON),
        ("maria.lopez@example.org", passwords.LIKE_EMAIL),
        ("maria.lopez2026", passwords.LIKE_EMAIL),
        ("abababababababab", passwords.TOO_COMMON),
        ("aabbaabbaabbcc", passwords.TOO_REPETITIVE),
        ("plum violin harbor seventeen", None),
        ("ñandú café río 2026", None),
        ("x" * 5 + "yz1234567890"[:7], None),
        ("Z" * 0 + "correct-staple-orbit", None),
    ],
)
def test_password_rules(password, problem):
    assert passwords.password_problem(password, "maria.lopez@example.org") == problem


def test_common_password_list_is_large_and_lower_case():
    common = passwords.common_passwords()
    assert len(common) > 5000
    assert all(entry == entry.lower() and len(entry) >= 12 for entry in common)


def test_password_fields_allow_paste():
    templates = Path(__file__).resolve().parent.parent / "outreach" / "templates" / "accounts"
    for path in templates.glob("*.html"):
        text = path.read_text(encoding="utf-8").lower()
        assert "onpaste" not in text and "paste" not in text.replace("you can paste", "")


def test_password_is_argon2id_and_rehashed_when_parameters_change(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("rehash@example.org", [{"role": "reviewer"}])
        old_hash = db.session.get(User, staff.id).password_hash
    assert old_hash.startswith("$argon2id$") and "m=1024,t=1" in old_hash
    staff_app.config["PASSWORD_HASH_MEMORY_KIB"] = 2048
    staff_app.config["PASSWORD_HASH_TIME_COST"] = 2
    client = staff_app.test_client()
    assert password_step(client, staff).status_code == 302
    with staff_app.app_context():
        new_hash = db.session.get(User, staff.id).password_hash
    assert new_hash != old_hash and "m=2048,t=2" in new_hash
    assert PasswordHasher().verify(new_hash, PASSWORD)
    assert "password_rehashed" in audit_actions(staff_app)


# -- invitations --------------------------------------------------------------------------------------


def invite(app, email="new.person@example.org", roles=({"role": "reviewer"},)) -> str:
    with app.app_context():
        _invitation, token = services.create_invitation(email, list(roles), display_name="New Person")
    return token


def accept(client, token, password="plum violin harbor seventeen"):
    return client.post(f"/staff/invitations/{token}",
                       data={"display_name": "New Person", "password": password, "confirm": password})


def test_invitation_token_is_stored_hashed_and_grants_its_roles(staff_app, client):
    with staff_app.app_context():
        organization = factories.organization("Harbor Recovery")
        org_id = organization.id
    token = invite(staff_app, roles=[{"role": "org_member", "organization_id": org_id}, {"role": "reviewer"}])
    with staff_app.app_context():
        stored = db.session.scalar(select(Invitation))
        assert token not in stored.token_hash and len(stored.token_hash) == 64
    page = client.get(f"/staff/invitations/{token}")
    assert page.status_code == 200 and "new.person@example.org" in page.get_data(as_text=True)
    response = accept(client, token)
    assert response.status_code == 302 and response.location.endswith("/staff/login")
    with staff_app.app_context():
        user = services.user_by_email("new.person@example.org")
        assert user.role_names == {"org_member", "reviewer"} and user.organization_ids == {org_id}
        assert passwords.verify_password(user.password_hash, "plum violin harbor seventeen")


def test_invitation_works_once(staff_app, client):
    token = invite(staff_app)
    assert accept(client, token).status_code == 302
    again = accept(client, token, "another long passphrase here")
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)


def test_invitation_expires_after_72_hours(staff_app, client, clock):
    token = invite(staff_app)
    clock.advance(hours=71, minutes=59)
    assert client.get(f"/staff/invitations/{token}").status_code == 200
    clock.advance(minutes=2)
    assert client.get(f"/staff/invitations/{token}").status_code == 404
    assert accept(client, token).status_code == 404
    with staff_app.app_context():
        assert services.user_by_email("new.person@example.org") is None


def test_invitation_refuses_weak_password_with_error_summary(staff_app, client):
    token = invite(staff_app)
    response = accept(client, token, "password1234")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<title>Error:", body)
    assert 'href="#password"' in body and "too common" in body
    assert body.count("This password is too common") == 2  # in the summary and next to the field


def test_unknown_invitation_token(client):
    assert client.get("/staff/invitations/not-a-real-token").status_code == 404


# -- roles --------------------------------------------------------------------------------------------


def test_police_outreach_account_can_never_be_an_organization_member(staff_app):
    with staff_app.app_context():
        org_id = factories.organization().id
        staff = make_staff("police@example.org", [{"role": "outreach_publisher"}])
        user = db.session.get(User, staff.id)
        with pytest.raises(services.RoleConflict, match="outreach_publisher"):
            services.grant_role(user, "org_member", org_id)
        db.session.rollback()
        assert db.session.get(User, staff.id).role_names == {"outreach_publisher"}
        member = make_staff("member@example.org", [{"role": "org_member", "organization_id": org_id}])
        with pytest.raises(services.RoleConflict):
            services.grant_role(db.session.get(User, member.id), "outreach_publisher")
        db.session.rollback()
        with pytest.raises(services.RoleConflict):
            services.create_invitation("both@example.org", [{"role": "outreach_publisher"},
                                                            {"role": "org_member", "organization_id": org_id}])
        with pytest.raises(services.RoleConflict):
            services.create_invitation("police@example.org", [{"role": "org_member", "organization_id": org_id}])


def test_org_member_role_needs_an_organization(staff_app):
    with staff_app.app_context():
        with pytest.raises(services.AccountError):
            services.create_invitation("x@example.org", [{"role": "org_member"}])
        with pytest.raises(services.AccountError):
            services.create_invitation("x@example.org", [{"role": "steward", "organization_id": "nope"}])
        with pytest.raises(services.AccountError):
            services.create_invitation("x@example.org", [{"role": "superuser"}])


# -- two-factor sign-in -------------------------------------------------------------------------------


def test_full_first_sign_in_sets_up_totp_and_shows_recovery_codes_once(staff_app, client, clock):
    import pyotp

    token = invite(staff_app, "first@example.org", [{"role": "steward"}])
    accept(client, token)
    response = client.post("/staff/login", data={"email": "First@Example.org ", "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/staff/login/set-up")
    assert client.get("/staff/").status_code == 302  # not signed in yet
    page = client.get("/staff/login/set-up").get_data(as_text=True)
    assert "<svg" in page and "data:" not in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", "")
    secret = re.search(r'class="secret-key"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/staff/login/set-up", data={"code": "000000"}).status_code == 200  # wrong code
    done = client.post("/staff/login/set-up", data={"code": pyotp.TOTP(secret).at(int(clock.now().timestamp()))})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    with staff_app.app_context():
        user = services.user_by_email("first@example.org")
        assert user.totp_secret == secret
        stored = list(db.session.scalars(select(RecoveryCode.code_hash)))
        assert len(stored) == 10 and not any(code.replace("-", "") in h for code in codes for h in stored)
    home = client.get("/staff/")
    assert home.status_code == 200 and "Hello, New Person" in home.get_data(as_text=True)
    assert not any(code in home.get_data(as_text=True) for code in codes)  # never shown again


def test_totp_code_cannot_be_used_twice(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("replay@example.org", [{"role": "reviewer"}])
    code = clock.code(staff.secret)
    first = staff_app.test_client()
    password_step(first, staff)
    assert first.post("/staff/login/code", data={"code": code}).status_code == 302
    second = staff_app.test_client()
    password_step(second, staff)
    replay = second.post("/staff/login/code", data={"code": code})
    assert replay.status_code == 200 and "Error:" in replay.get_data(as_text=True)
    assert second.get("/staff/").status_code == 302
    # An earlier step's code is refused too; the next step's code works.
    assert second.post("/staff/login/code", data={"code": clock.code(staff.secret, -1)}).status_code == 200
    clock.advance(seconds=30)
    assert second.post("/staff/login/code", data={"code": clock.code(staff.secret)}).status_code == 302


def test_second_step_cannot_be_skipped(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("skip@example.org", [{"role": "steward"}])
        fresh = make_staff("fresh@example.org", [{"role": "steward"}], with_totp=False)
    client = staff_app.test_client()
    # Straight to the code step, without the password: back to the start, nothing accepted.
    for path in ("/staff/login/code", "/staff/login/recovery-code", "/staff/login/set-up"):
        assert client.post(path, data={"code": clock.code(staff.secret)}).location.endswith("/staff/login")
    assert client.get("/staff/").location.endswith("/staff/login")
    # After the password only: every staff page still needs the second step.
    password_step(client, staff)
    for path in ("/staff/", "/staff/account", "/staff/audit/", "/staff/invitations/new"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.endswith("/staff/login"), path
    # A person without an authenticator yet cannot reach the code step, nor set up someone else's.
    other = staff_app.test_client()
    password_step(other, fresh)
    assert other.post("/staff/login/code", data={"code": clock.code(staff.secret)}).location.endswith("/staff/login")
    # The pending state expires.
    clock.advance(minutes=11)
    assert client.post("/staff/login/code", data={"code": clock.code(staff.secret)}).location.endswith("/staff/login")


def test_recovery_codes_work_once(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("lost.phone@example.org", [{"role": "reviewer"}])
        codes = services._replace_recovery_codes(db.session.get(User, staff.id))
        db.session.commit()
    client = staff_app.test_client()
    password_step(client, staff)
    response = client.post("/staff/login/recovery-code", data={"code": codes[0].upper()})
    assert response.status_code == 302 and response.location.endswith("/staff/")
    other = staff_app.test_client()
    password_step(other, staff)
    again = other.post("/staff/login/recovery-code", data={"code": codes[0]})
    assert again.status_code == 200 and "Error:" in again.get_data(as_text=True)
    assert other.post("/staff/login/recovery-code", data={"code": codes[1]}).status_code == 302
    with staff_app.app_context():
        assert services.recovery_codes_left(db.session.get(User, staff.id)) == 8


# -- throttling ---------------------------------------------------------------------------------------


GENERIC = "The e-mail address, password or code is not right"


def test_login_is_throttled_per_account_with_a_generic_error(staff_app, clock):
    with staff_app.app_context():
        target = make_staff("target@example.org", [{"role": "reviewer"}])
        bystander = make_staff("bystander@example.org", [{"role": "reviewer"}])
    client = staff_app.test_client()
    unknown = client.post("/staff/login", data={"email": "nobody@example.org", "password": "whatever it is"})
    wrong = password_step(client, target, "not the password at all")
    assert GENERIC in unknown.get_data(as_text=True) and GENERIC in wrong.get_data(as_text=True)
    assert unknown.status_code == wrong.status_code == 200
    for _ in range(4):
        password_step(client, target, "not the password at all")
    # Five failures: even the right password now waits, with the same message.
    locked = password_step(client, target)
    assert locked.status_code == 200 and GENERIC in locked.get_data(as_text=True)
    # Other accounts are not affected (not a global limit).
    assert password_step(staff_app.test_client(), bystander).status_code == 302
    clock.advance(seconds=31)
    assert password_step(client, target).status_code == 302
    # The wait doubles with each further failure.
    with staff_app.app_context():
        user = db.session.get(User, target.id)
        assert user.failed_logins == 5


def test_wrong_totp_codes_count_towards_the_throttle(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("codes@example.org", [{"role": "reviewer"}])
    client = staff_app.test_client()
    password_step(client, staff)
    for _ in range(5):
        client.post("/staff/login/code", data={"code": "123456"})
    refused = client.post("/staff/login/code", data={"code": clock.code(staff.secret)})
    assert refused.status_code == 200 and GENERIC in refused.get_data(as_text=True)


# -- audit --------------------------------------------------------------------------------------------


def test_audit_records_logins_failures_invitations_and_roles_without_secrets(staff_app, clock):
    with staff_app.app_context():
        steward = make_staff("steward@example.org", [{"role": "steward"}])
    client = staff_app.test_client()
    password_step(client, steward, "wrong password typed here")
    sign_in(client, steward, clock)
    response = client.post("/staff/invitations/new", data={"email": "invitee@example.org", "roles": ["reviewer"]})
    assert response.status_code == 200 and "/staff/invitations/" in response.get_data(as_text=True)
    actions = audit_actions(staff_app)
    for action in ("role_granted", "login_failed", "login", "invitation_created"):
        assert action in actions
    with staff_app.app_context():
        everything = " ".join(f"{e.action} {e.target_type} {e.target_id} {e.changes}"
                              for e in db.session.scalars(select(AuditEntry)))
        invitation = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invitation_created"))
        assert invitation.actor_id == steward.id and invitation.changes["roles"] == [
            {"role": "reviewer", "organization_id": None}]
    assert "wrong password typed here" not in everything and PASSWORD not in everything
    assert "127.0.0.1" not in everything


def test_audit_page_lists_entries_for_stewards_only_paginated(staff_app, clock):
    with staff_app.app_context():
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        reviewer = make_staff("reviewer@example.org", [{"role": "reviewer"}])
        from outreach.audit.services import record

        for number in range(120):
            record("test_action", target_type="thing", target_id=number)
        db.session.commit()
    client = staff_app.test_client()
    sign_in(client, steward, clock)
    first = client.get("/staff/audit/")
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and "Page 1 of 3" in body and 'rel="next"' in body
    assert "Page 3 of 3" in client.get("/staff/audit/?page=3").get_data(as_text=True)
    other = staff_app.test_client()
    sign_in(other, reviewer, clock)
    assert other.get("/staff/audit/").status_code == 403


def test_no_code_reads_addresses_or_user_agents():
    """Only outreach/ratelimit.py reads the client address (to HMAC it at once); nothing reads the agent."""
    root = Path(__file__).resolve().parent.parent / "outreach"
    rate_limits = root / "ratelimit.py"
    offenders = [str(path) for path in root.rglob("*.py")
                 if re.search(r"remote_addr|user_agent|HTTP_USER_AGENT|X-Forwarded-For", path.read_text(encoding="utf-8"))]
    assert offenders == [str(rate_limits)]
    text = rate_limits.read_text(encoding="utf-8")
    assert text.count("remote_addr") == 1
    assert not re.search(r"user_agent|HTTP_USER_AGENT|X-Forwarded-For|logger|logging|print\(", text)


def test_audit_count_of_failed_login_for_unknown_email_has_no_target(staff_app):
    client = staff_app.test_client()
    client.post("/staff/login", data={"email": "ghost@example.org", "password": "guessing password"})
    with staff_app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login_failed"))
        assert entry.target_id is None and entry.actor_id is None
        assert "ghost" not in str(entry.changes)
        assert db.session.scalar(select(func.count(User.id))) == 0
