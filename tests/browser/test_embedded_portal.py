"""A hosted page in a real Chromium, inside an iFrame of a provider's website.

The website is served from a second local port (another origin). When that origin is on
the tenant's allowlist the page loads in the frame and reports its height to it; when it
is not, Chromium refuses to show the page in the frame. The page paints the theme's
colours, reads in German and Danish, and loads nothing from another host. Screenshots go
to test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Website
from tests.conftest import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True),
]

COLORS = {
    "menu": "#14213d",
    "page_title": "#7a1f00",
    "page_background": "#fff8ee",
    "section_header_background": "#2a6041",
    "section_header_text": "#ffffff",
    "action_button": "#9b2226",
    "action_button_text": "#ffffff",
}

# The provider's website: a shop page that frames the portal and grows the frame to the
# height the page reports, accepting messages from Portway's origin only.
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body style="margin:0;font:15px sans-serif">
<h1 style="margin:8px 16px">Our shop</h1>
<iframe id="portal" src="{src}" title="Customer portal"
        style="width:100%;height:120px;border:0;display:block"></iframe>
<script>
window.heights = [];
window.addEventListener("message", function (event) {{
  if (event.origin !== "{portway}") return;
  if (event.data && event.data.type === "portway:height") {{
    window.heights.push(event.data.height);
    document.getElementById("portal").style.height = event.data.height + "px";
  }}
}});
</script>
</body></html>
"""


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture
def portal_path(api, tenant):
    """A customer's portal in a themed template; the path of its page."""
    theme = api.post("/v1/themes", {"name": "Harbour", "colors": COLORS, "border_radius": 8})
    template = api.post(
        "/v1/portal-templates",
        {
            "name": "Rental",
            "apps": ["equipment", "activity", "reports"],
            "theme_id": theme.json_body["id"],
        },
    )
    customer = api.post("/v1/customers", {"name": "Hafenbau GmbH"}).json_body
    portal = api.put(
        f"/v1/customers/{customer['id']}/portal", {"template_id": template.json_body["id"]}
    )
    assert portal.status_code == 200, portal.body
    return portal.json_body["page_url"].split("localhost:8000", 1)[1]


@pytest.fixture
def page_of(browser):
    """A fresh browser page that records every URL it requests."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 900, "height": 700})
        contexts.append(context)
        page = context.new_page()
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        return page

    yield open_page
    for context in contexts:
        context.close()


def _apps(page) -> list[str]:
    """The menu's apps (shown once someone has signed in)."""
    return page.locator("nav#apps a").all_text_contents()


def _embed(shop: Website, local_server: str, path: str) -> str:
    shop.default = SHOP_PAGE.format(src=f"{local_server}{path}", portway=local_server)
    return shop.origin


def test_page_loads_in_a_frame_of_an_allowed_origin_and_reports_its_height(
    api, website, local_server, portal_path, page_of
):
    shop_origin = _embed(website, local_server, portal_path + "&language=de")
    allowed = api.put("/v1/settings/embedding", {"allowed_origins": [shop_origin]})
    assert allowed.status_code == 200, allowed.body

    page = page_of()
    page.goto(shop_origin + "/")
    frame = page.frame_locator("#portal")
    assert frame.locator("h1").inner_text() == "Kundenportal"
    page.wait_for_function("window.heights.length > 0")
    height = page.evaluate("window.heights[window.heights.length - 1]")
    assert height > 200  # the sign-in card alone is taller than the frame's first 120 px
    frame_box = page.locator("#portal").bounding_box()
    assert frame_box is not None
    assert round(frame_box["height"]) == height
    assert {url.split("/", 3)[2] for url in page.requested} == {
        shop_origin.split("//")[1],
        local_server.split("//")[1],
    }
    screenshot(page, "portal-in-allowed-frame-de")


def test_page_is_refused_in_a_frame_of_an_origin_not_allowed(
    api, website, local_server, portal_path, page_of
):
    shop_origin = _embed(website, local_server, portal_path)
    api.put("/v1/settings/embedding", {"allowed_origins": ["https://shop.example.com"]})

    page = page_of()
    page.goto(shop_origin + "/")
    page.wait_for_timeout(500)  # let the frame finish (or fail) loading
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.url.startswith("chrome-error://")  # Chromium refused the framed page
    assert page.evaluate("window.heights") == []
    screenshot(page, "portal-refused-in-frame")


def test_page_is_refused_in_any_frame_while_no_origin_is_allowed(
    api, website, local_server, portal_path, page_of
):
    shop_origin = _embed(website, local_server, portal_path)
    api.put("/v1/settings/embedding", {"allowed_origins": []})

    page = page_of()
    page.goto(shop_origin + "/")
    page.wait_for_timeout(500)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.url.startswith("chrome-error://")


def test_the_portal_page_paints_the_theme_and_loads_nothing_from_elsewhere(
    local_server, portal_path, page_of
):
    page = page_of()
    response = page.goto(f"{local_server}{portal_path}&language=en")
    assert response is not None
    assert response.status == 200

    def style(selector: str, prop: str) -> str:
        return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")

    assert style(".menu", "backgroundColor") == _rgb(COLORS["menu"])
    assert style("h1", "color") == _rgb(COLORS["page_title"])
    assert style("body", "backgroundColor") == _rgb(COLORS["page_background"])
    assert style(".card h2", "backgroundColor") == _rgb(COLORS["section_header_background"])
    assert style("button.action", "backgroundColor") == _rgb(COLORS["action_button"])
    assert style("button.action", "borderTopLeftRadius") == "8px"
    assert _apps(page) == ["Equipment", "Activity", "Reports"]
    assert all(url.startswith(local_server) for url in page.requested)
    screenshot(page, "portal-page-en")


@pytest.mark.parametrize(
    ("language", "heading", "button", "apps"),
    [
        ("de", "Kundenportal", "Anmelden", ["Ausrüstung", "Aktivität", "Berichte"]),
        ("da", "Kundeportal", "Log ind", ["Udstyr", "Aktivitet", "Rapporter"]),
    ],
)
def test_the_portal_page_reads_in_german_and_danish(
    local_server, portal_path, page_of, language, heading, button, apps
):
    page = page_of()
    page.goto(f"{local_server}{portal_path}&language={language}")
    assert page.inner_text("h1") == heading
    assert page.inner_text("button.action") == button
    assert _apps(page) == apps
    assert page.eval_on_selector("html", "e => e.lang") == language
    screenshot(page, f"portal-page-{language}")
