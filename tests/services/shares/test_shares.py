"""A carrier shares devices with a shipper, who reads them (every read logged), attaches a
shipment number, and downloads the protocol; the carrier revokes."""

from __future__ import annotations

import io

import openpyxl

from tests.services.shares.conftest import share

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_partner_reads_a_share_and_both_sides_see_the_read_in_the_log(carrier):
    granted = share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")
    received = carrier.partner.get("/v1/received-shares").json_body["items"]
    assert [(r["id"], r["asset_count"], r["status"]) for r in received] == [
        (granted["id"], 2, "active")
    ]
    read = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert read.status_code == 200, read.body
    assets = read.json_body["items"]
    assert [a["name"] for a in assets] == ["Truck HH-CA 101", "Truck HH-CA 102"]
    assert assets[0]["last_position"]["lat"] == 53.55

    number = carrier.partner.put(
        f"/v1/received-shares/{granted['id']}/assets/{assets[0]['id']}/shipment-number",
        {"shipment_number": '=HYPERLINK("http://x")'},
    )
    assert number.status_code == 200, number.body

    log = carrier.api.get(f"/v1/shares/{granted['id']}/access-log").json_body["items"]
    assert [e["kind"] for e in log] == ["read", "shipment_number"]
    assert log[0]["channel"] == "api"
    assert log[1]["assets"][0]["shipment_number"] == '=HYPERLINK("http://x")'
    partner_log = carrier.partner.get(f"/v1/received-shares/{granted['id']}/access-log")
    assert [e["id"] for e in partner_log.json_body["items"]] == [e["id"] for e in log]

    protocol = carrier.api.get(f"/v1/shares/{granted['id']}/access-log", headers={"Accept": XLSX})
    assert protocol.status_code == 200, protocol.body
    assert protocol.headers["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(protocol.body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Time (UTC)"
    assert len(rows) == 1 + 2 + 1  # headings, two devices read, one shipment number
    cell = sheet.cell(row=4, column=8)
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"  # a string, never a formula

    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    after = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    assert after.status_code == 403
