"""The access log of a share: every read of shared data and every shipment number set, in
time order across the log's shards, paged with signed cursors on both sides, invisible to
everyone else, and written before any shared data is read (no entry, no read)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from chalicelib.models import AccessLogEntry, Share
from chalicelib.models.shares import LOG_SHARDS
from chalicelib.services.platform import storage
from chalicelib.services.shares import access_log
from tests.conftest import Api, make_tenant, problem
from tests.services.shares.conftest import share

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_time(text: str) -> datetime:
    """An RFC 3339 time of the API (`...Z`, with or without milliseconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def walk(api: Api, path: str, limit: int = 7) -> list[dict[str, Any]]:
    """Every entry of a log, page by page (`?limit=`), checking each page's size, that no
    entry comes twice and that no empty page follows the last one."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(f"{path}{query}")
        assert answer.status_code == 200, answer.body
        page = answer.json_body
        assert len(page["items"]) <= limit
        assert page["items"] or not items, "an empty page after a cursor"
        seen = {e["id"] for e in items}
        again = [e["id"] for e in page["items"] if e["id"] in seen]
        assert not again, f"entries shown again on page {len(items) // limit + 1}: {again}"
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == limit  # only the last page is short
    raise AssertionError("the cursor never ends")


def whole(api: Api, path: str) -> list[dict[str, Any]]:
    """A log of at most 100 entries in one page (no cursor involved)."""
    answer = api.get(f"{path}?limit=100")
    assert answer.status_code == 200, answer.body
    assert answer.json_body["next_cursor"] is None
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def sender_log(carrier: Any, share_id: str) -> list[dict[str, Any]]:
    return whole(carrier.api, f"/v1/shares/{share_id}/access-log")


def partner_log(carrier: Any, share_id: str) -> list[dict[str, Any]]:
    return whole(carrier.partner, f"/v1/received-shares/{share_id}/access-log")


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


def stored_entries(sender_tenant_id: str, share_id: str) -> dict[int, list[AccessLogEntry]]:
    """The stored items of one share's log, shard by shard (straight from the table)."""
    return {
        shard: list(
            AccessLogEntry.query(AccessLogEntry.log_key_for(sender_tenant_id, share_id, shard))
        )
        for shard in range(LOG_SHARDS)
    }


def busy(carrier: Any, granted: dict[str, Any], operations: int = 30) -> list[tuple[str, Any]]:
    """Reads and shipment numbers, one after the other; what each should have logged, in
    the order they happened: ("read", entry id) or ("shipment_number", the number)."""
    done: list[tuple[str, Any]] = []
    devices = granted["asset_ids"]
    for index in range(operations):
        if index % 3 == 2:
            number = f"SN-{index:03d}"
            set_number(carrier, granted["id"], devices[index % len(devices)], number)
            done.append(("shipment_number", number))
        else:
            done.append(("read", read(carrier, granted["id"])["logged_as"]))
    return done


def op_of(entry: dict[str, Any]) -> tuple[str, Any]:
    if entry["kind"] == "read":
        return ("read", entry["id"])
    return ("shipment_number", entry["assets"][0]["shipment_number"])


def test_entries_come_back_oldest_first_across_all_shards_on_both_sides(carrier, tenant):
    granted = share(carrier, carrier.devices)
    done = busy(carrier, granted)
    grant = Share.get(tenant.id, granted["id"])
    stored = stored_entries(tenant.id, granted["id"])
    assert sum(1 for items in stored.values() if items) > 1  # really spread over shards

    sender, partner = sender_log(carrier, granted["id"]), partner_log(carrier, granted["id"])
    assert partner == sender  # both sides read the same log
    for log in (sender, partner):
        assert len(log) == len(done)
        assert len({e["id"] for e in log}) == len(log)  # every entry exactly once
        assert sorted(map(op_of, log)) == sorted(done)
        # The log is ordered by (time, id): the order of its sort keys ...
        assert log == sorted(log, key=lambda e: (parse_time(e["time"]), e["id"]))
        # ... and the times are those of the operations, which happened one after the
        # other: in the order they were made, the logged times never go back.
        time_of = {op_of(e): parse_time(e["time"]) for e in log}
        times = [time_of[op] for op in done]
        assert times == sorted(times)
        # So the log is the operations in the order they were made (ties within one
        # millisecond ordered by entry id, as the sort key says).
        id_of = {op_of(e): e["id"] for e in log}
        assert [op_of(e) for e in log] == sorted(done, key=lambda op: (time_of[op], id_of[op]))
    # The service's merge of the shards (which the Excel protocol streams) agrees.
    assert [e.entry_id for e in access_log.entries(grant)] == [e["id"] for e in sender]


def _record_at(grant: Share, device: dict[str, Any], times: list[datetime]) -> list[str]:
    """Entries written straight through the service at these times, in this order; their
    ids in time order."""
    made: dict[str, datetime] = {}
    for number, when in enumerate(times):
        with storage.Transaction() as tx:
            entry = access_log.record(
                tx,
                access_log.new_entry(
                    grant,
                    kind="read",
                    channel="api",
                    actor="api_key:test",
                    assets=[(device["id"], device["name"], f"N{number}")],
                    now=when,
                ),
            )
        made[entry.entry_id] = when
    return sorted(made, key=lambda entry_id: made[entry_id])


def _spread_times() -> list[datetime]:
    """Distinct times (milliseconds apart or more), shuffled: the order written is not the
    order of time."""
    base = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    times = [base + timedelta(milliseconds=37 * i) for i in range(24)]
    # Far apart, across a year, and in another time zone (11:30+02:00 is 09:30Z).
    times += [
        datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 22, 11, 30, 0, 500000, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 11, 22, 9, 59, 59, 999000, tzinfo=UTC),
        base + timedelta(milliseconds=1),
    ]
    random.Random(7).shuffle(times)
    return times


