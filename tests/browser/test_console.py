"""The console in a real Chromium (issue 13): a person joins the team by the e-mailed link,
signs in (with the authenticator's code once they have one), works with customers (a bad
e-mail shown next to its field, a conflict that offers the current version, a delete that
says what holds the customer), invites a colleague, and reads it all in German and Danish,
at phone width, by keyboard. axe-core finds no serious or critical violation on any screen.
Screenshots of every screen go to test-artifacts/console-*.png.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, screenshot
from tests.mail import Outbox, links_in, secret_after, text_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

PASSWORD = "Hafenkran und Seewind 2026"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _invite_link(api, email: str, role: str, server: str) -> str:
    mails = Outbox()
    assert api.post("/v1/team/members", {"email": email, "role": role}).status_code == 201
    (mail,) = mails.to(email)
    (link,) = links_in(text_of(mail))
    return server + "/console#invite=" + secret_after(link, "invite")


def _axe(page, name: str, exclude: tuple[str, ...] = ()) -> None:
    """No serious or critical accessibility violation on what the page shows now (`exclude`:
    selectors of what shows the tenant's own colours as chosen, such as a theme preview)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci (make test does)")
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async (exclude) => (await axe.run({exclude: exclude.map(s => [s])},"
        " {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))",
        list(exclude),
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {json.dumps(bad, indent=1)}"


def _shot(page, name: str) -> Path:
    return screenshot(page, f"console-{name}")


def test_a_person_joins_works_with_customers_and_invites_a_colleague(
    api, tenant, local_server, person
):
    page = person
    link = _invite_link(api, "ann@example.com", "admin", local_server)
    page.goto(link)
    page.get_by_role("heading", name="Join your team").wait_for()
    assert "#invite=" not in page.url  # the secret leaves the address bar at once
    _axe(page, "join")
    _shot(page, "join")
    page.get_by_label("Your name").fill("Ann Admin")
    page.get_by_label("Choose a password").fill("short")
    page.get_by_role("button", name="Join").click()
    page.locator("#join-password-error").wait_for()  # the API's field error, by its field
    _shot(page, "join-weak-password")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    page.get_by_role("heading", name="Customers").wait_for()
    _axe(page, "customers-empty")

    # A new customer: a bad address is shown next to its field, nothing is created.
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Hafenbau GmbH")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#customer-email-error")).to_have_text("Not an e-mail address.")
    assert page.get_by_label("E-mail address").get_attribute("aria-invalid") == "true"
    _axe(page, "customer-new-invalid")
    _shot(page, "customer-new-invalid")
    assert api.get("/v1/customers").json_body["items"] == []
    page.get_by_label("E-mail address").fill("info@hafenbau.example")
    page.get_by_label("Language of their people").select_option("de")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Hafenbau GmbH").wait_for()
    page.get_by_text("Customer created.").wait_for()
    (created,) = api.get("/v1/customers").json_body["items"]
    assert created["language"] == "de"
    _axe(page, "customer-detail")
    _shot(page, "customer-detail")

    # Someone else changes it meanwhile: the edit is not lost silently.
    api.patch(f"/v1/customers/{created['id']}", {"name": "Hafenbau AG"})
    page.get_by_label("Name").fill("Hafenbau GmbH & Co. KG")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Someone else changed this meanwhile").wait_for()
    _shot(page, "customer-conflict")
    page.get_by_role("button", name="Load the current version").click()
    expect(page.get_by_label("Name")).to_have_value("Hafenbau AG")

    # Deleting a customer that holds equipment says why it cannot go yet.
    asset = api.post("/v1/assets", {"name": "Bagger 320"}).json_body
    api.put(f"/v1/customers/{created['id']}/assets", {"asset_ids": [asset["id"]]})
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_text("cannot be deleted yet: equipment is assigned").wait_for()
    _shot(page, "customer-delete-held")

    # The list, and the back button.
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_role("link", name="Hafenbau AG").wait_for()
    page.go_back()
    page.get_by_role("heading", name="Hafenbau AG").wait_for()

    # The team: invite a colleague; the link goes by e-mail only.
    page.get_by_role("link", name="Team").click()
    page.get_by_role("heading", name="Team", exact=True).wait_for()
    mails = Outbox()
    page.get_by_label("E-mail address").fill("bo@example.com")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Invite a person").click()
    page.get_by_text("The invitation is on its way to bo@example.com").wait_for()
    assert len(mails.to("bo@example.com")) == 1
    _axe(page, "team")
    _shot(page, "team")


def test_sign_in_with_the_authenticator_code_in_german_at_phone_width(
    api, tenant, local_server, browser
):
    # The person joined and set up an authenticator before (through the API).
    link = _invite_link(api, "olaf@example.com", "editor", local_server)
    joined = (
        api.as_key(None)
        .post(
            "/v1/team/invitations/accept",
            {"token": link.split("#invite=")[1], "name": "Olaf", "password": PASSWORD},
        )
        .json_body
    )
    me = api.as_key(joined["access_token"])
    secret = me.post("/v1/team/me/mfa/totp").json_body["secret"]
    me.post("/v1/team/me/mfa/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    slug = api.get("/v1/tenant").json_body["slug"]
    api.post("/v1/customers", {"name": "Nordbau GmbH"})

    context = browser.new_context(
        viewport={"width": 320, "height": 640}, locale="de-DE", bypass_csp=True
    )
    page = context.new_page()
    page.goto(local_server + "/console")
    page.get_by_role("heading", name="In der Konsole anmelden").wait_for()
    # Sent empty: each field says what is missing, in German, next to itself.
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("#signin-tenant-error")).to_have_text("Bitte ausfüllen.")
    expect(page.locator("#signin-email-error")).to_contain_text("E-Mail-Adresse")
    _axe(page, "signin-de-320-errors")
    _axe(page, "signin-de-320")
    _shot(page, "signin-de-320")
    # By keyboard only: type, tab on, submit with Enter.
    page.get_by_label("Team (der Portway-Name Ihres Unternehmens)").focus()
    page.keyboard.type(slug)
    page.keyboard.press("Tab")
    page.keyboard.type("olaf@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    page.get_by_text("E-Mail-Adresse oder Passwort ist falsch.").wait_for()
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    code_field = page.get_by_label("Code aus Ihrer Authenticator-App")
    code_field.wait_for()
    _shot(page, "signin-code-de-320")
    code_field.fill(pyotp.TOTP(secret).at(pyotp.TOTP(secret).timecode(_now()) * 30 + 30))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Kunden").wait_for()
    page.get_by_role("link", name="Nordbau GmbH").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, width  # nothing sticks out of a phone's screen
    _axe(page, "customers-de-320")
    _shot(page, "customers-de-320")
    # The menu folds away on a phone: a button opens it, choosing a screen folds it again.
    expect(page.get_by_role("link", name="Team")).to_be_hidden()
    page.get_by_role("button", name="Menü").click()
    expect(page.get_by_role("button", name="Menü")).to_have_attribute("aria-expanded", "true")
    _shot(page, "menu-de-320")
    page.get_by_role("link", name="Team").click()
    page.get_by_role("heading", name="Team", exact=True).wait_for()
    expect(page.get_by_role("link", name="Team")).to_be_hidden()
    page.get_by_role("button", name="Menü").click()
    page.get_by_role("link", name="Kunden").click()

    # Danish, chosen in the console, stays chosen.
    page.get_by_label("Sprache").select_option("da")
    page.get_by_role("heading", name="Kunder").wait_for()
    page.reload()
    page.get_by_role("heading", name="Kunder").wait_for()
    _shot(page, "customers-da-320")
    page.get_by_role("button", name="Log ud").click()
    page.get_by_role("heading", name="Log ind i konsollen").wait_for()
    context.close()


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _join_in_browser(page, link: str, name: str = "Ann Admin") -> None:
    page.goto(link)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    page.get_by_role("heading", name="Customers").wait_for()


def test_customers_are_imported_from_a_file_with_every_problem_shown_first(
    api, tenant, local_server, person, tmp_path
):
    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "editor", local_server))
    api.post("/v1/customers", {"name": "Existing", "external_id": "K-7"})
    csv_file = tmp_path / "kunden.csv"
    csv_file.write_bytes(
        b"Kundenname;Kundennummer;E-Mail\n"
        b"Nordbau GmbH;K-1;info@nordbau.example\n"
        b";K-2;\n"
        b"=HYPERLINK(1);K-3;\n"
        b"Hafenbau AG;K-7;\n"
        b"Fjord Byg ApS;K-8;not a mail\n"
        b"Kranwerk KG;K-9;\n"
    )
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_role("heading", name="Import customers").wait_for()
    page.get_by_label("CSV or Excel file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("6 rows read, 2 without problems.").wait_for()
    rows = page.locator("#import-problems + .table-wrap tbody tr")
    expect(rows).to_have_count(4)
    texts = rows.all_inner_texts()
    assert "Missing: a customer needs a name." in texts[0]
    assert "formula" in texts[1]
    assert "exists already" in texts[2]
    assert "Not an e-mail address." in texts[3]
    expect(page.get_by_role("button", name="Import all 6 rows")).to_be_disabled()
    _axe(page, "import-preview")
    _shot(page, "import-preview")
    assert [c["name"] for c in api.get("/v1/customers").json_body["items"]] == ["Existing"]
    page.get_by_role("button", name="Import only the 2 rows without problems").click()
    page.get_by_text("2 customers imported.").wait_for()
    _shot(page, "import-done")
    names = sorted(c["name"] for c in api.get("/v1/customers").json_body["items"])
    assert names == ["Existing", "Kranwerk KG", "Nordbau GmbH"]


def test_equipment_is_added_and_assigned_to_a_customer(api, tenant, local_server, person):
    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "editor", local_server))
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH"}).json_body
    page.get_by_role("link", name="Equipment").click()
    page.get_by_role("heading", name="Equipment").wait_for()
    for name, serial in (("Bagger 320", "EX320-1"), ("Radlader 950", "WL950-2")):
        page.get_by_role("link", name="New equipment").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Kind").select_option("machine")
        page.get_by_label("Serial number").fill(serial)
        page.get_by_role("button", name="Create").click()
        page.get_by_role("rowheader", name=name).wait_for()
    _axe(page, "equipment")
    _shot(page, "equipment")
    page.goto(f"{local_server}/console#/customers/{customer['id']}")
    page.get_by_role("heading", name="Equipment of this customer").wait_for()
    page.get_by_label("Bagger 320").check()
    page.get_by_role("button", name="Save the assignment").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    _axe(page, "customer-equipment")
    _shot(page, "customer-equipment")
    held = api.get(f"/v1/customers/{customer['id']}/assets").json_body["items"]
    assert [a["name"] for a in held] == ["Bagger 320"]
    page.get_by_role("link", name="Equipment").click()
    page.get_by_role("link", name="Hafenbau GmbH").wait_for()  # the list names the customer


