"""The provider's team: members, their sessions, their second factor, the team's settings."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from chalicelib.schemas.common import Email, Input, Name, Output, Timestamp
from chalicelib.schemas.portal_access import Password, Secret, Slug

Role = Literal["owner", "admin", "editor", "agent", "viewer"]
MemberStatus = Literal["invited", "active"]
# Six digits of an authenticator app (RFC 6238).
Code = Annotated[str, Meta(pattern=r"^[0-9]{6}$", description="The six digits shown now.")]


class MemberInvite(Input):
    """A person to invite: the link goes to the address by e-mail and nowhere else."""

    email: Email
    role: Role
    name: Name | None = None


class MemberUpdate(Input):
    """A member's new name or role (only an owner gives or takes `owner`)."""

    name: Name | None = None
    role: Role | None = None


class Member(Output):
    """A person of the team (never their password or second factor)."""

    id: str
    email: str
    name: str
    role: Role
    status: MemberStatus
    second_factor: bool
    created_at: Timestamp
    joined_at: Timestamp | None


class TeamInvitationAccept(Input):
    """Join the team with the invitation link's token."""

    token: Secret
    name: Name
    password: Password


class TeamSignIn(Input):
    """A member's e-mail and password for the tenant's slug, with the authenticator's code
    when the member has a second factor."""

    tenant: Slug
    email: Email
    password: Password
    otp: Code | None = None


class TeamSession(Output):
    """Tokens of a console session: send the access token as `Authorization: Bearer`.
    `second_factor_required`: the tenant asks this member for a second factor and they
    have none yet; until they set one up, the session reaches only `/v1/team/me`."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    second_factor_required: bool


class TeamJoined(TeamSession):
    """The new member and their first session."""

    member: Member


class TeamRefreshRequest(Input):
    """A refresh token to spend."""

    refresh_token: Secret


class TeamPasswordResetRequest(Input):
    """Ask for a reset link by e-mail (the answer is the same whether the address is known)."""

    tenant: Slug
    email: Email


class TeamPasswordResetConfirm(Input):
    """Set a new password with a reset link's token; every other session ends."""

    token: Secret
    password: Password


class TeamMe(Output):
    """Who is signed in, in which tenant, with which role."""

    member: Member
    tenant: str
    tenant_name: str
    scopes: list[str]
    second_factor_required: bool


class TotpEnrolment(Output):
    """A new authenticator secret: add it to an app (the URI as a QR code, or the secret
    typed), then confirm with the code the app shows."""

    secret: str
    otpauth_uri: str


class TotpConfirm(Input):
    """The code the authenticator shows now, proving it holds the secret."""

    code: Code


class TotpDisable(Input):
    """The current password: taking a second factor away asks for it."""

    password: Password


class TeamSettings(Output):
    """How the team signs in."""

    require_second_factor: Annotated[
        bool, Meta(description="Owners and admins must use a second factor (TOTP).")
    ]


class TeamSettingsUpdate(Input):
    """Change how the team signs in."""

    require_second_factor: bool