def test_entries_are_ordered_by_their_time_whatever_the_shard_and_write_order(carrier, tenant):
    granted = share(carrier, carrier.devices[:1])
    grant = Share.get(tenant.id, granted["id"])
    times = _spread_times()
    expected = _record_at(grant, carrier.devices[0], times)

    # Stored over several shards ...
    shards = stored_entries(tenant.id, granted["id"])
    assert sum(len(items) for items in shards.values()) == len(times)
    assert sum(1 for items in shards.values() if items) > 1
    # ... and merged into one time order, by the service and on both sides.
    assert [e.entry_id for e in access_log.entries(grant)] == expected
    for log in (sender_log(carrier, granted["id"]), partner_log(carrier, granted["id"])):
        assert [e["id"] for e in log] == expected
        assert [parse_time(e["time"]) for e in log] == sorted(times)


def test_pages_of_limit_7_walk_every_entry_exactly_once_in_time_order_on_both_sides(carrier):
    granted = share(carrier, carrier.devices)
    done = busy(carrier, granted, 22)
    for api, path in (
        (carrier.api, f"/v1/shares/{granted['id']}/access-log"),
        (carrier.partner, f"/v1/received-shares/{granted['id']}/access-log"),
    ):
        entries = walk(api, path, 7)  # pages of 7, 7, 7, 1; no entry twice
        assert len(entries) == 22
        assert sorted(map(op_of, entries)) == sorted(done)
        assert entries == whole(api, path)


def test_pages_of_any_size_walk_entries_written_at_spread_times_in_time_order(carrier, tenant):
    granted = share(carrier, carrier.devices[:1])
    expected = _record_at(Share.get(tenant.id, granted["id"]), carrier.devices[0], _spread_times())
    for limit in (7, 1, 4, 28, 29, 100):
        for api, path in (
            (carrier.api, f"/v1/shares/{granted['id']}/access-log"),
            (carrier.partner, f"/v1/received-shares/{granted['id']}/access-log"),
        ):
            assert [e["id"] for e in walk(api, path, limit)] == expected, limit


