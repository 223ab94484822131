"""Signup and self-service in a real Chromium.

A subscription business frames its signup page on its own website (a second local port,
another origin, on the tenant's allowlist). A customer orders through the frame and lands
on the shop's success page with the contract id. The provider uploads an invoice and
e-mails it; the customer opens the e-mailed self-service link in German, changes the phone
number, downloads the invoice and cancels. An expired link says so clearly. Screenshots of
every step go to test-artifacts/.
"""

from __future__ import annotations

import email
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chalicelib.clock import utcnow
from chalicelib.models import Contract, Tenant
from chalicelib.services.billing import contracts
from tests.conftest import screenshot
from tests.samples import tiny_pdf
from tests.services.billing.conftest import SETTINGS, make_shop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

BASE = "http://localhost:8000"

# The shop frames the signup page, grows the frame to the height it reports, and sends the
# whole window to the success page when the signup says so (messages from Portway only).
SHOP_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Shop</title></head>
<body style="margin:0;font:15px sans-serif">
<h1 style="margin:8px 16px">Fleet Pro bestellen</h1>
<iframe id="signup" src="{src}" title="Bestellung"
        style="width:100%;height:200px;border:0;display:block"></iframe>
<script>
window.addEventListener("message", function (event) {{
  if (event.origin !== "{portway}") return;
  if (event.data && event.data.type === "portway:height") {{
    document.getElementById("signup").style.height = event.data.height + "px";
  }}
  if (event.data && event.data.type === "portway:signup" && event.data.redirect_url) {{
    window.location.assign(event.data.redirect_url);
  }}
}});
</script>
</body></html>
"""
THANKS_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Danke</title>
</head><body><h1>Danke für Ihre Bestellung</h1></body></html>"""


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 900, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def _settings(origin: str) -> dict:
    urls = {
        **SETTINGS["urls"],
        "success": f"{origin}/danke",
        "error": f"{origin}/fehler",
    }
    return {**SETTINGS, "urls": urls}


def _latest_mail(folder: Path, before: set[Path]) -> email.message.EmailMessage:
    new = sorted(set(folder.glob("*.eml")) - before)
    assert len(new) == 1, new
    return email.message_from_bytes(new[0].read_bytes(), policy=email.policy.default)


