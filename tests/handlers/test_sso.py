"""Partner SSO over HTTP: registering a customer's platform as an issuer, and its signed
tokens (HS256, RS256, ES256) landing users in the portal; every bad token is a 401 that
spends and creates nothing."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import problem

SECRET = secrets.token_urlsafe(36)  # 48 characters, 288 random bits
ISSUER = "https://platform.acme.example"
PORTAL_PAGE = "http://localhost:8000/p/{slug}/portal?portal={portal_id}"
REQUIRED = ["iss", "aud", "exp", "iat", "jti", "sub", "email"]


# --- keys -----------------------------------------------------------------------------------


@functools.cache
def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.cache
def _ec(curve: str = "P-256") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1() if curve == "P-256" else ec.SECP384R1())


def _pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


# --- helpers --------------------------------------------------------------------------------


@dataclass
class Sso:
    """A customer with a portal and a registered issuer, and the key its platform signs with."""

    slug: str
    customer_id: str
    portal_id: str
    issuer: str
    algorithm: str
    audience: str
    signing_key: Any

    @property
    def page(self) -> str:
        return PORTAL_PAGE.format(slug=self.slug, portal_id=self.portal_id)


def _customer(api, name="Acme Construction", portal=True):
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    customer_id = created.json_body["id"]
    if not portal:
        return customer_id, None
    put = api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["equipment"]})
    assert put.status_code == 200, put.body
    return customer_id, put.json_body["id"]


def _path(customer_id):
    return f"/v1/customers/{customer_id}/portal/sso"


def _register(api, customer_id, **fields):
    body = {"issuer": ISSUER, "algorithm": "HS256", "secret": SECRET, **fields}
    return api.put(_path(customer_id), {k: v for k, v in body.items() if v is not None})


def _setup(api, tenant, algorithm="HS256", issuer=ISSUER, **fields) -> Sso:
    """A customer with a portal whose platform signs with `algorithm`."""
    customer_id, portal_id = _customer(api)
    if algorithm == "HS256":
        key: Any = fields.setdefault("secret", SECRET)
    elif algorithm == "RS256":
        key = _rsa()
        fields.update(secret=None, public_key=_pem(key))
    else:
        key = _ec()
        fields.update(secret=None, public_key=_pem(key))
    put = _register(api, customer_id, issuer=issuer, algorithm=algorithm, **fields)
    assert put.status_code == 200, put.body
    return Sso(
        tenant.slug,
        customer_id,
        portal_id,
        issuer,
        algorithm,
        put.json_body["audience"],
        key,
    )


def _claims(sso: Sso, **changes: Any) -> dict[str, Any]:
    """Claims of a fresh, valid token; a change to None leaves the claim out."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": sso.issuer,
        "aud": sso.audience,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_hex(12),
        "sub": "user-4711",
        "email": "Dana.Driver@Acme.example",
        "name": "Dana Driver",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(sso: Sso, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    return jwt.encode(claims, sso.signing_key, algorithm=sso.algorithm, headers=headers)


def _token(sso: Sso, headers: dict[str, Any] | None = None, **changes: Any) -> str:
    return _sign(sso, _claims(sso, **changes), headers)


def _login(api, slug, token, return_to=None):
    query = {"jwt": token} if token is not None else {}
    if return_to is not None:
        query["return_to"] = return_to
    return api.as_key(None).get(f"/sso/{slug}/jwt?{urlencode(query, quote_via=quote)}")


def _post_login(api, slug, token, return_to=None):
    form = {"jwt": token} if return_to is None else {"jwt": token, "return_to": return_to}
    return api.as_key(None).post(
        f"/sso/{slug}/jwt",
        raw=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _landing(response):
    """The redirect's target and the session in its fragment."""
    assert response.status_code == 302, response.body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    target, _, fragment = response.headers["Location"].partition("#")
    session = {k: v[0] for k, v in parse_qs(fragment).items()}
    assert set(session) == {"session", "refresh"}, fragment
    return target, session


def _me(api, access_token):
    response = api.as_key(access_token).get("/v1/portal/me")
    assert response.status_code == 200, response.body
    return response.json_body


def _provisions(api):
    response = api.get("/v1/audit-events?limit=100")
    assert response.status_code == 200, response.body
    return [e for e in response.json_body["items"] if e["action"] == "portal.user_provisioned"]


def _status(response, status, kind):
    body = problem(response)
    assert body["status"] == status
    assert body["type"] == f"urn:portway:problem:{kind}"
    return body


def _invalid(response, field):
    body = _status(response, 422, "validation")
    assert field in [e["field"] for e in body["errors"]], body
    return body


def _refused(api, sso, response, claims=None):
    """A 401 that signed nobody in; with the refused token's claims, the honest token of the
    same `sub` and `jti` then signs in as the first login (nothing was spent or created)."""
    _status(response, 401, "unauthorized")
    assert "Location" not in response.headers
    assert _provisions(api) == []
    if claims is None:
        return
    kept = {name: claims[name] for name in ("sub", "jti") if name in claims}
    honest = _claims(sso, **kept)
    target, session = _landing(_login(api, sso.slug, _sign(sso, honest)))
    assert target == sso.page
    provisioned = _provisions(api)
    assert len(provisioned) == 1
    assert provisioned[0]["object_id"] == _me(api, session["session"])["user"]["id"]


@pytest.fixture
def hs256(api, tenant):
    return _setup(api, tenant)


@pytest.fixture
def no_sockets(monkeypatch):
    """Every attempt to open a connection through `socket.create_connection` (urllib,
    http.client, PyJWT's key fetching) is recorded and fails."""
    opened: list[Any] = []

    def refuse(address, *args, **kwargs):
        opened.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return opened


# --- registration ---------------------------------------------------------------------------


def test_registering_hs256_answers_the_settings_without_the_secret(api, tenant):
    customer_id, _ = _customer(api)
    put = _register(api, customer_id)
    assert put.status_code == 200, put.body
    body = put.json_body
    assert body["customer_id"] == customer_id
    assert body["issuer"] == ISSUER
    assert body["algorithm"] == "HS256"
    assert body["audience"] == f"portway:{tenant.slug}"
    assert body["key_id"] is None
    assert body["login_url"] == f"http://localhost:8000/sso/{tenant.slug}/jwt"
    assert body["created_at"].endswith("Z")
    assert "secret" not in body
    assert SECRET not in put.body.decode()

    listed = api.get(_path(customer_id))
    assert listed.status_code == 200, listed.body
    assert listed.json_body["items"] == [body]
    assert SECRET not in listed.body.decode()


def test_registering_rs256_keeps_the_key_id_and_audience_given(api):
    customer_id, _ = _customer(api)
    put = _register(
        api,
        customer_id,
        algorithm="RS256",
        secret=None,
        public_key=_pem(_rsa()),
        key_id="key-2024",
        audience="https://portal.example/acme",
    )
    assert put.status_code == 200, put.body
    assert put.json_body["algorithm"] == "RS256"
    assert put.json_body["key_id"] == "key-2024"
    assert put.json_body["audience"] == "https://portal.example/acme"
    assert "public_key" not in put.json_body


def test_deleting_an_issuer_stops_its_tokens(api, hs256):
    deleted = api.delete(f"{_path(hs256.customer_id)}?issuer={quote(ISSUER, safe='')}")
    assert deleted.status_code == 204, deleted.body
    assert api.get(_path(hs256.customer_id)).json_body["items"] == []
    _refused(api, hs256, _login(api, hs256.slug, _token(hs256)))


def test_hs256_secret_of_31_bytes_is_422(api):
    customer_id, _ = _customer(api)
    _invalid(_register(api, customer_id, secret=secrets.token_urlsafe(32)[:31]), "secret")
    assert _register(api, customer_id, secret=secrets.token_urlsafe(32)[:32]).status_code == 200


@pytest.mark.parametrize(
    "secret",
    ["x" * 32, "x" * 512, "ab" * 32, "0123456789abcdef" * 2, "a1" * 20 + "b2" * 20],
    ids=["one-character", "long-one-character", "two-characters", "sixteen-twice", "four"],
)
def test_an_hs256_secret_with_almost_no_entropy_is_422(api, secret):
    customer_id, _ = _customer(api)
    problem = _invalid(_register(api, customer_id, secret=secret), "secret")
    assert "randomness" in problem["errors"][0]["message"]
    assert api.get(_path(customer_id)).json_body["items"] == []


def test_hs256_without_a_secret_is_422(api):
    customer_id, _ = _customer(api)
    _invalid(_register(api, customer_id, secret=None), "secret")


def test_hs256_with_a_public_key_is_422(api):
    customer_id, _ = _customer(api)
    _invalid(_register(api, customer_id, public_key=_pem(_rsa())), "public_key")


def test_rs256_without_a_public_key_is_422(api):
    customer_id, _ = _customer(api)
    _invalid(_register(api, customer_id, algorithm="RS256", secret=None), "public_key")


def test_rs256_with_a_secret_is_422(api):
    customer_id, _ = _customer(api)
    response = _register(api, customer_id, algorithm="RS256", public_key=_pem(_rsa()))
    _invalid(response, "secret")


def test_rs256_with_a_1024_bit_key_is_422(api):
    customer_id, _ = _customer(api)
    response = _register(
        api, customer_id, algorithm="RS256", secret=None, public_key=_pem(_rsa(1024))
    )
    _invalid(response, "public_key")


def test_rs256_with_an_ec_key_is_422(api):
    customer_id, _ = _customer(api)
    response = _register(api, customer_id, algorithm="RS256", secret=None, public_key=_pem(_ec()))
    _invalid(response, "public_key")


def test_es256_with_an_rsa_key_is_422(api):
    customer_id, _ = _customer(api)
    response = _register(api, customer_id, algorithm="ES256", secret=None, public_key=_pem(_rsa()))
    _invalid(response, "public_key")


@pytest.mark.parametrize(
    "pem",
    [
        "garbage",
        "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
    ],
)
def test_garbage_pem_is_422(api, pem):
    customer_id, _ = _customer(api)
    response = _register(api, customer_id, algorithm="RS256", secret=None, public_key=pem)
    _invalid(response, "public_key")


@pytest.mark.parametrize("algorithm", ["none", "HS512", "PS256", "hs256"])
def test_an_algorithm_other_than_the_three_is_422(api, algorithm):
    customer_id, _ = _customer(api)
    response = _register(api, customer_id, algorithm=algorithm)
    assert _status(response, 422, "validation")
    assert api.get(_path(customer_id)).json_body["items"] == []


@pytest.mark.parametrize("scopes", [["read"], ["read", "write"]])
def test_read_and_write_keys_get_403_on_put_and_delete(api, scopes):
    customer_id, _ = _customer(api)
    created = api.post("/v1/api-keys", {"name": "not admin", "scopes": scopes})
    assert created.status_code == 201, created.body
    key = api.as_key(created.json_body["key"])
    _status(_register(key, customer_id), 403, "forbidden")
    assert api.get(_path(customer_id)).json_body["items"] == []
    assert _register(api, customer_id).status_code == 200
    deleted = key.delete(f"{_path(customer_id)}?issuer={quote(ISSUER, safe='')}")
    _status(deleted, 403, "forbidden")
    assert len(api.get(_path(customer_id)).json_body["items"]) == 1


def test_another_tenants_admin_key_gets_404(api, other_api):
    customer_id, _ = _customer(api)
    _status(_register(other_api, customer_id), 404, "not-found")
    assert api.get(_path(customer_id)).json_body["items"] == []


def test_a_customer_without_a_portal_is_404(api):
    customer_id, _ = _customer(api, portal=False)
    _status(_register(api, customer_id), 404, "not-found")
    assert api.get(_path(customer_id)).status_code == 404


def test_an_issuer_of_another_customer_is_409(api, hs256):
    other_id, _ = _customer(api, "Other Customer")
    _status(_register(api, other_id), 409, "conflict")
    assert api.get(_path(other_id)).json_body["items"] == []
    # its tokens still sign users in to the first customer only
    target, session = _landing(_login(api, hs256.slug, _token(hs256)))
    assert target == hs256.page
    assert _me(api, session["session"])["customer"]["id"] == hs256.customer_id


def test_the_same_customer_may_register_its_issuer_again(api, hs256):
    again = _register(api, hs256.customer_id, key_id="k2")
    assert again.status_code == 200, again.body
    assert [s["key_id"] for s in api.get(_path(hs256.customer_id)).json_body["items"]] == ["k2"]


# --- logging in -----------------------------------------------------------------------------


def test_valid_hs256_login_by_get_lands_signed_in_on_the_portal_page(api, hs256):
    response = _login(api, hs256.slug, _token(hs256))
    target, session = _landing(response)
    assert target == hs256.page
    me = _me(api, session["session"])
    assert me["user"]["email"] == "dana.driver@acme.example"
    assert me["user"]["name"] == "Dana Driver"
    assert me["customer"]["id"] == hs256.customer_id
    assert me["portal"]["id"] == hs256.portal_id
    assert me["read_only"] is False
    refreshed = api.as_key(None).post(
        "/v1/portal/sessions/refresh", {"refresh_token": session["refresh"]}
    )
    assert refreshed.status_code == 200, refreshed.body

    provisioned = _provisions(api)
    assert len(provisioned) == 1
    assert provisioned[0]["object_id"] == me["user"]["id"]
    assert provisioned[0]["customer_id"] == hs256.customer_id


def test_valid_hs256_login_by_form_post_lands_signed_in(api, hs256):
    target, session = _landing(_post_login(api, hs256.slug, _token(hs256)))
    assert target == hs256.page
    assert _me(api, session["session"])["customer"]["id"] == hs256.customer_id


def test_a_name_is_optional_the_email_stands_in(api, hs256):
    _, session = _landing(_login(api, hs256.slug, _token(hs256, name=None)))
    user = _me(api, session["session"])["user"]
    assert user["email"] == "dana.driver@acme.example"
    assert user["name"] == "Dana.Driver@Acme.example"


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_valid_asymmetric_login_lands_signed_in(api, tenant, algorithm):
    sso = _setup(api, tenant, algorithm)
    target, session = _landing(_login(api, sso.slug, _token(sso)))
    assert target == sso.page
    assert _me(api, session["session"])["user"]["email"] == "dana.driver@acme.example"
    assert len(_provisions(api)) == 1


def test_a_second_login_of_the_same_sub_is_the_same_user(api, hs256):
    _, first = _landing(_login(api, hs256.slug, _token(hs256)))
    _, second = _landing(_post_login(api, hs256.slug, _token(hs256, email="new@acme.example")))
    assert first["session"] != second["session"]
    assert _me(api, first["session"])["user"]["id"] == _me(api, second["session"])["user"]["id"]
    assert len(_provisions(api)) == 1
    # another subject is another person
    _, third = _landing(_login(api, hs256.slug, _token(hs256, sub="user-4712")))
    assert _me(api, third["session"])["user"]["id"] != _me(api, first["session"])["user"]["id"]
    assert len(_provisions(api)) == 2


def test_a_matching_kid_is_accepted_when_a_key_id_is_registered(api, tenant):
    sso = _setup(api, tenant, "RS256", key_id="key-1")
    target, _ = _landing(_login(api, sso.slug, _token(sso, headers={"kid": "key-1"})))
    assert target == sso.page


def test_a_lifetime_of_exactly_15_minutes_is_accepted(api, hs256):
    now = int(time.time())
    target, _ = _landing(_login(api, hs256.slug, _token(hs256, iat=now, exp=now + 900)))
    assert target == hs256.page


# --- refused tokens -------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(api, hs256, alg):
    claims = _claims(hs256)
    for signature in ("", _b64(b"x")):
        token = f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims)}.{signature}"
        _refused(api, hs256, _login(api, hs256.slug, token))
    _refused(api, hs256, _login(api, hs256.slug, jwt.encode(claims, None, "none")), claims)


