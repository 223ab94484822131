"""The events of partner shares: every change records exactly one event in its own
transaction, always in the sender's tenant (the share and its log are the sender's), and a
refused change records none.

- `share.created` and `share.revoked`: the sender's key is the actor.
- `share.read` (written with the access-log entry, before any device is read) and
  `share.shipment_number_set` (with the number and its entry): the actor is the partner
  organisation by its public id, `partner:{public_id}`; the data names the partner's key as
  the access log does, and the entry that holds the details.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import Forbidden
from chalicelib.services.platform import api_keys, storage
from chalicelib.services.platform import events as event_service
from chalicelib.services.shares import shares as share_service
from chalicelib.tenancy import Actor, TenantContext, expand_scopes
from tests.conftest import Api, make_tenant, problem
from tests.services.shares.conftest import Carrier, share

FIELDS = {
    "id",
    "type",
    "time",
    "actor",
    "on_behalf_of",
    "object_type",
    "object_id",
    "customer_id",
    "data",
}


def events_of(api: Api, type_: str | None) -> list[dict[str, Any]]:
    """The caller's tenant's events of one type (`share.*`, or all with None), newest
    first."""
    answer = api.get(f"/v1/events?limit=100{f'&type={type_}' if type_ else ''}")
    assert answer.status_code == 200, answer.body
    assert answer.json_body["next_cursor"] is None
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def key_actor(api: Api) -> str:
    """How the log and the events name the caller's (only) API key."""
    keys = api.get("/v1/api-keys").json_body["items"]
    assert len(keys) == 1
    return f"api_key:{keys[0]['id']}"


def log_of(carrier: Carrier, share_id: str) -> list[dict[str, Any]]:
    answer = carrier.api.get(f"/v1/shares/{share_id}/access-log?limit=100")
    assert answer.status_code == 200, answer.body
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def shipment_path(share_id: str, asset_id: str) -> str:
    return f"/v1/received-shares/{share_id}/assets/{asset_id}/shipment-number"


def assert_partner_has_no_share_event(carrier: Carrier) -> None:
    assert events_of(carrier.partner, "share.*") == []


def assert_no_internal_ids(event: dict[str, Any], *tenant_ids: str) -> None:
    for tenant_id in tenant_ids:
        assert tenant_id not in str(event)


# -- the sender's changes -------------------------------------------------------------------------


def test_a_share_records_share_created_for_the_sender(carrier, tenant, other_tenant):
    end = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    granted = share(
        carrier,
        carrier.devices[:2],
        contact_email="dispo@shipper.example",
        expires_at=end.isoformat().replace("+00:00", "Z"),
    )
    [event] = events_of(carrier.api, "share.created")
    assert set(event) == FIELDS
    assert event["type"] == "share.created"
    assert (event["object_type"], event["object_id"]) == ("share", granted["id"])
    assert event["actor"] == key_actor(carrier.api)
    assert (event["on_behalf_of"], event["customer_id"]) == (None, None)
    assert event["data"] == {
        "partner_tenant_id": other_tenant.public_id,
        "asset_ids": [d["id"] for d in carrier.devices[:2]],
        "expires_at": granted["expires_at"],
    }
    assert "dispo@shipper.example" not in str(event)  # a contact is not the event's business
    assert_no_internal_ids(event, tenant.id, other_tenant.id)
    assert datetime.fromisoformat(event["time"].replace("Z", "+00:00")) == datetime.fromisoformat(
        granted["created_at"].replace("Z", "+00:00")
    )
    assert_partner_has_no_share_event(carrier)


def test_a_replayed_share_creation_records_no_second_event(carrier):
    body = {
        "partner_tenant_id": carrier.partner_tenant.public_id,
        "name": "Tour",
        "asset_ids": [carrier.devices[0]["id"]],
    }
    headers = {"Idempotency-Key": "share-events-replay-0001"}
    first = carrier.api.post("/v1/shares", body, headers=headers)
    again = carrier.api.post("/v1/shares", body, headers=headers)
    assert first.status_code == again.status_code == 201, (first.body, again.body)
    assert again.json_body["id"] == first.json_body["id"]
    assert [e["object_id"] for e in events_of(carrier.api, "share.created")] == [
        first.json_body["id"]
    ]