def test_a_theme_is_designed_with_its_contrast_shown_as_it_is_typed(
    api, tenant, local_server, person
):
    from tests.samples import tiny_png

    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "editor", local_server))
    page.get_by_role("link", name="Branding").click()
    page.get_by_label("Theme name").fill("Hafen Blau")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Hafen Blau").wait_for()
    # A pale button text on a pale button: the pair shows as too low before anything is saved.
    field = page.get_by_role("textbox", name="Button text", exact=True)
    field.fill("#d9dde3")
    row = page.get_by_role("row", name="Button text / Button")
    expect(row).to_contain_text("too low")
    _axe(page, "theme-editor", exclude=(".preview",))
    _shot(page, "theme-editor-low-contrast")
    field.fill("#1d2330")
    expect(row).to_contain_text("passes")
    page.get_by_role("textbox", name="Section header", exact=True).fill("#0b3d2e")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    (theme,) = api.get("/v1/themes").json_body["items"]
    assert theme["colors"]["section_header_background"] == "#0b3d2e"
    assert theme["warnings"] == []
    path = ROOT / "test-artifacts" / "logo.png"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(tiny_png())
    page.get_by_label("Small logo (menu)").set_input_files(str(path))
    page.get_by_role("img", name="Small logo (menu)").wait_for()
    assert api.get(f"/v1/themes/{theme['id']}").json_body["logos"]["small"] is not None
    _shot(page, "theme-editor")


