"""The billing catalogue through the API: plans, variants, components and coupons, their
rules, tenant isolation, and the public signup page each open variant has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import problem
from tests.services.billing.conftest import make_shop


def fields(response: Any) -> list[str]:
    """The fields a 422 answer names."""
    assert response.status_code == 422, response.body
    return [error["field"] for error in problem(response)["errors"]]


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.body
    body: dict[str, Any] = response.json_body
    return body


def new_plan(api, name: str = "Fleet Basic", **extra: Any) -> dict[str, Any]:
    return created(api.post("/v1/plans", {"name": name, **extra}))


def new_variant(api, plan_id: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "Yearly", "price": "499.00", "billing_period": "P1Y", **extra}
    return created(api.post(f"/v1/plans/{plan_id}/variants", body))


def page(anonymous, slug: str, variant_id: str, language: str | None = None) -> Any:
    query = f"?language={language}" if language else ""
    return anonymous.get(f"/p/{slug}/signup/{variant_id}{query}")


def html(response: Any) -> str:
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    return response.body.decode()


def walk(api, path: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a list, `limit` items at a time."""
    pages, cursor = [], None
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(path + query)
        assert answer.status_code == 200, answer.body
        pages.append(answer.json_body["items"])
        cursor = answer.json_body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor never ends"


# -- plans -----------------------------------------------------------------------------------


