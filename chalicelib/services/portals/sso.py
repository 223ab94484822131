"""Partner SSO: a customer's own platform signs a short-lived JWT and its user lands in the
customer's portal, signed in, without a password (RFC 8725 rules throughout).

The algorithm and key come from the issuer's settings, never from the token; `jku`, `x5u`
and `jwk` headers are refused, never fetched. `iat` must be within 180 s of now, `exp` at
most 15 minutes after `iat`, `jti` is single use per issuer, and an issuer can only sign
users into the one customer it is registered for. Users are known by (issuer, subject); the
first login provisions the account.

Users belong to (customer, issuer, subject): an issuer later registered for another customer
never reaches the first customer's people. Every session carries the issuer's registration,
so removing the issuer ends its users' sessions and refresh tokens on their next request.
The `email` and `name` claims are checked like any input.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from typing import Any, get_args
from urllib.parse import urlsplit

import msgspec
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound, Unauthorized
from chalicelib.ids import new_id
from chalicelib.models import DirectoryEntry, PortalUser, SsoIssuer, Tenant, Token
from chalicelib.schemas import sso as schemas
from chalicelib.schemas.common import Email, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, condition_failed
from chalicelib.services.platform.tenants import tenant_id_for_slug
from chalicelib.services.portals import portals, sessions
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, Caller, TenantContext

MAX_LIFETIME = timedelta(minutes=15)
MAX_IAT_SKEW = timedelta(seconds=180)
LEEWAY_SECONDS = 60
_REFUSED_HEADERS = ("jku", "x5u", "jwk", "x5c")
_REQUIRED = ["iss", "aud", "exp", "iat", "jti", "sub", "email"]
_MAX_CLAIM = 200  # issuer, subject and jti: longer is refused, never cut
_MAX_EMAIL = 254
_MAX_NAME = 200
# Visible ASCII without backslashes, quotes or angle brackets: what a redirect may carry.
_URL_SAFE = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#\[\]]{1,2000}")


def _login_url(slug: str) -> str:
    return f"{get_settings().public_base_url}/sso/{slug}/jwt"


def _out(item: SsoIssuer, slug: str) -> schemas.Sso:
    return schemas.Sso(
        customer_id=item.customer_id,
        issuer=item.issuer,
        algorithm=item.algorithm,  # type: ignore[arg-type]
        audience=item.audience,
        key_id=item.key_id,
        login_url=_login_url(slug),
        created_at=rfc3339(item.created_at),
    )


@functools.lru_cache(maxsize=256)
def _public_key(pem: str) -> Any:
    """A parsed public key: parsed once per key and process."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return load_pem_public_key(pem.encode())


def _check_key(data: schemas.SsoSettings) -> None:
    if data.public_key is None:
        return
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = _public_key(data.public_key)
    except ValueError:
        raise Invalid.field("public_key", "is not a PEM public key") from None
    wanted = rsa.RSAPublicKey if data.algorithm == "RS256" else ec.EllipticCurvePublicKey
    if not isinstance(key, wanted):
        raise Invalid.field("public_key", f"is not a key for {data.algorithm}")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise Invalid.field("public_key", "use an RSA key of at least 2048 bits")
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
        raise Invalid.field("public_key", "ES256 needs a key on the P-256 curve")


def configure(
    ctx: TenantContext, customer_id: str, data: schemas.SsoSettings, *, clock: Clock = utcnow
) -> schemas.Sso:
    """Register (or replace the key of) the customer's partner platform as an SSO issuer."""
    portals.load_for_customer(ctx, customer_id)
    _check_key(data)
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    try:
        registration = SsoIssuer.get(ctx.tenant_id, data.issuer, consistent_read=True)
        registration_id = registration.registration_id
    except DoesNotExist:
        registration_id = None
    item = SsoIssuer(
        ctx.tenant_id,
        data.issuer,
        customer_id=customer_id,
        algorithm=data.algorithm,
        audience=data.audience or f"portway:{slug}",
        secret=data.secret,
        public_key=data.public_key,
        key_id=data.key_id,
        registration_id=registration_id or new_id("reg"),
        created_at=clock(),
    )
    as_read = (
        SsoIssuer.registration_id == registration_id
        if registration_id
        else SsoIssuer.registration_id.does_not_exist()  # registered before registrations
    )
    mine = SsoIssuer.issuer.does_not_exist() | ((SsoIssuer.customer_id == customer_id) & as_read)
    try:
        with Transaction() as tx:
            tx.save(item, condition=mine, label="issuer")
            events.record(
                tx,
                ctx,
                "portal.sso_configured",
                data.issuer,
                object_type="sso_issuer",
                customer_id=customer_id,
                data={
                    "algorithm": data.algorithm,
                    "key_id": data.key_id,
                    "replaced": registration_id is not None,  # a new key for the issuer
                },
                now=item.created_at,
            )
    except ConditionsFailed:
        raise Conflict("This issuer signs in to another customer's portal.") from None
    return _out(item, slug)