def test_signup_in_a_frame_then_self_service_from_the_email_in_german(
    api, tenant, website, local_server, browser_page
):
    origin = website.origin
    shop = make_shop(api, _settings(origin), origins=(origin,))
    signup_path = f"/p/{tenant.slug}/signup/{shop.variant['id']}?language=de"
    website.pages = {"/": SHOP_PAGE.format(src=local_server + signup_path, portway=local_server)}
    website.default = THANKS_PAGE

    # -- the order, inside the shop's frame ------------------------------------------------
    page = browser_page
    page.goto(origin + "/")
    frame = page.frame_locator("#signup")
    assert frame.locator("h1").inner_text() == "Bestellung"
    # One money format on the whole page: the page's language, through Intl.
    assert "49,00 €" in frame.locator(".price").inner_text().replace("\xa0", " ")
    assert "0,01 € / ping" in frame.locator("text=GPS pings >> xpath=..").inner_text().replace(
        "\xa0", " "
    )
    assert "EUR" not in frame.locator("main").inner_text()
    assert frame.locator("text=GPS pings").count() == 1  # metered: price information
    assert frame.locator("text=Onboarding").count() == 0  # not offered in signup
    assert frame.locator("#f-birth_date").count() == 0  # hidden field
    frame.locator(f"#c-{shop.seats['id']}").fill("3")
    frame.locator(f"#c-{shop.support['id']}").check()
    frame.locator("#f-coupon_code").fill("welcome10")
    frame.locator("#f-company").fill("Nordfracht GmbH")
    frame.locator("#f-first_name").fill("Jana")
    frame.locator("#f-last_name").fill("Berg")
    frame.locator("#f-email").fill("jana@nordfracht.example")
    frame.locator("#f-street").fill("Kai 1")
    frame.locator("#f-postal_code").fill("20457")
    frame.locator("#f-city").fill("Hamburg")
    assert frame.locator("#f-country option[value=DE]").inner_text() == "Deutschland"
    frame.locator("#f-country").select_option("DE")
    frame.locator("#pay-sepa").check()
    frame.locator("#f-iban").fill("DE89 3704 0044 0532 0130 00")
    frame.locator("#f-account_holder").fill("Jana Berg")
    # The coupon is taken off the total (83,00 € less 10 %), as the contract will bill it.
    expect(frame.locator("#total")).to_have_text(re.compile(r"^74,70\s€$"))
    expect(frame.locator("#discount")).to_have_text(re.compile(r"8,30\s€$"))
    frame.locator("#order").click()  # the mandatory terms line is not confirmed yet
    terms = frame.locator("#t-0")
    assert terms.get_attribute("aria-invalid") == "true"
    assert terms.evaluate("node => node === document.activeElement")
    described = terms.get_attribute("aria-describedby")
    note = frame.locator(f"#{described}").inner_text()
    assert note == "Bitte akzeptieren Sie die Bedingungen, um fortzufahren.", note
    screenshot(page, "signup-terms-missing-de")
    frame.locator("#t-0").check()
    frame.locator("#order").click()

    page.wait_for_url(re.compile(re.escape(origin) + r"/danke\?contractId=con_\w+"))
    contract_id = page.url.split("contractId=")[1]
    assert page.locator("h1").inner_text() == "Danke für Ihre Bestellung"
    screenshot(page, "signup-landed-on-success-url")
    hosts = {url.split("/", 3)[2] for url in page.requested}
    assert hosts == {origin.split("//")[1], local_server.split("//")[1]}
    contract = api.get(f"/v1/contracts/{contract_id}").json_body
    assert [(c["name"], c["quantity"]) for c in contract["components"]] == [
        ("Seats", 3),
        ("Priority support", 1),
    ]
    assert contract["coupon_code"] == "WELCOME10"

    # -- the provider's invoice e-mail, with a link that opens the page in German ------------
    invoice = tiny_pdf("Rechnung 2026-0042")
    uploaded = api.request(
        "POST",
        f"/v1/contracts/{contract_id}/documents?kind=invoice&number=2026-0042",
        raw=invoice,
        headers={"Content-Type": "application/pdf"},
    )
    assert uploaded.status_code == 201, uploaded.body
    api.put(
        "/v1/email-templates/invoice/de",
        {
            "subject": "Ihre Rechnung {DocumentNumber}",
            "body": "Hallo {CustomerName},\n\nIhr Portal: {SelfServicePortalUrl}?language=de\n",
        },
    )
    outbox = Path(os.environ["PORTWAY_OUTBOX_DIR"])
    before = set(outbox.glob("*.eml"))
    sent = api.post(
        f"/v1/contracts/{contract_id}/emails",
        {"kind": "invoice", "document_id": uploaded.json_body["id"], "language": "de"},
    )
    assert sent.status_code == 201, sent.body
    mail = _latest_mail(outbox, before)
    assert mail["To"] == "jana@nordfracht.example"
    assert mail["Subject"] == "Ihre Rechnung 2026-0042"
    link = re.search(r"(http://\S+/self-service\?language=de#token=pws_\S+)", mail.get_content())
    assert link is not None, mail.get_content()

    # -- the customer opens it ------------------------------------------------------------
    page.goto(link.group(1).replace(BASE, local_server))
    page.wait_for_selector("#sections:not([hidden])")
    assert page.locator("h1").inner_text() == "Ihr Vertrag"
    assert "#token" not in page.url  # the secret left the address bar
    assert "Fleet Pro · Monthly" in page.locator('[data-section="contract"]').inner_text()
    assert "DE89 **** **** 3000" in page.locator('[data-section="payment"]').inner_text()
    screenshot(page, "self-service-de")

    page.locator("#edit-customer").click()
    page.locator("#c-phone").fill("+49 40 987654")
    page.locator("#customer-form button[type=submit]").click()
    page.wait_for_selector("text=Ihre Daten sind gespeichert.")
    customer = api.get(f"/v1/customers/{contract['customer_id']}").json_body
    assert customer["name"] == "Nordfracht GmbH"
    view = api.as_key(link.group(1).split("#token=")[1]).get("/v1/self-service/contract")
    assert view.json_body["customer"]["phone"] == "+49 40 987654"

    with page.expect_download() as download_info:
        page.locator(f'[data-document="{uploaded.json_body["id"]}"]').click()
    download = download_info.value
    assert download.suggested_filename == "invoice-2026-0042.pdf"
    assert Path(download.path()).read_bytes() == invoice

    page.locator("#cancel").click()
    page.locator("#cancel-confirm").click()
    page.wait_for_selector("text=Ihr Vertrag ist gekündigt.")
    screenshot(page, "self-service-cancelled-de")
    cancelled = api.get(f"/v1/contracts/{contract_id}").json_body
    assert cancelled["status"] == "cancelled"
    assert cancelled["end_at"] is not None
    assert page.locator("#cancel").count() == 0  # nothing left to cancel


def test_an_expired_link_says_so(api, tenant, local_server, browser_page):
    shop = make_shop(api)
    customer = api.post("/v1/customers", {"name": "Late GmbH"}).json_body["id"]
    contract_id = api.post(
        "/v1/contracts",
        {
            "customer_id": customer,
            "plan_variant_id": shop.variant["id"],
            "components": [{"component_id": shop.seats["id"], "quantity": 1}],
        },
    ).json_body["id"]
    issued = utcnow() - timedelta(minutes=5)
    _, url, _ = contracts.issue_link(
        Tenant.get(tenant.id),
        Contract.get(tenant.id, contract_id),
        1,
        issued,
        language="de",
    )
    page = browser_page
    page.goto(url.replace(BASE, local_server))
    message = page.locator("#message .error")
    message.wait_for()
    assert "Dieser Link ist abgelaufen" in message.inner_text()
    assert page.locator("#sections").is_hidden()
    screenshot(page, "self-service-link-expired-de")
