"""Portal templates."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import portal_templates as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.portals import portal_templates
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="portal templates")


@api.post(
    "/v1/portal-templates",
    body=schemas.TemplateCreate,
    response=schemas.PortalTemplate,
    status=201,
    idempotent=True,  # the service records portal_template.created
)
def create_portal_template(
    ctx: TenantContext, body: schemas.TemplateCreate
) -> schemas.PortalTemplate:
    """Create a portal template (apps, theme, home page, sections; optionally the default)."""
    return portal_templates.create(ctx, body)


@api.get("/v1/portal-templates", response=page_of(schemas.PortalTemplate), paginated=True)
def list_portal_templates(ctx: TenantContext, page: PageRequest) -> Page[schemas.PortalTemplate]:
    """List portal templates, oldest first."""
    return portal_templates.list_templates(ctx, page)


@api.get("/v1/portal-templates/{id}", response=schemas.PortalTemplate)
def get_portal_template(ctx: TenantContext, id: str) -> schemas.PortalTemplate:
    """Read a portal template."""
    return portal_templates.get(ctx, id)


@api.patch(
    "/v1/portal-templates/{id}",
    body=schemas.TemplateUpdate,
    response=schemas.PortalTemplate,
    query=schemas.UpdateQuery,
    versioned=True,
)
def update_portal_template(
    ctx: TenantContext,
    id: str,
    body: schemas.TemplateUpdate,
    query: schemas.UpdateQuery,
    if_match: int | None,
) -> schemas.PortalTemplate:
    """Change a portal template; 409 with affected_portals when live portals would change,
    unless ?confirm=true."""
    return portal_templates.update(ctx, id, body, if_match=if_match, confirm=query.confirm)


@api.delete("/v1/portal-templates/{id}", versioned=True)
def delete_portal_template(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Delete a portal template."""
    portal_templates.delete(ctx, id, if_match=if_match)
