"""Every route, called without a key and with another tenant's key against this tenant's
objects: 401, or 404 as if the object did not exist, never data.

Routes are enumerated from the app itself, so a new route is covered (or fails here for
want of a sample) without anyone remembering to add it.
"""

from __future__ import annotations

import json
import re

import pytest

from app import app
from chalicelib.operations import OPERATIONS
from tests.samples import body_for, object_kind

PUBLIC = {("GET", "/v1/openapi.json"), ("GET", "/docs")}

ROUTES = sorted((method, path) for path, methods in app.routes.items() for method in methods)


@pytest.fixture
def objects_of_a(api):
    customer = api.post("/v1/customers", {"name": "A's customer"}).json_body
    asset = api.post("/v1/assets", {"name": "A's asset"}).json_body
    api.put(f"/v1/customers/{customer['id']}/assets", {"asset_ids": [asset["id"]]})
    key = api.post("/v1/api-keys", {"name": "A's read key", "scopes": ["read"]}).json_body
    return {"customer": customer["id"], "asset": asset["id"], "api_key": key["id"]}


def test_every_route_is_declared_with_its_operation():
    declared = {(o.method, o.path) for o in OPERATIONS}
    assert set(ROUTES) == declared


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_without_credentials_is_401(anonymous, method, path, backend):
    if (method, path) in PUBLIC:
        assert anonymous.request(method, path).status_code == 200
        return
    concrete = re.sub(r"{\w+}", "cus_x", path)
    response = anonymous.request(method, concrete, body_for(method, path))
    assert response.status_code == 401, (method, path, response.body)
    assert json.loads(response.body)["status"] == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_with_other_tenants_key_never_reaches_this_tenants_data(
    api, other_api, objects_of_a, method, path
):
    if (method, path) in PUBLIC:
        return
    kind = object_kind(path)
    before = {k: api.get(_read_path(k, v)).json_body for k, v in objects_of_a.items()}
    if kind is None:
        response = other_api.request(method, path, body_for(method, path))
        assert response.status_code < 400, (method, path, response.body)
        leaked = [v for v in objects_of_a.values() if v in response.body.decode()]
        assert leaked == [], (method, path)
    else:
        concrete = path.replace("{id}", objects_of_a[kind])
        response = other_api.request(method, concrete, body_for(method, path))
        assert response.status_code == 404, (method, path, response.body)
        assert objects_of_a[kind] not in json.loads(response.body)["title"]
    after = {k: api.get(_read_path(k, v)).json_body for k, v in objects_of_a.items()}
    assert after == before


def _read_path(kind: str, object_id: str) -> str:
    return {"customer": "/v1/customers/", "asset": "/v1/assets/", "api_key": "/v1/api-keys/"}[
        kind
    ] + object_id
