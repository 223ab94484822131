"""Racing acceptances of invitation links: one link makes exactly one account, and of many
first registrations exactly one becomes the portal's administrator while the rest join.

Set up over the API, then raced with threads calling the service directly. Only on DynamoDB
Local: moto's in-memory store is not thread-safe (see test_concurrency).
"""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, PortwayError
from chalicelib.models import DirectoryEntry, PortalUser
from chalicelib.schemas.portal_access import AcceptedInvitation, InvitationAccept
from chalicelib.services.portals import invitations
from chalicelib.tenancy import Caller
from tests.races import race

RACERS = 50
PASSWORD = "a long and uncommon passphrase"
pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)


def _portal(api):
    created = api.post("/v1/customers", {"name": "Contested GmbH"})
    assert created.status_code == 201, created.body
    customer_id = created.json_body["id"]
    portal = api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["equipment"]})
    assert portal.status_code == 200, portal.body
    assert portal.json_body["status"] == "invited"
    return customer_id


def _invite(api, customer_id, **body):
    created = api.post(f"/v1/customers/{customer_id}/portal/invitations", body)
    assert created.status_code == 201, created.body
    return created.json_body


def _acceptance(invitation, email):
    data = InvitationAccept(
        token=invitation["url"].split("#token=", 1)[1],
        email=email,
        name=f"Person {email.split('@')[0]}",
        password=PASSWORD,
        accept_terms=True,
    )
    return (Caller(None), data)


def _stored_users(tenant, customer_id):
    prefix = PortalUser.prefix_for(customer_id)
    return list(
        PortalUser.query(tenant.id, PortalUser.user_key.startswith(prefix), consistent_read=True)
    )


def _has_login(tenant, portal_id, email):
    key = DirectoryEntry.login_key(tenant.id, portal_id, email)
    return DirectoryEntry.count(key, consistent_read=True) == 1


def _statuses(api, customer_id):
    listed = api.get(f"/v1/customers/{customer_id}/portal/invitations?limit=100")
    assert listed.status_code == 200, listed.body
    return {item["id"]: item["status"] for item in listed.json_body["items"]}


def test_fifty_people_racing_for_one_link_make_exactly_one_account(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)  # no e-mail: anyone with the link may take it
    emails = [f"racer{i}@example.com" for i in range(RACERS)]

    outcomes = race(invitations.accept, [_acceptance(invitation, e) for e in emails])

    winners = [o for o in outcomes if isinstance(o, AcceptedInvitation)]
    losers = [o for o in outcomes if not isinstance(o, AcceptedInvitation)]
    assert len(winners) == 1, [repr(o) for o in outcomes]
    assert all(isinstance(o, Conflict) for o in losers), {repr(o) for o in losers}
    [winner] = winners
    assert winner.user.role == "portal_admin"

    users = _stored_users(tenant, customer_id)
    assert [u.user_id for u in users] == [winner.user.id]
    portal = api.get(f"/v1/customers/{customer_id}/portal").json_body
    assert [e for e in emails if _has_login(tenant, portal["id"], e)] == [winner.user.email]
    assert portal["status"] == "active"
    assert portal["admin"]["id"] == winner.user.id
    assert _statuses(api, customer_id) == {invitation["id"]: "used"}
    accepts = api.get("/v1/events?type=portal.invitation_accepted&limit=100").json_body["items"]
    assert [(e["object_id"], e["data"]["user_id"]) for e in accepts] == [
        (invitation["id"], winner.user.id)
    ]