REFUSED_SHARES: dict[str, Any] = {
    "unknown_asset": lambda c: {"asset_ids": ["ast_01JD8X0000000000000000000Z"]},
    "asset_twice": lambda c: {"asset_ids": [c.devices[0]["id"]] * 2},
    "ended": lambda c: {"expires_at": "2020-01-01T00:00:00Z"},
    "unknown_partner": lambda c: {"partner_tenant_id": "tnt_unknownunknown"},
    "to_itself": lambda c: {"partner_tenant_id": c.api.get("/v1/tenant").json_body["public_id"]},
    "no_name": lambda c: {"name": ""},
}


@pytest.mark.parametrize("spoil", REFUSED_SHARES.values(), ids=REFUSED_SHARES.keys())
def test_a_refused_share_records_nothing(carrier, spoil):
    body = {
        "partner_tenant_id": carrier.partner_tenant.public_id,
        "name": "Tour",
        "asset_ids": [carrier.devices[0]["id"]],
        **spoil(carrier),
    }
    answer = carrier.api.post("/v1/shares", body)
    assert problem(answer)["status"] == 422, answer.body
    assert events_of(carrier.api, "share.*") == []
    assert_partner_has_no_share_event(carrier)


def test_a_read_only_key_cannot_share_and_records_nothing(carrier, tenant):
    reader = carrier.api.as_key(api_keys.issue(Actor(tenant.id, "test"), "r", ["read"]).key)
    body = {
        "partner_tenant_id": carrier.partner_tenant.public_id,
        "name": "Tour",
        "asset_ids": [carrier.devices[0]["id"]],
    }
    assert problem(reader.post("/v1/shares", body))["status"] == 403
    assert events_of(carrier.api, "share.*") == []


def test_revoking_records_share_revoked_once_per_request(carrier, tenant, other_tenant):
    granted = share(carrier, carrier.devices[:1])
    # Another organisation cannot revoke it: 404, nothing recorded anywhere.
    third = carrier.api.as_key(make_tenant("Tenant C").key)
    assert problem(third.delete(f"/v1/shares/{granted['id']}"))["status"] == 404
    assert problem(carrier.partner.delete(f"/v1/shares/{granted['id']}"))["status"] == 404
    assert problem(carrier.api.delete("/v1/shares/shr_00000000000000000000000000"))["status"] == 404
    assert events_of(carrier.api, "share.revoked") == []
    assert events_of(third, "share.*") == []

    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    [event] = events_of(carrier.api, "share.revoked")
    assert set(event) == FIELDS
    assert (event["object_type"], event["object_id"]) == ("share", granted["id"])
    assert event["actor"] == key_actor(carrier.api)
    assert (event["on_behalf_of"], event["customer_id"]) == (None, None)
    assert event["data"] == {"partner_tenant_id": other_tenant.public_id}
    assert_no_internal_ids(event, tenant.id, other_tenant.id)
    revoked_at = carrier.api.get(f"/v1/shares/{granted['id']}").json_body["revoked_at"]
    assert event["time"] == revoked_at
    # Revoking it again changes nothing, answers the same, and is recorded as a request
    # (as a key's or a session's repeated revocation is).
    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    assert carrier.api.get(f"/v1/shares/{granted['id']}").json_body["revoked_at"] == revoked_at
    again = events_of(carrier.api, "share.revoked")
    assert len(again) == 2
    assert {(e["object_id"], e["actor"]) for e in again} == {(granted["id"], event["actor"])}
    assert [e["type"] for e in events_of(carrier.api, "share.*")] == [
        "share.revoked",
        "share.revoked",
        "share.created",
    ]
    assert_partner_has_no_share_event(carrier)


# -- the partner's reads --------------------------------------------------------------------------


