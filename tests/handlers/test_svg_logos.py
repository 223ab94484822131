"""SVG logos over HTTP (issue 11): an accepted SVG shows on the pages with width and height
taken from its viewBox; one nested thousands deep, one with a CSS-escaped external url(), or
one without a size is a 422 naming the body, and the theme keeps the logo it had."""

from __future__ import annotations

import re

import pytest

from tests.conftest import problem

SVG_NS = "http://www.w3.org/2000/svg"


def _svg(inner: str, attributes: str = 'viewBox="0 0 120 40"') -> bytes:
    return f'<svg xmlns="{SVG_NS}" {attributes}>{inner}</svg>'.encode()


def _theme_on_a_portal(api) -> tuple[dict, str]:
    theme = api.post("/v1/themes", {"name": "Brand"}).json_body
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body["id"]
    portal = api.put(
        f"/v1/customers/{customer}/portal", {"apps": ["equipment"], "theme_id": theme["id"]}
    )
    assert portal.status_code in (200, 201), portal.body
    url = portal.json_body["page_url"]
    return theme, url[url.index("/p/") :]


def _upload(api, theme_id: str, data: bytes, size: str = "large"):
    return api.put(
        f"/v1/themes/{theme_id}/logo?size={size}",
        raw=data,
        headers={"Content-Type": "image/svg+xml"},
    )


def _images(html: str) -> list[str]:
    return re.findall(r"<img [^>]*>", html)


def test_an_svg_logo_shows_on_the_portal_page_with_width_and_height(api, anonymous):
    theme, page = _theme_on_a_portal(api)
    uploaded = _upload(api, theme["id"], _svg('<rect width="120" height="40" fill="#1f5fa8"/>'))
    assert uploaded.status_code == 200, uploaded.body
    logo = uploaded.json_body["logos"]["large"]
    assert (logo["width"], logo["height"]) == (120, 40)
    images = _images(anonymous.get(page).body.decode())
    assert len(images) == 1
    assert f'src="{logo["url"]}"' in images[0]
    assert 'width="96"' in images[0]  # 32 px high, in the logo's proportions
    assert 'height="32"' in images[0]
    served = anonymous.get(logo["url"], headers={"Accept": "image/svg+xml"})
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_svg("<g>" * 5000 + "<rect/>" + "</g>" * 5000), id="5000-nested-groups"),
        pytest.param(_svg('<rect fill="u\\rl(https://evil.example/x)"/>'), id="css-escaped-url"),
        pytest.param(_svg('<rect fill="\\75 rl(https://evil.example/x)"/>'), id="hex-escaped-url"),
        pytest.param(_svg("<rect/>", 'width="100%"'), id="no-size"),
    ],
)
def test_a_refused_svg_is_422_on_the_body_and_the_old_logo_stays(api, anonymous, data):
    theme, page = _theme_on_a_portal(api)
    first = _upload(api, theme["id"], _svg('<rect width="120" height="40"/>'))
    assert first.status_code == 200, first.body
    refused = _upload(api, theme["id"], data)
    assert refused.status_code == 422, refused.body
    body = problem(refused)
    assert [e["field"] for e in body["errors"]] == ["body"]
    stored = api.get(f"/v1/themes/{theme['id']}").json_body
    assert stored["logos"]["large"] == first.json_body["logos"]["large"]
    assert stored["version"] == first.json_body["version"]
    assert first.json_body["logos"]["large"]["url"] in anonymous.get(page).body.decode()
