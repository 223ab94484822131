"""Customers, their business units and the assets assigned to them."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.operations import Upload
from chalicelib.schemas import assets as asset_schemas
from chalicelib.schemas import customers as schemas
from chalicelib.schemas import imports as import_schemas
from chalicelib.schemas.common import Page, SearchQuery, page_of
from chalicelib.services.fleet import assignments, customers, imports
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


@api.get("/v1/customers", response=page_of(schemas.Customer), paginated=True, query=SearchQuery)
def list_customers(
    ctx: TenantContext, page: PageRequest, query: SearchQuery
) -> Page[schemas.Customer]:
    """List customers, oldest first; `q` finds those whose name or external id contains it."""
    return customers.list_customers(ctx, page, query.q)


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


# -- importing customers from a file ---------------------------------------------------------


@api.post(
    "/v1/customer-imports",
    upload=imports.UPLOAD_TYPES,
    query=import_schemas.ImportQuery,
    response=import_schemas.CustomerImport,
    status=201,
)
def create_customer_import(
    ctx: TenantContext, upload: Upload, query: import_schemas.ImportQuery
) -> import_schemas.CustomerImport:
    """Read a CSV or Excel file of customers and check every row; nothing is written yet.
    The answer lists each problem with its row."""
    return imports.create(ctx, upload, query.file_name)


@api.get("/v1/customer-imports/{id}", response=import_schemas.CustomerImport)
def get_customer_import(ctx: TenantContext, id: str) -> import_schemas.CustomerImport:
    """An import: its preview, its problems, and how far writing is."""
    return imports.get(ctx, id)


@api.post(
    "/v1/customer-imports/{id}/commit",
    body=import_schemas.ImportCommit,
    response=import_schemas.CustomerImport,
)
def commit_customer_import(
    ctx: TenantContext, id: str, body: import_schemas.ImportCommit
) -> import_schemas.CustomerImport:
    """Write the confirmed rows: `all` (refused while a row has a problem) or `valid`. Each
    call writes the next slice; call again while `written` is below `to_write`."""
    return imports.commit(ctx, id, body)
