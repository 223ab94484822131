"""The signup and invitation pages' error paths in German and Danish, in a real Chromium.

Every wrong entry a person can make (fields left empty, a bad e-mail address, an IBAN with
wrong check digits, a coupon not valid for the plan, a quantity out of range, a password
too short, an invitation link that is invalid or used) is answered next to its field, in the
page's language, with aria-invalid, aria-describedby and focus on the field; no English
sentence of the API and no validation syntax ever reaches the page.
"""

from __future__ import annotations

import gettext
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from chalicelib.pages.environment import TRANSLATIONS
from tests.conftest import screenshot
from tests.services.billing.conftest import make_shop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

BASE = "http://localhost:8000"
PASSWORD = "Hafenkran und Seewind 2026"
LANGUAGES = ("de", "da")
SETTINGS: dict[str, Any] = {
    "fields": {"address": "required", "phone": "optional", "vat_id": "hidden"},
    "signup": {"ask_coupon": True, "ask_payment": True},
    "urls": {"tac": "https://shop.example.com/agb"},
    "terms_lines": [
        {
            "text": {
                "en": "I accept the {tac}.",
                "de": "Ich akzeptiere die {tac}.",
                "da": "Jeg accepterer {tac}.",
            },
            "mandatory": True,
        }
    ],
}
# What must never reach a German or Danish page: validation syntax, and the API's English.
SYNTAX = ("Expected", "regex", "must be", "required", "not a valid", "`", "^", "\\", "[")
API_ENGLISH = (
    "Invalid input",
    "field(s) are invalid",
    "not a valid coupon",
    "not a valid IBAN",
    "must be from",
    "use at least",
    "confirm this line",
    "accept the portal's terms",
    "invitation link is not valid",
    "was used already",
    "sign in instead",
    "account with this e-mail in this portal already",
    "Missing or invalid credentials",
    "Conflict",
)


def _(language: str, msgid: str, **values: object) -> str:
    """The sentence as the page in `language` says it (the pages' own catalogue)."""
    catalogue = gettext.translation("messages", localedir=TRANSLATIONS, languages=[language])
    text = catalogue.gettext(msgid)
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _shared(language: str, msgid: str, **values: object) -> str:
    """A shared sentence (problem types, field codes): translated already."""
    text = _(language, msgid, **values)
    assert text != msgid.format(**values), f"{msgid!r} has no {language} translation"
    return text


def _clean(page) -> None:
    shown = page.inner_text("body")
    for word in (*SYNTAX, *API_ENGLISH):
        assert word not in shown, (word, shown)


def _error_of(page, selector: str) -> str:
    """The error next to the field: aria-invalid set and the note named by
    aria-describedby."""
    field = page.locator(selector)
    assert field.get_attribute("aria-invalid") == "true", selector
    described = field.get_attribute("aria-describedby") or ""
    notes = [page.locator(f"#{i}").inner_text() for i in described.split() if i.endswith("-error")]
    assert len(notes) == 1, (selector, described)
    return notes[0]


