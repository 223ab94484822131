"""The provider's team: members, console sessions, the second factor, sign-in settings."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.handlers.router import Api
from chalicelib.schemas import team as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.team import me, members, staff_sessions
from chalicelib.tenancy import Caller, TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="team")


# -- members (admins manage the team; everyone sees it) --------------------------------------


@api.get("/v1/team/members", response=page_of(schemas.Member), paginated=True)
def list_members(ctx: TenantContext, page: PageRequest) -> Page[schemas.Member]:
    """The team's members and their roles."""
    return members.list_members(ctx, page)


@api.post(
    "/v1/team/members",
    scope="admin",
    body=schemas.MemberInvite,
    response=schemas.Member,
    status=201,
)
def invite_member(ctx: TenantContext, body: schemas.MemberInvite) -> schemas.Member:
    """Invite a person by e-mail: the single-use link (7 days) goes to their address only.
    Inviting an invited person again replaces their link."""
    return members.invite(ctx, body)


@api.get("/v1/team/members/{id}", response=schemas.Member)
def get_member(ctx: TenantContext, id: str) -> schemas.Member:
    """One member."""
    return members.get(ctx, id)


@api.patch(
    "/v1/team/members/{id}",
    scope="admin",
    body=schemas.MemberUpdate,
    response=schemas.Member,
    versioned=True,
)
def update_member(
    ctx: TenantContext, id: str, body: schemas.MemberUpdate, if_match: int | None
) -> schemas.Member:
    """Change a member's name or role (only an owner gives or takes `owner`)."""
    return members.update(ctx, id, body, if_match=if_match)


@api.delete("/v1/team/members/{id}", scope="admin")
def remove_member(ctx: TenantContext, id: str) -> None:
    """Remove a member; their sessions end at once. The last owner stays."""
    members.remove(ctx, id)


@api.get("/v1/team/settings", response=schemas.TeamSettings)
def get_team_settings(ctx: TenantContext) -> schemas.TeamSettings:
    """How the team signs in."""
    return me.settings(ctx)


@api.put(
    "/v1/team/settings",
    scope="admin",
    body=schemas.TeamSettingsUpdate,
    response=schemas.TeamSettings,
)
def put_team_settings(ctx: TenantContext, body: schemas.TeamSettingsUpdate) -> schemas.TeamSettings:
    """Require a second factor of owners and admins, or stop requiring it."""
    return me.update_settings(ctx, body)


# -- joining and signing in (no credentials yet) ---------------------------------------------


@api.post(
    "/v1/team/invitations/accept",
    auth="anonymous",
    body=schemas.TeamInvitationAccept,
    response=schemas.TeamJoined,
    status=201,
)
def accept_team_invitation(
    caller: Caller, body: schemas.TeamInvitationAccept
) -> schemas.TeamJoined:
    """Join the team with the e-mailed link: set your name and password, and sign in."""
    return members.accept(caller, body)


@api.post(
    "/v1/team/sessions", auth="anonymous", body=schemas.TeamSignIn, response=schemas.TeamSession
)
def team_sign_in(caller: Caller, body: schemas.TeamSignIn) -> schemas.TeamSession:
    """Sign in to the console: e-mail and password, and the authenticator's code when you
    have one (401 with `mfa_required` asks for it)."""
    return staff_sessions.sign_in(caller, body)


@api.post(
    "/v1/team/sessions/refresh",
    auth="anonymous",
    body=schemas.TeamRefreshRequest,
    response=schemas.TeamSession,
)
def team_refresh(caller: Caller, body: schemas.TeamRefreshRequest) -> schemas.TeamSession:
    """Spend a refresh token for a new pair; a spent one closes its session."""
    return staff_sessions.refresh(body)


@api.post(
    "/v1/team/password-resets", auth="anonymous", body=schemas.TeamPasswordResetRequest, status=202
)
def team_request_reset(caller: Caller, body: schemas.TeamPasswordResetRequest) -> None:
    """E-mail a link to set a new password (202 whether the address is known or not)."""
    staff_sessions.request_reset(caller, body)


@api.post(
    "/v1/team/password-resets/confirm", auth="anonymous", body=schemas.TeamPasswordResetConfirm
)
def team_confirm_reset(caller: Caller, body: schemas.TeamPasswordResetConfirm) -> None:
    """Set a new password with the e-mailed link; every session ends, sign in again."""
    staff_sessions.confirm_reset(caller, body)


# -- the signed-in person --------------------------------------------------------------------


@api.delete("/v1/team/sessions", auth="staff")
def team_sign_out(ctx: TenantContext) -> None:
    """Sign out: this session's access and refresh tokens stop working."""
    staff_sessions.sign_out(ctx)


@api.get("/v1/team/me", auth="staff", response=schemas.TeamMe)
def get_me(ctx: TenantContext) -> schemas.TeamMe:
    """Who is signed in, in which team, with which role."""
    return me.me(ctx)


@api.post("/v1/team/me/mfa/totp", auth="staff", response=schemas.TotpEnrolment, status=201)
def enrol_totp(ctx: TenantContext) -> schemas.TotpEnrolment:
    """Start setting up an authenticator app: a new secret, shown once."""
    return me.enrol_totp(ctx)


@api.post(
    "/v1/team/me/mfa/totp/confirm",
    auth="staff",
    body=schemas.TotpConfirm,
    response=schemas.TeamSession,
)
def confirm_totp(ctx: TenantContext, body: schemas.TotpConfirm) -> schemas.TeamSession:
    """Turn the authenticator on with the code it shows; other sessions end, this one is
    renewed."""
    return me.confirm_totp(ctx, body)


@api.route(
    "DELETE",
    "/v1/team/me/mfa/totp",
    auth="staff",
    body=schemas.TotpDisable,
    response=schemas.TeamSession,
)
def disable_totp(ctx: TenantContext, body: schemas.TotpDisable) -> schemas.TeamSession:
    """Turn the authenticator off (asks for the password); other sessions end."""
    return me.disable_totp(ctx, body)
