"""The self-service figures of `make bench`: DynamoDB calls of a signup and of the
self-service contract view (PERFORMANCE.md: at most 3 for the view)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from portway_ops.bench import counting, requester
from portway_ops.bench_portal import CountedCall, costs, reads, timed
from portway_ops.pdf import simple_pdf

SIGNUP_BOUND = 5
# The slug, the coupon tries' counter, one batch read (settings, variant, coupon,
# components) and the plan.
QUOTE_BOUND = 4


def measure_self_service(client: Any, key: str, slug: str) -> list[CountedCall]:
    """Sign up for a variant with a component and a coupon, upload an invoice, then view
    the contract through a self-service link."""
    request = requester(client, key)
    plan = request("POST", "/v1/plans", {"name": "Bench plan"})["id"]
    variant = request(
        "POST",
        f"/v1/plans/{plan}/variants",
        {"name": "Monthly", "price": "10.00", "allow_signup": True},
    )["id"]
    seats = request(
        "POST",
        "/v1/components",
        {
            "plan_id": plan,
            "name": "Seats",
            "kind": "quantity",
            "price": "2.00",
            "max_quantity": 10,
            "show_in_signup": True,
        },
    )["id"]
    request("POST", "/v1/coupons", {"code": "BENCH5", "discount_percent": 5})
    request(
        "PUT", "/v1/settings/self-service", {"signup": {"ask_coupon": True, "ask_payment": False}}
    )
    body = {
        "plan_variant_id": variant,
        "components": [{"component_id": seats, "quantity": 2}],
        "coupon_code": "bench5",
        "customer": {"first_name": "Bench", "last_name": "Customer", "email": "bench@example.com"},
    }
    headers = {"Content-Type": "application/json"}
    quote_body = {key: body[key] for key in ("plan_variant_id", "components", "coupon_code")}
    with counting() as quote_calls:
        quoted = client.http.post(
            f"/v1/hosted/{slug}/signup/quote", headers=headers, body=json.dumps(quote_body).encode()
        )
    with counting() as signup_calls:
        signed = client.http.post(
            f"/v1/hosted/{slug}/signup", headers=headers, body=json.dumps(body).encode()
        )
    contract = json.loads(signed.body)["contract_id"]
    client.http.post(
        f"/v1/contracts/{contract}/documents?kind=invoice",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/pdf"},
        body=simple_pdf(),
    )
    token = request("POST", f"/v1/contracts/{contract}/self-service-token", {})["token"]
    with counting() as view_calls, timed() as took:
        viewed = client.http.get(
            "/v1/self-service/contract", headers={"Authorization": f"Bearer {token}"}
        )
    return [
        CountedCall(
            "signup quote (with a coupon)",
            quoted.status_code,
            Counter(quote_calls.calls),
            f"{QUOTE_BOUND} (no write but the coupon tries' count)",
            lambda status, calls: (
                status == 200
                and sum(calls.values()) <= QUOTE_BOUND
                and calls["TransactWriteItems"] == 0
            ),
        ),
        CountedCall(
            "signup",
            signed.status_code,
            Counter(signup_calls.calls),
            f"{SIGNUP_BOUND} (incl. 1 transaction)",
            lambda status, calls: (
                status == 201
                and calls["TransactWriteItems"] == 1
                and sum(calls.values()) <= SIGNUP_BOUND
            ),
        ),
        CountedCall(
            "GET /v1/self-service/contract",
            viewed.status_code,
            Counter(view_calls.calls),
            "3",
            lambda status, calls: status == 200 and reads(calls) == sum(calls.values()) <= 3,
            **costs(view_calls, took, viewed),
        ),
    ]
