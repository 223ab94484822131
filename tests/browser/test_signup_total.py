"""The signup page's total (issue 15, item 6) in a real Chromium: computed by the server as
the contract will be (a quote), with the coupon taken off and the discount shown; a coupon the
variant does not take is said next to its field before ordering; what is shown is what the
contract is then charged. In German and Danish, at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_console import _axe
from tests.browser.test_signup_journey import BASE
from tests.conftest import screenshot
from tests.services.billing.conftest import make_shop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

NO_AMOUNT = "\N{EN DASH}"
MINUS = "\N{MINUS SIGN}"
WORDS = {
    "de": {"discount": "Rabatt mit Gutschein WELCOME10 (10 %)", "coupon": "gilt nicht für"},
    "da": {"discount": "Rabat med rabatkode WELCOME10 (10 %)", "coupon": "gælder ikke for"},
}


@pytest.mark.parametrize("language", ["de", "da"])
def test_the_total_takes_the_coupon_off_as_the_contract_will(
    api, tenant, local_server, phone, language
):
    shop = make_shop(api)
    page = phone
    url = f"{BASE}/p/{tenant.slug}/signup/{shop.variant['id']}?language={language}"
    page.goto(url.replace(BASE, local_server))
    total = page.locator("#total")
    # 49.00 + one seat (the minimum) at 5.00.
    expect(total).to_have_text("54,00 €")
    expect(page.locator("#discount-row")).to_be_hidden()

    page.fill(f"#c-{shop.seats['id']}", "3")
    page.check(f"#c-{shop.support['id']}")
    expect(total).to_have_text("83,00 €")

    page.fill("#f-coupon_code", "NOPE")
    page.locator("#f-coupon_code").blur()
    note = page.locator("#f-coupon_code-error")
    expect(note).to_contain_text(WORDS[language]["coupon"])
    expect(page.locator("#f-coupon_code")).to_have_attribute("aria-invalid", "true")
    expect(total).to_have_text(NO_AMOUNT)
    screenshot(page, f"signup-coupon-invalid-{language}")

    page.fill("#f-coupon_code", "welcome10")
    page.locator("#f-coupon_code").blur()
    expect(page.locator("#discount-row")).to_be_visible()
    expect(page.locator("#discount-label")).to_have_text(WORDS[language]["discount"])
    expect(page.locator("#discount")).to_have_text(MINUS + "8,30 €")
    expect(page.locator("#subtotal")).to_have_text("83,00 €")
    expect(total).to_have_text("74,70 €")
    expect(note).to_have_count(0)
    assert page.locator("#f-coupon_code").get_attribute("aria-invalid") is None
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _axe(page, f"signup total {language}")
    screenshot(page, f"signup-coupon-applied-{language}")

    # The quote is what the order is then charged.
    quote = api.as_key(None).post(
        f"/v1/hosted/{tenant.slug}/signup/quote",
        {
            "plan_variant_id": shop.variant["id"],
            "components": [
                {"component_id": shop.seats["id"], "quantity": 3},
                {"component_id": shop.support["id"], "quantity": 1},
            ],
            "coupon_code": "welcome10",
        },
    )
    assert quote.json_body["total"] == "74.70"
