"""The self-service page in a real Chromium: the customer's errors in German and Danish (next
to their fields, never the API's English), an expired link, the cancel confirmation's way
back, busy buttons, a reload, and a layout that clips nothing at 320, 390, 768 and 1280 px.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from chalicelib.clock import utcnow
from chalicelib.models import Contract, Tenant
from chalicelib.services.billing import contracts
from tests.browser.test_console import _axe
from tests.browser.test_signup_journey import BASE
from tests.conftest import screenshot
from tests.mail import Outbox, links_in, text_of
from tests.samples import tiny_pdf
from tests.services.billing.conftest import make_shop, order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

WIDTHS = (320, 390, 768, 1280)

# What must never reach a German or Danish page: the API's English and validation syntax.
FORBIDDEN = ("Expected", "regex", "must be", "required", "not a valid", "`", "^", "\\", "[")

# A few words of each translated sentence the tests look for.
SENTENCES = {
    "de": {
        "email": "Geben Sie eine E-Mail-Adresse ein",
        "too_long": "höchstens 200 Zeichen",
        "expired": "Dieser Link ist abgelaufen",
        "sent": "ist ein neuer Link dorthin unterwegs",
        "saved": "Ihre Daten sind gespeichert.",
        "cancelled": "Ihr Vertrag ist gekündigt.",
    },
    "da": {
        "email": "Angiv en e-mailadresse",
        "too_long": "højst 200 tegn",
        "expired": "Dette link er udløbet",
        "sent": "er et nyt link på vej dertil",
    },
}


@dataclass
class Link:
    url: str
    secret: str
    contract_id: str
    document_id: str


@pytest.fixture
def customer_page(browser):
    """A person's browser tab (900 px); the test fails on any script error."""
    context = browser.new_context(viewport={"width": 900, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


def _contract(api, anonymous, tenant) -> tuple[str, str]:
    shop = make_shop(api)
    customer = {
        **order(shop)["customer"],
        "email": "jana.berg-buchhaltung@nordfracht-logistik.example",
    }
    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop, customer=customer))
    assert answer.status_code == 201, answer.body
    contract_id = answer.json_body["contract_id"]
    invoice = api.request(
        "POST",
        f"/v1/contracts/{contract_id}/documents?kind=invoice&number=2026-0042",
        raw=tiny_pdf("Rechnung 2026-0042"),
        headers={"Content-Type": "application/pdf"},
    )
    assert invoice.status_code == 201, invoice.body
    credit = api.request(
        "POST",
        f"/v1/contracts/{contract_id}/documents?kind=credit_note&number=GS-2026-000017",
        raw=tiny_pdf("Gutschrift"),
        headers={"Content-Type": "application/pdf"},
    )
    assert credit.status_code == 201, credit.body
    return contract_id, invoice.json_body["id"]


def _link(tenant, contract_id: str, language: str, local_server: str, **when: Any) -> str:
    issued = when.get("issued", utcnow())
    _, url, _ = contracts.issue_link(
        Tenant.get(tenant.id),
        Contract.get(tenant.id, contract_id),
        when.get("minutes", 60),
        issued,
        language=language,
    )
    return url.replace(BASE, local_server)


@pytest.fixture
def make_link(api, anonymous, tenant, local_server):
    """A contract with an invoice and a credit note; links to its page by language."""
    contract_id, document_id = _contract(api, anonymous, tenant)

    def make(language: str = "en", **when: Any) -> Link:
        url = _link(tenant, contract_id, language, local_server, **when)
        return Link(url, url.split("#token=")[1], contract_id, document_id)

    return make


def _open(page: Page, link: Link) -> None:
    page.goto(link.url)
    page.wait_for_selector("#sections:not([hidden])")


