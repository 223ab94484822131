"""Domain events: every change records one typed event (`area.object_verb`, such as
`portal.invitation_accepted`) in the same TransactWriteItems as the change, naming who did
it, on whose behalf, which object of which customer, and a minimal payload. A change that
fails records nothing; an event never exists without its change. The audit log is a view of
these, and consumers (page publishing, webhooks) read them from the table's stream.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Protocol

from pynamodb.expressions.condition import Condition

from chalicelib.clock import utcnow
from chalicelib.ids import new_id
from chalicelib.models import Event
from chalicelib.schemas import events as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import TenantContext

# `customer.created`, `portal.invitation_accepted`: lower case, one dot.
TYPE = re.compile(r"^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$")


class Acting(Protocol):
    """Who acts: a context (API key, portal user) or a `tenancy.Actor`."""

    @property
    def tenant_id(self) -> str:
        """The tenant the change belongs to."""
        ...

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        ...

    @property
    def on_behalf_of(self) -> str | None:
        """The provider behind a preview, if any."""
        ...


def new(
    by: Acting,
    type_: str,
    object_id: str | None = None,
    *,
    object_type: str | None = None,
    customer_id: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Event:
    """A new event, not yet stored; its object type is the type's area unless named."""
    if not TYPE.match(type_):
        raise ValueError(f"event type {type_!r} is not area.object_verb")
    when = now or utcnow()
    event_id = new_id("evt")
    return Event(
        by.tenant_id,
        Event.key_for(when, event_id),
        event_id=event_id,
        type=type_,
        time=when,
        actor=by.actor,
        on_behalf_of=by.on_behalf_of,
        object_type=object_type or type_.split(".", 1)[0],
        object_id=object_id,
        customer_id=customer_id,
        data=data or None,
    )


def record(
    tx: Transaction,
    by: Acting,
    type_: str,
    object_id: str | None = None,
    *,
    object_type: str | None = None,
    customer_id: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Event:
    """Add the change's event to its transaction."""
    event = new(
        by,
        type_,
        object_id,
        object_type=object_type,
        customer_id=customer_id,
        data=data,
        now=now,
    )
    tx.save(event, condition=Event.event_key.does_not_exist())
    return event


def to_schema(item: Event) -> schemas.DomainEvent:
    """The API shape of an event."""
    return schemas.DomainEvent(
        id=item.event_id,
        type=item.type,
        time=rfc3339(item.time),
        actor=item.actor,
        on_behalf_of=item.on_behalf_of,
        object_type=item.object_type,
        object_id=item.object_id,
        customer_id=item.customer_id,
        data=item.data or {},
    )


def list_events(
    ctx: TenantContext, page: PageRequest, query: schemas.EventQuery
) -> Page[schemas.DomainEvent]:
    """The tenant's events, newest first; `?type=portal.*` or an exact type filters."""
    condition: Condition | None = None
    if query.type and query.type.endswith(".*"):
        condition = Event.type.startswith(query.type[:-1])
    elif query.type:
        condition = Event.type == query.type
    items, cursor = fetch_page(
        ctx,
        f"events:{query.type or ''}",
        page,
        lambda **kw: Event.query(
            ctx.tenant_id, scan_index_forward=False, filter_condition=condition, **kw
        ),
    )
    return page_of(schemas.DomainEvent)(items=[to_schema(i) for i in items], next_cursor=cursor)
