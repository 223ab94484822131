"""Secret formats and signed tokens: every secret Portway hands out is minted, digested and
redeemed here.

A secret is a prefix naming its format (`pwk_` an API key, `pwr_` a refresh token, ...) and
256 random bits; only its SHA-256 digest is stored, as the key of a `Token` of the format's
kind. `redeem` is the one way back from a secret to its item: well formed, one consistent
read, the right kind. Whether the item is still live is the caller's question, since each
answers an expired secret its own way.

Access tokens are JWTs (HS256 with a key derived from the deployment's secret, `typ`
`portway-access+jwt`, issuer `portway`, audience `portal:{tenant}` for a portal user's,
`staff:{tenant}` for a team member's): a request knows who asks without a read. Whether what
a session derives from still exists is decided by `services.portals.sessions.check_sources`
and `services.team.staff_sessions.check_sources`.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import ids
from chalicelib.errors import Unauthorized
from chalicelib.keyring import LEGACY_KEY_ID, keyring, verifying_key
from chalicelib.models import Token

ACCESS_TYPE = "portway-access+jwt"
# The key derivation's label (not a secret); staff tokens too: their audiences differ.
TOKEN_PURPOSE = "portal access tokens"  # noqa: S105
ISSUER = "portway"
LEEWAY_SECONDS = 30
# Prefixes of the secrets Portway hands out: a secret of one kind is never another.
API_KEY_PREFIX = "pwk"
REFRESH_PREFIX = "pwr"
INVITATION_PREFIX = "pwi"
PASSWORD_RESET_PREFIX = "pwp"  # noqa: S105 - a prefix, not a secret
SELF_SERVICE_PREFIX = "pws"
# A page preview's address (a capability for a few minutes; stored as a blob, not a Token).
PREVIEW_PREFIX = "pwv"
# The kinds of the items their digests are stored as (`Token.kind`), format by format.
API_KEY_KIND = "api_key"
REFRESH_KIND = "refresh"
INVITATION_KIND = "invitation"
PASSWORD_RESET_KIND = "password_reset"  # noqa: S105 - a kind, not a secret
SELF_SERVICE_KIND = "self_service"
# A team member's: the same formats, kinds of their own (one is never taken for the other).
TEAM_REFRESH_KIND = "team_refresh"
TEAM_INVITATION_KIND = "team_invitation"
TEAM_PASSWORD_RESET_KIND = "team_password_reset"  # noqa: S105 - a kind, not a secret
# The audiences of access tokens: a portal user's, a team member's.
PORTAL_AUDIENCE = "portal"
STAFF_AUDIENCE = "staff"
# Longer than any secret minted here: a longer one is refused without a read.
MAX_SECRET_LENGTH = 200


def mint(prefix: str) -> str:
    """A new secret of the format `prefix` (such as `pwk_...`); store only its digest."""
    return ids.new_secret(prefix)


def mint_totp_key() -> str:
    """A new TOTP key of a team member's authenticator (160 bits as 32 base32 letters):
    shown to them once, stored sealed (`services.team.mfa`), never as a digest."""
    import pyotp

    return pyotp.random_base32(32)


def digest_of(secret: str) -> str:
    """The digest a secret is stored under (the key of its `Token`)."""
    return ids.digest(secret)


def well_formed(secret: str, prefix: str) -> bool:
    """Whether `secret` can be one of the format `prefix` (its prefix, not too long)."""
    return secret.startswith(prefix + "_") and len(secret) <= MAX_SECRET_LENGTH


def lookup(token_digest: str, kind: str) -> Token | None:
    """The item stored under a digest if it is of `kind`, else None. A consistent read: a
    secret revoked or spent a moment ago must fail now."""
    try:
        token = Token.get(token_digest, consistent_read=True)
    except DoesNotExist:
        return None
    return token if token.kind == kind else None


def redeem(secret: str, prefix: str, kind: str) -> Token | None:
    """The item a secret of the format `prefix` names, if it is of `kind`; None for a
    malformed or unknown secret or another format's. Expiry and state are the caller's."""
    if not well_formed(secret, prefix):
        return None
    return lookup(digest_of(secret), kind)


def sign_access(claims: dict[str, Any]) -> str:
    """A portal access token carrying `claims`."""
    import jwt  # on first use: the cold start of every other request skips it

    ring = keyring()
    key = ring.derive(TOKEN_PURPOSE)
    headers = {"typ": ACCESS_TYPE, "kid": ring.active}
    return jwt.encode(claims, key, algorithm="HS256", headers=headers)


_COMMON = ["exp", "iat", "sub", "aud", "iss", "sid", "role"]
_REQUIRED = {
    PORTAL_AUDIENCE: [*_COMMON, "cid", "pid", "ukey"],
    STAFF_AUDIENCE: [*_COMMON, "sep"],
}


def verify_access(token: str, audience: str = PORTAL_AUDIENCE) -> dict[str, Any]:
    """The claims of a validly signed access token for `audience` (`portal`, `staff`); 401
    for anything else. Whether the session's sources still exist is `check_sources`'
    question."""
    import jwt

    invalid = Unauthorized(
        "The access token is not valid.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != ACCESS_TYPE or header.get("alg") != "HS256":
            raise invalid
        # Tokens from before key ids were signed with the single key `k0`.
        key_id = header.get("kid", LEGACY_KEY_ID)
        key = verifying_key(TOKEN_PURPOSE, key_id) if isinstance(key_id, str) else None
        if key is None:
            raise invalid
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["HS256"],  # fixed here, never taken from the token
            issuer=ISSUER,
            options={"require": _REQUIRED[audience], "verify_aud": False},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError:
        raise invalid from None
    aud = claims.get("aud")
    if not isinstance(aud, str) or not aud.startswith(f"{audience}:"):
        raise invalid
    return claims
