"""The tracking page's map in a real Chromium, under the page's own CSP: the devices with a
position are markers on a MapLibre map drawn from the base map on our own origin (read by
Range requests), devices without one are listed below it, the map is used by keyboard, and
not one request goes to another host. Without a position there is no map, and its module is
never loaded. Screenshots go to test-artifacts/."""

from __future__ import annotations

import gettext
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.pages import maps
from chalicelib.pages.environment import TRANSLATIONS
from chalicelib.services.pages.pages import MAX_PAGE_BYTES, weight
from tests.browser.maps import assert_csp_allows_only_the_maps_needs, drawn_markers, marker_gap
from tests.conftest import screenshot
from tests.services.shares.conftest import report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

BASE = "http://localhost:8000"


def _said(language: str, msgid: str) -> str:
    catalogue = gettext.translation(
        "messages", localedir=TRANSLATIONS, languages=[language], fallback=True
    )
    return catalogue.gettext(msgid)


class Watched:
    """Every request and response of a page, and what its CSP refused or its scripts threw."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.statuses: dict[str, list[int]] = {}
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: self.statuses.setdefault(r.url, []).append(r.status))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" or "Content Security Policy" in m.text
                else None
            ),
        )

    def elsewhere(self, origin: str) -> list[str]:
        """Requests to any other host (data: URLs are not requests to a host)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin
        ]

    def of_map(self) -> list[str]:
        return [url for url in self.requests if "/page-assets/map/" in url]


def _device(api: Any, name: str, position: tuple[float, float] | None) -> str:
    made = api.post("/v1/assets", {"name": name, "kind": "gps_device"})
    assert made.status_code == 201, made.body
    if position:
        report(api, made.json_body["id"], *position)
    return made.json_body["id"]


def _open(
    api: Any,
    browser: Any,
    local_server: str,
    language: str,
    width: int = 1000,
    prepare: Any = None,
):
    session = api.post("/v1/tracking/sessions", {"language": language})
    assert session.status_code == 201, session.body
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    watched = Watched(page)
    if prepare:
        prepare(page)
    answer = page.goto(session.json_body["url"].replace(BASE, local_server))
    return context, page, watched, answer.headers["content-security-policy"]


def test_the_map_shows_the_devices_from_our_origin_only_and_works_by_keyboard(
    api, local_server, browser
):
    hamburg = _device(api, "Sprinter HH-1", (53.55, 9.99))
    bremen = _device(api, "Sprinter HB-2", (53.08, 8.80))
    _device(api, "Stiller Anhänger", None)

    context, page, watched, csp = _open(api, browser, local_server, "de")
    try:
        page.wait_for_selector("#devices tr[data-asset]")
        page.wait_for_selector("#map[data-state=ready]", timeout=30_000)

        # The page allows the map's own needs only: worker, stylesheet, icons, tiles.
        assert_csp_allows_only_the_maps_needs(csp)

        # Drawn: a canvas with a size, a marker (a button named after the device) for each
        # device with a position, and the device without one named below the map.
        points, names = drawn_markers(page, "#map")
        assert points == sorted([hamburg, bremen])
        assert names == ["Sprinter HB-2", "Sprinter HH-1"]
        markers = page.locator("#map .pw-map-marker")
        hh = page.locator(f'#map .pw-map-marker[data-point="{hamburg}"]')
        assert hh.get_attribute("aria-label").startswith("Sprinter HH-1, " + _said("de", "Moving"))
        unplaced = page.locator("#unplaced")
        assert unplaced.is_visible()
        assert unplaced.inner_text() == _said("de", "No position yet: %(names)s") % {
            "names": "Stiller Anhänger"
        }
        assert page.locator("#devices tr[data-asset]").count() == 3  # the list keeps all
        canvas = page.locator("#map canvas")
        assert canvas.get_attribute("aria-label") == _said("de", "Map of the devices")
        zoom_in = page.locator("#map .maplibregl-ctrl-zoom-in")
        assert zoom_in.get_attribute("aria-label") == _said("de", "Zoom in")
        assert page.locator("#map .maplibregl-ctrl-zoom-out").get_attribute("aria-label") == _said(
            "de", "Zoom out"
        )
        assert page.locator("#map .pw-map-fit").get_attribute("aria-label") == _said(
            "de", "Show all devices"
        )
        screenshot(page, "tracking-map-de")

        # Everything came from our origin: the module, its worker and stylesheet, and the
        # base map's tiles by Range requests (206).
        assert watched.elsewhere(local_server) == []
        files = maps.manifest()
        assert files is not None
        for role in ("module", "worker", "style", "basemap"):
            assert any(
                url.endswith("/page-assets/map/" + files[role]) for url in watched.of_map()
            ), role
        tiles = [url for url in watched.statuses if url.endswith(files["basemap"])]
        assert tiles
        assert {status for url in tiles for status in watched.statuses[url]} == {206}

        # By keyboard: the map takes focus (visibly) and "+" zooms in, "-" zooms out.
        before = marker_gap(page, "#map")
        page.locator("#view").focus()
        canvas.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.keyboard.press("Equal")
        page.wait_for_timeout(600)  # the zoom's animation
        zoomed = marker_gap(page, "#map")
        assert zoomed > before * 1.5, (before, zoomed)
        page.keyboard.press("Minus")
        page.wait_for_timeout(600)
        assert marker_gap(page, "#map") < zoomed / 1.5
        # The zoom-in button, reached and pressed by keyboard, zooms in as well.
        zoom_in.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(600)
        assert marker_gap(page, "#map") > before * 1.5
        # "Show all" fits both devices again; a marker is a button: Enter selects its row.
        page.locator("#map .pw-map-fit").focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(100)
        assert abs(marker_gap(page, "#map") - before) < 2
        hh.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.keyboard.press("Enter")
        assert hh.get_attribute("aria-pressed") == "true"
        assert page.locator(f'#devices tr[data-asset="{hamburg}"]').get_attribute("aria-current")

        # Nothing clipped at a phone's width; the map fits its card.
        page.set_viewport_size({"width": 320, "height": 800})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        box = page.locator("#map").bounding_box()
        assert box
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 320
        # Not moved by the person since "show all": the map fits its devices to its new size.
        for marker in markers.all():
            inside = marker.bounding_box()
            assert inside
            assert box["x"] <= inside["x"]
            assert inside["x"] + inside["width"] <= box["x"] + box["width"]
        screenshot(page, "tracking-map-de-320")
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    assert watched.errors == []