def test_trackunit_journey_from_sign_in_to_the_customer_seeing_its_equipment(
    api, tenant, local_server, person, browser
):
    """Reference journey (a): sign in, add equipment, assign it, make a theme and a template,
    run the portal wizard, copy the link, register in a second browser, see exactly the
    assigned equipment."""
    page = person
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _join_in_browser(page, _invite_link(api, "ann@example.com", "admin", local_server))
    # "Import or add your customers": three from a file, then the one we want by search.
    csv_file = ROOT / "test-artifacts" / "journey-customers.csv"
    csv_file.parent.mkdir(exist_ok=True)
    csv_file.write_bytes(b"Name;Kundennummer\nHafenbau GmbH;K-1\nNordbau AG;K-2\nKranwerk KG;K-3\n")
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("CSV or Excel file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import all 3 rows").click()
    page.get_by_text("3 customers imported.").wait_for()
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_role("searchbox", name="Search customers by name or number").fill("hafen")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Hafenbau GmbH").wait_for()
    expect(page.get_by_role("link", name="Nordbau AG")).to_have_count(0)
    _shot(page, "customers-search")
    page.get_by_role("link", name="Hafenbau GmbH").click()
    page.get_by_label("New business unit").fill("Baustelle Hafen")
    page.locator("[aria-labelledby=units-title] button").click()
    page.locator("[aria-labelledby=units-title] li", has_text="Baustelle Hafen").wait_for()
    customer = next(
        c for c in api.get("/v1/customers").json_body["items"] if c["name"] == "Hafenbau GmbH"
    )
    page.get_by_role("link", name="Equipment").click()
    for name in ("Bagger 320", "Radlader 950", "Kran 80"):
        page.get_by_role("link", name="New equipment").click()
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Create").click()
        page.get_by_role("rowheader", name=name).wait_for()
    # A theme and a template.
    page.get_by_role("link", name="Branding").click()
    page.get_by_label("Theme name").fill("Hafen Blau")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Hafen Blau").wait_for()
    page.get_by_role("link", name="Portal templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Template name").fill("Baustelle")
    page.get_by_label("Activity").check()
    page.get_by_label("Branding theme").select_option(label="Hafen Blau")
    page.get_by_label("Default template").check()
    page.locator("#heading-equipment-de").fill("Unsere Maschinen")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Baustelle").wait_for()
    (made,) = api.get("/v1/portal-templates").json_body["items"]
    sections = {s["key"]: s for s in made["sections"]}
    assert sections["equipment"]["headings"]["de"] == "Unsere Maschinen"
    _axe(page, "template-editor")
    _shot(page, "template-editor")
    # The customer: its equipment, then the portal wizard.
    page.goto(f"{local_server}/console#/customers/{customer['id']}")
    page.get_by_label("Bagger 320").check()
    page.get_by_label("Radlader 950").check()
    page.get_by_role("button", name="Save the assignment").click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    wizard = page.get_by_role("region", name="Customer portal")
    expect(wizard.get_by_label("Portal template", exact=True)).to_have_value(
        api.get("/v1/portal-templates").json_body["items"][0]["id"]
    )
    _axe(page, "portal-wizard-setup")
    _shot(page, "portal-wizard-setup")
    for _ in range(3):
        wizard.get_by_role("button", name="Next").click()
    wizard.get_by_text("Hafen Blau").wait_for()  # the review names the template's theme
    _shot(page, "portal-wizard-review")
    wizard.get_by_role("button", name="Save the portal").click()
    wizard.get_by_role("button", name="Create a link").click()
    link_field = wizard.get_by_label("Invitation link")
    link = link_field.input_value()
    assert "#token=" in link
    wizard.get_by_role("button", name="Copy the link").click()
    wizard.get_by_text("The link is copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    _axe(page, "portal-wizard-link")
    _shot(page, "portal-wizard-link")

    # The customer's person opens the link in a browser of their own and registers.
    other = browser.new_context(viewport={"width": 390, "height": 800}, locale="de-DE")
    customer_page = other.new_page()
    customer_page.goto(link.replace("http://localhost:8000", local_server))
    customer_page.fill("#name", "Anna Admin")
    customer_page.fill("#email", "anna@hafenbau.example")
    customer_page.fill("#password", PASSWORD)
    customer_page.check("#terms")
    customer_page.click("#accept-form button[type=submit]")
    customer_page.wait_for_selector("[data-section=equipment] table")
    seen = customer_page.locator("[data-section=equipment] tbody tr td:first-child")
    assert sorted(seen.all_inner_texts()) == ["Bagger 320", "Radlader 950"]
    assert "Kran 80" not in customer_page.content()
    screenshot(customer_page, "console-journey-customer-portal")
    other.close()

    # Back in the console: the overview names the administrator and offers a preview.
    page.reload()
    wizard = page.get_by_role("region", name="Customer portal")
    wizard.get_by_text("Anna Admin (anna@hafenbau.example)").wait_for()
    wizard.get_by_text("anna@hafenbau.example · administrator").wait_for()
    wizard.get_by_label("Issuer (the platform's iss)").fill("https://erp.hafenbau.example")
    wizard.get_by_label("Shared secret").fill(secrets.token_urlsafe(32))
    wizard.get_by_role("button", name="Save the issuer").click()
    wizard.locator("li", has_text="https://erp.hafenbau.example").wait_for()
    _axe(page, "portal-overview")
    _shot(page, "portal-overview")


def test_timocom_journey_a_share_reaches_the_partner_who_downloads_the_protocol(
    api, other_api, tenant, other_tenant, local_server, person, browser
):
    """Reference journey (c): a carrier shares two GPS devices with the organisation it drives
    for; the partner's person sees the share in their console and downloads the access
    protocol, which a real Excel reader opens."""
    from openpyxl import load_workbook

    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "editor", local_server))
    for name in ("Truck HH-PW 1", "Truck HH-PW 2", "Truck HH-PW 3"):
        api.post("/v1/assets", {"name": name, "kind": "gps_device"})
    page.get_by_role("link", name="Partner shares").click()
    page.get_by_role("heading", name="Partner shares").wait_for()
    page.get_by_label("Partner's Portway id").fill(other_tenant.public_id)
    page.get_by_label("Name of the share").fill("Tour Hamburg")
    page.get_by_label("Truck HH-PW 1").check()
    page.get_by_label("Truck HH-PW 2").check()
    page.get_by_label("Contact person's e-mail at the partner").fill("dispo@partner.example")
    page.get_by_role("button", name="Share", exact=True).click()
    page.get_by_text("The share is active.").wait_for()
    page.locator("strong", has_text="Tour Hamburg").wait_for()
    _axe(page, "shares")
    _shot(page, "shares")
    (share,) = api.get("/v1/shares").json_body["items"]
    assert len(share["asset_ids"]) == 2

    # The partner reads the shared devices (logged), then its person opens the console.
    received = other_api.get("/v1/received-shares").json_body["items"][0]
    assert other_api.get(f"/v1/received-shares/{received['id']}/assets").status_code == 200
    partner_link = _invite_link(other_api, "dispo@partner.example", "viewer", local_server)
    context = browser.new_context(viewport={"width": 1100, "height": 800}, accept_downloads=True)
    partner = context.new_page()
    _join_in_browser(partner, partner_link, "Dora Dispo")
    partner.get_by_role("link", name="Partner shares").click()
    partner.get_by_role("heading", name="Shares you receive").wait_for()
    partner.get_by_text("from Tenant A").wait_for()
    with partner.expect_download() as downloading:
        partner.get_by_role("button", name="Access protocol (Excel) Tour Hamburg").click()
    assert downloading.value.suggested_filename == "Tour Hamburg.xlsx"
    book = load_workbook(io.BytesIO(Path(downloading.value.path()).read_bytes()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert any("Truck HH-PW 1" in str(row) for row in rows), rows[:5]
    screenshot(partner, "console-shares-partner")
    context.close()

    # The carrier revokes: the partner's next read is refused.
    page.get_by_role("button", name="Revoke Tour Hamburg").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    page.get_by_text("Tour Hamburg is revoked.").wait_for()
    assert other_api.get(f"/v1/received-shares/{received['id']}/assets").status_code in (403, 404)


def test_settings_keys_embedding_and_an_audit_log_naming_the_person(
    api, tenant, local_server, person
):
    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "admin", local_server))
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="API keys").wait_for()
    page.get_by_label("Websites allowed to embed your pages").fill(
        "https://www.hafenbau.example\nnot an origin"
    )
    page.locator("form[aria-labelledby=embedding-title] button").click()
    page.get_by_text("Line 2 is not an origin").wait_for()
    page.get_by_label("Websites allowed to embed your pages").fill("https://www.hafenbau.example")
    page.locator("form[aria-labelledby=embedding-title] button").click()
    page.locator("form[aria-labelledby=embedding-title]").get_by_text("Saved.").wait_for()
    assert api.get("/v1/settings/embedding").json_body["allowed_origins"] == [
        "https://www.hafenbau.example"
    ]
    page.get_by_label("Name of the key").fill("ERP export")
    page.get_by_role("button", name="Create a key").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("pwk_")
    assert api.as_key(secret).get("/v1/customers").status_code == 200
    page.reload()
    page.get_by_role("heading", name="Audit log").wait_for()
    row = page.get_by_role("row").filter(has_text="api_key.created")
    expect(row).to_contain_text("Ann Admin")
    _axe(page, "settings")
    _shot(page, "settings")


