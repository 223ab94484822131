"""Every route, called without a key and with another tenant's key against this tenant's
objects: 401, or 404 as if the object did not exist, never data.

Routes are enumerated from the app itself, so a new route is covered (or fails here for
want of a sample) without anyone remembering to add it. Tenancy is decided in the code, not
the store, so the matrix runs on moto; one set of objects serves the module, since a test
that changed them would fail anyway.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from types import SimpleNamespace

import pytest

from app import app
from chalicelib.operations import OPERATIONS
from tests.conftest import Api, make_tenant
from tests.samples import (
    ANONYMOUS,
    OPEN,
    PUBLIC,
    READ_PATHS,
    REFERENCING,
    body_for,
    call,
    make_objects,
    object_kind,
    portal_session,
)

ROUTES = sorted((method, path) for path, methods in app.routes.items() for method in methods)
ON_MOTO = pytest.mark.parametrize("backend", ["moto"], indirect=True)


@pytest.fixture(scope="module")
def world(backend, chalice_client):
    """Tenant A with one object of every kind; tenant B with a portal and its session."""
    a = Api(chalice_client, make_tenant("Tenant A").key)
    b = Api(chalice_client, make_tenant("Tenant B").key)
    objects = make_objects(a)
    customer = b.post("/v1/customers", {"name": "B's customer"}).json_body["id"]
    b.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment", "activity", "support"]})
    # B's people use the support app: A's tickets are unknown to them, not forbidden.
    area = b.post("/v1/ticket-areas", {"name": "B's area"}).json_body["id"]
    b.put(
        f"/v1/customers/{customer}/support", {"active": True, "areas": [area], "ticket_types": []}
    )
    portal_session(b, customer, "b-admin@example.com")
    slug = b.get("/v1/tenant").json_body["slug"]
    return SimpleNamespace(a=a, b=b, objects=objects, b_slug=slug)


def _b_session(world) -> str:
    """A fresh session of tenant B's portal user (a test may sign out the one before)."""
    signed_in = world.b.as_key(None).post(
        "/v1/portal/sessions",
        {
            "tenant": world.b_slug,
            "email": "b-admin@example.com",
            "password": "a long and uncommon passphrase",
        },
    )
    assert signed_in.status_code == 200, signed_in.body
    return str(signed_in.json_body["access_token"])


def _text_of(response) -> str:
    """What an answer says, an Excel file's sheets included (a zip of XML parts)."""
    if response.body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(response.body)) as book:
            return "".join(book.read(n).decode() for n in book.namelist())
    return str(response.body.decode())


def _snapshot(world) -> dict[str, object]:
    return {
        k: world.a.get(READ_PATHS[k].format(v)).json_body
        for k, v in world.objects.items()
        if k in READ_PATHS
    }


def test_every_route_is_declared_with_its_operation():
    declared = {(o.method, o.path) for o in OPERATIONS}
    assert set(ROUTES) == declared
    public = {(o.method, o.path) for o in OPERATIONS if o.auth == "public"}
    assert public == PUBLIC, "a route became public: add it to tests/samples.py PUBLIC if meant"
    anonymous = {(o.method, o.path) for o in OPERATIONS if o.auth == "anonymous"}
    assert anonymous == ANONYMOUS, "a route takes no credentials: add it to ANONYMOUS if meant"


@ON_MOTO
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_without_credentials_is_401(anonymous, method, path, backend):
    concrete = re.sub(r"{\w+}", "cus_x", path)
    if (method, path) in PUBLIC:  # as a browser asks (Chalice needs Accept for binaries)
        answer = anonymous.request(method, concrete, headers={"Accept": "*/*"})
        assert answer.status_code in (200, 302, 404), (method, path, answer.status_code)
        return
    if (method, path) in OPEN:  # no secret to lack: an unknown slug is not found, or
        # the answer says nothing either way (a reset link asked for)
        answer = anonymous.request(method, concrete, body_for(method, path))
        assert answer.status_code in (202, 404), (method, path, answer.body)
        assert not answer.body or json.loads(answer.body).get("status") == 404
        return
    response = anonymous.request(method, concrete, body_for(method, path))
    assert response.status_code == 401, (method, path, response.body)
    assert json.loads(response.body)["status"] == 401


@ON_MOTO
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_with_other_tenants_key_never_reaches_this_tenants_data(world, method, path):
    if (method, path) in PUBLIC | ANONYMOUS:
        return
    before = _snapshot(world)
    response = call(world.b, method, path, world.objects)
    if _auth(method, path) in ("portal", "self_service", "staff"):
        assert response.status_code == 401, (method, path, response.body)  # a key is no session
    elif (method, path) in REFERENCING:  # this tenant's ids are unknown to the other
        assert response.status_code == 422, (method, path, response.body)
    elif object_kind(path) is None:
        assert response.status_code < 400, (method, path, response.body)
        leaked = [v for v in world.objects.values() if v in _text_of(response)]
        assert leaked == [], (method, path)
    else:
        assert response.status_code == 404, (method, path, response.body)
    assert _snapshot(world) == before


def _auth(method: str, path: str) -> str:
    return next(o.auth for o in OPERATIONS if (o.method, o.path) == (method, path))


PORTAL_ROUTES = sorted((o.method, o.path) for o in OPERATIONS if o.auth == "portal")


@ON_MOTO
@pytest.mark.parametrize(("method", "path"), PORTAL_ROUTES)
def test_portal_route_with_other_tenants_session_never_reaches_this_tenants_data(
    world, method, path
):
    before = _snapshot(world)
    response = call(world.b.as_key(_b_session(world)), method, path, world.objects)
    if object_kind(path) is not None:
        assert response.status_code == 404, (method, path, response.body)
    else:
        leaked = [v for v in world.objects.values() if v in _text_of(response)]
        assert leaked == [], (method, path)
    assert _snapshot(world) == before
