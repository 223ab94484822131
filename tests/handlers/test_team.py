"""The provider's team (issue 13, item 1): invitations by e-mail, sign-in, refresh, sign-out,
password resets, the second factor, roles, and what a member's access dies with. Every flow
goes through the HTTP API as the console uses it, with the e-mails read from the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from chalicelib.models import Event, TeamMember, Tenant, Token
from chalicelib.services.team import members
from chalicelib.tenancy import Actor
from tests.conftest import problem
from tests.mail import Outbox, links_in, secret_after, text_of

PASSWORD = "a long and uncommon passphrase"
NEW_PASSWORD = "another rather uncommon passphrase"


def _invite(api, email: str, role: str, name: str = "Ann Admin") -> str:
    """Invite a person and return the secret of the link e-mailed to them."""
    mails = Outbox()
    answer = api.post("/v1/team/members", {"email": email, "role": role, "name": name})
    assert answer.status_code == 201, answer.body
    (mail,) = mails.to(email)
    (link,) = links_in(text_of(mail))
    assert "/console?language=" in link
    assert "#invite=pwi_" in link
    return secret_after(link, "invite")


def _join(api, email: str, role: str) -> dict:
    """Invite and accept: the new member's first session."""
    token = _invite(api, email, role)
    joined = api.as_key(None).post(
        "/v1/team/invitations/accept", {"token": token, "name": "Ann", "password": PASSWORD}
    )
    assert joined.status_code == 201, joined.body
    return joined.json_body


