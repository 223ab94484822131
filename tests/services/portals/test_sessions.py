"""Portal access tokens: only a token this deployment signed (HS256, its own key, its own
`typ`, every required claim, not expired) is accepted, by `credentials.verify_access` and by
the portal API; anything else is 401. Also the per-address sign-in limit, at service level."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import credentials
from chalicelib.errors import Unauthorized
from chalicelib.keyring import keyring
from chalicelib.schemas.portal_access import SignIn
from chalicelib.services.portals import portal_accounts, sessions
from chalicelib.settings import get_settings
from chalicelib.tenancy import Caller
from tests.conftest import problem
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"
GRANT = sessions.Grant(
    tenant_id="ten_unit",
    customer_id="cus_unit",
    portal_id="prt_unit",
    user_id="usr_unit",
    user_key="cus_unit#usr_unit",
    role="portal_user",
    apps=("equipment", "activity"),
)


# --- making tokens, good and bad ------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_segment(value: Any) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _hs256(
    header: dict[str, Any], claims: dict[str, Any], key: bytes, digest: Any = hashlib.sha256
) -> str:
    """A JWT signed by hand, so that the header is exactly what the test says."""
    signing_input = f"{_json_segment(header)}.{_json_segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _valid(now: datetime | None = None, grant: sessions.Grant = GRANT) -> str:
    return sessions.access_token(grant, "ses_x", now or datetime.now(UTC), sessions.ACCESS_TTL)


def _signed(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """Signed with the deployment's own key: only the claims or the header are wrong."""
    header = {"alg": "HS256", "typ": credentials.ACCESS_TYPE} if header is None else header
    return _hs256(header, claims, keyring().derive(credentials.TOKEN_PURPOSE))


def _alg_none(token: str) -> str:
    return (
        f"{_json_segment({'alg': 'none', 'typ': credentials.ACCESS_TYPE})}.{token.split('.')[1]}."
    )


def _alg_none_capitalized(token: str) -> str:
    return (
        f"{_json_segment({'alg': 'None', 'typ': credentials.ACCESS_TYPE})}.{token.split('.')[1]}."
    )


def _alg_none_keeping_the_signature(token: str) -> str:
    _, payload, signature = token.split(".")
    return f"{_json_segment({'alg': 'none', 'typ': credentials.ACCESS_TYPE})}.{payload}.{signature}"


def _signature_stripped(token: str) -> str:
    header, payload, _ = token.split(".")
    return f"{header}.{payload}."


def _payload_tampered(token: str) -> str:
    header, _, signature = token.split(".")
    claims = _claims(token)
    claims["role"] = "portal_admin"
    claims["cid"] = "cus_someone_else"
    return f"{header}.{_json_segment(claims)}.{signature}"


def _expiry_extended(token: str) -> str:
    header, _, signature = token.split(".")
    claims = _claims(token)
    claims["exp"] += 3600
    return f"{header}.{_json_segment(claims)}.{signature}"


def _another_hs256_key(token: str) -> str:
    return jwt.encode(
        _claims(token),
        secrets.token_bytes(32),
        algorithm="HS256",
        headers={"typ": credentials.ACCESS_TYPE},
    )


def _the_secret_key_itself(token: str) -> str:
    # The raw secret, not the key derived from it for access tokens.
    return _hs256(
        {"alg": "HS256", "typ": credentials.ACCESS_TYPE},
        _claims(token),
        get_settings().secret_key.encode(),
    )


def _rs256_fresh_key(token: str) -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(
        _claims(token), private, algorithm="RS256", headers={"typ": credentials.ACCESS_TYPE}
    )


def _hs256_with_an_rsa_public_key(token: str) -> str:
    # The classic algorithm confusion: a public key used as an HMAC secret.
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _hs256({"alg": "HS256", "typ": credentials.ACCESS_TYPE}, _claims(token), public)


def _hs512_with_the_right_key(token: str) -> str:
    header = {"alg": "HS512", "typ": credentials.ACCESS_TYPE}
    return _hs256(
        header, _claims(token), keyring().derive(credentials.TOKEN_PURPOSE), hashlib.sha512
    )


def _typ_missing(token: str) -> str:
    return _signed(_claims(token), {"alg": "HS256"})


def _typ_jwt(token: str) -> str:
    return _signed(_claims(token), {"alg": "HS256", "typ": "JWT"})


def _typ_other_token_kind(token: str) -> str:
    return _signed(_claims(token), {"alg": "HS256", "typ": "at+jwt"})


