"""Invitation links over HTTP: creating, listing, replacing and revoking them, accepting one
into a portal account (the first person becomes the portal's administrator), and every way a
link is refused without anything being created."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import Forbidden, Invalid, RateLimited, Unauthorized
from chalicelib.ids import digest
from chalicelib.schemas.portal_access import InvitationAccept, InvitationCreate
from chalicelib.services.platform import ratelimit
from chalicelib.services.portals import invitations
from chalicelib.tenancy import Caller, authenticate_api_key
from tests.conftest import problem

ACCEPT = "/v1/portal/invitations/accept"
PASSWORD = "a long and uncommon passphrase"
CREATED_FIELDS = {"id", "url", "email", "role", "expires_at", "sent_to"}
LISTED_FIELDS = {"id", "customer_id", "email", "role", "status", "created_at", "expires_at"}
SESSION_FIELDS = {"access_token", "refresh_token", "token_type", "expires_in", "user"}


def _text(response):
    body = response.body
    return body.decode() if isinstance(body, bytes) else (body or "")


def _time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _portal(api, name="Nordbau GmbH", apps=("equipment", "activity")):
    """A customer with a portal nobody has taken over yet: its id."""
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    customer_id = created.json_body["id"]
    portal = api.put(f"/v1/customers/{customer_id}/portal", {"apps": list(apps)})
    assert portal.status_code == 200, portal.body
    assert portal.json_body["status"] == "invited"
    return customer_id


def _path(customer_id, invitation_id=None):
    base = f"/v1/customers/{customer_id}/portal/invitations"
    return base if invitation_id is None else f"{base}/{invitation_id}"


def _invite(api, customer_id, **body):
    created = api.post(_path(customer_id), body)
    assert created.status_code == 201, created.body
    return created.json_body


def _secret(invitation):
    return invitation["url"].split("#token=", 1)[1]


def _accept(api, token, email, **fields):
    body = {
        "token": token,
        "email": email,
        "name": "Ann Admin",
        "password": PASSWORD,
        "accept_terms": True,
        **fields,
    }
    return api.as_key(None).post(ACCEPT, body)


def _accepted(api, token, email, **fields):
    response = _accept(api, token, email, **fields)
    assert response.status_code == 201, response.body
    return response.json_body


def _listed(api, customer_id):
    response = api.get(_path(customer_id) + "?limit=100")
    assert response.status_code == 200, response.body
    return {item["id"]: item for item in response.json_body["items"]}


def _status(api, customer_id, invitation_id):
    return _listed(api, customer_id)[invitation_id]["status"]


def _read_portal(api, customer_id):
    response = api.get(f"/v1/customers/{customer_id}/portal")
    assert response.status_code == 200, response.body
    return response.json_body


def _sign_in(api, tenant, email, password=PASSWORD):
    return api.as_key(None).post(
        "/v1/portal/sessions", {"tenant": tenant.slug, "email": email, "password": password}
    )


def _audit_events(api, action=None):
    response = api.get("/v1/audit-events?limit=100")
    assert response.status_code == 200, response.body
    return [e for e in response.json_body["items"] if action is None or e["action"] == action]


def _users(api, access_token):
    response = api.as_key(access_token).get("/v1/portal/users")
    assert response.status_code == 200, response.body
    return response.json_body["items"]


def _refused(response, status):
    body = problem(response)
    assert body["status"] == status, body
    return body


def _invalid(response, field):
    body = _refused(response, 422)
    assert field in [e["field"] for e in body["errors"]], body
    return body


def _nothing_created(api, tenant, customer_id, *emails, accepted_before=0):
    """No account for any of the e-mails, the portal still waits for its administrator,
    and no acceptance was logged beyond those before."""
    portal = _read_portal(api, customer_id)
    assert portal["status"] == "invited"
    assert portal["admin"] is None
    for email in emails:
        _refused(_sign_in(api, tenant, email), 401)
    assert len(_audit_events(api, "portal.invitation_accepted")) == accepted_before


def _only_user_is(api, session):
    """The session's user is the portal's one and only person."""
    assert [u["id"] for u in _users(api, session["access_token"])] == [session["user"]["id"]]


@pytest.fixture
def ctx(tenant):
    return authenticate_api_key(f"Bearer {tenant.key}")


def _accept_data(token, email, **fields):
    return InvitationAccept(
        **{
            "token": token,
            "email": email,
            "name": "Ann Admin",
            "password": PASSWORD,
            "accept_terms": True,
            **fields,
        }
    )


# --- creating a link -------------------------------------------------------------------------


def test_create_answers_201_with_id_url_email_role_and_a_7_day_expiry(api, tenant):
    customer_id = _portal(api)
    before = datetime.now(UTC)
    created = api.post(_path(customer_id), {"email": "ann@example.com"})
    after = datetime.now(UTC)
    assert created.status_code == 201, created.body
    invitation = created.json_body
    assert set(invitation) == CREATED_FIELDS
    assert invitation["id"].startswith("inv_")
    assert invitation["email"] == "ann@example.com"
    assert invitation["role"] == "portal_admin"
    assert invitation["expires_at"].endswith("Z")
    expires = _time(invitation["expires_at"])
    assert before + timedelta(days=7) - timedelta(seconds=1) <= expires
    assert expires <= after + timedelta(days=7)
    # the secret rides in the fragment of a link to the tenant's page, and only there
    page, _, secret = invitation["url"].partition("#token=")
    assert f"/p/{tenant.slug}/invite" in page
    assert secret.startswith("pwi_")
    assert len(secret) >= 40
    assert secret not in page


def test_two_links_have_different_ids_and_secrets(api):
    customer_id = _portal(api)
    first = _invite(api, customer_id, email="ann@example.com")
    second = _invite(api, customer_id, email="bob@example.com")
    assert first["id"] != second["id"]
    assert _secret(first) != _secret(second)


@pytest.mark.parametrize("days", [1, 30])
def test_expires_in_days_sets_the_expiry(api, days):
    customer_id = _portal(api)
    before = datetime.now(UTC)
    invitation = _invite(api, customer_id, expires_in_days=days)
    expires = _time(invitation["expires_at"])
    assert before + timedelta(days=days) - timedelta(seconds=1) <= expires
    assert expires <= datetime.now(UTC) + timedelta(days=days)


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in_days": 0},
        {"expires_in_days": 31},
        {"expires_in_days": -1},
        {"expires_in_days": "7"},
    ],
)
def test_expires_in_days_outside_1_to_30_is_422_and_creates_nothing(api, body):
    customer_id = _portal(api)
    _invalid(api.post(_path(customer_id), body), "expires_in_days")
    assert _listed(api, customer_id) == {}


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com", ""])
def test_an_invalid_email_is_422(api, email):
    customer_id = _portal(api)
    _invalid(api.post(_path(customer_id), {"email": email}), "email")
    assert _listed(api, customer_id) == {}


def test_the_invitations_email_is_stored_in_lower_case(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="Ann.Smith@Example.COM")
    assert invitation["email"] == "ann.smith@example.com"
    assert _listed(api, customer_id)[invitation["id"]]["email"] == "ann.smith@example.com"


def test_a_link_without_email_says_so(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    assert invitation["email"] is None
    assert _listed(api, customer_id)[invitation["id"]]["email"] is None


def test_a_customer_without_a_portal_or_an_unknown_customer_is_404(api):
    created = api.post("/v1/customers", {"name": "No portal yet"})
    for customer_id in (created.json_body["id"], "cus_00000000000000000000000000"):
        _refused(api.post(_path(customer_id), {"email": "ann@example.com"}), 404)
    _refused(api.get(_path("cus_00000000000000000000000000")), 404)
    # A customer's invitations are listed whether or not it has a portal right now.
    listed = api.get(_path(created.json_body["id"]))
    assert listed.status_code == 200, listed.body
    assert listed.json_body["items"] == []


def test_a_link_made_after_the_portal_was_taken_over_is_for_a_portal_user(api):
    customer_id = _portal(api)
    _accepted(api, _secret(_invite(api, customer_id)), "ann@example.com")
    later = _invite(api, customer_id, email="bob@example.com")
    assert later["role"] == "portal_user"
    assert _listed(api, customer_id)[later["id"]]["role"] == "portal_user"
    bob = _accepted(api, _secret(later), "bob@example.com", name="Bob")
    assert bob["user"]["role"] == "portal_user"


def test_a_read_only_key_can_list_but_not_create_or_revoke_403(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    key = api.post("/v1/api-keys", {"name": "Reader", "scopes": ["read"]})
    assert key.status_code == 201, key.body
    reader = api.as_key(key.json_body["key"])

    _refused(reader.post(_path(customer_id), {"email": "bob@example.com"}), 403)
    _refused(reader.delete(_path(customer_id, invitation["id"])), 403)

    listed = reader.get(_path(customer_id))
    assert listed.status_code == 200, listed.body
    assert [i["id"] for i in listed.json_body["items"]] == [invitation["id"]]
    assert listed.json_body["items"][0]["status"] == "open"
    _accepted(api, _secret(invitation), "ann@example.com")


def test_without_credentials_nothing_about_invitations_is_reachable_401(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    anonymous = api.as_key(None)
    _refused(anonymous.post(_path(customer_id), {}), 401)
    _refused(anonymous.get(_path(customer_id)), 401)
    _refused(anonymous.delete(_path(customer_id, invitation["id"])), 401)
    assert _status(api, customer_id, invitation["id"]) == "open"


# --- listing ---------------------------------------------------------------------------------


def test_list_shows_every_status_oldest_first_and_never_a_secret(api, ctx):
    customer_id = _portal(api)
    used = _invite(api, customer_id, email="used@example.com")
    revoked = _invite(api, customer_id, email="revoked@example.com")
    replaced = _invite(api, customer_id, email="replaced@example.com")
    replacing = _invite(api, customer_id, email="replaced@example.com")
    expired = invitations.create(
        ctx,
        customer_id,
        InvitationCreate(email="late@example.com", expires_in_days=1),
        clock=lambda: datetime.now(UTC) - timedelta(days=2),
    )
    _accepted(api, _secret(used), "used@example.com")
    assert api.delete(_path(customer_id, revoked["id"])).status_code == 204

    response = api.get(_path(customer_id))
    assert response.status_code == 200, response.body
    items = response.json_body["items"]
    assert [i["id"] for i in items] == [
        used["id"],
        revoked["id"],
        replaced["id"],
        replacing["id"],
        expired.id,
    ]
    assert [i["status"] for i in items] == ["used", "revoked", "replaced", "open", "expired"]
    for item in items:
        assert set(item) == LISTED_FIELDS
        assert item["customer_id"] == customer_id
        assert item["created_at"].endswith("Z")
    text = _text(response)
    for invitation in (used, revoked, replaced, replacing):
        assert _secret(invitation) not in text
        assert digest(_secret(invitation)) not in text
    assert expired.url.split("#token=")[1] not in text


def test_list_pages_through_every_invitation_once(api):
    customer_id = _portal(api)
    ids = [_invite(api, customer_id, email=f"p{i}@example.com")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get(_path(customer_id) + "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.body
        seen += [i["id"] for i in page.json_body["items"]]
        cursor = page.json_body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_list_shows_only_this_customers_invitations(api):
    first, second = _portal(api, "First"), _portal(api, "Second")
    mine = _invite(api, first, email="ann@example.com")
    theirs = _invite(api, second, email="ann@example.com")
    assert list(_listed(api, first)) == [mine["id"]]
    assert list(_listed(api, second)) == [theirs["id"]]


# --- replacing -------------------------------------------------------------------------------


def test_a_new_link_for_the_same_email_replaces_the_open_one(api, tenant):
    customer_id = _portal(api)
    old = _invite(api, customer_id, email="ann@example.com")
    new = _invite(api, customer_id, email="ANN@example.com")
    listed = _listed(api, customer_id)
    assert listed[old["id"]]["status"] == "replaced"
    assert listed[new["id"]]["status"] == "open"

    _refused(_accept(api, _secret(old), "ann@example.com"), 401)
    _nothing_created(api, tenant, customer_id, "ann@example.com")
    session = _accepted(api, _secret(new), "ann@example.com")
    assert session["user"]["role"] == "portal_admin"
    _only_user_is(api, session)


def test_a_new_link_without_email_replaces_the_open_one_without_email(api, tenant):
    customer_id = _portal(api)
    old = _invite(api, customer_id)
    new = _invite(api, customer_id)
    listed = _listed(api, customer_id)
    assert (listed[old["id"]]["status"], listed[new["id"]]["status"]) == ("replaced", "open")
    _refused(_accept(api, _secret(old), "ann@example.com"), 401)
    _nothing_created(api, tenant, customer_id, "ann@example.com")
    _accepted(api, _secret(new), "ann@example.com")


def test_links_for_other_people_or_other_customers_are_not_replaced(api):
    customer_id, other_customer = _portal(api, "First"), _portal(api, "Second")
    ann = _invite(api, customer_id, email="ann@example.com")
    anyone = _invite(api, customer_id)
    _invite(api, customer_id, email="bob@example.com")
    _invite(api, other_customer, email="ann@example.com")
    _invite(api, other_customer)
    listed = _listed(api, customer_id)
    assert [i["status"] for i in listed.values()] == ["open", "open", "open"]
    _accepted(api, _secret(ann), "ann@example.com")
    _accepted(api, _secret(anyone), "carol@example.com")


def test_a_used_or_revoked_link_is_not_replaced(api):
    customer_id = _portal(api)
    used = _invite(api, customer_id, email="ann@example.com")
    _accepted(api, _secret(used), "ann@example.com")
    revoked = _invite(api, customer_id, email="bob@example.com")
    assert api.delete(_path(customer_id, revoked["id"])).status_code == 204
    _invite(api, customer_id, email="ann@example.com")
    _invite(api, customer_id, email="bob@example.com")
    listed = _listed(api, customer_id)
    assert listed[used["id"]]["status"] == "used"
    assert listed[revoked["id"]]["status"] == "revoked"


# --- revoking --------------------------------------------------------------------------------


def test_revoke_answers_204_and_the_link_stops_working(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    revoked = api.delete(_path(customer_id, invitation["id"]))
    assert revoked.status_code == 204, revoked.body
    assert not _text(revoked)
    assert _status(api, customer_id, invitation["id"]) == "revoked"
    _refused(_accept(api, _secret(invitation), "ann@example.com"), 401)
    _nothing_created(api, tenant, customer_id, "ann@example.com")


def test_revoking_twice_is_409(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    assert api.delete(_path(customer_id, invitation["id"])).status_code == 204
    _refused(api.delete(_path(customer_id, invitation["id"])), 409)
    assert _status(api, customer_id, invitation["id"]) == "revoked"


def test_revoking_a_used_or_replaced_link_is_409_and_keeps_its_status(api):
    customer_id = _portal(api)
    used = _invite(api, customer_id, email="ann@example.com")
    session = _accepted(api, _secret(used), "ann@example.com")
    replaced = _invite(api, customer_id, email="bob@example.com")
    _invite(api, customer_id, email="bob@example.com")
    _refused(api.delete(_path(customer_id, used["id"])), 409)
    _refused(api.delete(_path(customer_id, replaced["id"])), 409)
    listed = _listed(api, customer_id)
    assert (listed[used["id"]]["status"], listed[replaced["id"]]["status"]) == (
        "used",
        "replaced",
    )
    _only_user_is(api, session)


def test_revoking_an_unknown_invitation_or_through_another_customer_is_404(api):
    customer_id, other_customer = _portal(api, "First"), _portal(api, "Second")
    invitation = _invite(api, customer_id, email="ann@example.com")
    _refused(api.delete(_path(customer_id, "inv_00000000000000000000000000")), 404)
    _refused(api.delete(_path(other_customer, invitation["id"])), 404)
    assert _status(api, customer_id, invitation["id"]) == "open"
    _accepted(api, _secret(invitation), "ann@example.com")


# --- tenancy ---------------------------------------------------------------------------------


def test_another_tenants_provider_cannot_list_or_revoke_the_links_404(api, other_api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    _portal(other_api)  # tenant B has portals of its own

    _refused(other_api.get(_path(customer_id)), 404)
    _refused(other_api.delete(_path(customer_id, invitation["id"])), 404)
    _refused(other_api.post(_path(customer_id), {"email": "mallory@example.com"}), 404)
    assert list(_listed(api, customer_id)) == [invitation["id"]]
    assert _status(api, customer_id, invitation["id"]) == "open"
    _accepted(api, _secret(invitation), "ann@example.com")


def test_the_accepted_session_is_in_the_invited_customers_portal(api, other_api, tenant):
    customer_id = _portal(api, "Nordbau GmbH", apps=("equipment", "reports"))
    _portal(api, "Somebody Else")
    portal = _read_portal(api, customer_id)
    invitation = _invite(api, customer_id, email="ann@example.com")
    session = _accepted(api, _secret(invitation), "ann@example.com", name="Ann Admin")

    me = api.as_key(session["access_token"]).get("/v1/portal/me")
    assert me.status_code == 200, me.body
    body = me.json_body
    assert body["customer"] == {"id": customer_id, "name": "Nordbau GmbH"}
    assert body["portal"]["id"] == portal["id"]
    assert body["portal"]["apps"] == ["equipment", "reports"]
    assert body["role"] == "portal_admin"
    assert body["read_only"] is False
    assert body["user"] == session["user"]
    # the account signs in at this tenant only
    assert _sign_in(api, tenant, "ann@example.com").status_code == 200
    other_slug = other_api.get("/v1/tenant").json_body["slug"]
    refused = api.as_key(None).post(
        "/v1/portal/sessions",
        {"tenant": other_slug, "email": "ann@example.com", "password": PASSWORD},
    )
    _refused(refused, 401)


# --- accepting -------------------------------------------------------------------------------


def test_the_first_acceptance_is_201_and_makes_that_person_the_portals_admin(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    accepted = _accept(api, _secret(invitation), "ann@example.com", name="Ann Admin")
    assert accepted.status_code == 201, accepted.body
    session = accepted.json_body
    assert set(session) == SESSION_FIELDS
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] > 0
    assert session["access_token"]
    assert session["refresh_token"]
    user = session["user"]
    assert set(user) == {"id", "email", "name", "role", "created_at", "sso_issuer"}
    assert user["sso_issuer"] is None
    assert user["id"].startswith("usr_")
    assert (user["email"], user["name"], user["role"]) == (
        "ann@example.com",
        "Ann Admin",
        "portal_admin",
    )

    portal = _read_portal(api, customer_id)
    assert portal["status"] == "active"
    assert portal["admin"] == {"id": user["id"], "name": "Ann Admin", "email": "ann@example.com"}
    assert _status(api, customer_id, invitation["id"]) == "used"
    assert _sign_in(api, tenant, "ann@example.com").status_code == 200
    _only_user_is(api, session)


def test_later_acceptances_through_other_links_get_portal_user(api):
    customer_id = _portal(api)
    # both made while the portal waits for its administrator: both offer the admin role
    first = _invite(api, customer_id, email="ann@example.com")
    second = _invite(api, customer_id, email="bob@example.com")
    assert first["role"] == second["role"] == "portal_admin"

    ann = _accepted(api, _secret(first), "ann@example.com", name="Ann")
    bob = _accepted(api, _secret(second), "bob@example.com", name="Bob")
    carol = _accepted(
        api, _secret(_invite(api, customer_id, email="carol@example.com")), "carol@example.com"
    )
    assert ann["user"]["role"] == "portal_admin"
    assert bob["user"]["role"] == "portal_user"
    assert carol["user"]["role"] == "portal_user"

    portal = _read_portal(api, customer_id)
    assert portal["status"] == "active"
    assert portal["admin"] == {"id": ann["user"]["id"], "name": "Ann", "email": "ann@example.com"}
    roles = {u["email"]: u["role"] for u in _users(api, ann["access_token"])}
    assert roles == {
        "ann@example.com": "portal_admin",
        "bob@example.com": "portal_user",
        "carol@example.com": "portal_user",
    }
    # a portal user is no administrator
    _refused(api.as_key(bob["access_token"]).get("/v1/portal/users"), 403)


def test_a_session_from_a_link_sees_only_the_apps_the_portal_has_now(api, tenant):
    customer_id = _portal(api, apps=("equipment", "activity"))
    invitation = _invite(api, customer_id, email="ann@example.com")
    # the provider takes the equipment app away before the link is used
    changed = api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["activity"]})
    assert changed.status_code == 200, changed.body
    session = _accepted(api, _secret(invitation), "ann@example.com")
    me = api.as_key(session["access_token"]).get("/v1/portal/me").json_body
    assert me["portal"]["apps"] == ["activity"]
    # a later sign-in is refused the removed app; the link's own session must be too
    signed_in = _sign_in(api, tenant, "ann@example.com").json_body
    _refused(api.as_key(signed_in["access_token"]).get("/v1/portal/assets"), 403)
    _refused(api.as_key(session["access_token"]).get("/v1/portal/assets"), 403)


def test_a_link_to_a_portal_taken_away_creates_nothing(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    assert api.delete(f"/v1/customers/{customer_id}/portal").status_code == 204
    refused = _accept(api, _secret(invitation), "ann@example.com")
    assert refused.status_code in (401, 404, 409, 410), refused.body
    problem(refused)
    _refused(_sign_in(api, tenant, "ann@example.com"), 401)
    assert _audit_events(api, "portal.invitation_accepted") == []


def test_a_link_without_email_takes_any_email(api):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    session = _accepted(api, _secret(invitation), "Whoever@Example.com")
    assert session["user"]["email"] == "whoever@example.com"


def test_the_email_is_compared_without_regard_to_case(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    session = _accepted(api, _secret(invitation), "ANN@Example.COM")
    assert session["user"]["email"] == "ann@example.com"
    assert _sign_in(api, tenant, "Ann@example.com").status_code == 200


# --- refusing a link: nothing is created -----------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        lambda real, tenant: "pwi_" + "A" * 43,
        lambda real, tenant: real[:-1] + ("B" if real[-1] != "B" else "C"),
        lambda real, tenant: real + "x",
        lambda real, tenant: real.removeprefix("pwi_"),
        lambda real, tenant: "pwk_" + real.removeprefix("pwi_"),
        lambda real, tenant: digest(real),
        lambda real, tenant: tenant.key,  # a real secret of another kind
        lambda real, tenant: "x",
    ],
    ids=["unknown", "altered", "longer", "no-prefix", "other-prefix", "digest", "api-key", "short"],
)
def test_an_unknown_or_forged_token_is_401_and_creates_nothing(api, tenant, forge):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    refused = _refused(_accept(api, forge(_secret(invitation), tenant), "ann@example.com"), 401)
    assert refused["type"] == "urn:portway:problem:unauthorized"
    _nothing_created(api, tenant, customer_id, "ann@example.com")
    assert _status(api, customer_id, invitation["id"]) == "open"
    _only_user_is(api, _accepted(api, _secret(invitation), "ann@example.com"))


@pytest.mark.parametrize("token", ["", " ", "pwi_ space", "pwi_\u00e9t\u00e9", "pwi_" + "a" * 200])
def test_a_malformed_token_is_422_or_401_and_creates_nothing(api, tenant, token):
    customer_id = _portal(api)
    response = _accept(api, token, "ann@example.com")
    assert response.status_code in (401, 422), response.body
    problem(response)
    _nothing_created(api, tenant, customer_id, "ann@example.com")


def test_a_used_link_is_409_and_creates_nothing_more(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    ann = _accepted(api, _secret(invitation), "ann@example.com")
    again = _accept(api, _secret(invitation), "bob@example.com", name="Bob")
    _refused(again, 409)
    same = _accept(api, _secret(invitation), "ann@example.com")
    _refused(same, 409)
    _refused(_sign_in(api, tenant, "bob@example.com"), 401)
    _only_user_is(api, ann)
    assert len(_audit_events(api, "portal.invitation_accepted")) == 1


def test_an_email_other_than_the_invitations_is_403_and_the_link_stays_usable(api, tenant):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    _refused(_accept(api, _secret(invitation), "mallory@example.com"), 403)
    _refused(_accept(api, _secret(invitation), "ann@example.org"), 403)
    _nothing_created(api, tenant, customer_id, "mallory@example.com", "ann@example.org")
    assert _status(api, customer_id, invitation["id"]) == "open"
    _only_user_is(api, _accepted(api, _secret(invitation), "ann@example.com"))


@pytest.mark.parametrize("terms", [False, None, "yes", 1])
def test_not_accepting_the_terms_is_422_and_the_link_stays_usable(api, tenant, terms):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    _invalid(
        _accept(api, _secret(invitation), "ann@example.com", accept_terms=terms), "accept_terms"
    )
    _nothing_created(api, tenant, customer_id, "ann@example.com")
    assert _status(api, customer_id, invitation["id"]) == "open"
    _only_user_is(api, _accepted(api, _secret(invitation), "ann@example.com"))


@pytest.mark.parametrize("missing", ["token", "email", "name", "password", "accept_terms"])
def test_a_missing_field_is_422_naming_it(api, tenant, missing):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    body = {
        "token": _secret(invitation),
        "email": "ann@example.com",
        "name": "Ann",
        "password": PASSWORD,
        "accept_terms": True,
    }
    del body[missing]
    _invalid(api.as_key(None).post(ACCEPT, body), missing)
    _nothing_created(api, tenant, customer_id, "ann@example.com")


EMAIL = "annabelle.smith@example.com"


@pytest.mark.parametrize(
    "password",
    [
        "short pass1",  # 11 characters
        "x" * 11,
        "password1234",  # common
        "PassWord1234",  # common, whatever the case
        "qwerty123456",
        "abababababab",  # 2 distinct characters
        "abcabcabcabcabc",  # 3 distinct characters
        EMAIL,  # the e-mail itself
        EMAIL.upper(),
    ],
)
def test_a_weak_password_is_422_on_password_and_the_link_stays_usable(api, tenant, password):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email=EMAIL)
    body = _invalid(_accept(api, _secret(invitation), EMAIL, password=password), "password")
    assert password not in json.dumps(body)
    _nothing_created(api, tenant, customer_id, EMAIL)
    assert _status(api, customer_id, invitation["id"]) == "open"
    _only_user_is(api, _accepted(api, _secret(invitation), EMAIL))


@pytest.mark.parametrize("password", ["abcdabcdabcd", "twelve chars", "x" * 8 + "abcd"])
def test_a_12_character_password_with_4_distinct_characters_is_good_enough(api, password):
    customer_id = _portal(api)
    invitation = _invite(api, customer_id)
    _accepted(api, _secret(invitation), "ann@example.com", password=password)


def test_an_email_with_an_account_in_this_portal_is_409_and_the_link_stays_usable(api, tenant):
    customer_id = _portal(api, "First")
    ann = _accepted(api, _secret(_invite(api, customer_id)), "ann@example.com")
    same_portal = _invite(api, customer_id)
    _refused(_accept(api, _secret(same_portal), "ann@example.com", name="Ann Again"), 409)
    _refused(_accept(api, _secret(same_portal), "ANN@example.com", name="Ann Again"), 409)
    _only_user_is(api, ann)
    assert _listed(api, customer_id)[same_portal["id"]]["status"] == "open"
    assert _accepted(api, _secret(same_portal), "bob@example.com")["user"]["role"] == "portal_user"


def test_an_account_in_one_portal_never_blocks_the_address_in_another(api, tenant):
    """Accounts are per portal: a customer's administrator who takes an address in their
    own portal blocks nobody in any other customer's portal."""
    first, second = _portal(api, "First"), _portal(api, "Second")
    taken = _accepted(
        api,
        _secret(_invite(api, first)),
        "ann@example.com",
        name="Not Ann",
        password="the first admin's own passphrase",
    )
    real = _accepted(api, _secret(_invite(api, second)), "ann@example.com", name="Ann")
    assert real["user"]["role"] == "portal_admin"
    assert real["user"]["id"] != taken["user"]["id"]
    # Each signs in to their own portal; without naming it, the password decides.
    assert _sign_in(api, tenant, "ann@example.com").status_code == 200
    me = api.as_key(_sign_in(api, tenant, "ann@example.com").json_body["access_token"])
    assert me.get("/v1/portal/me").json_body["customer"]["id"] == second