def get(ctx: TenantContext, customer_id: str) -> list[schemas.Sso]:
    """The customer's SSO issuers; 404 for a customer without a portal (or not yours)."""
    portals.load_for_customer(ctx, customer_id)
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    return [
        _out(i, slug)
        for i in SsoIssuer.query(
            ctx.tenant_id, filter_condition=SsoIssuer.customer_id == customer_id
        )
    ]


def remove(ctx: TenantContext, customer_id: str, issuer: str) -> None:
    """Stop accepting tokens of an issuer; the sessions of its users end with it."""
    try:
        item = SsoIssuer.get(ctx.tenant_id, issuer)
    except DoesNotExist:
        raise NotFound(f"No SSO issuer {issuer}.") from None
    if item.customer_id != customer_id:
        raise NotFound(f"No SSO issuer {issuer}.")
    with Transaction() as tx:
        tx.delete(item)
        events.record(
            tx,
            ctx,
            "portal.sso_removed",
            issuer,
            object_type="sso_issuer",
            customer_id=customer_id,
        )


class Landing(msgspec.Struct, frozen=True):
    """Where the browser goes after a successful login, with the session in the fragment."""

    location: str


_INVALID = "The sign-in token is not valid."


def _issuer_of(token: str, tenant_id: str) -> tuple[SsoIssuer, dict[str, Any]]:
    """The registered issuer the token names, and the token's header (not yet trusted)."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthorized(_INVALID) from None
    if any(name in header for name in _REFUSED_HEADERS):
        raise Unauthorized("Keys named by the token are never fetched; the token is refused.")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not 0 < len(issuer) <= _MAX_CLAIM:
        raise Unauthorized(_INVALID)
    try:
        config = SsoIssuer.get(tenant_id, issuer)
    except DoesNotExist:
        raise Unauthorized(_INVALID) from None
    if config.key_id and header.get("kid") not in (None, config.key_id):
        raise Unauthorized(_INVALID)
    return config, header


def _check_times(claims: dict[str, Any], now: datetime) -> None:
    try:
        issued = datetime.fromtimestamp(int(claims["iat"]), now.tzinfo)
        expires = datetime.fromtimestamp(int(claims["exp"]), now.tzinfo)
    except (OverflowError, OSError, ValueError, TypeError):
        raise Unauthorized(_INVALID) from None
    if abs(now - issued) > MAX_IAT_SKEW:
        raise Unauthorized("The sign-in token was not issued just now.")
    if expires - issued > MAX_LIFETIME:
        raise Unauthorized("A sign-in token may live at most 15 minutes.")


def _claims(token: str, tenant_id: str, now: datetime) -> tuple[SsoIssuer, dict[str, Any]]:
    import jwt

    config, _ = _issuer_of(token, tenant_id)
    key = config.secret.encode() if config.algorithm == "HS256" else _public_key(config.public_key)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[config.algorithm],  # fixed per issuer, whatever the header says
            audience=config.audience,
            issuer=config.issuer,
            options={"require": _REQUIRED},
            leeway=LEEWAY_SECONDS,
        )
    except (jwt.PyJWTError, OverflowError, ValueError):
        raise Unauthorized(_INVALID) from None
    for name in ("sub", "jti"):
        value = claims[name]
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_CLAIM:
            raise Unauthorized(_INVALID)
    _check_times(claims, now)
    _check_person(claims)
    return config, claims


_EMAIL = re.compile(get_args(Email)[1].pattern)  # the API's own rule for addresses
# A name is text to show: no control characters, no line or paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _check_person(claims: dict[str, Any]) -> None:
    """The `email` and `name` claims are input like any other: an address, a short name."""
    email = claims["email"]
    if not isinstance(email, str) or len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise Invalid.field("jwt.email", "is not an e-mail address")
    name = claims.get("name")
    if name is None:
        return
    if not isinstance(name, str) or not name.strip() or len(name) > _MAX_NAME:
        raise Invalid.field("jwt.name", f"give a name of 1 to {_MAX_NAME} characters")
    if _CONTROL.search(name):
        raise Invalid.field("jwt.name", "must not contain control characters or line breaks")


def _spend_jti(tenant_id: str, issuer: str, jti: str, now: datetime) -> None:
    item = Token(
        Token.named_digest("sso-jti", tenant_id, issuer, jti),
        kind="sso_jti",
        tenant_id=tenant_id,
        created_at=now,
        expires_at=now + MAX_LIFETIME + timedelta(seconds=LEEWAY_SECONDS) + MAX_IAT_SKEW,
    )
    try:
        item.save(condition=Token.digest.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise Unauthorized("This sign-in token was used already.") from None
        raise


def _user(config: SsoIssuer, portal_id: str, claims: dict[str, Any], now: datetime) -> PortalUser:
    """The user the issuer knows as `sub` in this customer's portal, created on the first
    login."""
    tenant_id, subject = config.tenant_id, str(claims["sub"])
    key = DirectoryEntry.sso_key(tenant_id, config.customer_id, config.issuer, subject)
    found, may_replace = _known(tenant_id, key, portal_id)
    if found is not None:
        return found
    user_id = new_id("usr")
    user = PortalUser(
        tenant_id,
        PortalUser.key_for(config.customer_id, user_id),
        user_id=user_id,
        customer_id=config.customer_id,
        portal_id=portal_id,
        email=str(claims["email"]).lower(),
        name=str(claims.get("name") or claims["email"]).strip(),
        role="portal_user",
        session_epoch=0,
        sso_issuer=config.issuer,
        sso_subject=subject,
        created_at=now,
    )
    try:
        with Transaction() as tx:
            tx.save(user, condition=PortalUser.user_key.does_not_exist())
            entry = DirectoryEntry(key, tenant_id=tenant_id, user_key=user.user_key)
            tx.save(entry, condition=may_replace, label="identity")
            events.record(
                tx,
                Actor(tenant_id, f"sso:{config.issuer}"),
                "portal.user_provisioned",
                user_id,
                object_type="portal_user",
                customer_id=config.customer_id,
                data={"portal_id": portal_id, "issuer": config.issuer},
                now=now,
            )
    except ConditionsFailed:
        # The same person's first two logins raced: the other one created the account.
        raced, _ = _known(tenant_id, key, portal_id)
        if raced is None:
            raise Conflict("The account is being created right now; try again.") from None
        return raced
    return user


def _known(tenant_id: str, key: str, portal_id: str) -> tuple[PortalUser | None, Condition]:
    """The account the directory entry names, if it belongs to the portal as it is now;
    else the condition under which a new account may take the entry over (none there yet,
    or still the one naming an account that is gone or of a deleted portal)."""
    try:
        entry = DirectoryEntry.get(key, consistent_read=True)
    except DoesNotExist:
        return None, DirectoryEntry.key.does_not_exist()
    try:
        user = PortalUser.get(tenant_id, entry.user_key or "", consistent_read=True)
    except DoesNotExist:
        user = None
    if user is not None and user.portal_id == portal_id:
        return user, DirectoryEntry.key.does_not_exist()
    return None, DirectoryEntry.user_key == (entry.user_key or "")


def allowed_return(tenant: Tenant, return_to: str | None, fallback: str) -> str:
    """`return_to` if it is a path here or on an allowed origin; otherwise the fallback."""
    if not return_to or not _URL_SAFE.fullmatch(return_to):
        return fallback  # browsers drop tabs and newlines: /\t/evil.example is //evil.example
    if return_to.startswith("/") and not return_to.startswith("//"):
        return return_to  # a path on this host, as the browser sees it
    parts = urlsplit(return_to)
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin in (tenant.allowed_origins or []) and not parts.username and not parts.password:
        return return_to
    return fallback


def login(
    caller: Caller, slug: str, token: str | None, return_to: str | None, *, clock: Clock = utcnow
) -> Landing:
    """Verify the partner's token and open a portal session for its user."""
    now = clock()
    tenant_id = tenant_id_for_slug(slug)
    if tenant_id is None or not token:
        raise Unauthorized(_INVALID)
    config, claims = _claims(token, tenant_id, now)
    found = portals.find(config)
    if found is None:
        raise Unauthorized("This portal no longer exists.")
    _spend_jti(tenant_id, config.issuer, str(claims["jti"]), now)
    user = _user(config, found.portal.portal_id, claims, now)
    grant = sessions.grant_for(user, found.portal.portal_id, found.apps, config)
    pair = sessions.open_session(grant, method="sso", clock=clock)
    tenant = Tenant.get(tenant_id)
    target = allowed_return(tenant, return_to, portals.page_url(slug, found.portal.portal_id))
    fragment = f"session={pair.access_token}&refresh={pair.refresh_token}"
    return Landing(f"{target.split('#', 1)[0]}#{fragment}")


def forget_customer(ctx: TenantContext, customer_id: str) -> None:
    """Remove the issuers of a customer whose portal is gone (part of `portal.deleted`:
    no events of their own)."""
    mine = SsoIssuer.customer_id == customer_id
    for item in SsoIssuer.query(ctx.tenant_id, filter_condition=mine):
        item.delete()
