"""Counters of failed attempts (sign-ins, links) and of signups, in DynamoDB.

Links and signups have fixed windows: for secrets only failures are counted (a valid secret
is never slowed down, while guessing is); signups count every attempt.

Sign-ins back off instead of locking: after a few failures the next attempt must wait a
while after the last failure, twice as long after each further failure, up to a cap. Three
counters decide, each per fixed window:
- the account from this source: every attempt takes its turn here with a conditional write
  before the password is checked, so a burst of parallel guesses gets one try; a long cap;
- the account from anywhere: failures from many addresses, applied to sources that have
  failed on the account themselves, with a short cap, so the person who knows the password
  signs in from a clean address at once, whatever attackers elsewhere do;
- the source over all accounts: failures only, a high threshold and a short cap, so that an
  office behind one NAT is slowed a little, never locked out.
A success forgets the account's failures. Source addresses come from API Gateway's request
context, never from X-Forwarded-For.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import utcnow
from chalicelib.errors import RateLimited
from chalicelib.models import Token
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get

KIND = "rate"


class Limit(msgspec.Struct, frozen=True):
    """At most `attempts` failures per `window` for one key."""

    name: str
    attempts: int
    window: timedelta


LINK_PER_ADDRESS = Limit("link-address", 20, timedelta(minutes=15))
# Wrong self-service links (401 `invalid` from `tenancy.authenticate_self_service`), counted
# by the router, which authenticates them.
SELF_SERVICE_LINK_PER_ADDRESS = Limit("self-service-address", 30, timedelta(minutes=15))
# Wrong team links (invitations, password resets): the console's own budget per address.
TEAM_LINK_PER_ADDRESS = Limit("team-link-address", 20, timedelta(minutes=15))


def _window(limit: Limit, now: datetime) -> tuple[datetime, datetime]:
    size = int(limit.window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // size * size, tz=now.tzinfo)
    return start, start + limit.window


def _digest(limit: Limit, key: str, start: datetime) -> str:
    return Token.named_digest(KIND, limit.name, key, start.isoformat())


def _refuse(limit: Limit, end: datetime, now: datetime) -> RateLimited:
    wait = int((end - now).total_seconds()) + 1
    return RateLimited("Too many failed attempts; try again later.", retry_after_seconds=wait)


def check(limit: Limit, key: str | None, *, now: datetime | None = None) -> None:
    """Refuse (429) when the key has used up its failures in this window."""
    if key is None:
        return
    now = now or utcnow()
    start, end = _window(limit, now)
    try:
        counter = Token.get(_digest(limit, key, start))
    except DoesNotExist:
        return
    if int(counter.hits or 0) >= limit.attempts:
        raise _refuse(limit, end, now)


def fail(limit: Limit, key: str | None, *, now: datetime | None = None) -> None:
    """Count one failure; refuse (429) once the window's failures are used up."""
    spend(limit, key, now=now)


def spend(limit: Limit, key: str | None, *, now: datetime | None = None) -> None:
    """Count one attempt (a failure, or any attempt where every attempt costs, such as a
    signup); refuse (429) once the window's attempts are used up."""
    if key is None:
        return
    now = now or utcnow()
    start, end = _window(limit, now)
    counter = Token(_digest(limit, key, start), kind=KIND, tenant_id="-", created_at=now)
    counter.update(
        actions=[
            Token.hits.add(1),
            Token.kind.set(KIND),
            Token.tenant_id.set("-"),
            Token.created_at.set(now),
            Token.expires_at.set(end),
        ]
    )
    if int(counter.hits or 0) > limit.attempts:
        raise _refuse(limit, end, now)


def within(limit: Limit, key: str | None, *, now: datetime | None = None) -> bool:
    """Count one attempt; whether it is still within the limit (for limits that must not
    say so, such as reset links asked for an address)."""
    try:
        spend(limit, key, now=now)
    except RateLimited:
        return False
    return True


# -- backoff of sign-ins ---------------------------------------------------------------------

BACKOFF_KIND = "backoff"


