"""Who is calling: every caller context and its authentication, in one module.

An API key's or a team member's `TenantContext` (tenant, actor, scopes), a portal user's
`PortalContext`, a
self-service link's `SelfServiceContext`; `Caller` and `Actor` for those without one. Each
is built only from verified credentials (a secret redeemed by `credentials`, a signed access
token); a tenant id in a path, body or header is never consulted. Every service that touches
tenant data takes a context first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.credentials import verify_access
from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.models import ApiKey, Token

TRACKING_SESSION = "tracking_session"
# A scope grants itself and everything below it.
# `tracking` (the tracking page's sessions): set shipment numbers on received shares.
_IMPLIED = {
    "admin": frozenset({"admin", "write", "read", "tracking", "tickets"}),
    "write": frozenset({"write", "read", "tracking", "tickets"}),
    "read": frozenset({"read"}),
    "tracking": frozenset({"tracking"}),
    # Support tickets: an agent writes these and nothing else (`write` and above do too).
    "tickets": frozenset({"tickets"}),
    # Giving or taking the owner role, removing an owner.
    "owner": frozenset({"owner", "admin", "write", "read", "tracking", "tickets"}),
    # Marks the tracking page's short-lived keys: the router lets them call only the routes
    # the page needs.
    TRACKING_SESSION: frozenset({TRACKING_SESSION}),
}


# What each role of the team may do, as the scopes an API key would need.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "owner": frozenset({"owner"}),
    "admin": frozenset({"admin"}),
    "editor": frozenset({"write"}),
    "agent": frozenset({"read", "tickets"}),
    "viewer": frozenset({"read"}),
}
MEMBER_ACTOR = "member:"
# How events and tickets name a customer's person (`portal_user:{user_id}`).
PORTAL_ACTOR = "portal_user:"


def expand_scopes(scopes: set[str] | frozenset[str]) -> frozenset[str]:
    """The scopes a key holds, with what each implies."""
    return frozenset().union(*(_IMPLIED.get(s, frozenset()) for s in scopes))


class OfTenant(Protocol):
    """Whom a service acts for when there is no caller: a stored item that names its tenant
    (the page consumer publishes from a `Site`). Never a bare tenant id."""

    @property
    def tenant_id(self) -> str:
        """The tenant it belongs to."""
        ...


class OfCustomer(Protocol):
    """What belongs to one customer of a tenant: a portal account, an SSO issuer's
    registration."""

    @property
    def tenant_id(self) -> str:
        """The tenant it belongs to."""
        ...

    @property
    def customer_id(self) -> str | None:
        """The customer it belongs to."""
        ...


class OfPortal(OfCustomer, Protocol):
    """What points at one customer's portal: a portal user's context, their account, or an
    invitation's token. The portal must still be the one with `portal_id`."""

    @property
    def portal_id(self) -> str | None:
        """The portal it was made for (a portal given again has a new one)."""
        ...


class TenantContext(msgspec.Struct, frozen=True):
    """The verified caller of one request: an API key, or a team member signed in to the
    console (`member_id`, their role, the session, and whether a second factor is still
    to be set up before anything but `/v1/team/me` is reached)."""

    tenant_id: str
    actor: str
    scopes: frozenset[str]
    source_ip: str | None = None
    member_id: str | None = None
    role: str | None = None
    session_id: str | None = None
    epoch: int = 0
    second_factor_due: bool = False

    @property
    def on_behalf_of(self) -> str | None:
        """Nobody: an API key acts for itself."""
        return None

    @property
    def is_tracking_session(self) -> bool:
        """True for the tracking page's short-lived keys."""
        return TRACKING_SESSION in self.scopes

    def require(self, scope: str) -> None:
        """Refuse the request unless the caller holds `scope`."""
        if scope not in self.scopes:
            if self.role is not None:
                raise Forbidden(
                    f"Your role ({self.role}) may not do this; ask an owner or admin.",
                    extra={"reason": "role", "role": self.role},
                )
            raise Forbidden(f"This API key lacks the '{scope}' scope.")


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send your credentials as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="portway"'},
        )
    return token.strip()


def authenticate_api_key(
    authorization: str | None, source_ip: str | None = None, *, clock: Clock = utcnow
) -> TenantContext:
    """Resolve an API key to its tenant; unknown, revoked or malformed keys are 401."""
    secret = bearer_token(authorization)
    invalid = Unauthorized(
        "The API key is not valid.", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )
    token = credentials.redeem(secret, credentials.API_KEY_PREFIX, credentials.API_KEY_KIND)
    if token is None or not token.is_live(clock()):
        raise invalid
    if token.source_id is not None and not _parent_live(token):
        raise invalid
    return TenantContext(
        tenant_id=token.tenant_id,
        actor=f"api_key:{token.subject_id}",
        scopes=expand_scopes(token.scopes or set()),
        source_ip=source_ip,
    )


def authenticate_provider(
    authorization: str | None, source_ip: str | None = None, *, clock: Clock = utcnow
) -> TenantContext:
    """Resolve a provider's caller: an API key (`pwk_...`), or a team member's console
    access token, whose sources the router has read before the request answers."""
    secret = bearer_token(authorization)
    if credentials.well_formed(secret, credentials.API_KEY_PREFIX):
        return authenticate_api_key(authorization, source_ip, clock=clock)
    return authenticate_staff(authorization, source_ip)


