"""The key ring: a rotation logs nobody out, a retired key verifies nothing, the ring comes
from SSM once per process, and a deployed stage without its settings refuses to start."""

from __future__ import annotations

import base64
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import boto3
import jwt
import pytest
from moto import mock_aws

from chalicelib import credentials, keyring
from chalicelib.errors import Invalid, Unauthorized
from chalicelib.models import TeamMember, WebhookEndpoint
from chalicelib.services.platform import pagination
from chalicelib.services.portals import sessions
from chalicelib.services.team import mfa
from chalicelib.services.webhooks import signing
from chalicelib.settings import ConfigurationError, Settings, reset_settings
from chalicelib.tenancy import TenantContext
from portway_ops import cli
from portway_ops import keys as keys_ops
from tests.conftest import deployed_env

OLD = "x" * 40
NEW = "y" * 40
CTX = TenantContext("ten_keys", "key_1", frozenset({"read"}))
GRANT = sessions.Grant(
    tenant_id="ten_keys",
    customer_id="cus_1",
    portal_id="prt_1",
    user_id="usr_1",
    user_key="cus_1#usr_1",
    role="portal_user",
    apps=("equipment",),
)


def ring(active: str, **secrets_by_id: str) -> str:
    return json.dumps({"active": active, "keys": secrets_by_id})


@contextmanager
def keys(text: str) -> Iterator[None]:
    """The process's ring is `text` (PORTWAY_SECRET_KEYS) while the block runs."""
    before = os.environ.get("PORTWAY_SECRET_KEYS")
    os.environ["PORTWAY_SECRET_KEYS"] = text
    reset_settings()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PORTWAY_SECRET_KEYS", None)
        else:
            os.environ["PORTWAY_SECRET_KEYS"] = before
        reset_settings()


def _token() -> str:
    return sessions.access_token(GRANT, "ses_k", datetime.now(UTC), sessions.ACCESS_TTL)


def _endpoint() -> WebhookEndpoint:
    return WebhookEndpoint(
        "ten_keys", "whe_1", url="https://example.com/hook", secret_salt=signing.new_salt()
    )


def test_a_rotation_keeps_every_token_cursor_seal_and_webhook_secret_working():
    with keys(ring("a", a=OLD)):
        token = _token()
        cursor = pagination.encode_cursor(CTX, "things", {"k": {"S": "1"}})
        sealed = mfa.seal("mem_1", "JBSWY3DPEHPK3PXP")
        endpoint = _endpoint()
        secret = signing.current_secret(endpoint)
        assert jwt.get_unverified_header(token)["kid"] == "a"
        assert cursor.split(".")[1] == "a"
        assert sealed.startswith("a:")

    with keys(ring("b", a=OLD, b=NEW)):
        # Everything made under the old key still works ...
        assert credentials.verify_access(token)["sub"]
        assert pagination.decode_cursor(CTX, "things", cursor) == {"k": {"S": "1"}}
        assert mfa.unseal("mem_1", sealed) == "JBSWY3DPEHPK3PXP"
        assert signing.current_secret(endpoint) == secret  # the receiver changes nothing
        # ... and what is new is signed under the new one.
        assert jwt.get_unverified_header(_token())["kid"] == "b"
        assert signing.new_salt().startswith("b.")
        assert mfa.seal("mem_1", "JBSWY3DPEHPK3PXP").startswith("b:")


def test_a_retired_key_verifies_nothing_and_says_so(monkeypatch):
    monkeypatch.setattr(keyring, "RELOAD_INTERVAL_SECONDS", 3600.0)
    monkeypatch.setattr(keyring, "_last_reload", [float("inf")])  # no reload in this test
    with keys(ring("a", a=OLD)):
        token = _token()
        cursor = pagination.encode_cursor(CTX, "things", {"k": {"S": "1"}})
        sealed = mfa.seal("mem_1", "JBSWY3DPEHPK3PXP")
        endpoint = _endpoint()
    with keys(ring("b", b=NEW)):
        with pytest.raises(Unauthorized):
            credentials.verify_access(token)
        with pytest.raises(Invalid):
            pagination.decode_cursor(CTX, "things", cursor)
        assert mfa.unseal("mem_1", sealed) is None
        with pytest.raises(signing.RetiredKey, match="rotate its secret"):
            signing.current_secret(endpoint)


