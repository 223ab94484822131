"""The events of customer portals (issue 12): every change to a portal, its template, its
links, accounts, sessions and SSO issuers records exactly one event in its own transaction,
and a refused change records none.

Each test notes the tenant's events before a request and asserts what the request added:
the one event, its actor, customer, object and data. Two requests leave more by design:
a first SSO login provisions the account (`portal.user_provisioned`, by the issuer) and then
signs it in (`portal.user_signed_in`, in the session's own transaction); and a portal's
deletion records `portal.deleted` only, however many links, accounts and issuers go with it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.errors import Unavailable
from chalicelib.services.portals import account_mail
from tests.conftest import Api, problem
from tests.handlers.test_sso import ISSUER, _landing, _login, _register, _setup, _token
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"
NEW_PASSWORD = "another quite long passphrase"
# Secrets Portway makes start with these (`credentials`): none is ever in an event.
SECRET = re.compile(r"\bpw[krips]_")


# -- helpers ---------------------------------------------------------------------------------


def _all(api: Api) -> list[dict[str, Any]]:
    answer = api.get("/v1/events?limit=100")
    assert answer.status_code == 200, answer.body
    assert answer.json_body["next_cursor"] is None
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def _ids(api: Api) -> set[str]:
    return {e["id"] for e in _all(api)}


def _since(api: Api, before: set[str]) -> list[dict[str, Any]]:
    """The events recorded since `before` was noted, newest first."""
    return [e for e in _all(api) if e["id"] not in before]


def _one(api: Api, before: set[str], type_: str) -> dict[str, Any]:
    """The one event the request recorded, of this type."""
    new = _since(api, before)
    assert [e["type"] for e in new] == [type_], new
    event = new[0]
    assert event["on_behalf_of"] is None
    assert not SECRET.search(str(event)), event
    assert PASSWORD not in str(event)
    assert NEW_PASSWORD not in str(event)
    typed = api.get(f"/v1/events?type={type_}&limit=100").json_body["items"]
    assert event["id"] in [e["id"] for e in typed]
    return event


def _none(api: Api, before: set[str]) -> None:
    assert _since(api, before) == []


def _key_actor(api: Api) -> str:
    keys = api.get("/v1/api-keys").json_body["items"]
    assert len(keys) == 1
    return f"api_key:{keys[0]['id']}"


def _status(response: Any, status: int) -> None:
    assert problem(response)["status"] == status


def _customer(api: Api, name: str = "Nordbau GmbH") -> str:
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    return str(created.json_body["id"])


def _portal(api: Api) -> tuple[str, dict[str, Any]]:
    customer_id = _customer(api)
    put = api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    return customer_id, put.json_body


def _invite(api: Api, customer_id: str, email: str) -> dict[str, Any]:
    created = api.post(f"/v1/customers/{customer_id}/portal/invitations", {"email": email})
    assert created.status_code == 201, created.body
    return dict(created.json_body)


def _accept(api: Api, invitation: dict[str, Any], email: str) -> Any:
    return api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": invitation["url"].split("#token=", 1)[1],
            "email": email,
            "name": "Ann Admin",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )


def _sign_in(api: Api, email: str, password: str = PASSWORD) -> Any:
    slug = api.get("/v1/tenant").json_body["slug"]
    return api.as_key(None).post(
        "/v1/portal/sessions", {"tenant": slug, "email": email, "password": password}
    )


@pytest.fixture(autouse=True)
def _own_source(source_address):
    """Sign-ins and links count per source address: this test's own."""


# -- templates -------------------------------------------------------------------------------


def test_a_template_records_created_updated_and_deleted_and_refusals_record_none(api):
    actor = _key_actor(api)
    before = _ids(api)
    created = api.post(
        "/v1/portal-templates", {"name": "Dealers", "apps": ["equipment"], "is_default": True}
    )
    assert created.status_code == 201, created.body
    template = created.json_body
    event = _one(api, before, "portal_template.created")
    assert (event["object_type"], event["object_id"]) == ("portal_template", template["id"])
    assert (event["actor"], event["customer_id"]) == (actor, None)
    assert event["data"] == {"theme_id": None, "is_default": True}

    before = _ids(api)
    path = f"/v1/portal-templates/{template['id']}"
    changed = api.patch(path, {"name": "Dealers 2026", "apps": ["equipment"]})
    assert changed.status_code == 200, changed.body
    event = _one(api, before, "portal_template.updated")
    assert (event["object_id"], event["actor"]) == (template["id"], actor)
    assert event["data"] == {"changed": ["name"]}  # the apps sent are the apps stored

    before = _ids(api)
    _status(api.patch(path, {"name": "Stale"}, headers={"If-Match": '"1"'}), 409)
    _status(api.patch(path, {"theme_id": "thm_missing"}), 422)
    _none(api, before)

    customer_id = _customer(api)
    put = api.put(f"/v1/customers/{customer_id}/portal", {"template_id": template["id"]})
    assert put.status_code == 200, put.body
    before = _ids(api)
    _status(api.delete(path), 409)  # a portal uses it: refused inside the transaction
    _none(api, before)

    assert api.delete(f"/v1/customers/{customer_id}/portal").status_code == 204
    before = _ids(api)
    assert api.delete(path).status_code == 204
    event = _one(api, before, "portal_template.deleted")
    assert (event["object_id"], event["actor"]) == (template["id"], actor)
    assert event["data"] == {"theme_id": None, "is_default": True}


