"""API keys: 256-bit secrets shown once, stored as digests, scoped and revocable.

Their events (`api_key.created`, `api_key.revoked`, `tracking.session_started`,
`tracking.session_revoked`) name the key by its id, never its secret or digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Forbidden, NotFound
from chalicelib.ids import new_id
from chalicelib.models import ApiKey, Token
from chalicelib.schemas import tenants as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.events import Acting
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.tenancy import Actor, TenantContext

ALL_SCOPES = ("admin", "read", "write")
# The object a `tracking.session_*` event is about (an `api_key.*` event's is the default).
TRACKING_SESSION_OBJECT = "tracking_session"


def _out(item: ApiKey) -> schemas.ApiKey:
    return schemas.ApiKey(
        id=item.key_id,
        name=item.name,
        scopes=sorted(cast("set[schemas.Scope]", item.scopes)),
        created_at=rfc3339(item.created_at),
        revoked_at=rfc3339(item.revoked_at) if item.revoked_at else None,
    )


def new_key_items(
    by: Acting, name: str, scopes: list[str], now: datetime
) -> tuple[ApiKey, Token, str]:
    """The two items of a new key (listing entry and digest) and its secret, unsaved."""
    secret = credentials.mint(credentials.API_KEY_PREFIX)
    key_digest = credentials.digest_of(secret)
    key = ApiKey(
        by.tenant_id,
        new_id("key"),
        name=name,
        digest=key_digest,
        scopes=set(scopes),
        created_at=now,
        created_by=by.actor,
    )
    token = Token(
        key_digest,
        kind=credentials.API_KEY_KIND,
        tenant_id=by.tenant_id,
        subject_id=key.key_id,
        scopes=set(scopes),
        created_at=now,
    )
    return key, token, secret


def create(
    ctx: TenantContext, data: schemas.ApiKeyCreate, *, clock: Clock = utcnow
) -> schemas.ApiKeyCreated:
    """Make a key; its secret appears in this answer and never again."""
    return _issue(ctx, data.name, sorted(set(data.scopes)), clock())


def issue(
    by: Actor, name: str, scopes: list[str], *, clock: Clock = utcnow
) -> schemas.ApiKeyCreated:
    """Store a new key of a tenant for an actor without a request (the operator, a test)
    and return it once."""
    return _issue(by, name, scopes, clock())


def _issue(by: Acting, name: str, scopes: list[str], now: datetime) -> schemas.ApiKeyCreated:
    key, token, secret = new_key_items(by, name, scopes, now)
    with Transaction() as tx:
        tx.save(key, condition=ApiKey.key_id.does_not_exist())
        tx.save(token, condition=Token.digest.does_not_exist())
        events.record(
            tx, by, "api_key.created", key.key_id, data={"name": name, "scopes": scopes}, now=now
        )
    return schemas.ApiKeyCreated(**msgspec.structs.asdict(_out(key)), key=secret)


def list_keys(ctx: TenantContext, page: PageRequest) -> Page[schemas.ApiKey]:
    """The tenant's keys, revoked ones included, oldest first."""
    keys = ApiKey.key_id.startswith(ApiKey.KEY_PREFIX)
    items, cursor = fetch_page(
        ctx, "api_keys", page, lambda **kw: ApiKey.query(ctx.tenant_id, keys, **kw)
    )
    return page_of(schemas.ApiKey)(items=[_out(i) for i in items], next_cursor=cursor)


def get(ctx: TenantContext, key_id: str) -> schemas.ApiKey:
    """One key's listing entry."""
    return _out(_load(ctx, key_id))


def _load(ctx: TenantContext, key_id: str, prefix: str = ApiKey.KEY_PREFIX) -> ApiKey:
    try:
        key = ApiKey.get(ctx.tenant_id, key_id, consistent_read=True)
    except DoesNotExist:
        key = None
    if key is None or not key_id.startswith(prefix):
        raise NotFound(f"No such key {key_id}.")
    return key


def revoke(ctx: TenantContext, key_id: str, *, clock: Clock = utcnow) -> schemas.ApiKey:
    """Revoke a key at once: its digest is deleted, so the next request with it is 401; the
    tracking sessions and previews it made end with it."""
    return _out(_revoke(ctx, _load(ctx, key_id), clock(), "api_key.revoked"))


