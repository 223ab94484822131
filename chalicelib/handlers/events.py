"""The tenant's domain events: every change, newest first (the audit log is a view)."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import events as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="events")


@api.get(
    "/v1/events",
    response=page_of(schemas.DomainEvent),
    paginated=True,
    query=schemas.EventQuery,
    scope="admin",
)
def list_events(
    ctx: TenantContext, page: PageRequest, query: schemas.EventQuery
) -> Page[schemas.DomainEvent]:
    """The tenant's domain events, newest first (`?type=portal.*` or an exact type)."""
    return events.list_events(ctx, page, query)
