"""The caller's own tenant and its API keys."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import tenants as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.pages import pages
from chalicelib.services.platform import api_keys, tenants
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="tenant")


@api.get("/v1/tenant", response=schemas.Tenant)
def get_tenant(ctx: TenantContext) -> schemas.Tenant:
    """The tenant the API key belongs to (id, public id, slug)."""
    return tenants.get(ctx)


# Not idempotent on purpose: a replayed answer would have to store the secret.
@api.post(
    "/v1/api-keys",
    body=schemas.ApiKeyCreate,
    response=schemas.ApiKeyCreated,
    status=201,
    scope="admin",  # api_key.created, recorded by the service
)
def create_api_key(ctx: TenantContext, body: schemas.ApiKeyCreate) -> schemas.ApiKeyCreated:
    """Make an API key; the secret is in this answer only."""
    return api_keys.create(ctx, body)


@api.get("/v1/api-keys", response=page_of(schemas.ApiKey), scope="admin", paginated=True)
def list_api_keys(ctx: TenantContext, page: PageRequest) -> Page[schemas.ApiKey]:
    """List the tenant's API keys (never their secrets)."""
    return api_keys.list_keys(ctx, page)


@api.get("/v1/api-keys/{id}", response=schemas.ApiKey, scope="admin")
def get_api_key(ctx: TenantContext, id: str) -> schemas.ApiKey:
    """One API key."""
    return api_keys.get(ctx, id)


@api.delete("/v1/api-keys/{id}", scope="admin")  # api_key.revoked
def revoke_api_key(ctx: TenantContext, id: str) -> None:
    """Revoke an API key; requests with it fail from now on."""
    api_keys.revoke(ctx, id)


@api.post(
    "/v1/pages/render",
    response=schemas.PagesRendered,
    scope="admin",  # tenant.pages_rendered
)
def render_pages(ctx: TenantContext) -> schemas.PagesRendered:
    """Render and store every hosted page of the tenant again."""
    return schemas.PagesRendered(pages=pages.render_all(ctx))