def test_hs256_token_signed_with_the_public_key_is_refused_for_rs256(api, tenant):
    sso = _setup(api, tenant, "RS256")
    claims = _claims(sso)
    pem = _pem(sso.signing_key)
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    for secret in (pem, pem.strip(), pem.replace("\n", "")):
        mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{_b64(mac)}"
        _refused(api, sso, _login(api, sso.slug, token))
    _refused(api, sso, _login(api, sso.slug, f"{signing_input}.{_b64(b'0' * 32)}"), claims)


def test_a_token_of_the_wrong_algorithm_with_the_right_key_type_is_refused(api, tenant):
    sso = _setup(api, tenant, "RS256")
    claims = _claims(sso)
    token = jwt.encode(claims, sso.signing_key, algorithm="RS512")
    _refused(api, sso, _login(api, sso.slug, token), claims)


def test_a_tampered_payload_is_refused(api, hs256):
    claims = _claims(hs256)
    header, _, signature = _sign(hs256, claims).split(".")
    forged = _segment({**claims, "sub": "admin", "email": "boss@acme.example"})
    _refused(api, hs256, _login(api, hs256.slug, f"{header}.{forged}.{signature}"))
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)[:-2] + "AA"), claims)


def test_a_token_signed_with_another_secret_is_refused(api, hs256):
    claims = _claims(hs256)
    token = jwt.encode(claims, "another secret of sufficient length!!", algorithm="HS256")
    _refused(api, hs256, _login(api, hs256.slug, token), claims)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        "..",
        "eyJhbGciOiJIUzI1NiJ9..",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        _segment({"alg": "HS256"}) + "." + _b64(b"[1,2]") + ".c2ln",
        "%00%ff",
        "",
        None,
    ],
)
def test_garbage_is_refused(api, hs256, token):
    _refused(api, hs256, _login(api, hs256.slug, token))
    _refused(api, hs256, _post_login(api, hs256.slug, token or ""))


