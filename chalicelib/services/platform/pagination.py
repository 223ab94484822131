"""Cursor pagination: one DynamoDB query per page, cursors signed and bound to a tenant.

A cursor is the key of the last item shown, with the list's name and the tenant, signed
with HMAC-SHA256. One that was altered, belongs to another list or another tenant is a
422, never a peek elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import msgspec
from pynamodb.indexes import Index

from chalicelib.errors import Invalid
from chalicelib.keyring import keyring, verifying_key
from chalicelib.models import PortwayModel
from chalicelib.tenancy import TenantContext

M = TypeVar("M", bound=PortwayModel)
RawKey = dict[str, dict[str, str]]


class PageRequest(msgspec.Struct, frozen=True):
    """What the caller asked for: how many, and after which cursor."""

    limit: int = 25
    cursor: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


PURPOSE = "pagination cursors"


def _sign(payload: str, key: bytes) -> str:
    mac = hmac.new(key, payload.encode(), "sha256")
    return _b64(mac.digest()[:16])


def encode_cursor(ctx: TenantContext, list_name: str, key: RawKey) -> str:
    """A signed cursor pointing after `key` in `list_name` of the caller's tenant: payload,
    the id of the key that signed it, signature."""
    body = json.dumps({"t": ctx.tenant_id, "l": list_name, "k": key}, separators=(",", ":"))
    payload = _b64(body.encode())
    ring = keyring()
    return f"{payload}.{ring.active}.{_sign(payload, ring.derive(PURPOSE))}"


def decode_cursor(ctx: TenantContext, list_name: str, cursor: str | None) -> RawKey | None:
    """The key a cursor points after; 422 for anything not issued for this list and tenant
    (or signed by a key that has since been retired)."""
    if cursor is None:
        return None
    invalid = Invalid.field("cursor", "not a cursor from this list; start again without it")
    payload, key_id, signature = [*cursor.split("."), "", ""][:3]
    ascii_parts = cursor.isascii() and cursor.count(".") == 2
    signing_key = verifying_key(PURPOSE, key_id) if ascii_parts else None
    if signing_key is None or not hmac.compare_digest(_sign(payload, signing_key), signature):
        raise invalid
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, binascii.Error):
        raise invalid from None
    if data.get("t") != ctx.tenant_id or data.get("l") != list_name:
        raise invalid
    key: RawKey = data["k"]
    return key


def raw_key(item: PortwayModel, index: type[Index[Any]] | None = None) -> RawKey:
    """The DynamoDB key of an item (with the index's keys), as ExclusiveStartKey wants it."""
    serialized = item.serialize()
    return {name: serialized[name] for name in item.key_names(index)}


def fetch_page(
    ctx: TenantContext,
    list_name: str,
    page: PageRequest,
    query: Callable[..., Iterable[M]],
    index: type[Index[Any]] | None = None,
) -> tuple[list[M], str | None]:
    """Run `query` once for a page (asking one extra item to know whether more follow)."""
    start = decode_cursor(ctx, list_name, page.cursor)
    wanted = page.limit + 1
    items = list(query(limit=wanted, page_size=wanted, last_evaluated_key=start))
    if len(items) <= page.limit:
        return items, None
    items = items[: page.limit]
    return items, encode_cursor(ctx, list_name, raw_key(items[-1], index))
