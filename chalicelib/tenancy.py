"""TenantContext: who is calling, for which tenant, with which scopes.

Built only from verified credentials (an API key's digest found in the tokens table);
a tenant id in a path, body or header is never consulted. Every service that touches
tenant data takes a context first.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.ids import digest
from chalicelib.models import Token

API_KEY_PREFIX = "pwk"
API_KEY_KIND = "api_key"

# A scope grants itself and everything below it.
_IMPLIED = {
    "admin": frozenset({"admin", "write", "read"}),
    "write": frozenset({"write", "read"}),
    "read": frozenset({"read"}),
}


def expand_scopes(scopes: set[str] | frozenset[str]) -> frozenset[str]:
    """The scopes a key holds, with what each implies."""
    return frozenset().union(*(_IMPLIED.get(s, frozenset()) for s in scopes))


@dataclass(frozen=True, slots=True)
class TenantContext:
    """The verified caller of one request."""

    tenant_id: str
    actor: str
    scopes: frozenset[str]
    source_ip: str | None = None

    def require(self, scope: str) -> None:
        """Refuse the request unless the caller holds `scope`."""
        if scope not in self.scopes:
            raise Forbidden(f"This API key lacks the '{scope}' scope.")


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send an API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="portway"'},
        )
    return token.strip()


def authenticate_api_key(
    authorization: str | None, source_ip: str | None = None, *, clock: Clock = utcnow
) -> TenantContext:
    """Resolve an API key to its tenant; unknown, revoked or malformed keys are 401."""
    secret = bearer_token(authorization)
    invalid = Unauthorized(
        "The API key is not valid.", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )
    if not secret.startswith(API_KEY_PREFIX + "_") or len(secret) > 200:
        raise invalid
    try:
        # Consistent read: a key revoked a moment ago must fail now.
        token = Token.get(digest(secret), consistent_read=True)
    except DoesNotExist:
        raise invalid from None
    if token.kind != API_KEY_KIND or not token.is_live(clock()):
        raise invalid
    return TenantContext(
        tenant_id=token.tenant_id,
        actor=f"api_key:{token.subject_id}",
        scopes=expand_scopes(token.scopes or set()),
        source_ip=source_ip,
    )