def test_the_same_email_may_have_an_account_at_another_tenant(api, other_api):
    mine = _invite(api, _portal(api), email="ann@example.com")
    theirs = _invite(other_api, _portal(other_api), email="ann@example.com")
    _accepted(api, _secret(mine), "ann@example.com")
    _accepted(other_api, _secret(theirs), "ann@example.com")


def test_an_expired_link_is_401_and_listed_as_expired(api, ctx, tenant):
    customer_id = _portal(api)
    expired = invitations.create(
        ctx,
        customer_id,
        InvitationCreate(email="ann@example.com", expires_in_days=7),
        clock=lambda: datetime.now(UTC) - timedelta(days=7, seconds=5),
    )
    assert _status(api, customer_id, expired.id) == "expired"
    _refused(_accept(api, expired.url.split("#token=")[1], "ann@example.com"), 401)
    _nothing_created(api, tenant, customer_id, "ann@example.com")


# --- expiry, with the service's clock --------------------------------------------------------

T0 = datetime(2031, 3, 4, 10, 20, 30, tzinfo=UTC)


def _link_at(ctx, customer_id, days=7, email="ann@example.com"):
    """A link made at T0: its secret and its exact expiry."""
    made = invitations.create(
        ctx, customer_id, InvitationCreate(email=email, expires_in_days=days), clock=lambda: T0
    )
    assert _time(made.expires_at) == T0 + timedelta(days=days)
    return made.url.split("#token=")[1], T0 + timedelta(days=days)