def test_billwerk_journey_settings_change_the_signup_page_and_a_contract_gets_its_link(
    api, tenant, local_server, person, browser
):
    """Reference journey (b): a plan and a variant, the settings tabs change what the signup
    page asks, a contract is made and its self-service link opens the contract."""
    from tests.samples import tiny_pdf

    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "admin", local_server))
    api.post("/v1/customers", {"name": "Fjord Byg ApS", "email": "info@fjordbyg.example"})
    page.get_by_role("link", name="Billing").click()
    page.get_by_label("Plan name").fill("Fleet Tracking")
    page.get_by_role("button", name="Create the plan").click()
    page.get_by_role("heading", name="Fleet Tracking").wait_for()
    page.get_by_label("Variant name").fill("Monthly")
    page.get_by_label("Price per period (EUR)").first.fill("29,90")
    page.get_by_role("button", name="Add the variant").click()
    page.get_by_text("29.90 EUR").wait_for()
    page.get_by_label("Component name").fill("Extra tracker")
    page.get_by_label("Kind").select_option("quantity")
    page.get_by_label("Price per period (EUR)").last.fill("4.50")
    page.get_by_label("Unit").fill("device")
    page.get_by_role("button", name="Add the component").click()
    page.get_by_text("4.50 EUR / device").wait_for()
    _axe(page, "billing-plans")
    _shot(page, "billing-plans")
    (variant,) = api.get(
        f"/v1/plans/{api.get('/v1/plans').json_body['items'][0]['id']}/variants"
    ).json_body["items"]
    signup = local_server + variant["signup_url"].split("localhost:8000", 1)[1]

    # The settings tabs: ask for a coupon on the signup page.
    page.get_by_role("link", name="Signup and self-service").click()
    page.get_by_role("tab", name="General").wait_for()
    page.get_by_role("tab", name="General").focus()
    page.keyboard.press("ArrowRight")  # by keyboard, as the tabs pattern has it
    expect(page.get_by_role("tab", name="Hosted signup")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Ask for a coupon code").check()
    page.get_by_label("Phone").select_option("required")
    # The preview shows the change before it is saved, inside the console.
    page.get_by_role("button", name="Preview (not saved yet)").click()
    framed = page.frame_locator("iframe.page-preview")
    expect(framed.locator("#f-coupon_code")).to_be_visible()
    _shot(page, "billing-settings-preview")
    assert api.get("/v1/settings/self-service").json_body["signup"]["ask_coupon"] is False
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved. The signup and self-service pages show it").wait_for()
    _axe(page, "billing-settings")
    _shot(page, "billing-settings")
    shop = browser.new_context(viewport={"width": 390, "height": 800}, locale="da-DK")
    customer_page = shop.new_page()
    for _ in range(50):  # the page consumer renders the page a moment after the change
        customer_page.goto(signup)
        if customer_page.locator("#f-coupon_code").count():
            break
        customer_page.wait_for_timeout(200)
    expect(customer_page.locator("#f-coupon_code")).to_be_visible()
    expect(customer_page.locator("#f-phone")).to_have_attribute("required", "")
    screenshot(customer_page, "console-billing-signup-changed")

    # A contract, and its self-service link.
    page.get_by_role("link", name="Contracts").click()
    page.get_by_label("Customer").select_option(label="Fjord Byg ApS")
    page.get_by_label("Plan variant").select_option(label="Fleet Tracking · Monthly (29.90 EUR)")
    page.get_by_role("button", name="Create the contract").click()
    page.get_by_role("heading", name="Fjord Byg ApS: Fleet Tracking · Monthly").wait_for()
    page.get_by_label("Link valid for (minutes)").fill("60")
    page.get_by_label("Language").last.select_option("da")
    page.get_by_role("button", name="Create a self-service link").click()
    link = page.get_by_label("Self-service link").input_value()
    assert "language=da" in link
    assert "#token=pws_" in link
    pdf = ROOT / "test-artifacts" / "R-2026-1.pdf"
    pdf.write_bytes(tiny_pdf())
    page.get_by_label("Number").fill("R-2026-1")
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload the document").click()
    page.get_by_text("R-2026-1", exact=True).wait_for()
    _axe(page, "billing-contracts")
    _shot(page, "billing-contracts")
    page.get_by_role("link", name="Coupons").click()
    page.get_by_label("Code").fill("SPRING10")
    page.get_by_role("button", name="Create the coupon").click()
    page.get_by_text("SPRING10", exact=True).wait_for()
    _axe(page, "billing-coupons")
    page.get_by_role("link", name="E-mails").click()
    page.get_by_label("Subject").fill("Ihre Rechnung {DocumentNumber}")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("status").filter(has_text="Saved.").wait_for()
    assert api.get("/v1/email-templates/invoice/de").json_body["subject"] == (
        "Ihre Rechnung {DocumentNumber}"
    )
    page.get_by_label("Subject").fill("Ihre Rechnung {Nonsense}")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#email-subject-error").wait_for()  # the API's field error, by its field
    _axe(page, "billing-emails")
    _shot(page, "billing-emails")
    customer_page.goto(local_server + link.split("localhost:8000", 1)[1])
    customer_page.get_by_text("Fleet Tracking").first.wait_for()
    screenshot(customer_page, "console-billing-self-service")
    shop.close()


SCREENS = [
    "/customers",
    "/customers/{customer}",
    "/customers/import",
    "/equipment",
    "/equipment/new",
    "/themes",
    "/themes/{theme}",
    "/templates",
    "/templates/{template}",
    "/billing/plans",
    "/billing/contracts",
    "/billing/coupons",
    "/billing/emails",
    "/billing/settings",
    "/shares",
    "/team",
    "/settings",
    "/tickets",
    "/tickets/{ticket}",
]


@pytest.mark.parametrize("language", ["de", "da"])
def test_every_screen_at_phone_width_in_german_and_danish(
    api, tenant, local_server, browser, language
):
    """Every screen in the person's language at 320 px: nothing sticks out sideways, no
    English left on the page, axe-core finds nothing serious. Screenshots of each."""
    customer = api.post("/v1/customers", {"name": "Nordbau GmbH", "email": "a@nordbau.example"})
    ids = {"customer": customer.json_body["id"]}
    ids["theme"] = api.post("/v1/themes", {"name": "Hafen"}).json_body["id"]
    ids["template"] = api.post(
        "/v1/portal-templates", {"name": "Baustelle", "apps": ["equipment"]}
    ).json_body["id"]
    api.post("/v1/assets", {"name": "Bagger 320", "serial_number": "EX320-1"})
    plan = api.post("/v1/plans", {"name": "Fleet"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "M", "price": "9.90"}).json_body
    api.post("/v1/contracts", {"customer_id": ids["customer"], "plan_variant_id": variant["id"]})
    area = api.post("/v1/ticket-areas", {"name": "Service"}).json_body["id"]
    kind = api.post("/v1/ticket-types", {"name": "Repair"}).json_body["id"]
    ids["ticket"] = api.post(
        "/v1/tickets",
        {"customer_id": ids["customer"], "area_id": area, "type_id": kind, "title": "Leck"},
    ).json_body["id"]
    api.post(f"/v1/tickets/{ids['ticket']}/positions", {"text": "Intern"})
    link = _invite_link(api, f"{language}@example.com", "admin", local_server)
    context = browser.new_context(
        viewport={"width": 320, "height": 700}, locale=language, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(link)
    page.locator("#join-name").fill("Person")
    page.locator("#join-password").fill(PASSWORD)
    page.locator("form button").click()
    page.locator("main#main h1").first.wait_for()
    english = ["Customers", "Equipment", "Sign out", "Save", "Create", "Loading"]
    for route in SCREENS:
        path = route.format(**ids)
        page.goto(f"{local_server}/console#{path}")
        page.locator("main#main h1").first.wait_for()
        page.wait_for_load_state("networkidle")
        # Once the screen has settled (its chunks and data loaded), nothing sticks out.
        page.wait_for_function("document.documentElement.scrollWidth <= 320", timeout=5000)
        words = page.locator("main#main").inner_text() + page.locator("header").inner_text()
        left = [w for w in english if re.search(rf"\b{w}\b", words)]
        assert left == [], (route, left)
        name = path.strip("/").replace("/", "-").replace(ids.get("customer", "-"), "detail")
        name = name.replace(ids["theme"], "editor").replace(ids["template"], "editor")
        name = name.replace(ids["ticket"], "detail")
        _axe(page, f"{language}-{name}", exclude=(".preview",))
        screenshot(page, f"console-320-{language}-{name}")
    context.close()
    assert errors == []


def test_lists_page_from_the_server(api, tenant, local_server, person):
    for i in range(55):
        assert (
            api.post("/v1/coupons", {"code": f"CODE{i:02d}", "discount_percent": 5}).status_code
            == 201
        )
    page = person
    _join_in_browser(page, _invite_link(api, "ann@example.com", "admin", local_server))
    page.goto(f"{local_server}/console#/billing/coupons")
    items = page.locator("ul.people li")
    expect(items).to_have_count(50)
    page.get_by_role("button", name="Show more").click()
    expect(items).to_have_count(55)
    expect(page.get_by_role("button", name="Show more")).to_have_count(0)
