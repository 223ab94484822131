"""The portal's profile and its session across tabs, in a real Chromium.

A signed-in person opens the profile from the who-line (by keyboard), changes the name and
the password; every error (an empty name, a wrong current password, a too short new
password) reads in German and Danish next to its field, never in the API's English. A new
password ends the sessions on other devices, while the tabs of this browser go on with the
new session. The session is shared by the tabs of one browser: a new tab is signed in, one
renewal serves every tab, and signing out in one tab signs the others out. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.test_portal_languages import (
    PASSWORD,
    SYNTAX,
    _clean,
    _field_error,
    _focused,
    _portal_url,
    _sentences,
)
from tests.browser.test_support_journey import _axe
from tests.conftest import screenshot
from tests.samples import portal_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

NEW_PASSWORD = "Neues langes Passwort am Hafen"


@pytest.fixture
def made(api):
    """A customer's portal with equipment and its administrator, Anna; makes it in a
    language."""

    def make(language: str) -> dict:
        customer = api.post("/v1/customers", {"name": "Hafenbau", "language": language}).json_body
        asset = api.post("/v1/assets", {"name": "Bagger 320"}).json_body
        api.put(f"/v1/customers/{customer['id']}/assets", {"asset_ids": [asset["id"]]})
        portal = api.put(
            f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment", "activity"]}
        ).json_body
        email = f"anna.{language}@hafenbau.example"
        session = portal_session(api, customer["id"], email, name="Anna")
        return {"customer": customer, "portal": portal, "email": email, "session": session}

    return make


def _context(browser, width: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    context.errors = []
    context.on("weberror", lambda e: context.errors.append(str(e.error)))
    return context


def _signed_in(context, url: str, session: dict):
    page = context.new_page()
    page.goto(f"{url}#session={session['access_token']}&refresh={session['refresh_token']}")
    page.wait_for_selector("#app:not([hidden])")
    return page


def _open_profile(page) -> None:
    """By keyboard: the who-line's profile button, then the profile's heading has focus."""
    page.focus("#profile-open")
    page.keyboard.press("Enter")
    page.wait_for_selector("#profile:not([hidden])")
    assert page.get_attribute("#profile-open", "aria-expanded") == "true"
    assert _focused(page) == "profile-title"


@pytest.mark.parametrize("language", ["de", "da"])
def test_every_error_of_the_profile_reads_in_the_page_language(
    api, tenant, local_server, browser, made, language
):
    anna = made(language)
    context = _context(browser, 390)
    page = _signed_in(
        context, _portal_url(local_server, tenant, anna["portal"], language), anna["session"]
    )
    said = _sentences(page)
    _open_profile(page)
    assert page.input_value("#profile-name") == "Anna"

    # An empty name: "fill in", next to the field.
    page.fill("#profile-name", "")
    page.click("#name-form button[type=submit]")
    _field_error(page, "profile-name", said["field.required"])
    _clean(page, "at least 1", "should have", "Invalid input")

    # A wrong current password: next to that field, in the page's language.
    page.fill("#current-password", "not the password at all")
    page.fill("#profile-password", NEW_PASSWORD)
    page.click("#password-form button[type=submit]")
    _field_error(page, "current-password", said["field.wrong_password"])
    assert page.get_attribute("#profile-password", "aria-invalid") is None
    _clean(page, "is not your password", "This is not your current password.")

    # A too short new password: next to the new one.
    page.fill("#current-password", PASSWORD)
    page.fill("#profile-password", "kurz")
    page.click("#password-form button[type=submit]")
    _field_error(page, "profile-password", said["field.too_short"].replace("{limit}", "12"))
    assert page.get_attribute("#current-password", "aria-invalid") is None
    _clean(page, "Use at least", "characters")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"portal-profile-errors-{language}-390")
    _axe(page, f"portal profile with errors ({language}, 390 px)")

    # Esc closes the profile: focus is back on its button and no password stays.
    page.focus("#current-password")
    page.keyboard.press("Escape")
    assert page.locator("#profile").is_hidden()
    assert page.get_attribute("#profile-open", "aria-expanded") == "false"
    assert _focused(page) == "profile-open"
    assert page.input_value("#current-password") == ""
    # Nothing changed.
    me = api.as_key(anna["session"]["access_token"]).get("/v1/portal/me")
    assert me.json_body["user"]["name"] == "Anna"
    assert context.errors == []
    context.close()


def test_a_new_name_shows_and_a_new_password_signs_other_devices_out(
    api, tenant, local_server, browser, made
):
    anna = made("de")
    url = _portal_url(local_server, tenant, anna["portal"], "de")
    sign_in = {"tenant": tenant.slug, "email": anna["email"], "password": PASSWORD}
    elsewhere = api.as_key(None).post("/v1/portal/sessions", sign_in).json_body
    phone = _context(browser, 390)
    on_phone = _signed_in(phone, url, elsewhere)
    context = _context(browser)
    page = _signed_in(context, url, anna["session"])
    second_tab = context.new_page()  # the same browser: signed in without a link
    second_tab.goto(url)
    second_tab.wait_for_selector("#app:not([hidden])")
    said = _sentences(page)

    # The name: the who-line shows the new one, the live region says it is saved.
    _open_profile(page)
    page.fill("#profile-name", "Anna Berg")
    page.click("#name-form button[type=submit]")
    page.wait_for_selector("#name-form-result [role=status]")
    assert page.inner_text("#name-form-result") == said["name_saved"]
    assert page.inner_text("#who").startswith("Anna Berg · ")
    page.wait_for_function(
        "() => document.querySelector('#people tbody').innerText.includes('Berg')"
    )
    assert (
        api.get(f"/v1/customers/{anna['customer']['id']}/portal/users").json_body["items"][0][
            "name"
        ]
        == "Anna Berg"
    )

    # The password: the new session replaces the stored one, for both tabs of this browser.
    stored = page.evaluate("JSON.stringify(localStorage)")
    page.fill("#current-password", PASSWORD)
    page.fill("#profile-password", NEW_PASSWORD)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-form-result [role=status]")
    assert page.inner_text("#password-form-result") == said["password_changed"]
    assert page.input_value("#current-password") == page.input_value("#profile-password") == ""
    assert page.evaluate("JSON.stringify(localStorage)") != stored
    screenshot(page, "portal-profile-saved-de")
    _axe(page, "portal profile saved (de, 1000 px)")

    # The phone's session ended: its next step shows the sign-in card, saying so.
    on_phone.click("[data-section=equipment] a[data-asset]")
    on_phone.wait_for_selector("#sign-in:not([hidden]) #sign-in-error [role=alert]")
    assert on_phone.inner_text("#sign-in-error") == said["signed_out"]
    screenshot(on_phone, "portal-profile-other-device-signed-out-de")
    # The other tab of this browser goes on with the new session.
    second_tab.click("[data-section=equipment] a[data-asset]")
    second_tab.wait_for_selector("[data-section=activity] h3")
    assert second_tab.locator("#app").is_visible()
    # And the new password signs in.
    again = api.as_key(None).post("/v1/portal/sessions", {**sign_in, "password": NEW_PASSWORD})
    assert again.status_code == 200
    assert context.errors == phone.errors == []
    phone.close()
    context.close()


def test_a_preview_has_no_profile(api, tenant, local_server, browser, made):
    anna = made("en")
    preview = api.post(f"/v1/customers/{anna['customer']['id']}/portal/preview").json_body
    context = _context(browser)
    page = context.new_page()
    page.goto(preview["url"].replace("http://localhost:8000", local_server))
    page.wait_for_selector("#app:not([hidden])")
    assert page.locator("#profile-open").is_hidden()
    assert page.locator("#profile-name").count() == 0
    assert context.errors == []
    context.close()


def test_a_new_tab_is_signed_in_and_signing_out_signs_every_tab_out(
    api, tenant, local_server, browser, made
):
    anna = made("da")
    url = _portal_url(local_server, tenant, anna["portal"], "da")
    context = _context(browser)
    first = context.new_page()
    first.goto(url)
    first.wait_for_selector("#sign-in:not([hidden])")
    waiting = context.new_page()  # a tab that shows the sign-in card as well
    waiting.goto(url)
    waiting.wait_for_selector("#sign-in:not([hidden])")
    said = _sentences(first)
    first.fill("#email", anna["email"])
    first.fill("#password", PASSWORD)
    first.click("#sign-in-form button[type=submit]")
    first.wait_for_selector("#app:not([hidden])")
    # The tab that waited on the sign-in card shows the app, and so does a new one.
    waiting.wait_for_selector("#app:not([hidden])")
    second = context.new_page()
    second.goto(url)
    second.wait_for_selector("[data-section=equipment] table")
    assert second.locator("#sign-in").is_hidden()
    assert "Anna" in second.inner_text("#who")
    assert second.evaluate("sessionStorage.length") == 0  # kept for the browser, not the tab

    # Signing out in one tab signs the others out, saying so.
    second.click("#sign-out")
    second.wait_for_selector("#sign-in:not([hidden])")
    for other in (first, waiting):
        other.wait_for_selector("#sign-in:not([hidden]) #sign-in-error [role=alert]")
        assert other.inner_text("#sign-in-error") == said["signed_out"]
        assert other.locator("#app").is_hidden()
    screenshot(first, "portal-signed-out-in-another-tab-da")
    third = context.new_page()
    third.goto(url)
    third.wait_for_selector("#sign-in:not([hidden])")
    assert context.errors == []
    context.close()


def test_tabs_renew_the_shared_session_once(api, tenant, local_server, browser, made):
    anna = made("en")
    url = _portal_url(local_server, tenant, anna["portal"], "en")
    context = _context(browser)
    renewals: list[str] = []
    context.on(
        "request",
        lambda r: renewals.append(r.url) if r.url.endswith("/v1/portal/sessions/refresh") else None,
    )
    tabs = [_signed_in(context, url, anna["session"])]
    tabs += [context.new_page() for _ in range(2)]
    for tab in tabs[1:]:
        tab.goto(url)
        tab.wait_for_selector("#app:not([hidden])")
    key = f"portway:{tenant.slug}:{anna['portal']['id']}"
    # The access token ran out (here: it is no longer valid); every tab calls at once.
    tabs[0].evaluate(
        """key => { const s = JSON.parse(localStorage.getItem(key));
                    localStorage.setItem(key, JSON.stringify({...s, access: 'pat_expired'})); }""",
        key,
    )
    for tab in tabs:
        tab.evaluate(
            """() => { window.outcome = window.portwayPortal.call('GET', '/v1/portal/me')
                         .then(me => me.user.name, e => 'failed: ' + e.type); }"""
        )
    for tab in tabs:
        assert tab.evaluate("window.outcome") == "Anna"
    assert len(renewals) == 1  # one tab renewed; the others used what it got
    stored = tabs[0].evaluate(f"JSON.parse(localStorage.getItem({key!r}))")
    assert stored["refresh"] != anna["session"]["refresh_token"]
    assert stored["access"] != "pat_expired"
    # The spent refresh token is not presented again: the session lives on.
    for tab in tabs:
        tab.reload()
        tab.wait_for_selector("[data-section=equipment] table")
    assert all(SYNTAX[0] not in tab.inner_text("body") for tab in tabs)
    assert context.errors == []
    context.close()