def test_an_unregistered_issuer_is_refused(api, hs256):
    claims = _claims(hs256, iss="https://unknown.example")
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_a_wrong_audience_is_refused(api, hs256):
    for aud in ("portway:another-tenant", "portway", ["portway:x"]):
        claims = _claims(hs256, aud=aud)
        _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)))
    claims = _claims(hs256, aud="https://elsewhere.example")
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


@pytest.mark.parametrize("claim", REQUIRED)
def test_a_token_missing_a_required_claim_is_refused(api, hs256, claim):
    claims = _claims(hs256, **{claim: None})
    assert claim not in claims
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_an_expired_token_is_refused(api, hs256):
    now = int(time.time())
    claims = _claims(hs256, iat=now - 170, exp=now - 100)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_iat_10_minutes_in_the_future_is_refused(api, hs256):
    now = int(time.time())
    claims = _claims(hs256, iat=now + 600, exp=now + 900)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_iat_10_minutes_in_the_past_is_refused_while_exp_is_ahead(api, hs256):
    now = int(time.time())
    claims = _claims(hs256, iat=now - 600, exp=now + 240)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_a_lifetime_over_15_minutes_is_refused(api, hs256):
    now = int(time.time())
    claims = _claims(hs256, iat=now, exp=now + 901)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)), claims)


