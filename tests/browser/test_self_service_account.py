"""The self-service page's account (issue 15, item 6) in a real Chromium: the coupon's
discount as the contract computes it, a change of the payment method with the IBAN checked by
its check digits (on the page and by the API). In German and Danish, at phone width. (An
expired link asking for a new one: tests/browser/test_self_service_page.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_console import _axe
from tests.browser.test_self_service_page import FORBIDDEN, _focused, _open
from tests.browser.test_self_service_page import make_link as make_link  # the fixture
from tests.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

WORDS = {
    "de": {
        "before": "Vor Rabatt",
        "discount": "Gutscheinrabatt (10 %)",
        "iban": "Diese IBAN ist ungültig",
        "saved": "Ihre Zahlungsart ist gespeichert.",
        "sent": "ist ein neuer Link dorthin unterwegs",
        "required": "Bitte füllen Sie dieses Feld aus.",
    },
    "da": {
        "before": "Før rabat",
        "discount": "Rabat med rabatkode (10 %)",
        "iban": "Dette IBAN er ugyldigt",
        "saved": "Din betalingsmetode er gemt.",
        "sent": "er et nyt link på vej dertil",
        "required": "Udfyld venligst dette felt.",
    },
}


def _clean(page, *english: str) -> None:
    shown = page.inner_text("body")
    for text in FORBIDDEN + english:
        assert text not in shown, (text, shown)


@pytest.mark.parametrize("language", ["de", "da"])
def test_discount_and_a_new_payment_method(api, make_link, phone, language):
    link = make_link(language)
    page = phone
    words = WORDS[language]
    _open(page, link)
    account = page.locator("[data-section=account] .content")
    # 49.00 + 3 seats x 5.00 + 19.00 = 83.00, less 10 % = 74.70 (the signup's coupon).
    expect(account).to_contain_text(words["before"])
    expect(account).to_contain_text("83,00")
    expect(account).to_contain_text(words["discount"])
    expect(account).to_contain_text("8,30")
    expect(account).to_contain_text("74,70")
    screenshot(page, f"self-service-discount-{language}")

    page.locator("#edit-payment").click()
    page.wait_for_selector("#payment-form")  # the forms' module, loaded on the first change
    assert _focused(page) == "pay-sepa_debit"
    page.locator("#pay-iban").fill("DE89 3704 0044 0532 0130 01")  # one digit wrong
    page.locator("#payment-form button[type=submit]").click()
    note = page.locator("#pay-iban-error")
    expect(note).to_contain_text(words["iban"])
    expect(page.locator("#pay-iban")).to_have_attribute("aria-invalid", "true")
    assert _focused(page) == "pay-iban"
    # The API refuses the same account with the same code.
    as_customer = api.as_key(link.secret)
    refused = as_customer.put(
        "/v1/self-service/payment",
        {"method": "sepa_debit", "sepa": {"iban": "DE89370400440532013001", "account_holder": "J"}},
    )
    assert [e["code"] for e in refused.json_body["errors"]] == ["iban"]
    page.locator("#pay-holder").fill("")
    page.locator("#pay-iban").fill("DK50 0040 0440 1162 43")
    page.locator("#payment-form button[type=submit]").click()
    expect(page.locator("#pay-holder-error")).to_have_text(words["required"])
    page.locator("#pay-holder").fill("Ole Kran")
    page.locator("#payment-form button[type=submit]").click()
    expect(page.locator("#message")).to_contain_text(words["saved"])
    payment = page.locator("[data-section=payment] .content")
    expect(payment).to_contain_text("DK50 **** **** 6243")
    assert "0440" not in payment.inner_text()
    _clean(page, *[e["message"] for e in refused.json_body["errors"]])
    _axe(page, f"self-service payment {language}")
    screenshot(page, f"self-service-payment-{language}")

    # Esc leaves a new form; nothing changes.
    page.locator("#edit-payment").click()
    page.locator("#pay-invoice").check()
    page.keyboard.press("Escape")
    expect(page.locator("#payment-form")).to_have_count(0)
    assert _focused(page) == "edit-payment"
    view = as_customer.get("/v1/self-service/contract").json_body
    assert view["payment"]["method"] == "sepa_debit"
