"""A customer sees only its own time with an asset (issue 11, item 5): after a machine moves
from customer X to customer Y, Y's portal shows none of X's positions, statuses or operating
hours, in the asset list, the asset, its events or the report; X sees nothing of Y's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.models import Asset
from tests.samples import portal_session

APPS = {"apps": ["equipment", "activity", "reports"]}


def _text(time: datetime) -> str:
    return time.isoformat().replace("+00:00", "Z")


def _customer(api, name):
    customer = api.post("/v1/customers", {"name": name}).json_body["id"]
    assert api.put(f"/v1/customers/{customer}/portal", APPS).status_code == 200
    return customer


def _assign(api, customer, assets):
    put = api.put(f"/v1/customers/{customer}/assets", {"asset_ids": assets})
    assert put.status_code == 200, put.body


def _event(api, asset, time, **fields):
    posted = api.post(f"/v1/assets/{asset}/events", {"time": _text(time), **fields})
    assert posted.status_code == 201, posted.body
    return posted.json_body["id"]


def _backdate(api, asset, when):
    """Move the asset's assignment back in time (tests cannot wait hours)."""
    tenant_id = api.get("/v1/tenant").json_body["id"]
    Asset.get(tenant_id, asset).update(actions=[Asset.assigned_at.set(when)])


def _report(client, start, end):
    answer = client.get(f"/v1/portal/reports/operating-hours?start={_text(start)}&end={_text(end)}")
    assert answer.status_code == 200, answer.body
    return {row["asset_id"]: row for row in answer.json_body["assets"]}


def test_a_moved_asset_shows_the_new_customer_nothing_of_the_old_ones_time(api):
    now = datetime.now(UTC).replace(microsecond=0)
    x, y = _customer(api, "X Bau"), _customer(api, "Y Rent")
    asset = api.post("/v1/assets", {"name": "Excavator"}).json_body["id"]
    _assign(api, x, [asset])
    _backdate(api, asset, now - timedelta(hours=5))
    x_events = [
        _event(api, asset, now - timedelta(hours=4), lat=53.55, lon=9.99, operating_hours=100),
        _event(api, asset, now - timedelta(hours=3), status="at X's yard", operating_hours=104),
    ]
    x_client = api.as_key(portal_session(api, x, "x@example.com")["access_token"])

    # The machine moves to Y two hours ago; X's last report stays on the asset.
    _assign(api, x, [])
    _assign(api, y, [asset])
    moved_at = now - timedelta(hours=2)
    _backdate(api, asset, moved_at)
    y_client = api.as_key(portal_session(api, y, "y@example.com")["access_token"])

    listed = y_client.get("/v1/portal/assets").json_body["items"]
    assert [a["id"] for a in listed] == [asset]
    assert listed[0]["last_event"] is None  # X's position and status are not Y's
    assert y_client.get(f"/v1/portal/assets/{asset}").json_body["last_event"] is None
    assert y_client.get(f"/v1/portal/assets/{asset}/events").json_body["items"] == []
    assert _report(y_client, now - timedelta(hours=6), now)[asset]["hours"] is None
    for body in (listed, y_client.get(f"/v1/portal/assets/{asset}/events").json_body):
        assert "53.55" not in str(body)
        assert "X's yard" not in str(body)

    # What comes after the move is Y's to see, and only that.
    y_events = [
        _event(api, asset, now - timedelta(hours=1), operating_hours=110),
        _event(api, asset, now - timedelta(minutes=30), lat=55.68, lon=12.57, operating_hours=111),
    ]
    events = y_client.get(f"/v1/portal/assets/{asset}/events").json_body["items"]
    assert [e["id"] for e in events] == list(reversed(y_events))
    assert not set(x_events) & {e["id"] for e in events}
    last = y_client.get(f"/v1/portal/assets/{asset}").json_body["last_event"]
    assert (last["lat"], last["lon"], last["operating_hours"]) == (55.68, 12.57, 111)
    row = _report(y_client, now - timedelta(hours=6), now)[asset]
    assert row["hours"] == 1
    assert row["first_reading_at"] == _text(now - timedelta(hours=1))

    # X, whose time with it ended, sees nothing of it any more.
    assert x_client.get("/v1/portal/assets").json_body["items"] == []
    assert x_client.get(f"/v1/portal/assets/{asset}/events").status_code == 404


def test_a_report_of_a_period_before_the_assignment_is_empty(api):
    now = datetime.now(UTC).replace(microsecond=0)
    customer = _customer(api, "Late Rent")
    asset = api.post("/v1/assets", {"name": "Crane"}).json_body["id"]
    _event(api, asset, now - timedelta(hours=3), operating_hours=10)
    _event(api, asset, now - timedelta(hours=2), operating_hours=12)
    _assign(api, customer, [asset])
    client = api.as_key(portal_session(api, customer)["access_token"])
    row = _report(client, now - timedelta(days=1), now - timedelta(hours=1))[asset]
    assert (row["hours"], row["first_reading_at"]) == (None, None)


def test_a_move_between_business_units_keeps_the_customers_history(api):
    now = datetime.now(UTC).replace(microsecond=0)
    customer = _customer(api, "Units GmbH")
    unit = api.post(f"/v1/customers/{customer}/business-units", {"name": "North"}).json_body
    asset = api.post("/v1/assets", {"name": "Loader"}).json_body["id"]
    _assign(api, customer, [asset])
    _backdate(api, asset, now - timedelta(hours=3))
    kept = _event(api, asset, now - timedelta(hours=2), operating_hours=5)
    moved = api.put(
        f"/v1/customers/{customer}/assets", {"asset_ids": [asset], "business_unit_id": unit["id"]}
    )
    assert moved.status_code == 200, moved.body
    client = api.as_key(portal_session(api, customer)["access_token"])
    events = client.get(f"/v1/portal/assets/{asset}/events").json_body["items"]
    assert [e["id"] for e in events] == [kept]
