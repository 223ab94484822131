"""Nobody claims someone else's e-mail (issue 11, item 3): the provider lists, resets and
removes a customer's portal users; a portal administrator's invitation goes to the address
only; a person sets a new password with a link e-mailed to them."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.ids import digest
from chalicelib.models import Token
from tests.conftest import problem
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"
NEW_PASSWORD = "another quite long passphrase"


def _status(response, status, kind):
    body = problem(response)
    assert (body["status"], body["type"]) == (status, f"urn:portway:problem:{kind}"), body
    return body


def _portal(api, name="Acme", language=None):
    body = {"name": name, **({"language": language} if language else {})}
    customer = api.post("/v1/customers", body).json_body["id"]
    assert api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]}).status_code == 200
    return customer


def _users(api, customer):
    listed = api.get(f"/v1/customers/{customer}/portal/users")
    assert listed.status_code == 200, listed.body
    return {u["email"]: u for u in listed.json_body["items"]}


def _sign_in(api, email, password=PASSWORD, portal=None):
    slug = api.get("/v1/tenant").json_body["slug"]
    body = {"tenant": slug, "email": email, "password": password}
    if portal:
        body["portal"] = portal
    return api.as_key(None).post("/v1/portal/sessions", body)


def _reset_link(mails: Outbox, address: str) -> str:
    (mail,) = mails.to(address)
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]
    return secret_after(link, "reset")


def _confirm(api, token, password=NEW_PASSWORD):
    return api.as_key(None).post(
        "/v1/portal/password-resets/confirm", {"token": token, "password": password}
    )


# --- the provider's view --------------------------------------------------------------------


def test_the_provider_lists_a_customers_portal_users(api, other_api):
    customer = _portal(api)
    admin = portal_session(api, customer, "admin@example.com")
    colleague = portal_session(api, customer, "colleague@example.com")
    users = _users(api, customer)
    assert set(users) == {"admin@example.com", "colleague@example.com"}
    assert users["admin@example.com"]["role"] == "portal_admin"
    assert users["colleague@example.com"]["id"] == colleague["user"]["id"]
    assert users["admin@example.com"]["id"] == admin["user"]["id"]
    _status(other_api.get(f"/v1/customers/{customer}/portal/users"), 404, "not-found")


def test_the_provider_removes_a_portal_user_whose_sessions_end(api):
    customer = _portal(api)
    portal_session(api, customer, "admin@example.com")
    colleague = portal_session(api, customer, "colleague@example.com")
    user_id = colleague["user"]["id"]
    assert api.delete(f"/v1/customers/{customer}/portal/users/{user_id}").status_code == 204
    assert set(_users(api, customer)) == {"admin@example.com"}
    _status(api.as_key(colleague["access_token"]).get("/v1/portal/me"), 401, "unauthorized")
    _status(_sign_in(api, "colleague@example.com"), 401, "unauthorized")
    _status(api.delete(f"/v1/customers/{customer}/portal/users/{user_id}"), 404, "not-found")
    actions = [e["action"] for e in api.get("/v1/audit-events").json_body["items"]]
    assert "portal.user_removed" in actions


def test_removing_the_administrator_lets_the_next_invitation_make_a_new_one(api):
    customer = _portal(api)
    admin = portal_session(api, customer, "admin@example.com")
    removed = api.delete(f"/v1/customers/{customer}/portal/users/{admin['user']['id']}")
    assert removed.status_code == 204
    portal = api.get(f"/v1/customers/{customer}/portal").json_body
    assert (portal["status"], portal["admin"]) == ("invited", None)
    successor = portal_session(api, customer, "successor@example.com")
    assert successor["user"]["role"] == "portal_admin"


def test_the_provider_resets_a_password_the_old_one_and_every_session_stop(api):
    customer = _portal(api, language="de")
    person = portal_session(api, customer, "dana@example.com")
    user_id = person["user"]["id"]
    mails = Outbox()
    reset = api.post(f"/v1/customers/{customer}/portal/users/{user_id}/password-reset")
    assert reset.status_code == 202, reset.body
    assert reset.json_body == {"sent_to": "dana@example.com"}
    assert "pwp_" not in reset.body.decode()  # the link goes to the person only

    _status(api.as_key(person["access_token"]).get("/v1/portal/me"), 401, "unauthorized")
    _status(
        api.as_key(None).post(
            "/v1/portal/sessions/refresh", {"refresh_token": person["refresh_token"]}
        ),
        401,
        "unauthorized",
    )
    _status(_sign_in(api, "dana@example.com"), 401, "unauthorized")

    (mail,) = mails.to("dana@example.com")
    assert "Passwort" in mail["Subject"]  # in the customer's language
    session = _confirm(api, _reset_link(mails, "dana@example.com"))
    assert session.status_code == 200, session.body
    assert api.as_key(session.json_body["access_token"]).get("/v1/portal/me").status_code == 200
    assert _sign_in(api, "dana@example.com", NEW_PASSWORD).status_code == 200


def test_an_sso_user_has_no_password_to_reset(api, tenant):
    from tests.handlers.test_sso import _landing, _login, _me, _setup, _token

    sso = _setup(api, tenant)
    _, session = _landing(_login(api, tenant.slug, _token(sso)))
    user_id = _me(api, session["session"])["user"]["id"]
    answer = api.post(f"/v1/customers/{sso.customer_id}/portal/users/{user_id}/password-reset")
    _status(answer, 409, "conflict")


# --- a person resets their own password -----------------------------------------------------


def test_a_person_sets_a_new_password_with_the_emailed_link(api):
    customer = _portal(api)
    person = portal_session(api, customer, "erik@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    asked = api.as_key(None).post(
        "/v1/portal/password-resets", {"tenant": slug, "email": "Erik@Example.com"}
    )
    assert asked.status_code == 202, asked.body
    token = _reset_link(mails, "erik@example.com")

    confirmed = _confirm(api, token)
    assert confirmed.status_code == 200, confirmed.body
    # The other sessions of the account ended; the old password no longer works.
    _status(api.as_key(person["access_token"]).get("/v1/portal/me"), 401, "unauthorized")
    _status(_sign_in(api, "erik@example.com"), 401, "unauthorized")
    assert _sign_in(api, "erik@example.com", NEW_PASSWORD).status_code == 200
    # The link works once.
    _status(_confirm(api, token, "yet another long passphrase"), 401, "unauthorized")


def test_asking_for_an_unknown_address_answers_the_same_and_sends_nothing(api):
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    for tenant, email in ((slug, "nobody@example.com"), ("no-such-provider", "x@example.com")):
        asked = api.as_key(None).post(
            "/v1/portal/password-resets", {"tenant": tenant, "email": email}
        )
        assert (asked.status_code, asked.body) == (202, b"")
    assert mails.new() == []


def test_a_reset_link_expires_after_an_hour(api):
    customer = _portal(api)
    portal_session(api, customer, "frida@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    api.as_key(None).post(
        "/v1/portal/password-resets", {"tenant": slug, "email": "frida@example.com"}
    )
    token = _reset_link(mails, "frida@example.com")
    item = Token.get(digest(token))
    item.update(actions=[Token.expires_at.set(item.created_at - timedelta(seconds=1))])
    _status(_confirm(api, token), 401, "unauthorized")
    assert _sign_in(api, "frida@example.com").status_code == 200  # nothing changed


def test_a_reset_link_opened_on_another_providers_or_portals_page_is_refused(api, other_api):
    customer = _portal(api)
    portal_session(api, customer, "gustav@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    other_slug = other_api.get("/v1/tenant").json_body["slug"]
    elsewhere = _portal(api, name="Other customer")
    other_portal = api.get(f"/v1/customers/{elsewhere}/portal").json_body["id"]
    own_portal = api.get(f"/v1/customers/{customer}/portal").json_body["id"]
    mails = Outbox()
    api.as_key(None).post(
        "/v1/portal/password-resets", {"tenant": slug, "email": "gustav@example.com"}
    )
    token = _reset_link(mails, "gustav@example.com")
    anonymous = api.as_key(None)
    body = {"token": token, "password": NEW_PASSWORD}
    for page in ({"tenant": other_slug}, {"tenant": slug, "portal": other_portal}):
        refused = anonymous.post("/v1/portal/password-resets/confirm", {**body, **page})
        _status(refused, 401, "unauthorized")
    assert _sign_in(api, "gustav@example.com").status_code == 200  # nothing changed
    # On its own page the link still works, once.
    own = {**body, "tenant": slug, "portal": own_portal}
    assert anonymous.post("/v1/portal/password-resets/confirm", own).status_code == 200
    _status(anonymous.post("/v1/portal/password-resets/confirm", own), 401, "unauthorized")


def test_a_weak_new_password_is_422_and_the_link_stays_usable(api):
    customer = _portal(api)
    portal_session(api, customer, "gus@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    api.as_key(None).post(
        "/v1/portal/password-resets", {"tenant": slug, "email": "gus@example.com"}
    )
    token = _reset_link(mails, "gus@example.com")
    body = _status(_confirm(api, token, "short"), 422, "validation")
    assert body["errors"][0]["field"] == "password"
    assert _confirm(api, token).status_code == 200


# --- invitations by a portal administrator --------------------------------------------------


def test_a_portal_admin_never_holds_the_link_to_someone_elses_address(api):
    customer = _portal(api)
    admin = api.as_key(portal_session(api, customer, "admin@example.com")["access_token"])
    mails = Outbox()
    invited = admin.post("/v1/portal/users", {"email": "victim@example.com"})
    assert invited.status_code == 201, invited.body
    assert "#token=" not in invited.body.decode()
    # The admin sees the invitation listed, never its link; only the address got it.
    listed = api.get(f"/v1/customers/{customer}/portal/invitations").json_body["items"]
    assert "pwi_" not in str(listed)
    (mail,) = mails.to("victim@example.com")
    assert "#token=pwi_" in text_of(mail)


def test_a_provider_invitation_can_be_sent_by_email(api):
    customer = _portal(api, language="da")
    mails = Outbox()
    sent = api.post(
        f"/v1/customers/{customer}/portal/invitations",
        {"email": "Ole@Example.com", "send": True},
    )
    assert sent.status_code == 201, sent.body
    assert sent.json_body["sent_to"] == "ole@example.com"
    (mail,) = mails.to("ole@example.com")
    assert "kundeportal" in mail["Subject"]
    address, fragment = sent.json_body["url"].split("#")
    # The same link, opening the page in the customer's language.
    assert f"{address}&language=da#{fragment}" in text_of(mail)
    without = api.post(f"/v1/customers/{customer}/portal/invitations", {"send": True})
    assert problem(without)["errors"][0]["field"] == "send"


def test_signing_in_without_naming_the_portal_asks_which_when_two_match(api):
    first, second = _portal(api, "First"), _portal(api, "Second")
    one = portal_session(api, first, "both@example.com")
    two = portal_session(api, second, "both@example.com")
    answer = _status(_sign_in(api, "both@example.com"), 409, "conflict")
    first_portal = api.get(f"/v1/customers/{first}/portal").json_body["id"]
    second_portal = api.get(f"/v1/customers/{second}/portal").json_body["id"]
    assert sorted(answer["portals"]) == sorted([first_portal, second_portal])
    assert one["user"]["id"] not in str(answer)
    assert two["user"]["id"] not in str(answer)
    named = _sign_in(api, "both@example.com", portal=first_portal)
    assert named.status_code == 200, named.body
    me = api.as_key(named.json_body["access_token"]).get("/v1/portal/me").json_body
    assert me["customer"]["id"] == first


def test_reset_requests_from_one_address_cannot_use_up_the_owners(api, monkeypatch):
    from chalice.local import LambdaEventConverter

    customer = _portal(api)
    portal_session(api, customer, "hanna@example.com")
    slug = api.get("/v1/tenant").json_body["slug"]
    body = {"tenant": slug, "email": "hanna@example.com"}
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.66")
    mails = Outbox()
    for _ in range(6):  # someone else keeps asking for her: the answer never changes
        assert api.as_key(None).post("/v1/portal/password-resets", body).status_code == 202
    assert len(mails.to("hanna@example.com")) == 3  # and only a few mails go out
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.67")
    mails = Outbox()
    assert api.as_key(None).post("/v1/portal/password-resets", body).status_code == 202
    assert len(mails.to("hanna@example.com")) == 1  # her own request still gets its link


def test_a_portal_admin_cannot_make_portway_send_mail_without_end(api):
    customer = _portal(api)
    admin = api.as_key(portal_session(api, customer, "admin@example.com")["access_token"])
    mails = Outbox()
    answers = [
        admin.post("/v1/portal/users", {"email": "target@example.com"}).status_code
        for _ in range(5)
    ]
    assert answers == [201, 201, 201, 429, 429]
    assert len(mails.to("target@example.com")) == 3