@pytest.mark.parametrize(
    "late", [timedelta(seconds=1), timedelta(hours=1), timedelta(hours=47)], ids=str
)
def test_accepting_after_the_expiry_is_401_and_creates_nothing(api, ctx, tenant, late):
    """DynamoDB deletes expired items up to 48 hours late: the expiry is checked on read."""
    customer_id = _portal(api)
    token, expires = _link_at(ctx, customer_id)
    with pytest.raises(Unauthorized):
        invitations.accept(
            Caller(None), _accept_data(token, "ann@example.com"), clock=lambda: expires + late
        )
    _nothing_created(api, tenant, customer_id, "ann@example.com")
    # nothing was spent: a moment before the expiry the same link still works
    session = invitations.accept(
        Caller(None),
        _accept_data(token, "ann@example.com"),
        clock=lambda: expires - timedelta(seconds=2),
    )
    assert session.user.role == "portal_admin"


def test_accepting_one_second_before_the_expiry_works(api, ctx, tenant):
    customer_id = _portal(api)
    token, expires = _link_at(ctx, customer_id, days=1)
    session = invitations.accept(
        Caller(None),
        _accept_data(token, "ann@example.com"),
        clock=lambda: expires - timedelta(seconds=1),
    )
    assert session.user.email == "ann@example.com"
    assert session.user.role == "portal_admin"
    portal = _read_portal(api, customer_id)
    assert portal["status"] == "active"
    assert portal["admin"]["id"] == session.user.id


