"""The access log as an Excel protocol: asked for by the Accept header, by `?format=xlsx` or
at `.../access-log.xlsx`, on both sides of a share; a download with a safe file name, one
row per device per read and per shipment number set, and every value a person typed a
plain string cell (never a formula, never a link), within Excel's limits."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest

from chalicelib.models import AccessLogEntry, Share
from chalicelib.services.platform.storage import Transaction
from chalicelib.services.shares import access_log
from tests.conftest import Api, problem
from tests.services.shares.conftest import share

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADINGS = (
    "Time (UTC)",
    "Sender",
    "Recipient",
    "Contact",
    "Share",
    "Device",
    "Device id",
    "Shipment number",
    "Event",
    "Channel",
    "By",
)
TIME, SENDER, RECIPIENT, CONTACT, SHARE, DEVICE, DEVICE_ID, NUMBER, EVENT, CHANNEL, BY = range(11)
SAFE_NAME = re.compile(r'^attachment; filename="(access-log-[A-Za-z0-9.-]+\.xlsx)"$')

# The three ways to ask for the protocol: (path suffix, headers). The Chalice test client
# answers a binary body only to a request that accepts it, as a browser's `*/*` does.
WAYS = {
    "accept-header": ("/access-log", {"Accept": XLSX}),
    "format-query": ("/access-log?format=xlsx", {"Accept": "*/*"}),
    "xlsx-path": ("/access-log.xlsx", {"Accept": XLSX}),
}


def download(api: Api, base: str, way: str = "xlsx-path") -> Any:
    suffix, headers = WAYS[way]
    answer = api.get(f"{base}{suffix}", headers=headers)
    assert answer.status_code == 200, answer.body
    return answer


def sides(carrier: Any, share_id: str) -> list[tuple[Api, str]]:
    return [
        (carrier.api, f"/v1/shares/{share_id}"),
        (carrier.partner, f"/v1/received-shares/{share_id}"),
    ]


def workbook(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body))


def rows_of(body: bytes) -> list[tuple[Any, ...]]:
    """All rows of the protocol's only sheet, as values."""
    book = workbook(body)
    assert len(book.worksheets) == 1
    return list(book.worksheets[0].iter_rows(values_only=True))


def check_headers(answer: Any) -> str:
    """The download's headers; its file name."""
    assert answer.headers["Content-Type"] == XLSX
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in answer.headers["Cache-Control"]
    match = SAFE_NAME.match(answer.headers["Content-Disposition"])
    assert match, answer.headers["Content-Disposition"]
    return match.group(1)


def read(carrier: Any, share_id: str) -> dict[str, Any]:
    answer = carrier.partner.get(f"/v1/received-shares/{share_id}/assets")
    assert answer.status_code == 200, answer.body
    body: dict[str, Any] = answer.json_body
    return body


def set_number(carrier: Any, share_id: str, asset_id: str, number: str) -> None:
    answer = carrier.partner.put(
        f"/v1/received-shares/{share_id}/assets/{asset_id}/shipment-number",
        {"shipment_number": number},
    )
    assert answer.status_code == 200, answer.body


