"""The provider's billing side: catalogue, contracts, self-service links, documents,
self-service settings and e-mails. Every write records its own event in the change's
transaction (services.platform.events)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from msgspec import Struct

from chalicelib.handlers.router import Api, large_file
from chalicelib.models import Document
from chalicelib.operations import Upload
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.billing import catalogue, contracts, documents, mail
from chalicelib.services.billing import self_service_settings as settings_service
from chalicelib.services.billing.drafts import PageDraft
from chalicelib.services.pages import pages
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="billing")

# A PDF opened on its own runs nothing and is never framed.
PDF_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": documents.PDF_CONTENT_TYPE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
}


def pdf_response(item: Document, data: bytes) -> Response:
    """A document as a download with a safe file name."""
    headers = {
        **PDF_HEADERS,
        "Content-Disposition": f'attachment; filename="{documents.file_name(item)}"',
    }
    return Response(body=data, status_code=200, headers=headers)


# -- catalogue -------------------------------------------------------------------------------


@api.post(
    "/v1/plans",
    body=schemas.PlanCreate,
    response=schemas.Plan,
    status=201,
    idempotent=True,
)
def create_plan(ctx: TenantContext, body: schemas.PlanCreate) -> schemas.Plan:
    """Create a plan (a product family)."""
    return catalogue.create_plan(ctx, body)


@api.get("/v1/plans", response=page_of(schemas.Plan), paginated=True)
def list_plans(ctx: TenantContext, page: PageRequest) -> Page[schemas.Plan]:
    """The tenant's plans."""
    return catalogue.list_plans(ctx, page)


@api.get("/v1/plans/{id}", response=schemas.Plan)
def get_plan(ctx: TenantContext, id: str) -> schemas.Plan:
    """One plan."""
    return catalogue.get_plan(ctx, id)


@api.patch(
    "/v1/plans/{id}",
    body=schemas.PlanUpdate,
    response=schemas.Plan,
    versioned=True,
)
def update_plan(
    ctx: TenantContext, id: str, body: schemas.PlanUpdate, if_match: int | None
) -> schemas.Plan:
    """Rename or describe a plan; its signup pages follow."""
    return catalogue.update_plan(ctx, id, body, check_pages=pages.check_budget, if_match=if_match)


@api.post(
    "/v1/plans/{id}/variants",
    body=schemas.VariantCreate,
    response=schemas.Variant,
    status=201,
    idempotent=True,
)
def create_variant(ctx: TenantContext, id: str, body: schemas.VariantCreate) -> schemas.Variant:
    """Add a plan variant: price, billing and notice periods, whether signup is open."""
    return catalogue.create_variant(ctx, id, body, check_pages=pages.check_budget)


@api.get("/v1/plans/{id}/variants", response=page_of(schemas.Variant), paginated=True)
def list_variants(ctx: TenantContext, id: str, page: PageRequest) -> Page[schemas.Variant]:
    """A plan's variants."""
    return catalogue.list_variants(ctx, id, page)


@api.get("/v1/plans/{id}/components", response=page_of(schemas.Component), paginated=True)
def list_components(ctx: TenantContext, id: str, page: PageRequest) -> Page[schemas.Component]:
    """A plan's components."""
    return catalogue.list_components(ctx, id, page)


@api.get("/v1/plan-variants/{id}", response=schemas.Variant)
def get_variant(ctx: TenantContext, id: str) -> schemas.Variant:
    """One plan variant, with its signup page's address when signup is open."""
    return catalogue.get_variant(ctx, id)


@api.patch(
    "/v1/plan-variants/{id}",
    body=schemas.VariantUpdate,
    response=schemas.Variant,
    versioned=True,
)
def update_variant(
    ctx: TenantContext, id: str, body: schemas.VariantUpdate, if_match: int | None
) -> schemas.Variant:
    """Change a plan variant; signed contracts keep their terms."""
    return catalogue.update_variant(
        ctx, id, body, check_pages=pages.check_budget, if_match=if_match
    )


@api.post(
    "/v1/components",
    body=schemas.ComponentCreate,
    response=schemas.Component,
    status=201,
    idempotent=True,
)
def create_component(ctx: TenantContext, body: schemas.ComponentCreate) -> schemas.Component:
    """Add a quantity, on/off or metered component to a plan."""
    return catalogue.create_component(ctx, body, check_pages=pages.check_budget)


