"""The portal API: what a customer's people call with their portal session."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import assets as asset_schemas
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.portals import invitations, portal_accounts, portal_view, profile
from chalicelib.tenancy import Caller, PortalContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="portal")


@api.post(
    "/v1/portal/invitations/accept",
    auth="anonymous",
    body=schemas.InvitationAccept,
    response=schemas.AcceptedInvitation,
    status=201,
)
def accept_invitation(caller: Caller, body: schemas.InvitationAccept) -> schemas.AcceptedInvitation:
    """Create a portal account with an invitation link; the first person becomes admin."""
    return invitations.accept(caller, body)


@api.post(
    "/v1/portal/invitations/check",
    auth="anonymous",
    body=schemas.InvitationCheck,
    response=schemas.InvitationLink,
)
def check_invitation(caller: Caller, body: schemas.InvitationCheck) -> schemas.InvitationLink:
    """Whether an invitation link still works and for which address (the page asks when it
    opens); the token travels in the body, never in an address."""
    return invitations.check(caller, body)


@api.post("/v1/portal/sessions", auth="anonymous", body=schemas.SignIn, response=schemas.Session)
def sign_in(caller: Caller, body: schemas.SignIn) -> schemas.Session:
    """Sign in with e-mail and password."""
    return portal_accounts.sign_in(caller, body)


@api.post(
    "/v1/portal/sessions/refresh",
    auth="anonymous",
    body=schemas.RefreshRequest,
    response=schemas.Session,
)
def refresh_session(caller: Caller, body: schemas.RefreshRequest) -> schemas.Session:
    """Spend a refresh token for a new pair; a spent one closes its session."""
    return portal_accounts.refresh(caller, body)


@api.post(
    "/v1/portal/password-resets",
    auth="anonymous",
    body=schemas.PasswordResetRequest,
    status=202,
)
def request_password_reset(caller: Caller, body: schemas.PasswordResetRequest) -> None:
    """E-mail a link to set a new password (the answer is 202 whether the address is known)."""
    portal_accounts.request_reset(caller, body)


@api.post(
    "/v1/portal/password-resets/confirm",
    auth="anonymous",
    body=schemas.PasswordResetConfirm,
    response=schemas.Session,
)
def confirm_password_reset(caller: Caller, body: schemas.PasswordResetConfirm) -> schemas.Session:
    """Set a new password with the e-mailed link; the account's other sessions end."""
    return portal_accounts.confirm_reset(caller, body)


@api.delete("/v1/portal/sessions", auth="portal")
def sign_out(ctx: PortalContext) -> None:
    """Close the session: its refresh tokens stop working."""
    portal_accounts.sign_out(ctx)


@api.get("/v1/portal/me", auth="portal", response=schemas.Me)
def me(ctx: PortalContext) -> schemas.Me:
    """The signed-in user, the customer, the portal's apps and theme."""
    return portal_accounts.me(ctx)


@api.get(
    "/v1/portal/assets",
    auth="portal",
    response=page_of(asset_schemas.Asset),
    paginated=True,
    folds_session_check=True,
)
def list_portal_assets(ctx: PortalContext, page: PageRequest) -> Page[asset_schemas.Asset]:
    """The assets assigned to the customer (equipment app)."""
    return portal_view.list_assets(ctx, page)


@api.get(
    "/v1/portal/assets/{id}", auth="portal", response=asset_schemas.Asset, folds_session_check=True
)
def get_portal_asset(ctx: PortalContext, id: str) -> asset_schemas.Asset:
    """One assigned asset."""
    return portal_view.get_asset(ctx, id)


@api.get(
    "/v1/portal/assets/{id}/events",
    auth="portal",
    response=page_of(asset_schemas.AssetEvent),
    paginated=True,
    folds_session_check=True,
)
def list_portal_asset_events(
    ctx: PortalContext, id: str, page: PageRequest
) -> Page[asset_schemas.AssetEvent]:
    """An assigned asset's activity, newest first (activity app)."""
    return portal_view.list_events(ctx, id, page)


@api.get(
    "/v1/portal/reports/operating-hours",
    auth="portal",
    query=schemas.ReportQuery,
    response=schemas.OperatingHoursReport,
)
def operating_hours_report(
    ctx: PortalContext, query: schemas.ReportQuery
) -> schemas.OperatingHoursReport:
    """Operating hours per asset over a period (reports app)."""
    return portal_view.operating_hours(ctx, query)


@api.patch("/v1/portal/me", auth="portal", body=schemas.ProfileUpdate, response=schemas.PortalUser)
def update_profile(ctx: PortalContext, body: schemas.ProfileUpdate) -> schemas.PortalUser:
    """Change one's own name."""
    return profile.update(ctx, body)


@api.post(
    "/v1/portal/me/password",
    auth="portal",
    body=schemas.PasswordChange,
    response=schemas.Session,
)
def change_password(ctx: PortalContext, body: schemas.PasswordChange) -> schemas.Session:
    """Change one's password with the current one: the account's other sessions end and
    the answer is a new session for this one."""
    return profile.change_password(ctx, body)


@api.get("/v1/portal/users", auth="portal", response=page_of(schemas.PortalUser))
def list_portal_users(ctx: PortalContext) -> Page[schemas.PortalUser]:
    """The portal's people (administrator only)."""
    return page_of(schemas.PortalUser)(items=portal_accounts.list_users(ctx), next_cursor=None)


@api.post(
    "/v1/portal/users",
    auth="portal",
    body=schemas.ColleagueInvite,
    response=schemas.ColleagueInvitation,
    status=201,
)
def invite_portal_user(
    ctx: PortalContext, body: schemas.ColleagueInvite
) -> schemas.ColleagueInvitation:
    """Invite a colleague (administrator only): Portway e-mails the link to their address."""
    return invitations.invite_colleague(ctx, body)


@api.delete("/v1/portal/users/{id}", auth="portal")
def remove_portal_user(ctx: PortalContext, id: str) -> None:
    """Remove a colleague (administrator only)."""
    portal_accounts.remove_user(ctx, id)
