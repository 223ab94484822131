"""Portal access: invitations, portal accounts and sessions, previews, the audit log."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, Struct

from chalicelib.errors import Invalid
from chalicelib.schemas.common import (
    Email,
    Input,
    Language,
    Name,
    ObjectId,
    Output,
    Timestamp,
)

Role = Literal["portal_admin", "portal_user"]
InvitationStatus = Literal["open", "used", "revoked", "replaced", "expired"]
Secret = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
# Checked for length and commonness by the service, field by field (not by the schema, so
# that the answer can say what is wrong); the cap keeps hashing cheap.
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
Days = Annotated[int, Meta(ge=1, le=30, description="Days the link stays valid (1 to 30).")]
Slug = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]


class InvitationCreate(Input):
    """Who may use the link (any e-mail when left out) and for how long; with `send`,
    Portway e-mails the link to the address too (in the customer's language)."""

    # Stated in the OpenAPI document too (merged into this schema by chalicelib/openapi.py).
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"send": {"const": True}}, "required": ["send"]},
                "then": {"required": ["email"], "properties": {"email": {"type": "string"}}},
            }
        ]
    }

    email: Email | None = None
    expires_in_days: Days = 7
    send: bool = False
    # The invitee's language (the e-mail and the page the link opens); else the customer's.
    language: Language | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.send and not self.email:
            raise Invalid.field("send", "give the e-mail address to send the link to")


class ColleagueInvite(Input):
    """A colleague the portal administrator invites."""

    email: Email
    expires_in_days: Days = 7
    # The colleague's language (the e-mail and the page the link opens); else the customer's.
    language: Language | None = None


class InvitationCreated(Output):
    """A new invitation; the secret is in `url` (after `#`) and nowhere else."""

    id: str
    url: str
    email: str | None
    role: Role
    expires_at: Timestamp
    sent_to: str | None = None


class ColleagueInvitation(Output):
    """An invitation the portal administrator made: the link went to the address only."""

    id: str
    email: str
    role: Role
    expires_at: Timestamp
    sent_to: str


class Invitation(Output):
    """An invitation as listed (never its secret)."""

    id: str
    customer_id: str
    email: str | None
    role: Role
    status: InvitationStatus
    created_at: Timestamp
    expires_at: Timestamp


class InvitationAccept(Input):
    """Create a portal account with an invitation link's token."""

    # Stated in the OpenAPI document too (merged into this schema by chalicelib/openapi.py).
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [{"properties": {"accept_terms": {"const": True}}}]
    }

    token: Secret
    email: Email
    name: Name
    password: Password
    accept_terms: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.accept_terms:
            raise Invalid.field(
                "accept_terms", "accept the portal's terms to create an account", code="terms"
            )


class SignIn(Input):
    """A portal user's e-mail and password, for the provider's slug. `portal` names the
    portal (its page knows it); without it, the address must have one account with this
    password among the provider's portals."""

    tenant: Slug
    email: Email
    password: Password
    portal: ObjectId | None = None


class PasswordResetRequest(Input):
    """Ask for a reset link by e-mail (the answer is the same whether the address is known)."""

    tenant: Slug
    email: Email
    portal: ObjectId | None = None


class PasswordResetConfirm(Input):
    """Set a new password with a reset link's token; other sessions of the account end.
    The portal page names its provider (and portal): a link of another one is refused."""

    token: Secret
    password: Password
    tenant: Slug | None = None
    portal: ObjectId | None = None


class InvitationCheck(Input):
    """An invitation link's token, to see whether it can still be used."""

    token: Secret


class InvitationLink(Output):
    """What an open invitation link allows: the address it is for (none: any address), the
    role it gives, until when it works, and the terms it is accepted under."""

    email: str | None
    role: Role
    expires_at: Timestamp
    # The provider's terms and privacy notice, which the account is created under.
    terms_url: str | None = None
    privacy_url: str | None = None


class ProfileUpdate(Input):
    """What a portal user may change about themselves."""

    name: Name


class PasswordChange(Input):
    """A new password, with the current one; the account's other sessions end."""

    current_password: Password
    password: Password


class RefreshRequest(Input):
    """A refresh token to spend."""

    refresh_token: Secret


class PortalUser(Output):
    """A person with access to a portal."""

    id: str
    email: str
    name: str
    role: Role
    created_at: Timestamp
    sso_issuer: str | None = None


class Session(Output):
    """Tokens of a portal session: send the access token as `Authorization: Bearer`."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class AcceptedInvitation(Session):
    """The new account and its first session."""

    user: PortalUser


class PasswordResetSent(Output):
    """Where the link to set a new password went."""

    sent_to: str


class Preview(Output):
    """A read-only look at the portal as the customer sees it."""

    url: str
    expires_at: Timestamp


class AuditEvent(Output):
    """Who did what to which object, and when."""

    id: str
    time: Timestamp
    actor: str
    on_behalf_of: str | None
    action: str
    object_type: str
    object_id: str | None
    customer_id: str | None


class MeCustomer(Output):
    """The customer whose portal this is."""

    id: str
    name: str


class MePortal(Output):
    """The portal: its id, its apps and its theme."""

    id: str
    apps: list[str]
    theme_id: str | None


class Group(Output):
    """One of the customer's business units, shown as a group of its equipment."""

    id: str
    name: str


class Me(Output):
    """Who is signed in (no account for a provider's preview), where, with what."""

    user: PortalUser | None
    customer: MeCustomer
    portal: MePortal
    groups: list[Group]
    role: Role
    read_only: bool


class ReportQuery(Struct, kw_only=True):
    """The period of a report: RFC 3339 times, at most 366 days apart."""

    start: Annotated[str, Meta(max_length=40)]
    end: Annotated[str, Meta(max_length=40)]


class AssetHours(Output):
    """Operating hours of one asset over the period, from its first and last reading."""

    asset_id: str
    name: str
    hours: float | None
    first_reading_at: Timestamp | None
    last_reading_at: Timestamp | None


class OperatingHoursReport(Output):
    """Operating hours per asset over a period."""

    start: Timestamp
    end: Timestamp
    assets: list[AssetHours]
    total_hours: float
