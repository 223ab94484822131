"""Assets, their telemetry events and their assignment to customers, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import problem

# --------------------------------------------------------------------------- helpers


def ago(**delta: float) -> datetime:
    """A UTC time this long before now, to the whole second."""
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0)


def stamp(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`, as the API answers it (whole seconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def new_asset(api: Any, name: str = "Excavator 1", **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/assets", {"name": name, **fields})
    assert response.status_code == 201, response.body
    body: dict[str, Any] = response.json_body
    return body


def new_customer(api: Any, name: str = "Nordbau GmbH") -> dict[str, Any]:
    response = api.post("/v1/customers", {"name": name})
    assert response.status_code == 201, response.body
    body: dict[str, Any] = response.json_body
    return body


def new_unit(api: Any, customer_id: str, name: str = "North") -> dict[str, Any]:
    response = api.post(f"/v1/customers/{customer_id}/business-units", {"name": name})
    assert response.status_code == 201, response.body
    body: dict[str, Any] = response.json_body
    return body


def asset(api: Any, asset_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/assets/{asset_id}")
    assert response.status_code == 200, response.body
    body: dict[str, Any] = response.json_body
    return body


def customer(api: Any, customer_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.body
    body: dict[str, Any] = response.json_body
    return body


def assign(api: Any, customer_id: str, asset_ids: list[str], **extra: Any) -> Any:
    return api.put(f"/v1/customers/{customer_id}/assets", {"asset_ids": asset_ids, **extra})


def customer_asset_ids(api: Any, customer_id: str) -> set[str]:
    response = api.get(f"/v1/customers/{customer_id}/assets")
    assert response.status_code == 200, response.body
    return {a["id"] for a in response.json_body["items"]}


def report(api: Any, asset_id: str, time: datetime | str, **fields: Any) -> Any:
    when = time if isinstance(time, str) else stamp(time)
    return api.post(f"/v1/assets/{asset_id}/events", {"time": when, **fields})


def every_page(api: Any, path: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """All items of a list, page by page, and how many pages it took."""
    seen: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(url)
        assert response.status_code == 200, response.body
        page = response.json_body
        assert len(page["items"]) <= limit
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, pages


def error_fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors") or []]


# --------------------------------------------------------------------------- create, read, list


def test_create_asset_is_201_with_ast_id_default_kind_and_version_1(api):
    created = api.post("/v1/assets", {"name": "Excavator 1", "serial_number": "SN-001"})
    assert created.status_code == 201
    body = created.json_body
    assert body["id"].startswith("ast_")
    assert body["name"] == "Excavator 1"
    assert body["serial_number"] == "SN-001"
    assert body["kind"] == "machine"
    assert body["version"] == 1
    assert body["customer_id"] is None
    assert body["business_unit_id"] is None
    assert body["last_event"] is None
    assert body["created_at"].endswith("Z")
    assert body["updated_at"].endswith("Z")


def test_create_asset_keeps_given_kind(api):
    assert new_asset(api, "Trailer", kind="trailer")["kind"] == "trailer"


def test_read_asset_returns_what_create_returned(api):
    created = new_asset(api)
    read = api.get(f"/v1/assets/{created['id']}")
    assert read.status_code == 200
    assert read.json_body == created


def test_reading_unknown_asset_is_404(api):
    assert problem(api.get("/v1/assets/ast_nope"))["status"] == 404


def test_list_assets_pages_through_every_asset_once_oldest_first(api):
    ids = [new_asset(api, f"A{i}")["id"] for i in range(7)]
    first = api.get("/v1/assets?limit=3").json_body
    assert len(first["items"]) == 3
    assert first["next_cursor"] is not None
    seen, pages = every_page(api, "/v1/assets", limit=3)
    assert [a["id"] for a in seen] == ids
    assert pages == 3


def test_list_assets_without_more_has_no_cursor(api):
    only = new_asset(api)
    listed = api.get("/v1/assets").json_body
    assert listed["items"] == [only]
    assert listed["next_cursor"] is None


# --------------------------------------------------------------------------- validation


def test_invalid_kind_is_422_naming_kind(api):
    body = problem(api.post("/v1/assets", {"name": "X", "kind": "spaceship"}))
    assert body["status"] == 422
    assert error_fields(body) == ["kind"]


def test_empty_name_is_422_naming_name(api):
    for name in ("", "   "):
        body = problem(api.post("/v1/assets", {"name": name}))
        assert body["status"] == 422
        assert error_fields(body) == ["name"]


def test_name_of_201_chars_is_422_but_200_chars_is_accepted(api):
    body = problem(api.post("/v1/assets", {"name": "x" * 201}))
    assert body["status"] == 422
    assert error_fields(body) == ["name"]
    assert new_asset(api, "x" * 200)["name"] == "x" * 200


def test_missing_name_is_422_naming_name(api):
    body = problem(api.post("/v1/assets", {"kind": "tool"}))
    assert body["status"] == 422
    assert error_fields(body) == ["name"]


def test_unknown_field_is_422_naming_the_field(api):
    body = problem(api.post("/v1/assets", {"name": "X", "colour": "yellow"}))
    assert body["status"] == 422
    assert body["errors"] == [{"field": "colour", "message": "unknown field", "code": "unknown"}]


def test_rejected_creates_store_nothing(api):
    api.post("/v1/assets", {"name": ""})
    api.post("/v1/assets", {"name": "X", "kind": "spaceship"})
    assert api.get("/v1/assets").json_body["items"] == []


# --------------------------------------------------------------------------- patch


def test_patch_changes_given_fields_and_bumps_version(api):
    created = new_asset(api, "Old", serial_number="SN-1", kind="tool")
    patched = api.patch(f"/v1/assets/{created['id']}", {"name": "New", "kind": "vehicle"})
    assert patched.status_code == 200
    body = patched.json_body
    assert body["name"] == "New"
    assert body["kind"] == "vehicle"
    assert body["serial_number"] == "SN-1"
    assert body["version"] == 2
    assert asset(api, created["id"]) == body


def test_patch_with_serial_number_null_clears_it(api):
    created = new_asset(api, serial_number="SN-1")
    patched = api.patch(f"/v1/assets/{created['id']}", {"serial_number": None})
    assert patched.status_code == 200
    assert patched.json_body["serial_number"] is None
    assert asset(api, created["id"])["serial_number"] is None


def test_patch_name_or_kind_to_null_is_422_and_changes_nothing(api):
    created = new_asset(api)
    for field in ("name", "kind"):
        body = problem(api.patch(f"/v1/assets/{created['id']}", {field: None}))
        assert body["status"] == 422
        assert error_fields(body) == [field]
    assert asset(api, created["id"]) == created


def test_patch_with_invalid_kind_or_unknown_field_is_422(api):
    created = new_asset(api)
    assert error_fields(
        problem(api.patch(f"/v1/assets/{created['id']}", {"kind": "spaceship"}))
    ) == ["kind"]
    assert error_fields(problem(api.patch(f"/v1/assets/{created['id']}", {"colour": "red"}))) == [
        "colour"
    ]
    assert asset(api, created["id"]) == created


def test_patch_with_current_version_succeeds(api):
    created = new_asset(api)
    patched = api.patch(f"/v1/assets/{created['id']}", {"name": "B", "version": 1})
    assert patched.status_code == 200
    assert patched.json_body["version"] == 2
    by_header = api.patch(f"/v1/assets/{created['id']}", {"name": "C"}, headers={"If-Match": '"2"'})
    assert by_header.status_code == 200
    assert by_header.json_body["version"] == 3


def test_patch_with_stale_version_in_body_is_409_and_changes_nothing(api):
    created = new_asset(api, "A")
    current = api.patch(f"/v1/assets/{created['id']}", {"name": "B", "version": 1}).json_body
    body = problem(api.patch(f"/v1/assets/{created['id']}", {"name": "C", "version": 1}))
    assert body["status"] == 409
    assert body["current_version"] == 2
    assert asset(api, created["id"]) == current


def test_patch_with_stale_if_match_header_is_409_and_changes_nothing(api):
    created = new_asset(api, "A")
    current = api.patch(f"/v1/assets/{created['id']}", {"name": "B"}).json_body
    body = problem(
        api.patch(f"/v1/assets/{created['id']}", {"name": "C"}, headers={"If-Match": '"1"'})
    )
    assert body["status"] == 409
    assert body["current_version"] == 2
    assert asset(api, created["id"]) == current


def test_patch_of_unknown_asset_is_404(api):
    assert problem(api.patch("/v1/assets/ast_nope", {"name": "X"}))["status"] == 404


# --------------------------------------------------------------------------- delete


def test_delete_asset_is_204_then_404(api):
    created = new_asset(api)
    deleted = api.delete(f"/v1/assets/{created['id']}")
    assert deleted.status_code == 204
    assert problem(api.get(f"/v1/assets/{created['id']}"))["status"] == 404
    assert problem(api.delete(f"/v1/assets/{created['id']}"))["status"] == 404
    assert api.get("/v1/assets").json_body["items"] == []


def test_delete_with_stale_if_match_is_409_and_keeps_the_asset(api):
    created = new_asset(api)
    api.patch(f"/v1/assets/{created['id']}", {"name": "B"})
    body = problem(api.delete(f"/v1/assets/{created['id']}", headers={"If-Match": '"1"'}))
    assert body["status"] == 409
    assert asset(api, created["id"])["name"] == "B"


# --------------------------------------------------------------------------- telemetry events


def test_posting_an_event_is_201_and_sets_last_event(api):
    created = new_asset(api)
    when = ago(minutes=10)
    posted = report(
        api, created["id"], when, lat=52.52, lon=13.405, operating_hours=1234.5, status="running"
    )
    assert posted.status_code == 201
    event = posted.json_body
    assert event["id"].startswith("evt_")
    assert event["asset_id"] == created["id"]
    assert event["time"] == stamp(when)
    assert event["lat"] == 52.52
    assert event["lon"] == 13.405
    assert event["operating_hours"] == 1234.5
    assert event["status"] == "running"
    assert event["received_at"].endswith("Z")
    assert asset(api, created["id"])["last_event"] == {
        "time": stamp(when),
        "lat": 52.52,
        "lon": 13.405,
        "operating_hours": 1234.5,
        "status": "running",
    }


def test_event_time_with_offset_is_stored_in_utc(api):
    created = new_asset(api)
    when = ago(hours=1)
    local = when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "+00:00"
    shifted = (when + timedelta(hours=2)).replace(tzinfo=None).isoformat(
        timespec="seconds"
    ) + "+02:00"
    for text in (local, shifted):
        posted = report(api, created["id"], text)
        assert posted.status_code == 201, posted.body
        assert posted.json_body["time"] == stamp(when)


def test_newer_event_replaces_last_event(api):
    created = new_asset(api)
    report(api, created["id"], ago(hours=2), lat=1.0, lon=2.0, status="idle")
    newer = ago(hours=1)
    assert (
        report(
            api, created["id"], newer, lat=3.0, lon=4.0, status="running", operating_hours=10.0
        ).status_code
        == 201
    )
    last = asset(api, created["id"])["last_event"]
    assert last == {
        "time": stamp(newer),
        "lat": 3.0,
        "lon": 4.0,
        "operating_hours": 10.0,
        "status": "running",
    }


def test_older_event_after_newer_one_leaves_last_event_on_the_newer(api):
    created = new_asset(api)
    newer, older = ago(hours=1), ago(hours=2)
    assert (
        report(
            api, created["id"], newer, lat=3.0, lon=4.0, operating_hours=10.0, status="running"
        ).status_code
        == 201
    )
    before = asset(api, created["id"])
    late = report(api, created["id"], older, lat=1.0, lon=2.0, operating_hours=5.0, status="idle")
    assert late.status_code == 201
    after = asset(api, created["id"])
    assert after["last_event"] == {
        "time": stamp(newer),
        "lat": 3.0,
        "lon": 4.0,
        "operating_hours": 10.0,
        "status": "running",
    }
    assert after == before
    # The late report is still stored in the history.
    times = [e["time"] for e in api.get(f"/v1/assets/{created['id']}/events").json_body["items"]]
    assert times == [stamp(newer), stamp(older)]


def test_event_with_lat_without_lon_is_422_and_stores_nothing(api):
    created = new_asset(api)
    for position in ({"lat": 52.5}, {"lon": 13.4}):
        body = problem(report(api, created["id"], ago(minutes=5), **position))
        assert body["status"] == 422
        assert body["errors"]
    assert asset(api, created["id"])["last_event"] is None
    assert api.get(f"/v1/assets/{created['id']}/events").json_body["items"] == []


def test_event_with_lat_91_is_422_naming_lat(api):
    created = new_asset(api)
    body = problem(report(api, created["id"], ago(minutes=5), lat=91, lon=0))
    assert body["status"] == 422
    assert error_fields(body) == ["lat"]
    assert asset(api, created["id"])["last_event"] is None


def test_event_with_lon_181_is_422_naming_lon(api):
    created = new_asset(api)
    body = problem(report(api, created["id"], ago(minutes=5), lat=0, lon=181))
    assert body["status"] == 422
    assert error_fields(body) == ["lon"]


def test_event_time_without_timezone_offset_is_422_naming_time(api):
    created = new_asset(api)
    naive = ago(minutes=5).replace(tzinfo=None).isoformat(timespec="seconds")
    body = problem(report(api, created["id"], naive))
    assert body["status"] == 422
    assert error_fields(body) == ["time"]
    assert asset(api, created["id"])["last_event"] is None


def test_event_time_one_hour_in_the_future_is_422_naming_time(api):
    created = new_asset(api)
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    body = problem(report(api, created["id"], future))
    assert body["status"] == 422
    assert error_fields(body) == ["time"]
    assert asset(api, created["id"])["last_event"] is None
    assert api.get(f"/v1/assets/{created['id']}/events").json_body["items"] == []


def test_event_without_time_is_422_naming_time(api):
    created = new_asset(api)
    body = problem(api.post(f"/v1/assets/{created['id']}/events", {"lat": 1, "lon": 1}))
    assert body["status"] == 422
    assert error_fields(body) == ["time"]


def test_events_of_unknown_asset_are_404(api):
    assert problem(report(api, "ast_nope", ago(minutes=5)))["status"] == 404
    assert problem(api.get("/v1/assets/ast_nope/events"))["status"] == 404


def test_events_are_listed_newest_first_and_paginate(api):
    created = new_asset(api)
    times = [ago(hours=h) for h in (5, 1, 3, 2, 4)]  # posted out of order
    for t in times:
        assert report(api, created["id"], t).status_code == 201
    expected = [stamp(t) for t in sorted(times, reverse=True)]

    listed = api.get(f"/v1/assets/{created['id']}/events").json_body
    assert [e["time"] for e in listed["items"]] == expected
    assert listed["next_cursor"] is None

    seen, pages = every_page(api, f"/v1/assets/{created['id']}/events", limit=2)
    assert [e["time"] for e in seen] == expected
    assert len({e["id"] for e in seen}) == 5
    assert pages == 3


def test_events_of_one_asset_do_not_show_in_another(api):
    first, second = new_asset(api, "A"), new_asset(api, "B")
    report(api, first["id"], ago(minutes=5))
    assert api.get(f"/v1/assets/{second['id']}/events").json_body["items"] == []
    assert asset(api, second["id"])["last_event"] is None


def test_posting_telemetry_does_not_bump_the_asset_version(api):
    created = new_asset(api)
    read_before = asset(api, created["id"])
    assert report(api, created["id"], ago(minutes=5), lat=1.0, lon=2.0).status_code == 201
    assert report(api, created["id"], ago(minutes=10)).status_code == 201  # an older one too
    after = asset(api, created["id"])
    assert after["version"] == read_before["version"] == 1
    assert after["last_event"] is not None

    patched = api.patch(
        f"/v1/assets/{created['id']}", {"name": "Renamed", "version": read_before["version"]}
    )
    assert patched.status_code == 200, patched.body
    assert patched.json_body["version"] == 2
    assert patched.json_body["last_event"] == after["last_event"]

    report(api, created["id"], ago(minutes=1))
    by_header = api.patch(
        f"/v1/assets/{created['id']}", {"name": "Again"}, headers={"If-Match": '"2"'}
    )
    assert by_header.status_code == 200, by_header.body


# --------------------------------------------------------------------------- assignment


def test_put_customer_assets_assigns_them(api):
    cus = new_customer(api)
    a1, a2 = new_asset(api, "A1"), new_asset(api, "A2")
    response = assign(api, cus["id"], [a1["id"], a2["id"]])
    assert response.status_code == 200, response.body
    body = response.json_body
    assert body["customer_id"] == cus["id"]
    assert [a["id"] for a in body["items"]] == [a1["id"], a2["id"]]
    assert all(a["customer_id"] == cus["id"] for a in body["items"])

    for a in (a1, a2):
        assert asset(api, a["id"])["customer_id"] == cus["id"]
    assert customer(api, cus["id"])["asset_count"] == 2
    assert customer_asset_ids(api, cus["id"]) == {a1["id"], a2["id"]}


def test_second_put_with_other_set_unassigns_the_removed_ones(api):
    cus = new_customer(api)
    a1, a2, a3 = (new_asset(api, f"A{i}")["id"] for i in range(3))
    assert assign(api, cus["id"], [a1, a2]).status_code == 200
    again = assign(api, cus["id"], [a2, a3])
    assert again.status_code == 200, again.body
    assert asset(api, a1)["customer_id"] is None
    assert asset(api, a2)["customer_id"] == cus["id"]
    assert asset(api, a3)["customer_id"] == cus["id"]
    assert customer(api, cus["id"])["asset_count"] == 2
    assert customer_asset_ids(api, cus["id"]) == {a2, a3}


def test_put_same_set_again_changes_nothing(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    assign(api, cus["id"], [a1])
    before = (asset(api, a1), customer(api, cus["id"]))
    assert assign(api, cus["id"], [a1]).status_code == 200
    assert (asset(api, a1), customer(api, cus["id"])) == before


def test_put_empty_list_clears_the_assignment(api):
    cus = new_customer(api)
    a1, a2 = new_asset(api, "A1")["id"], new_asset(api, "A2")["id"]
    assign(api, cus["id"], [a1, a2])
    cleared = assign(api, cus["id"], [])
    assert cleared.status_code == 200, cleared.body
    assert cleared.json_body["items"] == []
    for a in (a1, a2):
        assert asset(api, a)["customer_id"] is None
        assert asset(api, a)["business_unit_id"] is None
    assert customer(api, cus["id"])["asset_count"] == 0
    assert customer_asset_ids(api, cus["id"]) == set()


def test_unassigned_asset_can_go_to_another_customer(api):
    first, second = new_customer(api, "First"), new_customer(api, "Second")
    a1 = new_asset(api)["id"]
    assign(api, first["id"], [a1])
    assign(api, first["id"], [])
    assert assign(api, second["id"], [a1]).status_code == 200
    assert asset(api, a1)["customer_id"] == second["id"]
    assert customer(api, first["id"])["asset_count"] == 0
    assert customer(api, second["id"])["asset_count"] == 1


def test_customer_assets_list_paginates(api):
    cus = new_customer(api)
    ids = [new_asset(api, f"A{i}")["id"] for i in range(5)]
    assign(api, cus["id"], ids)
    seen, pages = every_page(api, f"/v1/customers/{cus['id']}/assets", limit=2)
    assert sorted(a["id"] for a in seen) == sorted(ids)
    assert len(seen) == 5
    assert pages == 3


def test_put_with_business_unit_puts_every_asset_in_it(api):
    cus = new_customer(api)
    unit = new_unit(api, cus["id"])
    a1, a2 = new_asset(api, "A1")["id"], new_asset(api, "A2")["id"]
    response = assign(api, cus["id"], [a1, a2], business_unit_id=unit["id"])
    assert response.status_code == 200, response.body
    assert [a["business_unit_id"] for a in response.json_body["items"]] == [unit["id"]] * 2
    for a in (a1, a2):
        stored = asset(api, a)
        assert stored["customer_id"] == cus["id"]
        assert stored["business_unit_id"] == unit["id"]
    listed = api.get(f"/v1/customers/{cus['id']}/assets").json_body["items"]
    assert {a["business_unit_id"] for a in listed} == {unit["id"]}


def test_put_without_business_unit_takes_assets_out_of_their_unit(api):
    cus = new_customer(api)
    unit = new_unit(api, cus["id"])
    a1 = new_asset(api)["id"]
    assign(api, cus["id"], [a1], business_unit_id=unit["id"])
    assert assign(api, cus["id"], [a1]).status_code == 200
    stored = asset(api, a1)
    assert stored["customer_id"] == cus["id"]
    assert stored["business_unit_id"] is None


def test_put_with_unknown_business_unit_is_422_and_assigns_nothing(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    body = problem(assign(api, cus["id"], [a1], business_unit_id="bu_nope"))
    assert body["status"] == 422
    assert error_fields(body) == ["business_unit_id"]
    assert asset(api, a1)["customer_id"] is None
    assert customer(api, cus["id"])["asset_count"] == 0


def test_put_with_business_unit_of_another_customer_is_422(api):
    cus, other = new_customer(api, "Mine"), new_customer(api, "Other")
    foreign_unit = new_unit(api, other["id"])
    a1 = new_asset(api)["id"]
    body = problem(assign(api, cus["id"], [a1], business_unit_id=foreign_unit["id"]))
    assert body["status"] == 422
    assert error_fields(body) == ["business_unit_id"]
    assert asset(api, a1)["customer_id"] is None


def test_put_with_unknown_asset_is_422_naming_its_index_and_assigns_nothing(api):
    cus = new_customer(api)
    a1, a2 = new_asset(api, "A1")["id"], new_asset(api, "A2")["id"]
    body = problem(assign(api, cus["id"], [a1, "ast_nope", a2, "ast_gone"]))
    assert body["status"] == 422
    assert error_fields(body) == ["asset_ids.1", "asset_ids.3"]
    for a in (a1, a2):
        assert asset(api, a)["customer_id"] is None
    assert customer(api, cus["id"])["asset_count"] == 0
    assert customer_asset_ids(api, cus["id"]) == set()


def test_put_with_asset_held_by_another_customer_is_409_and_changes_nothing(api):
    holder, taker = new_customer(api, "Holder"), new_customer(api, "Taker")
    held, free = new_asset(api, "Held")["id"], new_asset(api, "Free")["id"]
    assign(api, holder["id"], [held])
    body = problem(assign(api, taker["id"], [free, held]))
    assert body["status"] == 409
    assert body["held_by"] == {held: holder["id"]}
    assert asset(api, held)["customer_id"] == holder["id"]
    assert asset(api, free)["customer_id"] is None
    assert customer(api, holder["id"])["asset_count"] == 1
    assert customer(api, taker["id"])["asset_count"] == 0
    assert customer_asset_ids(api, taker["id"]) == set()
    assert customer_asset_ids(api, holder["id"]) == {held}


def test_put_with_repeated_asset_ids_is_422_and_assigns_nothing(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    body = problem(assign(api, cus["id"], [a1, a1]))
    assert body["status"] == 422
    assert body["errors"]
    assert asset(api, a1)["customer_id"] is None
    assert customer(api, cus["id"])["asset_count"] == 0


def test_put_without_asset_ids_or_with_unknown_field_is_422(api):
    cus = new_customer(api)
    assert error_fields(problem(api.put(f"/v1/customers/{cus['id']}/assets", {}))) == ["asset_ids"]
    body = problem(api.put(f"/v1/customers/{cus['id']}/assets", {"asset_ids": [], "colour": "red"}))
    assert error_fields(body) == ["colour"]


def test_put_for_unknown_customer_is_404(api):
    a1 = new_asset(api)["id"]
    assert problem(assign(api, "cus_nope", [a1]))["status"] == 404
    assert problem(api.get("/v1/customers/cus_nope/assets"))["status"] == 404
    assert asset(api, a1)["customer_id"] is None


def test_put_with_another_tenants_asset_is_422_as_unknown(api, other_api):
    cus = new_customer(api)
    mine = new_asset(api, "Mine")["id"]
    theirs = new_asset(other_api, "Theirs")
    body = problem(assign(api, cus["id"], [mine, theirs["id"]]))
    assert body["status"] == 422
    assert error_fields(body) == ["asset_ids.1"]
    assert asset(api, mine)["customer_id"] is None
    assert asset(other_api, theirs["id"]) == theirs
    assert customer(api, cus["id"])["asset_count"] == 0


def test_put_on_another_tenants_customer_is_404(api, other_api):
    cus = new_customer(api)
    theirs = new_asset(other_api)["id"]
    assert problem(assign(other_api, cus["id"], [theirs]))["status"] == 404
    assert problem(assign(other_api, cus["id"], []))["status"] == 404
    assert problem(other_api.get(f"/v1/customers/{cus['id']}/assets"))["status"] == 404
    assert asset(other_api, theirs)["customer_id"] is None
    assert customer(api, cus["id"])["asset_count"] == 0


# --------------------------------------------------------------------------- deletes vs assignment


def test_deleting_assigned_asset_is_409_naming_the_customer(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    assign(api, cus["id"], [a1])
    body = problem(api.delete(f"/v1/assets/{a1}"))
    assert body["status"] == 409
    assert body["held_by"]["customer_id"] == cus["id"]
    assert asset(api, a1)["customer_id"] == cus["id"]
    assert customer_asset_ids(api, cus["id"]) == {a1}


def test_deleting_customer_that_holds_assets_is_409_and_keeps_it(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    assign(api, cus["id"], [a1])
    body = problem(api.delete(f"/v1/customers/{cus['id']}"))
    assert body["status"] == 409
    assert customer(api, cus["id"])["asset_count"] == 1
    assert asset(api, a1)["customer_id"] == cus["id"]


def test_after_unassigning_asset_and_customer_can_both_be_deleted(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    assign(api, cus["id"], [a1])
    assert assign(api, cus["id"], []).status_code == 200
    assert api.delete(f"/v1/assets/{a1}").status_code == 204
    assert api.delete(f"/v1/customers/{cus['id']}").status_code == 204
    assert problem(api.get(f"/v1/assets/{a1}"))["status"] == 404
    assert problem(api.get(f"/v1/customers/{cus['id']}"))["status"] == 404


def test_assigning_a_deleted_asset_is_422(api):
    cus = new_customer(api)
    a1 = new_asset(api)["id"]
    api.delete(f"/v1/assets/{a1}")
    body = problem(assign(api, cus["id"], [a1]))
    assert body["status"] == 422
    assert error_fields(body) == ["asset_ids.0"]


# --------------------------------------------------------------------------- tenancy


def test_other_tenant_cannot_read_patch_or_delete_an_asset(api, other_api):
    mine = new_asset(api, "Mine", serial_number="SN-1")
    report(api, mine["id"], ago(minutes=5), lat=1.0, lon=2.0)
    before = asset(api, mine["id"])

    assert problem(other_api.get(f"/v1/assets/{mine['id']}"))["status"] == 404
    assert problem(other_api.patch(f"/v1/assets/{mine['id']}", {"name": "Stolen"}))["status"] == 404
    assert (
        problem(other_api.patch(f"/v1/assets/{mine['id']}", {"name": "Stolen", "version": 1}))[
            "status"
        ]
        == 404
    )
    assert problem(other_api.delete(f"/v1/assets/{mine['id']}"))["status"] == 404
    assert problem(report(other_api, mine["id"], ago(minutes=1)))["status"] == 404
    assert problem(other_api.get(f"/v1/assets/{mine['id']}/events"))["status"] == 404

    assert asset(api, mine["id"]) == before
    assert len(api.get(f"/v1/assets/{mine['id']}/events").json_body["items"]) == 1


def test_asset_lists_are_per_tenant(api, other_api):
    mine = new_asset(api, "Mine")
    theirs = new_asset(other_api, "Theirs")
    assert [a["id"] for a in api.get("/v1/assets").json_body["items"]] == [mine["id"]]
    assert [a["id"] for a in other_api.get("/v1/assets").json_body["items"]] == [theirs["id"]]


def test_asset_endpoints_need_an_api_key(anonymous, api):
    mine = new_asset(api)
    assert problem(anonymous.get("/v1/assets"))["status"] == 401
    assert problem(anonymous.get(f"/v1/assets/{mine['id']}"))["status"] == 401
    assert problem(anonymous.post("/v1/assets", {"name": "X"}))["status"] == 401
    assert api.get("/v1/assets").json_body["items"] == [mine]


def test_a_search_finds_assets_by_name_or_serial_number(api):
    api.post("/v1/assets", {"name": "Bagger 320", "serial_number": "EX320-0042"})
    api.post("/v1/assets", {"name": "Radlader 950", "serial_number": "WL950-0007"})
    assert [a["name"] for a in api.get("/v1/assets?q=BAGGER").json_body["items"]] == ["Bagger 320"]
    assert [a["name"] for a in api.get("/v1/assets?q=wl950").json_body["items"]] == ["Radlader 950"]
    assert api.get("/v1/assets?q=kran").json_body["items"] == []
