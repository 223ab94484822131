"""What the map tests of the tracking page and the portal share: the map's CSP, what a drawn
map shows, and the distance between markers (which grows as the map zooms in)."""

from __future__ import annotations

from typing import Any


def assert_csp_allows_only_the_maps_needs(csp: str) -> None:
    """The page allows the map's own needs only: worker, stylesheet, icons, tiles."""
    policy = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert policy["worker-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["style-src"].endswith(" 'self'")
    assert "blob:" not in csp
    assert "unsafe" not in csp


def drawn_markers(page: Any, container: str) -> tuple[list[str], list[str]]:
    """The map in `container` is drawn on a canvas with a size: its markers' point ids and
    names, sorted."""
    size = page.evaluate(
        "(selector) => { const c = document.querySelector(selector + ' canvas.maplibregl-canvas');"
        " return c ? [c.width, c.height] : null; }",
        container,
    )
    assert size is not None
    assert min(size) > 100, size
    markers = page.locator(f"{container} .pw-map-marker")
    ids = markers.evaluate_all("ms => ms.map(m => m.dataset.point)")
    return sorted(ids), sorted(markers.all_inner_texts())


def marker_gap(page: Any, container: str) -> float:
    """The distance on screen between the first two markers of the map in `container`."""
    return page.evaluate(
        """(selector) => {
            const [a, b] = [...document.querySelectorAll(selector + ' .pw-map-marker')]
                .map(m => m.getBoundingClientRect());
            return Math.hypot(a.left - b.left, a.top - b.top);
        }""",
        container,
    )