def test_a_replayed_jti_is_refused(api, hs256):
    token = _token(hs256)
    _landing(_login(api, hs256.slug, token))
    for again in (_login(api, hs256.slug, token), _post_login(api, hs256.slug, token)):
        _status(again, 401, "unauthorized")
        assert "Location" not in again.headers
    # the jti is spent whatever else the token says
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    _status(_login(api, hs256.slug, _token(hs256, jti=jti, sub="user-9")), 401, "unauthorized")
    assert len(_provisions(api)) == 1


@pytest.mark.parametrize(
    "header",
    [
        {"jku": "https://keys.evil.example/jwks.json"},
        {"x5u": "https://keys.evil.example/cert.pem"},
        {"jwk": {"kty": "oct", "k": _b64(SECRET.encode())}},
        {"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]},
    ],
)
def test_key_location_headers_are_refused_and_never_fetched(api, hs256, no_sockets, header):
    claims = _claims(hs256)
    # correctly signed: only the header makes it unacceptable
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims, header)), claims)
    assert no_sockets == []


def test_a_jku_naming_an_attackers_key_set_is_never_fetched(api, tenant, no_sockets):
    sso = _setup(api, tenant, "RS256")
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = _claims(sso)
    headers = {"jku": "http://127.0.0.1:9/jwks.json", "kid": "evil"}
    token = jwt.encode(claims, attacker, algorithm="RS256", headers=headers)
    _refused(api, sso, _login(api, sso.slug, token), claims)
    assert no_sockets == []


