"""Failed sign-ins slow the attacker down and never lock the owner of a password out: per
account from one source with a long backoff, per account with a short cap, per source with a
high threshold and a short cap; a success forgets the account's failures; a parallel burst
of guesses gets one attempt while backing off."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import RateLimited, Unauthorized
from chalicelib.schemas.portal_access import Session, SignIn
from chalicelib.services.platform import ratelimit
from chalicelib.services.portals import portal_accounts
from chalicelib.tenancy import Caller
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"
WRONG = "a wrong guess"


class Clock:
    """The rate limiter's clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # Just after the start of a day: a test's waits never carry it into the counters'
        # next window (hourly and daily), whatever the time the suite runs at.
        self.now = utcnow().replace(hour=0, minute=1, second=0, microsecond=0)
        monkeypatch.setattr(ratelimit, "utcnow", lambda: self.now)

    def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def account(api, tenant) -> tuple[str, str]:
    """(tenant slug, e-mail) of a real portal account with PASSWORD."""
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body
    put = api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    email = f"owner-{secrets.token_hex(3)}@example.com"
    portal_session(api, customer["id"], email)
    return tenant.slug, email


def _source() -> Caller:
    return Caller(f"198.51.100.{secrets.randbelow(250) + 1}:{secrets.token_hex(4)}")


def _sign_in(source: Caller, slug: str, email: str, password: str) -> Session:
    return portal_accounts.sign_in(source, SignIn(tenant=slug, email=email, password=password))


def _fail(source: Caller, slug: str, email: str, times: int, clock: Clock) -> None:
    """`times` wrong guesses, each as soon as the limiter lets it in."""
    for _ in range(times):
        try:
            with pytest.raises(Unauthorized):
                _sign_in(source, slug, email, WRONG)
        except RateLimited as waiting:
            clock.wait(int(waiting.headers["Retry-After"]))
            with pytest.raises(Unauthorized):
                _sign_in(source, slug, email, WRONG)


def _retry_after(source: Caller, slug: str, email: str, password: str) -> int:
    with pytest.raises(RateLimited) as limited:
        _sign_in(source, slug, email, password)
    assert limited.value.status == 429
    return int(limited.value.headers["Retry-After"])


def test_the_first_five_failures_from_a_source_cost_no_wait(account, clock):
    slug, email = account
    source = _source()
    for _ in range(5):
        with pytest.raises(Unauthorized):
            _sign_in(source, slug, email, WRONG)
    # The sixth attempt waits a moment after the fifth failure, then the password works.
    wait = _retry_after(source, slug, email, PASSWORD)
    assert 1 <= wait <= 2
    clock.wait(wait)
    assert _sign_in(source, slug, email, PASSWORD).token_type == "Bearer"


def test_the_backoff_from_one_source_doubles_and_the_right_password_works_after_it(account, clock):
    slug, email = account
    attacker = _source()
    _fail(attacker, slug, email, 12, clock)
    first_wait = _retry_after(attacker, slug, email, WRONG)
    clock.wait(first_wait)
    with pytest.raises(Unauthorized):
        _sign_in(attacker, slug, email, WRONG)
    second_wait = _retry_after(attacker, slug, email, WRONG)
    assert second_wait >= 2 * first_wait - 1  # doubled
    assert second_wait <= 15 * 60 + 1  # never more than the cap
    # Never locked: once the wait is over, the right password signs in from there too.
    clock.wait(second_wait)
    assert _sign_in(attacker, slug, email, PASSWORD).token_type == "Bearer"


def test_the_owner_at_a_clean_address_signs_in_at_once_whatever_attackers_do(account, clock):
    slug, email = account
    attackers = [_source() for _ in range(8)]
    for attacker in attackers:  # attackers at several addresses: 40 failures on the account
        _fail(attacker, slug, email, 5, clock)
    # The attackers are held back by the account's count as well as their own...
    for attacker in attackers:
        assert _retry_after(attacker, slug, email, WRONG) >= 1
    # ... while the owner, who never failed from her address, is not.
    assert _sign_in(_source(), slug, email, PASSWORD).token_type == "Bearer"


def test_a_source_that_failed_on_the_account_waits_at_most_half_a_minute_for_it(account, clock):
    slug, email = account
    for _ in range(8):
        _fail(_source(), slug, email, 5, clock)
    owner = _source()
    with pytest.raises(Unauthorized):  # she mistypes once: the account's count applies to her
        _sign_in(owner, slug, email, WRONG)
    wait = _retry_after(owner, slug, email, PASSWORD)
    assert wait <= 31
    clock.wait(wait)
    assert _sign_in(owner, slug, email, PASSWORD).token_type == "Bearer"


def test_an_office_behind_one_address_is_never_locked_out(api, tenant, account, clock):
    slug, _ = account
    office = _source()
    # 150 people behind one NAT mistype their passwords (each an account of its own).
    for i in range(150):
        with pytest.raises((Unauthorized, RateLimited)) as refused:
            _sign_in(office, slug, f"colleague{i}@example.com", WRONG)
        if refused.type is RateLimited:
            assert int(refused.value.headers["Retry-After"]) <= 61
            clock.wait(int(refused.value.headers["Retry-After"]))
    # Colleagues who know their passwords sign in one after another: the first waits at
    # most a minute after the last typo, the next ones not at all.
    colleagues = [account] + [(slug, _second_account(api)) for _ in range(2)]
    for number, (_, address) in enumerate(colleagues):
        try:
            session = _sign_in(office, slug, address, PASSWORD)
        except RateLimited as waiting:
            assert number == 0, "only the first sign-in after the typos waits"
            wait = int(waiting.headers["Retry-After"])
            assert wait <= 61  # a minute at most, never fifteen
            clock.wait(wait)
            session = _sign_in(office, slug, address, PASSWORD)
        assert session.token_type == "Bearer"
        clock.wait(5)


def _second_account(api) -> str:
    customer = api.post("/v1/customers", {"name": "Colleague's firm"}).json_body
    assert api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]}).status_code
    email = f"colleague-{secrets.token_hex(3)}@example.com"
    portal_session(api, customer["id"], email)
    return email


def test_a_success_forgets_the_accounts_failures(account, clock):
    slug, email = account
    source = _source()
    _fail(source, slug, email, 5, clock)
    clock.wait(_retry_after(source, slug, email, PASSWORD))
    _sign_in(source, slug, email, PASSWORD)
    # Five fresh failures cost no wait again: the count started over.
    for _ in range(5):
        with pytest.raises(Unauthorized):
            _sign_in(source, slug, email, WRONG)


def test_unknown_addresses_back_off_like_known_ones(tenant, clock):
    source = _source()
    ghost = f"ghost-{secrets.token_hex(3)}@example.com"
    for _ in range(5):
        with pytest.raises(Unauthorized):
            _sign_in(source, tenant.slug, ghost, WRONG)
    assert 1 <= _retry_after(source, tenant.slug, ghost, WRONG) <= 2


def test_backoff_delays_double_up_to_their_caps():
    rule = ratelimit.SIGN_IN_FROM_SOURCE
    delays = [rule.delay(n).total_seconds() for n in range(4, 20)]
    assert delays[:4] == [0, 1, 2, 4]
    assert max(delays) == 15 * 60
    assert ratelimit.SIGN_IN_ACCOUNT.delay(1000) == timedelta(seconds=30)
    assert ratelimit.SIGN_IN_SOURCE.delay(99) == timedelta(0)
    assert ratelimit.SIGN_IN_SOURCE.delay(10_000) == timedelta(minutes=1)
