"""The provider's side of portal access: invitation links, previews, the audit log."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform import audit
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.portals import invitations, portal_accounts
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="portal access")


@api.post(
    "/v1/customers/{id}/portal/invitations",
    body=schemas.InvitationCreate,
    response=schemas.InvitationCreated,
    status=201,
)
def create_invitation(
    ctx: TenantContext, id: str, body: schemas.InvitationCreate
) -> schemas.InvitationCreated:
    """An invitation link to the customer's portal (7 days unless said otherwise, 30 at
    most); a new link for the same person spends the old one."""
    return invitations.create(ctx, id, body)


@api.get(
    "/v1/customers/{id}/portal/invitations",
    response=page_of(schemas.Invitation),
    paginated=True,
)
def list_invitations(ctx: TenantContext, id: str, page: PageRequest) -> Page[schemas.Invitation]:
    """The customer's invitations and their status (never their links)."""
    return invitations.list_invitations(ctx, id, page)


@api.delete("/v1/customers/{id}/portal/invitations/{invitation_id}")
def revoke_invitation(ctx: TenantContext, id: str, invitation_id: str) -> None:
    """Revoke an invitation link; it stops working at once."""
    invitations.revoke(ctx, id, invitation_id)


@api.get(
    "/v1/customers/{id}/portal/users",
    response=page_of(schemas.PortalUser),
    paginated=True,
)
def list_customer_portal_users(
    ctx: TenantContext, id: str, page: PageRequest
) -> Page[schemas.PortalUser]:
    """The people of the customer's portal."""
    return portal_accounts.list_customer_users(ctx, id, page)


@api.delete("/v1/customers/{id}/portal/users/{user_id}")
def remove_customer_portal_user(ctx: TenantContext, id: str, user_id: str) -> None:
    """Remove a person from the customer's portal; their sessions end at once. Removing the
    administrator lets the next accepted invitation make a new one."""
    portal_accounts.remove_customer_user(ctx, id, user_id)


@api.post(
    "/v1/customers/{id}/portal/users/{user_id}/password-reset",
    response=schemas.PasswordResetSent,
    status=202,
)
def reset_customer_portal_user(
    ctx: TenantContext, id: str, user_id: str
) -> schemas.PasswordResetSent:
    """Reset a person's password: the old one and every session stop working, and a link to
    set a new one is e-mailed to them."""
    return portal_accounts.reset_customer_user(ctx, id, user_id)


@api.post("/v1/customers/{id}/portal/preview", response=schemas.Preview, status=201)
def start_preview(ctx: TenantContext, id: str) -> schemas.Preview:
    """A read-only look at the portal as the customer sees it (30 minutes, audited)."""
    return portal_accounts.start_preview(ctx, id)


@api.get(
    "/v1/audit-events",
    response=page_of(schemas.AuditEvent),
    paginated=True,
    scope="admin",
)
def list_audit_events(ctx: TenantContext, page: PageRequest) -> Page[schemas.AuditEvent]:
    """Who did what to which object and when, newest first."""
    return audit.list_events(ctx, page)
