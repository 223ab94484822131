"""Portal sessions: short-lived signed access tokens, rotating single-use refresh tokens, and
the check that a session still has what it was derived from.

An access token is a JWT (HS256, a key derived from the deployment's secret, `typ`
`portway-access+jwt`) that carries the user, customer, portal, role and apps. A refresh
token is a 256-bit secret stored as a digest; each use spends it and issues the next one of
the same family (the session). Presenting a spent one again means it was stolen or replayed:
the whole family is revoked. Clients that refresh from several tabs at once present one
token a few times within a moment: inside a short grace window that is a race, and each of
them gets a pair of the same family.

A signature proves a token was issued, not that what it came from still exists. Every portal
request therefore reads the session's sources once (one BatchGetItem, folded into the
request's own batch read where it has one): the session family (sign-out, reuse), the
account (removed, reset, moved to another portal), the portal (deleted, given again), the
SSO registration of the user's issuer, or, for a preview, the API key that started it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.credentials import ISSUER
from chalicelib.errors import Unauthorized
from chalicelib.ids import new_id
from chalicelib.models import ApiKey, Portal, PortalUser, SsoIssuer, TeamMember, Token
from chalicelib.services.platform import events
from chalicelib.services.platform import session_families as families
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.tenancy import MEMBER_ACTOR, Actor, PortalContext

ACCESS_TTL = timedelta(minutes=10)
PREVIEW_TTL = timedelta(minutes=30)
API_KEY_ACTOR = "api_key:"

ItemKey = tuple[type[Model], str, str | None]


class Grant(msgspec.Struct, frozen=True):
    """What a portal session is for: who, in which portal, with which apps, and what it
    lives from (the account's session epoch, its SSO registration, a previewing key)."""

    tenant_id: str
    customer_id: str
    portal_id: str
    user_id: str
    user_key: str
    role: str
    apps: tuple[str, ...]
    epoch: int = 0
    sso_issuer: str | None = None
    sso_registration: str | None = None
    read_only: bool = False
    on_behalf_of: str | None = None


class Pair(msgspec.Struct, frozen=True):
    """An access token and (except for previews) a refresh token."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    session_id: str


def _family_digest(session_id: str) -> str:
    return families.family_digest(families.PORTAL, session_id)


def access_token(grant: Grant, session_id: str, now: datetime, ttl: timedelta) -> str:
    """A signed access token for the grant."""
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
        "sep": grant.epoch,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": new_id("jti"),
    }
    if grant.sso_issuer:
        claims["siss"] = grant.sso_issuer
        claims["sreg"] = grant.sso_registration or ""
    if grant.read_only:
        claims["ro"] = True
        claims["act"] = {"sub": grant.on_behalf_of}  # RFC 8693: who acts as the user
    return credentials.sign_access(claims)


def _lineage(grant: Grant) -> dict[str, Any]:
    """What the family and each refresh token remember of the grant's sources."""
    return {
        "role": grant.role,
        "tenant_id": grant.tenant_id,
        "subject_id": grant.user_key,
        "customer_id": grant.customer_id,
        "portal_id": grant.portal_id,
        "epoch": grant.epoch,
        "issuer": grant.sso_issuer,
        "source_id": grant.sso_registration,
    }


def start(tx: Transaction, grant: Grant, now: datetime) -> Pair:
    """Add a new session family and its first refresh token to a transaction."""
    session_id, secret = families.start(tx, families.PORTAL, _lineage(grant), now)
    token = access_token(grant, session_id, now, ACCESS_TTL)
    return Pair(token, secret, int(ACCESS_TTL.total_seconds()), session_id)


def _by(grant: Grant) -> Actor:
    """The session's person, as events name them."""
    return Actor(grant.tenant_id, f"portal_user:{grant.user_id}")


def open_session(
    grant: Grant,
    *,
    method: str,
    clock: Clock = utcnow,
    also: Callable[[Transaction], None] | None = None,
) -> Pair:
    """A new session for a user who just proved who they are (`method`: password, sso),
    with its event, `portal.user_signed_in`; `also` adds more to its transaction, such as
    forgetting the failures of a sign-in."""
    now = clock()
    with Transaction() as tx:
        pair = start(tx, grant, now)
        if also is not None:
            also(tx)
        data: dict[str, Any] = {"portal_id": grant.portal_id, "method": method}
        if grant.sso_issuer:
            data["issuer"] = grant.sso_issuer
        events.record(
            tx,
            _by(grant),
            "portal.user_signed_in",
            grant.user_id,
            object_type="portal_user",
            customer_id=grant.customer_id,
            data=data,
            now=now,
        )
    return pair


def preview(grant: Grant, *, clock: Clock = utcnow) -> Pair:
    """A read-only access token without a refresh token (a provider previewing)."""
    now = clock()
    token = access_token(grant, new_id("ses"), now, PREVIEW_TTL)
    return Pair(token, None, int(PREVIEW_TTL.total_seconds()), "")


def grant_for(
    user: PortalUser, portal_id: str, apps: Sequence[str], sso: SsoIssuer | None
) -> Grant:
    """The grant of a session of this account, in its portal as it is now."""
    return Grant(
        tenant_id=user.tenant_id,
        customer_id=user.customer_id,
        portal_id=portal_id,
        user_id=user.user_id,
        user_key=user.user_key,
        role=user.role,
        apps=tuple(apps),
        epoch=int(user.session_epoch or 0),
        sso_issuer=sso.issuer if sso else None,
        sso_registration=(sso.registration_id or "") if sso else None,
    )


# -- refreshing ------------------------------------------------------------------------------

_INVALID_REFRESH = families.INVALID_REFRESH
PortalOf = Callable[[PortalUser], tuple[str, list[str]]]


def refresh(secret: str, portal_of: PortalOf, *, clock: Clock = utcnow) -> Pair:
    """Spend a refresh token and issue the next pair. A spent token presented again revokes
    its family, unless it was spent a moment ago (the same client refreshing twice at once).
    `portal_of(user)` gives the account's portal's id and apps as they are now."""
    now = clock()
    old = families.live_refresh(
        credentials.redeem(secret, credentials.REFRESH_PREFIX, credentials.REFRESH_KIND), now
    )
    for _ in range(2):
        families.refuse_reuse(families.PORTAL, old, now)
        grant = _current_grant(old, portal_of)
        try:
            return _rotate(old, grant, now)
        except ConditionsFailed as exc:
            if "old" not in exc.labels:
                raise Unauthorized(_INVALID_REFRESH) from None
        # Spent by a racing request: look again.
        old = families.live_refresh(credentials.lookup(old.digest, credentials.REFRESH_KIND), now)
    raise Unauthorized(_INVALID_REFRESH)


def _current_grant(old: Token, portal_of: PortalOf) -> Grant:
    """The grant as the account and its portal are now; 401 when the session's sources
    changed (another portal, a reset, another SSO registration)."""
    try:
        user = PortalUser.get(old.tenant_id, old.subject_id or "", consistent_read=True)
    except DoesNotExist:
        raise Unauthorized(_INVALID_REFRESH) from None
    portal_id, apps = portal_of(user)
    if portal_id != old.portal_id or user.portal_id != old.portal_id:
        raise Unauthorized("This portal no longer exists.")
    if int(user.session_epoch or 0) != int(old.epoch or 0):
        raise Unauthorized(_INVALID_REFRESH)
    return Grant(
        tenant_id=old.tenant_id,
        customer_id=user.customer_id,
        portal_id=portal_id,
        user_id=user.user_id,
        user_key=user.user_key,
        role=user.role,
        apps=tuple(apps),
        epoch=int(user.session_epoch or 0),
        sso_issuer=old.issuer,
        sso_registration=old.source_id,
    )


def _rotate(old: Token, grant: Grant, now: datetime) -> Pair:
    """Spend `old` (or, inside the grace window, leave it spent) and store the next token,
    conditioned on every source of the session being as the grant says."""
    session_id = old.family_id or ""
    # A session lasts `families.REFRESH_TTL` from its sign-in: refreshing never extends it.
    new_secret_, new_item = families.refresh_item(
        families.PORTAL, session_id, _lineage(grant), now, old.expires_at or now
    )
    with Transaction() as tx:
        families.spend(tx, families.PORTAL, old, now)
        account = (PortalUser.portal_id == grant.portal_id) & (
            PortalUser.session_epoch == grant.epoch
        )
        tx.check(PortalUser, grant.tenant_id, grant.user_key, account, label="user")
        tx.check(Portal, grant.tenant_id, grant.customer_id, Portal.portal_id == grant.portal_id)
        if grant.sso_issuer:
            registered = (SsoIssuer.customer_id == grant.customer_id) & (
                SsoIssuer.registration_id == (grant.sso_registration or "")
            )
            tx.check(SsoIssuer, grant.tenant_id, grant.sso_issuer, registered, label="issuer")
        tx.save(new_item, condition=Token.digest.does_not_exist())
        events.record(
            tx,
            _by(grant),
            "portal.session_refreshed",
            grant.user_id,
            object_type="portal_user",
            customer_id=grant.customer_id,
            data={"portal_id": grant.portal_id},
            now=now,
        )
    token = access_token(grant, session_id, now, ACCESS_TTL)
    return Pair(token, new_secret_, int(ACCESS_TTL.total_seconds()), session_id)


def sign_out(ctx: PortalContext) -> None:
    """The caller closes their session, with its event (`portal.user_signed_out`). A
    session closed meanwhile (another sign-out, a replayed refresh token) is closed either
    way, and records nothing more."""
    with suppress(ConditionsFailed), Transaction() as tx:
        families.close(tx, families.PORTAL, ctx.session_id)
        events.record(
            tx,
            ctx,
            "portal.user_signed_out",
            ctx.user_id,
            object_type="portal_user",
            customer_id=ctx.customer_id,
            data={"portal_id": ctx.portal_id},
        )


def revoke_family(session_id: str) -> None:
    """Close a session: none of its refresh tokens work any more, nor its access tokens. (A
    replayed refresh token does this: a refusal, not a change someone makes, so no event.)"""
    families.revoke(families.PORTAL, session_id)


# -- access tokens ---------------------------------------------------------------------------


def source_keys(ctx: PortalContext) -> list[ItemKey]:
    """The items a portal session lives from, to be read before the request answers."""
    keys: list[ItemKey] = [(Portal, ctx.tenant_id, ctx.customer_id)]
    if ctx.read_only:
        behind = ctx.on_behalf_of or ""
        if behind.startswith(MEMBER_ACTOR):  # a team member previewing from the console
            keys.append((TeamMember, ctx.tenant_id, behind.removeprefix(MEMBER_ACTOR) or "-"))
        else:
            keys.append((ApiKey, ctx.tenant_id, behind.removeprefix(API_KEY_ACTOR) or "-"))
        return keys
    keys.append((Token, _family_digest(ctx.session_id), None))
    keys.append((PortalUser, ctx.tenant_id, ctx.user_key))
    if ctx.sso_issuer:
        keys.append((SsoIssuer, ctx.tenant_id, ctx.sso_issuer))
    return keys


_ENDED = "This session has ended; sign in again."


def confirm_sources(ctx: PortalContext, items: Sequence[Model | None], now: datetime) -> None:
    """Refuse (401) unless every source `source_keys` named is as the token says."""
    portal, *rest = items
    ok = isinstance(portal, Portal) and portal.portal_id == ctx.portal_id
    if ctx.read_only:
        key = rest[0]
        ok = ok and _live_key(ctx, key)
    else:
        family, user, *issuer = rest
        ok = ok and families.is_live(families.PORTAL, family, now)
        ok = ok and _live_account(ctx, user)
        if ctx.sso_issuer:
            ok = ok and _live_registration(ctx, issuer[0])
    if not ok:
        raise Unauthorized(_ENDED, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    ctx.sources.done = True


def _live_key(ctx: PortalContext, key: Model | None) -> bool:
    if isinstance(key, TeamMember):
        return key.status == "active" and ctx.on_behalf_of == f"{MEMBER_ACTOR}{key.member_id}"
    return (
        isinstance(key, ApiKey)
        and key.revoked_at is None
        and ctx.on_behalf_of == f"{API_KEY_ACTOR}{key.key_id}"
    )


def _live_account(ctx: PortalContext, user: Model | None) -> bool:
    return (
        isinstance(user, PortalUser)
        and user.portal_id == ctx.portal_id
        and int(user.session_epoch or 0) == ctx.epoch
        and user.role == ctx.role
    )


def _live_registration(ctx: PortalContext, issuer: Model | None) -> bool:
    return (
        isinstance(issuer, SsoIssuer)
        and issuer.customer_id == ctx.customer_id
        and (issuer.registration_id or "") == (ctx.sso_registration or "")
    )


def check_sources(ctx: PortalContext, *, clock: Clock = utcnow) -> None:
    """Read the session's sources (one BatchGetItem) and refuse if any is gone."""
    if not ctx.sources.done:
        confirm_sources(ctx, batch_get(source_keys(ctx)), clock())


def read_with_sources(
    ctx: PortalContext, keys: Sequence[ItemKey], *, clock: Clock = utcnow
) -> list[Model | None]:
    """Items the request needs, read in the same BatchGetItem as the session's sources (when
    they are not checked yet): the session check costs no call of its own."""
    if ctx.sources.done:
        return batch_get(keys)
    sources = source_keys(ctx)
    found = batch_get([*sources, *keys])
    confirm_sources(ctx, found[: len(sources)], clock())
    return found[len(sources) :]