def test_accepting_at_the_exact_expiry_is_401(api, ctx, tenant):
    customer_id = _portal(api)
    token, expires = _link_at(ctx, customer_id)
    with pytest.raises(Unauthorized):
        invitations.accept(
            Caller(None), _accept_data(token, "ann@example.com"), clock=lambda: expires
        )
    _nothing_created(api, tenant, customer_id, "ann@example.com")


# --- failed redemptions per source address ---------------------------------------------------

WINDOW_MIDDLE = datetime(2031, 3, 4, 10, 7, 30, tzinfo=UTC)  # 7.5 minutes into a window


@pytest.fixture
def frozen_limits(monkeypatch):
    """The rate limiter's clock, stopped in the middle of a 15-minute window; returns a
    function to move it."""
    now = {"value": WINDOW_MIDDLE}
    monkeypatch.setattr(ratelimit, "utcnow", lambda: now["value"])

    def move_to(value):
        now["value"] = value

    return move_to


def _forged(i):
    return f"pwi_forged-{i:04d}-" + "x" * 30


def test_twenty_failed_redemptions_from_one_address_then_429_with_retry_after(
    api, tenant, frozen_limits
):
    customer_id = _portal(api)
    revoked = _invite(api, customer_id, email="ann@example.com")
    assert api.delete(_path(customer_id, revoked["id"])).status_code == 204
    caller = Caller("203.0.113.9")
    # forged and withdrawn links count alike
    tokens = [_forged(i) for i in range(15)] + [_secret(revoked)] * 5
    for token in tokens:
        with pytest.raises(Unauthorized):
            invitations.accept(caller, _accept_data(token, "ann@example.com"))

    for i in range(3):
        with pytest.raises(RateLimited) as refused:
            invitations.accept(caller, _accept_data(_forged(100 + i), "ann@example.com"))
        assert refused.value.status == 429
        retry_after = int(refused.value.headers["Retry-After"])
        assert 1 <= retry_after <= 15 * 60
        assert retry_after >= 7 * 60  # what is left of the window, not a token second

    # another address is not held up by this one's failures
    with pytest.raises(Unauthorized):
        invitations.accept(Caller("203.0.113.10"), _accept_data(_forged(0), "ann@example.com"))
    _nothing_created(api, tenant, customer_id, "ann@example.com")