def test_an_unknown_kid_is_refused_when_a_key_id_is_registered(api, tenant):
    sso = _setup(api, tenant, "RS256", key_id="key-1")
    claims = _claims(sso)
    token = _sign(sso, claims, {"kid": "key-2"})
    _refused(api, sso, _login(api, sso.slug, token), claims)


def test_an_issuer_of_another_tenant_is_refused_on_this_tenants_slug(
    api, other_api, tenant, other_tenant
):
    theirs = _setup(other_api, other_tenant)
    for aud in (theirs.audience, f"portway:{tenant.slug}"):
        token = _token(theirs, aud=aud)
        _refused(api, theirs, _login(api, tenant.slug, token))
    # this tenant registering the same issuer name does not make the other's keys valid here
    mine = _setup(api, tenant, secret=secrets.token_urlsafe(30))
    claims = _claims(theirs, aud=mine.audience)
    _refused(api, mine, _login(api, tenant.slug, _sign(theirs, claims)), claims)
    # and the token works where it belongs
    target, _ = _landing(_login(other_api, other_tenant.slug, _token(theirs)))
    assert target == theirs.page


def test_an_unknown_slug_is_refused(api, hs256):
    for slug in ("no-such-tenant", hs256.slug + "x"):
        token = _token(hs256)
        _refused(api, hs256, _login(api, slug, token))
        _refused(api, hs256, _post_login(api, slug, token))