def _expired_an_hour_ago(token: str) -> str:
    claims = _claims(token)
    grant = sessions.Grant(
        tenant_id=claims["aud"].removeprefix("portal:"),
        customer_id=claims["cid"],
        portal_id=claims["pid"],
        user_id=claims["sub"],
        user_key=claims["ukey"],
        role=claims["role"],
        apps=tuple(claims["apps"]),
    )
    issued = datetime.now(UTC) - timedelta(hours=1)
    return sessions.access_token(grant, claims["sid"], issued, timedelta(minutes=10))


def _expired_beyond_the_leeway(token: str) -> str:
    claims = _claims(token)
    now = int(datetime.now(UTC).timestamp())
    claims.update(iat=now - 660, exp=now - credentials.LEEWAY_SECONDS - 30)
    return _signed(claims)


def _issued_in_the_future(token: str) -> str:
    claims = _claims(token)
    now = int(datetime.now(UTC).timestamp())
    claims.update(iat=now + 3600, exp=now + 4200)
    return _signed(claims)


def _another_issuer(token: str) -> str:
    return _signed({**_claims(token), "iss": "someone-else"})


def _audience_not_a_portal(token: str) -> str:
    claims = _claims(token)
    return _signed({**claims, "aud": claims["aud"].replace("portal:", "api:")})


def _audience_a_list(token: str) -> str:
    claims = _claims(token)
    return _signed({**claims, "aud": [claims["aud"]]})


def _without(claim: str) -> Callable[[str], str]:
    def forge(token: str) -> str:
        claims = _claims(token)
        del claims[claim]
        return _signed(claims)

    forge.__name__ = f"_without_{claim}"
    return forge


FORGERIES: list[Callable[[str], str]] = [
    _alg_none,
    _alg_none_capitalized,
    _alg_none_keeping_the_signature,
    _signature_stripped,
    _payload_tampered,
    _expiry_extended,
    _another_hs256_key,
    _the_secret_key_itself,
    _rs256_fresh_key,
    _hs256_with_an_rsa_public_key,
    _hs512_with_the_right_key,
    _typ_missing,
    _typ_jwt,
    _typ_other_token_kind,
    _expired_an_hour_ago,
    _expired_beyond_the_leeway,
    _issued_in_the_future,
    _another_issuer,
    _audience_not_a_portal,
    _audience_a_list,
    *[_without(claim) for claim in ("iat", "exp", "sub", "aud", "iss", "sid", "cid", "pid")],
    *[_without(claim) for claim in ("ukey", "role")],
]
GARBAGE = [
    "garbage",
    "a.b.c",
    "eyJhbGciOiJIUzI1NiJ9.not-base64!.sig",
    "..",
    "pwk_" + "x" * 43,  # shaped like an API key
    "pwr_" + "x" * 43,  # shaped like a refresh token
    "\u00e9t\u00e9.\u00e9t\u00e9.\u00e9t\u00e9",
]


def _name(forge: Callable[[str], str]) -> str:
    return forge.__name__.strip("_")


# --- verify_access, unit level ----------------------------------------------------------------


def test_a_valid_token_gives_its_claims():
    now = datetime.now(UTC)
    claims = credentials.verify_access(_valid(now))
    assert claims["iss"] == "portway"
    assert claims["aud"] == "portal:ten_unit"
    assert claims["sub"] == "usr_unit"
    assert claims["cid"] == "cus_unit"
    assert claims["pid"] == "prt_unit"
    assert claims["ukey"] == "cus_unit#usr_unit"
    assert claims["role"] == "portal_user"
    assert claims["apps"] == ["equipment", "activity"]
    assert claims["sid"] == "ses_x"
    assert claims["exp"] - claims["iat"] == 600
    assert abs(claims["iat"] - now.timestamp()) <= 1
    assert "ro" not in claims


def test_a_valid_token_has_the_portal_type_hs256_and_the_key_id_in_its_header():
    assert jwt.get_unverified_header(_valid()) == {
        "alg": "HS256",
        "typ": credentials.ACCESS_TYPE,
        "kid": keyring().active,
    }


def test_a_preview_token_is_read_only_and_names_its_actor():
    grant = sessions.Grant(
        tenant_id="ten_unit",
        customer_id="cus_unit",
        portal_id="prt_unit",
        user_id="preview:api_key:key_1",
        user_key="",
        role="portal_admin",
        apps=("equipment",),
        read_only=True,
        on_behalf_of="api_key:key_1",
    )
    pair = sessions.preview(grant)
    assert pair.refresh_token is None
    assert pair.expires_in == 30 * 60
    claims = credentials.verify_access(pair.access_token)
    assert claims["ro"] is True
    assert claims["act"] == {"sub": "api_key:key_1"}


