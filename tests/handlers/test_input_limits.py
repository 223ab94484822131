"""Input at the edges of what Python and DynamoDB can hold: times whose UTC value leaves the
years 0001-9999, numbers DynamoDB cannot store, dates that do not exist. Each is a 422 that
names the field, and nothing is written (issue 11, item 7 and item 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import make_tenant, problem
from tests.samples import portal_session, tiny_pdf

# Valid RFC 3339 text whose UTC value is one second (or less) outside 0001-9999.
EXTREME_TIMES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
# Numbers JSON can carry and Python reads, but DynamoDB refuses (under 1e-130, over 9.99e125).
UNSTORABLE = [1e-320, 1e-200, 5e-131, -1e-140]


def _invalid(response, *fields: str) -> dict:
    assert response.status_code == 422, response.body
    body = problem(response)
    assert body["type"] == "urn:portway:problem:validation"
    assert sorted(e["field"] for e in body["errors"]) == sorted(fields), body
    assert all(e["message"] for e in body["errors"])
    return body


def _asset(api) -> str:
    created = api.post("/v1/assets", {"name": "Excavator", "kind": "gps_device"})
    assert created.status_code == 201, created.body
    return str(created.json_body["id"])


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _nothing_reported(api, asset_id: str) -> None:
    assert api.get(f"/v1/assets/{asset_id}/events").json_body["items"] == []
    assert api.get(f"/v1/assets/{asset_id}").json_body["last_event"] is None


# --- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize("time", EXTREME_TIMES)
def test_event_time_outside_utc_years_1_to_9999_is_422_on_time(api, time):
    asset_id = _asset(api)
    body = _invalid(api.post(f"/v1/assets/{asset_id}/events", {"time": time}), "time")
    assert "0001" in body["errors"][0]["message"]
    _nothing_reported(api, asset_id)


@pytest.mark.parametrize("time", EXTREME_TIMES)
def test_share_expiry_outside_utc_years_1_to_9999_is_422_on_expires_at(api, time):
    body = {
        "partner_tenant_id": make_tenant("Partner").public_id,
        "name": "Tour",
        "asset_ids": [_asset(api)],
        "expires_at": time,
    }
    _invalid(api.post("/v1/shares", body), "expires_at")
    assert api.get("/v1/shares").json_body["items"] == []


@pytest.mark.parametrize("time", EXTREME_TIMES)
def test_coupon_validity_outside_utc_years_1_to_9999_is_422_on_valid_until(api, time):
    body = {"code": "EDGE10", "discount_percent": 10, "valid_until": time}
    _invalid(api.post("/v1/coupons", body), "valid_until")
    assert api.get("/v1/coupons").json_body["items"] == []


def test_every_bad_field_is_named_at_once_extreme_times_among_them(api):
    body = {"code": "x", "discount_percent": 10, "valid_until": EXTREME_TIMES[0]}
    _invalid(api.post("/v1/coupons", body), "code", "valid_until")


def test_far_but_representable_times_with_offsets_are_taken(api):
    body = {"code": "FAR10", "discount_percent": 10, "valid_until": "9999-12-31T09:59:59-14:00"}
    created = api.post("/v1/coupons", body)
    assert created.status_code == 201, created.body
    assert created.json_body["valid_until"] == "9999-12-31T23:59:59Z"


@pytest.mark.parametrize("time", EXTREME_TIMES)
def test_report_period_outside_utc_years_1_to_9999_is_422_on_the_query(api, time):
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body["id"]
    portal = api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment", "reports"]})
    assert portal.status_code == 200, portal.body
    person = api.as_key(portal_session(api, customer)["access_token"])
    end = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for query in (f"start={time}&end={end}", f"start={end}&end={time}"):
        response = person.get(f"/v1/portal/reports/operating-hours?{query}".replace("+", "%2B"))
        body = _invalid(response, *[e["field"] for e in problem(response).get("errors", [])])
        assert body["errors"][0]["field"] in ("query.start", "query.end")


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("tiny", UNSTORABLE)
def test_event_latitude_dynamodb_cannot_store_is_422_on_lat(api, tiny):
    asset_id = _asset(api)
    sent = {"time": _now(), "lat": tiny, "lon": 10.0}
    _invalid(api.post(f"/v1/assets/{asset_id}/events", sent), "lat")
    _nothing_reported(api, asset_id)


@pytest.mark.parametrize("tiny", [1e-200, 1e-320])
def test_event_operating_hours_dynamodb_cannot_store_is_422_on_operating_hours(api, tiny):
    asset_id = _asset(api)
    sent = {"time": _now(), "operating_hours": tiny}
    _invalid(api.post(f"/v1/assets/{asset_id}/events", sent), "operating_hours")
    _nothing_reported(api, asset_id)


def test_unstorable_numbers_and_times_are_all_named_in_one_answer(api):
    asset_id = _asset(api)
    sent = {"time": EXTREME_TIMES[1], "lat": 1e-320, "lon": -1e-300, "operating_hours": 1e-200}
    _invalid(
        api.post(f"/v1/assets/{asset_id}/events", sent), "time", "lat", "lon", "operating_hours"
    )
    _nothing_reported(api, asset_id)


def test_zero_and_small_storable_numbers_are_stored_as_sent(api):
    asset_id = _asset(api)
    sent = {"time": _now(), "lat": 0.0, "lon": 1e-129, "operating_hours": 1e-100}
    created = api.post(f"/v1/assets/{asset_id}/events", sent)
    assert created.status_code == 201, created.body
    last = api.get(f"/v1/assets/{asset_id}").json_body["last_event"]
    assert (last["lat"], last["lon"], last["operating_hours"]) == (0.0, 1e-129, 1e-100)


def test_a_version_dynamodb_cannot_compare_is_422_not_500(api):
    asset_id = _asset(api)
    for version in (10**126, 12345678901234567890123456789012345678901):
        _invalid(api.patch(f"/v1/assets/{asset_id}", {"name": "B", "version": version}), "version")
    assert api.get(f"/v1/assets/{asset_id}").json_body["name"] == "Excavator"


# --- dates ----------------------------------------------------------------------------------


def _contract(api) -> str:
    plan = api.post("/v1/plans", {"name": "Plan"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "9.90"})
    customer = api.post("/v1/customers", {"name": "Buyer"}).json_body["id"]
    contract = api.post(
        "/v1/contracts", {"customer_id": customer, "plan_variant_id": variant.json_body["id"]}
    )
    assert contract.status_code == 201, contract.body
    return str(contract.json_body["id"])


def _upload(api, contract_id: str, number: str, issued_on: str):
    return api.post(
        f"/v1/contracts/{contract_id}/documents?kind=invoice&number={number}&issued_on={issued_on}",
        raw=tiny_pdf(),
        headers={"Content-Type": "application/pdf"},
    )


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "0000-00-00", "2025-02-29"])
def test_document_issued_on_a_day_that_does_not_exist_is_422(api, day):
    contract_id = _contract(api)
    _invalid(_upload(api, contract_id, "R-1", day), "query.issued_on")
    assert api.get(f"/v1/contracts/{contract_id}/documents").json_body["items"] == []


def test_a_real_leap_day_is_a_date(api):
    created = _upload(api, _contract(api), "R-2", "2024-02-29")
    assert created.status_code == 201, created.body
    assert created.json_body["issued_on"] == "2024-02-29"


def test_far_future_expiry_within_the_years_is_not_a_500(api):
    # The UTC value is in range; whatever the service makes of it, it is no server error.
    body = {
        "partner_tenant_id": make_tenant("Partner").public_id,
        "name": "Tour",
        "asset_ids": [_asset(api)],
        "expires_at": "9999-12-31T23:59:59Z",
    }
    assert api.post("/v1/shares", body).status_code in (201, 422)
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert api.post("/v1/shares", {**body, "expires_at": soon}).status_code == 201


@pytest.mark.parametrize("name", ["a\u0000b", "Acme\nBcc: x@evil.example", "a\u001bb", "\t"])
def test_a_name_with_control_characters_is_422_and_nothing_is_stored(api, name):
    answer = api.post("/v1/customers", {"name": name})
    assert _invalid(answer, "name")
    assert api.get("/v1/customers").json_body["items"] == []
