"""The public signup: every rule checked on the server, and all or nothing written."""

from __future__ import annotations

from tests.services.billing.conftest import ORIGIN, SETTINGS, order


def test_a_signup_creates_the_customer_and_the_contract(api, anonymous, tenant, shop):
    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    assert answer.status_code == 201, answer.json_body
    contract_id = answer.json_body["contract_id"]
    assert answer.json_body["redirect_url"] == f"{ORIGIN}/thanks?contractId={contract_id}"
    contract = api.get(f"/v1/contracts/{contract_id}").json_body
    assert contract["plan_name"] == "Fleet Pro"
    assert contract["price"] == "49.00"
    assert [(c["name"], c["quantity"]) for c in contract["components"]] == [
        ("Seats", 3),
        ("Priority support", 1),
    ]
    assert contract["discount_percent"] == 10
    assert contract["payment"]["iban_masked"] == "DE89 **** **** 3000"
    customer = api.get(f"/v1/customers/{contract['customer_id']}").json_body
    assert customer["name"] == "Nordfracht GmbH"
    assert customer["email"] == "jana@nordfracht.example"
    assert customer["contact"]["phone"] == "+49 40 123456"
    assert customer["contact"]["address"]["city"] == "Hamburg"
    assert api.get(f"/v1/coupons/{shop.coupon['code']}").json_body["redemptions"] == 1


def _no_contracts(api) -> None:
    assert api.get("/v1/contracts").json_body["items"] == []
    assert api.get("/v1/customers").json_body["items"] == []


def test_a_birth_date_that_does_not_exist_is_422_and_nothing_is_written(
    api, anonymous, tenant, shop
):
    fields = {**SETTINGS["fields"], "birth_date": "optional"}
    put = api.put("/v1/settings/self-service", {**SETTINGS, "fields": fields})
    assert put.status_code == 200, put.json_body
    for day in ("2026-13-45", "2026-02-30", "0000-00-00"):
        body = order(shop)
        body["customer"]["birth_date"] = day
        answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body)
        assert answer.status_code == 422, answer.json_body
        assert [e["field"] for e in answer.json_body["errors"]] == ["customer.birth_date"]
    _no_contracts(api)
    body = order(shop)
    body["customer"]["birth_date"] = "1990-02-28"
    assert anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body).status_code == 201