@api.get("/v1/components/{id}", response=schemas.Component)
def get_component(ctx: TenantContext, id: str) -> schemas.Component:
    """One component."""
    return catalogue.get_component(ctx, id)


@api.patch(
    "/v1/components/{id}",
    body=schemas.ComponentUpdate,
    response=schemas.Component,
    versioned=True,
)
def update_component(
    ctx: TenantContext, id: str, body: schemas.ComponentUpdate, if_match: int | None
) -> schemas.Component:
    """Change a component; signed contracts keep their terms."""
    return catalogue.update_component(
        ctx, id, body, check_pages=pages.check_budget, if_match=if_match
    )


@api.post(
    "/v1/coupons",
    body=schemas.CouponCreate,
    response=schemas.Coupon,
    status=201,
    idempotent=True,
)
def create_coupon(ctx: TenantContext, body: schemas.CouponCreate) -> schemas.Coupon:
    """Create a coupon code."""
    return catalogue.create_coupon(ctx, body)


@api.get("/v1/coupons", response=page_of(schemas.Coupon), paginated=True)
def list_coupons(ctx: TenantContext, page: PageRequest) -> Page[schemas.Coupon]:
    """The tenant's coupons."""
    return catalogue.list_coupons(ctx, page)


@api.get("/v1/coupons/{id}", response=schemas.Coupon)
def get_coupon(ctx: TenantContext, id: str) -> schemas.Coupon:
    """One coupon, by its code."""
    return catalogue.get_coupon(ctx, id)


@api.delete("/v1/coupons/{id}")
def delete_coupon(ctx: TenantContext, id: str) -> None:
    """Withdraw a coupon code."""
    catalogue.delete_coupon(ctx, id)


# -- contracts -------------------------------------------------------------------------------


@api.post(
    "/v1/contracts",
    body=schemas.ContractCreate,
    response=schemas.Contract,
    status=201,
    idempotent=True,
)
def create_contract(ctx: TenantContext, body: schemas.ContractCreate) -> schemas.Contract:
    """A contract for an existing customer."""
    return contracts.create(ctx, body)


@api.get("/v1/contracts", response=page_of(schemas.Contract), paginated=True)
def list_contracts(ctx: TenantContext, page: PageRequest) -> Page[schemas.Contract]:
    """The tenant's contracts."""
    return contracts.list_contracts(ctx, page)


@api.get("/v1/contracts/{id}", response=schemas.Contract)
def get_contract(ctx: TenantContext, id: str) -> schemas.Contract:
    """One contract."""
    return contracts.get(ctx, id)


@api.post("/v1/contracts/{id}/cancel", response=schemas.Contract)
def cancel_contract(ctx: TenantContext, id: str) -> schemas.Contract:
    """Cancel at the next date the notice period allows."""
    return contracts.cancel_by_provider(ctx, id)


@api.post(
    "/v1/contracts/{id}/self-service-token",
    body=schemas.TokenRequest,
    response=schemas.SelfServiceLink,
    status=201,
)
def create_self_service_token(
    ctx: TenantContext, id: str, body: schemas.TokenRequest
) -> schemas.SelfServiceLink:
    """A self-service link to this one contract, valid for the given minutes (1 to 10080;
    the tenant's default when left out)."""
    return contracts.create_link(ctx, id, body)


@api.delete("/v1/contracts/{id}/self-service-token")
def revoke_self_service_tokens(ctx: TenantContext, id: str) -> None:
    """Withdraw every self-service link of the contract made so far."""
    contracts.revoke_links(ctx, id)


@api.post(
    "/v1/contracts/{id}/documents",
    query=schemas.DocumentQuery,
    upload=(documents.PDF_CONTENT_TYPE,),
    response=schemas.Document,
    status=201,
)
def upload_document(
    ctx: TenantContext, id: str, query: schemas.DocumentQuery, upload: Upload
) -> schemas.Document:
    """Upload an invoice or credit note (a PDF, checked) for the customer to download."""
    return documents.upload(ctx, id, query, upload)


@api.get("/v1/contracts/{id}/documents", response=page_of(schemas.Document), paginated=True)
def list_documents(ctx: TenantContext, id: str, page: PageRequest) -> Page[schemas.Document]:
    """A contract's documents."""
    return documents.list_documents(ctx, id, page)


