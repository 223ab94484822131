"""The portal's map in a real Chromium, under the page's own CSP: the customer's machines with
a position are markers on the map section (MapLibre, base map and module from our own origin
only), a machine without one is listed under the map, a marker selects the machine as the
equipment list's link does, the machine's activity draws the track of its recent positions
above the table of its events, the map is used by keyboard, nothing scrolls sideways at
390 px, and axe finds nothing serious. A template whose home page is the map shows it first
and the menu moves there after sign-in. Without a position the map's module never loads; a
module or a call that fails says so in the page's language only. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re
import struct
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.pages import maps
from chalicelib.services.pages.pages import MAX_PAGE_BYTES, weight
from tests.browser.maps import assert_csp_allows_only_the_maps_needs, drawn_markers, marker_gap
from tests.browser.test_portal_languages import (
    PASSWORD,
    SYNTAX,
    _clipped,
    _portal_url,
    _sentences,
)
from tests.browser.test_support_journey import _axe
from tests.browser.test_tracking_map import Watched, _said
from tests.conftest import screenshot
from tests.samples import portal_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

HAMBURG, BREMEN, HANNOVER, KIEL = (53.55, 9.99), (53.08, 8.80), (52.37, 9.73), (54.32, 10.13)


def _report(api, asset: str, where: tuple[float, float] | None, **more) -> None:
    """A report made now (after the assignment: a customer sees only its own time with a
    machine), a few milliseconds after the one before."""
    time.sleep(0.005)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body: dict[str, Any] = {"time": now, **more}
    if where:
        body["lat"], body["lon"] = where
    answer = api.post(f"/v1/assets/{asset}/events", body)
    assert answer.status_code == 201, answer.body


@pytest.fixture
def machines(api):
    """A customer with three machines: the excavator drove Hannover, Bremen, Hamburg; the
    loader stands in Kiel; the crane has reported hours but never a position. Makes a portal
    (its own apps, or a template's) and its administrator in a language."""

    def make(language: str, template: dict | None = None, placed: bool = True) -> dict:
        customer = api.post("/v1/customers", {"name": "Hafenbau", "language": language}).json_body
        names = ("Bagger 320", "Radlader 950", "Kran 80")
        ids = {n: api.post("/v1/assets", {"name": n}).json_body["id"] for n in names}
        assigned = api.put(
            f"/v1/customers/{customer['id']}/assets", {"asset_ids": list(ids.values())}
        )
        assert assigned.status_code == 200, assigned.body
        if placed:
            bagger = ids["Bagger 320"]
            _report(api, bagger, HANNOVER, status="running", operating_hours=1200.5)
            _report(api, bagger, BREMEN, status="running", operating_hours=1202.0)
            _report(api, bagger, HAMBURG, status="running", operating_hours=1204.25)
            _report(api, ids["Radlader 950"], KIEL, status="idle", operating_hours=88.0)
        _report(api, ids["Kran 80"], None, operating_hours=310.0)
        body = (
            {"template_id": template["id"]}
            if template
            else {"apps": ["equipment", "activity", "tracking"]}
        )
        portal = api.put(f"/v1/customers/{customer['id']}/portal", body)
        assert portal.status_code in (200, 201), portal.body
        email = f"anna.{language}@hafenbau.example"
        session = portal_session(api, customer["id"], email, name="Anna")
        return {"portal": portal.json_body, "email": email, "session": session, "ids": ids}

    return make


def _sign_in(browser, url: str, email: str, width: int = 1000, prepare: Any = None):
    """The sign-in form, under the page's real CSP (no bypass)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    watched = Watched(page)
    if prepare:
        prepare(page)
    answer = page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")  # by keyboard: focus is shown from here on
    page.wait_for_selector("#app:not([hidden])")
    return context, page, watched, answer.headers["content-security-policy"]


def _activity_of(page: Any, name: str) -> None:
    """Wait until the activity section shows the machine `name`."""
    page.wait_for_function(
        "name => (document.querySelector('[data-section=activity] h3') || {}).textContent === name",
        arg=name,
    )


def _pixels(png: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of a Playwright screenshot (8-bit RGB(A), no interlace)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, data, width, height, channels = 8, b"", 0, 0, 0
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, chunk = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8, depth
            assert color in (2, 6), color
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            data += chunk
        at += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + guess) & 255
        rows.append(line)
        previous = line
    pixels = [
        (row[x * channels], row[x * channels + 1], row[x * channels + 2])
        for row in rows
        for x in range(width)
    ]
    return width, height, pixels


def _coloured(page: Any, selector: str, color: str) -> int:
    """How many pixels of the element's screenshot are (close to) the colour #rrggbb drawn
    at the track's opacity (0.8) over the land."""
    line = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    land = (0xF4, 0xF2, 0xEC)
    wanted = [round(0.8 * c + 0.2 * b) for c, b in zip(line, land, strict=True)]
    _, _, pixels = _pixels(page.locator(selector).screenshot())
    return sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, wanted, strict=True)) < 60)


