"""Fleet, branding, tenant and API key changes record exactly one domain event each, in the
change's own transaction: the right type, object, customer, actor and a minimal payload
(never a secret). A refused change (404, 409, 422) records none."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import Conflict, Invalid
from chalicelib.ids import digest
from chalicelib.models import Event
from chalicelib.schemas.assets import AssetCreate, AssignmentSet
from chalicelib.schemas.customers import BusinessUnitCreate, CustomerCreate
from chalicelib.services.fleet import assets, assignments, customers
from chalicelib.services.fleet.assignments import MAX_CHANGES
from chalicelib.services.fleet.customers import MAX_BUSINESS_UNITS
from chalicelib.services.platform import api_keys, tenants
from chalicelib.tenancy import Actor, authenticate_api_key
from tests.conftest import Api, Tenant
from tests.samples import tiny_png

NOW = "2026-11-22T10:00:00Z"


def _events(api: Api, type_: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/events?type={type_}&limit=100")
    assert answer.status_code == 200, answer.body
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def _of(api: Api, type_: str, object_id: str) -> list[dict[str, Any]]:
    return [e for e in _events(api, type_) if e["object_id"] == object_id]


def _one(api: Api, type_: str, object_id: str) -> dict[str, Any]:
    found = _of(api, type_, object_id)
    assert len(found) == 1, (type_, object_id, found)
    return found[0]


@pytest.fixture
def writer(api: Api, tenant: Tenant) -> tuple[Api, str]:
    """A write key of the tenant and the actor its events name."""
    key = api_keys.issue(Actor(tenant.id, "test"), "writer", ["write"])
    return api.as_key(key.key), f"api_key:{key.id}"


@pytest.fixture
def admin(api: Api, tenant: Tenant) -> tuple[Api, str]:
    """A second admin key of the tenant and the actor its events name."""
    key = api_keys.issue(Actor(tenant.id, "test"), "admin", ["admin"])
    return api.as_key(key.key), f"api_key:{key.id}"


def _customer(api: Api, name: str = "Nordbau") -> str:
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    return str(created.json_body["id"])


def _asset(api: Api, name: str = "Excavator") -> str:
    created = api.post("/v1/assets", {"name": name})
    assert created.status_code == 201, created.body
    return str(created.json_body["id"])


def _theme(api: Api) -> dict[str, Any]:
    created = api.post("/v1/themes", {"name": "Nordbau"})
    assert created.status_code == 201, created.body
    theme: dict[str, Any] = created.json_body
    return theme


# --- customers -------------------------------------------------------------------------


def test_creating_a_customer_records_customer_created_by_the_caller(api, writer):
    client, actor = writer
    customer = _customer(client)
    event = _one(api, "customer.created", customer)
    assert (event["actor"], event["on_behalf_of"]) == (actor, None)
    assert (event["object_type"], event["customer_id"]) == ("customer", customer)
    assert event["data"] == {}


def test_a_refused_customer_creation_records_nothing(api):
    assert api.post("/v1/customers", {"name": ""}).status_code == 422
    assert _events(api, "customer.created") == []


def test_updating_a_customer_records_the_changed_fields(api, writer):
    client, actor = writer
    customer = _customer(api)
    patched = client.patch(f"/v1/customers/{customer}", {"name": "Nord", "email": None})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["version"] == 2
    event = _one(api, "customer.updated", customer)
    assert (event["actor"], event["customer_id"]) == (actor, customer)
    assert event["data"] == {"changed": ["email", "name"]}


def test_a_stale_or_invalid_customer_update_records_nothing(api):
    customer = _customer(api)
    stale = api.patch(f"/v1/customers/{customer}", {"name": "x"}, headers={"If-Match": '"9"'})
    assert stale.status_code == 409
    assert api.patch(f"/v1/customers/{customer}", {"name": None}).status_code == 422
    assert api.get(f"/v1/customers/{customer}").json_body["version"] == 1
    assert _events(api, "customer.updated") == []


def test_deleting_a_customer_records_customer_deleted(api, writer):
    client, actor = writer
    customer = _customer(api)
    assert client.delete(f"/v1/customers/{customer}").status_code == 204
    event = _one(api, "customer.deleted", customer)
    assert (event["actor"], event["customer_id"], event["data"]) == (actor, customer, {})


def test_a_refused_customer_deletion_records_nothing(api):
    customer, asset = _customer(api), _asset(api)
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": [asset]}).status_code == 200
    assert api.delete(f"/v1/customers/{customer}").status_code == 409
    assert api.delete(f"/v1/customers/{customer}", headers={"If-Match": '"9"'}).status_code == 409
    assert _events(api, "customer.deleted") == []


def test_adding_a_business_unit_records_it_for_its_customer(api, writer):
    client, actor = writer
    customer = _customer(api)
    unit = client.post(f"/v1/customers/{customer}/business-units", {"name": "North"})
    assert unit.status_code == 201, unit.body
    event = _one(api, "customer.business_unit_created", unit.json_body["id"])
    assert (event["object_type"], event["customer_id"]) == ("business_unit", customer)
    assert event["actor"] == actor


def test_a_refused_business_unit_records_nothing(api):
    customer = _customer(api)
    assert api.post(f"/v1/customers/{customer}/business-units", {"name": ""}).status_code == 422
    missing = api.post("/v1/customers/cus_00000000000000000000000000/business-units", {"name": "N"})
    assert missing.status_code == 404
    assert _events(api, "customer.business_unit_created") == []


# --- assignments -----------------------------------------------------------------------


def test_assigning_assets_records_the_ids_added_and_removed(api, writer):
    client, actor = writer
    customer = _customer(api)
    first, second, third = _asset(api, "1"), _asset(api, "2"), _asset(api, "3")
    path = f"/v1/customers/{customer}/assets"
    assert client.put(path, {"asset_ids": [first, second]}).status_code == 200
    assert client.put(path, {"asset_ids": [second, third]}).status_code == 200
    events = _of(api, "customer.assets_assigned", customer)
    assert [e["data"] for e in reversed(events)] == [
        {"added": [first, second], "removed": [], "moved": [], "business_unit_id": None},
        {"added": [third], "removed": [first], "moved": [], "business_unit_id": None},
    ]
    assert {(e["actor"], e["object_type"], e["customer_id"]) for e in events} == {
        (actor, "customer", customer)
    }


def test_moving_assigned_assets_into_a_unit_names_them_as_moved(api):
    customer, asset = _customer(api), _asset(api)
    unit = api.post(f"/v1/customers/{customer}/business-units", {"name": "North"}).json_body["id"]
    path = f"/v1/customers/{customer}/assets"
    assert api.put(path, {"asset_ids": [asset]}).status_code == 200
    assert api.put(path, {"asset_ids": [asset], "business_unit_id": unit}).status_code == 200
    latest = _of(api, "customer.assets_assigned", customer)[0]
    assert latest["data"] == {
        "added": [],
        "removed": [],
        "moved": [asset],
        "business_unit_id": unit,
    }


def test_a_put_that_changes_nothing_still_records_its_one_event(api):
    customer = _customer(api)
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": []}).status_code == 200
    event = _one(api, "customer.assets_assigned", customer)
    assert event["data"] == {"added": [], "removed": [], "moved": [], "business_unit_id": None}


def test_a_refused_assignment_records_nothing(api):
    holder, other, asset = _customer(api, "Holder"), _customer(api, "Other"), _asset(api)
    assert api.put(f"/v1/customers/{holder}/assets", {"asset_ids": [asset]}).status_code == 200
    taken = api.put(f"/v1/customers/{other}/assets", {"asset_ids": [asset]})
    assert taken.status_code == 409
    unknown = api.put(f"/v1/customers/{other}/assets", {"asset_ids": ["ast_nope"]})
    assert unknown.status_code == 422
    assert _of(api, "customer.assets_assigned", other) == []
    assert len(_of(api, "customer.assets_assigned", holder)) == 1


# --- assets and telemetry --------------------------------------------------------------


def test_creating_updating_and_deleting_an_asset_records_one_event_each(api, writer):
    client, actor = writer
    asset = _asset(client)
    assert client.patch(f"/v1/assets/{asset}", {"serial_number": "S-1"}).status_code == 200
    assert client.delete(f"/v1/assets/{asset}").status_code == 204
    created = _one(api, "asset.created", asset)
    updated = _one(api, "asset.updated", asset)
    deleted = _one(api, "asset.deleted", asset)
    assert {e["actor"] for e in (created, updated, deleted)} == {actor}
    assert {e["object_type"] for e in (created, updated, deleted)} == {"asset"}
    assert updated["data"] == {"changed": ["serial_number"]}
    assert created["data"] == deleted["data"] == {}


def test_an_assigned_assets_update_names_its_customer(api):
    customer, asset = _customer(api), _asset(api)
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": [asset]}).status_code == 200
    assert api.patch(f"/v1/assets/{asset}", {"name": "Renamed"}).status_code == 200
    assert _one(api, "asset.updated", asset)["customer_id"] == customer


def test_refused_asset_changes_record_nothing(api):
    assert api.post("/v1/assets", {"name": "x", "kind": "spaceship"}).status_code == 422
    asset = _asset(api)
    assert api.patch(f"/v1/assets/{asset}", {"name": None}).status_code == 422
    stale = api.patch(f"/v1/assets/{asset}", {"name": "y"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 409
    customer = _customer(api)
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": [asset]}).status_code == 200
    assert api.delete(f"/v1/assets/{asset}").status_code == 409
    assert len(_events(api, "asset.created")) == 1
    assert _events(api, "asset.updated") == _events(api, "asset.deleted") == []


def test_a_telemetry_report_records_asset_reported_in_its_one_transaction(api, writer, ddb_calls):
    client, actor = writer
    customer, asset = _customer(api), _asset(api)
    assert api.put(f"/v1/customers/{customer}/assets", {"asset_ids": [asset]}).status_code == 200
    ddb_calls.reset()
    report = client.post(f"/v1/assets/{asset}/events", {"time": NOW, "lat": 1.0, "lon": 2.0})
    assert report.status_code == 201, report.body
    assert ddb_calls.calls["TransactWriteItems"] == 1
    assert ddb_calls.calls["PutItem"] == ddb_calls.calls["UpdateItem"] == 0
    event = _one(api, "asset.reported", asset)
    assert (event["actor"], event["customer_id"]) == (actor, customer)
    assert event["data"] == {"event_id": report.json_body["id"], "time": NOW}


def test_a_refused_telemetry_report_records_nothing(api):
    asset = _asset(api)
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert api.post(f"/v1/assets/{asset}/events", {"time": future}).status_code == 422
    assert api.post(f"/v1/assets/{asset}/events", {"time": NOW, "lat": 1.0}).status_code == 422
    assert _events(api, "asset.reported") == []


# --- themes ----------------------------------------------------------------------------


def test_theme_changes_record_one_event_each(api, writer):
    client, actor = writer
    theme = _theme(client)["id"]
    patched = client.patch(f"/v1/themes/{theme}", {"colors": {"primary": "#112233"}})
    assert patched.status_code == 200, patched.body
    logo = client.put(
        f"/v1/themes/{theme}/logo?size=large",
        raw=tiny_png(),
        headers={"Content-Type": "image/png"},
    )
    assert logo.status_code == 200, logo.body
    assert logo.json_body["version"] == 3
    assert logo.json_body["colors"]["primary"] == "#112233"
    assert client.delete(f"/v1/themes/{theme}").status_code == 204
    found = {
        type_: _one(api, type_, theme)
        for type_ in ("theme.created", "theme.updated", "theme.logo_uploaded", "theme.deleted")
    }
    assert {(e["actor"], e["object_type"], e["customer_id"]) for e in found.values()} == {
        (actor, "theme", None)
    }
    assert found["theme.updated"]["data"] == {"changed": ["colors"]}
    assert found["theme.logo_uploaded"]["data"] == {"size": "large"}


def test_a_theme_answer_after_an_update_is_what_a_read_gives(api):
    theme = _theme(api)["id"]
    api.put(
        f"/v1/themes/{theme}/logo?size=small", raw=tiny_png(), headers={"Content-Type": "image/png"}
    )
    patched = api.patch(f"/v1/themes/{theme}", {"name": "Süd", "border_radius": 2})
    assert patched.status_code == 200, patched.body
    assert patched.json_body == api.get(f"/v1/themes/{theme}").json_body


def test_refused_theme_changes_record_nothing(api):
    assert api.post("/v1/themes", {"name": "x", "colors": {"primary": "red"}}).status_code == 422
    theme = _theme(api)["id"]
    stale = api.patch(f"/v1/themes/{theme}", {"name": "y"}, headers={"If-Match": '"5"'})
    assert stale.status_code == 409
    bad_logo = api.put(
        f"/v1/themes/{theme}/logo?size=small",
        raw=b"not a png",
        headers={"Content-Type": "image/png"},
    )
    assert bad_logo.status_code == 422
    assert api.delete(f"/v1/themes/{theme}", headers={"If-Match": '"5"'}).status_code == 409
    assert len(_events(api, "theme.created")) == 1
    for type_ in ("theme.updated", "theme.logo_uploaded", "theme.deleted"):
        assert _events(api, type_) == [], type_


# --- the tenant ------------------------------------------------------------------------


def test_a_new_tenant_records_tenant_created_by_the_operator(backend):
    created = tenants.create_tenant("Evented Rental")
    tenant_id = created.tenant.id
    (event,) = [e for e in Event.query(tenant_id) if e.type == "tenant.created"]
    assert (event.actor, event.on_behalf_of) == ("operator", None)
    assert (event.object_type, event.object_id, event.customer_id) == ("tenant", tenant_id, None)
    assert event.data == {"slug": created.tenant.slug, "api_key_id": created.api_key_id}
    assert created.api_key not in json.dumps(event.data)


def test_setting_embedding_records_the_origins(api, admin):
    client, actor = admin
    origins = ["https://shop.example.com", "https://www.example.com"]
    assert client.put("/v1/settings/embedding", {"allowed_origins": origins}).status_code == 200
    (event,) = _events(api, "tenant.embedding_updated")
    assert (event["actor"], event["object_type"]) == (actor, "tenant")
    assert event["data"] == {"allowed_origins": origins}
    assert api.get("/v1/settings/embedding").json_body == {"allowed_origins": origins}


def test_refused_embedding_records_nothing(api):
    bad = api.put("/v1/settings/embedding", {"allowed_origins": ["http://shop.example.com"]})
    assert bad.status_code == 422
    assert _events(api, "tenant.embedding_updated") == []


def test_rendering_pages_records_how_many_were_rendered(api, admin, tenant):
    client, actor = admin
    rendered = client.post("/v1/pages/render")
    assert rendered.status_code == 200, rendered.body
    event = _one(api, "tenant.pages_rendered", tenant.id)
    assert event["actor"] == actor
    assert event["data"] == {"pages": rendered.json_body["pages"]}


# --- API keys and tracking sessions ------------------------------------------------------


def test_a_new_api_key_is_recorded_without_its_secret(api, admin):
    client, actor = admin
    made = client.post("/v1/api-keys", {"name": "CI", "scopes": ["write", "read"]})
    assert made.status_code == 201, made.body
    event = _one(api, "api_key.created", made.json_body["id"])
    assert (event["actor"], event["object_type"]) == (actor, "api_key")
    assert event["data"] == {"name": "CI", "scopes": ["read", "write"]}
    text = json.dumps(event)
    assert made.json_body["key"] not in text
    assert digest(made.json_body["key"]) not in text


def test_an_operator_key_names_the_operator(api, tenant):
    key = api_keys.issue(Actor(tenant.id, "operator"), "ops", ["read"])
    assert _one(api, "api_key.created", key.id)["actor"] == "operator"


def test_a_refused_api_key_records_nothing(api):
    assert api.post("/v1/api-keys", {"name": "x", "scopes": ["root"]}).status_code == 422
    assert _events(api, "api_key.created") == []


def test_revoking_a_key_records_api_key_revoked_once_per_request(api, admin):
    client, actor = admin
    made = api.post("/v1/api-keys", {"name": "Temp"}).json_body
    assert client.delete(f"/v1/api-keys/{made['id']}").status_code == 204
    event = _one(api, "api_key.revoked", made["id"])
    assert (event["actor"], event["object_type"], event["data"]) == (actor, "api_key", {})
    # Revoking it again changes nothing, answers the same, and is in the log as a request.
    assert client.delete(f"/v1/api-keys/{made['id']}").status_code == 204
    assert len(_of(api, "api_key.revoked", made["id"])) == 2


def test_revoking_an_unknown_key_records_nothing(api):
    assert api.delete("/v1/api-keys/key_00000000000000000000000000").status_code == 404
    assert _events(api, "api_key.revoked") == []


def test_a_tracking_session_records_its_start_and_its_revocation(api, tenant):
    key = api_keys.issue(Actor(tenant.id, "test"), "tracker", ["write"])
    client = api.as_key(key.key)
    started = client.post("/v1/tracking/sessions", {})
    assert started.status_code == 201, started.body
    session, secret = started.json_body["id"], started.json_body["url"].rpartition("=")[2]
    event = _one(api, "tracking.session_started", session)
    assert (event["actor"], event["object_type"]) == (f"api_key:{key.id}", "tracking_session")
    assert event["data"] == {"parent_key_id": key.id, "expires_at": started.json_body["expires_at"]}
    assert secret not in json.dumps(event)
    assert digest(secret) not in json.dumps(event)

    assert client.delete(f"/v1/tracking/sessions/{session}").status_code == 204
    revoked = _one(api, "tracking.session_revoked", session)
    assert (revoked["actor"], revoked["object_type"]) == (f"api_key:{key.id}", "tracking_session")


def test_a_refused_tracking_session_records_nothing(api):
    secret = api.post("/v1/tracking/sessions", {}).json_body["url"].rpartition("=")[2]
    assert api.as_key(secret).post("/v1/tracking/sessions", {}).status_code == 403
    assert api.post("/v1/tracking/sessions", {"minutes": 0}).status_code == 422
    assert len(_events(api, "tracking.session_started")) == 1
    assert api.delete("/v1/tracking/sessions/key_00000000000000000000000000").status_code == 404
    assert _events(api, "tracking.session_revoked") == []


# --- the largest changes still fit one transaction with their event ------------------------


def test_the_largest_assignment_commits_with_its_event_and_one_more_is_422(api, tenant):
    ctx = authenticate_api_key(f"Bearer {tenant.key}")
    customer = customers.create(ctx, CustomerCreate(name="Large"))
    ids = [assets.create(ctx, AssetCreate(name=f"A{i}")).id for i in range(MAX_CHANGES + 1)]
    too_many = AssignmentSet(asset_ids=ids)
    with pytest.raises(Invalid):
        assignments.set_customer_assets(ctx, customer.id, too_many)
    done = assignments.set_customer_assets(ctx, customer.id, AssignmentSet(asset_ids=ids[:-1]))
    assert len(done.items) == MAX_CHANGES
    (event,) = _of(api, "customer.assets_assigned", customer.id)
    assert event["data"]["added"] == ids[:-1]


def test_a_customer_with_the_most_business_units_is_deleted_with_its_event(api, tenant):
    ctx = authenticate_api_key(f"Bearer {tenant.key}")
    customer = customers.create(ctx, CustomerCreate(name="Many units"))
    for i in range(MAX_BUSINESS_UNITS):
        customers.add_business_unit(ctx, customer.id, BusinessUnitCreate(name=f"U{i}"))
    with pytest.raises(Conflict):
        customers.add_business_unit(ctx, customer.id, BusinessUnitCreate(name="One more"))
    customers.delete(ctx, customer.id)
    assert _one(api, "customer.deleted", customer.id)["customer_id"] == customer.id
    assert len(_events(api, "customer.business_unit_created")) == MAX_BUSINESS_UNITS