def test_a_partner_read_records_share_read_in_the_senders_tenant(carrier, tenant, other_tenant):
    granted = share(carrier, carrier.devices[:2])
    partner_key = key_actor(carrier.partner)
    partner_events = events_of(carrier.partner, None)
    first = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert first.status_code == 200, first.body
    # Reading records nothing in the partner's own tenant.
    assert events_of(carrier.partner, None) == partner_events
    # Through the tracking page's session: its own key and channel.
    session = carrier.partner.post("/v1/tracking/sessions", {}).json_body
    page = carrier.partner.as_key(session["url"].split("#session=", 1)[1])
    second = page.get(f"/v1/received-shares/{granted['id']}/assets")
    assert second.status_code == 200, second.body

    made = events_of(carrier.api, "share.read")[::-1]  # oldest first
    assert len(made) == 2
    log = log_of(carrier, granted["id"])
    assert [e["id"] for e in log] == [first.json_body["logged_as"], second.json_body["logged_as"]]
    for event, entry, channel in zip(made, log, ("api", "page"), strict=True):
        assert set(event) == FIELDS
        assert (event["object_type"], event["object_id"]) == ("share", granted["id"])
        assert event["actor"] == f"partner:{other_tenant.public_id}"
        assert (event["on_behalf_of"], event["customer_id"]) == (None, None)
        assert event["data"] == {
            "partner_tenant_id": other_tenant.public_id,
            "partner_key": entry["actor"],
            "channel": channel,
            "access_log_entry_id": entry["id"],
            "asset_ids": [d["id"] for d in carrier.devices[:2]],
        }
        assert event["time"] == entry["time"]  # the entry's and the event's time are one
        assert_no_internal_ids(event, tenant.id, other_tenant.id)
    assert made[0]["data"]["partner_key"] == partner_key
    assert made[1]["data"]["partner_key"] == f"api_key:{session['id']}"
    # The partner's own event list holds nothing of the sender's share.
    assert_partner_has_no_share_event(carrier)


def test_a_refused_read_records_nothing(carrier, chalice_client):
    granted = share(carrier, carrier.devices[:1])
    path = f"/v1/received-shares/{granted['id']}/assets"
    # The sender is not the partner; a third organisation finds nothing.
    assert problem(carrier.api.get(path))["status"] == 404
    third = Api(chalice_client, make_tenant("Tenant C").key)
    assert problem(third.get(path))["status"] == 404
    assert problem(carrier.partner.get(path.replace(granted["id"], "shr_x")))["status"] == 404
    assert events_of(carrier.api, "share.read") == []
    # A revoked share is refused, and records nothing more.
    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    assert problem(carrier.partner.get(path))["status"] == 403
    assert events_of(carrier.api, "share.read") == []
    assert events_of(third, "share.*") == []
    assert_partner_has_no_share_event(carrier)


def test_an_ended_share_refuses_reads_and_records_nothing(carrier):
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    granted = share(carrier, carrier.devices[:1], expires_at=end.isoformat().replace("+00:00", "Z"))
    ctx = TenantContext(carrier.partner_tenant.id, "api_key:key_x", expand_scopes({"read"}))
    with pytest.raises(Forbidden, match="ended"):
        share_service.read_assets(ctx, granted["id"], clock=lambda: end + timedelta(seconds=1))
    assert events_of(carrier.api, "share.read") == []


def test_the_entry_and_the_event_are_one_write_before_any_device_is_read(
    carrier, tenant, ddb_calls, monkeypatch
):
    """If the event cannot be written, neither is the entry, and nothing is read: one
    TransactWriteItems holds both (here the event's own condition fails)."""
    granted = share(carrier, carrier.devices)
    taken = event_service.new(Actor(tenant.id, "test"), "share.read", granted["id"])
    taken.save()
    monkeypatch.setattr(event_service, "new", lambda *_, **__: taken)  # its key is taken
    ddb_calls.reset()
    answer = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    calls = dict(ddb_calls.calls)
    assert problem(answer)["status"] == 409, answer.body  # the transaction was cancelled
    assert calls == {"GetItem": 2, "TransactWriteItems": 1}  # no BatchGetItem: nothing read
    for device in carrier.devices:
        assert device["id"] not in answer.body.decode()
    monkeypatch.undo()
    assert log_of(carrier, granted["id"]) == []
    assert [e["id"] for e in events_of(carrier.api, "share.read")] == [taken.event_id]


def test_a_failed_log_write_records_no_read_event(carrier, monkeypatch):
    granted = share(carrier, carrier.devices[:1])

    def refuse(self: Any) -> None:
        raise RuntimeError("the log table is gone")

    monkeypatch.setattr(storage.Transaction, "commit", refuse)
    answer = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert answer.status_code == 500, answer.body
    monkeypatch.undo()
    assert events_of(carrier.api, "share.read") == []
    assert log_of(carrier, granted["id"]) == []
    assert_partner_has_no_share_event(carrier)


# -- shipment numbers -----------------------------------------------------------------------------