def _focused(page) -> str:
    return page.evaluate("document.activeElement && ('#' + document.activeElement.id)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_signup_errors_in_the_pages_language(api, tenant, local_server, phone, language):
    shop = make_shop(api, SETTINGS)
    page = phone
    page.goto(f"{local_server}/p/{tenant.slug}/signup/{shop.variant['id']}?language={language}")
    seats = f"#c-{shop.seats['id']}"
    assert page.locator(seats).get_attribute("min") == "1"
    assert page.locator(seats).get_attribute("max") == "50"
    assert page.locator("#f-country").evaluate("node => node.tagName") == "SELECT"
    denmark = page.locator("#f-country option[value=DK]").inner_text()
    assert denmark == {"de": "Dänemark", "da": "Danmark"}[language]

    # Nothing filled in: the required fields, first one focused.
    page.click("#order")
    required = _shared(language, "Please fill in this field.")
    for field in ("#f-first_name", "#f-last_name", "#f-email", "#f-street", "#f-country"):
        assert _error_of(page, field) == required, field
    assert _error_of(page, "#t-0") == _shared(language, "Please accept the terms to continue.")
    assert _focused(page) == "#f-first_name"
    _clean(page)
    screenshot(page, f"signup-errors-required-{language}")

    # Everything filled in, with a bad address, a seat count out of range and a bad IBAN.
    page.fill("#f-first_name", "Jana")
    page.fill("#f-last_name", "Berg")
    page.fill("#f-email", "jana@nordfracht")
    page.fill("#f-street", "Kai 1")
    page.fill("#f-postal_code", "20457")
    page.fill("#f-city", "Hamburg")
    page.select_option("#f-country", "DE")
    page.fill(seats, "99")
    page.check("#pay-sepa")
    page.fill("#f-iban", "DE00 3704 0044 0532 0130 00")
    page.fill("#f-account_holder", "Jana Berg")
    page.check("#t-0")
    page.click("#order")
    # Told by the page itself, before anything is sent.
    assert _error_of(page, seats) == _shared(
        language, "Enter a number from {low} to {high}.", low=1, high=50
    )
    assert _error_of(page, "#f-iban") == _shared(
        language, "This IBAN is not valid: please check it digit by digit."
    )
    assert _focused(page) == seats
    assert page.locator("#f-first_name").get_attribute("aria-invalid") is None
    _clean(page)

    # The server's answers: the e-mail address first (the format of the customer's data).
    page.fill("#f-iban", "DE89 3704 0044 0532 0130 00")
    page.fill(seats, "3")
    page.click("#order")
    page.wait_for_selector("#f-email[aria-invalid=true]")
    assert _error_of(page, "#f-email") == _shared(
        language, "Enter an e-mail address such as name@example.com."
    )
    assert _focused(page) == "#f-email"
    assert page.locator("#order").is_enabled()
    _clean(page)

    # Then the rules of the order: a wrong coupon and (past the page's own check) too many
    # seats, both from the server's codes.
    page.fill("#f-email", "jana@nordfracht.example")
    page.fill("#f-coupon_code", "NOPE")
    page.locator(seats).evaluate("node => { node.max = '1000'; }")
    page.fill(seats, "99")
    page.click("#order")
    page.wait_for_selector("#f-coupon_code[aria-invalid=true]")
    assert _error_of(page, "#f-coupon_code") == _shared(
        language, "This coupon is not valid for this plan."
    )
    assert _error_of(page, seats) == _shared(
        language, "Enter a number from {low} to {high}.", low=1, high=50
    )
    assert _focused(page) == seats or _focused(page) == "#f-coupon_code"
    assert page.locator("#f-email").get_attribute("aria-invalid") is None
    _clean(page)
    screenshot(page, f"signup-errors-server-{language}")
    # Amounts in one format, the page's.
    shown = page.inner_text("main")
    assert "EUR" not in shown
    assert "€" in shown


def _invitation(api, email: str) -> str:
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH", "language": "de"}).json_body
    assert (
        api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]}).status_code
        == 200
    )
    invitation = api.post(
        f"/v1/customers/{customer['id']}/portal/invitations", {"email": email}
    ).json_body
    return invitation["url"]


def _open(page, url: str, server: str, language: str) -> None:
    page.goto(url.replace(BASE, server).replace("/invite?", f"/invite?language={language}&"))
    # The secret left the address bar (a locator's wait: no script evaluated under the CSP).
    expect(page).not_to_have_url(re.compile("#"))


def _fill(page, name: str, email: str, password: str) -> None:
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", password)
    page.check("#terms")


