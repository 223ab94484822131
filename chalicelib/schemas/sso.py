"""Partner SSO: a customer's platform signs its users into the customer's portal."""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta, Struct

from chalicelib.errors import Invalid
from chalicelib.schemas.common import Input, Output, Timestamp

Algorithm = Literal["HS256", "RS256", "ES256"]
Issuer = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
MIN_SECRET_BYTES = 32  # 256 bits
# A secret's characters must look random: at least this many bits by their frequencies
# (a random 32-character secret has about 150), and this many different characters.
MIN_SECRET_ENTROPY_BITS = 128
MIN_SECRET_DISTINCT = 10


def entropy_bits(secret: str) -> float:
    """Shannon's estimate of the bits in `secret` from its characters' frequencies: a low
    figure means repetition (`aaaa...`, `abab...`), whatever the length."""
    counts = Counter(secret)
    total = len(secret)
    return -sum(n * math.log2(n / total) for n in counts.values())


class SsoSettings(Input):
    """The partner's issuer and key: an HS256 secret of at least 256 bits, or the PEM public
    key of an RS256 or ES256 key pair. The algorithm is fixed here, never read from tokens."""

    # Stated in the OpenAPI document too (merged into this schema by chalicelib/openapi.py).
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"algorithm": {"const": "HS256"}}},
                "then": {
                    "required": ["secret"],
                    "properties": {
                        "secret": {"type": "string", "minLength": MIN_SECRET_BYTES},
                        "public_key": {"type": "null"},
                    },
                },
                "else": {
                    "required": ["public_key"],
                    "properties": {"public_key": {"type": "string"}, "secret": {"type": "null"}},
                },
            }
        ]
    }

    issuer: Issuer
    algorithm: Algorithm
    secret: Annotated[str, Meta(max_length=512)] | None = None
    public_key: Annotated[str, Meta(max_length=8192)] | None = None
    key_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    audience: Annotated[str, Meta(min_length=1, max_length=200)] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.algorithm == "HS256":
            if self.public_key is not None:
                raise Invalid.field("public_key", "HS256 takes a secret, not a public key")
            if self.secret is None or len(self.secret) < MIN_SECRET_BYTES:
                # 32 characters are at least 32 bytes: 256 bits.
                raise Invalid.field("secret", "give a secret of at least 32 characters (256 bits)")
            if (
                len(set(self.secret)) < MIN_SECRET_DISTINCT
                or entropy_bits(self.secret) < MIN_SECRET_ENTROPY_BITS
                or self.secret in (self.secret * 2)[1:-1]  # a shorter text, repeated
            ):
                raise Invalid.field(
                    "secret",
                    "has too little randomness; use 32 random bytes (such as 43 base64 or "
                    "64 hex characters)",
                )
        else:
            if self.secret is not None:
                raise Invalid.field("secret", f"{self.algorithm} takes a public key, not a secret")
            if self.public_key is None:
                raise Invalid.field("public_key", f"give the PEM public key for {self.algorithm}")


class Sso(Output):
    """A customer's SSO settings (never the secret)."""

    customer_id: str
    issuer: str
    algorithm: Algorithm
    audience: str
    key_id: str | None
    login_url: str
    created_at: Timestamp


class SsoLogin(Struct, kw_only=True):
    """The partner's signed token, and where to go afterwards (an allowed origin or a path)."""

    jwt: Annotated[str, Meta(max_length=8192)] | None = None
    return_to: Annotated[str, Meta(max_length=2000)] | None = None


class IssuerQuery(Struct, kw_only=True):
    """Which issuer."""

    issuer: Issuer