def log_of(carrier: Any, share_id: str) -> list[dict[str, Any]]:
    answer = carrier.api.get(f"/v1/shares/{share_id}/access-log?limit=100")
    assert answer.json_body["next_cursor"] is None
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def expected_rows(log: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows the protocol should have for a JSON log, without the time column."""
    return [
        (
            e["sender_tenant_id"],
            e["partner_tenant_id"],
            e["contact_email"] or "",
            e["share_name"],
            a["name"],
            a["asset_id"],
            a["shipment_number"] or "",
            "shipment number set" if e["kind"] == "shipment_number" else "read",
            e["channel"],
            e["actor"],
        )
        for e in log
        for a in e["assets"]
    ]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


@pytest.mark.parametrize("way", list(WAYS))
def test_each_way_of_asking_gives_the_protocol_on_both_sides(carrier, tenant, other_tenant, way):
    granted = share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")
    read(carrier, granted["id"])
    set_number(carrier, granted["id"], carrier.devices[1]["id"], "SHP-0815")
    read(carrier, granted["id"])
    log = log_of(carrier, granted["id"])
    bodies = []
    for api, base in sides(carrier, granted["id"]):
        answer = download(api, base, way)
        check_headers(answer)
        assert answer.body[:2] == b"PK"  # a zip: the workbook, not JSON
        rows = rows_of(answer.body)
        assert rows[0] == HEADINGS
        # Two devices read, one shipment number, two devices read again.
        assert len(rows) == 1 + 2 + 1 + 2
        assert [r[1:] for r in rows[1:]] == expected_rows(log)
        assert {r[SENDER] for r in rows[1:]} == {tenant.public_id}
        assert {r[RECIPIENT] for r in rows[1:]} == {other_tenant.public_id}
        assert [r[DEVICE] for r in rows[1:]] == [
            "Truck HH-CA 101",
            "Truck HH-CA 102",
            "Truck HH-CA 102",
            "Truck HH-CA 101",
            "Truck HH-CA 102",
        ]
        assert [r[NUMBER] for r in rows[1:]] == ["", "", "SHP-0815", "", "SHP-0815"]
        assert {r[SHARE] for r in rows[1:]} == {"Tour Hamburg-Köln"}
        # Times are real date cells, the entries' times (Excel keeps them to the ms).
        entry_times = [parse_time(e["time"]) for e in log for _ in e["assets"]]
        for row, when in zip(rows[1:], entry_times, strict=True):
            assert isinstance(row[TIME], datetime)
            assert abs(row[TIME] - when) <= timedelta(milliseconds=1)
        bodies.append(rows)
    assert bodies[0] == bodies[1]  # the partner's protocol is the same log


def test_json_stays_the_default(carrier):
    granted = share(carrier, carrier.devices[:1])
    read(carrier, granted["id"])
    for api, base in sides(carrier, granted["id"]):
        for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
            answer = api.get(f"{base}/access-log", headers=headers)
            assert answer.status_code == 200
            assert answer.headers["Content-Type"].startswith("application/json")
            assert len(answer.json_body["items"]) == 1
        bad = api.get(f"{base}/access-log?format=pdf", headers={"Accept": "*/*"})
        assert problem(bad)["status"] == 422


def test_the_file_name_is_sanitised(carrier):
    granted = share(carrier, carrier.devices[:1], name='../../evil"; x=.xlsx')
    today = datetime.now(UTC).date()
    for api, base in sides(carrier, granted["id"]):
        for way in WAYS:
            answer = download(api, base, way)
            name = check_headers(answer)
            assert re.fullmatch(r"[A-Za-z0-9.-]+", name)
            assert ".." not in name
            assert not name.startswith(".")
            assert "evil" in name
            assert name.endswith(".xlsx")
            assert name in (
                f"access-log-evil-x-.xlsx-{today.isoformat()}.xlsx",
                f"access-log-evil-x-.xlsx-{(today + timedelta(days=1)).isoformat()}.xlsx",
            )


@pytest.mark.parametrize(
    "name",
    [
        '../../evil"; x=.xlsx',
        "a\r\nSet-Cookie: x=1",
        "Müller & Söhne / Tour 7",
        "...",
        "=1+1",
        "x" * 300,
        '"',
        "C:\\Windows\\system32",
    ],
)
def test_file_name_keeps_letters_digits_dots_and_dashes_only(name):
    made = access_log.file_name(SimpleNamespace(name=name), datetime(2026, 11, 22, tzinfo=UTC))
    assert re.fullmatch(r"access-log-[A-Za-z0-9.-]+-2026-11-22\.xlsx", made), made
    middle = made.removeprefix("access-log-").removesuffix("-2026-11-22.xlsx")
    assert middle
    assert not middle.startswith((".", "-"))
    assert ".." not in middle
    assert len(middle) <= 60


DANGEROUS_NUMBERS = [
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@SUM(1)",
    "=1+2",
    "http://evil.example/x",
    "mailto:boss@evil.example",
    "0012",
    "1e5",
    "=cmd|' /C calc'!A0",
]


def test_what_people_typed_is_text_never_a_formula_or_a_link(carrier, tenant, other_tenant):
    device = carrier.devices[0]
    renamed = carrier.api.patch(f"/v1/assets/{device['id']}", {"name": "=cmd|' /C calc'!A0"})
    assert renamed.status_code == 200, renamed.body
    granted = share(
        carrier, carrier.devices[:2], name="=1+1", contact_email="+1+cmd@shipper.example"
    )
    for number in DANGEROUS_NUMBERS:
        set_number(carrier, granted["id"], device["id"], number)
    read(carrier, granted["id"])
    log = log_of(carrier, granted["id"])

    for api, base in sides(carrier, granted["id"]):
        body = download(api, base).body
        sheet = workbook(body).worksheets[0]
        rows = list(sheet.iter_rows())
        assert len(rows) == 1 + len(DANGEROUS_NUMBERS) + 2
        values = [tuple(c.value for c in row) for row in rows]
        assert [v[1:] for v in values[1:]] == expected_rows(log)
        assert [v[NUMBER] for v in values[1 : 1 + len(DANGEROUS_NUMBERS)]] == DANGEROUS_NUMBERS
        assert {v[DEVICE] for v in values[1:]} == {"=cmd|' /C calc'!A0", "Truck HH-CA 102"}
        assert {v[SHARE] for v in values[1:]} == {"=1+1"}
        assert {v[CONTACT] for v in values[1:]} == {"+1+cmd@shipper.example"}
        for row in rows:
            for cell in row:
                assert cell.hyperlink is None, cell.coordinate
                if cell.column != TIME + 1 or cell.row == 1:
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
                    assert isinstance(cell.value, str)
                else:
                    assert isinstance(cell.value, datetime)
        # Not in the file at all: no formula element, no hyperlink part or relation.
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for part in archive.namelist():
                text = archive.read(part).decode("utf-8", "replace")
                for marker in ("<f>", "<f ", "<hyperlink", "relationships/hyperlink"):
                    assert marker not in text, (part, marker)


def test_an_empty_log_is_a_workbook_with_only_the_headings(carrier):
    granted = share(carrier, carrier.devices)
    for api, base in sides(carrier, granted["id"]):
        for way in WAYS:
            answer = download(api, base, way)
            check_headers(answer)
            assert rows_of(answer.body) == [HEADINGS]


def test_cell_text_cuts_visibly_at_excels_limit():
    long = "x" * 40_000
    cut = access_log.cell_text(long)
    assert len(cut) <= 32_767
    assert cut.startswith("x" * 30_000)
    assert cut != long[: len(cut)]  # not silently truncated: the cut is marked
    assert "cut" in cut[-40:]
    assert access_log.cell_text("x" * 32_767) == "x" * 32_767
    assert access_log.cell_text("") == access_log.cell_text(None) == ""
    assert access_log.cell_text("=1+1") == "=1+1"


def test_an_over_long_value_is_cut_visibly_in_the_protocol(carrier, tenant):
    granted = share(carrier, carrier.devices[:1])
    grant = Share.get(tenant.id, granted["id"])
    with Transaction() as tx:
        access_log.record(
            tx,
            access_log.new_entry(
                grant,
                kind="read",
                channel="api",
                actor="api_key:test",
                assets=[(carrier.devices[0]["id"], "n" * 40_000, "=" + "1" * 39_999)],
                now=datetime.now(UTC),
            ),
        )
    rows = rows_of(download(carrier.api, f"/v1/shares/{granted['id']}").body)
    assert len(rows) == 2
    for value in (rows[1][DEVICE], rows[1][NUMBER]):
        assert len(value) <= 32_767
        assert "cut" in value[-40:]
    assert rows[1][NUMBER].startswith("=111")


# On DynamoDB Local only: the real wire protocol, and quick with 1,200 items (moto slows
# down with every item a table holds).
@pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)
def test_a_big_log_exports_every_row(carrier, tenant, monkeypatch):
    """1,200 entries of two devices each: 2,400 rows after the headings, in time order.
    Each shard is read in small pages here, so the export goes through several pages of
    every shard."""
    monkeypatch.setattr(access_log, "EXPORT_PAGE", 97)
    granted = share(carrier, carrier.devices[:2])
    grant = Share.get(tenant.id, granted["id"])
    first, second = carrier.devices[:2]
    base = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    entries = 1200
    # The entries `record` writes one by one, made by the same function (on random shards)
    # and written 25 to a request, to keep this quick.
    with AccessLogEntry.batch_write() as batch:
        for index in range(entries):
            batch.save(
                access_log.new_entry(
                    grant,
                    kind="read",
                    channel="api",
                    actor="api_key:bulk",
                    assets=[
                        (first["id"], first["name"], f"A{index:04d}"),
                        (second["id"], second["name"], f"B{index:04d}"),
                    ],
                    # Out of time order: a stride through 20 minutes.
                    now=base + timedelta(seconds=(index * 7) % entries),
                )
            )
    assert sum(1 for _ in access_log.entries(grant)) == entries
    rows = rows_of(download(carrier.api, f"/v1/shares/{granted['id']}").body)
    assert len(rows) == 1 + 2 * entries
    assert rows[0] == HEADINGS
    body = rows[1:]
    times = [r[TIME] for r in body]
    assert times == sorted(times)
    assert times[0] == base.replace(tzinfo=None)
    assert times[-1] == (base + timedelta(seconds=entries - 1)).replace(tzinfo=None)
    numbers = [r[NUMBER] for r in body]
    assert sorted(numbers) == sorted(
        [f"A{i:04d}" for i in range(entries)] + [f"B{i:04d}" for i in range(entries)]
    )
    # The two devices of one entry stay together, first device first.
    for one, two in zip(body[::2], body[1::2], strict=True):
        assert (one[DEVICE_ID], two[DEVICE_ID]) == (first["id"], second["id"])
        assert one[NUMBER][1:] == two[NUMBER][1:]
        assert one[TIME] == two[TIME]
