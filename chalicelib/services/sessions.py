"""Portal sessions: short-lived signed access tokens, rotating single-use refresh tokens.

An access token is a JWT (HS256, a key derived from the deployment's secret, `typ`
`portway-access+jwt`) that carries the user, customer, portal, role and apps, so a portal
request needs no read to know who asks. A refresh token is a 256-bit secret stored as a
digest; each use spends it and issues the next one of the same family. Presenting a spent
one again means it was stolen or replayed: the whole family is revoked, so neither the thief
nor the user can refresh any more. Logging out revokes the family too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Unauthorized
from chalicelib.ids import digest, new_id, new_secret
from chalicelib.models import PortalUser, Token
from chalicelib.services.storage import ConditionsFailed, Transaction
from chalicelib.settings import get_settings

ACCESS_TTL = timedelta(minutes=10)
PREVIEW_TTL = timedelta(minutes=30)
REFRESH_TTL = timedelta(days=30)
ACCESS_TYPE = "portway-access+jwt"
ISSUER = "portway"
LEEWAY_SECONDS = 30
REFRESH_PREFIX = "pwr"
REFRESH_KIND = "refresh"
FAMILY_KIND = "session"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a portal session is for: who, in which portal, with which apps."""

    tenant_id: str
    customer_id: str
    portal_id: str
    user_id: str
    user_key: str
    role: str
    apps: tuple[str, ...]
    read_only: bool = False
    on_behalf_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pair:
    """An access token and (except for previews) a refresh token."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    session_id: str


def _family_digest(session_id: str) -> str:
    return Token.named_digest(FAMILY_KIND, session_id)


def access_token(grant: Grant, session_id: str, now: datetime, ttl: timedelta) -> str:
    """A signed access token for the grant."""
    import jwt  # on first use: the cold start of every other request skips it

    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": f"portal:{grant.tenant_id}",
        "sub": grant.user_id,
        "cid": grant.customer_id,
        "pid": grant.portal_id,
        "ukey": grant.user_key,
        "role": grant.role,
        "apps": list(grant.apps),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": new_id("jti"),
    }
    if grant.read_only:
        claims["ro"] = True
        claims["act"] = {"sub": grant.on_behalf_of}  # RFC 8693: who acts as the user
    headers = {"typ": ACCESS_TYPE}
    return jwt.encode(claims, get_settings().session_key, algorithm="HS256", headers=headers)


def _refresh_items(grant: Grant, session_id: str, now: datetime) -> tuple[str, Token]:
    secret = new_secret(REFRESH_PREFIX)
    item = Token(
        digest(secret),
        kind=REFRESH_KIND,
        tenant_id=grant.tenant_id,
        subject_id=grant.user_key,
        customer_id=grant.customer_id,
        family_id=session_id,
        role=grant.role,
        state="live",
        created_at=now,
        expires_at=now + REFRESH_TTL,
    )
    return secret, item


def start(tx: Transaction, grant: Grant, now: datetime) -> Pair:
    """Add a new session family and its first refresh token to a transaction."""
    session_id = new_id("ses")
    family = Token(
        _family_digest(session_id),
        kind=FAMILY_KIND,
        tenant_id=grant.tenant_id,
        subject_id=grant.user_key,
        customer_id=grant.customer_id,
        state="live",
        created_at=now,
        expires_at=now + REFRESH_TTL,
    )
    secret, refresh = _refresh_items(grant, session_id, now)
    tx.save(family, condition=Token.digest.does_not_exist())
    tx.save(refresh, condition=Token.digest.does_not_exist())
    token = access_token(grant, session_id, now, ACCESS_TTL)
    return Pair(token, secret, int(ACCESS_TTL.total_seconds()), session_id)


def open_session(grant: Grant, *, clock: Clock = utcnow) -> Pair:
    """A new session for a user who just proved who they are."""
    with Transaction() as tx:
        pair = start(tx, grant, clock())
    return pair


def preview(grant: Grant, *, clock: Clock = utcnow) -> Pair:
    """A read-only access token without a refresh token (a provider previewing)."""
    now = clock()
    token = access_token(grant, new_id("ses"), now, PREVIEW_TTL)
    return Pair(token, None, int(PREVIEW_TTL.total_seconds()), "")


_INVALID_REFRESH = "The refresh token is not valid; sign in again."


def refresh(secret: str, portal_of: Any, *, clock: Clock = utcnow) -> Pair:
    """Spend a refresh token and issue the next pair. A spent token presented again
    revokes its family. `portal_of(tenant_id, customer_id)` gives the portal's id and apps
    as they are now (a template change reaches the next access token)."""
    now = clock()
    if not secret.startswith(REFRESH_PREFIX + "_") or len(secret) > 200:
        raise Unauthorized(_INVALID_REFRESH)
    try:
        old = Token.get(digest(secret), consistent_read=True)
    except DoesNotExist:
        raise Unauthorized(_INVALID_REFRESH) from None
    if old.kind != REFRESH_KIND or not old.is_live(now) or old.family_id is None:
        raise Unauthorized(_INVALID_REFRESH)
    if old.state != "live":
        revoke_family(old.family_id)  # reuse: someone holds a copy of a spent token
        raise Unauthorized("The refresh token was used before; every session of it is closed.")
    user = _user(old.tenant_id, old.subject_id or "")
    portal_id, apps = portal_of(old.tenant_id, user.customer_id)
    grant = Grant(
        tenant_id=old.tenant_id,
        customer_id=user.customer_id,
        portal_id=portal_id,
        user_id=user.user_id,
        user_key=user.user_key,
        role=user.role,
        apps=tuple(apps),
    )
    new_secret_, new_item = _refresh_items(grant, old.family_id, now)
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                old, [Token.state.set("spent")], Token.state == "live", label="old"
            )
            tx.check(
                Token,
                _family_digest(old.family_id),
                None,
                Token.state == "live",
                label="family",
            )
            tx.check(
                PortalUser,
                old.tenant_id,
                user.user_key,
                PortalUser.user_id.exists(),
                label="user",
            )
            tx.save(new_item, condition=Token.digest.does_not_exist())
    except ConditionsFailed as exc:
        if "old" in exc.labels:  # spent by a racing request: the same as a reuse
            revoke_family(old.family_id)
        raise Unauthorized(_INVALID_REFRESH) from None
    token = access_token(grant, old.family_id, now, ACCESS_TTL)
    return Pair(token, new_secret_, int(ACCESS_TTL.total_seconds()), old.family_id)


def _user(tenant_id: str, user_key: str) -> PortalUser:
    try:
        return PortalUser.get(tenant_id, user_key, consistent_read=True)
    except DoesNotExist:
        raise Unauthorized(_INVALID_REFRESH) from None


def revoke_family(session_id: str) -> None:
    """Close a session: none of its refresh tokens work any more."""
    Token(_family_digest(session_id)).update(
        actions=[Token.state.set("revoked")], condition=Token.digest.exists()
    )


_REQUIRED = ["exp", "iat", "sub", "aud", "iss", "sid", "cid", "pid", "ukey", "role"]


def verify_access(token: str) -> dict[str, Any]:
    """The claims of a valid access token; 401 for anything else."""
    import jwt

    invalid = Unauthorized(
        "The access token is not valid.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != ACCESS_TYPE or header.get("alg") != "HS256":
            raise invalid
        claims: dict[str, Any] = jwt.decode(
            token,
            get_settings().session_key,
            algorithms=["HS256"],  # fixed here, never taken from the token
            issuer=ISSUER,
            options={"require": _REQUIRED, "verify_aud": False},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError:
        raise invalid from None
    aud = claims.get("aud")
    if not isinstance(aud, str) or not aud.startswith("portal:"):
        raise invalid
    return claims
