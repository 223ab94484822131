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
from tests.samples import (
    ANONYMOUS,
    PUBLIC,
    READ_PATHS,
    body_for,
    call,
    make_objects,
    object_kind,
    portal_session,
)

ROUTES = sorted((method, path) for path, methods in app.routes.items() for method in methods)


@pytest.fixture
def objects_of_a(api):
    return make_objects(api)


def test_every_route_is_declared_with_its_operation():
    declared = {(o.method, o.path) for o in OPERATIONS}
    assert set(ROUTES) == declared
    public = {(o.method, o.path) for o in OPERATIONS if o.auth == "public"}
    assert public == PUBLIC, "a route became public: add it to tests/samples.py PUBLIC if meant"
    anonymous = {(o.method, o.path) for o in OPERATIONS if o.auth == "anonymous"}
    assert anonymous == ANONYMOUS, "a route takes no credentials: add it to ANONYMOUS if meant"


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
    if (method, path) in PUBLIC | ANONYMOUS:
        return
    before = {
        k: api.get(READ_PATHS[k].format(v)).json_body
        for k, v in objects_of_a.items()
        if k in READ_PATHS
    }
    response = call(other_api, method, path, objects_of_a)
    if _auth(method, path) == "portal":
        assert response.status_code == 401, (method, path, response.body)  # a key is no session
    elif object_kind(path) is None:
        assert response.status_code < 400, (method, path, response.body)
        leaked = [v for v in objects_of_a.values() if v in response.body.decode()]
        assert leaked == [], (method, path)
    else:
        assert response.status_code == 404, (method, path, response.body)
    after = {
        k: api.get(READ_PATHS[k].format(v)).json_body
        for k, v in objects_of_a.items()
        if k in READ_PATHS
    }
    assert after == before


def _auth(method: str, path: str) -> str:
    return next(o.auth for o in OPERATIONS if (o.method, o.path) == (method, path))


PORTAL_ROUTES = sorted((o.method, o.path) for o in OPERATIONS if o.auth == "portal")


@pytest.mark.parametrize(("method", "path"), PORTAL_ROUTES)
def test_portal_route_with_other_tenants_session_never_reaches_this_tenants_data(
    api, other_api, objects_of_a, method, path
):
    before = {
        k: api.get(READ_PATHS[k].format(v)).json_body
        for k, v in objects_of_a.items()
        if k in READ_PATHS
    }
    other_customer = other_api.post("/v1/customers", {"name": "B's customer"}).json_body["id"]
    other_api.put(f"/v1/customers/{other_customer}/portal", {"apps": ["equipment", "activity"]})
    session = portal_session(other_api, other_customer, "b-admin@example.com")
    response = call(other_api.as_key(session["access_token"]), method, path, objects_of_a)
    if object_kind(path) is not None:
        assert response.status_code == 404, (method, path, response.body)
    else:
        leaked = [v for v in objects_of_a.values() if v in response.body.decode()]
        assert leaked == [], (method, path)
    after = {
        k: api.get(READ_PATHS[k].format(v)).json_body
        for k, v in objects_of_a.items()
        if k in READ_PATHS
    }
    assert after == before