def test_a_replayed_template_creation_records_nothing_more(api):
    body = {"name": "Once", "apps": ["equipment"]}
    headers = {"Idempotency-Key": "template-once"}
    before = _ids(api)
    first = api.post("/v1/portal-templates", body, headers=headers)
    assert first.status_code == 201, first.body
    again = api.post("/v1/portal-templates", body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    event = _one(api, before, "portal_template.created")
    assert event["data"] == {"theme_id": None, "is_default": False}


# -- portals ---------------------------------------------------------------------------------


def test_the_first_put_records_portal_created_and_later_ones_portal_updated(api):
    actor = _key_actor(api)
    customer_id = _customer(api)
    path = f"/v1/customers/{customer_id}/portal"
    before = _ids(api)
    put = api.put(path, {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    portal = put.json_body
    event = _one(api, before, "portal.created")
    assert (event["object_type"], event["object_id"]) == ("portal", portal["id"])
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"template_id": None, "theme_id": None}

    before = _ids(api)
    again = api.put(path, {"apps": ["equipment", "activity"], "version": portal["version"]})
    assert again.status_code == 200, again.body
    event = _one(api, before, "portal.updated")
    assert (event["object_id"], event["customer_id"]) == (portal["id"], customer_id)
    assert event["data"] == {"changed": ["apps"]}

    before = _ids(api)
    _status(api.put(path, {"apps": ["equipment"], "version": portal["version"]}), 409)
    _status(api.put(path, {"template_id": "tpl_missing"}), 422)
    _status(api.put("/v1/customers/cus_missing/portal", {"apps": ["equipment"]}), 404)
    _none(api, before)


def test_deleting_a_portal_records_portal_deleted_only_whatever_goes_with_it(api):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    portal_session(api, customer_id, "admin@example.com")
    _invite(api, customer_id, "open@example.com")
    assert _register(api, customer_id).status_code == 200
    path = f"/v1/customers/{customer_id}/portal"

    before = _ids(api)
    _status(api.delete(path, headers={"If-Match": '"1"'}), 409)  # the admin moved it on
    _none(api, before)

    assert api.delete(path).status_code == 204
    event = _one(api, before, "portal.deleted")
    assert (event["object_type"], event["object_id"]) == ("portal", portal["id"])
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    # what went with it is gone, and recorded nothing of its own
    listed = api.get(f"/v1/customers/{customer_id}/portal/invitations").json_body["items"]
    assert {i["status"] for i in listed} == {"used", "revoked"}
    assert api.get(f"/v1/customers/{customer_id}/portal/sso").status_code == 404


def test_a_preview_records_portal_previewed_by_the_key(api):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    before = _ids(api)
    started = api.post(f"/v1/customers/{customer_id}/portal/preview")
    assert started.status_code == 201, started.body
    event = _one(api, before, "portal.previewed")
    assert (event["object_type"], event["object_id"]) == ("portal", portal["id"])
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"expires_at": started.json_body["expires_at"]}

    reader = api.post("/v1/api-keys", {"name": "Reader", "scopes": ["read"]}).json_body["key"]
    bare = _customer(api, "Bare")
    before = _ids(api)
    _status(api.as_key(reader).post(f"/v1/customers/{customer_id}/portal/preview"), 403)
    _status(api.post(f"/v1/customers/{bare}/portal/preview"), 404)
    _none(api, before)


def test_what_a_preview_session_reads_and_is_refused_records_nothing(api):
    customer_id, _ = _portal(api)
    started = api.post(f"/v1/customers/{customer_id}/portal/preview").json_body
    preview = api.as_key(started["url"].split("#session=", 1)[1])
    before = _ids(api)
    assert preview.get("/v1/portal/me").status_code == 200
    assert preview.get("/v1/portal/assets").status_code == 200
    _status(preview.delete("/v1/portal/sessions"), 403)
    _status(preview.post("/v1/portal/users", {"email": "x@example.com"}), 403)
    _none(api, before)


# -- invitations -----------------------------------------------------------------------------


def test_an_invitation_records_invitation_created_and_a_new_link_names_the_one_it_spent(api):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    before = _ids(api)
    first = _invite(api, customer_id, "Ann@Example.com")
    event = _one(api, before, "portal.invitation_created")
    assert (event["object_type"], event["object_id"]) == ("invitation", first["id"])
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {
        "portal_id": portal["id"],
        "email": "ann@example.com",
        "role": "portal_admin",
        "expires_at": first["expires_at"],
        "replaced": None,
    }

    before = _ids(api)
    second = _invite(api, customer_id, "ann@example.com")
    event = _one(api, before, "portal.invitation_created")
    assert (event["object_id"], event["data"]["replaced"]) == (second["id"], first["id"])

    bare = _customer(api, "No portal")
    before = _ids(api)
    _status(api.post(f"/v1/customers/{bare}/portal/invitations", {"email": "a@example.com"}), 404)
    _none(api, before)


def test_a_link_that_could_not_be_sent_is_recorded_as_made_and_withdrawn(api, monkeypatch):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)

    def refuse(mail, what):
        raise Unavailable("The e-mail could not be sent; try again shortly.")

    monkeypatch.setattr(account_mail, "deliver", refuse)
    before = _ids(api)
    path = f"/v1/customers/{customer_id}/portal/invitations"
    _status(api.post(path, {"email": "ann@example.com", "send": True}), 503)
    revoked, created = _since(api, before)  # two transactions: made, then withdrawn
    assert (created["type"], revoked["type"]) == (
        "portal.invitation_created",
        "portal.invitation_revoked",
    )
    assert created["object_id"] == revoked["object_id"]
    assert {created["actor"], revoked["actor"]} == {actor}
    assert revoked["data"] == {"portal_id": portal["id"], "reason": "not_sent"}
    [listed] = api.get(path).json_body["items"]
    assert (listed["id"], listed["status"]) == (created["object_id"], "revoked")


