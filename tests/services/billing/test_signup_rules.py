"""Every rule of the public signup, checked on the server: a bad order is refused with 422
naming each bad field, and nothing of it is written (no customer, no contract, no coupon
redemption)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from chalice.local import LambdaEventConverter

from chalicelib import errors
from chalicelib.schemas import billing as schemas
from chalicelib.services.billing import catalogue, contracts
from chalicelib.services.platform import ratelimit
from chalicelib.tenancy import Caller, TenantContext
from tests.conftest import Api, Tenant, make_tenant, problem
from tests.services.billing.conftest import ORIGIN, SETTINGS, Shop, make_shop, order


@dataclass(frozen=True)
class Front:
    """A tenant with a shop, shared by the tests that only send orders which are refused
    (they write nothing, which each of them checks)."""

    api: Api
    tenant: Tenant
    shop: Shop


@pytest.fixture(scope="module")
def front(backend: str, chalice_client) -> Front:
    tenant = make_tenant("Shared Shop")
    api = Api(chalice_client, tenant.key)
    return Front(api, tenant, make_shop(api))


BAD_IBAN = "DE89 3704 0044 0532 0130 01"  # one digit off: the check digits fail


@dataclass(frozen=True)
class Written:
    """What signups have written so far."""

    customers: int
    contracts: int
    redemptions: dict[str, int]


def written(api) -> Written:
    customers = api.get("/v1/customers?limit=100")
    contracts_ = api.get("/v1/contracts?limit=100")
    coupons = api.get("/v1/coupons?limit=100")
    for answer in (customers, contracts_, coupons):
        assert answer.status_code == 200, answer.body
        assert answer.json_body["next_cursor"] is None
    return Written(
        len(customers.json_body["items"]),
        len(contracts_.json_body["items"]),
        {c["code"]: c["redemptions"] for c in coupons.json_body["items"]},
    )


def sign_up(anonymous, tenant, body: dict[str, Any]) -> Any:
    return anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body)


def refused(api, anonymous, tenant, body: dict[str, Any]) -> list[str]:
    """Send the order, expect 422 and nothing written; the fields named."""
    before = written(api)
    answer = sign_up(anonymous, tenant, body)
    assert answer.status_code == 422, answer.body
    named = [error["field"] for error in problem(answer)["errors"]]
    assert written(api) == before
    return named


def customer(shop: Shop, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(order(shop)["customer"])
    data.update(changes)
    return {name: value for name, value in data.items() if value is not ...}


def settings(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SETTINGS)
    body.update(changes)
    return body


# -- the customer's data ---------------------------------------------------------------------


def test_a_hidden_field_filled_in_is_refused(front, anonymous):
    body = order(front.shop, customer=customer(front.shop, birth_date="1980-02-29"))
    assert refused(front.api, anonymous, front.tenant, body) == ["customer.birth_date"]
    body = order(front.shop, customer=customer(front.shop, vat_id="DE123456789"))
    assert refused(front.api, anonymous, front.tenant, body) == ["customer.vat_id"]


@pytest.mark.parametrize("email", [..., None, ""])
def test_a_required_field_left_empty_is_refused(front, anonymous, email):
    body = order(front.shop, customer=customer(front.shop, email=email))
    assert refused(front.api, anonymous, front.tenant, body) == ["customer.email"]


def test_first_and_last_name_are_required_by_default(front, anonymous):
    body = order(front.shop, customer=customer(front.shop, first_name=..., last_name=None))
    assert refused(front.api, anonymous, front.tenant, body) == [
        "customer.first_name",
        "customer.last_name",
    ]


def test_a_field_made_required_must_be_given(api, anonymous, tenant):
    shop = make_shop(api, settings(fields={"address": "required", "birth_date": "hidden"}))
    body = order(shop, customer=customer(shop, address=...))
    assert refused(api, anonymous, tenant, body) == ["customer.address"]


def test_unknown_customer_fields_are_refused(front, anonymous):
    body = order(front.shop, customer=customer(front.shop, shoe_size="44"))
    before = written(front.api)
    answer = sign_up(anonymous, front.tenant, body)
    # unknown fields inside an object are named by the object, the message names the field
    assert [e["field"] for e in problem(answer)["errors"]] == ["customer"]
    assert "shoe_size" in problem(answer)["errors"][0]["message"]
    assert written(front.api) == before


# -- terms -----------------------------------------------------------------------------------


def test_a_mandatory_terms_line_must_be_accepted(front, anonymous):
    assert refused(front.api, anonymous, front.tenant, order(front.shop, accepted_terms=[])) == [
        "accepted_terms.0"
    ]
    assert refused(front.api, anonymous, front.tenant, order(front.shop, accepted_terms=[1])) == [
        "accepted_terms.0"
    ]


def test_a_terms_line_that_is_not_shown_cannot_be_accepted(front, anonymous):
    # line 2 names {withdrawal}, which has no URL: not shown
    assert refused(
        front.api, anonymous, front.tenant, order(front.shop, accepted_terms=[0, 2])
    ) == ["accepted_terms"]
    assert refused(
        front.api, anonymous, front.tenant, order(front.shop, accepted_terms=[0, 4])
    ) == ["accepted_terms"]


# -- components ------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [-1, 10**9, 51, 0])
def test_a_quantity_outside_the_components_range_is_refused(front, anonymous, quantity):
    # Seats are 1 to 50 (and the schema allows 0 to 1,000,000 at all)
    lines = [{"component_id": front.shop.seats["id"], "quantity": quantity}]
    assert refused(front.api, anonymous, front.tenant, order(front.shop, components=lines)) == [
        "components.0.quantity"
    ]


def test_an_on_off_component_is_taken_once_at_most(front, anonymous):
    lines = [
        {"component_id": front.shop.seats["id"], "quantity": 2},
        {"component_id": front.shop.support["id"], "quantity": 2},
    ]
    assert refused(front.api, anonymous, front.tenant, order(front.shop, components=lines)) == [
        "components.1.quantity"
    ]


def test_a_component_with_a_minimum_cannot_be_left_out(api, anonymous, tenant, shop):
    lines = [{"component_id": shop.support["id"], "quantity": 1}]
    answer = sign_up(anonymous, tenant, order(shop, components=lines))
    if answer.status_code == 201:  # taking the minimum is as good as refusing
        contract = api.get(f"/v1/contracts/{answer.json_body['contract_id']}").json_body
        seats = [c["quantity"] for c in contract["components"] if c["name"] == "Seats"]
        assert seats
        assert seats[0] >= 1
    else:
        assert answer.status_code == 422


def test_a_component_not_offered_in_the_signup_is_refused(api, anonymous, tenant, other_api, shop):
    other_plan = api.post("/v1/plans", {"name": "Trailer Pro"}).json_body
    elsewhere = api.post(
        "/v1/components",
        {
            "plan_id": other_plan["id"],
            "name": "Trailer seats",
            "kind": "quantity",
            "price": "1.00",
            "max_quantity": 5,
            "show_in_signup": True,
        },
    ).json_body
    their_plan = other_api.post("/v1/plans", {"name": "Theirs"}).json_body
    theirs = other_api.post(
        "/v1/components",
        {
            "plan_id": their_plan["id"],
            "name": "Their seats",
            "kind": "on_off",
            "price": "1.00",
            "show_in_signup": True,
        },
    ).json_body
    for component_id, quantity in (
        (shop.hidden["id"], 1),  # the plan's, but not shown in the signup
        (shop.traffic["id"], 1),  # metered: price information only
        (elsewhere["id"], 1),  # another plan's
        (theirs["id"], 1),  # another tenant's
        ("cmp_missing", 1),
    ):
        lines = [
            {"component_id": shop.seats["id"], "quantity": 2},
            {"component_id": component_id, "quantity": quantity},
        ]
        assert refused(api, anonymous, tenant, order(shop, components=lines)) == [
            "components.1.component_id"
        ], component_id


def test_a_component_ordered_twice_is_refused(front, anonymous):
    lines = [
        {"component_id": front.shop.seats["id"], "quantity": 2},
        {"component_id": front.shop.seats["id"], "quantity": 3},
    ]
    assert refused(front.api, anonymous, front.tenant, order(front.shop, components=lines)) == [
        "components.1.component_id"
    ]


# -- coupons ---------------------------------------------------------------------------------


def test_another_tenants_coupon_is_not_valid_here(api, anonymous, tenant, other_api, shop):
    assert (
        other_api.post("/v1/coupons", {"code": "SPRING50", "discount_percent": 50}).status_code
        == 201
    )
    before = other_api.get("/v1/coupons/SPRING50").json_body["redemptions"]
    assert refused(api, anonymous, tenant, order(shop, coupon_code="spring50")) == ["coupon_code"]
    assert other_api.get("/v1/coupons/SPRING50").json_body["redemptions"] == before == 0


def test_an_unknown_coupon_is_refused(front, anonymous):
    assert refused(front.api, anonymous, front.tenant, order(front.shop, coupon_code="NOPE")) == [
        "coupon_code"
    ]


def test_an_expired_coupon_is_refused(api, anonymous, tenant, shop):
    # made two days ago, valid until yesterday
    made_at = datetime.now(UTC) - timedelta(days=2)
    data = msgspec.convert(
        {
            "code": "AUTUMN",
            "discount_percent": 20,
            "valid_until": (made_at + timedelta(days=1)).isoformat(),
        },
        schemas.CouponCreate,
    )
    ctx = TenantContext(tenant.id, "test", frozenset({"read", "write"}))
    catalogue.create_coupon(ctx, data, clock=lambda: made_at)
    assert refused(api, anonymous, tenant, order(shop, coupon_code="autumn")) == ["coupon_code"]
    assert api.get("/v1/coupons/AUTUMN").json_body["redemptions"] == 0


def test_a_used_up_coupon_is_refused(api, anonymous, tenant, shop):
    body = {"code": "ONCE", "discount_percent": 30, "max_redemptions": 1}
    assert api.post("/v1/coupons", body).status_code == 201
    first = sign_up(anonymous, tenant, order(shop, coupon_code="once"))
    assert first.status_code == 201, first.body
    assert api.get("/v1/coupons/ONCE").json_body["redemptions"] == 1

    assert refused(api, anonymous, tenant, order(shop, coupon_code="ONCE")) == ["coupon_code"]
    assert api.get("/v1/coupons/ONCE").json_body["redemptions"] == 1


def test_a_coupon_for_another_variant_is_refused(api, anonymous, tenant, shop):
    other = api.post(
        f"/v1/plans/{shop.plan['id']}/variants", {"name": "Yearly", "price": "499.00"}
    ).json_body
    body = {"code": "YEARLY", "discount_percent": 15, "plan_variant_ids": [other["id"]]}
    assert api.post("/v1/coupons", body).status_code == 201
    assert refused(api, anonymous, tenant, order(shop, coupon_code="yearly")) == ["coupon_code"]


def test_a_withdrawn_coupon_is_refused(api, anonymous, tenant, shop):
    assert api.delete("/v1/coupons/WELCOME10").status_code in (200, 204)
    assert refused(api, anonymous, tenant, order(shop)) == ["coupon_code"]


def test_a_coupon_on_a_page_that_asks_for_none_is_refused(api, anonymous, tenant):
    shop = make_shop(api, settings(signup={"ask_coupon": False, "ask_payment": True}))
    assert refused(api, anonymous, tenant, order(shop)) == ["coupon_code"]
    done = sign_up(anonymous, tenant, order(shop, coupon_code=None))
    assert done.status_code == 201, done.body
    assert api.get("/v1/coupons/WELCOME10").json_body["redemptions"] == 0


# -- the variant and the tenant --------------------------------------------------------------


def test_a_closed_variant_and_another_tenants_variant_get_the_same_answer(
    api, anonymous, tenant, other_api, shop
):
    closed = api.post(
        f"/v1/plans/{shop.plan['id']}/variants", {"name": "Closed", "price": "9.00"}
    ).json_body
    their_plan = other_api.post("/v1/plans", {"name": "Theirs"}).json_body
    theirs = other_api.post(
        f"/v1/plans/{their_plan['id']}/variants",
        {"name": "Open", "price": "9.00", "allow_signup": True},
    ).json_body
    answers = []
    for variant_id in (closed["id"], theirs["id"], "var_missing"):
        before = written(api)
        answer = sign_up(anonymous, tenant, order(shop, plan_variant_id=variant_id))
        assert answer.status_code == 422, answer.body
        assert written(api) == before
        answers.append(problem(answer))
    assert [e["field"] for e in answers[0]["errors"]] == ["plan_variant_id"]
    assert answers[0] == answers[1] == answers[2]
    assert other_api.get("/v1/contracts").json_body["items"] == []


def test_a_variant_closed_after_the_page_was_opened_is_refused(api, anonymous, tenant, shop):
    assert (
        api.patch(f"/v1/plan-variants/{shop.variant['id']}", {"allow_signup": False}).status_code
        == 200
    )
    assert refused(api, anonymous, tenant, order(shop)) == ["plan_variant_id"]


def test_an_unknown_tenant_is_not_found(front, anonymous):
    before = written(front.api)
    answer = anonymous.post("/v1/hosted/no-such-tenant-xyz/signup", order(front.shop))
    assert answer.status_code == 404
    problem(answer)
    assert written(front.api) == before


def test_another_tenants_slug_does_not_sell_this_tenants_variant(front, anonymous, other_tenant):
    before = written(front.api)
    answer = anonymous.post(f"/v1/hosted/{other_tenant.slug}/signup", order(front.shop))
    assert answer.status_code == 422
    assert [e["field"] for e in problem(answer)["errors"]] == ["plan_variant_id"]
    assert written(front.api) == before


# -- payment ---------------------------------------------------------------------------------


def test_an_invalid_iban_is_refused(front, anonymous):
    payment = {"method": "sepa_debit", "sepa": {"iban": BAD_IBAN, "account_holder": "Jana Berg"}}
    assert refused(front.api, anonymous, front.tenant, order(front.shop, payment=payment)) == [
        "payment.sepa.iban"
    ]
    payment["sepa"]["iban"] = "not an iban"
    assert refused(front.api, anonymous, front.tenant, order(front.shop, payment=payment)) == [
        "payment.sepa.iban"
    ]


def test_sepa_data_goes_with_sepa_debit_only(front, anonymous):
    assert refused(
        front.api, anonymous, front.tenant, order(front.shop, payment={"method": "sepa_debit"})
    ) == ["payment.sepa"]
    invoice = {
        "method": "invoice",
        "sepa": {"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Jana Berg"},
    }
    assert refused(front.api, anonymous, front.tenant, order(front.shop, payment=invoice)) == [
        "payment.sepa"
    ]


def test_payment_is_required_when_the_page_asks_for_it(front, anonymous):
    body = order(front.shop)
    del body["payment"]
    assert refused(front.api, anonymous, front.tenant, body) == ["payment"]
    assert refused(front.api, anonymous, front.tenant, order(front.shop, payment=None)) == [
        "payment"
    ]


def test_payment_is_refused_when_the_page_does_not_ask_for_it(api, anonymous, tenant):
    shop = make_shop(api, settings(signup={"ask_coupon": True, "ask_payment": False}))
    assert refused(api, anonymous, tenant, order(shop)) == ["payment"]
    done = sign_up(anonymous, tenant, order(shop, payment=None))
    assert done.status_code == 201, done.body
    assert api.get(f"/v1/contracts/{done.json_body['contract_id']}").json_body["payment"] is None


# -- several at once -------------------------------------------------------------------------


def test_every_broken_rule_is_named_at_once(front, anonymous):
    body = order(
        front.shop,
        customer=customer(front.shop, email=..., birth_date="1980-01-01"),
        components=[
            {"component_id": front.shop.seats["id"], "quantity": 51},
            {"component_id": front.shop.hidden["id"], "quantity": 1},
        ],
        coupon_code="NOPE",
        accepted_terms=[],
        payment={"method": "sepa_debit", "sepa": {"iban": BAD_IBAN, "account_holder": "J B"}},
    )
    assert sorted(refused(front.api, anonymous, front.tenant, body)) == [
        "accepted_terms.0",
        "components.0.quantity",
        "components.1.component_id",
        "coupon_code",
        "customer.birth_date",
        "customer.email",
        "payment.sepa.iban",
    ]


def test_every_malformed_field_is_named_at_once(front, anonymous):
    body = order(
        front.shop,
        components=[{"component_id": front.shop.seats["id"], "quantity": -1}],
        accepted_terms=[9],
        language="xx",
    )
    assert sorted(refused(front.api, anonymous, front.tenant, body)) == [
        "accepted_terms.0",
        "components.0.quantity",
        "language",
    ]


# -- where the customer goes next ------------------------------------------------------------


def test_without_a_success_url_the_customer_stays_on_the_page(api, anonymous, tenant):
    urls = {k: v for k, v in SETTINGS["urls"].items() if k != "success"}
    shop = make_shop(api, settings(urls=urls))
    done = sign_up(anonymous, tenant, order(shop))
    assert done.status_code == 201, done.body
    assert done.json_body["redirect_url"] is None
    assert done.json_body["contract_id"].startswith("con_")


def test_a_success_url_that_left_the_allowlist_is_not_used(api, anonymous, tenant, shop):
    allowed = api.put("/v1/settings/embedding", {"allowed_origins": ["https://www.example.org"]})
    assert allowed.status_code == 200, allowed.body
    done = sign_up(anonymous, tenant, order(shop))
    assert done.status_code == 201, done.body
    assert done.json_body["redirect_url"] is None

    assert api.put("/v1/settings/embedding", {"allowed_origins": [ORIGIN]}).status_code == 200
    again = sign_up(anonymous, tenant, order(shop))
    contract_id = again.json_body["contract_id"]
    assert again.json_body["redirect_url"] == f"{ORIGIN}/thanks?contractId={contract_id}"


def test_a_success_url_with_a_query_keeps_it(api, anonymous, tenant):
    urls = {**SETTINGS["urls"], "success": f"{ORIGIN}/thanks?source=signup"}
    shop = make_shop(api, settings(urls=urls))
    done = sign_up(anonymous, tenant, order(shop))
    contract_id = done.json_body["contract_id"]
    assert done.json_body["redirect_url"] == (
        f"{ORIGIN}/thanks?source=signup&contractId={contract_id}"
    )


def test_a_success_url_with_a_fragment_gets_the_contract_id_in_its_query(api, anonymous, tenant):
    urls = {**SETTINGS["urls"], "success": f"{ORIGIN}/thanks#done"}
    shop = make_shop(api, settings(urls=urls))
    done = sign_up(anonymous, tenant, order(shop))
    assert done.status_code == 201, done.body
    contract_id = done.json_body["contract_id"]
    assert done.json_body["redirect_url"] == f"{ORIGIN}/thanks?contractId={contract_id}#done"


# -- what a good order writes, on both backends ----------------------------------------------


def test_a_good_order_writes_one_customer_one_contract_and_one_redemption(
    api, anonymous, tenant, shop, backend
):
    before = written(api)
    done = sign_up(anonymous, tenant, order(shop))
    assert done.status_code == 201, done.body
    after = written(api)
    assert after.customers == before.customers + 1
    assert after.contracts == before.contracts + 1
    assert after.redemptions["WELCOME10"] == before.redemptions["WELCOME10"] + 1
    contract = api.get(f"/v1/contracts/{done.json_body['contract_id']}").json_body
    assert contract["status"] == "active"
    assert contract["coupon_code"] == "WELCOME10"


# -- rate limit ------------------------------------------------------------------------------

# A fixed moment ten minutes into an hour: the window ends 50 minutes later.
NOW = datetime(2031, 5, 6, 7, 10, tzinfo=UTC)


def test_one_address_may_sign_up_20_times_an_hour(api, anonymous, tenant, shop, monkeypatch):
    monkeypatch.setattr(ratelimit, "utcnow", lambda: NOW)
    assert contracts.SIGNUP_PER_ADDRESS.attempts == 20
    for _ in range(20):
        done = sign_up(anonymous, tenant, order(shop))
        assert done.status_code == 201, done.body
    before = written(api)
    assert (before.customers, before.contracts) == (20, 20)

    limited = sign_up(anonymous, tenant, order(shop))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == str(50 * 60 + 1)
    assert problem(limited)["type"] == "urn:portway:problem:rate-limited"
    assert written(api) == before

    # another address is not slowed down
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "2001:db8::20:21")
    assert sign_up(anonymous, tenant, order(shop)).status_code == 201


def test_refused_signups_count_towards_the_limit(api, anonymous, tenant, shop, monkeypatch):
    monkeypatch.setattr(ratelimit, "utcnow", lambda: NOW)
    for _ in range(20):
        assert sign_up(anonymous, tenant, order(shop, accepted_terms=[])).status_code == 422
    limited = sign_up(anonymous, tenant, order(shop))
    assert limited.status_code == 429
    assert written(api).contracts == 0


def test_the_limit_holds_for_the_service_called_directly(api, tenant, shop, monkeypatch):
    """The same limit where no HTTP request is involved: the caller's address is the key."""
    monkeypatch.setattr(ratelimit, "utcnow", lambda: NOW)
    data = msgspec.convert(order(shop), schemas.Signup)
    caller = Caller(f"203.0.113.9-{tenant.id}")  # an address of this test's own
    for _ in range(20):
        ratelimit.spend(contracts.SIGNUP_PER_ADDRESS, caller.source_ip)
    with pytest.raises(errors.RateLimited) as limited:
        contracts.signup(caller, tenant.slug, data)
    status, headers, _ = errors.problem(limited.value)
    assert (status, headers["Retry-After"]) == (429, "3001")
    assert written(api).contracts == 0
    assert contracts.signup(Caller(None), tenant.slug, data).redirect_url is not None
