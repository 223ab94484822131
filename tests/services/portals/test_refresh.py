"""Refreshing a portal session, at its edges: the grace window for a client's own
concurrent refreshes (20 s, a few uses), reuse after it, a session past its end (+1 s and
+47 h: TTL deletes up to 48 h late), a session whose item is gone, and a provider's reset
that must not silently undo a password set a moment before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import Unauthorized
from chalicelib.ids import digest
from chalicelib.models import PortalUser, Token
from chalicelib.schemas.portal_access import PasswordResetConfirm, RefreshRequest, Session
from chalicelib.services.platform import session_families
from chalicelib.services.portals import portal_accounts, sessions
from chalicelib.tenancy import Caller
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import portal_session

CALLER = Caller("203.0.113.20")


@pytest.fixture
def person(api):
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body["id"]
    assert api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]}).status_code == 200
    return customer, portal_session(api, customer)


def _refresh(token: str, at) -> Session:
    return portal_accounts.refresh(CALLER, RefreshRequest(refresh_token=token), clock=lambda: at)


def _family(token: str) -> Token:
    return Token.get(sessions._family_digest(str(Token.get(digest(token)).family_id)))


def test_a_spent_token_again_within_20_seconds_gets_a_pair_of_the_same_session(person):
    _, session = person
    now = utcnow()
    first = _refresh(session["refresh_token"], now)
    again = _refresh(session["refresh_token"], now + timedelta(seconds=19))
    assert again.refresh_token != first.refresh_token
    # Both pairs belong to the one session, which stays open.
    assert _family(first.refresh_token).digest == _family(again.refresh_token).digest
    assert _family(first.refresh_token).state == "live"


def test_a_spent_token_again_after_the_window_closes_the_session(person):
    _, session = person
    now = utcnow()
    first = _refresh(session["refresh_token"], now)
    with pytest.raises(Unauthorized):
        _refresh(session["refresh_token"], now + timedelta(seconds=21))
    assert _family(first.refresh_token).state == "revoked"
    with pytest.raises(Unauthorized):  # the newest token is closed with it
        _refresh(first.refresh_token, now + timedelta(seconds=22))


def test_the_grace_window_gives_a_few_pairs_not_any_number(person):
    _, session = person
    now = utcnow()
    _refresh(session["refresh_token"], now)
    for i in range(session_families.GRACE_USES):
        _refresh(session["refresh_token"], now + timedelta(seconds=1 + i))
    with pytest.raises(Unauthorized):
        _refresh(session["refresh_token"], now + timedelta(seconds=10))


@pytest.mark.parametrize("late", [timedelta(seconds=1), timedelta(hours=47)])
def test_a_session_past_its_end_is_not_refreshed_even_before_ttl_removes_it(person, late):
    _, session = person
    family = _family(session["refresh_token"])
    end = family.expires_at
    # The refresh token would still be live: the session's own end decides.
    Token.get(digest(session["refresh_token"])).update(
        actions=[Token.expires_at.set(end + timedelta(days=2))]
    )
    with pytest.raises(Unauthorized):
        _refresh(session["refresh_token"], end + late)


def test_refreshing_never_extends_the_session(person):
    _, session = person
    now = utcnow()
    later = _refresh(session["refresh_token"], now + timedelta(days=10))
    assert (
        Token.get(digest(later.refresh_token)).expires_at == _family(later.refresh_token).expires_at
    )


def test_a_spent_token_of_a_session_whose_item_is_gone_is_401_not_500(person):
    _, session = person
    now = utcnow()
    first = _refresh(session["refresh_token"], now)
    _family(first.refresh_token).delete()  # TTL removed it
    with pytest.raises(Unauthorized):
        _refresh(session["refresh_token"], now + timedelta(minutes=5))


def test_a_providers_reset_does_not_silently_undo_a_password_set_meanwhile(
    api, person, monkeypatch
):
    customer, session = person
    user_id = session["user"]["id"]
    tenant_id = api.get("/v1/tenant").json_body["id"]
    stale = PortalUser.get(tenant_id, PortalUser.key_for(customer, user_id))
    # The person sets a new password (through a reset link) after the provider read them.
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    api.as_key(None).post(
        "/v1/portal/password-resets", {"tenant": slug, "email": session["user"]["email"]}
    )
    (mail,) = mails.new()
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]
    fresh = portal_accounts.confirm_reset(
        CALLER,
        PasswordResetConfirm(token=secret_after(link, "reset"), password="a brand new passphrase"),
    )
    monkeypatch.setattr(portal_accounts, "_load_user", lambda *args: stale)
    answer = api.post(f"/v1/customers/{customer}/portal/users/{user_id}/password-reset")
    assert answer.status_code == 409, answer.body
    # The session made with the new password still works: nothing was half done.
    assert api.as_key(fresh.access_token).get("/v1/portal/me").status_code == 200