def test_the_map_shows_the_machines_and_the_track_from_our_origin_only(
    api, tenant, local_server, browser, machines
):
    made = machines("de")
    ids = made["ids"]
    url = _portal_url(local_server, tenant, made["portal"], "de")
    context, page, watched, csp = _sign_in(browser, url, made["email"])
    try:
        page.wait_for_selector("#equipment-map[data-state=ready]", timeout=30_000)
        said = _sentences(page)

        # The page's CSP allows the map's own needs only: worker, stylesheet, icons, tiles.
        assert_csp_allows_only_the_maps_needs(csp)

        # Drawn: a canvas with a size, a marker (a button named after the machine) for each
        # of the two with a position; the crane is named under the map, not dropped.
        points, names = drawn_markers(page, "#equipment-map")
        assert points == sorted([ids["Bagger 320"], ids["Radlader 950"]])
        assert names == ["Bagger 320", "Radlader 950"]
        bagger = page.locator(f'#equipment-map .pw-map-marker[data-point="{ids["Bagger 320"]}"]')
        assert bagger.get_attribute("aria-label").startswith(
            "Bagger 320, " + said["telemetry_running"]
        )
        assert page.inner_text("#unplaced") == _said("de", "No position yet: %(names)s") % {
            "names": "Kran 80"
        }
        assert page.locator("#equipment-map canvas").get_attribute("aria-label") == said["map"]
        assert page.locator("#equipment-map .maplibregl-ctrl-zoom-in").get_attribute(
            "aria-label"
        ) == _said("de", "Zoom in")
        assert page.locator("#equipment-map .pw-map-fit").get_attribute("aria-label") == said["fit"]
        # The equipment list keeps all three.
        assert page.locator("[data-section=equipment] tbody tr").count() == 3
        screenshot(page, "portal-map-de")

        # Everything came from our origin: the module, its worker and stylesheet, and the
        # base map's tiles (Range requests).
        files = maps.manifest()
        assert files is not None
        for role in ("module", "worker", "style", "basemap"):
            assert any(u.endswith("/page-assets/map/" + files[role]) for u in watched.of_map()), (
                role
            )
        assert watched.elsewhere(local_server) == []

        # By keyboard: the map takes focus and "+" zooms in, "-" zooms out; "show all" fits
        # both machines again.
        before = marker_gap(page, "#equipment-map")
        canvas = page.locator("#equipment-map canvas")
        canvas.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.keyboard.press("Equal")
        page.wait_for_timeout(600)  # the zoom's animation
        zoomed = marker_gap(page, "#equipment-map")
        assert zoomed > before * 1.5, (before, zoomed)
        page.keyboard.press("Minus")
        page.wait_for_timeout(600)
        assert marker_gap(page, "#equipment-map") < zoomed / 1.5
        page.locator("#equipment-map .pw-map-fit").focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
        assert abs(marker_gap(page, "#equipment-map") - before) < 2

        # A marker is a button: Enter selects the machine, as the equipment list's link
        # does. Its activity shows the track of its recent positions, then the table.
        bagger.focus()
        page.keyboard.press("Enter")
        assert bagger.get_attribute("aria-pressed") == "true"
        page.wait_for_selector("[data-section=activity] table")
        assert page.inner_text("[data-section=activity] h3") == "Bagger 320"
        assert page.evaluate("document.activeElement.tagName") == "H3"
        page.wait_for_selector("#activity-map[data-state=ready]", timeout=30_000)
        track = page.locator("#activity-map")
        assert track.locator("canvas").get_attribute("aria-label") == said["track"].replace(
            "{name}", "Bagger 320"
        )
        assert track.locator(".pw-map-marker").all_inner_texts() == ["Bagger 320"]
        assert page.locator("[data-section=activity] tbody tr").count() == 3
        assert "53,5500° N, 9,9900° O" in page.inner_text("[data-section=activity] table")
        # The track: a line in the theme's primary colour through the three positions.
        primary = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--pw-primary').trim()"
        )
        page.wait_for_timeout(300)
        assert _coloured(page, "#activity-map", primary) > 150
        screenshot(page, "portal-map-activity-de")

        # Another machine from the list: the same map shows its position, no track.
        page.click(f'[data-section=equipment] a[data-asset="{ids["Radlader 950"]}"]')
        _activity_of(page, "Radlader 950")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#activity-map .pw-map-marker')]"
            ".map(m => m.textContent).join() === 'Radlader 950'"
        )
        page.wait_for_timeout(300)
        assert _coloured(page, "#activity-map", primary) < 40
        # The crane has no position: no map over its activity, the table stays.
        page.click(f'[data-section=equipment] a[data-asset="{ids["Kran 80"]}"]')
        _activity_of(page, "Kran 80")
        assert track.is_hidden()
        assert page.locator("[data-section=activity] tbody tr").count() == 1
        assert page.locator("canvas.maplibregl-canvas").count() == 2  # one map each, kept

        # Nothing scrolls sideways at a phone's width; the map fits its card.
        page.set_viewport_size({"width": 390, "height": 800})
        page.click(f'[data-section=equipment] a[data-asset="{ids["Bagger 320"]}"]')
        _activity_of(page, "Bagger 320")
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert _clipped(page) == []
        for selector in ("#equipment-map", "#activity-map"):
            box = page.locator(selector).bounding_box()
            assert box
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390
        screenshot(page, "portal-map-de-390")
        _axe(page, "portal map and track (de, 390 px)")
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    assert watched.errors == []


