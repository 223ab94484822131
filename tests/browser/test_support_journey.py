"""The support journey in a real Chromium, on a phone: the provider sets up a customer's
integration (over the API), a customer's person files a ticket of a type that needs
approval, the company's approver approves it, an agent replies internally and publicly, and
the person sees only the public reply (and gets it by e-mail); the plan board shows the
planned visit. In German at 390 px and in Danish at 320 px; axe-core finds no serious
violation. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json

import pytest

from tests.browser.test_console import AXE
from tests.conftest import screenshot
from tests.mail import Outbox, text_of
from tests.samples import portal_session

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


@pytest.fixture
def desk(api):
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH", "language": "de"}).json_body
    portal = api.put(
        f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment", "support"]}
    ).json_body
    area = api.post(
        "/v1/ticket-areas", {"name": "Service", "names": {"de": "Kundendienst", "da": "Service"}}
    ).json_body["id"]
    order = api.post(
        "/v1/ticket-types",
        {"name": "Spare parts", "names": {"de": "Ersatzteile", "da": "Reservedele"}},
    ).json_body["id"]
    anna = portal_session(api, customer["id"], "anna@hafenbau.example")
    ben = portal_session(api, customer["id"], "ben@hafenbau.example")
    put = api.put(
        f"/v1/customers/{customer['id']}/support",
        {
            "active": True,
            "areas": [area],
            "ticket_types": [{"type_id": order, "requires_approval": True}],
            "visibility": "customer",
            "approvers": [ben["user"]["id"]],
        },
    )
    assert put.status_code == 200, put.body
    board = api.post(
        "/v1/plan-boards", {"name": "Einsätze", "customer_ids": [customer["id"]]}
    ).json_body
    return {
        "customer": customer,
        "portal": portal,
        "anna": anna,
        "ben": ben,
        "board": board,
    }


def _open(browser, server, tenant, desk, who: str, language: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    session = desk[who]
    url = (
        f"{server}/p/{tenant.slug}/portal?portal={desk['portal']['id']}&language={language}"
        f"#session={session['access_token']}&refresh={session['refresh_token']}"
    )
    page.goto(url)
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector("#tickets form, #tickets table")
    return context, page, errors


def test_a_customer_files_an_approval_ticket_and_sees_only_the_public_reply(
    api, tenant, local_server, browser, desk
):
    # Anna files a ticket on her phone, in German.
    context, anna, errors = _open(browser, local_server, tenant, desk, "anna", "de", 390)
    assert "Ersatzteile (braucht Freigabe)" in anna.inner_text("#ticket-type")
    anna.click("#ticket-form button[type=submit]")  # no title: the field is marked
    anna.wait_for_selector("#ticket-result [role=alert]")
    assert anna.get_attribute("#ticket-title", "aria-invalid") == "true"
    assert "markierten Felder" in anna.inner_text("#ticket-result")
    anna.fill("#ticket-title", "Zwei Hydraulikfilter")
    anna.fill("#ticket-description", "Für den Bagger 320, bitte bis Freitag.")
    anna.click("#ticket-form button[type=submit]")
    anna.wait_for_selector("#tickets [role=status]")
    assert "wurde gesendet" in anna.inner_text("#tickets [role=status]")
    assert "Wartet auf Freigabe" in anna.inner_text("#tickets table")
    screenshot(anna, "support-1-filed-de-390")
    _axe(anna, "ticket list (de, 390 px)")
    (ticket,) = api.get(f"/v1/tickets?customer_id={desk['customer']['id']}").json_body["items"]
    assert ticket["status"] == "awaiting_approval"

    # Ben, the approver, approves it in Danish on a small phone.
    ben_context, ben, ben_errors = _open(browser, local_server, tenant, desk, "ben", "da", 320)
    ben.click(f"a[data-ticket='{ticket['id']}']")
    ben.wait_for_selector("#ticket-approve")
    assert "venter på din godkendelse" in ben.inner_text("#tickets")
    screenshot(ben, "support-2-approval-da-320")
    _axe(ben, "ticket awaiting approval (da, 320 px)")
    ben.click("#ticket-approve")
    ben.wait_for_selector("#tickets h3")
    ben.wait_for_function("!document.querySelector('#ticket-approve')")
    assert "Åben" in ben.inner_text("#tickets")
    assert ben.evaluate("document.documentElement.scrollWidth") <= 320
    ben_context.close()
    assert api.get(f"/v1/tickets/{ticket['id']}").json_body["status"] == "open"

    # An agent writes an internal note and a public reply, and plans the visit.
    mails = Outbox()
    internal = api.post(f"/v1/tickets/{ticket['id']}/positions", {"text": "Kunde zahlt spät"})
    assert internal.json_body["internal"] is True
    public = api.post(
        f"/v1/tickets/{ticket['id']}/positions",
        {"text": "Die Filter kommen am Donnerstag.", "internal": False},
    )
    assert public.status_code == 201
    api.patch(
        f"/v1/tickets/{ticket['id']}",
        {"planned_start": "2026-12-10T08:00:00Z", "planned_end": "2026-12-10T10:00:00Z"},
    )

    # Anna sees the public reply only, and the planned visit.
    anna.reload()
    anna.wait_for_selector(f"a[data-ticket='{ticket['id']}']")
    anna.click(f"a[data-ticket='{ticket['id']}']")
    anna.wait_for_selector("#reply-form")
    shown = anna.inner_text("#tickets")
    assert "Die Filter kommen am Donnerstag." in shown
    assert "zahlt spät" not in anna.content()
    anna.fill("#ticket-reply", "Danke!")
    anna.click("#reply-form button[type=submit]")
    anna.wait_for_function("document.querySelector('#tickets').innerText.includes('Danke!')")
    anna.wait_for_selector("#plan-boards table")
    assert "Zwei Hydraulikfilter" in anna.inner_text("#plan-boards")
    screenshot(anna, "support-3-reply-and-plan-de-390")
    _axe(anna, "ticket with replies (de, 390 px)")
    assert anna.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    assert ben_errors == []
    context.close()

    # The e-mail about the reply holds the public text only (the stream runs beside).
    anna_mails = _wait_for_mail(mails, "anna@hafenbau.example")
    assert any("Die Filter kommen am Donnerstag." in text_of(m) for m in anna_mails)
    assert not any("zahlt spät" in text_of(m) for m in anna_mails)


def _wait_for_mail(mails: Outbox, address: str) -> list:
    import time

    for _ in range(100):
        found = mails.to(address)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address}")