def test_without_a_position_there_is_no_map_and_its_module_is_not_loaded(
    api, local_server, browser
):
    _device(api, "Stiller Anhänger", None)
    context, page, watched, _ = _open(api, browser, local_server, "en", width=390)
    # The map's module is not part of the page's weight: HTML and page.js stay within 30 KB.
    address = page.url.split("?")[0]
    for code in ("en", "de", "da"):
        with urllib.request.urlopen(f"{address}?language={code}") as answer:
            html = answer.read().decode()
        assert 'data-module="/page-assets/map/map-' in html
        assert weight(html) <= MAX_PAGE_BYTES, (code, weight(html))
    try:
        page.wait_for_selector("#devices tr[data-asset]")
        page.wait_for_timeout(300)
        assert page.locator("#map").is_hidden()
        assert page.locator("#unplaced").is_hidden()
        assert watched.of_map() == []
        assert page.evaluate("typeof window.portwayMap") == "undefined"
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    assert watched.errors == []


NO_WEBGL = """(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return /webgl/.test(kind) ? null : original.call(this, kind, ...rest);
    };
})();"""


def test_without_webgl_the_map_says_so_in_the_pages_language_and_the_list_stays(
    api, local_server, browser
):
    _device(api, "Sprinter HH-1", (53.55, 9.99))
    _device(api, "Stiller Anhänger", None)
    context, page, watched, _ = _open(
        api, browser, local_server, "de", prepare=lambda p: p.add_init_script(NO_WEBGL)
    )
    try:
        page.wait_for_selector("#map[data-state=failed]", timeout=30_000)
        assert page.locator("#map").inner_text() == _said(
            "de", "The map cannot be shown in this browser; the list below has every position."
        )
        assert page.locator("#devices tr[data-asset]").count() == 2
        assert "53,5500° N, 9,9900° O" in page.locator("#devices").inner_text()
        assert watched.elsewhere(local_server) == []
    finally:
        context.close()
    # MapLibre says in the console why it could not start; nothing else went wrong.
    assert [e for e in watched.errors if "WebGL" not in e] == []


def test_a_map_module_that_cannot_load_leaves_the_list_as_it_is(api, local_server, browser):
    _device(api, "Sprinter HH-1", (53.55, 9.99))

    def block(page: Any) -> None:
        page.route("**/page-assets/map/map-*.js", lambda route: route.abort())

    context, page, watched, _ = _open(api, browser, local_server, "da", width=390, prepare=block)
    try:
        page.wait_for_selector("#devices tr[data-asset]")
        # The module was asked for, failed, and the map's place is gone again.
        page.wait_for_function(
            "() => document.querySelector('script[type=module][src*=\"/page-assets/map/\"]')"
            " && document.querySelector('#map').hidden"
        )
        assert page.locator("#devices tr[data-asset]").count() == 1
        assert page.locator("#message").inner_text() == ""  # no error for what the list shows
    finally:
        context.close()
    assert [e for e in watched.errors if "net::ERR_FAILED" not in e] == []