def _revoke(ctx: TenantContext, key: ApiKey, now: datetime, type_: str) -> ApiKey:
    """Revoke a key (or a session derived from one) with its event. Revoking what is revoked
    already changes nothing and still answers, and records, as a revocation."""
    object_type = None if type_.startswith("api_key.") else TRACKING_SESSION_OBJECT
    if key.revoked_at is None:
        try:
            with Transaction() as tx:
                tx.update(
                    key,
                    actions=[ApiKey.revoked_at.set(now)],
                    condition=ApiKey.revoked_at.does_not_exist(),
                )
                tx.delete(Token(key.digest))
                events.record(tx, ctx, type_, key.key_id, object_type=object_type, now=now)
        except ConditionsFailed:  # revoked by a concurrent request: same outcome
            key = ApiKey.get(ctx.tenant_id, key.key_id, consistent_read=True)
        else:
            key.revoked_at = now
            return key
    with Transaction() as tx:
        events.record(tx, ctx, type_, key.key_id, object_type=object_type, now=now)
    return key


# -- tracking sessions -----------------------------------------------------------------------


def _parent_key_id(ctx: TenantContext) -> str:
    """The API key a derived key lives from (the caller's own key)."""
    kind, _, key_id = ctx.actor.partition(":")
    if kind != "api_key" or not key_id.startswith(ApiKey.KEY_PREFIX):
        raise Forbidden("Only an API key can start a tracking session.")
    return key_id


def start_tracking_session(
    ctx: TenantContext, scopes: set[str], expires: datetime, *, clock: Clock = utcnow
) -> tuple[str, str]:
    """A short-lived key derived from the caller's key: listed, revocable, and ended with
    that key. Its id and secret."""
    parent = _parent_key_id(ctx)
    now = clock()
    secret = credentials.mint(credentials.API_KEY_PREFIX)
    key_digest = credentials.digest_of(secret)
    entry = ApiKey(
        ctx.tenant_id,
        new_id(ApiKey.TRACKING_PREFIX.rstrip("_")),
        name="tracking page",
        digest=key_digest,
        scopes=scopes,
        created_at=now,
        created_by=ctx.actor,
        parent_key_id=parent,
        expires_at=expires,
    )
    token = Token(
        key_digest,
        kind=credentials.API_KEY_KIND,
        tenant_id=ctx.tenant_id,
        subject_id=entry.key_id,
        source_id=parent,
        scopes=scopes,
        created_at=now,
        expires_at=expires,
    )
    with Transaction() as tx:
        tx.save(entry, condition=ApiKey.key_id.does_not_exist())
        tx.save(token, condition=Token.digest.does_not_exist())
        events.record(
            tx,
            ctx,
            "tracking.session_started",
            entry.key_id,
            object_type=TRACKING_SESSION_OBJECT,
            data={"parent_key_id": parent, "expires_at": rfc3339(expires)},
            now=now,
        )
    return entry.key_id, secret


def _session_out(
    item: ApiKey, now: datetime, parent_live: bool = True
) -> schemas.TrackingSessionEntry:
    expires = item.expires_at or item.created_at
    return schemas.TrackingSessionEntry(
        id=item.key_id,
        created_by=item.created_by,
        created_at=rfc3339(item.created_at),
        expires_at=rfc3339(expires),
        revoked_at=rfc3339(item.revoked_at) if item.revoked_at else None,
        active=parent_live and item.revoked_at is None and expires > now,
    )


def _live_parents(ctx: TenantContext, items: list[ApiKey]) -> set[str]:
    """Which of the sessions' parent keys still work (one batch read)."""
    ids = sorted({i.parent_key_id for i in items if i.parent_key_id})
    found = batch_get([(ApiKey, ctx.tenant_id, key_id) for key_id in ids])
    parents = [p for p in found if isinstance(p, ApiKey)]
    return {p.key_id for p in parents if p.revoked_at is None}


def list_tracking_sessions(
    ctx: TenantContext, page: PageRequest, *, clock: Clock = utcnow
) -> Page[schemas.TrackingSessionEntry]:
    """The tenant's tracking page sessions, oldest first, ended ones included."""
    sessions = ApiKey.key_id.startswith(ApiKey.TRACKING_PREFIX)
    items, cursor = fetch_page(
        ctx, "tracking_sessions", page, lambda **kw: ApiKey.query(ctx.tenant_id, sessions, **kw)
    )
    now, live = clock(), _live_parents(ctx, items)
    return page_of(schemas.TrackingSessionEntry)(
        items=[_session_out(i, now, i.parent_key_id in live) for i in items], next_cursor=cursor
    )


def revoke_tracking_session(
    ctx: TenantContext, session_id: str, *, clock: Clock = utcnow
) -> schemas.TrackingSessionEntry:
    """End a tracking session at once."""
    now = clock()
    item = _revoke(
        ctx, _load(ctx, session_id, ApiKey.TRACKING_PREFIX), now, "tracking.session_revoked"
    )
    return _session_out(item, now)