def _focused(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _no_english_from_the_api(page: Page, *english: str) -> None:
    shown = page.inner_text("body")
    for text in FORBIDDEN + english:
        assert text not in shown, (text, shown)


def _field_error(page: Page, field: str, words: str) -> None:
    """The field is marked, described by its error (which says `words`) and focused."""
    control = page.locator(f"#{field}")
    expect(control).to_have_attribute("aria-invalid", "true")
    described = control.get_attribute("aria-describedby") or ""
    assert described, field
    note = page.locator(f"#{described.split()[-1]}")
    expect(note).to_contain_text(words)
    assert _focused(page) == field


@pytest.mark.parametrize("language", ["de", "da"])
def test_contact_errors_are_shown_in_the_language_next_to_their_field(
    api, make_link, customer_page, language
):
    link = make_link(language)
    page = customer_page
    as_customer = api.as_key(link.secret)
    # What the API says in English about the same input, which the page must not show.
    bad_email = as_customer.patch("/v1/self-service/customer", {"email": "jana@nordfracht"})
    too_long = as_customer.patch("/v1/self-service/customer", {"first_name": "x" * 201})
    assert bad_email.status_code == too_long.status_code == 422
    english = [e["message"] for answer in (bad_email, too_long) for e in answer.json_body["errors"]]
    assert any("regex" in text for text in english), english

    _open(page, link)
    assert "#token" not in page.url
    page.locator("#edit-customer").click()
    # The forms are a module of their own, loaded on the first "Change".
    page.wait_for_selector("#customer-form")
    assert _focused(page) == "c-company"  # the form's first field
    page.locator("#c-email").fill("jana@nordfracht")
    page.locator("#customer-form button[type=submit]").click()
    _field_error(page, "c-email", SENTENCES[language]["email"])
    _no_english_from_the_api(page, *english)
    screenshot(page, f"self-service-email-error-{language}")

    page.locator("#c-email").fill("jana@nordfracht.example")
    page.locator("#c-first_name").fill("x" * 201)
    page.locator("#customer-form button[type=submit]").click()
    _field_error(page, "c-first_name", SENTENCES[language]["too_long"])
    # The e-mail's error is gone with the next try.
    assert page.locator("#c-email").get_attribute("aria-invalid") is None
    assert page.locator("#c-email").get_attribute("aria-describedby") is None
    _no_english_from_the_api(page, *english)
    _axe(page, f"self-service contact errors {language}")
    screenshot(page, f"self-service-name-error-{language}")

    # The way back: Esc leaves the form, nothing saved, focus on the button that opened it.
    page.keyboard.press("Escape")
    expect(page.locator("#customer-form")).to_have_count(0)
    assert _focused(page) == "edit-customer"
    view = as_customer.get("/v1/self-service/contract").json_body
    assert view["customer"]["first_name"] == "Jana"


@pytest.mark.parametrize("language", ["de", "da"])
def test_an_expired_link_says_so_in_the_language(make_link, customer_page, language):
    link = make_link(language, issued=utcnow() - timedelta(minutes=5), minutes=1)
    page = customer_page
    page.goto(link.url)
    error = page.locator("#message .error")
    expect(error).to_contain_text(SENTENCES[language]["expired"])
    assert page.locator("#sections").is_hidden()
    assert _focused(page) == "message"
    _no_english_from_the_api(page, "expired; ask for a new one", "This link")
    _axe(page, f"self-service expired {language}")
    screenshot(page, f"self-service-link-expired-{language}")

    # "Send me a new link": it goes to the contract's address, opening the page in this language.
    mails = Outbox()
    page.locator("#new-link").click()
    expect(page.locator("#message")).to_contain_text(SENTENCES[language]["sent"])
    expect(page.locator("#new-link")).to_have_count(0)
    (sent,) = mails.to("jana.berg-buchhaltung@nordfracht-logistik.example")
    (fresh,) = [u for u in links_in(text_of(sent)) if "#token=" in u]
    assert f"language={language}#token=" in fresh


def test_saving_and_downloading_show_busy_buttons_and_a_reload_keeps_the_link(
    api, make_link, customer_page
):
    link = make_link("de")
    page = customer_page
    _open(page, link)
    page.reload()  # the token stays in this tab
    page.wait_for_selector("#sections:not([hidden])")

    held: list[Any] = []
    calls = re.compile(r".*/v1/self-service/(customer|documents/.*)$")
    page.route(calls, lambda route: held.append(route))
    page.locator("#edit-customer").click()
    page.locator("#c-phone").fill("+49 40 987654")
    save = page.locator("#customer-form button[type=submit]")
    save.click()
    expect(save).to_have_attribute("aria-busy", "true")
    expect(save).to_be_disabled()
    held.pop().continue_()
    expect(page.locator("#message .result")).to_have_text(SENTENCES["de"]["saved"])
    assert _focused(page) == "message"
    view = api.as_key(link.secret).get("/v1/self-service/contract").json_body
    assert view["customer"]["phone"] == "+49 40 987654"

    button = page.locator(f'[data-document="{link.document_id}"]')
    with page.expect_download() as download_info:
        button.click()
        expect(button).to_have_attribute("aria-busy", "true")
        held.pop().continue_()
    assert download_info.value.suggested_filename == "invoice-2026-0042.pdf"
    expect(button).not_to_have_attribute("aria-busy", "true")


def test_the_cancel_confirmation_has_a_way_back(api, make_link, customer_page):
    link = make_link("de")
    page = customer_page
    _open(page, link)
    cancel = page.locator("#cancel")
    box = page.locator("#cancel-box")

    cancel.click()
    expect(box).to_be_visible()
    assert box.get_attribute("aria-labelledby") == "cancel-question"
    assert _focused(page) == "cancel-question"
    page.locator("#cancel-keep").click()
    expect(box).to_be_hidden()
    assert _focused(page) == "cancel"
    assert cancel.get_attribute("aria-expanded") == "false"

    cancel.click()
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    assert _focused(page) == "cancel"
    assert api.get(f"/v1/contracts/{link.contract_id}").json_body["status"] == "active"

    cancel.click()
    confirm = page.locator("#cancel-confirm")
    held: list[Any] = []
    page.route(re.compile(r".*/v1/self-service/cancel$"), lambda route: held.append(route))
    confirm.click()
    expect(confirm).to_have_attribute("aria-busy", "true")
    held.pop().continue_()
    expect(page.locator("#message .result")).to_contain_text(SENTENCES["de"]["cancelled"])
    assert _focused(page) == "message"
    expect(page.locator("#cancel")).to_have_count(0)
    assert api.get(f"/v1/contracts/{link.contract_id}").json_body["status"] == "cancelled"


# Every card and the page fit their width; amounts, values and buttons are inside their card
# and not cut off (a long value scrolls inside its input, as text fields do).
MEASURE = """() => {
  const bad = [];
  const over = (node) => node.scrollWidth > node.clientWidth + 1;
  const root = document.documentElement;
  if (over(root)) bad.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
  for (const card of document.querySelectorAll(".card")) {
    const name = card.dataset.section;
    if (over(card)) bad.push(`${name} ${card.scrollWidth} > ${card.clientWidth}`);
    const edge = card.getBoundingClientRect();
    for (const node of card.querySelectorAll(".amount, dd, button, input, select")) {
      if (!node.getClientRects().length) continue;
      const box = node.getBoundingClientRect();
      const outside = box.left < edge.left - 0.5 || box.right > edge.right + 0.5;
      if (box.width < 1 || outside || (node.tagName !== "INPUT" && over(node))) {
        const where = `${Math.round(box.left)}-${Math.round(box.right)}`;
        bad.push(`${name}: ${node.tagName} "${node.textContent}" at ${where}`);
      }
    }
  }
  return bad;
}"""


@pytest.mark.parametrize("language", ["en", "de"])
def test_nothing_is_clipped_at_any_width(make_link, customer_page, language):
    link = make_link(language)
    page = customer_page
    _open(page, link)
    amounts = page.locator(".amount")
    assert amounts.count() >= 4  # price, two options, per period
    assert re.search(r"€|EUR", page.locator('[data-section="account"]').inner_text())

    def measure(state: str) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate(MEASURE) == [], (state, width)
            _axe(page, f"self-service {state} {language} {width}")
            if width in (390, 1280):
                screenshot(page, f"self-service-{state}-{language}-{width}")

    measure("view")
    page.set_viewport_size({"width": 900, "height": 800})
    page.locator("#edit-customer").click()
    page.locator("#cancel").click()
    measure("editing")
