"""Secret formats and signed tokens: every credential Portway issues is minted, digested
and redeemed here or by the one service that owns its item.

Portal access tokens are JWTs (HS256 with a key derived from the deployment's secret, `typ`
`portway-access+jwt`, issuer `portway`, audience `portal:{tenant}`): a portal request knows
who asks without a read. Whether what a session derives from still exists is decided by
`services.portals.sessions.check_sources`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Unauthorized
from chalicelib.settings import get_settings

ACCESS_TYPE = "portway-access+jwt"
ISSUER = "portway"
LEEWAY_SECONDS = 30
# Prefixes of the secrets Portway hands out: a secret of one kind is never another.
API_KEY_PREFIX = "pwk"
REFRESH_PREFIX = "pwr"
INVITATION_PREFIX = "pwi"
PASSWORD_RESET_PREFIX = "pwp"  # noqa: S105 - a prefix, not a secret
SELF_SERVICE_PREFIX = "pws"


def sign_access(claims: dict[str, Any]) -> str:
    """A portal access token carrying `claims`."""
    import jwt  # on first use: the cold start of every other request skips it

    key = get_settings().session_key
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": ACCESS_TYPE})


_REQUIRED = ["exp", "iat", "sub", "aud", "iss", "sid", "cid", "pid", "ukey", "role"]


def verify_access(token: str) -> dict[str, Any]:
    """The claims of a validly signed access token; 401 for anything else. Whether the
    session's sources still exist is `check_sources`' question."""
    import jwt

    invalid = Unauthorized(
        "The access token is not valid.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != ACCESS_TYPE or header.get("alg") != "HS256":
            raise invalid
        claims: dict[str, Any] = jwt.decode(
            token,
            get_settings().session_key,
            algorithms=["HS256"],  # fixed here, never taken from the token
            issuer=ISSUER,
            options={"require": _REQUIRED, "verify_aud": False},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError:
        raise invalid from None
    aud = claims.get("aud")
    if not isinstance(aud, str) or not aud.startswith("portal:"):
        raise invalid
    return claims
