"""The portal in German and Danish, in a real Chromium: every error a person can run into
(a wrong password, a malformed address, a bad colleague e-mail, a ticket without a title, a
too short new password, a reset link used before) reads in the page's language, next to its
field (aria-invalid, aria-describedby, focus) or in the page's alert, and nothing of the
API's English or of its validation syntax reaches the page. The menu moves between the
sections, the preview banner is a status (not an error), and no card is clipped or scrolls
the page at 320, 390, 768 and 1280 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from tests.browser.test_support_journey import _axe
from tests.conftest import screenshot
from tests.mail import Outbox, links_in, text_of
from tests.samples import portal_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

PASSWORD = "a long and uncommon passphrase"  # the one tests.samples.portal_session sets
NEW_PASSWORD = "Neues langes Passwort am Hafen"
BASE = "http://localhost:8000"
# What must never reach a page: validation syntax and the words of the API's English.
SYNTAX = ("Expected", "regex", "must be", "required", "not a valid", "`", "^", "\\", "[")


@pytest.fixture
def customer(api):
    """A customer with a machine that reported, a portal with support, its administrator."""

    def make(language: str) -> dict:
        customer = api.post("/v1/customers", {"name": "Hafenbau", "language": language}).json_body
        asset = api.post("/v1/assets", {"name": "Bagger 320", "serial_number": "B320-77"})
        api.put(f"/v1/customers/{customer['id']}/assets", {"asset_ids": [asset.json_body["id"]]})
        for hours in (1200.5, 1204.25):
            api.post(
                f"/v1/assets/{asset.json_body['id']}/events",
                {"time": _now(), "lat": 53.55, "lon": 9.99, "operating_hours": hours},
            )
        api.post(
            f"/v1/assets/{asset.json_body['id']}/events",
            {"time": _now(), "lat": 53.55, "lon": 9.99, "status": "running"},
        )
        portal = api.put(
            f"/v1/customers/{customer['id']}/portal",
            {"apps": ["equipment", "activity", "reports", "support"]},
        ).json_body
        area = api.post("/v1/ticket-areas", {"name": "Service"}).json_body["id"]
        kind = api.post("/v1/ticket-types", {"name": "Reparatur"}).json_body["id"]
        support = api.put(
            f"/v1/customers/{customer['id']}/support",
            {"active": True, "areas": [area], "ticket_types": [{"type_id": kind}]},
        )
        assert support.status_code == 200, support.body
        email = f"anna.{language}@hafenbau.example"
        session = portal_session(api, customer["id"], email, name="Anna")
        return {"customer": customer, "portal": portal, "email": email, "session": session}

    return make


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _open(browser, url: str, width: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    return context, page


def _portal_url(server: str, tenant, portal: dict, language: str) -> str:
    return f"{server}/p/{tenant.slug}/portal?portal={portal['id']}&language={language}"


def _sentences(page) -> dict:
    """The page's own sentences and the shared ones, as the page was rendered."""
    config = json.loads(page.inner_text("#pw-config"))
    return {**config["messages"], **config["text"]}


def _clean(page, *english: str) -> None:
    body = page.inner_text("body")
    for bad in SYNTAX + english:
        assert bad not in body, f"{bad!r} on the page: {body}"


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _field_error(page, field: str, sentence: str) -> None:
    page.wait_for_selector(f"p#{field}-error")
    assert page.inner_text(f"#{field}-error") == sentence
    assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
    assert f"{field}-error" in (page.get_attribute(f"#{field}", "aria-describedby") or "")
    assert _focused(page) == field


def _alert(page, box: str, sentence: str) -> None:
    page.wait_for_selector(f"#{box} [role=alert]")
    assert page.inner_text(f"#{box}") == sentence
    assert _focused(page) == box