class Backoff(msgspec.Struct, frozen=True):
    """After `free` failures, each attempt waits `first`, doubled per further failure, at
    most `cap`, counted from the last failure; counts start again with each `window`."""

    name: str
    free: int
    first: timedelta
    cap: timedelta
    window: timedelta

    def delay(self, failures: int) -> timedelta:
        """How long after the last failure the next attempt may come."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 20)
        delay: timedelta = self.first * 2**doublings
        return min(delay, self.cap)

    def digest(self, key: str, now: datetime) -> str:
        """Where the counter of `key` in the window around `now` lives."""
        size = int(self.window.total_seconds())
        return Token.named_digest(BACKOFF_KIND, self.name, key, str(int(now.timestamp()) // size))

    def window_end(self, now: datetime) -> datetime:
        """When the window around `now` ends (the counter's expiry)."""
        size = int(self.window.total_seconds())
        return datetime.fromtimestamp((int(now.timestamp()) // size + 1) * size, tz=now.tzinfo)


SIGN_IN_FROM_SOURCE = Backoff(
    "sign-in-pair", 5, timedelta(seconds=1), timedelta(minutes=15), timedelta(hours=24)
)
SIGN_IN_ACCOUNT = Backoff(
    "sign-in-account", 10, timedelta(seconds=1), timedelta(seconds=30), timedelta(hours=1)
)
SIGN_IN_SOURCE = Backoff(
    "sign-in-source", 100, timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
)


class Counter(msgspec.Struct, frozen=True):
    """One backoff counter as read: its rule, where it lives, what it remembers."""

    rule: Backoff
    digest: str
    failures: int
    last_failure_at: datetime | None

    def wait(self, now: datetime) -> timedelta:
        """How much longer an attempt must wait for this counter."""
        if self.last_failure_at is None:
            return timedelta(0)
        return self.last_failure_at + self.rule.delay(self.failures) - now


def _read(rules: Sequence[tuple[Backoff, str]], now: datetime) -> list[Counter]:
    digests = [rule.digest(key, now) for rule, key in rules]
    items = batch_get([(Token, d, None) for d in digests])
    counters = []
    for (rule, _), item_digest, item in zip(rules, digests, items, strict=True):
        live = isinstance(item, Token) and item.is_live(now) and item.last_failure_at is not None
        counted = item if live and isinstance(item, Token) else None
        failures = int(counted.hits or 0) if counted else 0
        counters.append(
            Counter(rule, item_digest, failures, counted.last_failure_at if counted else None)
        )
    return counters


def _wait(longest: timedelta) -> RateLimited:
    return RateLimited(
        "Too many failed attempts; wait a moment and try again.",
        retry_after_seconds=int(longest.total_seconds()) + 1,
    )


class SignInAttempt(msgspec.Struct, frozen=True):
    """A sign-in that passed its counters and holds its turn: on failure `failed` counts it
    everywhere, on success `forget` (in the session's transaction) clears the account's."""

    pair: Counter | None
    account: Counter
    source: Counter | None
    now: datetime

    def failed(self) -> None:
        """Count the failure on the account and the source (the pair counted it already)."""
        with Transaction() as tx:
            for counter in (self.account, self.source):
                if counter is not None:
                    tx.update_unversioned(Token(counter.digest), _counted(counter, self.now))

    def forget(self, tx: Transaction) -> None:
        """Add the deletes of the account's counters to the session's transaction."""
        tx.delete(Token(self.account.digest))
        if self.pair is not None:
            tx.delete(Token(self.pair.digest))


def _counted(counter: Counter, now: datetime) -> list[Any]:
    """One more failure, atomically (ADD), remembered until the window ends."""
    return [
        Token.hits.add(1),
        Token.kind.set(BACKOFF_KIND),
        Token.tenant_id.set("-"),
        Token.created_at.set(now),
        Token.last_failure_at.set(now),
        Token.expires_at.set(counter.rule.window_end(now)),
    ]


def begin_sign_in(
    account: str, source: str | None, *, now: datetime | None = None
) -> SignInAttempt:
    """Read the counters (one BatchGetItem), refuse (429, Retry-After) while they make the
    caller wait, and take this attempt's turn on the account-from-source counter."""
    now = now or utcnow()
    if source is None:  # no address known: the account's own counter is all there is
        (account_counter,) = _read([(SIGN_IN_ACCOUNT, account)], now)
        if account_counter.wait(now) > timedelta(0):
            raise _wait(account_counter.wait(now))
        return SignInAttempt(None, account_counter, None, now)
    pair, account_counter, source_counter = _read(
        [
            (SIGN_IN_FROM_SOURCE, f"{account}\0{source}"),
            (SIGN_IN_ACCOUNT, account),
            (SIGN_IN_SOURCE, source),
        ],
        now,
    )
    # The account-wide count slows only sources that failed on this account themselves.
    counters = [pair, source_counter] + ([account_counter] if pair.failures else [])
    longest = max(c.wait(now) for c in counters)
    if longest > timedelta(0):
        raise _wait(longest)
    _take_turn(pair, now)
    return SignInAttempt(pair, account_counter, source_counter, now)


def _take_turn(pair: Counter, now: datetime) -> None:
    """Count the attempt on the pair before the password is checked, conditioned on the
    counter being as read: of parallel attempts one goes ahead, the others wait."""
    as_read = (
        Token.digest.does_not_exist()
        if pair.last_failure_at is None
        else (Token.hits == pair.failures) & (Token.last_failure_at == pair.last_failure_at)
    )
    try:
        with Transaction() as tx:
            tx.update_unversioned(Token(pair.digest), _counted(pair, now), as_read)
    except ConditionsFailed:
        raise _wait(timedelta(seconds=1)) from None
