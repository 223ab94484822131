"""The tracking page in a real Chromium: a shipper switches from its own devices to the
devices a carrier shares with it (after a reminder that every look is recorded), attaches a
shipment number, and downloads the protocol, which a real reader opens. When the carrier
revokes, the page says the share has ended. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import screenshot
from tests.services.shares.conftest import Carrier, make_carrier, report, share

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

BASE = "http://localhost:8000"


@pytest.fixture
def carrier(api, other_api, other_tenant) -> Carrier:
    return make_carrier(api, other_api, other_tenant)


def test_a_shipper_tracks_shared_devices_and_downloads_the_protocol(carrier, local_server, browser):
    granted = share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    session = carrier.partner.post("/v1/tracking/sessions", {"language": "de"})
    assert session.status_code == 201, session.body

    context = browser.new_context(viewport={"width": 1000, "height": 800}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(session.json_body["url"].replace(BASE, local_server))
        page.wait_for_selector("#devices tr[data-asset]")
        assert "#session" not in page.url  # the key left the address bar
        assert page.locator("h1").inner_text() == "Tracking"
        assert page.locator("#devices").inner_text().count("Eigener Sprinter") == 1
        screenshot(page, "tracking-own-devices-de")

        page.select_option("#view", "received")
        page.wait_for_selector("#logged[open]")
        assert "protokoll" in page.locator("#logged").inner_text().lower()
        screenshot(page, "tracking-reads-are-logged-de")
        page.locator("#logged-hide").check()  # the reminder is not shown again
        page.locator("#logged-ok").click()
        page.wait_for_selector(f'#devices tr[data-asset="{carrier.devices[0]["id"]}"]')
        assert page.locator("#devices tr[data-asset]").count() == 2
        assert "53.5500, 9.9900" in page.locator("#devices").inner_text()

        page.locator(f'[data-shipment="{carrier.devices[0]["id"]}"]').click()
        page.locator("#shipment-number").fill('=HYPERLINK("http://x")')
        page.locator("#shipment-save").click()
        page.wait_for_selector("text=Sendungsnummer gespeichert.")
        row = page.locator(f'#devices tr[data-asset="{carrier.devices[0]["id"]}"] .shipment')
        assert row.inner_text() == '=HYPERLINK("http://x")'
        screenshot(page, "tracking-shared-devices-de")

        with page.expect_download() as download_info:
            page.locator("#protocol").click()
        download = download_info.value
        assert download.suggested_filename.startswith("access-log-Tour-Hamburg-K")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert {r[9] for r in rows} == {"page"}  # every look came through the page
        numbers = [sheet.cell(row=i, column=8) for i in range(2, sheet.max_row + 1)]
        assert any(c.value == '=HYPERLINK("http://x")' and c.data_type == "s" for c in numbers)

        log = carrier.api.get(f"/v1/shares/{granted['id']}/access-log").json_body["items"]
        # the switch to the share, the shipment number, the list shown again
        assert [(e["kind"], e["channel"]) for e in log] == [
            ("read", "page"),
            ("shipment_number", "page"),
            ("read", "page"),
        ]

        assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
        page.select_option("#view", "own")
        page.wait_for_selector("#share-picker[hidden]", state="attached")
        page.select_option("#view", "received")
        page.wait_for_selector("text=Kein Partner hat Geräte für Sie freigegeben.")
        screenshot(page, "tracking-share-revoked-de")
    finally:
        context.close()


def test_own_devices_show_their_position_time_and_status(carrier, local_server, browser):
    """The own devices' row reads the asset's `last_event` (the API's field) as the shared
    devices' row reads `last_position`: position, time and status all show."""
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    assert own.status_code == 201, own.body
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    silent = carrier.partner.post("/v1/assets", {"name": "Stiller Anhänger", "kind": "trailer"})
    assert silent.status_code == 201, silent.body
    last = carrier.partner.get(f"/v1/assets/{own.json_body['id']}").json_body["last_event"]
    session = carrier.partner.post("/v1/tracking/sessions", {"language": "de"})
    assert session.status_code == 201, session.body

    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(session.json_body["url"].replace(BASE, local_server))
        row = page.locator(f'#devices tr[data-asset="{own.json_body["id"]}"]')
        row.wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "Eigener Sprinter"
        assert cells[1] == "50.9400, 6.9600"
        shown = page.evaluate("iso => new Date(iso).toLocaleString('de')", last["time"])
        assert cells[2] == shown
        assert cells[2]
        assert cells[3] == "moving"
        # A device that never reported shows an empty row, not "undefined" or an error.
        quiet = page.locator(f'#devices tr[data-asset="{silent.json_body["id"]}"] td')
        assert quiet.all_inner_texts() == ["Stiller Anhänger", "", "", ""]
        screenshot(page, "tracking-own-devices-with-position-de")
    finally:
        context.close()
