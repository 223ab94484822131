"""The audit log: a view of the domain events (who did what to which object, and when).

Changes record their events in their own transactions (`services.platform.events`); this
module only reads them, in the audit log's contract.
"""

from __future__ import annotations

from chalicelib.models import Event
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.tenancy import TenantContext


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
