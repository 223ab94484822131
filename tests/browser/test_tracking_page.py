"""The tracking page in a real Chromium: a shipper switches from its own devices to the
devices a carrier shares with it (after a reminder that every look is recorded, which Esc and
Cancel leave the same way), attaches a shipment number, and downloads the protocol, which a
real reader opens. When the carrier revokes, the page says the share has ended; when the
session ends, it says so in the page's language. Screenshots go to test-artifacts/."""

from __future__ import annotations

import gettext
import io
import urllib.request
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chalicelib.pages.environment import TRANSLATIONS
from chalicelib.services.pages.pages import MAX_PAGE_BYTES, weight
from tests.browser.test_console import AXE
from tests.conftest import screenshot
from tests.services.shares.conftest import Carrier, make_carrier, report, share

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

BASE = "http://localhost:8000"


@pytest.fixture
def carrier(api, other_api, other_tenant) -> Carrier:
    return make_carrier(api, other_api, other_tenant)


def test_a_shipper_tracks_shared_devices_and_downloads_the_protocol(carrier, local_server, browser):
    granted = share(carrier, carrier.devices[:2], contact_email="dispo@shipper.example")
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    session = carrier.partner.post("/v1/tracking/sessions", {"language": "de"})
    assert session.status_code == 201, session.body

    context = browser.new_context(viewport={"width": 1000, "height": 800}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(session.json_body["url"].replace(BASE, local_server))
        page.wait_for_selector("#devices tr[data-asset]")
        assert "#session" not in page.url  # the key left the address bar
        assert page.locator("h1").inner_text() == "Tracking"
        assert page.locator("#devices").inner_text().count("Eigener Sprinter") == 1
        screenshot(page, "tracking-own-devices-de")

        page.select_option("#view", "received")
        page.wait_for_selector("#logged[open]")
        assert "protokoll" in page.locator("#logged").inner_text().lower()
        screenshot(page, "tracking-reads-are-logged-de")
        _dialog_is_labelled(page, "#logged")
        # Esc and Cancel leave the same page: the own devices, the picker saying so, focus on it.
        page.keyboard.press("Escape")
        _reminder_declined(page)
        page.select_option("#view", "received")
        page.wait_for_selector("#logged[open]")
        page.locator("#logged-close").click()
        _reminder_declined(page)
        page.select_option("#view", "received")
        page.wait_for_selector("#logged[open]")
        page.locator("#logged-hide").check()  # the reminder is not shown again
        page.locator("#logged-ok").click()
        page.wait_for_selector(f'#devices tr[data-asset="{carrier.devices[0]["id"]}"]')
        assert page.locator("#devices tr[data-asset]").count() == 2
        assert "53,5500° N, 9,9900° O" in page.locator("#devices").inner_text()

        # The shipment dialog: Esc and Cancel close it alike, focus back on its button.
        opener = f'[data-shipment="{carrier.devices[0]["id"]}"]'
        for close in ("Escape", "#shipment-cancel"):
            page.locator(opener).click()
            page.wait_for_selector("#shipment-dialog[open]")
            _dialog_is_labelled(page, "#shipment-dialog")
            if close == "Escape":
                page.keyboard.press("Escape")
            else:
                page.locator(close).click()
            page.wait_for_selector("#shipment-dialog:not([open])", state="attached")
            page.wait_for_function(f"() => document.activeElement.matches('{opener}')")

        page.locator(opener).click()
        page.locator("#shipment-number").fill('=HYPERLINK("http://x")')
        page.locator("#shipment-save").click()
        page.wait_for_selector("text=Sendungsnummer gespeichert.")
        row = page.locator(f'#devices tr[data-asset="{carrier.devices[0]["id"]}"] .shipment')
        assert row.inner_text() == '=HYPERLINK("http://x")'
        screenshot(page, "tracking-shared-devices-de")
        for width in (768, 1280, 1000):
            _fits(page, width)

        with page.expect_download() as download_info:
            page.locator("#protocol").click()
        download = download_info.value
        assert download.suggested_filename.startswith("access-log-Tour-Hamburg-K")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert {r[9] for r in rows} == {"page"}  # every look came through the page
        numbers = [sheet.cell(row=i, column=8) for i in range(2, sheet.max_row + 1)]
        assert any(c.value == '=HYPERLINK("http://x")' and c.data_type == "s" for c in numbers)

        log = carrier.api.get(f"/v1/shares/{granted['id']}/access-log").json_body["items"]
        # the switch to the share, the shipment number, the list shown again
        assert [(e["kind"], e["channel"]) for e in log] == [
            ("read", "page"),
            ("shipment_number", "page"),
            ("read", "page"),
        ]

        assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
        page.select_option("#view", "own")
        page.wait_for_selector("#share-picker[hidden]", state="attached")
        page.select_option("#view", "received")
        page.wait_for_selector("text=Kein Partner hat Geräte für Sie freigegeben.")
        screenshot(page, "tracking-share-revoked-de")
    finally:
        context.close()


def test_own_devices_show_their_position_time_and_status(carrier, local_server, browser):
    """The own devices' row reads the asset's `last_event` (the API's field) as the shared
    devices' row reads `last_position`: position, time and status all show."""
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    assert own.status_code == 201, own.body
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    silent = carrier.partner.post("/v1/assets", {"name": "Stiller Anhänger", "kind": "trailer"})
    assert silent.status_code == 201, silent.body
    last = carrier.partner.get(f"/v1/assets/{own.json_body['id']}").json_body["last_event"]
    session = carrier.partner.post("/v1/tracking/sessions", {"language": "de"})
    assert session.status_code == 201, session.body

    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(session.json_body["url"].replace(BASE, local_server))
        row = page.locator(f'#devices tr[data-asset="{own.json_body["id"]}"]')
        row.wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "Eigener Sprinter"
        assert cells[1] == "50,9400° N, 6,9600° O"
        shown = page.evaluate(
            "iso => new Intl.DateTimeFormat('de-DE', {dateStyle: 'medium', timeStyle: 'short'})"
            ".format(new Date(iso))",
            last["time"],
        )
        assert cells[2] == shown
        assert cells[2]
        assert cells[3] == _said("de", "Moving")  # the status translated, not `moving`
        # A device that never reported shows a row of dashes, not "undefined" or an error.
        quiet = page.locator(f'#devices tr[data-asset="{silent.json_body["id"]}"] td')
        assert quiet.all_inner_texts() == ["Stiller Anhänger", DASH, DASH, DASH]
        screenshot(page, "tracking-own-devices-with-position-de")
    finally:
        context.close()


# -- the error paths in German and Danish ---------------------------------------------------

# What only the API's English or validation syntax would put on the page.
DASH = "\u2013"  # what the page shows for a value it does not have
SYNTAX = ("Expected", "regex", "must be", "required", "not a valid", "`", "^", "\\", "[")


def _said(language: str, msgid: str) -> str:
    """A sentence as the page's catalogue says it (English until it is translated)."""
    catalogue = gettext.translation(
        "messages", localedir=TRANSLATIONS, languages=[language], fallback=True
    )
    return catalogue.gettext(msgid)


def _english_of(answer: Any) -> list[str]:
    """The English texts of a problem answer: its title, detail and field messages."""
    body = answer.json_body
    return [body["title"], body["detail"]] + [e["message"] for e in body.get("errors", [])]


def _nothing_english(page: Any, english: list[str]) -> None:
    shown = page.inner_text("body")
    for token in SYNTAX:
        assert token not in shown, (token, shown)
    for sentence in english:
        assert sentence not in shown, (sentence, shown)


def _dialog_is_labelled(page: Any, dialog: str) -> None:
    label = page.locator(dialog).get_attribute("aria-labelledby")
    assert label
    assert page.locator(f"#{label}").inner_text().strip()


def _reminder_declined(page: Any) -> None:
    page.wait_for_selector("#logged:not([open])", state="attached")
    page.wait_for_function("() => document.activeElement.id === 'view'")
    assert page.locator("#view").input_value() == "own"
    assert page.locator("#share-picker").is_hidden()
    assert page.locator("#protocol").is_hidden()
    assert page.locator("#devices tr[data-asset]").count() == 1  # the own device, still


def _axe(page: Any, state: str) -> None:
    """axe-core finds nothing on the default theme."""
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert found == [], state


def _watch_busy(page: Any, button: str) -> None:
    """Record whether `button` was ever disabled and busy (read by _was_busy)."""
    page.evaluate(
        """selector => {
            const button = document.querySelector(selector);
            button.dataset.wasBusy = "";
            new MutationObserver(() => {
                if (button.disabled && button.getAttribute("aria-busy") === "true") {
                    button.dataset.wasBusy = "yes";
                }
            }).observe(button, {attributeFilter: ["aria-busy", "disabled"]});
        }""",
        button,
    )


def _was_busy(page: Any, button: str) -> bool:
    return page.locator(button).get_attribute("data-was-busy") == "yes"


def _fits(page: Any, width: int) -> None:
    """No page-level horizontal scroll, nothing wider than its card, dialogs inside."""
    page.set_viewport_size({"width": width, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.card .content, .bar, dialog[open]')]
            .filter(n => n.scrollWidth > n.clientWidth + 1
                      || n.getBoundingClientRect().right > window.innerWidth)
            .map(n => n.id || n.className)"""
    )
    assert overflowing == []


@pytest.mark.parametrize(("language", "width"), [("de", 390), ("da", 320)])
def test_the_error_paths_speak_the_pages_language(carrier, local_server, browser, language, width):
    granted = share(carrier, carrier.devices[:2])
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    started = carrier.partner.post("/v1/tracking/sessions", {"language": language})
    assert started.status_code == 201, started.body
    url = started.json_body["url"].replace(BASE, local_server)
    for code in ("en", "de", "da"):
        with urllib.request.urlopen(url.split("?")[0] + f"?language={code}") as answer:
            assert weight(answer.read().decode()) <= MAX_PAGE_BYTES, code

    # The same mistakes straight against the API: their English must not reach the page.
    session = carrier.partner.as_key(url.split("#session=")[1])
    device = carrier.devices[0]["id"]
    number_path = f"/v1/received-shares/{granted['id']}/assets/{device}/shipment-number"
    empty = session.put(number_path, {"shipment_number": ""})
    tabbed = session.put(number_path, {"shipment_number": "A\tB"})
    assert [e["code"] for e in empty.json_body["errors"]] == ["required"]
    assert [e["code"] for e in tabbed.json_body["errors"]] == ["format"]
    english = _english_of(empty) + _english_of(tabbed)

    # axe-core is put in by the test (the page's CSP rightly refuses any other script).
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        page.wait_for_selector("#devices tr[data-asset]")
        _fits(page, width)
        _axe(page, "own devices")
        page.select_option("#view", "received")
        page.wait_for_selector("#logged[open]")
        _fits(page, width)
        _axe(page, "reminder")
        page.locator("#logged-ok").click()
        opener = f'[data-shipment="{device}"]'
        page.locator(opener).wait_for()
        _fits(page, width)
        _axe(page, "shared devices")
        screenshot(page, f"tracking-shared-devices-{language}-{width}")

        # An empty shipment number, then one with a tab: a sentence by its code at the field.
        page.locator(opener).click()
        page.wait_for_selector("#shipment-dialog[open]")
        field = page.locator("#shipment-number")
        for typed, msgid in (
            ("   ", "Enter a shipment number."),
            ("A\tB", "Use one line of letters, digits and signs, without tabs or line breaks."),
        ):
            field.fill(typed)
            _watch_busy(page, "#shipment-save")
            page.locator("#shipment-save").click()
            note = page.locator("#shipment-number-error")
            note.wait_for()
            page.wait_for_function(
                "t => document.querySelector('#shipment-number-error').textContent === t",
                arg=_said(language, msgid),
            )
            assert field.get_attribute("aria-invalid") == "true"
            assert "shipment-number-error" in field.get_attribute("aria-describedby").split()
            assert "shipment-hint" in field.get_attribute("aria-describedby").split()
            assert page.evaluate("document.activeElement.id") == "shipment-number"
            assert _was_busy(page, "#shipment-save")
            assert page.locator("#shipment-save").is_enabled()
            _nothing_english(page, english)
            _fits(page, width)
        _axe(page, "shipment number error")
        screenshot(page, f"tracking-shipment-number-error-{language}-{width}")
        page.keyboard.press("Escape")  # the errors go with the dialog
        page.wait_for_function(f"() => document.activeElement.matches('{opener}')")
        page.wait_for_selector("#shipment-number[aria-invalid]", state="detached")
        assert page.locator(".field-error").count() == 0

        # The carrier revokes: saving says the share has ended, in the dialog.
        revoked = carrier.api.delete(f"/v1/shares/{granted['id']}")
        assert revoked.status_code == 204
        forbidden = session.put(number_path, {"shipment_number": "X-1"})
        assert forbidden.status_code == 403
        page.locator(opener).click()
        field.fill("X-1")
        page.locator("#shipment-save").click()
        box = page.locator("#shipment-error [role=alert]")
        box.wait_for()
        assert box.inner_text() == _said(language, "This share has ended or was revoked.")
        assert page.evaluate("document.activeElement.id") == "shipment-error"
        _nothing_english(page, english + _english_of(forbidden))
        page.locator("#shipment-cancel").click()
        page.wait_for_function(f"() => document.activeElement.matches('{opener}')")

        # The session ends: the next call says so, and the page shows nothing stale.
        (entry,) = [
            s
            for s in carrier.partner.get("/v1/tracking/sessions").json_body["items"]
            if s["id"] == started.json_body["id"]
        ]
        assert carrier.partner.delete(f"/v1/tracking/sessions/{entry['id']}").status_code == 204
        ended = session.get("/v1/assets")
        assert ended.status_code == 401
        _watch_busy(page, "#protocol")
        page.locator("#protocol").click()
        alert = page.locator("#message [role=alert]")
        alert.wait_for()
        assert _was_busy(page, "#protocol")
        expired = "Your session has ended. Open the tracking page again from your system."
        assert alert.inner_text() == _said(language, expired)
        assert page.locator("#app").is_hidden()
        assert page.evaluate("document.activeElement.id") == "message"
        _nothing_english(page, english + _english_of(ended))
        _fits(page, width)
        _axe(page, "session ended")
        screenshot(page, f"tracking-session-ended-{language}-{width}")

        # Opened again (a reload): the ended session is not kept.
        page.reload()
        page.locator("#message [role=alert]").wait_for()
        assert page.locator("#message").inner_text() == _said(
            language, "Open the tracking page from your own system: it starts a session for you."
        )
    finally:
        context.close()
    assert errors == []
