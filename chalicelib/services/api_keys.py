"""API keys: 256-bit secrets shown once, stored as digests, scoped and revocable."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import NotFound
from chalicelib.ids import digest, new_id, new_secret
from chalicelib.models import ApiKey, Token
from chalicelib.schemas import tenants as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.pagination import PageRequest, fetch_page
from chalicelib.services.storage import ConditionsFailed, Transaction
from chalicelib.tenancy import API_KEY_KIND, API_KEY_PREFIX, TenantContext

ALL_SCOPES = ("admin", "read", "write")


def _out(item: ApiKey) -> schemas.ApiKey:
    return schemas.ApiKey(
        id=item.key_id,
        name=item.name,
        scopes=sorted(cast("set[schemas.Scope]", item.scopes)),
        created_at=rfc3339(item.created_at),
        revoked_at=rfc3339(item.revoked_at) if item.revoked_at else None,
    )


def new_key_items(
    tenant_id: str, name: str, scopes: list[str], created_by: str, now: datetime
) -> tuple[ApiKey, Token, str]:
    """The two items of a new key (listing entry and digest) and its secret, unsaved."""
    secret = new_secret(API_KEY_PREFIX)
    key_digest = digest(secret)
    key = ApiKey(
        tenant_id,
        new_id("key"),
        name=name,
        digest=key_digest,
        scopes=set(scopes),
        created_at=now,
        created_by=created_by,
    )
    token = Token(
        key_digest,
        kind=API_KEY_KIND,
        tenant_id=tenant_id,
        subject_id=key.key_id,
        scopes=set(scopes),
        created_at=now,
    )
    return key, token, secret


def create(
    ctx: TenantContext, data: schemas.ApiKeyCreate, *, clock: Clock = utcnow
) -> schemas.ApiKeyCreated:
    """Make a key; its secret appears in this answer and never again."""
    ctx.require("admin")
    return issue(ctx.tenant_id, data.name, sorted(set(data.scopes)), ctx.actor, clock=clock)


def issue(
    tenant_id: str, name: str, scopes: list[str], created_by: str, *, clock: Clock = utcnow
) -> schemas.ApiKeyCreated:
    """Store a new key of a tenant (for the API and the operator) and return it once."""
    key, token, secret = new_key_items(tenant_id, name, scopes, created_by, clock())
    with Transaction() as tx:
        tx.save(key, condition=ApiKey.key_id.does_not_exist())
        tx.save(token, condition=Token.digest.does_not_exist())
    return schemas.ApiKeyCreated(**msgspec.structs.asdict(_out(key)), key=secret)


def list_keys(ctx: TenantContext, page: PageRequest) -> Page[schemas.ApiKey]:
    """The tenant's keys, revoked ones included, oldest first."""
    ctx.require("admin")
    items, cursor = fetch_page(
        ctx, "api_keys", page, lambda **kw: ApiKey.query(ctx.tenant_id, **kw)
    )
    return page_of(schemas.ApiKey)(items=[_out(i) for i in items], next_cursor=cursor)


def get(ctx: TenantContext, key_id: str) -> schemas.ApiKey:
    """One key's listing entry."""
    ctx.require("admin")
    return _out(_load(ctx, key_id))


def _load(ctx: TenantContext, key_id: str) -> ApiKey:
    try:
        return ApiKey.get(ctx.tenant_id, key_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No API key {key_id}.") from None


def revoke(ctx: TenantContext, key_id: str, *, clock: Clock = utcnow) -> schemas.ApiKey:
    """Revoke a key at once: its digest is deleted, so the next request with it is 401."""
    ctx.require("admin")
    key = _load(ctx, key_id)
    if key.revoked_at is not None:
        return _out(key)
    now = clock()
    try:
        with Transaction() as tx:
            tx.update(
                key,
                actions=[ApiKey.revoked_at.set(now)],
                condition=ApiKey.revoked_at.does_not_exist(),
            )
            tx.delete(Token(key.digest))
    except ConditionsFailed:
        return _out(_load(ctx, key_id))  # revoked by a concurrent request: same outcome
    key.revoked_at = now
    return _out(key)
