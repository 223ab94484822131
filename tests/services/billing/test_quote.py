"""The signup page's total (issue 15, item 6): the coupon taken off with the discount shown,
computed by the one function the contract's own figures use, so that the page never shows
one sum while the customer is billed another; a coupon that is not valid for the variant is
said before ordering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services.billing import pricing
from tests.conftest import problem
from tests.services.billing.conftest import order


def _quote(anonymous, tenant, shop, **body):
    return anonymous.post(
        f"/v1/hosted/{tenant.slug}/signup/quote", {"plan_variant_id": shop.variant["id"], **body}
    )


def _lines(shop, seats=3, support=1):
    return [
        {"component_id": shop.seats["id"], "quantity": seats},
        {"component_id": shop.support["id"], "quantity": support},
    ]


def test_the_total_takes_the_coupon_off_and_shows_the_discount(anonymous, tenant, shop):
    answer = _quote(anonymous, tenant, shop, components=_lines(shop), coupon_code="welcome10")
    assert answer.status_code == 200, answer.body
    assert answer.json_body == {
        "currency": "EUR",
        "price": "49.00",
        "lines": [
            {"component_id": shop.seats["id"], "quantity": 3, "amount": "15.00"},
            {"component_id": shop.support["id"], "quantity": 1, "amount": "19.00"},
        ],
        "subtotal": "83.00",
        "discount_percent": 10,
        "discount": "8.30",
        "total": "74.70",
        "coupon_code": "WELCOME10",
    }


def test_without_a_coupon_there_is_no_discount(anonymous, tenant, shop):
    answer = _quote(anonymous, tenant, shop, components=_lines(shop, seats=1, support=0))
    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert (body["subtotal"], body["discount"], body["total"]) == ("54.00", None, "54.00")
    assert body["lines"] == [{"component_id": shop.seats["id"], "quantity": 1, "amount": "5.00"}]


def test_the_quote_is_what_the_self_service_page_then_shows(api, anonymous, tenant, shop):
    quoted = _quote(anonymous, tenant, shop, components=_lines(shop), coupon_code="WELCOME10")
    ordered = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    assert ordered.status_code == 201, ordered.body
    contract_id = ordered.json_body["contract_id"]
    link = api.post(f"/v1/contracts/{contract_id}/self-service-token", {})
    assert link.status_code == 201, link.body
    view = anonymous.as_key(link.json_body["token"]).get("/v1/self-service/contract").json_body
    account = view["account"]
    assert account["recurring_total"] == quoted.json_body["total"] == "74.70"
    assert (account["subtotal"], account["discount"], account["discount_percent"]) == (
        "83.00",
        "8.30",
        10,
    )


@pytest.mark.parametrize("code", ["NOPE", "welcome 10"])
def test_a_coupon_that_is_not_valid_is_said_before_ordering(anonymous, tenant, shop, code):
    answer = _quote(anonymous, tenant, shop, components=_lines(shop), coupon_code=code)
    body = problem(answer)
    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("coupon_code", "coupon")]


def test_a_coupon_of_another_variant_is_not_valid_here(api, anonymous, tenant, shop):
    other = api.post(
        f"/v1/plans/{shop.plan['id']}/variants",
        {"name": "Yearly", "price": "490.00", "billing_period": "P1Y", "allow_signup": True},
    ).json_body
    only_yearly = {"code": "YEARLY20", "discount_percent": 20, "plan_variant_ids": [other["id"]]}
    assert api.post("/v1/coupons", only_yearly).status_code == 201
    here = _quote(anonymous, tenant, shop, components=_lines(shop), coupon_code="YEARLY20")
    assert [e["code"] for e in problem(here)["errors"]] == ["coupon"]
    there = anonymous.post(
        f"/v1/hosted/{tenant.slug}/signup/quote",
        {
            "plan_variant_id": other["id"],
            "components": _lines(shop, seats=1, support=0),
            "coupon_code": "YEARLY20",
        },
    )
    assert there.status_code == 200, there.body
    assert (there.json_body["discount"], there.json_body["total"]) == ("99.00", "396.00")


def test_quantities_out_of_range_and_hidden_components_are_the_orders_errors(
    anonymous, tenant, shop
):
    answer = _quote(
        anonymous,
        tenant,
        shop,
        components=[
            {"component_id": shop.seats["id"], "quantity": 51},
            {"component_id": shop.hidden["id"], "quantity": 1},
        ],
    )
    errors = {e["field"]: e for e in problem(answer)["errors"]}
    assert errors["components.0.quantity"]["code"] == "range"
    assert errors["components.0.quantity"]["params"] == {"low": 1, "high": 50}
    assert errors["components.1.component_id"]["code"] == "choice"


def test_a_variant_closed_for_signup_or_another_tenants_gets_no_quote(
    api, anonymous, tenant, other_tenant, shop
):
    closed = api.patch(f"/v1/plan-variants/{shop.variant['id']}", {"allow_signup": False})
    assert closed.status_code == 200, closed.body
    assert [e["field"] for e in problem(_quote(anonymous, tenant, shop))["errors"]] == [
        "plan_variant_id"
    ]
    elsewhere = anonymous.post(
        f"/v1/hosted/{other_tenant.slug}/signup/quote", {"plan_variant_id": shop.variant["id"]}
    )
    assert elsewhere.status_code == 422
    unknown = anonymous.post("/v1/hosted/no-such-shop/signup/quote", {"plan_variant_id": "var_x"})
    assert unknown.status_code == 404


def test_guessing_coupon_codes_is_slow(anonymous, tenant, shop):
    for n in range(30):
        assert _quote(anonymous, tenant, shop, coupon_code=f"GUESS{n}").status_code == 422
    assert _quote(anonymous, tenant, shop, coupon_code="WELCOME10").status_code == 429
    assert _quote(anonymous, tenant, shop, components=_lines(shop)).status_code == 200  # no code


@pytest.mark.parametrize(
    ("price", "lines", "percent", "expected"),
    [
        ("49.00", [("5.00", 3), ("19.00", 1)], 10, ("83.00", "8.30", "74.70")),
        ("9.99", [("0.335", 3)], 15, ("11.00", "1.65", "9.35")),  # 1.005 -> 1.01 (half up)
        ("0.05", [], 50, ("0.05", "0.03", "0.02")),  # the discount rounds half up, once
        ("10.00", [("2.50", 0)], None, ("10.00", "0.00", "10.00")),
    ],
)
def test_one_function_makes_the_sums(price, lines, percent, expected):
    figures = pricing.recurring(price, [pricing.Line(p, q) for p, q in lines], percent)
    assert (figures.subtotal, figures.discount, figures.total) == tuple(map(Decimal, expected))