@pytest.mark.parametrize("language", ["de", "da"])
def test_every_error_of_the_portal_reads_in_the_page_language(
    api, tenant, local_server, browser, customer, language
):
    made = customer(language)
    portal, email = made["portal"], made["email"]
    context, page = _open(browser, _portal_url(local_server, tenant, portal, language))
    said = _sentences(page)
    assert page.locator("#apps").is_hidden()  # the menu shows once someone signed in

    # A malformed address: next to the field, in the page's language.
    page.fill("#email", "anna@hafenbau")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    _field_error(page, "email", said["field.format.email"])
    _clean(page, "matching")
    # A wrong password: the page says what it means here, not the API's English.
    page.fill("#email", email)
    page.fill("#password", "not the password at all")
    page.click("#sign-in-form button[type=submit]")
    _alert(page, "sign-in-error", said["wrong_credentials"])
    assert page.get_attribute("#email", "aria-invalid") is None  # the old error is gone
    _clean(page, "The e-mail address or the password is wrong.", "Missing or invalid")
    screenshot(page, f"portal-errors-1-sign-in-{language}")

    # Signed in, focus is on the app's heading.
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert _focused(page) == "who"

    # A bad colleague e-mail, next to its field.
    page.wait_for_selector("#invite-form")
    page.fill("#invite-email", "ben at hafenbau")
    page.click("#invite-form button[type=submit]")
    _field_error(page, "invite-email", said["field.format.email"])
    _clean(page, "matching", "Invalid input")

    # A ticket without a title: the field is marked, with the reason.
    page.wait_for_selector("#ticket-form")
    page.click("#ticket-form button[type=submit]")
    _field_error(page, "ticket-title", said["field.required"])
    _clean(page, "length", "Invalid input")
    screenshot(page, f"portal-errors-2-app-{language}")

    # A forgotten password: the link in the e-mail opens the form in the customer's language.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    mails = Outbox()
    asked = api.as_key(None).post(
        "/v1/portal/password-resets",
        {"tenant": tenant.slug, "email": email, "portal": portal["id"]},
    )
    assert asked.status_code == 202, asked.body
    (mail,) = mails.to(email)
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]
    link = link.replace(BASE, local_server)
    assert f"language={language}" in link
    page.goto(link)
    page.wait_for_selector("#reset:not([hidden])")
    assert _focused(page) == "new-password"  # focus is in the form that opened
    page.fill("#new-password", "kurz")
    page.click("#reset-form button[type=submit]")
    _field_error(page, "new-password", said["field.too_short"].replace("{limit}", "12"))
    _clean(page, "use at least", "characters")
    screenshot(page, f"portal-errors-3-too-short-{language}")
    page.fill("#new-password", NEW_PASSWORD)
    page.click("#reset-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert _focused(page) == "who"
    assert page.errors == []
    context.close()

    # The same link again (a new tab, later): refused in the page's language, and the way
    # to ask for a new one is there.
    context, again = _open(browser, link)
    again.wait_for_selector("#reset:not([hidden])")
    again.fill("#new-password", "Noch ein langes Passwort")
    again.click("#reset-form button[type=submit]")
    _alert(again, "reset-error", said["reset_invalid"])
    assert again.locator("#forgot").is_visible()
    _clean(again, "This link to set a password is not valid any more", "Missing or invalid")
    screenshot(again, f"portal-errors-4-used-link-{language}")
    assert again.errors == []
    context.close()


def test_the_menu_moves_to_each_section_and_marks_it(api, tenant, local_server, browser, customer):
    made = customer("de")
    session = made["session"]
    url = _portal_url(local_server, tenant, made["portal"], "de")
    context, page = _open(browser, f"{url}#session={session['access_token']}")
    page.wait_for_selector("#app:not([hidden])")
    links = page.locator("#apps a")
    assert links.all_text_contents() == ["Ausrüstung", "Aktivität", "Berichte", "Support"]
    for index in range(links.count()):
        link = links.nth(index)
        section = (link.get_attribute("href") or "").lstrip("#")
        link.click()
        assert link.get_attribute("aria-current") == "true"
        assert page.locator("#apps a[aria-current]").count() == 1
        heading = f"document.querySelector('[data-section={section}] h2')"
        assert page.evaluate(f"document.activeElement === {heading}"), section
        assert page.evaluate(f"{heading}.getBoundingClientRect().top") < 800  # in view
        assert page.evaluate("location.hash") == ""  # the address stays as it was
    assert page.errors == []
    context.close()


def _clipped(page) -> list[str]:
    """Cards (and their content) wider than they show, and tables wider than their scroll
    container may show at this width."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.card, .card .content, .bar, .menu'))
             .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
             .map(e => (e.id || e.getAttribute('data-section') || e.className)
                  + ' ' + e.scrollWidth + '>' + e.clientWidth)"""
    )


@pytest.mark.parametrize("width", [320, 390, 768, 1280])
def test_no_card_is_clipped_and_the_page_never_scrolls_sideways(
    api, tenant, local_server, browser, customer, width
):
    made = customer("da")
    session = made["session"]
    url = _portal_url(local_server, tenant, made["portal"], "da")
    context, page = _open(
        browser,
        f"{url}#session={session['access_token']}&refresh={session['refresh_token']}",
        width,
    )
    page.wait_for_selector("[data-section=equipment] table")
    page.wait_for_selector("#ticket-form")
    page.click("[data-section=equipment] a[data-asset]")
    page.wait_for_selector("[data-section=activity] table")
    activity = page.inner_text("[data-section=activity]")
    assert "1.204,3" in activity  # Danish numbers
    assert "53,5500° N, 9,9900° Ø" in activity  # and Danish coordinates
    assert "running" not in activity  # a telemetry status is translated
    assert page.evaluate("document.activeElement.tagName") == "H3"  # the machine's activity
    assert _clipped(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width >= 1280:  # wide enough: the activity shows whole, without scrolling
        scroll = page.locator("[data-section=activity] .scroll")
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth")
    if width in (390, 1280):
        _axe(page, f"portal signed in (da, {width} px)")
    screenshot(page, f"portal-layout-da-{width}")
    assert page.errors == []
    context.close()


def test_the_preview_banner_is_a_status_not_an_error(api, tenant, local_server, browser, customer):
    made = customer("en")
    preview = api.post(f"/v1/customers/{made['customer']['id']}/portal/preview").json_body
    context, page = _open(browser, preview["url"].replace(BASE, local_server))
    page.wait_for_selector("#preview-note:not([hidden])")
    assert page.get_attribute("#preview-note", "role") == "status"
    colour = page.eval_on_selector("#preview-note", "e => getComputedStyle(e).color")
    background = page.eval_on_selector("#preview-note", "e => getComputedStyle(e).backgroundColor")
    error_red = "rgb(179, 38, 30)"  # the colour of errors (and of the default notification)
    assert error_red not in (colour, background)
    assert page.locator("#invite-form").count() == 0  # a preview changes nothing
    screenshot(page, "portal-preview-en")
    assert re.search(r"#session=", page.url) is None
    assert page.errors == []
    context.close()
