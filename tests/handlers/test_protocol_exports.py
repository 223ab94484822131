"""Excel protocols of any length: asked for, written by the exports consumer with its
progress on the export, handed out by a five-minute link and read back with a real reader;
a log longer than one request answers says how to ask for it."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import openpyxl
import pytest

from chalicelib.services.shares import access_log, exports
from tests.conftest import problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _shared(api, other_api, reads: int) -> tuple[str, str]:
    """A share of two devices to the other tenant, read `reads` times: 2 rows a read."""
    devices = [
        api.post("/v1/assets", {"name": f"Truck {i}", "kind": "gps_device"}).json_body["id"]
        for i in range(2)
    ]
    partner = other_api.get("/v1/tenant").json_body["public_id"]
    share = api.post(
        "/v1/shares", {"partner_tenant_id": partner, "name": "Hamburg tour", "asset_ids": devices}
    ).json_body["id"]
    for _ in range(reads):
        assert other_api.get(f"/v1/received-shares/{share}/assets").status_code == 200
    return share, devices[0]


def _download(api, url: str) -> bytes:
    parts = urlsplit(url)
    answer = api.as_key(None).get(f"{parts.path}?{parts.query}", headers={"Accept": XLSX})
    assert answer.status_code == 200, answer.body
    assert "attachment" in answer.headers["Content-Disposition"]
    return answer.body


def test_a_protocol_is_written_in_the_background_and_fetched_by_a_short_lived_link(
    api, other_api, monkeypatch
):
    share, device = _shared(api, other_api, reads=6)
    progress: list[int] = []
    real = exports._set

    def watched(item, **values):
        if "rows_written" in values and values.get("status") is None:
            progress.append(values["rows_written"])
        real(item, **values)

    monkeypatch.setattr(exports, "_set", watched)
    monkeypatch.setattr(access_log, "PROGRESS_EVERY", 4)
    asked = api.post(f"/v1/shares/{share}/access-log/exports")
    assert asked.status_code == 202, asked.body
    assert asked.json_body["status"] == "queued"
    assert asked.json_body["download_url"] is None
    export_id = asked.json_body["id"]

    api.stream.drain()  # the exports consumer, as its event source runs it in AWS

    done = api.get(f"/v1/exports/{export_id}").json_body
    assert done["status"] == "done"
    assert done["rows_written"] == 12
    assert progress == [4, 8, 12]
    book = openpyxl.load_workbook(io.BytesIO(_download(api, done["download_url"])), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == tuple(access_log.HEADINGS[:5])
    assert len(rows) == 13
    assert {row[6] for row in rows[1:]} >= {device}


def test_the_partner_exports_its_own_reads_and_nobody_else_sees_an_export(
    api, other_api, third_api
):
    share, _ = _shared(api, other_api, reads=2)
    asked = other_api.post(f"/v1/received-shares/{share}/access-log/exports")
    assert asked.status_code == 202, asked.body
    other_api.stream.drain()
    done = other_api.get(f"/v1/exports/{asked.json_body['id']}").json_body
    assert done["status"] == "done"
    assert done["rows_written"] == 4
    assert api.get(f"/v1/exports/{asked.json_body['id']}").status_code == 404
    assert third_api.get(f"/v1/exports/{asked.json_body['id']}").status_code == 404
    assert third_api.post(f"/v1/received-shares/{share}/access-log/exports").status_code == 404


def test_a_log_too_long_for_one_request_says_how_to_ask_for_it(api, other_api, monkeypatch):
    share, _ = _shared(api, other_api, reads=2)
    monkeypatch.setattr(access_log, "SYNC_ROWS", 3)
    answer = api.get(f"/v1/shares/{share}/access-log.xlsx", headers={"Accept": XLSX})
    assert answer.status_code == 409
    assert problem(answer)["reason"] == "use_export"
    monkeypatch.setattr(access_log, "SYNC_ROWS", 4)
    exact = api.get(f"/v1/shares/{share}/access-log.xlsx", headers={"Accept": XLSX})
    assert exact.status_code == 200  # at the limit, still in the request


def test_an_export_whose_share_is_gone_fails_with_a_reason(api, other_api, monkeypatch):
    share, _ = _shared(api, other_api, reads=1)
    asked = api.post(f"/v1/shares/{share}/access-log/exports").json_body

    def broken(*args, **kwargs):
        raise OSError("the store is unreachable")

    monkeypatch.setattr(access_log, "write_workbook", broken)
    api.stream.drain()
    failed = api.get(f"/v1/exports/{asked['id']}").json_body
    assert failed["status"] == "failed"
    assert "ask for it again" in failed["error"]
    assert failed["download_url"] is None


@pytest.fixture
def third_api(chalice_client, events_stream):
    from tests.conftest import Api, make_tenant

    return Api(chalice_client, make_tenant("Third Party").key, events_stream)


def test_a_run_left_behind_is_taken_over_and_a_live_one_is_left_alone(api, other_api):
    from datetime import UTC, datetime, timedelta

    from chalicelib.models import ProtocolExport

    share, _ = _shared(api, other_api, reads=1)
    tenant_id = api.get("/v1/tenant").json_body["id"]
    live = api.post(f"/v1/shares/{share}/access-log/exports").json_body["id"]
    left = api.post(f"/v1/shares/{share}/access-log/exports").json_body["id"]
    now = datetime.now(UTC)
    for export_id, started in (
        (live, now - timedelta(minutes=1)),
        (left, now - timedelta(minutes=20)),
    ):
        ProtocolExport(tenant_id, export_id).update(
            actions=[
                ProtocolExport.status.set("running"),
                ProtocolExport.started_at.set(started),
            ]
        )
    api.stream.drain()
    assert api.get(f"/v1/exports/{live}").json_body["status"] == "running"
    assert api.get(f"/v1/exports/{left}").json_body["status"] == "done"


def test_a_tracking_session_sees_only_exports_of_received_shares(api, other_api):
    share, _ = _shared(api, other_api, reads=1)
    own = api.post(f"/v1/shares/{share}/access-log/exports").json_body["id"]
    session = api.post("/v1/tracking/sessions", {"minutes": 60}).json_body
    tracking = api.as_key(session["url"].split("#session=")[1])
    assert tracking.get(f"/v1/exports/{own}").status_code == 404
    assert api.get(f"/v1/exports/{own}").status_code == 200