def test_plans_are_created_listed_in_pages_and_read_one_by_one(api):
    plans = [new_plan(api, f"Plan {n}") for n in range(5)]
    assert plans[0]["currency"] == "EUR"
    assert plans[0]["version"] == 1
    assert plans[0]["description"] is None

    pages = walk(api, "/v1/plans", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [item["id"] for p in pages for item in p]
    assert sorted(listed) == sorted(p["id"] for p in plans)
    assert listed == sorted(listed)  # oldest first, never twice

    one = api.get(f"/v1/plans/{plans[3]['id']}")
    assert one.status_code == 200
    assert one.json_body == plans[3]


def test_list_limits_outside_1_to_100_are_refused(api):
    for limit in (0, 101):
        assert fields(api.get(f"/v1/plans?limit={limit}")) == ["query.limit"]


def test_a_plan_is_renamed_with_its_version_and_a_stale_version_is_a_conflict(api):
    plan = new_plan(api, currency="USD")
    renamed = api.patch(f"/v1/plans/{plan['id']}", {"name": "Fleet Plus", "version": 1})
    assert renamed.status_code == 200, renamed.body
    assert renamed.json_body["name"] == "Fleet Plus"
    assert renamed.json_body["currency"] == "USD"
    assert renamed.json_body["version"] == 2

    stale = api.patch(f"/v1/plans/{plan['id']}", {"description": "lost", "version": 1})
    assert stale.status_code == 409
    assert problem(stale)["current_version"] == 2
    stale_header = api.patch(
        f"/v1/plans/{plan['id']}", {"description": "lost"}, headers={"If-Match": '"1"'}
    )
    assert stale_header.status_code == 409
    assert api.get(f"/v1/plans/{plan['id']}").json_body["description"] is None

    fresh = api.patch(
        f"/v1/plans/{plan['id']}", {"description": "kept"}, headers={"If-Match": '"2"'}
    )
    assert fresh.status_code == 200, fresh.body
    assert fresh.json_body["description"] == "kept"
    assert fresh.json_body["version"] == 3


def test_a_plan_name_cannot_be_removed(api):
    plan = new_plan(api)
    assert fields(api.patch(f"/v1/plans/{plan['id']}", {"name": None})) == ["name"]


# -- variants --------------------------------------------------------------------------------


def test_variants_are_created_listed_and_read(api, tenant):
    plan = new_plan(api)
    variants = [new_variant(api, plan["id"], name=f"V{n}") for n in range(3)]
    other_plan = new_plan(api, "Other")
    new_variant(api, other_plan["id"])
    first = variants[0]
    assert first["plan_id"] == plan["id"]
    assert first["currency"] == "EUR"
    assert first["notice_period"] == "P1M"
    assert first["allow_signup"] is False
    assert first["version"] == 1

    pages = walk(api, f"/v1/plans/{plan['id']}/variants", 2)
    assert [len(p) for p in pages] == [2, 1]
    assert sorted(v["id"] for p in pages for v in p) == sorted(v["id"] for v in variants)

    one = api.get(f"/v1/plan-variants/{first['id']}")
    assert one.status_code == 200
    assert one.json_body == first


def test_a_variant_has_a_signup_url_only_while_it_allows_signup(api, tenant):
    plan = new_plan(api)
    variant = new_variant(api, plan["id"])
    assert variant["signup_url"] is None

    opened = api.patch(f"/v1/plan-variants/{variant['id']}", {"allow_signup": True, "version": 1})
    assert opened.status_code == 200, opened.body
    url = opened.json_body["signup_url"]
    assert url.endswith(f"/p/{tenant.slug}/signup/{variant['id']}")
    assert api.get(f"/v1/plan-variants/{variant['id']}").json_body["signup_url"] == url
    listed = api.get(f"/v1/plans/{plan['id']}/variants").json_body["items"]
    assert [v["signup_url"] for v in listed] == [url]

    closed = api.patch(f"/v1/plan-variants/{variant['id']}", {"allow_signup": False})
    assert closed.json_body["signup_url"] is None
    assert closed.json_body["version"] == 3


def test_a_variant_update_with_a_stale_version_is_a_conflict_and_changes_nothing(api):
    plan = new_plan(api)
    variant = new_variant(api, plan["id"])
    assert api.patch(f"/v1/plan-variants/{variant['id']}", {"price": "9.00"}).status_code == 200
    stale = api.patch(f"/v1/plan-variants/{variant['id']}", {"price": "1.00", "version": 1})
    assert stale.status_code == 409
    assert api.get(f"/v1/plan-variants/{variant['id']}").json_body["price"] == "9.00"
    assert fields(api.patch(f"/v1/plan-variants/{variant['id']}", {"price": None})) == ["price"]


def test_variant_prices_and_periods_are_checked(api):
    plan = new_plan(api)
    bad = {"name": "X", "price": "1.999", "billing_period": "monthly", "notice_period": "P1M"}
    assert sorted(fields(api.post(f"/v1/plans/{plan['id']}/variants", bad))) == [
        "billing_period",
        "price",
    ]


# -- components ------------------------------------------------------------------------------


def component(api, plan_id: str, **body: Any) -> Any:
    return api.post("/v1/components", {"plan_id": plan_id, "price": "1.00", **body})


def test_components_are_created_listed_read_and_updated_with_their_version(api):
    plan = new_plan(api)
    made = [
        created(component(api, plan["id"], name=f"C{n}", kind="quantity", max_quantity=9))
        for n in range(3)
    ]
    assert made[0]["min_quantity"] == 0
    assert made[0]["max_quantity"] == 9
    assert made[0]["version"] == 1

    pages = walk(api, f"/v1/plans/{plan['id']}/components", 2)
    assert [len(p) for p in pages] == [2, 1]
    assert sorted(c["id"] for p in pages for c in p) == sorted(c["id"] for c in made)
    assert api.get(f"/v1/components/{made[1]['id']}").json_body == made[1]

    changed = api.patch(f"/v1/components/{made[1]['id']}", {"price": "2.50", "version": 1})
    assert changed.status_code == 200, changed.body
    assert (changed.json_body["price"], changed.json_body["version"]) == ("2.50", 2)
    stale = api.patch(f"/v1/components/{made[1]['id']}", {"price": "3.00", "version": 1})
    assert stale.status_code == 409
    assert api.get(f"/v1/components/{made[1]['id']}").json_body["price"] == "2.50"


def test_a_metered_component_is_never_ordered_in_the_signup(api):
    plan = new_plan(api)
    refused = component(api, plan["id"], name="Pings", kind="metered", show_in_signup=True)
    assert fields(refused) == ["show_in_signup"]
    metered = created(component(api, plan["id"], name="Pings", kind="metered"))
    patched = api.patch(f"/v1/components/{metered['id']}", {"show_in_signup": True})
    assert fields(patched) == ["show_in_signup"]


def test_only_a_metered_component_is_price_information(api):
    plan = new_plan(api)
    for kind in ("quantity", "on_off"):
        refused = component(api, plan["id"], name="X", kind=kind, show_as_price_info=True)
        assert fields(refused) == ["show_as_price_info"]
    seats = created(component(api, plan["id"], name="Seats", kind="quantity"))
    patched = api.patch(f"/v1/components/{seats['id']}", {"show_as_price_info": True})
    assert fields(patched) == ["show_as_price_info"]


def test_a_quantity_component_needs_min_not_above_max(api):
    plan = new_plan(api)
    refused = component(
        api, plan["id"], name="Seats", kind="quantity", min_quantity=5, max_quantity=2
    )
    assert fields(refused) == ["max_quantity"]
    seats = created(
        component(api, plan["id"], name="Seats", kind="quantity", min_quantity=2, max_quantity=5)
    )
    assert fields(api.patch(f"/v1/components/{seats['id']}", {"min_quantity": 6})) == [
        "max_quantity"
    ]
    assert api.get(f"/v1/components/{seats['id']}").json_body["min_quantity"] == 2
    equal = api.patch(f"/v1/components/{seats['id']}", {"min_quantity": 5})
    assert equal.status_code == 200, equal.body


def test_an_on_off_component_is_always_0_to_1(api):
    plan = new_plan(api)
    support = created(
        component(api, plan["id"], name="Support", kind="on_off", min_quantity=3, max_quantity=7)
    )
    assert (support["min_quantity"], support["max_quantity"]) == (0, 1)
    patched = api.patch(f"/v1/components/{support['id']}", {"min_quantity": 2, "max_quantity": 9})
    assert patched.status_code == 200, patched.body
    assert (patched.json_body["min_quantity"], patched.json_body["max_quantity"]) == (0, 1)


def test_a_component_for_an_unknown_or_another_tenants_plan_is_refused(api, other_api):
    theirs = new_plan(other_api)
    assert fields(component(api, theirs["id"], name="X", kind="on_off")) == ["plan_id"]
    assert fields(component(api, "pln_missing", name="X", kind="on_off")) == ["plan_id"]
    assert other_api.get(f"/v1/plans/{theirs['id']}/components").json_body["items"] == []


# -- coupons ---------------------------------------------------------------------------------


def test_coupons_are_created_listed_in_pages_and_read_by_code_in_any_case(api):
    valid_until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    made = [
        created(api.post("/v1/coupons", {"code": f"spring-{n}", "discount_percent": 5 + n}))
        for n in range(3)
    ]
    last = created(
        api.post(
            "/v1/coupons",
            {
                "code": "Summer_25",
                "discount_percent": 25,
                "valid_until": valid_until.isoformat(),
                "max_redemptions": 3,
            },
        )
    )
    assert made[0]["code"] == "SPRING-0"
    assert made[0]["redemptions"] == 0
    assert made[0]["plan_variant_ids"] is None
    assert last["valid_until"] == valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert last["max_redemptions"] == 3

    pages = walk(api, "/v1/coupons", 3)
    assert [len(p) for p in pages] == [3, 1]
    assert [c["code"] for p in pages for c in p] == [
        "SPRING-0",
        "SPRING-1",
        "SPRING-2",
        "SUMMER_25",
    ]
    for code in ("summer_25", "SUMMER_25", "SuMmEr_25"):
        one = api.get(f"/v1/coupons/{code}")
        assert one.status_code == 200
        assert one.json_body == last


def test_a_coupon_code_is_unique_whatever_its_case(api):
    created(api.post("/v1/coupons", {"code": "Welcome10", "discount_percent": 10}))
    again = api.post("/v1/coupons", {"code": "WELCOME10", "discount_percent": 20})
    assert again.status_code == 409
    problem(again)
    assert api.get("/v1/coupons/welcome10").json_body["discount_percent"] == 10


def test_a_coupon_that_has_expired_already_is_refused(api):
    past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused = api.post("/v1/coupons", {"code": "OLD", "discount_percent": 10, "valid_until": past})
    assert fields(refused) == ["valid_until"]
    no_offset = api.post(
        "/v1/coupons", {"code": "OLD", "discount_percent": 10, "valid_until": "2999-01-01T00:00"}
    )
    assert fields(no_offset) == ["valid_until"]
    assert api.get("/v1/coupons/OLD").status_code == 404


def test_a_coupon_names_only_the_tenants_own_variants(api, other_api):
    mine = new_variant(api, new_plan(api)["id"])
    theirs = new_variant(other_api, new_plan(other_api)["id"])
    refused = api.post(
        "/v1/coupons",
        {"code": "MIXED", "discount_percent": 10, "plan_variant_ids": [mine["id"], theirs["id"]]},
    )
    assert fields(refused) == ["plan_variant_ids.1"]
    assert api.get("/v1/coupons/MIXED").status_code == 404
    ok = api.post(
        "/v1/coupons", {"code": "MINE", "discount_percent": 10, "plan_variant_ids": [mine["id"]]}
    )
    assert created(ok)["plan_variant_ids"] == [mine["id"]]


def test_a_withdrawn_coupon_is_gone(api):
    created(api.post("/v1/coupons", {"code": "GONE", "discount_percent": 10}))
    assert api.delete("/v1/coupons/gone").status_code in (200, 204)
    assert api.get("/v1/coupons/GONE").status_code == 404


# -- tenant isolation ------------------------------------------------------------------------


def test_another_tenants_catalogue_is_not_found(api, other_api):
    plan = new_plan(other_api)
    variant = new_variant(other_api, plan["id"])
    comp = created(component(other_api, plan["id"], name="Seats", kind="quantity"))
    created(other_api.post("/v1/coupons", {"code": "THEIRS", "discount_percent": 10}))

    attempts = [
        api.get(f"/v1/plans/{plan['id']}"),
        api.patch(f"/v1/plans/{plan['id']}", {"name": "Mine now"}),
        api.get(f"/v1/plans/{plan['id']}/variants"),
        api.get(f"/v1/plans/{plan['id']}/components"),
        api.post(f"/v1/plans/{plan['id']}/variants", {"name": "X", "price": "1.00"}),
        api.get(f"/v1/plan-variants/{variant['id']}"),
        api.patch(f"/v1/plan-variants/{variant['id']}", {"allow_signup": True}),
        api.get(f"/v1/components/{comp['id']}"),
        api.patch(f"/v1/components/{comp['id']}", {"price": "0.01"}),
        api.get("/v1/coupons/THEIRS"),
        api.delete("/v1/coupons/THEIRS"),
    ]
    assert [a.status_code for a in attempts] == [404] * len(attempts)
    for attempt in attempts:
        problem(attempt)
    assert api.get("/v1/plans").json_body["items"] == []
    assert api.get("/v1/coupons").json_body["items"] == []
    # and nothing of theirs moved
    assert other_api.get(f"/v1/plans/{plan['id']}").json_body["name"] == plan["name"]
    assert other_api.get(f"/v1/plan-variants/{variant['id']}").json_body["allow_signup"] is False
    assert other_api.get(f"/v1/components/{comp['id']}").json_body["price"] == "1.00"
    assert other_api.get("/v1/coupons/THEIRS").status_code == 200


# -- the signup page -------------------------------------------------------------------------


def test_the_signup_page_shows_what_the_variant_sells(api, anonymous, tenant, shop):
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert "Fleet Pro" in body
    assert "Monthly" in body
    assert "EUR 49.00" in body
    assert f'data-component="{shop.seats["id"]}"' in body
    assert f'data-component="{shop.support["id"]}"' in body
    assert "Seats" in body
    assert "Priority support" in body
    # metered with show_as_price_info: price information, not something to order
    assert "GPS pings" in body
    assert "EUR 0.01 / ping" in body
    assert f'data-component="{shop.traffic["id"]}"' not in body
    # neither ordered nor shown
    assert "Onboarding" not in body
    assert shop.hidden["id"] not in body


def test_a_metered_component_without_price_info_is_not_on_the_page(api, anonymous, tenant, shop):
    created(component(api, shop.plan["id"], name="Engine hours", kind="metered", unit="hour"))
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert "GPS pings" in body
    assert "Engine hours" not in body


def test_the_signup_page_follows_the_components(api, anonymous, tenant, shop):
    assert (
        api.patch(f"/v1/components/{shop.hidden['id']}", {"show_in_signup": True}).status_code
        == 200
    )
    assert "Onboarding" in html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert (
        api.patch(f"/v1/components/{shop.seats['id']}", {"show_in_signup": False}).status_code
        == 200
    )
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert f'data-component="{shop.seats["id"]}"' not in body


def test_the_signup_page_exists_only_while_the_variant_allows_signup(api, anonymous, tenant, shop):
    closed = new_variant(api, shop.plan["id"], name="Closed")
    assert page(anonymous, tenant.slug, closed["id"]).status_code == 404

    path = f"/v1/plan-variants/{shop.variant['id']}"
    assert api.patch(path, {"allow_signup": False}).status_code == 200
    for language in (None, "en", "de", "da"):
        gone = page(anonymous, tenant.slug, shop.variant["id"], language)
        assert gone.status_code == 404
        assert "Fleet Pro" not in gone.body.decode()

    assert api.patch(path, {"allow_signup": True}).status_code == 200
    assert "Fleet Pro" in html(page(anonymous, tenant.slug, shop.variant["id"]))


def test_a_settings_change_does_not_bring_back_a_closed_signup_page(api, anonymous, tenant, shop):
    path = f"/v1/plan-variants/{shop.variant['id']}"
    assert api.patch(path, {"allow_signup": False}).status_code == 200
    assert api.put("/v1/settings/self-service", {}).status_code == 200
    assert api.patch(f"/v1/plans/{shop.plan['id']}", {"name": "Fleet Max"}).status_code == 200
    assert page(anonymous, tenant.slug, shop.variant["id"]).status_code == 404


def test_renaming_the_plan_renders_its_signup_pages_again(api, anonymous, tenant, shop):
    yearly = new_variant(api, shop.plan["id"], allow_signup=True)
    renamed = api.patch(f"/v1/plans/{shop.plan['id']}", {"name": "Fleet Ultra"})
    assert renamed.status_code == 200, renamed.body
    for variant_id in (shop.variant["id"], yearly["id"]):
        for language in ("en", "de"):
            body = html(page(anonymous, tenant.slug, variant_id, language))
            assert "Fleet Ultra" in body
            assert "Fleet Pro" not in body


def test_a_variant_change_shows_on_its_page(api, anonymous, tenant, shop):
    path = f"/v1/plan-variants/{shop.variant['id']}"
    assert api.patch(path, {"price": "59.90"}).status_code == 200
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert "EUR 59.90" in body
    assert "EUR 49.00" not in body


def test_the_signup_page_in_german_writes_prices_the_german_way(anonymous, tenant, shop):
    body = html(page(anonymous, tenant.slug, shop.variant["id"], "de"))
    assert "49,00 EUR" in body
    assert "0,01 EUR" in body
    assert "EUR 49.00" not in body
    english = html(page(anonymous, tenant.slug, shop.variant["id"], "en"))
    assert "EUR 49.00" in english
    assert "49,00 EUR" not in english


def test_a_signup_page_is_only_under_its_own_tenant(
    api, anonymous, other_api, other_tenant, tenant, shop
):
    assert page(anonymous, other_tenant.slug, shop.variant["id"]).status_code == 404
    assert page(anonymous, "no-such-tenant-xyz", shop.variant["id"]).status_code == 404


def test_a_second_shop_of_another_tenant_is_separate(
    api, other_api, anonymous, tenant, other_tenant
):
    shop_a = make_shop(api)
    shop_b = make_shop(other_api)
    assert page(anonymous, tenant.slug, shop_a.variant["id"]).status_code == 200
    assert page(anonymous, other_tenant.slug, shop_b.variant["id"]).status_code == 200
    assert page(anonymous, tenant.slug, shop_b.variant["id"]).status_code == 404
    assert page(anonymous, other_tenant.slug, shop_a.variant["id"]).status_code == 404


def test_names_on_the_signup_page_are_escaped(api, anonymous, tenant, shop):
    renamed = api.patch(f"/v1/plans/{shop.plan['id']}", {"name": "<script>alert(1)</script> & Co"})
    assert renamed.status_code == 200, renamed.body
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in body
    assert "<script>alert(1)" not in body


def test_a_component_made_later_is_on_the_page_at_once(api, anonymous, tenant, shop):
    extra = created(
        component(api, shop.plan["id"], name="Trailer tracking", kind="on_off", show_in_signup=True)
    )
    body = html(page(anonymous, tenant.slug, shop.variant["id"]))
    assert f'data-component="{extra["id"]}"' in body


def test_large_prices_are_grouped_in_each_language(api, anonymous, tenant, shop):
    path = f"/v1/plan-variants/{shop.variant['id']}"
    assert api.patch(path, {"price": "1234.50"}).status_code == 200
    assert "EUR 1,234.50" in html(page(anonymous, tenant.slug, shop.variant["id"], "en"))
    assert "1.234,50 EUR" in html(page(anonymous, tenant.slug, shop.variant["id"], "de"))
    assert "1.234,50 EUR" in html(page(anonymous, tenant.slug, shop.variant["id"], "da"))


def test_an_unknown_language_falls_back_to_the_tenants(anonymous, tenant, shop):
    body = html(page(anonymous, tenant.slug, shop.variant["id"], "xx"))
    assert "EUR 49.00" in body


def test_a_signup_page_before_any_settings_uses_the_defaults(api, anonymous, tenant):
    plan = new_plan(api, "Solo")
    variant = new_variant(api, plan["id"], allow_signup=True)
    body = html(page(anonymous, tenant.slug, variant["id"]))
    assert "Solo" in body
    assert 'id="f-email"' in body
    assert 'id="f-birth_date"' not in body  # hidden by default
    assert 'id="f-coupon_code"' not in body  # no coupons asked by default
    assert 'id="pay-sepa"' in body  # payment asked by default
    assert "data-term=" not in body