def test_fifty_first_registrations_through_their_own_links_make_one_admin(api, tenant):
    customer_id = _portal(api)
    emails = [f"founder{i}@example.com" for i in range(RACERS)]
    links = [_invite(api, customer_id, email=e) for e in emails]
    assert {link["role"] for link in links} == {"portal_admin"}  # all made while `invited`

    outcomes = race(
        invitations.accept, [_acceptance(link, e) for link, e in zip(links, emails, strict=True)]
    )

    failures = [repr(o) for o in outcomes if not isinstance(o, AcceptedInvitation)]
    assert not failures, failures
    admins = [o.user for o in outcomes if o.user.role == "portal_admin"]
    assert len(admins) == 1, [o.user.role for o in outcomes]
    [admin] = admins
    assert {o.user.role for o in outcomes if o.user.id != admin.id} == {"portal_user"}

    users = _stored_users(tenant, customer_id)
    assert sorted(u.email for u in users) == sorted(emails)
    assert [u.user_id for u in users if u.role == "portal_admin"] == [admin.id]
    portal = api.get(f"/v1/customers/{customer_id}/portal").json_body
    assert portal["status"] == "active"
    assert portal["admin"] == {"id": admin.id, "name": admin.name, "email": admin.email}
    assert set(_statuses(api, customer_id).values()) == {"used"}


# --- one request landing inside another's read-then-write window ----------------------------


@pytest.mark.parametrize("withdrawal", ["revoke", "replace"])
def test_a_link_withdrawn_while_it_is_being_accepted_is_401(api, tenant, monkeypatch, withdrawal):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    hash_password = invitations.passwords.hash_password

    def hash_then_withdraw(password):
        hashed = hash_password(password)
        if withdrawal == "revoke":  # another request, in the window
            path = f"/v1/customers/{customer_id}/portal/invitations/{invitation['id']}"
            assert api.delete(path).status_code == 204
        else:
            _invite(api, customer_id, email="ann@example.com")
        return hashed

    monkeypatch.setattr(invitations.passwords, "hash_password", hash_then_withdraw)
    with pytest.raises(PortwayError) as refused:
        invitations.accept(*_acceptance(invitation, "ann@example.com"))
    assert _stored_users(tenant, customer_id) == []
    portal_id = api.get(f"/v1/customers/{customer_id}/portal").json_body["id"]
    assert not _has_login(tenant, portal_id, "ann@example.com")
    assert refused.value.status == 401, repr(refused.value)


def test_a_link_used_while_a_new_one_replaces_it_leaves_no_half_done_state(
    api, tenant, monkeypatch
):
    """The open link a new one replaces is accepted between the read and the write: the
    create either goes through (nothing left to replace) or is refused whole (409)."""
    customer_id = _portal(api)
    old = _invite(api, customer_id, email="ann@example.com")
    previous = invitations._previous

    def read_then_lose_the_link(*args):
        found = previous(*args)
        invitations.accept(*_acceptance(old, "ann@example.com"))  # another request
        return found

    monkeypatch.setattr(invitations, "_previous", read_then_lose_the_link)
    created = api.post(
        f"/v1/customers/{customer_id}/portal/invitations", {"email": "ann@example.com"}
    )
    monkeypatch.undo()
    assert [u.email for u in _stored_users(tenant, customer_id)] == ["ann@example.com"]
    assert created.status_code in (201, 409), created.body
    expected = {old["id"]: "used"}
    if created.status_code == 201:
        expected[created.json_body["id"]] = "open"
    assert _statuses(api, customer_id) == expected


@pytest.mark.parametrize("email", ["ann@example.com", None], ids=["same-email", "no-email"])
def test_two_links_created_at_once_for_one_person_leave_one_open(api, monkeypatch, email):
    customer_id = _portal(api)
    body = {} if email is None else {"email": email}
    previous = invitations._previous
    nested = []

    def read_then_another_create(*args):
        found = previous(*args)
        if not nested:  # another request, in the window
            nested.append(True)
            _invite(api, customer_id, **body)
        return found

    monkeypatch.setattr(invitations, "_previous", read_then_another_create)
    outer = api.post(f"/v1/customers/{customer_id}/portal/invitations", body)
    monkeypatch.undo()
    statuses = _statuses(api, customer_id)
    assert outer.status_code in (201, 409), outer.body
    # The loser is refused whole (nothing stored) or replaces the other: one link is open.
    assert len(statuses) == (2 if outer.status_code == 201 else 1)
    assert list(statuses.values()).count("open") == 1, statuses