# --- return_to ------------------------------------------------------------------------------


@pytest.fixture
def allowed(api):
    put = api.put("/v1/settings/embedding", {"allowed_origins": ["https://partner.example"]})
    assert put.status_code == 200, put.body
    return "https://partner.example"


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example/x",
        "//evil.example",
        "//evil.example/p/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(document.domain)//",
        "data:text/html,<script>alert(1)</script>",
        "https://partner.example.evil.example/x",
        "https://partner.example@evil.example/x",
        "https://user:pw@partner.example/x",
        "http://partner.example/x",
        "https://partner.example:8443/x",
        "evil.example",
    ],
)
def test_return_to_elsewhere_falls_back_to_the_portal_page(api, hs256, allowed, return_to):
    for send in (_login, _post_login):
        target, _ = _landing(send(api, hs256.slug, _token(hs256), return_to))
        assert target == hs256.page


@pytest.mark.parametrize(
    "return_to",
    [
        "https://partner.example/app/portal?tab=map",
        "https://partner.example",
        "/p/{slug}/portal?portal=x",
        "/",
    ],
)
def test_return_to_on_an_allowed_origin_or_a_path_is_kept(api, hs256, allowed, return_to):
    return_to = return_to.format(slug=hs256.slug)
    for send in (_login, _post_login):
        target, session = _landing(send(api, hs256.slug, _token(hs256), return_to))
        assert target == return_to
        assert _me(api, session["session"])["customer"]["id"] == hs256.customer_id


def test_a_fragment_of_return_to_is_replaced_by_the_session(api, hs256, allowed):
    response = _login(api, hs256.slug, _token(hs256), "/somewhere#session=stolen&x=1")
    target, session = _landing(response)
    assert target == "/somewhere"
    assert session["session"] != "stolen"


