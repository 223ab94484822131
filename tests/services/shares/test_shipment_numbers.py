"""The partner's shipment numbers on shared assets: any one line of text up to 64 characters
is kept as given (formula-looking text included, and harmless in the protocol); anything
else is refused with nothing stored or logged; only the partner, with a key that may track,
sets them, and only while the share lasts. The sender sees every one in its access log."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from chalicelib.services.platform import api_keys
from chalicelib.tenancy import Actor
from tests.conftest import problem
from tests.services.shares.conftest import share

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _path(share_id: str, asset_id: str) -> str:
    return f"/v1/received-shares/{share_id}/assets/{asset_id}/shipment-number"


def _log(api, share_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/shares/{share_id}/access-log?limit=100")
    assert answer.status_code == 200, answer.body
    assert answer.json_body["next_cursor"] is None
    return answer.json_body["items"]


def _numbers(carrier, share_id: str) -> dict[str, str | None]:
    read = carrier.partner.get(f"/v1/received-shares/{share_id}/assets")
    assert read.status_code == 200, read.body
    return {a["id"]: a["shipment_number"] for a in read.json_body["items"]}


@pytest.fixture
def granted(carrier) -> dict[str, Any]:
    """Two of the carrier's three devices, shared with the partner."""
    return share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")


HARMLESS = {
    "hyperlink": '=HYPERLINK("http://x")',
    "plus": "+1",
    "minus": "-1",
    "at": "@SUM(1)",
    "dde": "=cmd|' /C calc'!A0",
    "64_chars": "SN-" + "0123456789" * 6 + "X",
    "inner_spaces": "SN 2024 / 17",
    "non_ascii": "Sendung Köln\u2013Århus № 42 配送 🚚",
    "64_non_ascii": "Ø" * 32 + "🚚" * 32,
}


@pytest.mark.parametrize("value", HARMLESS.values(), ids=HARMLESS.keys())
def test_a_shipment_number_is_kept_as_given_and_harmless(carrier, granted, value):
    assert len(value) <= 64
    device = carrier.devices[0]
    answer = carrier.partner.put(_path(granted["id"], device["id"]), {"shipment_number": value})
    assert answer.status_code == 200, answer.body
    assert answer.json_body == {
        "share_id": granted["id"],
        "asset_id": device["id"],
        "shipment_number": value,
    }
    assert _numbers(carrier, granted["id"]) == {device["id"]: value, carrier.devices[1]["id"]: None}

    log = _log(carrier.api, granted["id"])
    [entry] = [e for e in log if e["kind"] == "shipment_number"]
    assert entry["assets"] == [
        {"asset_id": device["id"], "name": device["name"], "shipment_number": value}
    ]
    # The protocol has it as a string cell: never a formula, never a link.
    protocol = carrier.api.get(
        f"/v1/shares/{granted['id']}/access-log.xlsx", headers={"Accept": XLSX}
    )
    assert protocol.status_code == 200, protocol.body
    sheet = openpyxl.load_workbook(io.BytesIO(protocol.body)).active
    [row] = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 9).value != "read"]
    cell = sheet.cell(row, 8)
    assert (cell.value, cell.data_type) == (value, "s")
    assert sheet.cell(row, 9).value == "shipment number set"
    assert not any(c.hyperlink for r in sheet.iter_rows() for c in r)


REFUSED = {
    "10_kb": "x" * 10 * 1024,
    "65_chars": "SN-" + "0123456789" * 6 + "XY",
    "empty": "",
    "line_feed": "SN\n1",
    "carriage_return": "SN\r1",
    "crlf": "SN\r\n1",
    "tab": "SN\t1",
    "leading_tab": "\t=1+1",
    "line_separator": "SN\u20281",
    "paragraph_separator": "SN\u20291",
    "next_line": "SN\x851",
    "nul": "SN\x001",
    "escape": "SN\x1b[31m1",
    "vertical_tab": "SN\x0b1",
    "form_feed": "SN\x0c1",
    "delete": "SN\x7f1",
    "c1_control": "SN\x9f1",
    "only_a_line_feed": "\n",
}


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_shipment_number_is_422_and_stores_and_logs_nothing(carrier, granted, value):
    _assert_refused(carrier, granted, value)


def _assert_refused(carrier, granted, value):
    device = carrier.devices[0]
    path = _path(granted["id"], device["id"])
    assert carrier.partner.put(path, {"shipment_number": "SN-OK"}).status_code == 200
    before = _log(carrier.api, granted["id"])
    answer = carrier.partner.put(path, {"shipment_number": value})
    body = problem(answer)
    assert body["status"] == 422, answer.body
    assert [e["field"] for e in body["errors"]] == ["shipment_number"]
    assert _log(carrier.api, granted["id"]) == before
    assert _numbers(carrier, granted["id"])[device["id"]] == "SN-OK"