def test_failures_of_an_earlier_window_no_longer_count(api, frozen_limits):
    caller = Caller("203.0.113.77")
    for i in range(20):
        with pytest.raises(Unauthorized):
            invitations.accept(caller, _accept_data(_forged(i), "ann@example.com"))
    with pytest.raises(RateLimited):
        invitations.accept(caller, _accept_data(_forged(20), "ann@example.com"))
    frozen_limits(WINDOW_MIDDLE + timedelta(minutes=15))
    with pytest.raises(Unauthorized):
        invitations.accept(caller, _accept_data(_forged(21), "ann@example.com"))


def test_refusals_that_are_no_guess_do_not_count_against_the_address(api, frozen_limits):
    """A wrong e-mail, a weak password or unaccepted terms come with a real link."""
    customer_id = _portal(api)
    invitation = _invite(api, customer_id, email="ann@example.com")
    caller = Caller("203.0.113.55")
    for _ in range(25):
        with pytest.raises(Forbidden):
            invitations.accept(caller, _accept_data(_secret(invitation), "bob@example.com"))
        with pytest.raises(Invalid) as refused:
            invitations.accept(
                caller, _accept_data(_secret(invitation), "ann@example.com", password="short")
            )
        assert [e.field for e in refused.value.errors] == ["password"]
    session = invitations.accept(caller, _accept_data(_secret(invitation), "ann@example.com"))
    assert session.user.role == "portal_admin"


