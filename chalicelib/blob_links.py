"""Links that move a file straight between a client and the blob store, past the function's
6 MB request and response limit: S3's presigned URLs in AWS; on one machine and in tests,
the app's own `/v1/blob-links?token=...`, a token signed with the key ring that names one
key, one method, the exact type (and size, for an upload) and a time it stops working.
"""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime

import msgspec

from chalicelib.keyring import keyring, verifying_key

PURPOSE = "blob links"


class LinkGrant(msgspec.Struct, frozen=True):
    """What one link allows."""

    key: str
    method: str  # GET | PUT
    content_type: str
    expires: int  # seconds since the epoch
    size: int = 0  # a PUT's exact size
    file_name: str = ""  # a GET's download name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(grant: LinkGrant) -> str:
    """The token of a grant: payload, key id, signature."""
    ring = keyring()
    payload = _b64(msgspec.json.encode(grant))
    mac = hmac.new(ring.derive(PURPOSE), payload.encode(), "sha256").digest()
    return f"{payload}.{ring.active}.{_b64(mac)}"


def verify(token: str, method: str, now: datetime | None = None) -> LinkGrant | None:
    """The grant of a valid, unexpired token for `method`, else None."""
    payload, key_id, signature = [*token.split("."), "", ""][:3]
    if not token.isascii() or token.count(".") != 2:
        return None
    key = verifying_key(PURPOSE, key_id)
    if key is None:
        return None
    expected = _b64(hmac.new(key, payload.encode(), "sha256").digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        grant = msgspec.json.decode(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), type=LinkGrant
        )
    except (ValueError, msgspec.DecodeError):
        return None
    moment = (now or datetime.now(UTC)).timestamp()
    if grant.method != method or grant.expires < moment:
        return None
    return grant


def disposition(file_name: str) -> str:
    """`Content-Disposition` of a download: the name in ASCII and in full (RFC 6266)."""
    from urllib.parse import quote

    plain = "".join(c if c.isascii() and c not in '"\\' else "_" for c in file_name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name)}"
