"""The whole portal journey in a real Chromium.

A provider creates a customer, assets and the customer's portal, and sends an invitation.
The first person opens the link, registers and sees exactly the equipment assigned to the
customer, then invites a colleague, who registers too. A third person arrives through the
customer's own platform (SSO). Screenshots of every step go to test-artifacts/.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from urllib.parse import quote

import jwt
import pytest

from tests.conftest import screenshot
from tests.mail import Outbox, links_in, secret_after, text_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

PASSWORD = "Hafenkran und Seewind 2026"
BASE = "http://localhost:8000"


def _local(url: str, server: str) -> str:
    return url.replace(BASE, server)


@pytest.fixture
def provider(api):
    """A customer with two assigned machines, one machine it does not have, a portal."""
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH", "language": "de"}).json_body
    theirs = [
        api.post("/v1/assets", {"name": name}).json_body for name in ("Bagger 320", "Radlader 950")
    ]
    other = api.post("/v1/assets", {"name": "Kran 80 (not theirs)"}).json_body
    unit = api.post(
        f"/v1/customers/{customer['id']}/business-units", {"name": "Baustelle Hafen"}
    ).json_body
    api.put(
        f"/v1/customers/{customer['id']}/assets",
        {"asset_ids": [a["id"] for a in theirs], "business_unit_id": unit["id"]},
    )
    # Reported after the assignment: a customer sees only its own time with a machine.
    for asset in theirs:
        api.post(
            f"/v1/assets/{asset['id']}/events",
            {
                "time": _now(),
                "lat": 53.54,
                "lon": 9.98,
                "operating_hours": 1200.5,
                "status": "running",
            },
        )
    portal = api.put(
        f"/v1/customers/{customer['id']}/portal", {"apps": ["equipment", "activity", "reports"]}
    ).json_body
    return {"customer": customer, "theirs": theirs, "other": other, "portal": portal}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="de-DE")
    yield context.new_page()
    context.close()


def _register(page, link: str, name: str, email: str, shot: str) -> None:
    page.goto(link)
    assert "#token=" not in page.url  # the secret left the address bar at once
    screenshot(page, shot)
    page.fill("#name", name)
    # A link made for one address shows it, pre-filled and fixed; any other asks for one.
    if page.locator("#email").is_editable():
        page.fill("#email", email)
    else:
        assert page.input_value("#email") == email
    page.fill("#password", PASSWORD)
    page.check("#terms")
    page.click("#accept-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def _equipment(page) -> list[str]:
    page.wait_for_selector("[data-section=equipment] table")
    return page.locator("[data-section=equipment] tbody tr td:first-child").all_inner_texts()


def test_from_invitation_to_colleague_to_sso(api, tenant, local_server, provider, page, browser):
    customer, portal = provider["customer"], provider["portal"]

    invitation = api.post(
        f"/v1/customers/{customer['id']}/portal/invitations", {"email": "anna@hafenbau.example"}
    ).json_body
    link = _local(invitation["url"], local_server).replace("/invite?", "/invite?language=de&")
    _register(page, link, "Anna Admin", "anna@hafenbau.example", "journey-1-invitation-de")

    # The first person is the portal's administrator and sees exactly the assigned machines.
    assert sorted(_equipment(page)) == ["Bagger 320", "Radlader 950"]
    assert provider["other"]["name"] not in page.content()
    # The customer's business unit is the machines' group.
    groups = page.locator("[data-section=equipment] tbody tr td:last-child").all_inner_texts()
    assert groups == ["Baustelle Hafen", "Baustelle Hafen"]
    page.wait_for_selector("#people:not([hidden]) table")
    screenshot(page, "journey-2-portal-admin-de")
    read = api.get(f"/v1/customers/{customer['id']}/portal").json_body
    assert read["status"] == "active"
    assert read["admin"]["email"] == "anna@hafenbau.example"

    # An asset's activity, from the equipment list.
    page.click("[data-section=equipment] a[data-asset]")
    page.wait_for_selector("[data-section=activity] table")
    assert "1.200,5" in page.inner_text("[data-section=activity]")  # German numbers
    assert "53,5400° N, 9,9800° O" in page.inner_text("[data-section=activity]")
    assert "running" not in page.inner_text("[data-section=activity]")  # translated

    # She invites a colleague; the colleague registers in another browser.
    mails = Outbox()
    page.fill("#invite-email", "ben@hafenbau.example")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("#invite-result [role=status]")
    assert "ben@hafenbau.example" in page.inner_text("#invite-result")
    # The link went to Ben's address only; he opens it from his mail.
    (mail,) = mails.to("ben@hafenbau.example")
    (sent,) = [u for u in links_in(text_of(mail)) if "#token=" in u]
    colleague_link = _local(sent, local_server)
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    colleague = context.new_page()
    _register(colleague, colleague_link, "Ben Kollege", "ben@hafenbau.example", "journey-3-invite")
    assert sorted(_equipment(colleague)) == ["Bagger 320", "Radlader 950"]
    assert colleague.locator("#people").is_hidden()  # not the administrator
    screenshot(colleague, "journey-4-colleague")
    context.close()

    # The customer's own platform signs a third person in (SSO, HS256).
    secret = secrets.token_urlsafe(48)
    issuer = "https://erp.hafenbau.example"
    configured = api.put(
        f"/v1/customers/{customer['id']}/portal/sso",
        {"issuer": issuer, "algorithm": "HS256", "secret": secret},
    )
    assert configured.status_code == 200, configured.body
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": issuer,
            "aud": f"portway:{tenant.slug}",
            "sub": "erp-user-77",
            "email": "carla@hafenbau.example",
            "name": "Carla SSO",
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(16),
        },
        secret,
        algorithm="HS256",
    )
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    third = context.new_page()
    back = f"/p/{tenant.slug}/portal?portal={portal['id']}&language=en"
    third.goto(f"{local_server}/sso/{tenant.slug}/jwt?jwt={quote(token)}&return_to={quote(back)}")
    third.wait_for_selector("#app:not([hidden])")
    assert "#session=" not in third.url  # the session left the address bar at once
    assert "Carla SSO" in third.inner_text("#who")
    assert sorted(_equipment(third)) == ["Bagger 320", "Radlader 950"]
    screenshot(third, "journey-5-sso")
    context.close()

    people = {u["email"] for u in _users(api, page)}
    assert people == {"anna@hafenbau.example", "ben@hafenbau.example", "carla@hafenbau.example"}
    assert portal["id"] in page.url


def _users(api, page) -> list[dict]:
    page.reload()
    page.wait_for_selector("#people:not([hidden]) table")
    rows = page.locator("#people tbody tr")
    return [{"email": rows.nth(i).locator("td").nth(1).inner_text()} for i in range(rows.count())]


def test_a_forgotten_password_is_set_again_from_the_emailed_link(
    api, tenant, local_server, provider, page
):
    customer, portal = provider["customer"], provider["portal"]
    invitation = api.post(
        f"/v1/customers/{customer['id']}/portal/invitations", {"email": "dora@hafenbau.example"}
    ).json_body
    _register(
        page, _local(invitation["url"], local_server), "Dora", "dora@hafenbau.example", "reset-0"
    )
    page.click("#sign-out")
    page.goto(f"{local_server}/p/{tenant.slug}/portal?portal={portal['id']}&language=de")
    page.wait_for_selector("#sign-in:not([hidden])")

    # She forgot her password: the page asks for her address and says nothing more.
    mails = Outbox()
    page.click("#forgot")
    page.fill("#forgot-email", "dora@hafenbau.example")
    page.click("#forgot-form button[type=submit]")
    page.wait_for_selector("#forgot-result p")
    assert "Falls es zu dieser Adresse ein Konto gibt" in page.inner_text("#forgot-result")
    screenshot(page, "reset-1-asked-de")
    (mail,) = mails.to("dora@hafenbau.example")
    assert "Passwort" in mail["Subject"]  # the customer's language: German
    (link,) = [u for u in links_in(text_of(mail)) if "#reset=" in u]
    assert secret_after(link, "reset").startswith("pwp_")

    # The link opens the form to set a new one; a weak one is refused next to the field.
    page.goto(_local(link, local_server))
    page.wait_for_selector("#reset:not([hidden])")
    assert "#reset=" not in page.url  # the secret left the address bar at once
    assert "language=de" in page.url  # the page speaks the e-mail's language
    page.fill("#new-password", "kurz")
    page.click("#reset-form button[type=submit]")
    page.wait_for_selector("p#new-password-error.error")
    assert page.get_attribute("#new-password", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "new-password"
    screenshot(page, "reset-2-too-short-de")
    page.fill("#new-password", "Neues langes Passwort am Hafen")
    page.click("#reset-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert sorted(_equipment(page)) == ["Bagger 320", "Radlader 950"]
    assert page.evaluate("document.activeElement.id") == "who"  # the app's heading
    screenshot(page, "reset-3-signed-in-de")

    # The old password is gone, the new one signs in from the page.
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    page.fill("#email", "dora@hafenbau.example")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#sign-in-error .error")
    page.fill("#password", "Neues langes Passwort am Hafen")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    assert portal["id"] in page.url


def test_an_open_tab_says_so_when_its_session_ends(api, tenant, local_server, provider, page):
    customer = provider["customer"]
    invitation = api.post(
        f"/v1/customers/{customer['id']}/portal/invitations", {"email": "emil@hafenbau.example"}
    ).json_body
    link = _local(invitation["url"], local_server).replace("/invite?", "/invite?language=de&")
    _register(page, link, "Emil", "emil@hafenbau.example", "ended-0")
    users = api.get(f"/v1/customers/{customer['id']}/portal/users").json_body["items"]
    (emil,) = [u for u in users if u["email"] == "emil@hafenbau.example"]
    # The provider removes him while his tab is open; his next click tells him.
    assert (
        api.delete(f"/v1/customers/{customer['id']}/portal/users/{emil['id']}").status_code == 204
    )
    page.click("[data-section=equipment] a[data-asset]")
    page.wait_for_selector("#sign-in:not([hidden]) #sign-in-error .error")
    assert "abgemeldet" in page.inner_text("#sign-in-error")
    screenshot(page, "ended-1-removed-de")
