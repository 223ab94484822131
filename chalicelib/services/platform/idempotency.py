"""Idempotency keys for creating POSTs: the same key and body within 24 h answer the
first response again and create nothing twice.

A record is claimed with a conditional put before the work starts (so two racing
requests cannot both do it), completed with the response, and released when the work
failed with a domain error (nothing was written) so the caller can retry. After a storage
failure the claim stays until it expires: the write may have happened, and a duplicate is
worse than a 409. Records are keyed by a digest of tenant, API key and idempotency key:
one caller never sees another's response.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.models import Token
from chalicelib.services.platform.storage import condition_failed
from chalicelib.tenancy import TenantContext

KIND = "idempotency"
RETENTION = timedelta(hours=24)
PENDING, DONE = "pending", "done"


class StoredResponse(msgspec.Struct, frozen=True):
    """The first response to a request, replayed for its repeats."""

    status: int
    body: Any


def _digest(ctx: TenantContext, key: str) -> str:
    return Token.idempotency_digest(ctx.tenant_id, ctx.actor, key)


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests 'the same': route and canonical body."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(
    ctx: TenantContext, key: str, request_fingerprint: str, *, clock: Clock = utcnow
) -> StoredResponse | None:
    """Claim `key` for this request, or return the response it already has."""
    now = clock()
    record = Token(
        _digest(ctx, key),
        kind=KIND,
        tenant_id=ctx.tenant_id,
        state=PENDING,
        fingerprint=request_fingerprint,
        created_at=now,
        expires_at=now + RETENTION,
    )
    claimable = Token.digest.does_not_exist() | (Token.expires_at < now)
    try:
        record.save(condition=claimable)
        return None
    except PutError as exc:
        if not condition_failed(exc):
            raise
    return _existing(ctx, key, request_fingerprint)


def _existing(ctx: TenantContext, key: str, request_fingerprint: str) -> StoredResponse:
    try:
        record = Token.get(_digest(ctx, key), consistent_read=True)
    except DoesNotExist:
        raise Conflict("The request with this Idempotency-Key just finished; retry.") from None
    if record.fingerprint != request_fingerprint:
        raise Invalid.field(
            "Idempotency-Key", "was used for a different request; use a new key for new work"
        )
    if record.state != DONE:
        raise Conflict(
            "A request with this Idempotency-Key is in progress, or failed after its work may "
            "have been done: check with a GET, or use a new key."
        )
    return StoredResponse(
        int(record.response_status or 200), json.loads(record.response_body or "null")
    )


def complete(ctx: TenantContext, key: str, status: int, body: Any) -> None:
    """Store the response the key answers from now on."""
    Token(_digest(ctx, key)).update(
        actions=[
            Token.state.set(DONE),
            Token.response_status.set(status),
            Token.response_body.set(json.dumps(body, separators=(",", ":"))),
        ]
    )


def release(ctx: TenantContext, key: str) -> None:
    """Give the key back after the work failed, so a corrected retry may use it."""
    Token(_digest(ctx, key)).delete(condition=Token.state == PENDING)