def _sign_in(api, slug: str, email: str, password: str = PASSWORD, otp: str | None = None):
    body = {"tenant": slug, "email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    return api.as_key(None).post("/v1/team/sessions", body)


@pytest.fixture
def slug(api) -> str:
    return str(api.get("/v1/tenant").json_body["slug"])


# -- joining ---------------------------------------------------------------------------------


def test_an_invited_person_joins_by_the_mailed_link_and_works_in_the_api(api, tenant):
    joined = _join(api, "ann@example.com", "editor")
    assert joined["member"]["status"] == "active"
    assert joined["member"]["role"] == "editor"
    me = api.as_key(joined["access_token"])
    who = me.get("/v1/team/me").json_body
    assert who["member"]["email"] == "ann@example.com"
    assert "write" in who["scopes"]
    assert "admin" not in who["scopes"]
    created = me.post("/v1/customers", {"name": "Made by a person"})
    assert created.status_code == 201, created.body
    # The audit log names the person, not a key.
    types = {e.type: e.actor for e in Event.query(tenant.id, consistent_read=True) if e.object_id}
    assert types["customer.created"] == f"member:{joined['member']['id']}"
    assert types["team.member_joined"] == f"member:{joined['member']['id']}"


@pytest.mark.parametrize(
    ("language", "words"), [("de", "Einladung ins Team"), ("da", "bliv en del af teamet")]
)
def test_the_invitation_mail_speaks_the_tenants_language(api, tenant, language, words):
    item = Tenant.get(tenant.id)
    item.update(actions=[Tenant.default_language.set(language)])
    mails = Outbox()
    api.post("/v1/team/members", {"email": "bo@example.com", "role": "viewer"})
    (mail,) = mails.to("bo@example.com")
    assert words in mail["Subject"]
    (link,) = links_in(text_of(mail))
    assert f"language={language}#invite=" in link


def test_an_invitation_works_once(api):
    token = _invite(api, "ann@example.com", "viewer")
    body = {"token": token, "name": "Ann", "password": PASSWORD}
    assert api.as_key(None).post("/v1/team/invitations/accept", body).status_code == 201
    again = api.as_key(None).post("/v1/team/invitations/accept", body)
    assert again.status_code == 401
    assert problem(again)["status"] == 401


def test_inviting_again_replaces_the_link(api):
    first = _invite(api, "ann@example.com", "viewer")
    second = _invite(api, "ann@example.com", "viewer")
    body = {"name": "Ann", "password": PASSWORD}
    assert (
        api.as_key(None).post("/v1/team/invitations/accept", {"token": first, **body}).status_code
        == 401
    )
    assert (
        api.as_key(None).post("/v1/team/invitations/accept", {"token": second, **body}).status_code
        == 201
    )


def test_an_expired_invitation_is_401_and_changes_nothing(api, tenant):
    link = members.invite_owner(
        Actor(tenant.id, "operator"),
        "late@example.com",
        clock=lambda: datetime.now(UTC) - timedelta(days=7, seconds=5),
    )
    answer = api.as_key(None).post(
        "/v1/team/invitations/accept",
        {"token": secret_after(link, "invite"), "name": "Late", "password": PASSWORD},
    )
    assert answer.status_code == 401
    member = TeamMember.get(tenant.id, TeamMember.member_id_for(tenant.id, "late@example.com"))
    assert member.status == "invited"
    assert member.password_hash is None


def test_a_member_already_in_the_team_is_409(api):
    _join(api, "ann@example.com", "viewer")
    again = api.post("/v1/team/members", {"email": "ANN@example.com", "role": "viewer"})
    assert again.status_code == 409


def test_a_weak_password_is_422_on_its_field(api):
    token = _invite(api, "ann@example.com", "viewer")
    answer = api.as_key(None).post(
        "/v1/team/invitations/accept", {"token": token, "name": "Ann", "password": "short"}
    )
    assert answer.status_code == 422
    assert [e["field"] for e in problem(answer)["errors"]] == ["password"]


# -- signing in, refreshing, signing out -----------------------------------------------------


def test_sign_in_refresh_and_sign_out(api, tenant, slug):
    _join(api, "ann@example.com", "viewer")
    wrong = _sign_in(api, slug, "ann@example.com", "not the password at all")
    assert wrong.status_code == 401
    unknown = _sign_in(api, slug, "nobody@example.com")
    assert unknown.status_code == 401
    assert problem(wrong)["detail"] == problem(unknown)["detail"]
    session = _sign_in(api, slug, "ANN@example.com").json_body
    me = api.as_key(session["access_token"])
    assert me.get("/v1/customers").status_code == 200
    refreshed = api.as_key(None).post(
        "/v1/team/sessions/refresh", {"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status_code == 200
    assert "team.session_refreshed" in {e.type for e in Event.query(tenant.id)}
    # The spent token, presented again later, closes the whole session.
    new = refreshed.json_body
    assert api.as_key(new["access_token"]).delete("/v1/team/sessions").status_code == 204
    assert api.as_key(new["access_token"]).get("/v1/customers").status_code == 401
    assert (
        api.as_key(None)
        .post("/v1/team/sessions/refresh", {"refresh_token": new["refresh_token"]})
        .status_code
        == 401
    )


def test_a_portal_refresh_token_is_no_team_refresh_token(api, slug):
    from tests.samples import portal_session

    customer = api.post("/v1/customers", {"name": "C"}).json_body["id"]
    api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    portal = portal_session(api, customer)
    answer = api.as_key(None).post(
        "/v1/team/sessions/refresh", {"refresh_token": portal["refresh_token"]}
    )
    assert answer.status_code == 401
    # Nor a portal access token a staff token, or the other way round.
    assert api.as_key(portal["access_token"]).get("/v1/customers").status_code == 401
    staff = _join(api, "ann@example.com", "viewer")
    assert api.as_key(staff["access_token"]).get("/v1/portal/me").status_code == 401


def test_a_removed_members_tokens_stop_at_once(api):
    joined = _join(api, "ann@example.com", "editor")
    person = api.as_key(joined["access_token"])
    assert person.get("/v1/customers").status_code == 200
    assert api.delete(f"/v1/team/members/{joined['member']['id']}").status_code == 204
    assert person.get("/v1/customers").status_code == 401
    assert person.post("/v1/customers", {"name": "x"}).status_code == 401
    assert (
        api.as_key(None)
        .post("/v1/team/sessions/refresh", {"refresh_token": joined["refresh_token"]})
        .status_code
        == 401
    )
    assert api.get("/v1/customers").json_body["items"] == []


def test_a_new_role_reaches_the_session_at_its_next_refresh(api):
    joined = _join(api, "ann@example.com", "viewer")
    member = joined["member"]["id"]
    person = api.as_key(joined["access_token"])
    assert person.post("/v1/customers", {"name": "x"}).status_code == 403
    assert api.patch(f"/v1/team/members/{member}", {"role": "editor"}).status_code == 200
    assert person.get("/v1/customers").status_code == 401  # the token says viewer
    fresh = (
        api.as_key(None)
        .post("/v1/team/sessions/refresh", {"refresh_token": joined["refresh_token"]})
        .json_body
    )
    assert api.as_key(fresh["access_token"]).post("/v1/customers", {"name": "x"}).status_code == 201


# -- roles -----------------------------------------------------------------------------------


def test_a_viewer_reads_and_changes_nothing(api):
    customer = api.post("/v1/customers", {"name": "Kept"}).json_body
    viewer = api.as_key(_join(api, "vic@example.com", "viewer")["access_token"])
    assert viewer.get(f"/v1/customers/{customer['id']}").status_code == 200
    refused = viewer.patch(f"/v1/customers/{customer['id']}", {"name": "Changed"})
    assert refused.status_code == 403
    assert problem(refused)["reason"] == "role"
    assert viewer.delete(f"/v1/customers/{customer['id']}").status_code == 403
    assert api.get(f"/v1/customers/{customer['id']}").json_body == customer


def test_an_agent_cannot_change_billing(api):
    agent = api.as_key(_join(api, "agnes@example.com", "agent")["access_token"])
    assert agent.post("/v1/plans", {"name": "Sneaky"}).status_code == 403
    assert agent.put("/v1/self-service-settings", {}).status_code == 403
    assert api.get("/v1/plans").json_body["items"] == []


def test_only_an_owner_makes_owners_and_the_last_owner_stays(api, tenant):
    admin = api.as_key(_join(api, "adam@example.com", "admin")["access_token"])
    refused = admin.post("/v1/team/members", {"email": "o@example.com", "role": "owner"})
    assert refused.status_code == 403
    owner_link = members.invite_owner(Actor(tenant.id, "operator"), "olga@example.com")
    owner = (
        api.as_key(None)
        .post(
            "/v1/team/invitations/accept",
            {"token": secret_after(owner_link, "invite"), "name": "Olga", "password": PASSWORD},
        )
        .json_body
    )
    owner_id = owner["member"]["id"]
    assert admin.delete(f"/v1/team/members/{owner_id}").status_code == 403
    me = api.as_key(owner["access_token"])
    demoted = me.patch(f"/v1/team/members/{owner_id}", {"role": "admin"})
    assert demoted.status_code == 409
    assert problem(demoted)["reason"] == "last_owner"
    assert me.delete(f"/v1/team/members/{owner_id}").status_code == 409


def test_an_api_key_is_no_person(api):
    assert api.get("/v1/team/me").status_code == 401
    assert api.post("/v1/team/me/mfa/totp").status_code == 401


# -- the second factor -----------------------------------------------------------------------


def _enrol(api, access_token: str) -> tuple[str, dict]:
    person = api.as_key(access_token)
    enrolment = person.post("/v1/team/me/mfa/totp")
    assert enrolment.status_code == 201, enrolment.body
    secret = enrolment.json_body["secret"]
    assert enrolment.json_body["otpauth_uri"].startswith("otpauth://totp/")
    confirmed = person.post("/v1/team/me/mfa/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.body
    return secret, confirmed.json_body


def _code_at(secret: str, steps_from_now: int) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_from_now))


def test_with_a_second_factor_sign_in_asks_for_the_code_and_takes_each_once(api, slug):
    joined = _join(api, "ann@example.com", "admin")
    secret, renewed = _enrol(api, joined["access_token"])
    # Turning it on ended the other sessions and renewed the caller's.
    assert api.as_key(joined["access_token"]).get("/v1/customers").status_code == 401
    assert api.as_key(renewed["access_token"]).get("/v1/customers").status_code == 200
    asked = _sign_in(api, slug, "ann@example.com")
    assert asked.status_code == 401
    assert problem(asked)["mfa_required"] is True
    code = _code_at(secret, 1)  # the enrolment spent this step's code
    assert _sign_in(api, slug, "ann@example.com", otp=code).status_code == 200
    reused = _sign_in(api, slug, "ann@example.com", otp=code)
    assert reused.status_code == 401
    assert problem(reused)["mfa_required"] is True


def test_a_wrong_code_five_times_slows_the_sign_in_down(api, slug):
    joined = _join(api, "ann@example.com", "admin")
    secret, _ = _enrol(api, joined["access_token"])
    right = _code_at(secret, 1)
    wrong = "000000" if right != "000000" else "111111"
    statuses = [_sign_in(api, slug, "ann@example.com", otp=wrong).status_code for _ in range(6)]
    assert statuses[0] == 401
    assert 429 in statuses, statuses
    assert set(statuses) <= {401, 429}


def test_a_required_second_factor_is_set_up_before_anything_else(api, slug):
    joined = _join(api, "ann@example.com", "admin")
    assert api.put("/v1/team/settings", {"require_second_factor": True}).status_code == 200
    session = _sign_in(api, slug, "ann@example.com").json_body
    assert session["second_factor_required"] is True
    person = api.as_key(session["access_token"])
    blocked = person.get("/v1/customers")
    assert blocked.status_code == 403
    assert problem(blocked)["reason"] == "second_factor_required"
    assert person.get("/v1/team/me").json_body["second_factor_required"] is True
    _, renewed = _enrol(api, session["access_token"])
    assert renewed["second_factor_required"] is False
    assert api.as_key(renewed["access_token"]).get("/v1/customers").status_code == 200
    # Nor can it be turned off while the team requires it.
    off = api.as_key(renewed["access_token"]).request(
        "DELETE", "/v1/team/me/mfa/totp", {"password": PASSWORD}
    )
    assert off.status_code == 409
    # An editor is not asked.
    _join(api, "ed@example.com", "editor")
    assert _sign_in(api, slug, "ed@example.com").json_body["second_factor_required"] is False
    assert joined


def test_a_sealed_secret_is_stored_never_the_secret(api, tenant):
    joined = _join(api, "ann@example.com", "viewer")
    secret, _ = _enrol(api, joined["access_token"])
    member = TeamMember.get(tenant.id, joined["member"]["id"])
    assert member.totp_secret
    assert secret not in member.totp_secret


# -- password resets -------------------------------------------------------------------------


def test_a_password_reset_by_mailed_link_ends_every_session(api, slug):
    joined = _join(api, "ann@example.com", "viewer")
    mails = Outbox()
    asked = api.as_key(None).post(
        "/v1/team/password-resets", {"tenant": slug, "email": "ann@example.com"}
    )
    assert asked.status_code == 202
    unknown = api.as_key(None).post(
        "/v1/team/password-resets", {"tenant": slug, "email": "who@example.com"}
    )
    assert unknown.status_code == 202
    assert unknown.body == asked.body
    (mail,) = mails.new()
    (link,) = links_in(text_of(mail))
    token = secret_after(link, "reset")
    done = api.as_key(None).post(
        "/v1/team/password-resets/confirm", {"token": token, "password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.body
    assert api.as_key(joined["access_token"]).get("/v1/customers").status_code == 401
    assert _sign_in(api, slug, "ann@example.com").status_code == 401
    assert _sign_in(api, slug, "ann@example.com", NEW_PASSWORD).status_code == 200
    again = api.as_key(None).post(
        "/v1/team/password-resets/confirm", {"token": token, "password": PASSWORD}
    )
    assert again.status_code == 401


def test_secrets_are_stored_as_digests_only(api, tenant):
    token = _invite(api, "ann@example.com", "viewer")
    assert not any(token in str(t.attribute_values) for t in Token.scan())


def test_a_stale_remembered_slug_costs_a_read_never_a_wrong_tenant(api, other_api, slug):
    from chalicelib.services.platform import tenants

    _join(api, "ann@example.com", "viewer")
    other = other_api.get("/v1/tenant").json_body["id"]
    tenants._KNOWN_SLUGS[tenants._slug_key(slug)] = other  # as if the tables were made again
    signed_in = _sign_in(api, slug, "ann@example.com")
    assert signed_in.status_code == 200
    assert tenants.known_tenant_id(slug) != other


def test_a_members_preview_as_the_customer_ends_when_the_member_is_removed(api):
    customer = api.post("/v1/customers", {"name": "Previewed"}).json_body["id"]
    api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    joined = _join(api, "ann@example.com", "editor")
    person = api.as_key(joined["access_token"])
    started = person.post(f"/v1/customers/{customer}/portal/preview")
    assert started.status_code == 201, started.body
    preview = api.as_key(started.json_body["url"].split("#session=")[1])
    assert preview.get("/v1/portal/me").status_code == 200
    assert preview.post("/v1/portal/users", {"email": "x@example.com"}).status_code == 403
    assert api.delete(f"/v1/team/members/{joined['member']['id']}").status_code == 204
    assert preview.get("/v1/portal/me").status_code == 401


def test_guessing_team_links_from_one_address_is_slowed_down(api, monkeypatch):
    from chalicelib.services.platform import ratelimit

    monkeypatch.setattr(
        ratelimit, "TEAM_LINK_PER_ADDRESS", ratelimit.Limit("team-link-test", 3, timedelta(hours=1))
    )
    guesses = [
        api.as_key(None)
        .post(
            "/v1/team/invitations/accept",
            {"token": f"pwi_guess{i}", "name": "G", "password": PASSWORD},
        )
        .status_code
        for i in range(5)
    ]
    assert guesses[:3] == [401, 401, 401]
    assert guesses[3:] == [429, 429]
