"""API-key authentication, decided by each of its rules (issue 11, item 13): the Bearer
scheme and nothing else, the `pwk_` prefix, the length limit, the key's kind and expiry, the
consistent read that makes a revoked key fail on the very next request, and a derived key
(a tracking session) that works only while its parent key does. Each test uses a key that
is stored and otherwise valid, so that only the rule under test can refuse it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import credentials
from chalicelib.clock import utcnow
from chalicelib.errors import Unauthorized
from chalicelib.ids import digest
from chalicelib.models import ApiKey, Token, connection
from chalicelib.tenancy import authenticate_api_key, bearer_token, expand_scopes
from tests.conftest import problem


def _stored_key(tenant_id: str, secret: str, **fields: Any) -> str:
    """Store `secret` as an API key of the tenant, whatever its form; the secret."""
    item = Token(
        digest(secret),
        kind=credentials.API_KEY_KIND,
        tenant_id=tenant_id,
        subject_id="key_stored",
        scopes={"read"},
        created_at=utcnow(),
        **fields,
    )
    item.save()
    return secret


def _header(scheme: str, secret: str) -> str:
    return f"{scheme} {secret}"


# --- the scheme -----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_in_any_case_is_accepted(tenant, scheme):
    ctx = authenticate_api_key(_header(scheme, tenant.key))
    assert ctx.tenant_id == tenant.id


@pytest.mark.parametrize(
    "scheme", ["Token", "Basic", "Bearerx", "Bearer:", "Digest", "pwk", "Bear", "MAC"]
)
def test_a_valid_key_under_another_scheme_is_401(anonymous, tenant, scheme):
    with pytest.raises(Unauthorized) as refused:
        authenticate_api_key(_header(scheme, tenant.key))
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
    answer = anonymous.get("/v1/tenant", headers={"Authorization": _header(scheme, tenant.key)})
    assert problem(answer)["status"] == 401


@pytest.mark.parametrize("value", [None, "", " ", "Bearer", "Bearer ", "Bearer    "])
def test_no_token_is_401(value):
    with pytest.raises(Unauthorized):
        bearer_token(value)


def test_the_token_is_what_follows_the_scheme_without_surrounding_spaces():
    assert bearer_token("Bearer  pwk_abc ") == "pwk_abc"
    assert bearer_token("  bearer pwk_abc") == "pwk_abc"


# --- the prefix and the length --------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "sk_", "pwr_", "pwi_", "PWK_", "pwk-", "xpwk_"])
def test_a_stored_key_without_the_pwk_prefix_is_401(tenant, prefix):
    secret = _stored_key(tenant.id, prefix + secrets.token_urlsafe(32))
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", secret))


def test_a_stored_key_of_200_characters_works_and_of_201_does_not(tenant):
    at_limit = _stored_key(tenant.id, "pwk_" + "A" * 196)
    over = _stored_key(tenant.id, "pwk_" + "B" * 197)
    assert (len(at_limit), len(over)) == (200, 201)
    assert authenticate_api_key(_header("Bearer", at_limit)).tenant_id == tenant.id
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", over))


def test_an_over_long_key_is_refused_without_a_read(tenant, ddb_calls):
    over = "pwk_" + "C" * 5000
    ddb_calls.reset()
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", over))
    assert ddb_calls.total == 0


# --- the stored item ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["refresh", "session", "invitation", "api_keyx", "rate"])
def test_a_stored_secret_of_another_kind_is_401(tenant, kind):
    secret = "pwk_" + secrets.token_urlsafe(32)
    _stored_key(tenant.id, secret)
    Token(digest(secret)).update(actions=[Token.kind.set(kind)])
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", secret))


def test_an_expired_key_is_401_a_second_after_its_end_and_works_a_second_before(tenant):
    now = utcnow()
    ending = _stored_key(tenant.id, "pwk_" + secrets.token_urlsafe(32), expires_at=now)
    assert authenticate_api_key(
        _header("Bearer", ending), clock=lambda: now - timedelta(seconds=1)
    ).tenant_id == (tenant.id)
    for late in (timedelta(seconds=1), timedelta(hours=47)):  # TTL deletes up to 48 h late
        with pytest.raises(Unauthorized):
            authenticate_api_key(_header("Bearer", ending), clock=lambda late=late: now + late)


def test_the_context_carries_the_keys_tenant_actor_and_expanded_scopes(tenant):
    ctx = authenticate_api_key(_header("Bearer", tenant.key), "203.0.113.5")
    assert ctx.tenant_id == tenant.id
    assert ctx.actor.startswith("api_key:key_")
    assert ctx.scopes == expand_scopes({"admin"})
    assert ctx.source_ip == "203.0.113.5"


# --- reads are consistent -------------------------------------------------------------------


@pytest.fixture
def get_item_params(backend) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every GetItem the test sends."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    events = connection().client.meta.events
    events.register("provide-client-params.dynamodb.GetItem", record)
    try:
        yield seen
    finally:
        events.unregister("provide-client-params.dynamodb.GetItem", record)


def test_the_key_is_read_consistently(tenant, get_item_params):
    authenticate_api_key(_header("Bearer", tenant.key))
    (read,) = get_item_params
    assert read["TableName"].endswith("tokens")
    assert read["ConsistentRead"] is True


def test_a_tracking_sessions_parent_key_is_read_consistently(api, tenant, get_item_params):
    secret = api.post("/v1/tracking/sessions", {}).json_body["url"].split("#session=")[1]
    get_item_params.clear()
    authenticate_api_key(_header("Bearer", secret))
    tables = [(p["TableName"].rsplit("-", 1)[-1], p.get("ConsistentRead")) for p in get_item_params]
    assert tables == [("tokens", True), ("keys", True)]


def test_a_revoked_key_fails_on_the_very_next_request(api):
    made = api.post("/v1/api-keys", {"name": "Short-lived", "scopes": ["read"]}).json_body
    key = api.as_key(made["key"])
    assert key.get("/v1/customers").status_code == 200
    assert api.delete(f"/v1/api-keys/{made['id']}").status_code in (200, 204)
    assert problem(key.get("/v1/customers"))["status"] == 401


# --- derived keys ---------------------------------------------------------------------------


def test_a_derived_key_whose_parent_is_gone_or_revoked_is_401(tenant):
    orphan = _stored_key(tenant.id, "pwk_" + secrets.token_urlsafe(32), source_id="key_gone")
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", orphan))
    parent = ApiKey(
        tenant.id,
        "key_parent",
        name="Parent",
        digest="-",
        scopes={"read"},
        created_at=utcnow(),
        created_by="test",
    )
    parent.save()
    child = _stored_key(tenant.id, "pwk_" + secrets.token_urlsafe(32), source_id="key_parent")
    assert authenticate_api_key(_header("Bearer", child)).tenant_id == tenant.id
    parent.update(actions=[ApiKey.revoked_at.set(utcnow())])
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", child))


def test_a_derived_key_names_a_parent_of_its_own_tenant_only(tenant, other_tenant):
    theirs = ApiKey(
        other_tenant.id,
        "key_theirs",
        name="Theirs",
        digest="-",
        scopes={"admin"},
        created_at=utcnow(),
        created_by="test",
    )
    theirs.save()
    child = _stored_key(tenant.id, "pwk_" + secrets.token_urlsafe(32), source_id="key_theirs")
    with pytest.raises(Unauthorized):
        authenticate_api_key(_header("Bearer", child))
