"""A tenant's webhook endpoints: where events go, which types, and the signing secret.

Every change records its event in its own transaction: `webhook_endpoint.created`,
`.updated`, `.deleted`, `.secret_rotated` and `.tested` (the test event, which `delivery`
sends to that endpoint only). Events name the endpoint and what changed, never its URL
(which may carry a token of the receiver's) nor its secret. The URL is checked (public
https only, see `addresses`) when it is saved, and again before every delivery.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from chalicelib.schemas import webhooks as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.versioning import change_actions, check_version
from chalicelib.services.webhooks import TEST_EVENT, addresses, signing
from chalicelib.tenancy import TenantContext

MAX_ENDPOINTS = 20


def to_schema(item: WebhookEndpoint) -> schemas.WebhookEndpoint:
    """The API shape of an endpoint (never its secret)."""
    return schemas.WebhookEndpoint(
        id=item.endpoint_id,
        url=item.url,
        events=[str(p) for p in item.events],
        description=item.description,
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def _checked_url(url: str) -> str:
    """The URL, when webhooks may go there; 422 on `url` with the reason otherwise."""
    try:
        addresses.check(url)
    except addresses.Refused as refused:
        raise Invalid.field("url", refused.reason) from None
    return url


def _patterns(given: list[str]) -> list[str]:
    return list(dict.fromkeys(given))


def load(ctx: TenantContext, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint; 404 for one of another tenant or none."""
    return load_owned(WebhookEndpoint, ctx, endpoint_id, "webhook endpoint")


