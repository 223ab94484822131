"""Delivering domain events to webhook endpoints: a consumer of the events table's stream.

The stream consumer calls `deliver(event)` for every new event; a scheduled runner calls
`run_due()` (every minute in AWS, every few seconds beside `make run`). Neither records a
domain event: a delivery is not a change of the tenant's data (and an event about sending an
event would never end).

One event to one endpoint is one message (`WebhookMessage`), made with a conditional put, so
a stream record handled twice (a consumer that crashed and was retried) never makes a second
message, and its `webhook-id` is derived from event and endpoint, so every attempt of it
carries the same one. An attempt first takes the message with a conditional write (status
`sending`, held for `LEASE`), so two workers never send it at once; its result and its log
row are written together, on condition that the attempt still holds the message. A worker
that dies while holding one leaves it due when the hold runs out: the runner sends it again,
with the same `webhook-id`, and logs the interrupted attempt (which the receiver may or may
not have got: receivers deduplicate by `webhook-id`, as the specification asks).

Retries follow the specification's suggested schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h), then every 10 hours, until three days after the first attempt; a retry is as punctual
as the runner that sends it. The URL is checked again before every attempt (see
`addresses`), so a refusal there is a failed attempt with its reason in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

import msgspec
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.clock import utcnow
from chalicelib.models import Event, WebhookAttempt, WebhookEndpoint, WebhookMessage
from chalicelib.models.base import key_time
from chalicelib.models.webhooks import DUE_SHARDS
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, condition_failed
from chalicelib.services.webhooks import TEST_EVENT, addresses, signing, transport

_log = logging.getLogger("portway.webhooks")

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)  # and 10 hours after that, until RETRY_WINDOW ends
RETRY_WINDOW = timedelta(days=3)
# How long an attempt holds its message; well over DNS, connect and the whole exchange.
LEASE = timedelta(seconds=60)
# How long the delivery log keeps attempts, and messages after their last attempt.
RETENTION = timedelta(days=30)
# Attempts made at once (several endpoints of one event, several due retries).
WORKERS = 8
# How long one `run_due` starts new attempts (a scheduled run every minute ends in time).
RUN_BUDGET = timedelta(seconds=40)
INTERRUPTED = "interrupted before its result was recorded; the receiver may have got it"

SENDING, PENDING, DELIVERED, FAILED = "sending", "pending", "delivered", "failed"


class Attempted(msgspec.Struct, frozen=True):
    """What one attempt did (for the caller's logs and for tests)."""

    tenant_id: str
    endpoint_id: str
    event_id: str
    webhook_id: str
    attempt: int
    succeeded: bool
    response_code: int | None
    error: str | None
    next_retry_at: datetime | None


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """True when an endpoint's patterns (`share.read`, `portal.*`, `*`) take the type."""
    return any(
        p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
        for p in patterns
    )


def body_of(event: Event) -> str:
    """What a receiver gets: the event as `GET /v1/events` shows it, `type` included."""
    return msgspec.json.encode(events.to_schema(event)).decode()


def next_retry(first_attempt_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed ones, or None when the window is over."""
    deadline = first_attempt_at + RETRY_WINDOW
    if now >= deadline:
        return None
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return min(now + delay, deadline)


def _targets(event: Event) -> list[WebhookEndpoint]:
    """The tenant's endpoints the event goes to (one query)."""
    if event.type == TEST_EVENT:
        if not event.object_id:
            return []
        try:
            return [WebhookEndpoint.get(event.tenant_id, event.object_id, consistent_read=True)]
        except DoesNotExist:
            return []
    return [
        endpoint
        for endpoint in WebhookEndpoint.query(event.tenant_id, consistent_read=True)
        if matches([str(p) for p in endpoint.events], event.type)
    ]


def deliver(event: Event, *, now: datetime | None = None) -> list[Attempted]:
    """Send a new event to every endpoint of its tenant that takes its type (the test event
    to its endpoint only): one message per endpoint, its first attempt made at once (several
    endpoints in parallel). Safe to call again for the same event: a message that exists
    already is left to `run_due`."""

    def first_attempt(endpoint: WebhookEndpoint) -> Attempted | None:
        when = now or utcnow()
        message = _open(event, endpoint, when)
        if message is None:
            return None
        return _attempt(message, endpoint, when, interrupted=False)

    return _in_parallel(first_attempt, _targets(event))


T = TypeVar("T")


def _in_parallel(work: Callable[[T], Attempted | None], items: list[T]) -> list[Attempted]:
    """`work` on every item, by up to WORKERS threads (one receiver's slowness does not hold
    the others); results in the items' order. An error is raised once all have ended."""
    if len(items) <= 1 or WORKERS <= 1:
        done = [work(item) for item in items]
    else:
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(items))) as pool:
            done = list(pool.map(work, items))
    return [result for result in done if result is not None]


