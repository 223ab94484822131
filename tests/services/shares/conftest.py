"""A carrier (the sender) with GPS devices that report positions, and a shipper (the
partner) it shares some of them with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Api, Tenant


@dataclass
class Carrier:
    """The sender's API, its devices, and the partner's API and public id."""

    api: Api
    partner: Api
    partner_tenant: Tenant
    devices: list[dict[str, Any]]


def report(api: Api, asset_id: str, lat: float, lon: float) -> None:
    """A position of a device, now."""
    answer = api.post(
        f"/v1/assets/{asset_id}/events",
        {"time": datetime.now(UTC).isoformat(), "lat": lat, "lon": lon, "status": "moving"},
    )
    assert answer.status_code == 201, answer.body


def share(carrier: Carrier, devices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Share the devices with the partner; the new share."""
    body = {
        "partner_tenant_id": carrier.partner_tenant.public_id,
        "name": "Tour Hamburg-Köln",
        "asset_ids": [d["id"] for d in devices],
        **extra,
    }
    answer = carrier.api.post("/v1/shares", body)
    assert answer.status_code == 201, answer.body
    return answer.json_body


@pytest.fixture
def carrier(api, other_api, other_tenant) -> Carrier:
    """Tenant A, a carrier with three devices that reported; tenant B, its partner."""
    return make_carrier(api, other_api, other_tenant)


def make_carrier(api: Api, other_api: Api, other_tenant: Tenant) -> Carrier:
    """A carrier (`api`) with three GPS devices that reported, and its partner."""
    devices = []
    for index, name in enumerate(("Truck HH-CA 101", "Truck HH-CA 102", "Trailer HH-CA 7")):
        device = api.post("/v1/assets", {"name": name, "kind": "gps_device"}).json_body
        report(api, device["id"], 53.55 + index / 10, 9.99 + index / 10)
        devices.append(device)
    return Carrier(api, other_api, other_tenant, devices)