def create(
    ctx: TenantContext, data: schemas.WebhookEndpointCreate, *, clock: Clock = utcnow
) -> schemas.WebhookEndpointCreated:
    """Add an endpoint; the answer carries its signing secret, which is never shown again."""
    url = _checked_url(data.url)
    if WebhookEndpoint.count(ctx.tenant_id, limit=MAX_ENDPOINTS) >= MAX_ENDPOINTS:
        raise Conflict(f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints.")
    now = clock()
    patterns = _patterns(data.events)
    item = WebhookEndpoint(
        ctx.tenant_id,
        new_id("whe"),
        url=url,
        events=patterns,
        description=data.description or None,
        secret_salt=signing.new_salt(),
        created_at=now,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item, condition=WebhookEndpoint.endpoint_id.does_not_exist())
        events.record(
            tx,
            ctx,
            "webhook_endpoint.created",
            item.endpoint_id,
            data={"events": patterns},
            now=now,
        )
    item.version = 1
    return schemas.WebhookEndpointCreated(
        **msgspec.structs.asdict(to_schema(item)), secret=signing.current_secret(item)
    )


def get(ctx: TenantContext, endpoint_id: str) -> schemas.WebhookEndpoint:
    """One endpoint."""
    return to_schema(load(ctx, endpoint_id))


def list_endpoints(ctx: TenantContext, page: PageRequest) -> Page[schemas.WebhookEndpoint]:
    """The tenant's endpoints, oldest first."""
    items, cursor = fetch_page(
        ctx, "webhook_endpoints", page, lambda **kw: WebhookEndpoint.query(ctx.tenant_id, **kw)
    )
    return page_of(schemas.WebhookEndpoint)(items=[to_schema(i) for i in items], next_cursor=cursor)


def _stale(item: WebhookEndpoint) -> Conflict:
    return Conflict(
        "The item was changed by someone else; read it again and reapply your change.",
        extra={"current_version": int(item.version or 0)},
    )


def _write(
    item: WebhookEndpoint, changes: dict[str, Any], now: datetime, record: Any
) -> WebhookEndpoint:
    """Set (None: remove) attributes on condition of the version read, with the change's
    event in the same transaction."""
    try:
        with Transaction() as tx:
            tx.update(item, change_actions(WebhookEndpoint, changes, now), label="endpoint")
            record(tx)
    except ConditionsFailed:
        raise _stale(item) from None
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = now
    return item


def update(
    ctx: TenantContext,
    endpoint_id: str,
    data: schemas.WebhookEndpointUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.WebhookEndpoint:
    """Change the URL (checked again), the event types or the description."""
    item = load(ctx, endpoint_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    for required in ("url", "events"):
        if required in changes and changes[required] is None:
            raise Invalid.field(required, "an endpoint keeps this; it cannot be null")
    if "url" in changes:
        _checked_url(changes["url"])
    if "events" in changes:
        changes["events"] = _patterns(changes["events"])
    if changes.get("description") == "":
        changes["description"] = None
    now = clock()
    updated = _write(
        item,
        changes,
        now,
        lambda tx: events.record(
            tx,
            ctx,
            "webhook_endpoint.updated",
            endpoint_id,
            data={"changed": sorted(changes)},
            now=now,
        ),
    )
    return to_schema(updated)


def delete(ctx: TenantContext, endpoint_id: str, *, if_match: int | None = None) -> None:
    """Remove an endpoint: nothing more is sent to it, retries included. Its delivery log
    goes with it (the rows expire on their own)."""
    item = load(ctx, endpoint_id)
    check_version(item, if_match)
    try:
        with Transaction() as tx:
            tx.delete(item, label="endpoint")  # PynamoDB adds `version = <read>`
            events.record(tx, ctx, "webhook_endpoint.deleted", endpoint_id)
    except ConditionsFailed:
        raise _stale(item) from None


def rotate_secret(
    ctx: TenantContext, endpoint_id: str, *, clock: Clock = utcnow
) -> schemas.WebhookSecret:
    """A new signing secret, shown once; the previous one signs too for a day."""
    item = load(ctx, endpoint_id)
    now = clock()
    until = now + signing.PREVIOUS_SECRET_GRACE
    changes = {
        "secret_salt": signing.new_salt(),
        "previous_secret_salt": item.secret_salt,
        "previous_secret_until": until,
    }
    updated = _write(
        item,
        changes,
        now,
        lambda tx: events.record(tx, ctx, "webhook_endpoint.secret_rotated", endpoint_id, now=now),
    )
    return schemas.WebhookSecret(
        id=endpoint_id,
        secret=signing.current_secret(updated),
        previous_secret_expires_at=rfc3339(until),
    )


def send_test(ctx: TenantContext, endpoint_id: str) -> schemas.WebhookTestSent:
    """Record the test event; the webhook consumer sends it to this endpoint only (even if
    the endpoint does not take its type), like any other event."""
    load(ctx, endpoint_id)
    try:
        with Transaction() as tx:
            tx.check(
                WebhookEndpoint,
                ctx.tenant_id,
                endpoint_id,
                WebhookEndpoint.endpoint_id.exists(),
                label="endpoint",
            )
            event = events.record(tx, ctx, TEST_EVENT, endpoint_id, data={"test": True})
    except ConditionsFailed:
        raise NotFound(f"No webhook endpoint {endpoint_id}.") from None
    return schemas.WebhookTestSent(
        event_id=event.event_id,
        webhook_id=WebhookMessage.webhook_id_for(ctx.tenant_id, event.event_id, endpoint_id),
    )


def _delivery(item: WebhookAttempt) -> schemas.WebhookDelivery:
    return schemas.WebhookDelivery(
        event_id=item.event_id,
        event_type=item.event_type,
        webhook_id=item.webhook_id,
        attempt=int(item.attempt),
        time=rfc3339(item.at),
        status="succeeded" if item.status == "succeeded" else "failed",
        response_code=int(item.response_code) if item.response_code is not None else None,
        error=item.error,
        response_excerpt=item.response_excerpt,
        duration_ms=int(item.duration_ms) if item.duration_ms is not None else None,
        next_retry_at=rfc3339(item.next_retry_at) if item.next_retry_at else None,
    )


def list_deliveries(
    ctx: TenantContext, endpoint_id: str, page: PageRequest, query: schemas.DeliveryQuery
) -> Page[schemas.WebhookDelivery]:
    """The endpoint's delivery attempts, newest first (`?event_id=` for one event's)."""
    load(ctx, endpoint_id)
    prefix = WebhookAttempt.endpoint_prefix(endpoint_id)
    condition = WebhookAttempt.event_id == query.event_id if query.event_id else None
    items, cursor = fetch_page(
        ctx,
        f"webhook_deliveries:{endpoint_id}:{query.event_id or ''}",
        page,
        lambda **kw: WebhookAttempt.query(
            ctx.tenant_id,
            WebhookAttempt.attempt_key.startswith(prefix),
            scan_index_forward=False,
            filter_condition=condition,
            **kw,
        ),
    )
    return page_of(schemas.WebhookDelivery)(items=[_delivery(i) for i in items], next_cursor=cursor)
