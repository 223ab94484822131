"""The customer's side: the public signup, and the self-service API a link opens."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.handlers.billing import pdf_response
from chalicelib.handlers.router import Api
from chalicelib.schemas import billing as schemas
from chalicelib.services.billing import contracts, self_service
from chalicelib.tenancy import Caller, SelfServiceContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="self-service")


@api.post(
    "/v1/hosted/{slug}/signup",
    auth="anonymous",
    body=schemas.Signup,
    response=schemas.SignupDone,
    status=201,
)
def signup(caller: Caller, slug: str, body: schemas.Signup) -> schemas.SignupDone:
    """Order a plan variant from its signup page: the customer and the contract are made
    together, or neither is; `redirect_url` is the success URL with `contractId`."""
    return contracts.signup(caller, slug, body)


@api.get("/v1/self-service/contract", auth="self_service", response=schemas.SelfServiceView)
def get_contract(ctx: SelfServiceContext) -> schemas.SelfServiceView:
    """The contract, the customer, payment, account and documents: the sections the
    provider shows."""
    return self_service.view(ctx)


@api.patch(
    "/v1/self-service/customer",
    auth="self_service",
    body=schemas.CustomerDataUpdate,
    response=schemas.SelfServiceCustomer,
)
def update_customer(
    ctx: SelfServiceContext, body: schemas.CustomerDataUpdate
) -> schemas.SelfServiceCustomer:
    """Change contact data, where the provider allows it."""
    return self_service.update_customer(ctx, body)


@api.post("/v1/self-service/cancel", auth="self_service", response=schemas.Contract)
def cancel(ctx: SelfServiceContext) -> schemas.Contract:
    """Cancel the contract at the next date its notice period allows, where allowed."""
    return self_service.cancel(ctx)


@api.get(
    "/v1/self-service/documents/{document_id}",
    auth="self_service",
    produces=("application/pdf",),
)
def get_document(ctx: SelfServiceContext, document_id: str) -> Response:
    """An invoice or credit note of the contract (PDF)."""
    item, data = self_service.document(ctx, document_id)
    return pdf_response(item, data)
