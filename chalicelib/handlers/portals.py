"""Customer portals."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import portals as schemas
from chalicelib.services.portals import portal_accounts, portals
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="portals")


@api.put(
    "/v1/customers/{id}/portal",
    body=schemas.PortalPut,
    response=schemas.Portal,
    versioned=True,  # the service records portal.created or portal.updated
)
def put_portal(
    ctx: TenantContext, id: str, body: schemas.PortalPut, if_match: int | None
) -> schemas.Portal:
    """Give the customer a portal from a template (or its own apps and theme), or change it."""
    return portals.put(ctx, id, body, if_match=if_match)


@api.get("/v1/customers/{id}/portal", response=schemas.Portal)
def get_portal(ctx: TenantContext, id: str) -> schemas.Portal:
    """The customer's portal, with its status."""
    return portals.get(ctx, id)


@api.delete("/v1/customers/{id}/portal", versioned=True)
def delete_portal(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Take the portal away from the customer; its pages stop being served."""
    portal_accounts.delete_portal(ctx, id, if_match=if_match)