def test_a_colleagues_invitation_names_the_administrator(api):
    customer_id, _ = _portal(api)
    admin = portal_session(api, customer_id, "admin@example.com")
    portal_api = api.as_key(admin["access_token"])
    before = _ids(api)
    invited = portal_api.post("/v1/portal/users", {"email": "colleague@example.com"})
    assert invited.status_code == 201, invited.body
    event = _one(api, before, "portal.invitation_created")
    assert event["actor"] == f"portal_user:{admin['user']['id']}"
    assert (event["object_id"], event["customer_id"]) == (invited.json_body["id"], customer_id)
    assert event["data"]["role"] == "portal_user"


def test_revoking_records_invitation_revoked_once(api):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    invitation = _invite(api, customer_id, "bob@example.com")
    path = f"/v1/customers/{customer_id}/portal/invitations/{invitation['id']}"
    before = _ids(api)
    assert api.delete(path).status_code == 204
    event = _one(api, before, "portal.invitation_revoked")
    assert (event["object_type"], event["object_id"]) == ("invitation", invitation["id"])
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"portal_id": portal["id"], "reason": "revoked"}

    before = _ids(api)
    _status(api.delete(path), 409)
    _status(_accept(api, invitation, "bob@example.com"), 401)
    _none(api, before)


def test_accepting_records_invitation_accepted_by_the_new_person(api):
    customer_id, portal = _portal(api)
    invitation = _invite(api, customer_id, "ann@example.com")
    before = _ids(api)
    _status(_accept(api, invitation, "mallory@example.com"), 403)
    _none(api, before)

    accepted = _accept(api, invitation, "ann@example.com")
    assert accepted.status_code == 201, accepted.body
    user_id = accepted.json_body["user"]["id"]
    event = _one(api, before, "portal.invitation_accepted")  # its session is in it
    assert (event["object_type"], event["object_id"]) == ("invitation", invitation["id"])
    assert (event["actor"], event["customer_id"]) == (f"portal_user:{user_id}", customer_id)
    assert event["data"] == {"portal_id": portal["id"], "user_id": user_id, "role": "portal_admin"}

    before = _ids(api)
    _status(_accept(api, invitation, "ann@example.com"), 409)
    _none(api, before)


# -- sessions --------------------------------------------------------------------------------