def test_an_exactly_full_last_page_has_no_cursor(carrier):
    granted = share(carrier, carrier.devices[:1])
    made = [read(carrier, granted["id"])["logged_as"] for _ in range(14)]
    path = f"/v1/shares/{granted['id']}/access-log?limit=7"
    first = carrier.api.get(path).json_body
    second = carrier.api.get(f"{path}&cursor={first['next_cursor']}").json_body
    assert len(first["items"]) == len(second["items"]) == 7
    assert sorted(e["id"] for e in first["items"] + second["items"]) == sorted(made)
    assert second["next_cursor"] is None


def test_an_empty_log_is_one_empty_page(carrier):
    granted = share(carrier, carrier.devices[:1])
    for api, path in (
        (carrier.api, f"/v1/shares/{granted['id']}/access-log"),
        (carrier.partner, f"/v1/received-shares/{granted['id']}/access-log"),
    ):
        assert api.get(path).json_body == {"items": [], "next_cursor": None}


def _tampered(cursor: str) -> list[str]:
    payload, _, signature = cursor.partition(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    moved = data.replace(b'"S":"2', b'"S":"1', 1)
    assert moved != data
    forged = base64.urlsafe_b64encode(moved).rstrip(b"=").decode()
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return [
        f"{forged}.{signature}",  # the position moved, the signature kept
        f"{payload}.{flipped}",  # the signature altered
        payload,  # no signature at all
        "garbage",
        f"{payload}.{signature}x",
    ]


def _cursor(api: Api, path: str) -> str:
    cursor = api.get(f"{path}?limit=1").json_body["next_cursor"]
    assert cursor
    return str(cursor)


def test_a_tampered_or_foreign_cursor_is_422(carrier):
    granted = share(carrier, carrier.devices)
    other = share(carrier, carrier.devices[:1])
    for _ in range(3):
        read(carrier, granted["id"])
        read(carrier, other["id"])
    sent = f"/v1/shares/{granted['id']}/access-log"
    received = f"/v1/received-shares/{granted['id']}/access-log"
    sender_cursor = _cursor(carrier.api, sent)
    partner_cursor = _cursor(carrier.partner, received)
    foreign = {
        sent: [
            *_tampered(sender_cursor),
            _cursor(carrier.api, f"/v1/shares/{other['id']}/access-log"),  # another log
            _cursor(carrier.api, "/v1/shares"),  # another list
            partner_cursor,  # the other side's cursor of the same log
        ],
        received: [
            *_tampered(partner_cursor),
            _cursor(carrier.partner, f"/v1/received-shares/{other['id']}/access-log"),
            _cursor(carrier.partner, "/v1/received-shares"),
            sender_cursor,
        ],
    }
    for api, path in ((carrier.api, sent), (carrier.partner, received)):
        for cursor in foreign[path]:
            answer = api.get(f"{path}?limit=1&cursor={cursor}")
            body = problem(answer)
            assert answer.status_code == 422, (path, cursor, answer.body)
            assert [e["field"] for e in body["errors"]] == ["cursor"]
        # The genuine cursor still works.
        own = sender_cursor if api is carrier.api else partner_cursor
        assert api.get(f"{path}?limit=1&cursor={own}").status_code == 200


def test_nobody_else_sees_either_log(carrier, chalice_client, tenant):
    granted = share(carrier, carrier.devices)
    read(carrier, granted["id"])
    third = Api(chalice_client, make_tenant("Third Org").key)
    sent = f"/v1/shares/{granted['id']}/access-log"
    received = f"/v1/received-shares/{granted['id']}/access-log"
    unknown = "shr_doesnotexist"
    cases = [
        (carrier.partner, sent),  # the partner is not the sender
        (carrier.api, received),  # the sender did not receive it
        (third, sent),
        (third, received),
        (carrier.api, f"/v1/shares/{unknown}/access-log"),
        (carrier.partner, f"/v1/received-shares/{unknown}/access-log"),
    ]
    for api, path in cases:
        for variant, headers in (
            (path, {}),
            (f"{path}?limit=7", {}),
            (f"{path}?format=xlsx", {"Accept": XLSX}),
            (path, {"Accept": XLSX}),
            (path.replace("/access-log", "/access-log.xlsx"), {"Accept": XLSX}),
        ):
            answer = api.get(variant, headers=headers)
            assert answer.status_code == 404, (variant, answer.status_code)
            body = problem(answer)
            assert granted["name"] not in answer.body.decode()
            assert tenant.public_id not in str(body)
    # A third organisation cannot read the assets or set shipment numbers either.
    assert third.get(f"/v1/received-shares/{granted['id']}/assets").status_code == 404
    assert (
        third.put(
            f"/v1/received-shares/{granted['id']}/assets/{granted['asset_ids'][0]}/shipment-number",
            {"shipment_number": "X"},
        ).status_code
        == 404
    )
    assert len(sender_log(carrier, granted["id"])) == 1


def test_entries_say_who_read_what_when_and_how(carrier, tenant, other_tenant):
    granted = share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")
    devices = carrier.devices[:2]
    partner_key = carrier.partner.get("/v1/api-keys").json_body["items"][0]["id"]
    before = datetime.now(UTC).replace(microsecond=0)
    first = read(carrier, granted["id"])
    set_number(carrier, granted["id"], devices[1]["id"], "SHP-4711")
    second = read(carrier, granted["id"])
    # A read through the tracking page's session is logged with its own channel.
    session = carrier.partner.post("/v1/tracking/sessions", {}).json_body
    page_key = session["url"].split("#session=", 1)[1]
    third = carrier.partner.as_key(page_key).get(f"/v1/received-shares/{granted['id']}/assets")
    assert third.status_code == 200, third.body
    after = datetime.now(UTC) + timedelta(milliseconds=1)

    log = sender_log(carrier, granted["id"])
    assert partner_log(carrier, granted["id"]) == log
    assert [e["kind"] for e in log] == ["read", "shipment_number", "read", "read"]
    assert [e["id"] for e in log[::2]] == [first["logged_as"], second["logged_as"]]
    assert log[3]["id"] == third.json_body["logged_as"]
    for entry in log:
        assert entry["share_id"] == granted["id"]
        assert entry["share_name"] == "Tour Hamburg-Köln"
        assert entry["sender_tenant_id"] == tenant.public_id
        assert entry["partner_tenant_id"] == other_tenant.public_id
        assert entry["contact_email"] == "dispo@shipper.example"
        assert before <= parse_time(entry["time"]) <= after
        assert tenant.id not in str(entry)
        assert other_tenant.id not in str(entry)
    assert [e["actor"] for e in log[:3]] == [f"api_key:{partner_key}"] * 3
    assert log[3]["actor"].startswith("api_key:trk_")
    assert [e["channel"] for e in log] == ["api", "api", "api", "page"]
    # A read names every shared device, with its name and shipment number at that time.
    names = [(d["id"], d["name"]) for d in devices]
    assert log[0]["assets"] == [
        {"asset_id": i, "name": n, "shipment_number": None} for i, n in names
    ]
    assert log[2]["assets"] == [
        {"asset_id": names[0][0], "name": names[0][1], "shipment_number": None},
        {"asset_id": names[1][0], "name": names[1][1], "shipment_number": "SHP-4711"},
    ]
    # A shipment number set names the one device and the number.
    assert log[1]["assets"] == [
        {"asset_id": names[1][0], "name": names[1][1], "shipment_number": "SHP-4711"}
    ]


# -- fail closed ------------------------------------------------------------------------------


def _throttled(*_: Any, **__: Any) -> None:
    error = {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed"}
    raise TransactWriteError(
        "Failed to write the entry", cause=ClientError({"Error": error}, "TransactWriteItems")
    )


def _broken(*_: Any, **__: Any) -> None:
    raise RuntimeError("the log table is gone")


@pytest.mark.parametrize(
    ("failure", "status"), [(_throttled, 503), (_broken, 500)], ids=["throttled", "broken"]
)
def test_no_log_entry_no_read(carrier, ddb_calls, monkeypatch, failure, status):
    """The entry (with its event) is one TransactWriteItems, sent before the devices are
    read; when it fails, the read fails."""
    granted = share(carrier, carrier.devices)
    read(carrier, granted["id"])
    monkeypatch.setattr(storage.Transaction, "commit", failure)
    ddb_calls.reset()
    answer = carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets")
    calls = dict(ddb_calls.calls)
    assert answer.status_code == status, answer.body
    body = problem(answer)
    assert set(body) == {"type", "title", "status", "detail"}
    if status == 503:
        assert answer.headers["Retry-After"]
    # Nothing shared was read, and nothing of it is in the answer.
    assert calls.get("BatchGetItem", 0) == 0, calls
    assert calls == {"GetItem": 2}  # the key and the grant; the entry's write failed
    text = answer.body.decode()
    for device in carrier.devices:
        assert device["id"] not in text
        assert device["name"] not in text
    assert "53.55" not in text
    # The failed read left no entry; once the log can be written again, reads work.
    monkeypatch.undo()
    assert len(sender_log(carrier, granted["id"])) == 1
    assert len(carrier.api.get("/v1/events?type=share.read").json_body["items"]) == 1
    assert read(carrier, granted["id"])["items"]
    assert len(sender_log(carrier, granted["id"])) == 2


def test_a_shipment_number_whose_log_entry_fails_is_not_set(carrier, monkeypatch):
    """The shipment number and its entry are one transaction: neither without the other."""
    granted = share(carrier, carrier.devices[:1])

    def refuse(self: Any) -> None:
        error = {"Code": "ThrottlingException", "Message": "slow down"}
        raise TransactWriteError("no", cause=ClientError({"Error": error}, "TransactWriteItems"))

    monkeypatch.setattr(storage.Transaction, "commit", refuse)
    answer = carrier.partner.put(
        f"/v1/received-shares/{granted['id']}/assets/{granted['asset_ids'][0]}/shipment-number",
        {"shipment_number": "LOST-1"},
    )
    assert answer.status_code == 503, answer.body
    monkeypatch.undo()
    assert sender_log(carrier, granted["id"]) == []
    assert read(carrier, granted["id"])["items"][0]["shipment_number"] is None


def test_one_partner_read_costs_two_gets_one_batch_get_and_one_log_write(carrier, ddb_calls):
    """The log write is one TransactWriteItems of the entry and its `share.read` event."""
    granted = share(carrier, carrier.devices)
    read(carrier, granted["id"])  # warm: nothing cached may make the count smaller later
    ddb_calls.reset()
    answer = read(carrier, granted["id"])
    assert len(answer["items"]) == 3
    assert dict(ddb_calls.calls) == {"GetItem": 2, "BatchGetItem": 1, "TransactWriteItems": 1}


def test_a_busy_share_spreads_its_log_over_several_shards(carrier, tenant):
    granted = share(carrier, carrier.devices[:1])
    made = [read(carrier, granted["id"])["logged_as"] for _ in range(30)]
    assert Share.get(tenant.id, granted["id"]).log_shards == LOG_SHARDS
    shards = stored_entries(tenant.id, granted["id"])
    found = {e.entry_id: shard for shard, items in shards.items() for e in items}
    assert sorted(found) == sorted(made)  # every entry is in one of the shards 0..N-1
    assert len({shard for shard in found.values()}) > 1
    for shard, items in shards.items():
        for item in items:
            assert item.log_key == AccessLogEntry.log_key_for(tenant.id, granted["id"], shard)
            assert item.entry_key == AccessLogEntry.key_for(item.time, item.entry_id)
    # Where a new entry goes: always one of the share's shards, and every one of them used.
    grant = Share.get(tenant.id, granted["id"])
    device = carrier.devices[0]
    keys = {
        access_log.new_entry(
            grant,
            kind="read",
            channel="api",
            actor="api_key:test",
            assets=[(device["id"], device["name"], None)],
            now=datetime.now(UTC),
        ).log_key
        for _ in range(400)
    }
    assert keys == {
        AccessLogEntry.log_key_for(tenant.id, granted["id"], shard) for shard in range(LOG_SHARDS)
    }
    # Nothing of this share landed on a shard past the last: those partitions are empty.
    for shard in (-1, LOG_SHARDS, LOG_SHARDS + 1, 10):
        key = AccessLogEntry.log_key_for(tenant.id, granted["id"], shard)
        assert list(AccessLogEntry.query(key)) == []