# --- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_records_create_revoke_and_accept_with_their_object_ids(api):
    customer_id = _portal(api)
    revoked = _invite(api, customer_id, email="bob@example.com")
    used = _invite(api, customer_id, email="ann@example.com")
    assert api.delete(_path(customer_id, revoked["id"])).status_code == 204
    _refused(_accept(api, _secret(revoked), "bob@example.com"), 401)
    session = _accepted(api, _secret(used), "ann@example.com")
    user_id = session["user"]["id"]

    created = _audit_events(api, "portal.invitation_created")
    assert sorted(e["object_id"] for e in created) == sorted([revoked["id"], used["id"]])
    for event in created:
        assert event["object_type"] == "invitation"
        assert event["customer_id"] == customer_id
        assert event["actor"].startswith("api_key:")

    [revoke] = _audit_events(api, "portal.invitation_revoked")
    assert (revoke["object_type"], revoke["object_id"]) == ("invitation", revoked["id"])
    assert revoke["customer_id"] == customer_id
    assert revoke["actor"].startswith("api_key:")

    [accept] = _audit_events(api, "portal.invitation_accepted")  # the refused one left none
    assert (accept["object_type"], accept["object_id"]) == ("invitation", used["id"])
    assert accept["actor"] == f"portal_user:{user_id}"
    assert accept["customer_id"] == customer_id

    # newest first; the router records nothing twice for these routes
    actions = [
        e["action"] for e in _audit_events(api) if e["action"].startswith("portal.invitation")
    ]
    assert actions == [
        "portal.invitation_accepted",
        "portal.invitation_revoked",
        "portal.invitation_created",
        "portal.invitation_created",
    ]
    # the event names the account the link made
    [event] = api.get("/v1/events?type=portal.invitation_accepted").json_body["items"]
    assert event["data"]["user_id"] == user_id


