"""The customer's side: the public signup, and the self-service API a link opens."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.handlers.billing import pdf_response
from chalicelib.handlers.router import Api, large_file
from chalicelib.schemas import billing as schemas
from chalicelib.services.billing import contracts, documents, mail, self_service
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


@api.post(
    "/v1/hosted/{slug}/signup/quote",
    auth="anonymous",
    body=schemas.SignupQuoteRequest,
    response=schemas.SignupQuote,
)
def signup_quote(
    caller: Caller, slug: str, body: schemas.SignupQuoteRequest
) -> schemas.SignupQuote:
    """What an order costs per period, with the coupon's discount: the signup page's total,
    computed as the contract will be (422 for a coupon or component it cannot order)."""
    return contracts.quote(caller, slug, body)


@api.post(
    "/v1/self-service/link-requests", auth="anonymous", body=schemas.NewLinkRequest, status=202
)
def request_new_link(caller: Caller, body: schemas.NewLinkRequest) -> None:
    """Ask for a new self-service link with one that has expired: it goes by e-mail to the
    contract's address (202 whatever happens; the answer says nothing about the link)."""
    mail.send_new_link(caller, body)


@api.put(
    "/v1/self-service/payment",
    auth="self_service",
    body=schemas.PaymentData,
    response=schemas.PaymentOut,
)
def change_payment(ctx: SelfServiceContext, body: schemas.PaymentData) -> schemas.PaymentOut:
    """Change how the contract is paid (SEPA direct debit with a checked IBAN, or invoice),
    where the provider allows it; the account number comes back masked."""
    return self_service.change_payment(ctx, body)


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
    """An invoice or credit note of the contract (PDF; over 4 MB, 303 to a link that
    downloads it for five minutes)."""
    item = self_service.document(ctx, document_id)
    name = documents.file_name(item)
    far = large_file(item.blob_key, int(item.size), documents.PDF_CONTENT_TYPE, name)
    return far or pdf_response(item, documents.pdf(item))
