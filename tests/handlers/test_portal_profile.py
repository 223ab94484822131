"""Accounts people can keep (issue 15, item 2): the invitation page checks its link when it
opens and knows the invited address; a portal user changes their name and password (the
account's other sessions end); invitations go out in the invitee's language."""

from __future__ import annotations

import pytest

from tests.handlers.test_portal_users import NEW_PASSWORD, PASSWORD, _portal, _status
from tests.mail import Outbox, text_of
from tests.samples import portal_session


def _check(api, token):
    return api.as_key(None).post("/v1/portal/invitations/check", {"token": token})


def _token(invitation: dict) -> str:
    return invitation["url"].split("#token=")[1]


# --- the invitation link, checked when the page opens -----------------------------------------


def test_an_open_link_names_its_address_and_role_and_stays_usable(api):
    customer = _portal(api)
    invitation = api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": "Ana@Example.com"}
    ).json_body
    checked = _check(api, _token(invitation))
    assert checked.status_code == 200, checked.body
    assert checked.json_body == {
        "email": "ana@example.com",
        "role": "portal_admin",
        "expires_at": invitation["expires_at"][:19] + "Z",  # kept to the second
        "terms_url": None,
        "privacy_url": None,
    }
    assert _check(api, _token(invitation)).status_code == 200  # looking spends nothing
    anyone = api.post(f"/v1/customers/{customer}/portal/invitations", {}).json_body
    assert _check(api, _token(anyone)).json_body["email"] is None


def test_the_link_names_the_providers_terms_and_privacy_notice(api):
    terms = {"tac": "https://acme.example/terms", "dpp": "https://acme.example/privacy"}
    saved = api.put("/v1/settings/self-service", {"urls": terms})
    assert saved.status_code == 200, saved.body
    customer = _portal(api)
    invitation = api.post(f"/v1/customers/{customer}/portal/invitations", {}).json_body
    checked = _check(api, _token(invitation)).json_body
    assert (checked["terms_url"], checked["privacy_url"]) == (terms["tac"], terms["dpp"])


def test_a_used_withdrawn_or_made_up_link_is_refused_before_the_form(api):
    customer = _portal(api)
    used = api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": "first@example.com"}
    ).json_body
    accepted = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": _token(used),
            "email": "first@example.com",
            "name": "First",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )
    assert accepted.status_code == 201, accepted.body
    used_body = _status(_check(api, _token(used)), 409, "conflict")  # used: sign in instead
    assert used_body["reason"] == "used"

    withdrawn = api.post(f"/v1/customers/{customer}/portal/invitations", {}).json_body
    assert (
        api.delete(f"/v1/customers/{customer}/portal/invitations/{withdrawn['id']}").status_code
        == 204
    )
    _status(_check(api, _token(withdrawn)), 401, "unauthorized")
    _status(_check(api, "pwi_made-up-token"), 401, "unauthorized")
    _status(_check(api, ""), 422, "validation")


def test_a_link_of_another_tenant_reads_nothing_of_this_one(api, other_api):
    customer = _portal(other_api)
    theirs = other_api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": "b@example.com"}
    ).json_body
    # Links are not bound to a tenant's address; what they name belongs to their own tenant.
    answer = _check(api, _token(theirs))
    assert answer.status_code == 200
    assert answer.json_body["email"] == "b@example.com"
    assert customer not in answer.body.decode()


# --- the profile -------------------------------------------------------------------------------


def test_a_person_changes_their_name_and_the_provider_sees_it(api):
    customer = _portal(api)
    person = portal_session(api, customer, "dana@example.com", name="Dana")
    me = api.as_key(person["access_token"])
    changed = me.patch("/v1/portal/me", {"name": "Dana Berg"})
    assert changed.status_code == 200, changed.body
    assert changed.json_body["name"] == "Dana Berg"
    assert me.get("/v1/portal/me").json_body["user"]["name"] == "Dana Berg"
    listed = api.get(f"/v1/customers/{customer}/portal/users").json_body["items"]
    assert [u["name"] for u in listed] == ["Dana Berg"]
    events = api.get("/v1/events?type=portal.user_updated").json_body["items"]
    assert [e["object_id"] for e in events] == [person["user"]["id"]]


