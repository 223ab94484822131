"""Races on sessions and sign-ins, on threads against DynamoDB Local (moto's store is not
thread-safe): a burst of guesses while backing off gets one attempt; three parallel refreshes
with one refresh token (a client with several tabs) all succeed and keep the session open."""

from __future__ import annotations

import secrets

import pytest

from chalicelib.errors import RateLimited, Unauthorized
from chalicelib.schemas.portal_access import RefreshRequest, Session, SignIn
from chalicelib.services.platform import ratelimit
from chalicelib.services.portals import portal_accounts
from chalicelib.tenancy import Caller
from tests.races import race
from tests.samples import portal_session
from tests.services.portals.test_sign_in_backoff import Clock, _fail

pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)
PASSWORD = "a long and uncommon passphrase"


@pytest.fixture
def person(api):
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body
    put = api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    email = f"racer-{secrets.token_hex(3)}@example.com"
    return email, portal_session(api, customer["id"], email)


def test_a_parallel_burst_while_backing_off_gets_one_attempt(api, tenant, person, monkeypatch):
    clock = Clock(monkeypatch)
    email, _ = person
    source = Caller(f"203.0.113.9:{secrets.token_hex(4)}")
    _fail(source, tenant.slug, email, 6, clock)
    clock.wait(3600)  # the wait is over: one attempt is due

    def guess() -> Session:
        return portal_accounts.sign_in(
            source, SignIn(tenant=tenant.slug, email=email, password="a wrong guess")
        )

    outcomes = race(guess, [()] * 20)
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds.count("Unauthorized") == 1, kinds
    assert kinds.count("RateLimited") == 19, kinds


def test_a_parallel_burst_with_fresh_counters_gets_one_attempt_and_is_counted(
    api, tenant, person, monkeypatch
):
    clock = Clock(monkeypatch)
    email, _ = person
    source = Caller(f"203.0.113.11:{secrets.token_hex(4)}")

    def guess() -> Session:
        return portal_accounts.sign_in(
            source, SignIn(tenant=tenant.slug, email=email, password="a wrong guess")
        )

    outcomes = race(guess, [()] * 30)
    kinds = [type(o).__name__ for o in outcomes]
    went = kinds.count("Unauthorized")  # attempts that read the counter as another left it
    free = ratelimit.SIGN_IN_FROM_SOURCE.free
    assert 1 <= went <= free, kinds
    assert kinds.count("RateLimited") == 30 - went, kinds
    # Every attempt that went ahead was counted: the free ones left are the rest of five.
    for _ in range(free - went):
        clock.wait(1)
        assert isinstance(refresh_sign_in(guess), Unauthorized)
    assert isinstance(refresh_sign_in(guess), RateLimited)


def refresh_sign_in(attempt) -> Session | Exception:
    try:
        return attempt()
    except (Unauthorized, RateLimited) as refused:
        return refused


def test_three_parallel_refreshes_with_one_token_keep_the_session(api, person):
    _, session = person
    caller = Caller("203.0.113.10")

    def refresh() -> Session:
        return portal_accounts.refresh(
            caller, RefreshRequest(refresh_token=session["refresh_token"])
        )

    outcomes = race(refresh, [()] * 3)
    assert all(isinstance(o, Session) for o in outcomes), outcomes
    # Every new pair works, and refreshes on: the family was not closed.
    for pair in outcomes:
        assert api.as_key(pair.access_token).get("/v1/portal/me").status_code == 200
        assert isinstance(refresh_with(caller, pair.refresh_token), Session)


def refresh_with(caller: Caller, token: str) -> Session | Exception:
    try:
        return portal_accounts.refresh(caller, RefreshRequest(refresh_token=token))
    except (Unauthorized, RateLimited) as refused:
        return refused
