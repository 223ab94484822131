"""Customers, their business units and the assets assigned to them."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import assets as asset_schemas
from chalicelib.schemas import customers as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.fleet import assignments, customers
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="customers")


@api.post(
    "/v1/customers",
    body=schemas.CustomerCreate,
    response=schemas.Customer,
    status=201,
    idempotent=True,  # customer.created, recorded by the service
)
def create_customer(ctx: TenantContext, body: schemas.CustomerCreate) -> schemas.Customer:
    """Create a customer."""
    return customers.create(ctx, body)


@api.get("/v1/customers", response=page_of(schemas.Customer), paginated=True)
def list_customers(ctx: TenantContext, page: PageRequest) -> Page[schemas.Customer]:
    """List customers, oldest first."""
    return customers.list_customers(ctx, page)


@api.get("/v1/customers/{id}", response=schemas.Customer)
def get_customer(ctx: TenantContext, id: str) -> schemas.Customer:
    """Read a customer."""
    return customers.get(ctx, id)


@api.patch(
    "/v1/customers/{id}",
    body=schemas.CustomerUpdate,
    response=schemas.Customer,
    versioned=True,  # customer.updated
)
def update_customer(
    ctx: TenantContext, id: str, body: schemas.CustomerUpdate, if_match: int | None
) -> schemas.Customer:
    """Change a customer; send `version` (or If-Match) to refuse lost updates."""
    return customers.update(ctx, id, body, if_match=if_match)


@api.delete("/v1/customers/{id}", versioned=True)  # customer.deleted
def delete_customer(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Delete a customer with its business units; 409 while it holds assets."""
    customers.delete(ctx, id, if_match=if_match)


@api.post(
    "/v1/customers/{id}/business-units",
    body=schemas.BusinessUnitCreate,
    response=schemas.BusinessUnit,
    status=201,
    idempotent=True,  # customer.business_unit_created
)
def create_business_unit(
    ctx: TenantContext, id: str, body: schemas.BusinessUnitCreate
) -> schemas.BusinessUnit:
    """Add a business unit to a customer."""
    return customers.add_business_unit(ctx, id, body)


@api.get(
    "/v1/customers/{id}/business-units", response=page_of(schemas.BusinessUnit), paginated=True
)
def list_business_units(
    ctx: TenantContext, id: str, page: PageRequest
) -> Page[schemas.BusinessUnit]:
    """List a customer's business units."""
    return customers.list_business_units(ctx, id, page)


@api.put(
    "/v1/customers/{id}/assets",
    body=asset_schemas.AssignmentSet,
    response=asset_schemas.Assignment,  # customer.assets_assigned
)
def set_customer_assets(
    ctx: TenantContext, id: str, body: asset_schemas.AssignmentSet
) -> asset_schemas.Assignment:
    """Set exactly which assets the customer holds (optionally in one business unit)."""
    return assignments.set_customer_assets(ctx, id, body)


@api.get("/v1/customers/{id}/assets", response=page_of(asset_schemas.Asset), paginated=True)
def list_customer_assets(
    ctx: TenantContext, id: str, page: PageRequest
) -> Page[asset_schemas.Asset]:
    """List the assets a customer holds."""
    return assignments.list_customer_assets(ctx, id, page)