def _open(event: Event, endpoint: WebhookEndpoint, now: datetime) -> WebhookMessage | None:
    """The event's new message to the endpoint, held for its first attempt; None when it
    exists already (the event was handled before)."""
    key = WebhookMessage.key_for(endpoint.endpoint_id, event.event_id)
    message = WebhookMessage(
        event.tenant_id,
        key,
        endpoint_id=endpoint.endpoint_id,
        event_id=event.event_id,
        event_type=event.type,
        webhook_id=WebhookMessage.webhook_id_for(
            event.tenant_id, event.event_id, endpoint.endpoint_id
        ),
        body=body_of(event),
        status=SENDING,
        attempts=1,
        first_attempt_at=now,
        due_shard=WebhookMessage.shard_for(event.tenant_id, key),
        due_at=key_time(now + LEASE),
        updated_at=now,
        expires_at=now + RETRY_WINDOW + RETENTION,
    )
    try:
        message.save(condition=WebhookMessage.message_key.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            return None
        raise
    return message


def run_due(
    now: datetime | None = None, *, limit: int = 100, budget: timedelta = RUN_BUDGET
) -> list[Attempted]:
    """Make every attempt that is due by `now`: retries, and messages whose attempt was
    interrupted (its hold ran out); at most `limit` per shard, and no new attempt once
    `budget` has passed (what is left stays due for the next run). `now` decides what is due
    and when the next retry is; signatures always carry the wall clock, which is what
    receivers check them against."""
    when = now or utcnow()
    stop_at = time.monotonic() + budget.total_seconds()
    rows = [
        row
        for shard in range(DUE_SHARDS)
        for row in WebhookMessage.due.query(
            str(shard), WebhookMessage.due_at <= key_time(when), limit=limit
        )
    ]

    def retry(row: WebhookMessage) -> Attempted | None:
        if time.monotonic() > stop_at:
            return None
        claimed = _claim(row, when)
        if claimed is None:
            return None
        message, interrupted = claimed
        endpoint = _endpoint(message)
        if endpoint is None:
            _give_up(message, when)
            return None
        return _attempt(message, endpoint, when, interrupted=interrupted)

    return _in_parallel(retry, rows)


def _claim(row: WebhookMessage, now: datetime) -> tuple[WebhookMessage, bool] | None:
    """Take a due message for one attempt (conditional on what the index showed: still due,
    same attempt count and status); the message and whether the attempt before was
    interrupted. None when another worker took it or it is done."""
    if row.status not in (PENDING, SENDING):
        return None
    seen = int(row.attempts)
    message = WebhookMessage(row.tenant_id, row.message_key)
    try:
        message.update(
            actions=[
                WebhookMessage.status.set(SENDING),
                WebhookMessage.attempts.set(seen + 1),
                WebhookMessage.due_at.set(key_time(now + LEASE)),
                WebhookMessage.updated_at.set(now),
            ],
            condition=(WebhookMessage.due_at <= key_time(now))
            & (WebhookMessage.attempts == seen)
            & (WebhookMessage.status == row.status),
        )
    except UpdateError as exc:
        if condition_failed(exc):
            return None
        raise
    return message, row.status == SENDING


def _endpoint(message: WebhookMessage) -> WebhookEndpoint | None:
    try:
        return WebhookEndpoint.get(message.tenant_id, message.endpoint_id, consistent_read=True)
    except DoesNotExist:
        return None


def _attempt(
    message: WebhookMessage, endpoint: WebhookEndpoint, now: datetime, *, interrupted: bool
) -> Attempted:
    """One attempt of a message this worker holds: check the URL again, sign, send, and
    record the result with its log row."""
    try:
        target = addresses.check(endpoint.url)
        headers = signing.headers(endpoint, message.webhook_id, message.body, utcnow())
    except addresses.Refused as refused:
        outcome = transport.Outcome(None, f"refused: {refused.reason}", None, 0)
    except signing.RetiredKey:
        # Shown in the delivery log; rotating the endpoint's secret mends it.
        outcome = transport.Outcome(None, "refused: the signing key was retired", None, 0)
    else:
        outcome = transport.post(target, headers, message.body.encode())
    return _record(message, outcome, now, interrupted=interrupted)


def _log_row(
    message: WebhookMessage,
    attempt: int,
    now: datetime,
    outcome: transport.Outcome,
    next_retry_at: datetime | None,
) -> WebhookAttempt:
    return WebhookAttempt(
        message.tenant_id,
        WebhookAttempt.key_for(message.endpoint_id, key_time(now), message.webhook_id, attempt),
        endpoint_id=message.endpoint_id,
        event_id=message.event_id,
        event_type=message.event_type,
        webhook_id=message.webhook_id,
        attempt=attempt,
        at=now,
        status="succeeded" if outcome.succeeded else "failed",
        response_code=outcome.status,
        error=outcome.error,
        response_excerpt=outcome.excerpt,
        duration_ms=outcome.duration_ms,
        next_retry_at=next_retry_at,
        expires_at=now + RETENTION,
    )


def _record(
    message: WebhookMessage, outcome: transport.Outcome, now: datetime, *, interrupted: bool
) -> Attempted:
    """The attempt's result on its message and in the log, in one transaction, on condition
    that this attempt still holds the message."""
    attempt = int(message.attempts)
    next_at = None if outcome.succeeded else next_retry(message.first_attempt_at, attempt, now)
    status = DELIVERED if outcome.succeeded else (PENDING if next_at else FAILED)
    actions: list[Action] = [
        WebhookMessage.status.set(status),
        WebhookMessage.updated_at.set(now),
    ]
    if next_at is not None:
        actions.append(WebhookMessage.due_at.set(key_time(next_at)))
    else:
        actions += [
            WebhookMessage.due_at.remove(),
            WebhookMessage.due_shard.remove(),
            WebhookMessage.expires_at.set(now + RETENTION),
        ]
    held = (WebhookMessage.status == SENDING) & (WebhookMessage.attempts == attempt)
    try:
        with Transaction() as tx:
            tx.update(message, actions, held, label="message")
            if interrupted:
                lost = transport.Outcome(None, INTERRUPTED, None, None)
                tx.save(_log_row(message, attempt - 1, now, lost, now), label="interrupted")
            tx.save(_log_row(message, attempt, now, outcome, next_at), label="attempt")
    except ConditionsFailed:
        # Held too long (a paused worker): another took the message over and logs its own.
        _log.warning("webhook %s attempt %s was taken over", message.webhook_id, attempt)
    else:
        message.status = status
    return Attempted(
        tenant_id=message.tenant_id,
        endpoint_id=message.endpoint_id,
        event_id=message.event_id,
        webhook_id=message.webhook_id,
        attempt=attempt,
        succeeded=outcome.succeeded,
        response_code=outcome.status,
        error=outcome.error,
        next_retry_at=next_at,
    )


def _give_up(message: WebhookMessage, now: datetime) -> None:
    """A message whose endpoint was deleted: no attempt, it leaves the index."""
    attempt = int(message.attempts)
    try:
        message.update(
            actions=[
                WebhookMessage.status.set(FAILED),
                WebhookMessage.attempts.set(attempt - 1),
                WebhookMessage.due_at.remove(),
                WebhookMessage.due_shard.remove(),
                WebhookMessage.updated_at.set(now),
                WebhookMessage.expires_at.set(now + RETENTION),
            ],
            condition=(WebhookMessage.status == SENDING) & (WebhookMessage.attempts == attempt),
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise
