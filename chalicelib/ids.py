"""Opaque, time-ordered identifiers and secrets.

Ids are a type prefix plus 26 Crockford base32 characters: 48 bits of milliseconds then
80 random bits, so a tenant's items list in creation order. Secrets are 256 bits from
`secrets` and are stored only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """A new time-ordered id such as `cus_01JD8X...`."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{_base32(millis, 10)}{_base32(secrets.randbits(80), 16)}"


def new_secret(prefix: str) -> str:
    """A new 256-bit secret with a recognisable prefix (`pwk_...`)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()
