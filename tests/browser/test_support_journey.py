"""The support journey in a real Chromium, end to end: the provider sets up a customer's
integration in the console (an area, a ticket type with the approval checkbox, an approver,
visibility), a customer's person files a ticket of that type on a phone in German, the
company's approver approves it on a small phone in Danish, an agent answers in the console
with an internal note and a public reply and plans the visit, and the person sees only the
public reply (and gets it by e-mail), attaches a photo, and finds the visit on the plan
board. axe-core finds no serious violation; screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_console import AXE, _invite_link, _join_in_browser
from tests.conftest import screenshot
from tests.mail import Outbox, text_of
from tests.samples import portal_session, tiny_png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]


def _axe(page, name: str) -> None:
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {json.dumps(bad, indent=1)}"


def _context(browser, width: int, errors: list[str]):
    # axe-core is put in by the test (the pages' CSP rightly refuses any other script).
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page


def _portal(browser, server, tenant, portal, session, language, width, errors):
    context, page = _context(browser, width, errors)
    page.goto(
        f"{server}/p/{tenant.slug}/portal?portal={portal}&language={language}"
        f"#session={session['access_token']}&refresh={session['refresh_token']}"
    )
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector("#tickets form, #tickets table, #tickets p")
    return context, page


def _configure_in_the_console(console, api, customer: str) -> dict:
    console.goto(console.url.split("#")[0] + f"#/customers/{customer}")
    console.get_by_role("heading", name="Support").wait_for()
    # Active without an area: refused, and the area tab says why.
    console.get_by_label("Support for this customer is active").check()
    console.get_by_role("tab", name="Areas").click()
    console.get_by_text("an active integration needs at least one area").wait_for()
    console.get_by_label("New area").fill("Kundendienst")
    console.locator("#support-panel button", has_text="Create").click()
    console.get_by_role("checkbox", name="Kundendienst").check()
    console.get_by_role("tab", name="Ticket types").click()
    console.get_by_label("New ticket type").fill("Ersatzteile")
    console.locator("#support-panel button", has_text="Create").click()
    console.get_by_role("checkbox", name="Allowed: Ersatzteile").check()
    console.wait_for_function("() => !document.querySelector('[id^=approval-]').disabled")
    console.get_by_role("checkbox", name="Needs approval: Ersatzteile").check()
    console.get_by_role("tab", name="Tags").click()
    console.get_by_label("Tag name").fill("Hydraulik")
    console.locator("#support-panel form button", has_text="Create").click()
    console.locator("#support-panel li", has_text="Hydraulik").wait_for()
    console.get_by_label("Tag name").fill("Eskaliert")
    console.get_by_label("Internal users only").check()
    console.locator("#support-panel form button", has_text="Create").click()
    console.locator("#support-panel li", has_text="Eskaliert").wait_for()
    console.get_by_role("tab", name="Customer accesses").click()
    console.get_by_label("Who sees which tickets").select_option("customer")
    console.get_by_role("checkbox", name="Approver: Ben").check()
    console.get_by_role("tab", name="Plan boards").click()
    console.get_by_label("New plan board").fill("Einsätze")
    console.locator("#support-panel button", has_text="Create").click()
    console.get_by_role("checkbox", name="Einsätze").wait_for()
    expect(console.get_by_role("checkbox", name="Einsätze")).to_be_checked()
    console.get_by_label("Support for this customer is active").check()
    expect(console.get_by_label("Support for this customer is active")).to_be_checked()
    console.get_by_text("Saved").wait_for()
    _axe(console, "console: customer support")
    screenshot(console, "support-0-console-setup")
    for _ in range(50):  # the last change is sent after the ones before it
        support = api.get(f"/v1/customers/{customer}/support").json_body
        if support["active"]:
            return support
        time.sleep(0.1)
    raise AssertionError(support)


def test_from_setup_in_the_console_to_a_public_reply_on_the_customers_phone(
    api, tenant, local_server, browser, person
):
    errors: list[str] = []
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH", "language": "de"}).json_body
    portal = api.put(
        f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment", "support"]}
    ).json_body["id"]
    anna = portal_session(api, customer["id"], "anna@hafenbau.example", name="Anna")
    ben = portal_session(api, customer["id"], "ben@hafenbau.example", name="Ben")

    # The provider's admin sets the integration up in the console.
    console = person
    _join_in_browser(console, _invite_link(api, "ann@provider.example", "admin", local_server))
    support = _configure_in_the_console(console, api, customer["id"])
    assert support["visibility"] == "customer"
    assert support["approvers"] == [ben["user"]["id"]]
    assert [t["requires_approval"] for t in support["ticket_types"]] == [True]

    # Anna files a ticket on her phone, in German.
    anna_context, anna_page = _portal(
        browser, local_server, tenant, portal, anna, "de", 390, errors
    )
    assert "Ersatzteile (braucht Freigabe)" in anna_page.inner_text("#ticket-type")
    # Of the customer's tags she is offered the one that is not internal-only.
    assert "Hydraulik" in anna_page.inner_text("#ticket-tags")
    assert "Eskaliert" not in anna_page.content()
    anna_page.get_by_label("Hydraulik").check()
    anna_page.click("#ticket-form button[type=submit]")  # no title: the field is marked
    anna_page.wait_for_selector("p#ticket-title-error")
    assert anna_page.get_attribute("#ticket-title", "aria-invalid") == "true"
    assert anna_page.get_attribute("#ticket-title", "aria-describedby") == "ticket-title-error"
    assert anna_page.evaluate("document.activeElement.id") == "ticket-title"
    assert "Bitte füllen Sie dieses Feld aus." in anna_page.inner_text("#ticket-title-error")
    anna_page.fill("#ticket-title", "Zwei Hydraulikfilter")
    anna_page.fill("#ticket-description", "Für den Bagger 320, bitte bis Freitag.")
    anna_page.click("#ticket-form button[type=submit]")
    anna_page.wait_for_selector("#tickets [role=status]")
    assert "wurde gesendet" in anna_page.inner_text("#tickets [role=status]")
    assert "Wartet auf Freigabe" in anna_page.inner_text("#tickets table")
    screenshot(anna_page, "support-1-filed-de-390")
    _axe(anna_page, "portal: ticket list (de, 390 px)")
    (ticket,) = api.get(f"/v1/tickets?customer_id={customer['id']}").json_body["items"]
    assert ticket["status"] == "awaiting_approval"
    assert len(ticket["tag_ids"]) == 1

    # Ben, the approver, approves it in Danish on a small phone.
    ben_context, ben_page = _portal(browser, local_server, tenant, portal, ben, "da", 320, errors)
    ben_page.click(f"a[data-ticket='{ticket['id']}']")
    ben_page.wait_for_selector("#ticket-approve")
    assert "venter på din godkendelse" in ben_page.inner_text("#tickets")
    screenshot(ben_page, "support-2-approval-da-320")
    _axe(ben_page, "portal: ticket awaiting approval (da, 320 px)")
    ben_page.click("#ticket-approve")
    ben_page.wait_for_function("() => !document.querySelector('#ticket-approve')")
    assert "Åben" in ben_page.inner_text("#tickets")
    assert ben_page.evaluate("document.documentElement.scrollWidth") <= 320
    ben_context.close()
    assert api.get(f"/v1/tickets/{ticket['id']}").json_body["status"] == "open"

    # An agent answers in the console: an internal note, a public reply, the planned visit.
    mails = Outbox()
    console.get_by_role("link", name="Tickets").first.click()
    console.get_by_role("link", name="Zwei Hydraulikfilter").click()
    console.locator("#move-in_progress").wait_for()
    console.locator("#reply-text").fill("Kunde zahlt spät")
    console.locator("#reply-send").click()
    console.get_by_text("The internal note is saved. The customer does not see it.").wait_for()
    console.locator("#reply-public").check()
    console.locator("#reply-text").fill("Die Filter kommen am Donnerstag.")
    console.get_by_role("button", name="Send the reply to the customer").click()
    console.get_by_text("The reply is sent to the customer.").wait_for()
    expect(console.locator(".position--internal")).to_have_count(1)
    expect(console.locator(".position:not(.position--internal)")).to_have_count(1)
    console.locator("#planned-start").fill("2026-12-10T08:00")
    console.locator("#planned-end").fill("2026-12-10T10:00")
    console.locator("#planned-save").click()
    console.get_by_text("Saved").wait_for()
    _axe(console, "console: ticket")
    screenshot(console, "support-3-console-ticket")
    assert api.get(f"/v1/tickets/{ticket['id']}").json_body["planned_start"] is not None

    # Anna sees the public reply only, attaches a photo, and finds the planned visit.
    anna_page.reload()
    anna_page.wait_for_selector(f"a[data-ticket='{ticket['id']}']")
    anna_page.click(f"a[data-ticket='{ticket['id']}']")
    anna_page.wait_for_selector("#reply-form")
    assert "Die Filter kommen am Donnerstag." in anna_page.inner_text("#tickets")
    assert "zahlt spät" not in anna_page.content()
    anna_page.set_input_files(
        "#ticket-file",
        files=[{"name": "filter.png", "mimeType": "image/png", "buffer": tiny_png()}],
    )
    anna_page.click("#attach-form button[type=submit]")
    anna_page.wait_for_selector("button[data-attachment]")
    anna_page.fill("#ticket-reply", "Danke!")
    anna_page.click("#reply-form button[type=submit]")
    anna_page.wait_for_function(
        "() => document.querySelector('#tickets').innerText.includes('Danke!')"
    )
    anna_page.wait_for_selector("#plan-boards table")
    assert "Zwei Hydraulikfilter" in anna_page.inner_text("#plan-boards")
    screenshot(anna_page, "support-4-reply-and-plan-de-390")
    _axe(anna_page, "portal: ticket with replies (de, 390 px)")
    assert anna_page.evaluate("document.documentElement.scrollWidth") <= 390
    anna_context.close()
    assert errors == []

    # The e-mail about the reply holds the public text only (the stream runs beside).
    anna_mails = _wait_for_mail(mails, "anna@hafenbau.example")
    assert any("Die Filter kommen am Donnerstag." in text_of(m) for m in anna_mails)
    assert not any("zahlt spät" in text_of(m) for m in anna_mails)


def _wait_for_mail(mails: Outbox, address: str) -> list:
    for _ in range(100):
        found = mails.to(address)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address}")
