"""Customers and business units over HTTP."""

from __future__ import annotations

from tests.conftest import problem


def test_create_read_list_customer(api):
    created = api.post(
        "/v1/customers",
        {
            "name": "Nordbau GmbH",
            "language": "de",
            "email": "ops@nordbau.example",
            "external_id": "K-1",
        },
    )
    assert created.status_code == 201
    customer = created.json_body
    assert customer["id"].startswith("cus_")
    assert customer["name"] == "Nordbau GmbH"
    assert customer["version"] == 1
    assert customer["created_at"].endswith("Z")

    read = api.get(f"/v1/customers/{customer['id']}")
    assert read.status_code == 200
    assert read.json_body == customer

    listed = api.get("/v1/customers").json_body
    assert [c["id"] for c in listed["items"]] == [customer["id"]]
    assert listed["next_cursor"] is None


def test_list_pages_through_every_customer_once(api):
    ids = [api.post("/v1/customers", {"name": f"C{i}"}).json_body["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        path = "/v1/customers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path).json_body
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


def test_limit_out_of_range_is_422(api):
    for bad in ("0", "101", "x"):
        body = problem(api.get(f"/v1/customers?limit={bad}"))
        assert body["status"] == 422
        assert body["errors"][0]["field"] == "query.limit"


def test_tampered_cursor_is_422(api):
    for i in range(3):
        api.post("/v1/customers", {"name": f"C{i}"})
    cursor = api.get("/v1/customers?limit=1").json_body["next_cursor"]
    payload, _, signature = cursor.partition(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for bad in (tampered, "garbage", cursor + "x"):
        body = problem(api.get(f"/v1/customers?cursor={bad}"))
        assert body["status"] == 422
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("cursor", "invalid")]


def test_cursor_of_another_tenant_or_list_is_422(api, other_api):
    for i in range(2):
        other_api.post("/v1/customers", {"name": f"B{i}"})
        api.post("/v1/assets", {"name": f"A{i}"})
    foreign = other_api.get("/v1/customers?limit=1").json_body["next_cursor"]
    assert problem(api.get(f"/v1/customers?cursor={foreign}"))["status"] == 422
    asset_cursor = api.get("/v1/assets?limit=1").json_body["next_cursor"]
    assert problem(api.get(f"/v1/customers?cursor={asset_cursor}"))["status"] == 422


def test_patch_changes_given_fields_and_clears_nulls(api):
    customer = api.post("/v1/customers", {"name": "A", "email": "a@b.example"}).json_body
    patched = api.patch(f"/v1/customers/{customer['id']}", {"name": "B", "email": None})
    assert patched.status_code == 200
    assert patched.json_body["name"] == "B"
    assert patched.json_body["email"] is None
    assert patched.json_body["version"] == 2
    assert api.get(f"/v1/customers/{customer['id']}").json_body == patched.json_body


def test_patch_with_stale_version_is_409_and_changes_nothing(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    api.patch(f"/v1/customers/{customer['id']}", {"name": "B", "version": 1})
    stale = api.patch(f"/v1/customers/{customer['id']}", {"name": "C", "version": 1})
    body = problem(stale)
    assert body["status"] == 409
    assert body["current_version"] == 2
    header_stale = api.patch(
        f"/v1/customers/{customer['id']}", {"name": "C"}, headers={"If-Match": '"1"'}
    )
    assert header_stale.status_code == 409
    assert api.get(f"/v1/customers/{customer['id']}").json_body["name"] == "B"


def test_patch_name_to_null_is_422(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    body = problem(api.patch(f"/v1/customers/{customer['id']}", {"name": None}))
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "name"


def test_delete_customer_removes_it_and_its_units(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    api.post(f"/v1/customers/{customer['id']}/business-units", {"name": "North"})
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 204
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 404
    assert api.get(f"/v1/customers/{customer['id']}/business-units").status_code == 404


def test_business_units_are_created_and_listed(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    unit = api.post(f"/v1/customers/{customer['id']}/business-units", {"name": "North"})
    assert unit.status_code == 201
    assert unit.json_body["customer_id"] == customer["id"]
    listed = api.get(f"/v1/customers/{customer['id']}/business-units").json_body
    assert [u["name"] for u in listed["items"]] == ["North"]
    assert api.get(f"/v1/customers/{customer['id']}").json_body["business_unit_count"] == 1


def test_business_unit_of_unknown_customer_is_404(api):
    assert api.post("/v1/customers/cus_nope/business-units", {"name": "X"}).status_code == 404


def test_idempotency_key_replays_first_response_and_creates_once(api):
    headers = {"Idempotency-Key": "order-42"}
    first = api.post("/v1/customers", {"name": "Once"}, headers=headers)
    again = api.post("/v1/customers", {"name": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.get("/v1/customers").json_body["items"]) == 1


def test_idempotency_key_with_other_body_is_422(api):
    headers = {"Idempotency-Key": "order-43"}
    api.post("/v1/customers", {"name": "One"}, headers=headers)
    body = problem(api.post("/v1/customers", {"name": "Two"}, headers=headers))
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert [c["name"] for c in api.get("/v1/customers").json_body["items"]] == ["One"]


def test_idempotency_keys_are_per_tenant(api, other_api):
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post("/v1/customers", {"name": "Mine"}, headers=headers).json_body
    theirs = other_api.post("/v1/customers", {"name": "Mine"}, headers=headers)
    assert theirs.status_code == 201
    assert theirs.json_body["id"] != mine["id"]
    assert "Idempotent-Replayed" not in theirs.headers


def test_failed_request_releases_its_idempotency_key(api):
    headers = {"Idempotency-Key": "retry-me"}
    assert (
        api.post(
            "/v1/customers/cus_nope/business-units", {"name": "X"}, headers=headers
        ).status_code
        == 404
    )
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    retried = api.post(
        f"/v1/customers/{customer['id']}/business-units", {"name": "X"}, headers=headers
    )
    assert retried.status_code == 201


def test_deleting_a_customer_that_holds_assets_names_them(api):
    customer = api.post("/v1/customers", {"name": "Holder"}).json_body
    asset_ids = [api.post("/v1/assets", {"name": f"A{i}"}).json_body["id"] for i in range(2)]
    api.put(f"/v1/customers/{customer['id']}/assets", {"asset_ids": asset_ids})
    body = problem(api.delete(f"/v1/customers/{customer['id']}"))
    assert body["status"] == 409
    assert body["held_by"] == {"asset_count": 2, "asset_ids": sorted(asset_ids)}
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 200


def test_a_search_finds_customers_by_name_or_number_in_any_case_page_by_page(api):
    for name, number in (("Nordbau GmbH", "K-1"), ("Hafenbau AG", "K-2"), ("NORDLICHT ApS", None)):
        body = {"name": name} | ({"external_id": number} if number else {})
        assert api.post("/v1/customers", body).status_code == 201
    found = api.get("/v1/customers?q=nord").json_body
    assert [c["name"] for c in found["items"]] == ["Nordbau GmbH", "NORDLICHT ApS"]
    assert [c["name"] for c in api.get("/v1/customers?q=k-2").json_body["items"]] == ["Hafenbau AG"]
    first = api.get("/v1/customers?q=NORD&limit=1").json_body
    assert [c["name"] for c in first["items"]] == ["Nordbau GmbH"]
    rest = api.get(f"/v1/customers?q=NORD&limit=1&cursor={first['next_cursor']}").json_body
    assert [c["name"] for c in rest["items"]] == ["NORDLICHT ApS"]
    assert rest["next_cursor"] is None
    # A renamed customer is found by its new name only.
    hafen = api.get("/v1/customers?q=hafen").json_body["items"][0]
    api.patch(f"/v1/customers/{hafen['id']}", {"name": "Seehafen Bau"})
    assert [c["name"] for c in api.get("/v1/customers?q=seehafen").json_body["items"]] == [
        "Seehafen Bau"
    ]
    assert api.get("/v1/customers?q=").status_code == 422
    assert api.get("/v1/customers?q=" + "x" * 101).status_code == 422
