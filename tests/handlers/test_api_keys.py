"""The caller's tenant and its API keys over HTTP: secrets, scopes, revocation, isolation."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import problem


def _new_key(api, name="CI", scopes=None):
    body = {"name": name} if scopes is None else {"name": name, "scopes": scopes}
    created = api.post("/v1/api-keys", body)
    assert created.status_code == 201, created.body
    return created.json_body


def _text(response):
    body = response.body
    return body.decode() if isinstance(body, bytes) else (body or "")


def _unauthorized(response):
    body = problem(response)
    assert body["status"] == 401
    assert body["type"] == "urn:portway:problem:unauthorized"
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    return body


def _forbidden(response):
    body = problem(response)
    assert body["status"] == 403
    assert body["type"] == "urn:portway:problem:forbidden"
    return body


# --- the tenant ---------------------------------------------------------------------


def test_get_tenant_returns_the_callers_tenant(api, tenant):
    response = api.get("/v1/tenant")
    assert response.status_code == 200
    body = response.json_body
    assert body["id"] == tenant.id
    assert body["public_id"] == tenant.public_id
    assert body["slug"] == tenant.slug
    assert body["name"] == "Tenant A"


def test_get_tenant_is_each_callers_own(api, other_api, tenant, other_tenant):
    assert api.get("/v1/tenant").json_body["id"] == tenant.id
    assert other_api.get("/v1/tenant").json_body["id"] == other_tenant.id
    assert tenant.id != other_tenant.id


# --- creating, reading, listing -----------------------------------------------------


def test_create_key_returns_a_long_secret_once(api):
    created = api.post("/v1/api-keys", {"name": "CI pipeline", "scopes": ["read", "write"]})
    assert created.status_code == 201
    body = created.json_body
    key = body["key"]
    assert key.startswith("pwk_")
    secret = key[len("pwk_") :]
    decoded = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    assert len(decoded) >= 32  # 256 bits
    assert body["id"].startswith("key_")
    assert body["name"] == "CI pipeline"
    assert body["scopes"] == ["read", "write"]
    assert body["revoked_at"] is None
    assert body["created_at"].endswith("Z")
    assert "hint" not in body  # no part of the secret is kept


def test_two_keys_have_different_secrets_and_ids(api):
    first, second = _new_key(api, "one"), _new_key(api, "two")
    assert first["key"] != second["key"]
    assert first["id"] != second["id"]


def test_new_key_works(api):
    key = _new_key(api, "worker", ["read", "write"])["key"]
    as_new = api.as_key(key)
    assert as_new.get("/v1/customers").status_code == 200
    assert as_new.post("/v1/customers", {"name": "Made by the new key"}).status_code == 201
    assert [c["name"] for c in api.get("/v1/customers").json_body["items"]] == [
        "Made by the new key"
    ]


def test_default_scopes_are_read_and_write(api):
    created = api.post("/v1/api-keys", {"name": "defaults"})
    assert created.status_code == 201
    assert created.json_body["scopes"] == ["read", "write"]


def test_listing_never_shows_a_secret(api, tenant):
    created = _new_key(api, "listed", ["read"])
    response = api.get("/v1/api-keys")
    assert response.status_code == 200
    listing = response.json_body
    assert listing["next_cursor"] is None
    assert len(listing["items"]) == 2  # the tenant's first key and the new one
    for item in listing["items"]:
        assert "key" not in item
        assert set(item) == {"id", "name", "scopes", "created_at", "revoked_at"}
    ids = [item["id"] for item in listing["items"]]
    assert ids[-1] == created["id"]  # oldest first
    assert created["key"] not in _text(response)
    assert tenant.key not in _text(response)
    entry = listing["items"][-1]
    assert entry == {k: v for k, v in created.items() if k != "key"}


def test_get_one_key(api, tenant):
    created = _new_key(api, "single", ["read"])
    response = api.get(f"/v1/api-keys/{created['id']}")
    assert response.status_code == 200
    assert response.json_body == {k: v for k, v in created.items() if k != "key"}
    assert created["key"] not in _text(response)
    assert tenant.key not in _text(response)


def test_unknown_key_id_is_404(api):
    body = problem(api.get("/v1/api-keys/key_01JD8XAAAAAAAAAAAAAAAAAAAA"))
    assert body["status"] == 404
    body = problem(api.delete("/v1/api-keys/key_01JD8XAAAAAAAAAAAAAAAAAAAA"))
    assert body["status"] == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["root"]},
        {"name": "x", "scopes": "admin"},
        {"name": ""},
        {"scopes": ["read"]},
        {"name": "x", "key": "pwk_chosen_by_the_caller_aaaaaaaaaaaaaaaaaaaaaaa"},
    ],
)
def test_invalid_key_requests_are_422_and_create_nothing(api, payload):
    body = problem(api.post("/v1/api-keys", payload))
    assert body["status"] == 422
    assert body["errors"]
    assert len(api.get("/v1/api-keys").json_body["items"]) == 1


# --- revoking -----------------------------------------------------------------------


def test_revoked_key_is_refused_on_the_next_request(api):
    created = _new_key(api, "to revoke", ["read", "write"])
    as_revoked = api.as_key(created["key"])
    assert as_revoked.get("/v1/customers").status_code == 200

    revoked = api.delete(f"/v1/api-keys/{created['id']}")
    assert revoked.status_code == 204
    assert _text(revoked) == ""

    _unauthorized(as_revoked.get("/v1/customers"))
    _unauthorized(as_revoked.post("/v1/customers", {"name": "after revocation"}))
    assert api.get("/v1/customers").json_body["items"] == []

    listed = {k["id"]: k for k in api.get("/v1/api-keys").json_body["items"]}
    assert listed[created["id"]]["revoked_at"] is not None
    assert listed[created["id"]]["revoked_at"].endswith("Z")
    assert api.get(f"/v1/api-keys/{created['id']}").json_body["revoked_at"] is not None

    # Revoking again is fine and changes nothing.
    revoked_at = listed[created["id"]]["revoked_at"]
    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    assert api.get(f"/v1/api-keys/{created['id']}").json_body["revoked_at"] == revoked_at
    _unauthorized(as_revoked.get("/v1/customers"))


def test_revoking_one_key_leaves_the_others_working(api, tenant):
    keep = _new_key(api, "keep")
    drop = _new_key(api, "drop")
    assert api.delete(f"/v1/api-keys/{drop['id']}").status_code == 204
    assert api.as_key(keep["key"]).get("/v1/customers").status_code == 200
    assert api.get("/v1/customers").status_code == 200
    assert api.get("/v1/api-keys").json_body["items"][0]["revoked_at"] is None


# --- scopes -------------------------------------------------------------------------


def test_read_key_can_read_but_not_write(api):
    reader = api.as_key(_new_key(api, "reader", ["read"])["key"])
    assert reader.get("/v1/customers").status_code == 200
    assert reader.get("/v1/tenant").status_code == 200

    body = _forbidden(reader.post("/v1/customers", {"name": "Not allowed"}))
    assert "write" in body["detail"]
    assert api.get("/v1/customers").json_body["items"] == []

    customer = api.post("/v1/customers", {"name": "Existing"}).json_body
    _forbidden(reader.patch(f"/v1/customers/{customer['id']}", {"name": "Changed"}))
    _forbidden(reader.delete(f"/v1/customers/{customer['id']}"))
    assert api.get(f"/v1/customers/{customer['id']}").json_body["name"] == "Existing"


def test_write_key_cannot_manage_keys(api):
    writer = api.as_key(_new_key(api, "writer", ["write"])["key"])
    assert writer.post("/v1/customers", {"name": "Fine"}).status_code == 201

    _forbidden(writer.get("/v1/api-keys"))
    _forbidden(writer.post("/v1/api-keys", {"name": "escalate", "scopes": ["admin"]}))
    first_key_id = api.get("/v1/api-keys").json_body["items"][0]["id"]
    _forbidden(writer.get(f"/v1/api-keys/{first_key_id}"))
    _forbidden(writer.delete(f"/v1/api-keys/{first_key_id}"))

    keys = api.get("/v1/api-keys").json_body["items"]
    assert [k["name"] for k in keys] == [keys[0]["name"], "writer"]
    assert all(k["revoked_at"] is None for k in keys)


def test_read_key_cannot_manage_keys(api):
    reader = api.as_key(_new_key(api, "reader", ["read"])["key"])
    _forbidden(reader.get("/v1/api-keys"))
    _forbidden(reader.post("/v1/api-keys", {"name": "escalate", "scopes": ["admin"]}))


def test_admin_key_can_manage_keys(api):
    admin = api.as_key(_new_key(api, "second admin", ["admin"])["key"])
    assert admin.get("/v1/api-keys").status_code == 200
    made = admin.post("/v1/api-keys", {"name": "made by admin", "scopes": ["read"]})
    assert made.status_code == 201
    assert admin.get(f"/v1/api-keys/{made.json_body['id']}").status_code == 200
    assert admin.delete(f"/v1/api-keys/{made.json_body['id']}").status_code == 204
    # admin implies write and read
    assert admin.post("/v1/customers", {"name": "By admin"}).status_code == 201
    assert admin.get("/v1/customers").status_code == 200


# --- credentials --------------------------------------------------------------------


def test_no_authorization_header_is_401(anonymous):
    _unauthorized(anonymous.get("/v1/customers"))
    _unauthorized(anonymous.get("/v1/tenant"))
    _unauthorized(anonymous.post("/v1/customers", {"name": "anon"}))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer ",
        "Bearer",
        "Basic xyz",
        "Basic cHdrX2FiYzpzZWNyZXQ=",
        "Bearer not-a-portway-key",
        "Bearer pwk_" + "A" * 43,
        "Bearer pwk_",
        "Bearer pwk_" + "A" * 500,
        "Token pwk_" + "A" * 43,
    ],
)
def test_bad_credentials_are_401(anonymous, api, authorization):
    _unauthorized(anonymous.get("/v1/customers", headers={"Authorization": authorization}))
    _unauthorized(
        anonymous.post("/v1/customers", {"name": "x"}, headers={"Authorization": authorization})
    )
    assert api.get("/v1/customers").json_body["items"] == []


def test_key_without_prefix_is_401(api, tenant):
    without_prefix = tenant.key[len("pwk_") :]
    _unauthorized(api.as_key(without_prefix).get("/v1/customers"))
    _unauthorized(api.as_key("sk_" + without_prefix).get("/v1/customers"))


def test_slightly_changed_key_is_401(api, tenant):
    last = tenant.key[-1]
    changed = tenant.key[:-1] + ("A" if last != "A" else "B")
    _unauthorized(api.as_key(changed).get("/v1/customers"))
    _unauthorized(api.as_key(tenant.key + "x").get("/v1/customers"))


def test_bearer_scheme_is_case_insensitive(anonymous, tenant):
    response = anonymous.get("/v1/tenant", headers={"Authorization": f"bearer {tenant.key}"})
    assert response.status_code == 200
    assert response.json_body["id"] == tenant.id


# --- isolation between tenants ------------------------------------------------------


def test_other_tenant_cannot_see_or_revoke_a_key(api, other_api):
    created = _new_key(api, "mine")
    problem_get = problem(other_api.get(f"/v1/api-keys/{created['id']}"))
    assert problem_get["status"] == 404
    problem_delete = problem(other_api.delete(f"/v1/api-keys/{created['id']}"))
    assert problem_delete["status"] == 404

    assert api.as_key(created["key"]).get("/v1/customers").status_code == 200
    assert api.get(f"/v1/api-keys/{created['id']}").json_body["revoked_at"] is None
    assert created["id"] not in _text(other_api.get("/v1/api-keys"))
    assert created["key"] not in _text(other_api.get("/v1/api-keys"))


def test_a_keys_tenant_is_the_one_that_made_it(api, other_api, tenant, other_tenant):
    mine = api.as_key(_new_key(api, "mine")["key"])
    theirs = other_api.as_key(_new_key(other_api, "theirs")["key"])
    mine.post("/v1/customers", {"name": "A's customer"})
    theirs.post("/v1/customers", {"name": "B's customer"})
    assert [c["name"] for c in api.get("/v1/customers").json_body["items"]] == ["A's customer"]
    assert [c["name"] for c in other_api.get("/v1/customers").json_body["items"]] == [
        "B's customer"
    ]


def test_tenant_header_is_ignored(api, other_api, other_tenant):
    for header in ("X-Tenant-Id", "X-Tenant", "Tenant-Id"):
        for value in (other_tenant.id, other_tenant.public_id, other_tenant.slug):
            response = api.get("/v1/tenant", headers={header: value})
            assert response.status_code == 200
            assert response.json_body["id"] != other_tenant.id

    created = api.post(
        "/v1/customers", {"name": "Header trick"}, headers={"X-Tenant-Id": other_tenant.id}
    )
    assert created.status_code == 201
    customer_id = created.json_body["id"]
    assert [c["id"] for c in api.get("/v1/customers").json_body["items"]] == [customer_id]
    assert other_api.get("/v1/customers").json_body["items"] == []
    assert other_api.get(f"/v1/customers/{customer_id}").status_code == 404
    # and reading with the header does not reach the other tenant's data either
    assert (
        api.get(
            f"/v1/customers/{customer_id}", headers={"X-Tenant-Id": other_tenant.id}
        ).status_code
        == 200
    )


def test_tenant_id_field_is_rejected(api, other_api, other_tenant):
    for field in ("tenant_id", "tenant"):
        body = problem(api.post("/v1/customers", {"name": "Field trick", field: other_tenant.id}))
        assert body["status"] == 422
        assert body["errors"] == [{"field": field, "message": "unknown field", "code": "unknown"}]
    body = problem(api.post("/v1/api-keys", {"name": "k", "tenant_id": other_tenant.id}))
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["tenant_id"]

    assert api.get("/v1/customers").json_body["items"] == []
    assert other_api.get("/v1/customers").json_body["items"] == []
    assert len(other_api.get("/v1/api-keys").json_body["items"]) == 1


def test_tenant_id_query_parameter_is_ignored(api, other_api, other_tenant):
    other_api.post("/v1/customers", {"name": "B's"})
    listed = api.get(f"/v1/customers?tenant_id={other_tenant.id}")
    assert listed.status_code == 200
    assert listed.json_body["items"] == []


# --- secrets at rest ------------------------------------------------------------------


def test_idempotent_key_creation_does_not_store_the_secret(api, backend):
    """Secrets are stored only as digests, also when the create is idempotent."""
    from chalicelib.models import Token

    headers = {"Idempotency-Key": "make-key-1"}
    created = api.post("/v1/api-keys", {"name": "idem"}, headers=headers)
    assert created.status_code == 201
    secret = created.json_body["key"]
    stored = [t.response_body or "" for t in Token.scan()]
    assert not any(secret in body for body in stored), "the plaintext secret is stored"
