"""The audit log: a view of the domain events (who did what to which object, and when).

Changes record their events in their own transactions (`services.platform.events`). Until
every service does, `event`, `record` and `write` keep the older calls working: they write
domain events too, so the log is one table either way.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.ids import new_id
from chalicelib.models import Event
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import TenantContext


def event(
    tenant_id: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None = None,
    *,
    customer_id: str | None = None,
    on_behalf_of: str | None = None,
    now: datetime | None = None,
) -> Event:
    """A new event in the older form, not yet stored."""
    when = now or utcnow()
    event_id = new_id("evt")
    return Event(
        tenant_id,
        Event.key_for(when, event_id),
        event_id=event_id,
        type=action,
        time=when,
        actor=actor,
        on_behalf_of=on_behalf_of,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
    )


def record(tx: Transaction, item: Event) -> None:
    """Store the event with the change it describes."""
    tx.save(item, condition=Event.event_key.does_not_exist())


def write(item: Event) -> None:
    """Store the event on its own."""
    item.save(condition=Event.event_key.does_not_exist())


def _out(item: Event) -> schemas.AuditEvent:
    return schemas.AuditEvent(
        id=item.event_id,
        time=rfc3339(item.time),
        actor=item.actor,
        on_behalf_of=item.on_behalf_of,
        action=item.type,
        object_type=item.object_type,
        object_id=item.object_id,
        customer_id=item.customer_id,
    )


def list_events(ctx: TenantContext, page: PageRequest) -> Page[schemas.AuditEvent]:
    """The tenant's audit log, newest first."""
    items, cursor = fetch_page(
        ctx,
        "audit",
        page,
        lambda **kw: Event.query(ctx.tenant_id, scan_index_forward=False, **kw),
    )
    return page_of(schemas.AuditEvent)(items=[_out(i) for i in items], next_cursor=cursor)
