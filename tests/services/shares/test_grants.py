"""Shares as the sender grants them and the partner receives them: create, list, get and
revoke on both sides; bad input refused field by field with nothing written; a revoked or
ended share stops at once; nobody else finds a share; every read of shared data is logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import Forbidden
from chalicelib.schemas.shares import ShareCreate, ShipmentNumberPut
from chalicelib.services.shares import shares as share_service
from chalicelib.tenancy import TenantContext, expand_scopes
from tests.conftest import Api, make_tenant, problem
from tests.services.shares.conftest import report, share


def _all(api: Api, path: str, limit: int = 100) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(path + query)
        assert answer.status_code == 200, answer.body
        items += answer.json_body["items"]
        cursor = answer.json_body["next_cursor"]
        if cursor is None:
            return items


def _log(carrier, share_id: str) -> list[dict[str, Any]]:
    """The share's access log as its sender reads it."""
    return _all(carrier.api, f"/v1/shares/{share_id}/access-log")


def _partner_ctx(carrier) -> TenantContext:
    return TenantContext(
        tenant_id=carrier.partner_tenant.id,
        actor="api_key:key_test",
        scopes=expand_scopes({"read", "write"}),
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- create, list, get, revoke -----------------------------------------------------------------


def test_a_share_is_seen_by_both_sides_and_revoking_it_twice_is_204(carrier, tenant):
    devices = carrier.devices[:2]
    granted = share(carrier, devices, contact_email="dispo@shipper.example")
    assert granted["id"].startswith("shr_")
    assert granted["partner_tenant_id"] == carrier.partner_tenant.public_id
    assert granted["asset_ids"] == [d["id"] for d in devices]
    assert granted["contact_email"] == "dispo@shipper.example"
    assert granted["status"] == "active"
    assert granted["expires_at"] is None
    assert granted["revoked_at"] is None

    got = carrier.api.get(f"/v1/shares/{granted['id']}")
    assert got.status_code == 200, got.body
    assert got.json_body == granted
    assert _all(carrier.api, "/v1/shares") == [granted]

    received = carrier.partner.get(f"/v1/received-shares/{granted['id']}")
    assert received.status_code == 200, received.body
    assert received.json_body == {
        "id": granted["id"],
        "name": "Tour Hamburg-Köln",
        "sender_tenant_id": tenant.public_id,
        "sender_name": "Tenant A",
        "contact_email": "dispo@shipper.example",
        "asset_count": 2,
        "status": "active",
        "expires_at": None,
        "created_at": granted["created_at"],
    }
    assert _all(carrier.partner, "/v1/received-shares") == [received.json_body]

    first = carrier.api.delete(f"/v1/shares/{granted['id']}")
    assert first.status_code == 204, first.body
    revoked = carrier.api.get(f"/v1/shares/{granted['id']}").json_body
    assert revoked["status"] == "revoked"
    assert revoked["revoked_at"] is not None
    second = carrier.api.delete(f"/v1/shares/{granted['id']}")
    assert second.status_code == 204, second.body
    assert carrier.api.get(f"/v1/shares/{granted['id']}").json_body == revoked  # unchanged

    assert [s["status"] for s in _all(carrier.api, "/v1/shares")] == ["revoked"]
    partner_view = carrier.partner.get(f"/v1/received-shares/{granted['id']}").json_body
    assert partner_view["status"] == "revoked"
    assert [s["status"] for s in _all(carrier.partner, "/v1/received-shares")] == ["revoked"]


def test_both_lists_page_with_limit_and_next_cursor(carrier):
    ids = sorted(share(carrier, [device])["id"] for device in carrier.devices)
    for api, path in ((carrier.api, "/v1/shares"), (carrier.partner, "/v1/received-shares")):
        first = api.get(f"{path}?limit=2")
        assert first.status_code == 200, first.body
        assert [s["id"] for s in first.json_body["items"]] == ids[:2]
        cursor = first.json_body["next_cursor"]
        assert isinstance(cursor, str)
        assert cursor
        second = api.get(f"{path}?limit=2&cursor={cursor}")
        assert second.status_code == 200, second.body
        assert [s["id"] for s in second.json_body["items"]] == ids[2:]
        assert second.json_body["next_cursor"] is None
        whole = api.get(f"{path}?limit=3").json_body
        assert [s["id"] for s in whole["items"]] == ids
        assert whole["next_cursor"] is None
        assert [s["id"] for s in _all(api, path, limit=1)] == ids


def test_a_share_with_an_end_is_active_until_then_and_expired_after(carrier, tenant):
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    granted = share(carrier, carrier.devices[:1], expires_at=_stamp(end))
    assert granted["status"] == "active"
    assert granted["expires_at"] == _stamp(end)
    received = carrier.partner.get(f"/v1/received-shares/{granted['id']}").json_body
    assert (received["status"], received["expires_at"]) == ("active", _stamp(end))

    # A share that ended an hour ago (made with the clock two hours back).
    sender = TenantContext(
        tenant_id=tenant.id, actor="api_key:key_test", scopes=expand_scopes({"admin"})
    )
    now = datetime.now(UTC)
    ended = share_service.create(
        sender,
        ShareCreate(
            partner_tenant_id=carrier.partner_tenant.public_id,
            name="Last week",
            asset_ids=[carrier.devices[1]["id"]],
            expires_at=now - timedelta(hours=1),
        ),
        clock=lambda: now - timedelta(hours=2),
    )
    assert carrier.api.get(f"/v1/shares/{ended.id}").json_body["status"] == "expired"
    assert carrier.partner.get(f"/v1/received-shares/{ended.id}").json_body["status"] == ("expired")
    statuses = {s["id"]: s["status"] for s in _all(carrier.api, "/v1/shares")}
    assert statuses == {granted["id"]: "active", ended.id: "expired"}
    statuses = {s["id"]: s["status"] for s in _all(carrier.partner, "/v1/received-shares")}
    assert statuses == {granted["id"]: "active", ended.id: "expired"}

    refused = carrier.partner.get(f"/v1/received-shares/{ended.id}/assets")
    assert problem(refused)["status"] == 403
    number = carrier.partner.put(
        f"/v1/received-shares/{ended.id}/assets/{carrier.devices[1]['id']}/shipment-number",
        {"shipment_number": "SN-1"},
    )
    assert problem(number)["status"] == 403
    assert _log(carrier, ended.id) == []

    # An ended share that was then revoked says revoked.
    assert carrier.api.delete(f"/v1/shares/{ended.id}").status_code == 204
    assert carrier.api.get(f"/v1/shares/{ended.id}").json_body["status"] == "revoked"
    assert carrier.partner.get(f"/v1/received-shares/{ended.id}").json_body["status"] == ("revoked")


# -- bad input -----------------------------------------------------------------------------------


def _foreign_device(carrier, tenant, body):
    foreign = carrier.partner.post("/v1/assets", {"name": "Partner truck", "kind": "gps_device"})
    assert foreign.status_code == 201, foreign.body
    body["asset_ids"] = [carrier.devices[0]["id"], foreign.json_body["id"]]
    return "asset_ids.1"


def _own_public_id(carrier, tenant, body):
    body["partner_tenant_id"] = tenant.public_id
    return "partner_tenant_id"


def _unknown_partner(carrier, tenant, body):
    body["partner_tenant_id"] = "pub_01JD8X0000000000000000000Z"
    return "partner_tenant_id"


def _past_end(carrier, tenant, body):
    body["expires_at"] = _stamp(datetime.now(UTC) - timedelta(minutes=1))
    return "expires_at"


def _same_asset_twice(carrier, tenant, body):
    first, second = carrier.devices[0]["id"], carrier.devices[1]["id"]
    body["asset_ids"] = [first, second, first]
    return "asset_ids"


def _no_assets(carrier, tenant, body):
    body["asset_ids"] = []
    return "asset_ids"


def _too_many_assets(carrier, tenant, body):
    body["asset_ids"] = [f"ast_{i:04d}" for i in range(101)]
    return "asset_ids"


def _unknown_field(carrier, tenant, body):
    body["colour"] = "red"
    return "colour"


@pytest.mark.parametrize(
    "spoil",
    [
        _foreign_device,
        _own_public_id,
        _unknown_partner,
        _past_end,
        _same_asset_twice,
        _no_assets,
        _too_many_assets,
        _unknown_field,
    ],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(carrier, tenant, spoil):
    body = {
        "partner_tenant_id": carrier.partner_tenant.public_id,
        "name": "Tour Hamburg-Köln",
        "asset_ids": [carrier.devices[0]["id"]],
    }
    field = spoil(carrier, tenant, body)
    answer = carrier.api.post("/v1/shares", body)
    refused = problem(answer)
    assert refused["status"] == 422, answer.body
    assert field in [e["field"] for e in refused["errors"]], refused
    for api in (carrier.api, carrier.partner):
        assert _all(api, "/v1/shares") == []
        assert _all(api, "/v1/received-shares") == []


def test_a_share_of_the_maximum_100_assets_is_made(carrier):
    ids = [d["id"] for d in carrier.devices]
    while len(ids) < 100:
        made = carrier.api.post("/v1/assets", {"name": f"Box {len(ids)}", "kind": "gps_device"})
        assert made.status_code == 201, made.body
        ids.append(made.json_body["id"])
    answer = carrier.api.post(
        "/v1/shares",
        {"partner_tenant_id": carrier.partner_tenant.public_id, "name": "All", "asset_ids": ids},
    )
    assert answer.status_code == 201, answer.body
    read = carrier.partner.get(f"/v1/received-shares/{answer.json_body['id']}/assets")
    assert read.status_code == 200, read.body
    assert [a["id"] for a in read.json_body["items"]] == ids


# -- revoked and ended shares --------------------------------------------------------------------


def test_a_revoked_share_stops_at_once_also_for_a_key_made_before(carrier):
    granted = share(carrier, carrier.devices[:2])
    made = carrier.partner.post("/v1/api-keys", {"name": "Nightly sync", "scopes": ["read"]})
    assert made.status_code == 201, made.body
    script = carrier.partner.as_key(made.json_body["key"])
    path = f"/v1/received-shares/{granted['id']}/assets"
    for api in (carrier.partner, script):
        assert api.get(path).status_code == 200
    assert len(_log(carrier, granted["id"])) == 2

    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    for api in (carrier.partner, script, carrier.partner, script):
        body = problem(api.get(path))
        assert body["status"] == 403
        assert "revoked" in body["detail"]
    number = carrier.partner.put(
        f"{path}/{carrier.devices[0]['id']}/shipment-number", {"shipment_number": "SN-1"}
    )
    assert problem(number)["status"] == 403
    assert len(_log(carrier, granted["id"])) == 2  # refused reads read nothing, log nothing
    # The partner still finds the grant itself, and that it was revoked.
    assert script.get(f"/v1/received-shares/{granted['id']}").json_body["status"] == "revoked"


def test_an_ended_share_is_refused_by_the_clock(carrier):
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    granted = share(carrier, carrier.devices[:1], expires_at=_stamp(end))
    ctx = _partner_ctx(carrier)
    before = share_service.read_assets(ctx, granted["id"], clock=lambda: end - timedelta(seconds=1))
    assert [a.id for a in before.items] == [carrier.devices[0]["id"]]
    for late in (timedelta(0), timedelta(seconds=1), timedelta(hours=47)):
        with pytest.raises(Forbidden):
            share_service.read_assets(ctx, granted["id"], clock=lambda late=late: end + late)
        with pytest.raises(Forbidden):
            share_service.set_shipment_number(
                ctx,
                granted["id"],
                carrier.devices[0]["id"],
                ShipmentNumberPut(shipment_number="SN-1"),
                clock=lambda late=late: end + late,
            )
    log = _log(carrier, granted["id"])
    assert [e["id"] for e in log] == [before.logged_as]  # the refused reads wrote nothing
    # Before its end the HTTP read works as usual.
    assert carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets").status_code == 200


# -- nobody else finds a share -------------------------------------------------------------------


def test_a_third_organisation_finds_no_trace_of_the_share(carrier, chalice_client):
    granted = share(carrier, carrier.devices[:2])
    third = Api(chalice_client, make_tenant("Tenant C").key)
    device = carrier.devices[0]["id"]
    received = f"/v1/received-shares/{granted['id']}"
    sent = f"/v1/shares/{granted['id']}"
    for api in (third, carrier.partner):
        for method, path, body in (
            ("GET", sent, None),
            ("GET", f"{sent}/access-log", None),
            ("GET", f"{sent}/access-log.xlsx", None),
            ("DELETE", sent, None),
        ):
            answer = api.request(method, path, body)
            assert problem(answer)["status"] == 404, (method, path, answer.body)
    for method, path, body in (
        ("GET", received, None),
        ("GET", f"{received}/assets", None),
        ("PUT", f"{received}/assets/{device}/shipment-number", {"shipment_number": "SN-1"}),
        ("GET", f"{received}/access-log", None),
        ("GET", f"{received}/access-log.xlsx", None),
    ):
        answer = third.request(method, path, body)
        assert problem(answer)["status"] == 404, (method, path, answer.body)
    assert _all(third, "/v1/received-shares") == []
    assert _all(third, "/v1/shares") == []
    # Nothing happened to the share.
    assert carrier.api.get(sent).json_body["status"] == "active"
    assert _log(carrier, granted["id"]) == []
    assert carrier.partner.get(f"{received}/assets").status_code == 200


def test_the_sender_cannot_read_its_share_as_a_received_one(carrier):
    granted = share(carrier, carrier.devices[:2])
    received = f"/v1/received-shares/{granted['id']}"
    for path in (received, f"{received}/assets", f"{received}/access-log"):
        assert problem(carrier.api.get(path))["status"] == 404, path
    assert _all(carrier.api, "/v1/received-shares") == []
    assert _log(carrier, granted["id"]) == []


def test_the_partner_sees_only_the_shared_devices(carrier):
    granted = share(carrier, carrier.devices[1:2])
    read = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert read.status_code == 200, read.body
    items = read.json_body["items"]
    assert [a["id"] for a in items] == [carrier.devices[1]["id"]]
    assert items[0]["name"] == "Truck HH-CA 102"
    assert items[0]["kind"] == "gps_device"
    assert items[0]["last_position"]["lat"] == pytest.approx(53.65)
    assert items[0]["shipment_number"] is None
    assert read.json_body["share_id"] == granted["id"]
    # The other devices are not the partner's to read, by any route.
    for device in carrier.devices:
        assert problem(carrier.partner.get(f"/v1/assets/{device['id']}"))["status"] == 404
    assert _all(carrier.partner, "/v1/assets") == []


def test_a_device_renamed_after_sharing_reads_with_its_new_name(carrier):
    device = carrier.devices[0]
    granted = share(carrier, [device])
    renamed = carrier.api.patch(f"/v1/assets/{device['id']}", {"name": "Truck HH-CA 999"})
    assert renamed.status_code == 200, renamed.body
    report(carrier.api, device["id"], 48.14, 11.58)
    read = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert read.status_code == 200, read.body
    [item] = read.json_body["items"]
    assert item["name"] == "Truck HH-CA 999"
    assert (item["last_position"]["lat"], item["last_position"]["lon"]) == (48.14, 11.58)


# -- the access log --------------------------------------------------------------------------


def test_every_partner_read_writes_exactly_one_log_entry(carrier, tenant):
    devices = carrier.devices[:2]
    granted = share(carrier, devices, contact_email="dispo@shipper.example")
    path = f"/v1/received-shares/{granted['id']}"
    assert _log(carrier, granted["id"]) == []
    logged = []
    for count in (1, 2, 3):
        read = carrier.partner.get(f"{path}/assets")
        assert read.status_code == 200, read.body
        logged.append(read.json_body["logged_as"])
        log = _log(carrier, granted["id"])
        assert len(log) == count
        assert sorted(e["id"] for e in log) == sorted(logged)
        # Looking at the grant itself reads no shared data and logs nothing.
        assert carrier.partner.get(path).status_code == 200
        assert carrier.partner.get("/v1/received-shares").status_code == 200
        assert len(_log(carrier, granted["id"])) == count

    entry = next(e for e in log if e["id"] == logged[0])
    assert entry["kind"] == "read"
    assert entry["channel"] == "api"
    assert entry["actor"].startswith("api_key:key_")
    assert entry["share_id"] == granted["id"]
    assert entry["share_name"] == "Tour Hamburg-Köln"
    assert entry["sender_tenant_id"] == tenant.public_id
    assert entry["partner_tenant_id"] == carrier.partner_tenant.public_id
    assert entry["contact_email"] == "dispo@shipper.example"
    assert [(a["asset_id"], a["name"]) for a in entry["assets"]] == [
        (d["id"], d["name"]) for d in devices
    ]
    partner_log = _all(carrier.partner, f"{path}/access-log")
    assert [e["id"] for e in partner_log] == [e["id"] for e in log]
