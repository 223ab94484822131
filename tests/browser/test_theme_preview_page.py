"""The theme preview in a real Chromium: the theme's colours are what the browser paints,
in German and Danish, on a light and a dark surround. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

COLORS = {
    "menu": "#0f3d3e",
    "page_title": "#003366",
    "page_background": "#fdfcf7",
    "section_header_background": "#0f766e",
    "section_header_text": "#ffffff",
    "action_button": "#c2410c",
    "action_button_text": "#ffffff",
    "discount_text": "#166534",
}


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture
def preview(api, tenant, browser, local_server):
    theme = api.post(
        "/v1/themes", {"name": "Nordic Rental", "colors": COLORS, "border_radius": 10}
    ).json_body
    context = browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {tenant.key}"},
        viewport={"width": 900, "height": 600},
    )
    page = context.new_page()

    def open_preview(query: str):
        response = page.goto(f"{local_server}/v1/themes/{theme['id']}/preview?{query}")
        assert response is not None
        assert response.status == 200
        return page

    yield open_preview
    context.close()


def _style(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


def test_the_browser_paints_the_theme_colours(preview):
    page = preview("language=en")
    assert _style(page, "h1", "color") == _rgb(COLORS["page_title"])
    assert _style(page, ".page", "backgroundColor") == _rgb(COLORS["page_background"])
    assert _style(page, ".menu", "backgroundColor") == _rgb(COLORS["menu"])
    assert _style(page, ".section h2", "backgroundColor") == _rgb(
        COLORS["section_header_background"]
    )
    assert _style(page, "button.action", "backgroundColor") == _rgb(COLORS["action_button"])
    assert _style(page, "button.action", "borderTopLeftRadius") == "10px"
    assert _style(page, ".discount", "color") == _rgb(COLORS["discount_text"])
    assert _style(page, ".menu", "color") == "rgb(255, 255, 255)"  # readable on dark teal
    screenshot(page, "theme-preview-en-light")


@pytest.mark.parametrize(
    ("language", "heading", "action"),
    [("de", "Willkommen in Ihrem Portal", "Speichern"), ("da", "Velkommen til din portal", "Gem")],
)
def test_the_preview_reads_in_german_and_danish(preview, language, heading, action):
    page = preview(f"language={language}&mode=dark")
    assert page.inner_text("h1") == heading
    assert page.inner_text("button.action") == action
    assert page.eval_on_selector("html", "e => e.lang") == language
    assert _style(page, "body", "backgroundColor") == _rgb("#16181d")
    screenshot(page, f"theme-preview-{language}-dark")


def test_the_preview_loads_nothing_from_elsewhere(preview, local_server):
    requests: list[str] = []
    page = preview("language=en")
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    assert all(url.startswith(local_server) for url in requests), requests