def _invitation_for_anyone(api) -> str:
    customer = api.post("/v1/customers", {"name": "Kranhof A/S", "language": "da"}).json_body
    assert (
        api.put(f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment"]}).status_code
        == 200
    )
    return api.post(f"/v1/customers/{customer['id']}/portal/invitations", {}).json_body["url"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_errors_in_the_pages_language(api, tenant, local_server, phone, language):
    page = phone
    terms = {"tac": "https://hafenbau.example/agb", "dpp": "https://hafenbau.example/datenschutz"}
    assert api.put("/v1/settings/self-service", {"urls": terms}).status_code == 200
    url = _invitation(api, "anna@hafenbau.example")
    _open(page, url, local_server, language)
    submit = "#accept-form button[type=submit]"

    # The link is checked as the page opens: the invited address is filled in (and fixed),
    # "terms of use" links to the provider's terms, the privacy notice is linked too.
    expect(page.locator("#email")).not_to_have_value("")
    assert page.input_value("#email") == "anna@hafenbau.example"
    assert page.locator("#email").get_attribute("readonly") is not None
    assert _focused(page) == "#name"
    label = page.locator("label[for=terms]")
    assert label.locator("a").get_attribute("href") == terms["tac"]
    assert label.locator("a").inner_text() == _(language, "terms of use")
    privacy = page.locator(f"a[href='{terms['dpp']}']")
    assert privacy.inner_text() == _(language, "Privacy notice")

    # Nothing filled in.
    page.click(submit)
    required = _shared(language, "Please fill in this field.")
    for field in ("#name", "#password"):
        assert _error_of(page, field) == required
    assert _error_of(page, "#terms") == _shared(language, "Please accept the terms to continue.")
    assert _focused(page) == "#name"
    _clean(page)

    # A password too short, next to its field.
    page.fill("#name", "Anna")
    page.fill("#password", "kurz")
    page.check("#terms")
    page.click(submit)
    page.wait_for_selector("#password[aria-invalid=true]")
    assert _error_of(page, "#password") == _shared(
        language, "Use at least {limit} characters.", limit=12
    )
    assert page.locator("#name").get_attribute("aria-invalid") is None
    assert _focused(page) == "#password"
    _clean(page)
    screenshot(page, f"invite-errors-password-{language}")

    # The link is used (in another tab) before this one sends: sign in instead.
    token = url.split("#token=")[1]
    accepted = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": token,
            "name": "Anna",
            "email": "anna@hafenbau.example",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )
    assert accepted.status_code == 201, accepted.body
    page.fill("#password", PASSWORD)
    page.click(submit)
    alert = page.locator("#accept-error [role=alert]")
    alert.wait_for()
    sign_in = alert.locator("a")
    assert alert.inner_text().startswith(
        _(language, "This invitation link was used already. Sign in with the account it made.")
    )
    assert sign_in.inner_text() == _shared(language, "Sign in")
    assert f"/p/{tenant.slug}/portal?portal=" in (sign_in.get_attribute("href") or "")
    assert page.evaluate("document.activeElement.textContent") == sign_in.inner_text()
    _clean(page)
    screenshot(page, f"invite-errors-used-{language}")

    # Opened again, the used link says so at once, without a form to fill in.
    _open(page, url, local_server, language)
    alert.wait_for()
    assert alert.inner_text().startswith(
        _(language, "This invitation link was used already. Sign in with the account it made.")
    )
    assert page.locator("#accept-form").is_hidden()
    _clean(page)

    # A link that is not (or no longer) valid: said as the page opens.
    _open(page, url.split("#token=")[0] + "#token=pwi_not-a-real-token", local_server, language)
    alert.wait_for()
    assert alert.inner_text() == _(
        language,
        "This invitation link is no longer valid. Ask the person who invited you for a new one.",
    )
    assert page.locator("#accept-form").is_hidden()
    assert page.evaluate("document.activeElement.id") == "accept-error"
    _clean(page)

    # A link without its token.
    _open(page, url.split("#token=")[0], local_server, language)
    assert page.locator("#accept-error [role=alert]").inner_text() == _(
        language, "This link is incomplete. Open the link from your e-mail again."
    )

    # An invitation for anyone: the address is the person's to type, and checked.
    _open(page, _invitation_for_anyone(api), local_server, language)
    expect(page.locator("#email")).to_be_focused()
    assert page.locator("#email").get_attribute("readonly") is None
    _fill(page, "Ole", "ole@kranhof", PASSWORD)
    page.click(submit)
    page.wait_for_selector("#email[aria-invalid=true]")
    assert _error_of(page, "#email") == _shared(
        language, "Enter an e-mail address such as name@example.com."
    )
    assert _focused(page) == "#email"
    _clean(page)
