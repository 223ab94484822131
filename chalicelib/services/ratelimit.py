"""Counters of failed attempts (sign-ins, links) and of signups, in DynamoDB.

Links and signups have fixed windows: for secrets only failures are counted (a valid secret
is never slowed down, while guessing is); signups count every attempt.

Sign-ins back off instead of locking: after a few failures the next attempt must wait a
while after the last failure, twice as long after each further failure, up to a cap. Three
counters decide: the account from this source (the attacker at one address: long backoff),
the account from anywhere (attackers at many addresses: a short cap, so that the person who
knows the password is in after a short wait), and the source over all accounts (many guesses
from one address: a high threshold and a short cap, so that an office behind one NAT is
never locked out). A success forgets the account's failures. Source addresses come from API
Gateway's request context, never from X-Forwarded-For.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import utcnow
from chalicelib.errors import RateLimited
from chalicelib.models import Token
from chalicelib.services.storage import ConditionsFailed, Transaction, batch_get

KIND = "rate"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `attempts` failures per `window` for one key."""

    name: str
    attempts: int
    window: timedelta


LINK_PER_ADDRESS = Limit("link-address", 20, timedelta(minutes=15))


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


# -- backoff of sign-ins ---------------------------------------------------------------------

BACKOFF_KIND = "backoff"


@dataclass(frozen=True, slots=True)
class Backoff:
    """After `free` failures, each attempt waits `first`, doubled per further failure, at
    most `cap`, counted from the last failure; failures older than `memory` are forgotten."""

    name: str
    free: int
    first: timedelta
    cap: timedelta
    memory: timedelta

    def delay(self, failures: int) -> timedelta:
        """How long after the last failure the next attempt may come."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 20)
        delay: timedelta = self.first * 2**doublings
        return min(delay, self.cap)


SIGN_IN_FROM_SOURCE = Backoff(
    "sign-in-pair", 5, timedelta(seconds=1), timedelta(minutes=15), timedelta(hours=24)
)
SIGN_IN_ACCOUNT = Backoff(
    "sign-in-account", 10, timedelta(seconds=1), timedelta(seconds=30), timedelta(hours=1)
)
SIGN_IN_SOURCE = Backoff(
    "sign-in-source", 100, timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
)


@dataclass(frozen=True, slots=True)
class Counter:
    """One backoff counter as read: its rule, its key and the failures it remembers."""

    rule: Backoff
    key: str
    failures: int
    last_failure_at: datetime | None


def _backoff_digest(rule: Backoff, key: str) -> str:
    return Token.named_digest(BACKOFF_KIND, rule.name, key)


def sign_in_counters(account: str, source: str | None) -> list[tuple[Backoff, str]]:
    """The counters of a sign-in: the account from this source, the account, the source."""
    rules = [(SIGN_IN_ACCOUNT, account)]
    if source is not None:
        rules = [(SIGN_IN_FROM_SOURCE, f"{account}\0{source}"), *rules, (SIGN_IN_SOURCE, source)]
    return rules


def gate(rules: Sequence[tuple[Backoff, str]], *, now: datetime | None = None) -> list[Counter]:
    """Read the counters (one BatchGetItem) and refuse (429, Retry-After) while any of them
    still makes the caller wait; the counters, for `failed` and `succeeded`."""
    now = now or utcnow()
    items = batch_get([(Token, _backoff_digest(rule, key), None) for rule, key in rules])
    counters = []
    for (rule, key), item in zip(rules, items, strict=True):
        live = isinstance(item, Token) and item.is_live(now) and item.last_failure_at
        failures = int(item.hits or 0) if live and isinstance(item, Token) else 0
        last = item.last_failure_at if live and isinstance(item, Token) else None
        counters.append(Counter(rule, key, failures, last))
    waits = [
        c.last_failure_at + c.rule.delay(c.failures) - now
        for c in counters
        if c.last_failure_at is not None
    ]
    longest = max(waits, default=timedelta(0))
    if longest > timedelta(0):
        raise _wait(longest)
    _claim([c for c in counters if c.last_failure_at and c.failures >= c.rule.free], now)
    return counters


def _wait(longest: timedelta) -> RateLimited:
    return RateLimited(
        "Too many failed attempts; wait a moment and try again.",
        retry_after_seconds=int(longest.total_seconds()) + 1,
    )


def _claim(backing_off: Sequence[Counter], now: datetime) -> None:
    """An attempt on a counter that is backing off takes its turn atomically (the last
    failure's time moves on, conditioned on it being as read), so that a burst of parallel
    guesses gets one attempt, not one each."""
    if not backing_off:
        return
    try:
        with Transaction() as tx:
            for counter in backing_off:
                tx.update_unversioned(
                    Token(_backoff_digest(counter.rule, counter.key)),
                    [Token.last_failure_at.set(now)],
                    Token.last_failure_at == counter.last_failure_at,
                )
    except ConditionsFailed:
        raise _wait(timedelta(seconds=1)) from None


def failed(counters: Sequence[Counter], *, now: datetime | None = None) -> None:
    """Count one failure on every counter (one transaction)."""
    now = now or utcnow()
    with Transaction() as tx:
        for counter in counters:
            item = Token(_backoff_digest(counter.rule, counter.key))
            tx.update_unversioned(
                item,
                [
                    Token.hits.add(1) if counter.last_failure_at else Token.hits.set(1),
                    Token.kind.set(BACKOFF_KIND),
                    Token.tenant_id.set("-"),
                    Token.created_at.set(now),
                    Token.last_failure_at.set(now),
                    Token.expires_at.set(now + counter.rule.memory),
                ],
            )


def succeeded(counters: Sequence[Counter]) -> None:
    """Forget the account's failures once the right password was shown (the source's
    count stays: it measures guessing across accounts)."""
    stale = [c for c in counters if c.failures and c.rule is not SIGN_IN_SOURCE]
    if stale:
        with Transaction() as tx:
            for counter in stale:
                tx.delete(Token(_backoff_digest(counter.rule, counter.key)))