def test_sign_in_refresh_and_sign_out_record_one_event_each(api):
    customer_id, portal = _portal(api)
    user_id = portal_session(api, customer_id, "ann@example.com")["user"]["id"]
    actor = f"portal_user:{user_id}"

    before = _ids(api)
    _status(_sign_in(api, "ann@example.com", "a wrong but long passphrase"), 401)
    _status(_sign_in(api, "nobody@example.com"), 401)
    _none(api, before)

    signed_in = _sign_in(api, "ann@example.com")
    assert signed_in.status_code == 200, signed_in.body
    event = _one(api, before, "portal.user_signed_in")
    assert (event["object_type"], event["object_id"]) == ("portal_user", user_id)
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"portal_id": portal["id"], "method": "password"}
    session = signed_in.json_body

    before = _ids(api)
    refresh = "/v1/portal/sessions/refresh"
    _status(api.as_key(None).post(refresh, {"refresh_token": "prt_rt_nothing"}), 401)
    _none(api, before)
    refreshed = api.as_key(None).post(refresh, {"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.body
    event = _one(api, before, "portal.session_refreshed")
    assert (event["object_id"], event["actor"]) == (user_id, actor)
    assert (event["customer_id"], event["data"]) == (customer_id, {"portal_id": portal["id"]})

    before = _ids(api)
    portal_api = api.as_key(refreshed.json_body["access_token"])
    for read in ("/v1/portal/me", "/v1/portal/assets", "/v1/portal/users"):
        assert portal_api.get(read).status_code == 200, read  # reads record nothing
    _none(api, before)
    assert portal_api.delete("/v1/portal/sessions").status_code == 204
    event = _one(api, before, "portal.user_signed_out")
    assert (event["object_id"], event["actor"]) == (user_id, actor)
    assert (event["customer_id"], event["data"]) == (customer_id, {"portal_id": portal["id"]})

    before = _ids(api)
    _status(portal_api.delete("/v1/portal/sessions"), 401)  # ended already
    _none(api, before)


# -- passwords -------------------------------------------------------------------------------


def _ask_reset(api: Api, email: str) -> Any:
    slug = api.get("/v1/tenant").json_body["slug"]
    return api.as_key(None).post("/v1/portal/password-resets", {"tenant": slug, "email": email})


def test_a_reset_link_asked_for_is_recorded_for_a_known_address_only(api):
    customer_id, portal = _portal(api)
    user_id = portal_session(api, customer_id, "ann@example.com")["user"]["id"]
    before = _ids(api)
    unknown = _ask_reset(api, "nobody@example.com")
    assert (unknown.status_code, unknown.body) == (202, b"")
    _none(api, before)

    mails = Outbox()
    known = _ask_reset(api, "ann@example.com")
    assert (known.status_code, known.body) == (202, b"")
    event = _one(api, before, "portal.password_reset_requested")
    assert (event["object_type"], event["object_id"]) == ("portal_user", user_id)
    assert (event["actor"], event["customer_id"]) == ("anonymous", customer_id)
    assert event["data"] == {"portal_id": portal["id"]}  # no address, no link
    (mail,) = mails.to("ann@example.com")
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]

    before = _ids(api)
    confirm = "/v1/portal/password-resets/confirm"
    bad = {"token": "prt_pr_nothing", "password": NEW_PASSWORD}
    _status(api.as_key(None).post(confirm, bad), 401)
    _none(api, before)
    body = {"token": secret_after(link, "reset"), "password": NEW_PASSWORD}
    confirmed = api.as_key(None).post(confirm, body)
    assert confirmed.status_code == 200, confirmed.body
    event = _one(api, before, "portal.password_reset")  # its new session is in it
    assert (event["object_id"], event["actor"]) == (user_id, f"portal_user:{user_id}")
    assert event["customer_id"] == customer_id
    assert event["data"] == {"portal_id": portal["id"], "via": "link"}
    assert api.as_key(confirmed.json_body["access_token"]).get("/v1/portal/me").status_code == 200

    before = _ids(api)
    _status(api.as_key(None).post(confirm, body), 401)  # used
    _none(api, before)


def test_the_providers_reset_records_password_reset_by_the_key(api, tenant):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    user_id = portal_session(api, customer_id, "ann@example.com")["user"]["id"]
    path = f"/v1/customers/{customer_id}/portal/users/{user_id}/password-reset"
    mails = Outbox()
    before = _ids(api)
    reset = api.post(path)
    assert reset.status_code == 202, reset.body
    event = _one(api, before, "portal.password_reset")  # the link is stored in it
    assert (event["object_type"], event["object_id"]) == ("portal_user", user_id)
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"portal_id": portal["id"], "via": "provider"}
    (mail,) = mails.to("ann@example.com")
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]
    confirmed = api.as_key(None).post(
        "/v1/portal/password-resets/confirm",
        {"token": secret_after(link, "reset"), "password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 200, confirmed.body

    before = _ids(api)
    _status(api.post(f"/v1/customers/{customer_id}/portal/users/usr_missing/password-reset"), 404)
    _none(api, before)


# -- people ----------------------------------------------------------------------------------


def test_removing_a_person_records_user_removed_by_whoever_removed_them(api):
    actor = _key_actor(api)
    customer_id, portal = _portal(api)
    admin = portal_session(api, customer_id, "admin@example.com")
    colleague = portal_session(api, customer_id, "colleague@example.com")["user"]["id"]
    other = portal_session(api, customer_id, "other@example.com")["user"]["id"]
    portal_api = api.as_key(admin["access_token"])

    before = _ids(api)
    _status(portal_api.delete(f"/v1/portal/users/{admin['user']['id']}"), 409)
    _status(portal_api.delete("/v1/portal/users/usr_missing"), 404)
    _none(api, before)

    assert portal_api.delete(f"/v1/portal/users/{colleague}").status_code == 204
    event = _one(api, before, "portal.user_removed")
    assert (event["object_type"], event["object_id"]) == ("portal_user", colleague)
    assert (event["actor"], event["customer_id"]) == (
        f"portal_user:{admin['user']['id']}",
        customer_id,
    )
    assert event["data"] == {"portal_id": portal["id"], "role": "portal_user"}

    before = _ids(api)
    assert api.delete(f"/v1/customers/{customer_id}/portal/users/{other}").status_code == 204
    event = _one(api, before, "portal.user_removed")
    assert (event["object_id"], event["actor"]) == (other, actor)


# -- partner SSO -----------------------------------------------------------------------------


def test_sso_configured_and_removed_and_refusals_record_none(api, tenant):
    actor = _key_actor(api)
    customer_id, _ = _portal(api)
    before = _ids(api)
    assert _register(api, customer_id).status_code == 200
    event = _one(api, before, "portal.sso_configured")
    assert (event["object_type"], event["object_id"]) == ("sso_issuer", ISSUER)
    assert (event["actor"], event["customer_id"]) == (actor, customer_id)
    assert event["data"] == {"algorithm": "HS256", "key_id": None, "replaced": False}

    before = _ids(api)
    assert _register(api, customer_id, key_id="k2").status_code == 200
    event = _one(api, before, "portal.sso_configured")
    assert event["data"] == {"algorithm": "HS256", "key_id": "k2", "replaced": True}

    other, _ = _portal(api)
    before = _ids(api)
    _status(_register(api, other), 409)  # the issuer signs in to the first customer
    _status(api.delete(f"/v1/customers/{other}/portal/sso?issuer={ISSUER}"), 404)
    _none(api, before)

    assert api.delete(f"/v1/customers/{customer_id}/portal/sso?issuer={ISSUER}").status_code == 204
    event = _one(api, before, "portal.sso_removed")
    assert (event["object_id"], event["actor"], event["customer_id"]) == (
        ISSUER,
        actor,
        customer_id,
    )


def test_a_first_sso_login_records_provisioned_then_signed_in_and_a_later_one_signed_in(
    api, tenant
):
    sso = _setup(api, tenant)
    before = _ids(api)
    _, session = _landing(_login(api, tenant.slug, _token(sso)))
    user_id = api.as_key(session["session"]).get("/v1/portal/me").json_body["user"]["id"]
    signed_in, provisioned = _since(api, before)  # newest first: two transactions
    assert provisioned["type"] == "portal.user_provisioned"
    assert (provisioned["object_type"], provisioned["object_id"]) == ("portal_user", user_id)
    assert provisioned["actor"] == f"sso:{ISSUER}"
    assert provisioned["customer_id"] == sso.customer_id
    assert provisioned["data"] == {"portal_id": sso.portal_id, "issuer": ISSUER}
    assert signed_in["type"] == "portal.user_signed_in"
    assert (signed_in["object_id"], signed_in["actor"]) == (user_id, f"portal_user:{user_id}")
    assert signed_in["data"] == {"portal_id": sso.portal_id, "method": "sso", "issuer": ISSUER}

    before = _ids(api)
    token = _token(sso)
    _landing(_login(api, tenant.slug, token))
    event = _one(api, before, "portal.user_signed_in")
    assert (event["object_id"], event["customer_id"]) == (user_id, sso.customer_id)

    before = _ids(api)
    _status(_login(api, tenant.slug, token), 401)  # replayed
    _status(_login(api, tenant.slug, _token(sso, aud="someone-else")), 401)
    _none(api, before)