def test_the_fragment_holds_the_session_after_the_portal_page(api, hs256):
    location = _login(api, hs256.slug, _token(hs256)).headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}?{parts.query}" == hs256.page
    assert parts.fragment.startswith("session=")
    assert "&refresh=pwr_" in parts.fragment


# --- found by these tests and fixed -------------------------------------------------------


@pytest.mark.parametrize("return_to", ["/\t/evil.example/x", "/\n/evil.example/x"])
def test_return_to_with_a_tab_or_newline_falls_back_to_the_portal_page(api, hs256, return_to):
    target, _ = _landing(_login(api, hs256.slug, _token(hs256), return_to))
    assert target == hs256.page


def test_a_login_after_the_portal_was_deleted_is_refused_and_creates_nobody(api, hs256):
    deleted = api.delete(f"/v1/customers/{hs256.customer_id}/portal")
    assert deleted.status_code == 204, deleted.body
    _refused(api, hs256, _login(api, hs256.slug, _token(hs256)))


def test_an_issuer_cannot_sign_in_as_a_user_of_another_issuer(api, tenant):
    first = _setup(api, tenant, issuer="https://idp.example")
    second = _setup(api, tenant, issuer="https://idp.example#x")
    _, victim = _landing(_login(api, first.slug, _token(first, sub="x#alice")))
    _, other = _landing(_login(api, second.slug, _token(second, sub="alice")))
    victim_me, other_me = _me(api, victim["session"]), _me(api, other["session"])
    assert other_me["customer"]["id"] == second.customer_id
    assert other_me["user"]["id"] != victim_me["user"]["id"]


def test_subjects_longer_than_200_characters_are_refused_never_cut(api, hs256):
    # Cut, two subjects that differ after 200 characters would be one user.
    for sub in ("u" * 200 + "1", "u" * 200 + "2"):
        _refused(api, hs256, _login(api, hs256.slug, _token(hs256, sub=sub)))
    _, session = _landing(_login(api, hs256.slug, _token(hs256, sub="u" * 200)))
    assert _me(api, session["session"])["user"] is not None


@pytest.mark.parametrize("changes", [{"exp": 10**20}, {"iat": -(10**20)}])
def test_out_of_range_times_are_401_not_500(api, hs256, changes):
    claims = _claims(hs256, **changes)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)))


def test_an_issuer_longer_than_a_key_may_be_is_401_not_500(api, hs256):
    claims = _claims(hs256, iss="https://idp.example/" + "a" * 1100)
    _refused(api, hs256, _login(api, hs256.slug, _sign(hs256, claims)))


def test_es256_with_a_p384_key_is_422(api):
    customer_id, _ = _customer(api)
    response = _register(
        api, customer_id, algorithm="ES256", secret=None, public_key=_pem(_ec("P-384"))
    )
    _invalid(response, "public_key")


# --- users belong to their customer (issue 11, item 1) -------------------------------------


def _assign_new_asset(api, customer_id, name):
    asset = api.post("/v1/assets", {"name": name}).json_body["id"]
    put = api.put(f"/v1/customers/{customer_id}/assets", {"asset_ids": [asset]})
    assert put.status_code == 200, put.body
    return asset


