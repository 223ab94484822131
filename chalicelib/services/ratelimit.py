"""Fixed-window counters of failed attempts (logins, links) and of signups, in DynamoDB.

For secrets only failures are counted: a valid secret is never slowed down, while guessing
is. Signups count every attempt. Counters
are keyed per account and per source address (from API Gateway's request context, never
X-Forwarded-For) and expire with their window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import utcnow
from chalicelib.errors import RateLimited
from chalicelib.models import Token

KIND = "rate"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `attempts` failures per `window` for one key."""

    name: str
    attempts: int
    window: timedelta


LOGIN_PER_ACCOUNT = Limit("login-account", 10, timedelta(minutes=15))
LOGIN_PER_ADDRESS = Limit("login-address", 50, timedelta(minutes=15))
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