def test_a_template_with_the_map_as_home_page_shows_it_first(
    api, tenant, local_server, browser, machines
):
    template = api.post(
        "/v1/portal-templates",
        {"name": "Karte", "apps": ["equipment", "activity", "tracking"], "home_page": "map"},
    )
    assert template.status_code == 201, template.body
    made = machines("da", template=template.json_body)
    url = _portal_url(local_server, tenant, made["portal"], "da")
    context, page, watched, _ = _sign_in(browser, url, made["email"], width=390)
    try:
        keys = page.locator(".sections > section").evaluate_all(
            "ss => ss.map(s => s.dataset.section)"
        )
        assert keys == ["map", "equipment", "activity"]
        # After signing in, the menu marks the map and focus is on its heading.
        assert page.get_attribute('#apps a[href="#map"]', "aria-current") == "true"
        assert page.evaluate(
            "document.activeElement === document.querySelector('[data-section=map] h2')"
        )
        page.wait_for_selector("#equipment-map[data-state=ready]", timeout=30_000)
        assert page.locator("#equipment-map .pw-map-marker").count() == 2
        assert page.inner_text("#unplaced") == _said("da", "No position yet: %(names)s") % {
            "names": "Kran 80"
        }
        # The map section's first in the page, above the equipment list.
        tops = [
            page.locator(f"[data-section={key}]").bounding_box()["y"]
            for key in keys  # type: ignore[index]
        ]
        assert tops == sorted(tops)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "portal-map-home-da-390")
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    assert watched.errors == []


def test_without_a_position_the_map_module_never_loads_and_the_machines_are_listed(
    api, tenant, local_server, browser, machines
):
    made = machines("en", placed=False)
    url = _portal_url(local_server, tenant, made["portal"], "en")
    # The map's module is not part of the page's weight: HTML and page.js within 30 KB.
    for language in ("en", "de", "da"):
        html = api.as_key(None).get(
            url.replace(local_server, "").replace("language=en", f"language={language}")
        )
        assert 'data-module="/page-assets/map/map-' in html.body.decode()
        assert weight(html.body.decode()) <= MAX_PAGE_BYTES
    context, page, watched, _ = _sign_in(browser, url, made["email"], width=390)
    try:
        page.wait_for_selector("#unplaced:not([hidden])")
        assert page.inner_text("#unplaced") == "No position yet: Bagger 320, Radlader 950, Kran 80"
        assert page.locator("#equipment-map").is_hidden()
        page.click("[data-section=equipment] a[data-asset]")
        page.wait_for_selector("[data-section=activity] table")
        page.wait_for_timeout(300)
        assert watched.of_map() == []
        assert page.evaluate("typeof window.portwayMap") == "undefined"
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    assert watched.errors == []


@pytest.mark.parametrize("language", ["de", "da"])
def test_a_map_or_activity_that_cannot_load_says_so_in_the_page_language_only(
    api, tenant, local_server, browser, machines, language
):
    made = machines(language)
    ids = made["ids"]

    def block(page: Any) -> None:
        page.route("**/page-assets/map/map-*.js", lambda route: route.abort())
        page.route(re.compile(r"/v1/portal/assets/[^/]+/events\?"), lambda route: route.abort())

    url = _portal_url(local_server, tenant, made["portal"], language)
    context, page, watched, _ = _sign_in(browser, url, made["email"], prepare=block)
    try:
        said = _sentences(page)
        # The module was asked for and failed: the map's place is gone, the crane is still
        # named, the list has every machine, and no error is shown for what the list shows.
        page.wait_for_function(
            "() => !document.querySelector('script[type=module][src*=\"/page-assets/map/\"]')"
            " && (document.querySelector('#equipment-map') || {}).hidden"
        )
        assert page.inner_text("#unplaced") == said["unplaced"].replace("{names}", "Kran 80")
        assert page.locator("[data-section=equipment] tbody tr").count() == 3
        assert page.locator("[data-section=map] [role=alert]").count() == 0
        # The map section lists the two positions instead, in the page's language.
        listed = page.locator("[data-section=map] tbody tr")
        assert listed.count() == 2
        assert "53,5500° N, 9,9900° " in listed.first.inner_text()
        # The activity cannot be fetched: the section says so in the page's language.
        page.click(f'[data-section=equipment] a[data-asset="{ids["Bagger 320"]}"]')
        page.wait_for_selector("[data-section=activity] [role=alert]")
        assert page.inner_text("[data-section=activity] [role=alert]") == said["problem.network"]
        body = page.inner_text("body")
        for bad in (*SYNTAX, "Failed to fetch", "NetworkError", "No connection."):
            assert bad not in body, bad
        screenshot(page, f"portal-map-failed-{language}")
    finally:
        context.close()
    assert [e for e in watched.errors if "net::ERR_FAILED" not in e] == []