def test_the_audit_log_is_for_admin_keys_only(api):
    key = api.post("/v1/api-keys", {"name": "Writer", "scopes": ["read", "write"]})
    _refused(api.as_key(key.json_body["key"]).get("/v1/audit-events"), 403)


# --- the secret ------------------------------------------------------------------------------


def test_no_answer_but_the_create_answer_ever_shows_the_secret(api, tenant):
    customer_id = _portal(api)
    ann = _invite(api, customer_id, email="ann@example.com")
    bob = _invite(api, customer_id, email="bob@example.com")
    carol = _invite(api, customer_id, email="carol@example.com")
    replacing = _invite(api, customer_id, email="carol@example.com")
    secrets_ = [_secret(i) for i in (ann, bob, carol, replacing)]
    answers = [
        api.post(_path(customer_id), {"email": "dave@example.com"}),
        api.delete(_path(customer_id, bob["id"])),
        _accept(api, _secret(ann), "mallory@example.com"),  # 403
        _accept(api, _secret(ann), "ann@example.com", password="password1234"),  # 422
        _accept(api, _secret(ann), "ann@example.com", accept_terms=False),  # 422
        _accept(api, _secret(bob), "bob@example.com"),  # 401, revoked
        _accept(api, _secret(carol), "carol@example.com"),  # 401, replaced
    ]
    accepted = _accept(api, _secret(ann), "ann@example.com")
    assert accepted.status_code == 201, accepted.body
    token = accepted.json_body["access_token"]
    answers += [
        accepted,
        _accept(api, _secret(ann), "ann@example.com"),  # 409, used
        api.get(_path(customer_id)),
        api.get(f"/v1/customers/{customer_id}/portal"),
        api.get(f"/v1/customers/{customer_id}"),
        api.get("/v1/audit-events?limit=100"),
        api.as_key(token).get("/v1/portal/me"),
        api.as_key(token).get("/v1/portal/users"),
        _sign_in(api, tenant, "ann@example.com"),
    ]
    assert [a.status_code for a in answers] == [
        201,
        204,
        403,
        422,
        422,
        401,
        401,
        201,
        409,
        200,
        200,
        200,
        200,
        200,
        200,
        200,
    ]
    for answer in answers:
        text = _text(answer) + json.dumps(dict(answer.headers))
        for secret in secrets_:
            assert secret not in text
            assert secret.removeprefix("pwi_") not in text
            assert digest(secret) not in text
    # each create answer carries its own secret only
    assert sum(s in json.dumps(ann) for s in secrets_) == 1
