"""Every hosted page as people see it (issue 15, items 3, 4 and 8): in English, German and
Danish, at 390 and 1280 px, in the light and the dark scheme. Each view is saved as a
screenshot (test-artifacts/gallery/), has no page-level horizontal scroll and no clipped card,
and axe-core finds no violation at all on the default theme. The narrowest widths (320 and
768 px) are measured too, in German, whose words are the longest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from chalicelib.clock import utcnow
from chalicelib.models import Contract, Tenant
from chalicelib.services.billing import contracts
from tests.browser.test_console import AXE
from tests.browser.test_signup_journey import BASE
from tests.conftest import screenshot
from tests.samples import portal_session
from tests.services.billing.conftest import make_shop, order
from tests.services.shares.conftest import make_carrier, report, share

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

LANGUAGES = ("en", "de", "da")


@dataclass
class View:
    """A page in one state: how to open it and what shows that it is ready."""

    name: str
    url: Callable[[str], str]  # the language -> the address (with its secrets)
    ready: str


def _views(api, other_api, other_tenant, tenant, local_server) -> list[View]:
    here = local_server
    # Signup and self-service: a plan open for signup, a contract with its link.
    shop = make_shop(api)
    signup = f"{here}/p/{tenant.slug}/signup/{shop.variant['id']}"
    ordered = api.as_key(None).post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    assert ordered.status_code == 201, ordered.body
    contract_id = ordered.json_body["contract_id"]

    def self_service(language: str) -> str:
        _, url, _ = contracts.issue_link(
            Tenant.get(tenant.id), Contract.get(tenant.id, contract_id), 60, utcnow(), language
        )
        return url.replace(BASE, here)

    # A customer's portal with equipment (one machine without a position yet).
    customer = api.post("/v1/customers", {"name": "Nordbau GmbH", "language": "de"}).json_body
    apps = {"apps": ["equipment", "activity", "reports", "support"]}
    assert api.put(f"/v1/customers/{customer['id']}/portal", apps).status_code == 200
    placed = api.post("/v1/assets", {"name": "Bagger 14", "serial_number": "CAT-320-0042"})
    api.post("/v1/assets", {"name": "Radlader 7"})
    assets = [a["id"] for a in api.get("/v1/assets").json_body["items"]]
    assert api.put(f"/v1/customers/{customer['id']}/assets", {"asset_ids": assets}).status_code
    report(api, placed.json_body["id"], 53.55, 9.99)
    person = portal_session(api, customer["id"], "anna@nordbau.example", name="Anna Berg")
    portal = api.get(f"/v1/customers/{customer['id']}/portal").json_body["id"]
    portal_page = f"{here}/p/{tenant.slug}/portal?portal={portal}"
    invitation = api.post(f"/v1/customers/{customer['id']}/portal/invitations", {}).json_body

    def signed_in(language: str) -> str:
        session = f"#session={person['access_token']}&refresh={person['refresh_token']}"
        return f"{portal_page}&language={language}{session}"

    # Partner tracking: the carrier's shares, seen by the shipper.
    carrier = make_carrier(api, other_api, other_tenant)
    share(carrier, carrier.devices[:2])
    own = carrier.partner.post("/v1/assets", {"name": "Sprinter K-PW 12", "kind": "gps_device"})
    report(carrier.partner, own.json_body["id"], 50.94, 6.96)
    carrier.partner.post("/v1/assets", {"name": "Anhänger K-PW 3", "kind": "gps_device"})
    tracking = carrier.partner.post("/v1/tracking/sessions", {}).json_body["url"]

    def with_language(url: str) -> Callable[[str], str]:
        address, _, fragment = url.partition("#")
        joined = "&" if "?" in address else "?"
        return lambda language: (
            f"{address}{joined}language={language}" + (f"#{fragment}" if fragment else "")
        )

    return [
        View("signup", with_language(signup), "#signup-form"),
        View("self-service", self_service, "#sections:not([hidden])"),
        View("invite", with_language(invitation["url"].replace(BASE, here)), "#accept-form"),
        View("portal-sign-in", with_language(portal_page), "#sign-in:not([hidden])"),
        View("portal", signed_in, "#app:not([hidden])"),
        View("tracking", with_language(tracking.replace(BASE, here)), "#devices tr"),
        View("not-found", with_language(f"{here}/p/{tenant.slug}/nothing"), "h1"),
    ]


def _measure(page) -> list[str]:
    """What sticks out: the page wider than the window, or a card whose content is cut."""
    return page.evaluate(
        """() => {
          const bad = [];
          const root = document.documentElement;
          if (root.scrollWidth > window.innerWidth) bad.push('page ' + root.scrollWidth);
          document.querySelectorAll('.card').forEach((card) => {
            if (card.offsetParent === null) return;
            if (card.scrollWidth > card.clientWidth + 1)
              bad.push((card.dataset.section || card.id || 'card') + ' ' + card.scrollWidth);
          });
          return bad;
        }"""
    )


def _axe_all(page, name: str) -> None:
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert found == [], f"{name}: {json.dumps(found, indent=1)}"


def test_every_page_in_every_language_width_and_scheme(
    api, other_api, other_tenant, tenant, local_server, browser
):
    views = _views(api, other_api, other_tenant, tenant, local_server)
    failures: list[str] = []
    for scheme in ("light", "dark"):
        for width in (390, 1280):
            context = browser.new_context(
                viewport={"width": width, "height": 900}, color_scheme=scheme
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            for view in views:
                for language in LANGUAGES:
                    name = f"{view.name}-{language}-{width}-{scheme}"
                    page.goto(view.url(language))
                    page.wait_for_selector(view.ready)
                    page.wait_for_load_state("networkidle")
                    screenshot(page, f"gallery/{name}")
                    failures += [f"{name}: {what}" for what in _measure(page)]
                    if language == "de" or width == 390:
                        try:
                            _axe_all(page, name)
                        except AssertionError as exc:
                            failures.append(str(exc))
            context.close()
            assert errors == [], errors
    assert failures == [], "\n".join(failures)


def test_the_narrowest_and_middle_widths_clip_nothing(
    api, other_api, other_tenant, tenant, local_server, browser
):
    views = _views(api, other_api, other_tenant, tenant, local_server)
    failures: list[str] = []
    for width in (320, 768):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        for view in views:
            page.goto(view.url("de"))
            page.wait_for_selector(view.ready)
            page.wait_for_load_state("networkidle")
            failures += [f"{view.name}-de-{width}: {what}" for what in _measure(page)]
        context.close()
    assert failures == [], "\n".join(failures)


def test_embed_mode_and_a_light_page_in_a_dark_system(api, tenant, local_server, browser):
    shop = make_shop(api)
    page_url = f"{local_server}/p/{tenant.slug}/signup/{shop.variant['id']}?language=de"
    context = browser.new_context(viewport={"width": 390, "height": 800}, color_scheme="dark")
    page = context.new_page()
    background = "getComputedStyle(document.body).backgroundColor"
    page.goto(page_url)
    page.wait_for_selector("#signup-form")
    assert page.locator("header.menu").is_visible()
    assert page.evaluate(background) == "rgb(18, 20, 24)"  # the dark scheme's page
    page.goto(page_url + "&embed=1&scheme=light")
    page.wait_for_selector("#signup-form")
    assert page.locator("header.menu").is_hidden()  # chromeless: the host page has its own
    assert page.evaluate(background) == "rgb(247, 248, 250)"  # the theme's own page colour
    screenshot(page, "gallery/signup-embedded-light-de-390")
    context.close()