def authenticate_staff(authorization: str | None, source_ip: str | None = None) -> TenantContext:
    """Resolve a team member's access token by its signature (the router then has the
    member and the session read: `services.team.staff_sessions.check_sources`)."""
    claims = verify_access(bearer_token(authorization), credentials.STAFF_AUDIENCE)
    role = str(claims["role"])
    try:
        epoch = int(claims["sep"])
    except (TypeError, ValueError):
        epoch = -1  # matches no member
    return TenantContext(
        tenant_id=str(claims["aud"]).removeprefix(f"{credentials.STAFF_AUDIENCE}:"),
        actor=f"{MEMBER_ACTOR}{claims['sub']}",
        scopes=expand_scopes(ROLE_SCOPES.get(role, frozenset())),
        source_ip=source_ip,
        member_id=str(claims["sub"]),
        role=role,
        session_id=str(claims["sid"]),
        epoch=epoch,
        second_factor_due=bool(claims.get("mfa_due", False)),
    )


def _parent_live(token: Token) -> bool:
    """A derived key (a tracking session) works only while the key that made it does."""
    try:
        parent = ApiKey.get(token.tenant_id, token.source_id or "", consistent_read=True)
    except DoesNotExist:
        return False
    return parent.revoked_at is None


class Actor(msgspec.Struct, frozen=True):
    """Who acts where no request context does: the operator, a partner's SSO issuer, a
    person redeeming a link (the link names the tenant)."""

    tenant_id: str
    actor: str
    on_behalf_of: str | None = None


class Caller(msgspec.Struct, frozen=True):
    """Someone without credentials yet (signing in, accepting a link): only where from."""

    source_ip: str | None


class SourcesChecked(msgspec.Struct):
    """Whether this request has read what its session derives from (see
    `services.sessions.check_sources`); every portal request must before it answers."""

    done: bool = False


class PortalContext(msgspec.Struct, frozen=True):
    """The verified portal user of one request, or a provider previewing as the customer
    (read-only, with the provider named as the actor behind it)."""

    tenant_id: str
    customer_id: str
    portal_id: str
    user_id: str
    user_key: str
    role: str
    apps: frozenset[str]
    session_id: str
    epoch: int = 0
    sso_issuer: str | None = None
    sso_registration: str | None = None
    read_only: bool = False
    on_behalf_of: str | None = None
    source_ip: str | None = None
    sources: SourcesChecked = msgspec.field(default_factory=SourcesChecked)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"{PORTAL_ACTOR}{self.user_id}"

    def require_app(self, app: str, *others: str) -> None:
        """Refuse unless the portal has the app (or one of `others`) enabled."""
        if app not in self.apps and not self.apps.intersection(others):
            raise Forbidden(f"The {app} app is not enabled in this portal.")

    def require_admin(self) -> None:
        """Refuse unless the caller is the portal's administrator."""
        if self.role != "portal_admin":
            raise Forbidden("Only the portal administrator may do this.")

    def require_writable(self) -> None:
        """Refuse changes from a preview session."""
        if self.read_only:
            raise Forbidden("A preview is read-only.")


def authenticate_portal(authorization: str | None, source_ip: str | None = None) -> PortalContext:
    """Resolve a portal access token by its signature; the router then has the session's
    sources read before the request answers."""
    claims = verify_access(bearer_token(authorization))
    act = claims.get("act")
    sso_issuer = claims.get("siss")
    try:
        epoch = int(claims.get("sep", 0))
    except (TypeError, ValueError):
        epoch = -1  # matches no account
    return PortalContext(
        tenant_id=str(claims["aud"]).removeprefix("portal:"),
        customer_id=str(claims["cid"]),
        portal_id=str(claims["pid"]),
        user_id=str(claims["sub"]),
        user_key=str(claims["ukey"]),
        role=str(claims["role"]),
        apps=frozenset(str(a) for a in claims.get("apps", [])),
        session_id=str(claims["sid"]),
        epoch=epoch,
        sso_issuer=str(sso_issuer) if sso_issuer else None,
        sso_registration=str(claims.get("sreg", "")) if sso_issuer else None,
        read_only=bool(claims.get("ro", False)),
        on_behalf_of=str(act["sub"]) if isinstance(act, dict) and "sub" in act else None,
        source_ip=source_ip,
    )


# -- self-service links ----------------------------------------------------------------------

# The reason of the 401 for a secret that is no link: a guess. The router counts these per
# source address (`ratelimit.SELF_SERVICE_LINK_PER_ADDRESS`); expired and withdrawn links
# are no guess.
LINK_INVALID = "invalid"


class SelfServiceContext(msgspec.Struct, frozen=True):
    """The holder of one contract's self-service link."""

    tenant_id: str
    contract_id: str
    customer_id: str
    epoch: int
    expires_at: datetime
    source_ip: str | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"self_service:{self.contract_id}"

    @property
    def on_behalf_of(self) -> None:
        """A link is never a preview."""
        return None


def authenticate_self_service(
    authorization: str | None, source_ip: str | None = None, *, clock: Clock = utcnow
) -> SelfServiceContext:
    """Resolve a self-service link (one read): 401 with reason `invalid` for anything that
    is no link, `expired` for a link past its time. Whether the contract withdrew its links
    since is checked where the contract is read (`services.billing.self_service`)."""
    secret = bearer_token(authorization)
    now = clock()
    token = credentials.redeem(
        secret, credentials.SELF_SERVICE_PREFIX, credentials.SELF_SERVICE_KIND
    )
    if token is None:
        raise link_refused("This link is not valid.", LINK_INVALID)
    if not token.is_live(now):
        raise link_refused("This link has expired; ask for a new one.", "expired")
    return SelfServiceContext(
        tenant_id=token.tenant_id,
        contract_id=str(token.subject_id),
        customer_id=str(token.customer_id),
        epoch=int(token.epoch or 0),
        expires_at=token.valid_until or token.expires_at,
        source_ip=source_ip,
    )


def link_refused(detail: str, reason: str) -> Unauthorized:
    """401 with a `reason` the page turns into a clear message: invalid, expired, revoked."""
    return Unauthorized(
        detail,
        extra={"reason": reason},
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