@api.get("/v1/contracts/{id}/documents/{document_id}", produces=(documents.PDF_CONTENT_TYPE,))
def get_document(ctx: TenantContext, id: str, document_id: str) -> Response:
    """A document's PDF (over 4 MB: 303 to a link that downloads it for five minutes)."""
    item = documents.load(ctx, id, document_id)
    name = documents.file_name(item)
    far = large_file(item.blob_key, int(item.size), documents.PDF_CONTENT_TYPE, name)
    return far or pdf_response(item, documents.pdf(item))


@api.post(
    "/v1/contracts/{id}/emails",
    body=schemas.EmailSend,
    response=schemas.EmailSent,
    status=201,
)
def send_email(ctx: TenantContext, id: str, body: schemas.EmailSend) -> schemas.EmailSent:
    """E-mail the customer an invoice, credit note or reminder from the tenant's template;
    {SelfServicePortalUrl} becomes a fresh self-service link."""
    return mail.send(ctx, id, body)


# -- settings and e-mail templates -----------------------------------------------------------


@api.get("/v1/settings/self-service", response=schemas.SelfServiceSettingsOut, scope="admin")
def get_self_service_settings(ctx: TenantContext) -> schemas.SelfServiceSettingsOut:
    """The signup and self-service settings (the defaults until saved)."""
    return settings_service.get(ctx)


@api.put(
    "/v1/settings/self-service",
    body=schemas.SelfServiceSettings,
    response=schemas.SelfServiceSettingsOut,
    scope="admin",
    versioned=True,
)
def put_self_service_settings(
    ctx: TenantContext, body: schemas.SelfServiceSettings, if_match: int | None
) -> schemas.SelfServiceSettingsOut:
    """Replace the signup and self-service settings; the pages are rendered again."""
    return settings_service.put(ctx, body, check_pages=pages.check_budget, if_match=if_match)


class EmailTemplates(Struct, kw_only=True):
    """The tenant's saved e-mail templates (Portway's own text stands in for the others)."""

    items: list[schemas.EmailTemplate]


@api.get("/v1/email-templates", response=EmailTemplates, scope="admin")
def list_email_templates(ctx: TenantContext) -> EmailTemplates:
    """Every saved e-mail template."""
    return EmailTemplates(items=mail.list_templates(ctx))


@api.put(
    "/v1/email-templates/{kind}/{language}",
    body=schemas.EmailTemplateIn,
    response=schemas.EmailTemplate,
    scope="admin",
)
def put_email_template(
    ctx: TenantContext, kind: str, language: str, body: schemas.EmailTemplateIn
) -> schemas.EmailTemplate:
    """Save the text of invoice, credit_note or reminder e-mails in one language."""
    return mail.put_template(ctx, kind, language, body)


@api.get("/v1/email-templates/{kind}/{language}", response=schemas.EmailTemplate, scope="admin")
def get_email_template(ctx: TenantContext, kind: str, language: str) -> schemas.EmailTemplate:
    """One saved e-mail template."""
    return mail.get_template(ctx, kind, language)


@api.delete("/v1/email-templates/{kind}/{language}", scope="admin")
def delete_email_template(ctx: TenantContext, kind: str, language: str) -> None:
    """Go back to Portway's own text for this kind and language."""
    mail.delete_template(ctx, kind, language)


@api.post(
    "/v1/settings/self-service/preview",
    body=schemas.SelfServiceSettings,
    query=schemas.PreviewQuery,
    response=schemas.PagePreview,
    scope="admin",
    status=201,
)
def preview_self_service_settings(
    ctx: TenantContext, body: schemas.SelfServiceSettings, query: schemas.PreviewQuery
) -> schemas.PagePreview:
    """The signup or self-service page as these settings would make it, before they are
    saved (for 10 minutes, framed by this origin only; it sends nothing)."""
    path, expires = pages.preview_hosted(ctx, PageDraft(settings=body), query.page, query.language)
    return schemas.PagePreview(url=path, expires_at=rfc3339(expires))


@api.get("/v1/page-previews/{id}", auth="public", produces=("text/html",))
def get_page_preview(id: str) -> Response:
    """A page preview while it lasts."""
    page = pages.stored_preview(id)
    return Response(body=page.html, status_code=200, headers=page.headers)
