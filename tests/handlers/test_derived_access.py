"""Access derived from something dies with it, on the very next request (issue 11, items 4
and 6): tracking sessions and previews with the API key that made them, portal sessions with
their sign-out, their account and their portal; a deleted portal takes its accounts, links
and sessions with it, and a portal given again starts empty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import problem
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"


def _status(response, status, kind):
    body = problem(response)
    assert (body["status"], body["type"]) == (status, f"urn:portway:problem:{kind}"), body
    return body


def _ended(response):
    return _status(response, 401, "unauthorized")


def _portal(api, apps=("equipment", "activity", "reports")):
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body["id"]
    put = api.put(f"/v1/customers/{customer}/portal", {"apps": list(apps)})
    assert put.status_code == 200, put.body
    asset = api.post("/v1/assets", {"name": "Excavator"}).json_body["id"]
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": [asset]}).status_code == 200
    return customer, asset


def _report_path():
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=1)
    text = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    return f"/v1/portal/reports/operating-hours?start={text(start)}&end={text(end)}"


def _portal_reads(asset):
    return [
        "/v1/portal/me",
        "/v1/portal/assets",
        f"/v1/portal/assets/{asset}",
        f"/v1/portal/assets/{asset}/events",
        _report_path(),
    ]


def _all_work(client, asset):
    for path in _portal_reads(asset):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.body)


def _all_ended(client, asset):
    for path in _portal_reads(asset):
        _ended(client.get(path))


def _sign_in(api, email, password=PASSWORD):
    slug = api.get("/v1/tenant").json_body["slug"]
    return api.as_key(None).post(
        "/v1/portal/sessions", {"tenant": slug, "email": email, "password": password}
    )


def _refresh(api, token):
    return api.as_key(None).post("/v1/portal/sessions/refresh", {"refresh_token": token})


# --- portal sessions ------------------------------------------------------------------------


def test_signing_out_ends_the_access_token_at_once(api):
    customer, asset = _portal(api)
    session = portal_session(api, customer)
    client = api.as_key(session["access_token"])
    _all_work(client, asset)
    assert client.delete("/v1/portal/sessions").status_code == 204
    _all_ended(client, asset)
    _ended(_refresh(api, session["refresh_token"]))


def test_a_removed_user_is_out_on_the_next_request(api):
    customer, asset = _portal(api)
    admin = api.as_key(portal_session(api, customer, "admin@example.com")["access_token"])
    colleague = portal_session(api, customer, "colleague@example.com")
    client = api.as_key(colleague["access_token"])
    _all_work(client, asset)
    assert admin.delete(f"/v1/portal/users/{colleague['user']['id']}").status_code == 204
    _all_ended(client, asset)
    _ended(_refresh(api, colleague["refresh_token"]))


def test_a_deleted_portal_ends_its_sessions_at_once(api):
    customer, asset = _portal(api)
    session = portal_session(api, customer)
    client = api.as_key(session["access_token"])
    _all_work(client, asset)
    assert api.delete(f"/v1/customers/{customer}/portal").status_code == 204
    _all_ended(client, asset)
    _ended(_refresh(api, session["refresh_token"]))


def test_a_portal_given_again_starts_empty(api):
    customer, _asset = _portal(api)
    admin = portal_session(api, customer, "admin@example.com")
    colleague = portal_session(api, customer, "colleague@example.com")
    pending = api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": "later@example.com"}
    ).json_body
    assert api.delete(f"/v1/customers/{customer}/portal").status_code == 204

    # While it is deleted, its invitations are still listed (withdrawn) and answer sensibly.
    listed = api.get(f"/v1/customers/{customer}/portal/invitations?limit=100")
    assert listed.status_code == 200, listed.body
    statuses = {i["id"]: i["status"] for i in listed.json_body["items"]}
    assert statuses[pending["id"]] == "revoked"
    revoked = api.delete(f"/v1/customers/{customer}/portal/invitations/{pending['id']}")
    _status(revoked, 409, "conflict")

    given = api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    assert given.status_code == 200, given.body
    assert given.json_body["status"] == "invited"
    assert given.json_body["admin"] is None
    new_portal = given.json_body["id"]

    # Nothing of the old portal works in the new one.
    for old in (admin, colleague):
        _ended(_refresh(api, old["refresh_token"]))
        _ended(api.as_key(old["access_token"]).get("/v1/portal/me"))
        _status(_sign_in(api, old["user"]["email"]), 401, "unauthorized")
    accepted = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": pending["url"].split("#token=")[1],
            "email": "later@example.com",
            "name": "Later",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )
    _ended(accepted)
    assert api.get(f"/v1/customers/{customer}/portal/users").json_body["items"] == []

    # The new portal's first person becomes its one administrator, the old admin's address
    # is free to use again.
    fresh = portal_session(api, customer, "admin@example.com")
    assert fresh["user"]["role"] == "portal_admin"
    portal = api.get(f"/v1/customers/{customer}/portal").json_body
    assert portal["admin"]["id"] == fresh["user"]["id"]
    assert portal["id"] == new_portal
    assert api.as_key(fresh["access_token"]).get("/v1/portal/assets").status_code == 200


def test_an_invitation_of_a_deleted_portal_makes_no_second_admin(api):
    customer, _ = _portal(api)
    early = api.post(f"/v1/customers/{customer}/portal/invitations", {}).json_body
    assert early["role"] == "portal_admin"
    assert api.delete(f"/v1/customers/{customer}/portal").status_code == 204
    assert api.put(f"/v1/customers/{customer}/portal", {}).status_code == 200
    admin = portal_session(api, customer, "admin@example.com")
    assert admin["user"]["role"] == "portal_admin"
    late = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": early["url"].split("#token=")[1],
            "email": "second-admin@example.com",
            "name": "Second",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )
    _ended(late)
    users = api.get(f"/v1/customers/{customer}/portal/users").json_body["items"]
    assert [(u["email"], u["role"]) for u in users] == [("admin@example.com", "portal_admin")]


# --- previews -------------------------------------------------------------------------------


def _preview_token(api, customer):
    started = api.post(f"/v1/customers/{customer}/portal/preview")
    assert started.status_code == 201, started.body
    return started.json_body["url"].split("#session=")[1]


def test_a_preview_ends_with_the_key_that_started_it(api):
    customer, asset = _portal(api)
    key = api.post("/v1/api-keys", {"name": "Support", "scopes": ["write"]}).json_body
    preview = api.as_key(_preview_token(api.as_key(key["key"]), customer))
    _all_work(preview, asset)
    assert api.delete(f"/v1/api-keys/{key['id']}").status_code in (200, 204)
    _all_ended(preview, asset)


def test_a_preview_ends_with_the_portal(api):
    customer, asset = _portal(api)
    preview = api.as_key(_preview_token(api, customer))
    _all_work(preview, asset)
    assert api.delete(f"/v1/customers/{customer}/portal").status_code == 204
    _all_ended(preview, asset)


# --- tracking sessions ----------------------------------------------------------------------


_STARTED: dict[int, str] = {}


def _tracking(api):
    started = api.post("/v1/tracking/sessions", {"minutes": 480})
    assert started.status_code == 201, started.body
    _STARTED[id(api.client)] = started.json_body["id"]  # the answer names it for revoking
    return started.json_body["url"].split("#session=")[1]


def started_id(api) -> str:
    return _STARTED[id(api.client)]


def test_tracking_sessions_are_listed_without_their_secrets(api):
    secret = _tracking(api)
    listed = api.get("/v1/tracking/sessions")
    assert listed.status_code == 200, listed.body
    (entry,) = listed.json_body["items"]
    assert entry["id"].startswith("trk_")
    assert entry["id"] == started_id(api)
    assert entry["active"] is True
    assert entry["revoked_at"] is None
    assert entry["created_by"].startswith("api_key:key_")
    assert secret not in listed.body.decode()
    # API keys and tracking sessions are listed apart.
    keys = api.get("/v1/api-keys").json_body["items"]
    assert all(k["id"].startswith("key_") for k in keys)
    _status(api.get(f"/v1/api-keys/{entry['id']}"), 404, "not-found")


def test_a_revoked_tracking_session_fails_on_the_next_request(api):
    secret = _tracking(api)
    session = api.as_key(secret)
    assert session.get("/v1/assets").status_code == 200
    (entry,) = api.get("/v1/tracking/sessions").json_body["items"]
    assert api.delete(f"/v1/tracking/sessions/{entry['id']}").status_code == 204
    _status(session.get("/v1/assets"), 401, "unauthorized")
    (after,) = api.get("/v1/tracking/sessions").json_body["items"]
    assert after["active"] is False
    assert after["revoked_at"] is not None


def test_a_tracking_session_ends_with_the_key_that_made_it(api):
    key = api.post("/v1/api-keys", {"name": "Dispatch", "scopes": ["write"]}).json_body
    session = api.as_key(_tracking(api.as_key(key["key"])))
    assert session.get("/v1/received-shares").status_code == 200
    assert api.delete(f"/v1/api-keys/{key['id']}").status_code in (200, 204)
    _status(session.get("/v1/received-shares"), 401, "unauthorized")
    _status(session.get("/v1/assets"), 401, "unauthorized")
    (listed,) = api.get("/v1/tracking/sessions").json_body["items"]
    assert listed["active"] is False  # listed as ended with its key


def test_a_tracking_session_can_neither_list_nor_revoke_sessions(api):
    session = api.as_key(_tracking(api))
    (entry,) = api.get("/v1/tracking/sessions").json_body["items"]
    _status(session.get("/v1/tracking/sessions"), 403, "forbidden")
    _status(session.delete(f"/v1/tracking/sessions/{entry['id']}"), 403, "forbidden")


def test_another_tenants_tracking_session_is_not_found(api, other_api):
    _tracking(other_api)
    (theirs,) = other_api.get("/v1/tracking/sessions").json_body["items"]
    _status(api.delete(f"/v1/tracking/sessions/{theirs['id']}"), 404, "not-found")
    assert api.get("/v1/tracking/sessions").json_body["items"] == []


@pytest.mark.parametrize("minutes", [5, 480])
def test_a_tracking_session_still_ends_when_its_time_is_up(api, minutes):
    started = api.post("/v1/tracking/sessions", {"minutes": minutes}).json_body
    (entry,) = api.get("/v1/tracking/sessions").json_body["items"]
    assert entry["expires_at"] == started["expires_at"]


# --- invitation links end with whoever made them --------------------------------------------


def _accept(api, url, email):
    return api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": url.split("#token=")[1],
            "email": email,
            "name": "Someone",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )


def test_a_link_made_with_a_revoked_key_stops_working(api):
    customer, _ = _portal(api)
    key = api.post("/v1/api-keys", {"name": "Onboarding", "scopes": ["write"]}).json_body
    link = api.as_key(key["key"]).post(f"/v1/customers/{customer}/portal/invitations", {})
    assert link.status_code == 201, link.body
    kept = api.post(f"/v1/customers/{customer}/portal/invitations", {}).json_body
    assert api.delete(f"/v1/api-keys/{key['id']}").status_code in (200, 204)
    _ended(_accept(api, link.json_body["url"], "planted@example.com"))
    assert api.get(f"/v1/customers/{customer}/portal/users").json_body["items"] == []
    # A link of a key that still works is not affected.
    assert _accept(api, kept["url"], "real@example.com").status_code == 201


def test_a_removed_admins_colleague_link_stops_working(api):
    from tests.mail import Outbox, links_in, text_of

    customer, _ = _portal(api)
    admin = portal_session(api, customer, "admin@example.com")
    mails = Outbox()
    invited = api.as_key(admin["access_token"]).post(
        "/v1/portal/users", {"email": "colleague@example.com"}
    )
    assert invited.status_code == 201, invited.body
    (mail,) = mails.to("colleague@example.com")
    (link,) = [u for u in links_in(text_of(mail)) if "#token=" in u]
    removed = api.delete(f"/v1/customers/{customer}/portal/users/{admin['user']['id']}")
    assert removed.status_code == 204
    _ended(_accept(api, link, "colleague@example.com"))
    assert api.get(f"/v1/customers/{customer}/portal/users").json_body["items"] == []