def test_an_issuer_moved_to_another_customer_never_reaches_the_first_customers_users(api, tenant):
    x = _setup(api, tenant)
    x_asset = _assign_new_asset(api, x.customer_id, "X's excavator")
    _, x_session = _landing(_login(api, tenant.slug, _token(x)))
    x_user = _me(api, x_session["session"])["user"]
    assert api.as_key(x_session["session"]).get("/v1/portal/assets").status_code == 200

    # The issuer leaves X and is registered for Y, with the same platform and key.
    removed = api.delete(f"{_path(x.customer_id)}?issuer={quote(ISSUER, safe='')}")
    assert removed.status_code == 204, removed.body
    y = _setup(api, tenant)
    y_asset = _assign_new_asset(api, y.customer_id, "Y's crane")

    # The same subject signs in again: it is Y's person now, a new account in Y's portal.
    _, y_session = _landing(_login(api, tenant.slug, _token(y)))
    me = _me(api, y_session["session"])
    assert me["customer"]["id"] == y.customer_id
    assert me["user"]["id"] != x_user["id"]
    seen = api.as_key(y_session["session"]).get("/v1/portal/assets").json_body["items"]
    assert [a["id"] for a in seen] == [y_asset]
    assert x_asset not in json.dumps(seen)
    # X's session and refresh token ended with the issuer.
    _status(api.as_key(x_session["session"]).get("/v1/portal/assets"), 401, "unauthorized")
    refreshed = api.as_key(None).post(
        "/v1/portal/sessions/refresh", {"refresh_token": x_session["refresh"]}
    )
    _status(refreshed, 401, "unauthorized")


def test_removing_an_issuer_ends_its_users_sessions_and_refresh_tokens_at_once(api, hs256):
    _, session = _landing(_login(api, hs256.slug, _token(hs256)))
    portal = api.as_key(session["session"])
    assert portal.get("/v1/portal/assets").status_code == 200
    removed = api.delete(f"{_path(hs256.customer_id)}?issuer={quote(ISSUER, safe='')}")
    assert removed.status_code == 204, removed.body
    for path in ("/v1/portal/me", "/v1/portal/assets"):
        _status(portal.get(path), 401, "unauthorized")
    refreshed = api.as_key(None).post(
        "/v1/portal/sessions/refresh", {"refresh_token": session["refresh"]}
    )
    _status(refreshed, 401, "unauthorized")
    # Registered again later, the old sessions stay ended; a new sign-in works.
    assert _register(api, hs256.customer_id).status_code == 200
    _status(portal.get("/v1/portal/me"), 401, "unauthorized")
    _, again = _landing(_login(api, hs256.slug, _token(hs256)))
    assert _me(api, again["session"])["customer"]["id"] == hs256.customer_id


def test_a_deleted_portals_sso_users_are_gone_when_the_portal_is_given_again(api, tenant, hs256):
    _, first = _landing(_login(api, hs256.slug, _token(hs256)))
    old_user = _me(api, first["session"])["user"]["id"]
    assert api.delete(f"/v1/customers/{hs256.customer_id}/portal").status_code == 204
    assert api.put(f"/v1/customers/{hs256.customer_id}/portal", {}).status_code == 200
    assert _register(api, hs256.customer_id).status_code == 200
    _status(api.as_key(first["session"]).get("/v1/portal/me"), 401, "unauthorized")
    _, second = _landing(_login(api, hs256.slug, _token(hs256)))
    assert _me(api, second["session"])["user"]["id"] != old_user


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"email": "not an address"}, "jwt.email"),
        ({"email": "dana@"}, "jwt.email"),
        ({"email": "<script>@x.example"}, "jwt.email"),
        ({"email": "a" * 250 + "@x.example"}, "jwt.email"),
        ({"email": 4711}, "jwt.email"),
        ({"email": ["dana@acme.example"]}, "jwt.email"),
        ({"email": "dana@acme.example\n"}, "jwt.email"),
        ({"name": "Dana\nBcc: x@evil.example"}, "jwt.name"),
        ({"name": "Dana\u2028Driver"}, "jwt.name"),
        ({"name": "x" * 201}, "jwt.name"),
        ({"name": "   "}, "jwt.name"),
        ({"name": {"first": "Dana"}}, "jwt.name"),
    ],
    ids=[
        "no-at",
        "no-domain",
        "markup",
        "too-long",
        "number",
        "list",
        "trailing-line-feed",
        "name-line-break",
        "name-line-separator",
        "name-too-long",
        "name-blank",
        "name-object",
    ],
)
def test_email_and_name_claims_are_checked_like_any_input(api, hs256, claims, field):
    response = _login(api, hs256.slug, _token(hs256, **claims))
    _invalid(response, field)
    assert _provisions(api) == []  # nobody was created