def test_a_shipment_number_of_spaces_only_is_refused(carrier, granted):
    _assert_refused(carrier, granted, "   ")


def test_a_shipment_number_ending_in_a_line_feed_is_refused(carrier, granted):
    _assert_refused(carrier, granted, "SN-1\n")


def test_an_asset_outside_the_share_is_404(carrier, granted):
    unshared = carrier.devices[2]["id"]
    foreign = carrier.partner.post("/v1/assets", {"name": "Own van", "kind": "gps_device"})
    for asset_id in (unshared, foreign.json_body["id"], "ast_01JD8X0000000000000000000Z"):
        answer = carrier.partner.put(_path(granted["id"], asset_id), {"shipment_number": "SN-1"})
        assert problem(answer)["status"] == 404, asset_id
    assert _log(carrier.api, granted["id"]) == []
    assert set(_numbers(carrier, granted["id"]).values()) == {None}


def test_a_revoked_share_takes_no_shipment_number(carrier, granted):
    path = _path(granted["id"], carrier.devices[0]["id"])
    assert carrier.partner.put(path, {"shipment_number": "SN-1"}).status_code == 200
    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    answer = carrier.partner.put(path, {"shipment_number": "SN-2"})
    assert problem(answer)["status"] == 403
    assert [e["kind"] for e in _log(carrier.api, granted["id"])] == ["shipment_number"]


def test_the_sender_cannot_set_a_shipment_number_on_its_own_share(carrier, granted):
    path = _path(granted["id"], carrier.devices[0]["id"])
    answer = carrier.api.put(path, {"shipment_number": "SN-1"})
    assert problem(answer)["status"] == 404
    assert _log(carrier.api, granted["id"]) == []
    assert set(_numbers(carrier, granted["id"]).values()) == {None}


def test_a_read_only_key_of_the_partner_cannot_set_one_but_a_write_key_can(
    carrier, granted, other_tenant
):
    path = _path(granted["id"], carrier.devices[0]["id"])
    reader = carrier.partner.as_key(
        api_keys.issue(Actor(other_tenant.id, "test"), "r", ["read"]).key
    )
    assert reader.get(f"/v1/received-shares/{granted['id']}/assets").status_code == 200
    answer = reader.put(path, {"shipment_number": "SN-1"})
    body = problem(answer)
    assert body["status"] == 403
    assert "tracking" in body["detail"]
    assert [e["kind"] for e in _log(carrier.api, granted["id"])] == ["read"]

    writer = carrier.partner.as_key(
        api_keys.issue(Actor(other_tenant.id, "test"), "w", ["write"]).key
    )
    assert writer.put(path, {"shipment_number": "SN-1"}).status_code == 200
    assert _numbers(carrier, granted["id"])[carrier.devices[0]["id"]] == "SN-1"


def test_the_sender_sees_each_shipment_number_in_its_access_log(carrier, granted, tenant):
    first, second = carrier.devices[:2]
    for device, value in ((first, "SN-1"), (second, "SN-2"), (first, "SN-3")):
        path = _path(granted["id"], device["id"])
        assert carrier.partner.put(path, {"shipment_number": value}).status_code == 200
    log = _log(carrier.api, granted["id"])
    numbers = [e for e in log if e["kind"] == "shipment_number"]
    assert len(log) == len(numbers) == 3
    assert sorted(
        (e["assets"][0]["asset_id"], e["assets"][0]["shipment_number"]) for e in numbers
    ) == sorted([(first["id"], "SN-1"), (second["id"], "SN-2"), (first["id"], "SN-3")])
    for entry in numbers:
        assert entry["partner_tenant_id"] == carrier.partner_tenant.public_id
        assert entry["sender_tenant_id"] == tenant.public_id
        assert entry["share_id"] == granted["id"]
        assert entry["contact_email"] == "dispo@shipper.example"
        assert entry["channel"] == "api"
        assert entry["actor"].startswith("api_key:key_")
        [asset] = entry["assets"]
        assert asset["name"] == next(
            d["name"] for d in carrier.devices if d["id"] == asset["asset_id"]
        )
    # The partner's own log shows the same entries; a read carries the latest numbers.
    partner = carrier.partner.get(f"/v1/received-shares/{granted['id']}/access-log?limit=100")
    assert [e["id"] for e in partner.json_body["items"]] == [e["id"] for e in log]
    assert _numbers(carrier, granted["id"]) == {first["id"]: "SN-3", second["id"]: "SN-2"}
    [read] = [e for e in _log(carrier.api, granted["id"]) if e["kind"] == "read"]
    assert {a["asset_id"]: a["shipment_number"] for a in read["assets"]} == {
        first["id"]: "SN-3",
        second["id"]: "SN-2",
    }