def test_a_shipment_number_records_share_shipment_number_set(carrier, tenant, other_tenant):
    granted = share(carrier, carrier.devices[:2])
    device = carrier.devices[1]
    number = '=HYPERLINK("http://x")'
    answer = carrier.partner.put(
        shipment_path(granted["id"], device["id"]), {"shipment_number": number}
    )
    assert answer.status_code == 200, answer.body

    [entry] = log_of(carrier, granted["id"])
    [event] = events_of(carrier.api, "share.shipment_number_set")
    assert set(event) == FIELDS
    assert (event["object_type"], event["object_id"]) == ("share", granted["id"])
    assert event["actor"] == f"partner:{other_tenant.public_id}"
    assert (event["on_behalf_of"], event["customer_id"]) == (None, None)
    assert event["data"] == {
        "partner_tenant_id": other_tenant.public_id,
        "partner_key": key_actor(carrier.partner),
        "channel": "api",
        "access_log_entry_id": entry["id"],
        "asset_id": device["id"],
        "shipment_number": number,
    }
    assert event["time"] == entry["time"]
    assert_no_internal_ids(event, tenant.id, other_tenant.id)
    # One event per change: the set number is not also a read, nor anything else.
    assert [e["type"] for e in events_of(carrier.api, "share.*")] == [
        "share.shipment_number_set",
        "share.created",
    ]
    assert_partner_has_no_share_event(carrier)


def test_a_refused_shipment_number_records_nothing(carrier, other_tenant):
    granted = share(carrier, carrier.devices[:1])
    inside = shipment_path(granted["id"], carrier.devices[0]["id"])
    outside = shipment_path(granted["id"], carrier.devices[2]["id"])
    reader = carrier.partner.as_key(
        api_keys.issue(Actor(other_tenant.id, "test"), "r", ["read"]).key
    )
    refused = [
        (carrier.partner.put(inside, {"shipment_number": "SN\x001"}), 422),
        (carrier.partner.put(inside, {"shipment_number": "   "}), 422),
        (carrier.partner.put(inside, {}), 422),
        (carrier.partner.put(outside, {"shipment_number": "SN-1"}), 404),
        (carrier.api.put(inside, {"shipment_number": "SN-1"}), 404),  # the sender
        (reader.put(inside, {"shipment_number": "SN-1"}), 403),  # no tracking scope
    ]
    for answer, status in refused:
        assert problem(answer)["status"] == status, answer.body
    assert events_of(carrier.api, "share.shipment_number_set") == []
    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    answer = carrier.partner.put(inside, {"shipment_number": "SN-2"})
    assert problem(answer)["status"] == 403
    assert events_of(carrier.api, "share.shipment_number_set") == []
    assert log_of(carrier, granted["id"]) == []
    assert_partner_has_no_share_event(carrier)


def test_a_shipment_number_whose_transaction_fails_records_no_event(carrier, tenant, monkeypatch):
    """The number, its entry and its event are one transaction: none without the others."""
    granted = share(carrier, carrier.devices[:1])
    taken = event_service.new(Actor(tenant.id, "test"), "share.shipment_number_set", "x")
    taken.save()
    monkeypatch.setattr(event_service, "new", lambda *_, **__: taken)
    device = carrier.devices[0]["id"]
    answer = carrier.partner.put(shipment_path(granted["id"], device), {"shipment_number": "LOST"})
    assert problem(answer)["status"] == 409, answer.body  # the transaction was cancelled
    monkeypatch.undo()
    assert log_of(carrier, granted["id"]) == []
    assert [e["id"] for e in events_of(carrier.api, "share.shipment_number_set")] == [
        taken.event_id
    ]
    numbers = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets").json_body
    assert numbers["items"][0]["shipment_number"] is None


# -- tracking sessions ----------------------------------------------------------------------------


def test_a_tracking_session_is_recorded_once_by_its_service_not_by_the_router(api):
    """Starting and ending a session each add exactly one event to the tenant's list: the
    service's, in the session's transaction (nothing is written after the answer)."""
    before = events_of(api, None)
    started = api.post("/v1/tracking/sessions", {})
    assert started.status_code == 201, started.body
    after_start = events_of(api, None)
    assert [e["type"] for e in after_start[: len(after_start) - len(before)]] == [
        "tracking.session_started"
    ]
    assert after_start[0]["object_id"] == started.json_body["id"]
    assert api.delete(f"/v1/tracking/sessions/{started.json_body['id']}").status_code == 204
    after_end = events_of(api, None)
    assert [e["type"] for e in after_end[: len(after_end) - len(after_start)]] == [
        "tracking.session_revoked"
    ]
    assert after_end[0]["object_id"] == started.json_body["id"]
