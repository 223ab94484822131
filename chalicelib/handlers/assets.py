"""Assets and their telemetry events."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import assets as schemas
from chalicelib.schemas.common import Page, SearchQuery, page_of
from chalicelib.services.fleet import assets
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="assets")


@api.post(
    "/v1/assets",
    body=schemas.AssetCreate,
    response=schemas.Asset,
    status=201,
    idempotent=True,  # asset.created, recorded by the service
)
def create_asset(ctx: TenantContext, body: schemas.AssetCreate) -> schemas.Asset:
    """Create an asset."""
    return assets.create(ctx, body)


@api.get(
    "/v1/assets", response=page_of(schemas.Asset), paginated=True, tracking=True, query=SearchQuery
)
def list_assets(ctx: TenantContext, page: PageRequest, query: SearchQuery) -> Page[schemas.Asset]:
    """List assets, oldest first; `q` finds those whose name or serial number contains it."""
    return assets.list_assets(ctx, page, query.q)


@api.get("/v1/assets/{id}", response=schemas.Asset, tracking=True)
def get_asset(ctx: TenantContext, id: str) -> schemas.Asset:
    """Read an asset with its last reported state."""
    return assets.get(ctx, id)


@api.patch(
    "/v1/assets/{id}",
    body=schemas.AssetUpdate,
    response=schemas.Asset,
    versioned=True,  # asset.updated
)
def update_asset(
    ctx: TenantContext, id: str, body: schemas.AssetUpdate, if_match: int | None
) -> schemas.Asset:
    """Change an asset; send `version` (or If-Match) to refuse lost updates."""
    return assets.update(ctx, id, body, if_match=if_match)


@api.delete("/v1/assets/{id}", versioned=True)  # asset.deleted
def delete_asset(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Delete an asset; 409 while a customer holds it."""
    assets.delete(ctx, id, if_match=if_match)


@api.post(
    "/v1/assets/{id}/events",
    body=schemas.AssetEventCreate,
    response=schemas.AssetEvent,
    status=201,
    idempotent=True,  # asset.reported, in the report's own transaction
)
def create_asset_event(
    ctx: TenantContext, id: str, body: schemas.AssetEventCreate
) -> schemas.AssetEvent:
    """Report telemetry (time, position, operating hours, status) for an asset."""
    return assets.add_event(ctx, id, body)


@api.get("/v1/assets/{id}/events", response=page_of(schemas.AssetEvent), paginated=True)
def list_asset_events(ctx: TenantContext, id: str, page: PageRequest) -> Page[schemas.AssetEvent]:
    """List an asset's reports, newest first."""
    return assets.list_events(ctx, id, page)
