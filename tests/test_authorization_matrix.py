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
from tests.samples import PUBLIC, READ_PATHS, body_for, call, make_objects, object_kind

ROUTES = sorted((method, path) for path, methods in app.routes.items() for method in methods)


@pytest.fixture
def objects_of_a(api):
    return make_objects(api)


def test_every_route_is_declared_with_its_operation():
    declared = {(o.method, o.path) for o in OPERATIONS}
    assert set(ROUTES) == declared
    public = {(o.method, o.path) for o in OPERATIONS if o.auth == "public"}
    assert public == PUBLIC, "a route became public: add it to tests/samples.py PUBLIC if meant"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_without_credentials_is_401(anonymous, method, path, backend):
    concrete = re.sub(r"{\w+}", "cus_x", path)
    if (method, path) in PUBLIC:
        assert anonymous.request(method, concrete).status_code in (200, 404)
        return
    response = anonymous.request(method, concrete, body_for(method, path))
    assert response.status_code == 401, (method, path, response.body)
    assert json.loads(response.body)["status"] == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_with_other_tenants_key_never_reaches_this_tenants_data(
    api, other_api, objects_of_a, method, path
):
    if (method, path) in PUBLIC:
        return
    before = {k: api.get(READ_PATHS[k].format(v)).json_body for k, v in objects_of_a.items()}
    response = call(other_api, method, path, objects_of_a)
    if object_kind(path) is None:
        assert response.status_code < 400, (method, path, response.body)
        leaked = [v for v in objects_of_a.values() if v in response.body.decode()]
        assert leaked == [], (method, path)
    else:
        assert response.status_code == 404, (method, path, response.body)
    after = {k: api.get(READ_PATHS[k].format(v)).json_body for k, v in objects_of_a.items()}
    assert after == before
