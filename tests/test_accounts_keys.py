"""Accounts and the organization keys of help requests (issue 6, item 6): revoked members lose their copy,
an existing account accepting an invitation keeps its keys, the steward and publishers never hold one,
and a new member receives the key through the invitation an existing member made."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from outreach.accounts import services
from outreach.accounts.models import Invitation, RoleGrant, User
from outreach.audit.models import AuditEntry
from outreach.domain import NotAllowed
from outreach.extensions import db
from outreach.help import crypto, keys
from outreach.help.models import MemberKey, OrganizationKeySeal
from tests import factories
from tests.staff_fixtures import PASSWORD, clock, make_staff, sign_in, staff_app  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db

NEW_PASSWORD = "copper lantern orchard ninety"


def member_with_key(email: str, organization_id: str, *, set_up: bool = False):
    staff = make_staff(email, [{"role": "org_member", "organization_id": organization_id}])
    user = db.session.get(User, staff.id)
    keys.ensure_member_key(user, staff.password)
    db.session.commit()
    if set_up:
        keys.set_up_organization(user, organization_id, staff.password)
    return staff


@pytest.fixture
def org(staff_app, clock):
    """Organization A with its key set up by a first member."""
    with staff_app.app_context():
        organization = factories.organization("Organization A")
        first = member_with_key("first@example.org", organization.id, set_up=True)
        return {"id": organization.id, "first": first}


def accept(client, token, password=NEW_PASSWORD, current=None):
    data = {"display_name": "Newcomer", "password": password, "confirm": password}
    if current is not None:
        data["current_password"] = current
    return client.post(f"/staff/invitations/{token}", data=data)


# -- (a) revoking a membership ------------------------------------------------------------------------


def test_revoking_membership_deletes_the_sealed_key_and_it_no_longer_opens(staff_app, org):
    with staff_app.app_context():
        second = member_with_key("second@example.org", org["id"])
        first = db.session.get(User, org["first"].id)
        keys.grant_access(first, org["id"], PASSWORD, second.id)
        assert keys.organization_private_key(db.session.get(User, second.id), org["id"], PASSWORD)
        services.revoke_role(db.session.get(User, second.id), "org_member", org["id"])
        user = db.session.get(User, second.id)
        assert not keys.has_access(user, org["id"])
        assert db.session.scalars(select(OrganizationKeySeal).where(OrganizationKeySeal.user_id == second.id)).all() == []
        with pytest.raises(crypto.DecryptionFailed):
            keys.organization_private_key(user, org["id"], PASSWORD)
        # The first member keeps theirs.
        assert keys.has_access(db.session.get(User, org["first"].id), org["id"])


# -- (b) an existing account accepts a new invitation ---------------------------------------------------


def test_existing_member_accepting_an_invitation_keeps_their_organization_keys(staff_app, org):
    with staff_app.app_context():
        other = factories.organization("Organization B").id
        _invitation, token = services.create_invitation(
            "first@example.org", [{"role": "org_member", "organization_id": other}])
    client = staff_app.test_client()
    page = client.get(f"/staff/invitations/{token}").get_data(as_text=True)
    assert 'name="current_password"' in page and "If you remember your current password" in page
    response = accept(client, token, current=PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with staff_app.app_context():
        user = db.session.get(User, org["first"].id)
        assert user.organization_ids == {org["id"], other}
        assert keys.has_access(user, org["id"])
        assert keys.organization_private_key(user, org["id"], NEW_PASSWORD)  # the new password opens it
        with pytest.raises(crypto.DecryptionFailed):
            keys.organization_private_key(user, org["id"], PASSWORD)


def test_a_wrong_current_password_changes_nothing(staff_app, org):
    with staff_app.app_context():
        other = factories.organization("Organization B").id
        _invitation, token = services.create_invitation(
            "first@example.org", [{"role": "org_member", "organization_id": other}])
    response = accept(staff_app.test_client(), token, current="not my password at all")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your current password is not right" in body and "<title>Error:" in body
    with staff_app.app_context():
        user = db.session.get(User, org["first"].id)
        assert user.organization_ids == {org["id"]} and keys.has_access(user, org["id"])
        assert keys.organization_private_key(user, org["id"], PASSWORD)
        assert db.session.scalar(select(Invitation)).used_at is None


def test_a_forgotten_password_resets_through_the_invitation_and_loses_only_the_keys(staff_app, org):
    """Without the old password the old member key cannot be opened: no escrow, so access is lost (and
    said so on the page); the roles and the account remain."""
    with staff_app.app_context():
        _invitation, token = services.create_invitation("first@example.org", [{"role": "reviewer"}])
    assert accept(staff_app.test_client(), token, current="").status_code == 302
    with staff_app.app_context():
        user = db.session.get(User, org["first"].id)
        assert user.role_names == {"org_member", "reviewer"} and not keys.has_access(user, org["id"])
        assert db.session.get(MemberKey, user.id) is not None  # a new key, ready to be granted access again


# -- (c) the steward and outreach publishers never hold an organization key -----------------------------


def test_the_steward_can_never_be_an_organization_member(staff_app, org, clock):
    with staff_app.app_context():
        steward = make_staff("steward@example.org", [{"role": "steward"}])
        with pytest.raises(services.RoleConflict):
            services.grant_role(db.session.get(User, steward.id), "org_member", org["id"])
        db.session.rollback()
        with pytest.raises(services.RoleConflict):
            services.grant_role(db.session.get(User, org["first"].id), "steward")
        db.session.rollback()
        with pytest.raises(services.RoleConflict):
            services.create_invitation("both@example.org", [{"role": "steward"},
                                                            {"role": "org_member", "organization_id": org["id"]}])
        with pytest.raises(services.RoleConflict):
            services.create_invitation("first@example.org", [{"role": "steward"}])
        assert db.session.get(User, steward.id).role_names == {"steward"}
    client = staff_app.test_client()
    sign_in(client, steward, clock)
    response = client.post("/staff/invitations/new", data={
        "email": "x@example.org", "roles": ["steward", "org_member"], "organization_id": org["id"]})
    assert "The site steward cannot also be a member of an organization." in response.get_data(as_text=True)
    with staff_app.app_context():
        assert db.session.scalar(select(Invitation)) is None


@pytest.mark.parametrize("role", ["steward", "outreach_publisher"])
def test_key_grants_refuse_stewards_and_publishers_even_if_a_grant_slipped_in(staff_app, org, role):
    with staff_app.app_context():
        other = member_with_key("other@example.org", org["id"])
        db.session.add(RoleGrant(user_id=other.id, role=role))  # past check_roles, straight in the database
        db.session.commit()
        first = db.session.get(User, org["first"].id)
        with pytest.raises(NotAllowed):
            keys.grant_access(first, org["id"], PASSWORD, other.id)
        db.session.rollback()
        assert not keys.has_access(db.session.get(User, other.id), org["id"])


# -- (d) the key travels with a member's invitation -----------------------------------------------------


def test_a_member_invites_a_colleague_who_can_read_from_the_first_sign_in(staff_app, org, clock):
    client = staff_app.test_client()
    sign_in(client, org["first"], clock)
    page = client.get(f"/staff/organizations/{org['id']}/invite").get_data(as_text=True)
    assert 'name="password"' in page
    # The password is needed to unlock the key, and must be right: nothing is made otherwise.
    missing = client.post(f"/staff/organizations/{org['id']}/invite", data={"email": "new@example.org"})
    assert "Enter your password" in missing.get_data(as_text=True)
    wrong = client.post(f"/staff/organizations/{org['id']}/invite",
                        data={"email": "new@example.org", "password": "not my password at all"})
    assert "Your password is not right." in wrong.get_data(as_text=True)
    with staff_app.app_context():
        assert db.session.scalar(select(Invitation)) is None
    made = client.post(f"/staff/organizations/{org['id']}/invite",
                       data={"email": "New@Example.org", "display_name": "New", "password": PASSWORD})
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and "carries your organization" in body
    token = re.search(r"/staff/invitations/([A-Za-z0-9_-]{20,})", body).group(1)
    with staff_app.app_context():
        invitation = db.session.scalar(select(Invitation))
        stored = repr(invitation.roles) + invitation.token_hash
        organization_private = keys.organization_private_key(db.session.get(User, org["first"].id), org["id"], PASSWORD)
        assert token not in stored and organization_private.hex() not in stored
        import base64

        assert base64.b64encode(organization_private).decode() not in stored
        assert invitation.roles[0]["role"] == "org_member" and invitation.roles[0]["wrapped_key"]
        # A different token does not open what is stored.
        assert not keys.accept_invited_key(db.session.get(User, org["first"].id), org["id"],
                                           invitation.roles[0]["wrapped_key"], token + "x")
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invitation_created"))
        assert entry.actor_id == org["first"].id and entry.changes["organization_keys"] == [org["id"]]
        assert "wrapped_key" not in repr(entry.changes["roles"])

    assert accept(staff_app.test_client(), token).status_code == 302
    with staff_app.app_context():
        newcomer = services.user_by_email("new@example.org")
        assert newcomer.organization_ids == {org["id"]} and keys.has_access(newcomer, org["id"])
        assert keys.organization_private_key(newcomer, org["id"], NEW_PASSWORD) == organization_private
        invitation = db.session.scalar(select(Invitation))
        assert all("wrapped_key" not in grant for grant in invitation.roles)  # not kept once used


def test_a_member_without_the_key_invites_without_it(staff_app, clock):
    with staff_app.app_context():
        organization = factories.organization("Not set up")
        member = member_with_key("solo@example.org", organization.id)
        org_id = organization.id
    client = staff_app.test_client()
    sign_in(client, member, clock)
    page = client.get(f"/staff/organizations/{org_id}/invite").get_data(as_text=True)
    assert 'name="password"' not in page and "cannot carry it" in page
    made = client.post(f"/staff/organizations/{org_id}/invite", data={"email": "new@example.org"})
    token = re.search(r"/staff/invitations/([A-Za-z0-9_-]{20,})", made.get_data(as_text=True)).group(1)
    assert accept(staff_app.test_client(), token).status_code == 302
    with staff_app.app_context():
        assert services.user_by_email("new@example.org").organization_ids == {org_id}


def test_members_invite_only_to_their_own_organization(staff_app, org, clock):
    with staff_app.app_context():
        other = factories.organization("Organization B").id
        outsider = member_with_key("b@example.org", other)
    client = staff_app.test_client()
    sign_in(client, outsider, clock)
    assert client.get(f"/staff/organizations/{org['id']}/invite").status_code == 404
    response = client.post(f"/staff/organizations/{org['id']}/invite", data={"email": "x@example.org", "password": PASSWORD})
    assert response.status_code == 404
    with staff_app.app_context():
        assert db.session.scalar(select(Invitation)) is None