def test_a_token_expired_within_the_leeway_is_still_accepted():
    issued = datetime.now(UTC) - sessions.ACCESS_TTL - timedelta(seconds=10)
    assert credentials.verify_access(_valid(issued))["sub"] == "usr_unit"


@pytest.mark.parametrize("forge", FORGERIES, ids=_name)
def test_a_forged_or_broken_token_is_refused(forge):
    token = forge(_valid())
    with pytest.raises(Unauthorized) as refused:
        credentials.verify_access(token)
    assert refused.value.status == 401
    assert refused.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("token", GARBAGE)
def test_a_string_that_is_no_token_is_refused(token):
    with pytest.raises(Unauthorized):
        credentials.verify_access(token)


def test_the_forgeries_differ_from_the_valid_token():
    # A guard for the list above: every forgery really changes the token.
    valid = _valid()
    for forge in FORGERIES:
        assert forge(valid) != valid, forge.__name__


def test_a_token_signed_by_hand_with_the_right_key_and_header_is_accepted():
    # The hand signing the forgeries use makes valid tokens when nothing else is wrong.
    assert credentials.verify_access(_signed(_claims(_valid())))["sub"] == "usr_unit"


# --- over HTTP: GET /v1/portal/me ---------------------------------------------------------


@pytest.fixture
def person(api):
    """A real portal user's session (customer with a portal, invited, accepted)."""
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body
    put = api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    return portal_session(api, customer["id"])


def _refused(response):
    body = problem(response)
    assert body["status"] == 401
    assert body["type"] == "urn:portway:problem:unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def test_a_valid_token_opens_the_portal(api, person):
    me = api.as_key(person["access_token"]).get("/v1/portal/me")
    assert me.status_code == 200, me.body
    assert me.json_body["user"]["id"] == person["user"]["id"]


@pytest.mark.parametrize("forge", FORGERIES, ids=_name)
def test_a_forged_token_is_401_on_the_portal(api, person, forge):
    response = api.as_key(forge(person["access_token"])).get("/v1/portal/me")
    _refused(response)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("token", GARBAGE)
def test_a_string_that_is_no_token_is_401_on_the_portal(api, token):
    _refused(api.as_key(token).get("/v1/portal/me"))


def test_no_token_and_other_schemes_are_401_on_the_portal(api, person):
    _refused(api.as_key(None).get("/v1/portal/me"))
    for header in (
        person["access_token"],  # no scheme
        f"Basic {person['access_token']}",
        "Bearer",
        "Bearer ",
    ):
        _refused(api.as_key(None).get("/v1/portal/me", headers={"Authorization": header}))


def test_an_api_key_is_not_a_portal_token(api, tenant, person):
    _refused(api.as_key(tenant.key).get("/v1/portal/me"))
    _refused(api.as_key(tenant.key).get("/v1/portal/assets"))


def test_a_refresh_token_is_not_an_access_token(api, person):
    _refused(api.as_key(person["refresh_token"]).get("/v1/portal/me"))


def test_a_portal_token_is_not_an_api_key(api, person):
    portal = api.as_key(person["access_token"])
    _refused(portal.get("/v1/customers"))
    _refused(portal.get("/v1/assets"))
    _refused(portal.post("/v1/customers", {"name": "Sneaky"}))


def test_an_expired_token_of_a_real_session_is_401_on_the_portal(api, person):
    _refused(api.as_key(_expired_an_hour_ago(person["access_token"])).get("/v1/portal/me"))


def test_the_service_answers_wrong_and_unknown_alike(api, tenant, person):
    caller = Caller(f"198.51.100.7:{secrets.token_hex(4)}")
    answers = []
    for slug, email, password in (
        (tenant.slug, "first@example.com", "a wrong guess"),
        (tenant.slug, "nobody@example.com", PASSWORD),
        ("no-such-tenant", "first@example.com", PASSWORD),
    ):
        with pytest.raises(Unauthorized) as refused:
            portal_accounts.sign_in(caller, SignIn(tenant=slug, email=email, password=password))
        answers.append((refused.value.detail, refused.value.headers, refused.value.errors))
    assert answers[0] == answers[1] == answers[2]
