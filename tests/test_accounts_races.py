"""Read-then-write races closed by conditional UPDATEs: a TOTP step, a recovery code and an invitation
each succeed once even when two requests read them before either writes. And a locked account costs
the same hash as any other answer (no timing oracle)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from outreach.accounts import passwords, services
from outreach.accounts.models import Invitation, RecoveryCode, User
from outreach.extensions import db
from tests.staff_fixtures import PASSWORD, clock, make_staff, staff_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db


def other_request(statement) -> None:
    """What a concurrent request commits, through its own connection, behind this session's back."""
    with db.engine.begin() as connection:
        connection.execute(statement)


def test_a_totp_code_checked_by_two_requests_at_once_signs_in_only_one(staff_app, clock):
    with staff_app.app_context():
        staff = make_staff("race@example.org", [{"role": "reviewer"}])
        user = db.session.get(User, staff.id)  # read by this request: no step used yet
        assert user.totp_last_step is None
        code = clock.code(staff.secret)
        step = services.current_step()
        other_request(update(User).where(User.id == staff.id).values(totp_last_step=step))  # the other one won
        with pytest.raises(services.LoginFailed):
            services.verify_totp(user, code)
        db.session.expire_all()
        assert db.session.get(User, staff.id).failed_logins == 1


def test_a_recovery_code_used_by_two_requests_at_once_works_once(staff_app, clock):
    from sqlalchemy import event

    with staff_app.app_context():
        staff = make_staff("lost@example.org", [{"role": "reviewer"}])
        codes = services._replace_recovery_codes(db.session.get(User, staff.id))
        db.session.commit()
        user = db.session.get(User, staff.id)
        seen, raced = [], []

        def between_read_and_write(conn, cursor, statement, parameters, context, executemany):
            # After this request has read the code, and before its next statement, the other request
            # marks the code used.
            if seen and not raced:
                raced.append(True)
                other_request(update(RecoveryCode).where(RecoveryCode.user_id == staff.id).values(used_at=clock.now()))
            if statement.lstrip().upper().startswith("SELECT") and "staff_recovery_code" in statement:
                seen.append(True)

        event.listen(db.engine, "before_cursor_execute", between_read_and_write)
        try:
            with pytest.raises(services.LoginFailed):
                services.use_recovery_code(user, codes[0])
        finally:
            event.remove(db.engine, "before_cursor_execute", between_read_and_write)
        assert raced
        db.session.expire_all()
        assert db.session.get(User, staff.id).failed_logins == 1


def test_an_invitation_accepted_by_two_requests_at_once_works_once(staff_app, clock, monkeypatch):
    with staff_app.app_context():
        _invitation, token = services.create_invitation("new@example.org", [{"role": "reviewer"}])
        stale = services.find_invitation(token)  # this request read it: not used yet
        db.session.expunge(stale)
        services.accept_invitation(token, PASSWORD, "First")  # the other request wins
        monkeypatch.setattr(services, "find_invitation", lambda _token: stale)
        with pytest.raises(services.InvitationInvalid):
            services.accept_invitation(token, "another long passphrase here", "Second")
        db.session.expire_all()
        user = services.user_by_email("new@example.org")
        assert user.display_name == "First" and passwords.verify_password(user.password_hash, PASSWORD)
        assert user.session_epoch == 1


def test_two_acceptances_through_the_pages(staff_app, clock):
    with staff_app.app_context():
        _invitation, token = services.create_invitation("new@example.org", [{"role": "reviewer"}])
    first, second = staff_app.test_client(), staff_app.test_client()
    assert first.get(f"/staff/invitations/{token}").status_code == 200
    assert second.get(f"/staff/invitations/{token}").status_code == 200  # both opened the page
    data = {"display_name": "N", "password": PASSWORD, "confirm": PASSWORD}
    assert first.post(f"/staff/invitations/{token}", data=data).status_code == 302
    assert second.post(f"/staff/invitations/{token}", data=data).status_code == 404


def test_a_locked_account_still_costs_one_password_hash(staff_app, clock, monkeypatch):
    with staff_app.app_context():
        staff = make_staff("locked@example.org", [{"role": "reviewer"}])
        db.session.execute(update(User).where(User.id == staff.id).values(
            locked_until=clock.now().replace(year=2027), failed_logins=9))
        db.session.commit()
        calls = []
        real = passwords.verify_password
        monkeypatch.setattr(passwords, "verify_password", lambda *args: calls.append(args) or real(*args))
        with pytest.raises(services.LoginFailed):
            services.check_password("locked@example.org", PASSWORD)
        assert len(calls) == 1
        with pytest.raises(services.LoginFailed):
            services.check_password("nobody@example.org", PASSWORD)
        assert len(calls) == 2