@pytest.mark.parametrize("name", ["", "x" * 201, "two\nlines"])
def test_a_bad_name_is_refused_field_by_field(api, name):
    customer = _portal(api)
    me = api.as_key(portal_session(api, customer)["access_token"])
    body = _status(me.patch("/v1/portal/me", {"name": name}), 422, "validation")
    assert [e["field"] for e in body["errors"]] == ["name"]
    assert me.get("/v1/portal/me").json_body["user"]["name"] == "Portal person"


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(api):
    customer = _portal(api)
    first = portal_session(api, customer, "dana@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    sign_in = {"tenant": slug, "email": "dana@example.com", "password": PASSWORD}
    other = api.as_key(None).post("/v1/portal/sessions", sign_in).json_body
    me = api.as_key(first["access_token"])
    changed = me.post(
        "/v1/portal/me/password", {"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    assert changed.status_code == 200, changed.body
    fresh = api.as_key(changed.json_body["access_token"])
    assert fresh.get("/v1/portal/me").status_code == 200
    for ended in (first, other):
        _status(api.as_key(ended["access_token"]).get("/v1/portal/me"), 401, "unauthorized")
        refreshed = api.as_key(None).post(
            "/v1/portal/sessions/refresh", {"refresh_token": ended["refresh_token"]}
        )
        _status(refreshed, 401, "unauthorized")
    _status(api.as_key(None).post("/v1/portal/sessions", sign_in), 401, "unauthorized")
    again = api.as_key(None).post("/v1/portal/sessions", {**sign_in, "password": NEW_PASSWORD})
    assert again.status_code == 200
    events = api.get("/v1/events?type=portal.password_changed").json_body["items"]
    assert len(events) == 1
    assert NEW_PASSWORD not in str(events)
    assert PASSWORD not in str(events)


def test_a_wrong_current_password_is_a_field_error_and_guessing_stops(api):
    customer = _portal(api)
    me = api.as_key(portal_session(api, customer)["access_token"])
    for _ in range(5):
        wrong = me.post(
            "/v1/portal/me/password",
            {"current_password": "not it at all, sorry", "password": NEW_PASSWORD},
        )
        body = _status(wrong, 422, "validation")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [
            ("current_password", "wrong_password")
        ]
    right_but_late = me.post(
        "/v1/portal/me/password", {"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    _status(right_but_late, 429, "rate-limited")
    assert me.get("/v1/portal/me").status_code == 200  # nothing changed


def test_a_weak_new_password_is_refused_with_its_code(api):
    customer = _portal(api)
    me = api.as_key(portal_session(api, customer, "dana@example.com")["access_token"])
    for password, code in (("short", "too_short"), ("dana@example.com", "password_is_email")):
        body = _status(
            me.post("/v1/portal/me/password", {"current_password": PASSWORD, "password": password}),
            422,
            "validation",
        )
        assert [e["code"] for e in body["errors"]] == [code], body
    assert me.get("/v1/portal/me").status_code == 200


def test_a_preview_changes_nothing(api):
    customer = _portal(api)
    portal_session(api, customer, "dana@example.com")
    preview = api.post(f"/v1/customers/{customer}/portal/preview")
    assert preview.status_code == 201, preview.body
    viewer = api.as_key(preview.json_body["url"].split("#session=")[1].split("&")[0])
    _status(viewer.patch("/v1/portal/me", {"name": "Someone"}), 403, "forbidden")
    _status(
        viewer.post(
            "/v1/portal/me/password", {"current_password": PASSWORD, "password": NEW_PASSWORD}
        ),
        403,
        "forbidden",
    )


def test_a_removed_person_cannot_change_anything(api):
    customer = _portal(api)
    portal_session(api, customer, "admin@example.com")
    person = portal_session(api, customer, "dana@example.com")
    user_id = person["user"]["id"]
    assert api.delete(f"/v1/customers/{customer}/portal/users/{user_id}").status_code == 204
    me = api.as_key(person["access_token"])
    _status(me.patch("/v1/portal/me", {"name": "Still here"}), 401, "unauthorized")


# --- invitations in the invitee's language ------------------------------------------------------


def test_an_invitation_goes_out_in_the_language_asked_for(api):
    customer = _portal(api, language="de")
    mails = Outbox()
    sent = api.post(
        f"/v1/customers/{customer}/portal/invitations",
        {"email": "ole@example.com", "send": True, "language": "da"},
    )
    assert sent.status_code == 201, sent.body
    assert "&language=da#token=" in sent.json_body["url"]  # the link shown opens in Danish too
    (mail,) = mails.to("ole@example.com")
    assert "kundeportal" in mail["Subject"]
    assert "language=da#token=" in text_of(mail)

    admin = api.as_key(portal_session(api, customer, "admin@example.com")["access_token"])
    colleague = admin.post("/v1/portal/users", {"email": "eva@example.com", "language": "en"})
    assert colleague.status_code == 201, colleague.body
    (mail,) = mails.to("eva@example.com")
    assert "customer portal" in mail["Subject"]
    assert "language=en#token=" in text_of(mail)
    german = admin.post("/v1/portal/users", {"email": "udo@example.com"})
    assert german.status_code == 201
    (mail,) = mails.to("udo@example.com")
    assert "Kundenportal" in mail["Subject"]  # else the customer's language
    bad = admin.post("/v1/portal/users", {"email": "x@example.com", "language": "xx"})
    assert [e["field"] for e in _status(bad, 422, "validation")["errors"]] == ["language"]
