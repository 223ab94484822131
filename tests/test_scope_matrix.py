"""Every API-key operation, called with a read-only key and with a write key: a read key
may only read, a write key may do everything but admin, and a refusal is a 403
problem+json. Operations are enumerated from the registry, so a new one is covered (or
fails here for want of a sample) without anyone remembering to add it.
"""

from __future__ import annotations

import pytest

from app import app  # noqa: F401  (importing the app registers every operation)
from chalicelib.operations import OPERATIONS, Operation
from chalicelib.services.platform import api_keys
from chalicelib.tenancy import Actor
from tests.conftest import problem
from tests.samples import call, kinds_for, make_objects

# Scopes are decided in the code, not the store: moto is enough.
ON_MOTO = pytest.mark.parametrize("backend", ["moto"], indirect=True)
API_KEY_OPERATIONS = sorted(
    (o for o in OPERATIONS if o.auth == "api_key"), key=lambda o: (o.path, o.method)
)


def _id(op: Operation) -> str:
    return f"{op.method} {op.path}"


@pytest.fixture
def samples(api, request):
    """Real objects of the tenant: the kind the operation's path names (and what the
    snapshot of refused changes reads)."""
    op = request.node.callspec.params["op"]
    # Unassigned, so that deleting the asset is allowed; a portal user only for the routes
    # that name one.
    kinds, portal_user = kinds_for(op.method, op.path)
    return make_objects(api, assigned=False, portal_user=portal_user, kinds=kinds)


def _call(api, key: str, op: Operation, samples: dict[str, str]):
    return call(api.as_key(key), op.method, op.path, samples)


def _assert_forbidden(response, op: Operation) -> None:
    assert response.status_code == 403, (_id(op), response.status_code, response.body)
    body = problem(response)
    assert body["type"] == "urn:portway:problem:forbidden"


def _assert_allowed(response, op: Operation) -> None:
    # Not refused for want of scope, and actually done: the key and the sample are valid.
    assert response.status_code not in (401, 403), (_id(op), response.status_code, response.body)
    assert response.status_code < 300, (_id(op), response.status_code, response.body)


def test_there_are_operations_of_every_scope():
    scopes = {o.scope for o in API_KEY_OPERATIONS}
    assert scopes == {"read", "write", "admin", "tracking", "tickets"}


@ON_MOTO
@pytest.mark.parametrize("op", API_KEY_OPERATIONS, ids=_id)
def test_read_key_may_only_read(api, tenant, samples, op):
    read_key = api_keys.issue(Actor(tenant.id, "test"), "r", ["read"]).key
    response = _call(api, read_key, op, samples)
    if op.method != "GET" or op.scope == "admin":
        _assert_forbidden(response, op)
    else:
        _assert_allowed(response, op)


@ON_MOTO
@pytest.mark.parametrize("op", API_KEY_OPERATIONS, ids=_id)
def test_write_key_may_do_everything_but_admin(api, tenant, samples, op):
    write_key = api_keys.issue(Actor(tenant.id, "test"), "w", ["write"]).key
    response = _call(api, write_key, op, samples)
    if op.scope == "admin":
        _assert_forbidden(response, op)
    else:
        _assert_allowed(response, op)


@ON_MOTO
@pytest.mark.parametrize("op", [o for o in API_KEY_OPERATIONS if o.method != "GET"], ids=_id)
def test_refused_read_key_changes_nothing(api, tenant, samples, op):
    read_key = api_keys.issue(Actor(tenant.id, "test"), "r", ["read"]).key
    before = _snapshot(api, samples)
    _assert_forbidden(_call(api, read_key, op, samples), op)
    assert _snapshot(api, samples) == before


def _snapshot(api, samples: dict[str, str]) -> dict[str, object]:
    return {
        "customer": api.get(f"/v1/customers/{samples['customer']}").json_body,
        "asset": api.get(f"/v1/assets/{samples['asset']}").json_body,
        "api_key": api.get(f"/v1/api-keys/{samples['api_key']}").json_body,
        "customers": api.get("/v1/customers").json_body,
        "assets": api.get("/v1/assets").json_body,
        "units": api.get(f"/v1/customers/{samples['customer']}/business-units").json_body,
        "events": api.get(f"/v1/assets/{samples['asset']}/events").json_body,
    }