def test_a_token_under_an_unknown_key_id_is_refused_even_when_its_signature_is_right():
    with keys(ring("a", a=OLD)):
        claims = jwt.decode(_token(), options={"verify_signature": False})
        key = keyring.keyring().derive(credentials.TOKEN_PURPOSE)
        forged = jwt.encode(
            claims, key, algorithm="HS256", headers={"typ": credentials.ACCESS_TYPE, "kid": "zz"}
        )
        with pytest.raises(Unauthorized):
            credentials.verify_access(forged)
        for kid in (None, 7, ["a"]):  # PyJWT will not write these: made by hand
            header = {"alg": "HS256", "typ": credentials.ACCESS_TYPE, "kid": kid}
            with pytest.raises(Unauthorized):
                credentials.verify_access(_hs256(header, claims, key))


def _hs256(header: dict, claims: dict, key: bytes) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps(header).encode()) + "." + part(json.dumps(claims).encode())
    return head + "." + part(hmac.new(key, head.encode(), "sha256").digest())


def test_a_second_factor_sealed_under_an_older_key_is_sealed_again_when_used():
    with keys(ring("a", a=OLD)):
        member = TeamMember("ten_keys", "mem_1", totp_secret=mfa.seal("mem_1", "JBSWY3DPEHPK3PXP"))
        assert len(mfa.spend(member, 5)) == 1  # sealed under the active key: nothing to do
    with keys(ring("b", a=OLD, b=NEW)):
        actions = mfa.spend(member, 6)
        assert len(actions) == 2
        resealed = actions[1].values[1].value["S"]
        assert resealed.startswith("b:")
        assert mfa.unseal("mem_1", resealed) == "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "must be"),
        (ring("a", a="short"), "shorter than 32"),
        (ring("a", **{"a.b": OLD}), "key id"),
        (ring("c", a=OLD), "active key 'c'"),
    ],
)
def test_a_malformed_ring_is_refused_naming_the_setting(text, message):
    with pytest.raises(keyring.KeyRingError, match=message) as refused:
        keyring.parse(text, "PORTWAY_SECRET_KEYS")
    assert "PORTWAY_SECRET_KEYS" in str(refused.value)


@mock_aws
def test_the_ring_comes_from_ssm_once_per_process_and_again_for_an_unknown_key(monkeypatch):
    client = boto3.client("ssm", region_name="eu-central-1")
    client.put_parameter(Name="/portway/prod/keys", Value=ring("a", a=OLD), Type="SecureString")
    reads = []
    real = keyring._read_parameter
    monkeypatch.setattr(keyring, "_read_parameter", lambda *a: reads.append(a) or real(*a))
    monkeypatch.setattr(keyring, "_last_reload", [0.0])
    settings = Settings.from_env(deployed_env())
    monkeypatch.setattr(keyring, "get_settings", lambda: settings)
    keyring.forget()
    try:
        assert keyring.keyring().active == "a"
        assert keyring.keyring().active == "a"
        assert len(reads) == 1
        # Another function already signs under a new key: the first value naming it makes
        # this process read the ring again, once.
        client.put_parameter(
            Name="/portway/prod/keys",
            Value=ring("b", a=OLD, b=NEW),
            Type="SecureString",
            Overwrite=True,
        )
        assert keyring.verifying_key("portal access tokens", "b") is not None
        assert len(reads) == 2
        assert keyring.verifying_key("portal access tokens", "nope") is None
        assert len(reads) == 2  # an unknown id a moment later reads nothing
        # Retired: a warm process stops verifying the key once its copy is five minutes old.
        client.put_parameter(
            Name="/portway/prod/keys", Value=ring("b", b=NEW), Type="SecureString", Overwrite=True
        )
        assert keyring.verifying_key("portal access tokens", "a") is not None  # still fresh
        monkeypatch.setattr(keyring, "MAX_AGE_SECONDS", 0.0)
        assert keyring.verifying_key("portal access tokens", "a") is None
        assert len(reads) == 3
    finally:
        keyring.forget()


