"""A tenant with a catalogue ready to sell: one plan, a variant open for signup, components
of every kind, a coupon, and self-service settings with terms lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

ORIGIN = "https://shop.example.com"


SETTINGS: dict[str, Any] = {
    "token_validity_minutes": 60,
    "fields": {"phone": "optional", "birth_date": "hidden", "vat_id": "hidden"},
    "signup": {"ask_coupon": True, "ask_payment": True},
    "urls": {
        "success": f"{ORIGIN}/thanks",
        "error": f"{ORIGIN}/sorry",
        "tac": f"{ORIGIN}/terms",
        "dpp": f"{ORIGIN}/privacy",
    },
    "terms_lines": [
        {
            "text": {"en": "I accept the {tac}.", "de": "Ich akzeptiere die {tac}."},
            "mandatory": True,
        },
        {"text": {"en": "Read our {dpp}.", "de": "Lesen Sie unsere {dpp}."}},
        {"text": {"en": "See the {withdrawal}."}, "mandatory": True},
    ],
    "allow_contact_edit": True,
    "allow_cancellation": True,
}


@dataclass
class Shop:
    plan: dict[str, Any]
    variant: dict[str, Any]
    seats: dict[str, Any]
    support: dict[str, Any]
    traffic: dict[str, Any]
    hidden: dict[str, Any]
    coupon: dict[str, Any]


def make_shop(
    api, settings: dict[str, Any] | None = None, origins: tuple[str, ...] = (ORIGIN,)
) -> Shop:
    """The catalogue and settings of a subscription business whose website has `origins`."""
    allowed = {"allowed_origins": list(origins)}
    assert api.put("/v1/settings/embedding", allowed).status_code == 200
    plan = api.post("/v1/plans", {"name": "Fleet Pro", "currency": "EUR"}).json_body
    variant = api.post(
        f"/v1/plans/{plan['id']}/variants",
        {
            "name": "Monthly",
            "price": "49.00",
            "billing_period": "P1M",
            "notice_period": "P1M",
            "allow_signup": True,
        },
    ).json_body

    def component(body: dict[str, Any]) -> dict[str, Any]:
        answer = api.post("/v1/components", {"plan_id": plan["id"], **body})
        assert answer.status_code == 201, answer.json_body
        return answer.json_body

    seats = component(
        {
            "name": "Seats",
            "kind": "quantity",
            "price": "5.00",
            "unit": "seat",
            "min_quantity": 1,
            "max_quantity": 50,
            "show_in_signup": True,
        }
    )
    support = component(
        {"name": "Priority support", "kind": "on_off", "price": "19.00", "show_in_signup": True}
    )
    traffic = component(
        {
            "name": "GPS pings",
            "kind": "metered",
            "price": "0.01",
            "unit": "ping",
            "show_as_price_info": True,
        }
    )
    hidden = component({"name": "Onboarding", "kind": "on_off", "price": "99.00"})
    coupon = api.post("/v1/coupons", {"code": "WELCOME10", "discount_percent": 10}).json_body
    answer = api.put("/v1/settings/self-service", settings or SETTINGS)
    assert answer.status_code == 200, answer.json_body
    return Shop(plan, variant, seats, support, traffic, hidden, coupon)


def order(shop: Shop, **overrides: Any) -> dict[str, Any]:
    """A signup body that passes every rule of SETTINGS."""
    body: dict[str, Any] = {
        "plan_variant_id": shop.variant["id"],
        "components": [
            {"component_id": shop.seats["id"], "quantity": 3},
            {"component_id": shop.support["id"], "quantity": 1},
        ],
        "coupon_code": "welcome10",
        "customer": {
            "company": "Nordfracht GmbH",
            "first_name": "Jana",
            "last_name": "Berg",
            "email": "jana@nordfracht.example",
            "phone": "+49 40 123456",
            "address": {
                "street": "Kai 1",
                "postal_code": "20457",
                "city": "Hamburg",
                "country": "DE",
            },
        },
        "payment": {
            "method": "sepa_debit",
            "sepa": {"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Jana Berg"},
        },
        "accepted_terms": [0],
    }
    body.update(overrides)
    return body


@pytest.fixture(autouse=True)
def _own_address(source_address: str) -> str:
    """Signups (20 an hour) and wrong links are limited per address: each test has one."""
    return source_address


@pytest.fixture
def shop(api) -> Shop:
    return make_shop(api)
