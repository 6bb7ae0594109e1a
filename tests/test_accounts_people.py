"""The steward's People page: disable or enable an account, take a role away; all audited, POST + CSRF."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.accounts import services
from outreach.accounts.models import User
from outreach.audit.models import AuditEntry
from outreach.extensions import db
from outreach.help.models import MemberKey, OrganizationKeySeal
from tests import factories
from tests.staff_fixtures import (  # noqa: F401  (fixtures)
    clock,
    csrf_token,
    make_staff,
    password_step,
    sign_in,
    staff_app,
    staff_config,
)

pytestmark = pytest.mark.db


@pytest.fixture
def people(staff_app, clock):
    """A steward signed in, a reviewer signed in elsewhere, and an organization member holding its key."""
    from outreach.help import keys

    with staff_app.app_context():
        organization = factories.organization("Harbor Recovery")
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        reviewer = make_staff("reviewer@example.org", [{"role": "reviewer"}])
        member = make_staff("member@example.org", [{"role": "org_member", "organization_id": organization.id}])
        user = db.session.get(User, member.id)
        keys.ensure_member_key(user, member.password)
        db.session.commit()
        keys.set_up_organization(user, organization.id, member.password)
        org_id = organization.id
    steward_client, reviewer_client = staff_app.test_client(), staff_app.test_client()
    sign_in(steward_client, steward, clock)
    sign_in(reviewer_client, reviewer, clock)
    return {"org_id": org_id, "steward": steward, "reviewer": reviewer, "member": member,
            "steward_client": steward_client, "reviewer_client": reviewer_client}


def audit(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_people_page_lists_accounts_with_roles_and_organizations(staff_app, people):
    page = people["steward_client"].get("/staff/people")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in ("reviewer@example.org", "member@example.org", "Harbor Recovery", "Reviewer of listing changes",
                 "Member of an organization: Harbor Recovery"):
        assert text in body
    assert f'/staff/people/{people["reviewer"].id}/disable' in body
    # No button to disable oneself or to drop one's own steward role.
    assert f'/staff/people/{people["steward"].id}/disable' not in body
    assert 'href="/staff/people"' in people["steward_client"].get("/staff/").get_data(as_text=True)
    assert people["reviewer_client"].get("/staff/people").status_code == 403


def test_disabling_through_the_page_ends_every_session_and_sign_in(staff_app, people, clock):
    reviewer_id = people["reviewer"].id
    assert people["reviewer_client"].get("/staff/").status_code == 200
    second = staff_app.test_client()
    sign_in(second, people["reviewer"], clock)
    response = people["steward_client"].post(f"/staff/people/{reviewer_id}/disable")
    assert response.status_code == 302 and response.location.endswith(f"/staff/people#person-{reviewer_id}")
    for client in (people["reviewer_client"], second):
        assert client.get("/staff/").location.endswith("/staff/login")
    assert password_step(staff_app.test_client(), people["reviewer"]).status_code == 200  # refused
    entry = audit(staff_app, "account_disabled")[0]
    assert entry.actor_id == people["steward"].id and entry.target_id == str(reviewer_id)
    assert "Disabled" in people["steward_client"].get("/staff/people").get_data(as_text=True)

    assert people["steward_client"].post(f"/staff/people/{reviewer_id}/enable").status_code == 302
    with staff_app.app_context():
        assert db.session.get(User, reviewer_id).is_active
    assert audit(staff_app, "account_enabled")[0].actor_id == people["steward"].id
    assert password_step(staff_app.test_client(), people["reviewer"]).status_code == 302


def test_a_steward_cannot_disable_themselves_or_drop_their_own_steward_role(staff_app, people):
    me = people["steward"].id
    response = people["steward_client"].post(f"/staff/people/{me}/disable")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "You cannot disable your own account." in body
    assert "<title>Error:" in body and 'class="error-summary"' in body
    response = people["steward_client"].post(f"/staff/people/{me}/revoke", data={"role": "steward"})
    assert "You cannot take the steward role from yourself." in response.get_data(as_text=True)
    with staff_app.app_context():
        user = db.session.get(User, me)
        assert user.is_active and user.role_names == {"steward"} and user.session_epoch == 1
    assert people["steward_client"].get("/staff/").status_code == 200
    assert audit(staff_app, "account_disabled") == [] and audit(staff_app, "role_revoked") == []


def test_revoking_a_role_through_the_page(staff_app, people):
    reviewer_id = people["reviewer"].id
    # A role the account does not hold: a clear error, nothing changed.
    wrong = people["steward_client"].post(f"/staff/people/{reviewer_id}/revoke", data={"role": "steward"})
    assert wrong.status_code == 200 and "does not hold that role" in wrong.get_data(as_text=True)
    assert people["steward_client"].post("/staff/people/999999/revoke", data={"role": "reviewer"}).status_code == 404
    response = people["steward_client"].post(f"/staff/people/{reviewer_id}/revoke", data={"role": "reviewer"})
    assert response.status_code == 302
    with staff_app.app_context():
        assert db.session.get(User, reviewer_id).role_names == set()
    assert people["reviewer_client"].get("/staff/").status_code == 403
    entry = audit(staff_app, "role_revoked")[0]
    assert entry.actor_id == people["steward"].id and entry.changes["role"] == {"before": "reviewer", "after": None}


def test_revoking_membership_deletes_the_members_copy_of_the_organization_key(staff_app, people):
    member_id, org_id = people["member"].id, people["org_id"]
    with staff_app.app_context():
        assert db.session.scalar(select(OrganizationKeySeal).where(OrganizationKeySeal.user_id == member_id))
    response = people["steward_client"].post(f"/staff/people/{member_id}/revoke",
                                             data={"role": "org_member", "organization_id": org_id})
    assert response.status_code == 302
    with staff_app.app_context():
        assert db.session.scalars(select(OrganizationKeySeal).where(OrganizationKeySeal.user_id == member_id)).all() == []
        assert db.session.get(MemberKey, member_id) is None  # a member of no organization keeps no key
        assert db.session.get(User, member_id).organization_ids == set()


def test_revoking_one_membership_keeps_the_others(staff_app, clock):
    from outreach.help import keys

    with staff_app.app_context():
        first, second = factories.organization("First"), factories.organization("Second")
        member = make_staff("both@example.org", [{"role": "org_member", "organization_id": first.id},
                                                 {"role": "org_member", "organization_id": second.id}])
        user = db.session.get(User, member.id)
        keys.ensure_member_key(user, member.password)
        db.session.commit()
        keys.set_up_organization(user, first.id, member.password)
        keys.set_up_organization(user, second.id, member.password)
        services.revoke_role(db.session.get(User, member.id), "org_member", first.id)
        user = db.session.get(User, member.id)
        assert not keys.has_access(user, first.id) and keys.has_access(user, second.id)
        assert keys.organization_private_key(user, second.id, member.password)


def test_people_actions_need_post_and_the_csrf_token(make_app, clock):
    app = make_app(**{**staff_config(), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        reviewer = make_staff("reviewer@example.org", [{"role": "reviewer"}])
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": steward.email, "password": steward.password,
                                      "csrf_token": csrf_token(page)})
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert client.post("/staff/login/code", data={"code": clock.code(steward.secret),
                                                  "csrf_token": csrf_token(page)}).status_code == 302
    assert client.get(f"/staff/people/{reviewer.id}/disable").status_code == 405
    assert client.post(f"/staff/people/{reviewer.id}/disable").status_code == 400
    assert client.post(f"/staff/people/{reviewer.id}/revoke", data={"role": "reviewer"}).status_code == 400
    with app.app_context():
        user = db.session.get(User, reviewer.id)
        assert user.is_active and user.role_names == {"reviewer"}
    token = csrf_token(client.get("/staff/people").get_data(as_text=True))
    assert client.post(f"/staff/people/{reviewer.id}/disable", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert not db.session.get(User, reviewer.id).is_active