@mock_aws
def test_the_operator_commands_init_rotate_and_retire_the_ring(capsys, monkeypatch):
    monkeypatch.setenv("PORTWAY_SECRET_PARAMETER", "/portway/prod/keys")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    client = boto3.client("ssm", region_name="eu-central-1")
    first = keys_ops.init("/portway/prod/keys", client)
    with pytest.raises(keyring.KeyRingError, match="exists already"):
        keys_ops.init("/portway/prod/keys", client)
    second = keys_ops.rotate("/portway/prod/keys", client)
    assert second != first
    stored = client.get_parameter(Name="/portway/prod/keys", WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString"
    assert keyring.parse(stored["Value"], "x").active == second
    assert keys_ops.show("/portway/prod/keys", client) == sorted(
        [f"{first}\tverifies", f"{second}\tsigns and verifies"]
    )
    with pytest.raises(keyring.KeyRingError, match="active key"):
        keys_ops.retire("/portway/prod/keys", client, second)
    monkeypatch.setattr(keys_ops, "_client", lambda region=None: client)
    monkeypatch.setattr("portway_ops.stages.use_stage", lambda stage, stack=None: None)
    assert cli.main(["--stage", "prod", "keys", "retire", first]) == 0
    assert cli.main(["--stage", "prod", "keys", "show"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{second}\tsigns and verifies"
    assert cli.main(["--stage", "prod", "keys", "retire", "nope"]) == 1
    assert "not in the ring" in capsys.readouterr().err


@pytest.mark.parametrize(
    "missing", ["PORTWAY_PUBLIC_BASE_URL", "PORTWAY_MAIL_FROM", "PORTWAY_SECRET_PARAMETER"]
)
def test_a_deployed_stage_without_a_setting_refuses_to_start_and_names_it(missing):
    env = deployed_env()
    del env[missing]
    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(env)
    assert Settings.from_env(deployed_env()).public_base_url == "https://portal.example.com"


@pytest.mark.parametrize(
    "url", ["http://portal.example.com", "https://localhost:8000", "https://127.0.0.1", "https://"]
)
def test_a_deployed_stage_refuses_a_public_address_that_is_not_its_own_https(url):
    with pytest.raises(ConfigurationError, match="PORTWAY_PUBLIC_BASE_URL"):
        Settings.from_env(deployed_env(PORTWAY_PUBLIC_BASE_URL=url))


def test_the_cdns_origin_header_of_every_key_in_the_ring_is_believed():
    with keys(ring("a", a=OLD)):
        before = keyring.origin_header(keyring.keyring())
        assert keyring.from_the_cdn(before)
    with keys(ring("b", a=OLD, b=NEW)):
        assert keyring.from_the_cdn(before)  # the stack still sends it until redeployed
        assert keyring.from_the_cdn(keyring.origin_header(keyring.keyring()))
        assert not keyring.from_the_cdn("")
        assert not keyring.from_the_cdn(None)
    with keys(ring("b", b=NEW)):
        assert not keyring.from_the_cdn(before)


@mock_aws
def test_a_stage_from_before_key_rings_keeps_its_key_as_k0(monkeypatch):
    old = "an-old-single-key-from-the-environment-0123456789"
    with keys(ring("k0", k0=old)):  # the ring that single key amounted to
        sealed_before = mfa.seal("mem_1", "JBSWY3DPEHPK3PXP")
        endpoint = _endpoint()
        secret = signing.current_secret(endpoint)
    client = boto3.client("ssm", region_name="eu-central-1")
    new_id = keys_ops.init("/portway/prod/keys", client, current=old)
    stored = keyring.parse(
        client.get_parameter(Name="/portway/prod/keys", WithDecryption=True)["Parameter"]["Value"],
        "x",
    )
    assert stored.active == new_id
    assert stored.keys["k0"] == old.encode()
    with keys(
        client.get_parameter(Name="/portway/prod/keys", WithDecryption=True)["Parameter"]["Value"]
    ):
        assert mfa.unseal("mem_1", sealed_before) == "JBSWY3DPEHPK3PXP"
        assert signing.current_secret(endpoint) == secret
