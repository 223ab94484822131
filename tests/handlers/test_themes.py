"""Themes over HTTP: colours and contrast, logos (checked and served safely), embedding origins."""

from __future__ import annotations

import struct
import zlib

import pytest

from chalicelib import branding
from tests.conftest import problem
from tests.samples import tiny_png

COLOR_KEYS = set(branding.COLOR_KEYS)
PNG = {"Content-Type": "image/png"}
SVG = {"Content-Type": "image/svg+xml"}
ACCEPT_PNG = {"Accept": "image/png"}
ACCEPT_ANY = {"Accept": "*/*"}


def _theme(api, name="Brand", **fields):
    created = api.post("/v1/themes", {"name": name, **fields})
    assert created.status_code == 201, created.body
    return created.json_body


def _pair(theme, foreground, background):
    matches = [
        c
        for c in theme["contrast"]
        if c["foreground"] == foreground and c["background"] == background
    ]
    assert len(matches) == 1, theme["contrast"]
    return matches[0]


def _text(response):
    body = response.body
    return body.decode() if isinstance(body, bytes) else (body or "")


def _put_logo(api, theme_id, data, content_type="image/png", query="?size=small"):
    return api.put(
        f"/v1/themes/{theme_id}/logo{query}", raw=data, headers={"Content-Type": content_type}
    )


def _svg(inner, extra_attributes=""):
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="64" height="64" viewBox="0 0 64 64"{extra_attributes}>{inner}</svg>'
    ).encode()


def _list_ids(api):
    return [t["id"] for t in api.get("/v1/themes?limit=100").json_body["items"]]


def _corrupt_crc(png):
    # The IHDR chunk's CRC sits right after signature (8), length+type (8) and body (13).
    at = 8 + 8 + 13
    (crc,) = struct.unpack(">I", png[at : at + 4])
    return png[:at] + struct.pack(">I", crc ^ 0xFFFFFFFF) + png[at + 4 :]


# --- creating and reading -----------------------------------------------------------


def test_create_theme_returns_all_colours_with_defaults_and_a_clean_contrast_report(api):
    created = api.post(
        "/v1/themes",
        {
            "name": "Nordbau",
            "colors": {"primary": "#1F5FA8", "menu": "#1D2330"},
            "border_width": 2,
            "border_radius": 8,
        },
    )
    assert created.status_code == 201, created.body
    theme = created.json_body
    assert theme["id"].startswith("thm_")
    assert theme["name"] == "Nordbau"
    assert set(theme["colors"]) == COLOR_KEYS
    assert theme["colors"]["primary"] == "#1f5fa8"
    assert theme["colors"]["menu"] == "#1d2330"
    for key in COLOR_KEYS - {"primary", "menu"}:
        assert theme["colors"][key] == branding.DEFAULT_COLORS[key]
    assert theme["border_width"] == 2
    assert theme["border_radius"] == 8
    assert theme["logos"] == {"small": None, "large": None}
    assert theme["version"] == 1
    assert theme["created_at"].endswith("Z")
    pairs = {(c["foreground"], c["background"]) for c in theme["contrast"]}
    assert pairs == set(branding.CONTRAST_PAIRS)
    assert len(theme["contrast"]) == len(branding.CONTRAST_PAIRS)
    for check in theme["contrast"]:
        assert isinstance(check["ratio"], float)
        assert check["passes_aa"] is True
    assert theme["warnings"] == []

    read = api.get(f"/v1/themes/{theme['id']}")
    assert read.status_code == 200
    assert read.json_body == theme


def test_theme_without_colours_gets_every_default(api):
    theme = _theme(api)
    assert theme["colors"] == branding.DEFAULT_COLORS
    assert theme["border_width"] == 1
    assert theme["border_radius"] == 4
    assert theme["warnings"] == []


def test_low_contrast_button_gets_a_warning_with_the_wcag_ratio(api):
    theme = _theme(api, colors={"button": "#777777", "button_text": "#ffffff"})
    check = _pair(theme, "button_text", "button")
    assert check["ratio"] == 4.48
    assert check["passes_aa"] is False
    assert len(theme["warnings"]) == 1
    warning = theme["warnings"][0]
    assert "button_text" in warning
    assert "button" in warning.replace("button_text", "")
    assert "4.48" in warning
    # The other pairs keep the defaults and pass.
    assert all(c["passes_aa"] for c in theme["contrast"] if c is not check)


def test_black_on_white_has_ratio_21(api):
    theme = _theme(api, colors={"page_title": "#000000", "page_background": "#FFFFFF"})
    check = _pair(theme, "page_title", "page_background")
    assert check["ratio"] == 21.0
    assert check["passes_aa"] is True


def test_same_colour_text_and_background_has_ratio_1_and_warns(api):
    theme = _theme(api, colors={"action_button": "#1f5fa8", "action_button_text": "#1F5FA8"})
    check = _pair(theme, "action_button_text", "action_button")
    assert check["ratio"] == 1.0
    assert check["passes_aa"] is False
    assert any("action_button_text" in w for w in theme["warnings"])


def test_list_themes_pages_through_every_theme_once(api):
    ids = [_theme(api, name=f"T{i}")["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        path = "/v1/themes?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(path)
        assert response.status_code == 200
        page = response.json_body
        seen += [t["id"] for t in page["items"]]
        for item in page["items"]:
            assert set(item["colors"]) == COLOR_KEYS
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen)) == 5
    assert pages == 3


def test_unknown_theme_is_404(api):
    body = problem(api.get("/v1/themes/thm_doesnotexist"))
    assert body["status"] == 404


# --- changing and deleting ----------------------------------------------------------


def test_patch_colours_replace_only_the_colours_sent(api):
    theme = _theme(api, colors={"button": "#777777", "primary": "#123456"})
    patched = api.patch(
        f"/v1/themes/{theme['id']}", {"colors": {"primary": "#ABCDEF"}, "name": "Renamed"}
    )
    assert patched.status_code == 200, patched.body
    body = patched.json_body
    assert body["name"] == "Renamed"
    assert body["colors"]["primary"] == "#abcdef"
    assert body["colors"]["button"] == "#777777"
    for key in COLOR_KEYS - {"primary"}:
        assert body["colors"][key] == theme["colors"][key]
    assert body["border_width"] == theme["border_width"]
    assert body["version"] == 2
    assert api.get(f"/v1/themes/{theme['id']}").json_body == body


def test_patch_recomputes_contrast_and_warnings(api):
    theme = _theme(api)
    assert theme["warnings"] == []
    patched = api.patch(
        f"/v1/themes/{theme['id']}", {"colors": {"button": "#777777", "button_text": "#ffffff"}}
    ).json_body
    assert _pair(patched, "button_text", "button")["ratio"] == 4.48
    assert len(patched["warnings"]) == 1
    fixed = api.patch(f"/v1/themes/{theme['id']}", {"colors": {"button_text": "#000000"}})
    assert fixed.json_body["warnings"] == []


def test_patch_border_only_keeps_colours(api):
    theme = _theme(api, colors={"primary": "#000000"})
    patched = api.patch(f"/v1/themes/{theme['id']}", {"border_width": 0, "border_radius": 32})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["border_width"] == 0
    assert patched.json_body["border_radius"] == 32
    assert patched.json_body["colors"] == theme["colors"]


def test_patch_with_stale_version_is_409_and_changes_nothing(api):
    theme = _theme(api)
    first = api.patch(f"/v1/themes/{theme['id']}", {"name": "B", "version": 1})
    assert first.status_code == 200
    stale = api.patch(
        f"/v1/themes/{theme['id']}", {"name": "C", "colors": {"primary": "#000000"}, "version": 1}
    )
    body = problem(stale)
    assert body["status"] == 409
    header_stale = api.patch(
        f"/v1/themes/{theme['id']}", {"name": "C"}, headers={"If-Match": '"1"'}
    )
    assert header_stale.status_code == 409
    after = api.get(f"/v1/themes/{theme['id']}").json_body
    assert after["name"] == "B"
    assert after["colors"]["primary"] == theme["colors"]["primary"]
    assert after["version"] == 2


def test_delete_theme_is_204_then_404(api):
    theme = _theme(api)
    keep = _theme(api, name="Keep")
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 204
    assert problem(api.get(f"/v1/themes/{theme['id']}"))["status"] == 404
    assert problem(api.delete(f"/v1/themes/{theme['id']}"))["status"] == 404
    assert problem(api.patch(f"/v1/themes/{theme['id']}", {"name": "X"}))["status"] == 404
    assert _list_ids(api) == [keep["id"]]


def test_deleted_themes_logo_is_no_longer_served(api, anonymous):
    theme = _theme(api)
    url = _put_logo(api, theme["id"], tiny_png()).json_body["logos"]["small"]["url"]
    assert anonymous.get(url, headers=ACCEPT_PNG).status_code == 200
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 204
    assert problem(anonymous.get(url, headers=ACCEPT_ANY))["status"] == 404


def test_delete_with_stale_if_match_is_409_and_keeps_the_theme(api):
    theme = _theme(api)
    api.patch(f"/v1/themes/{theme['id']}", {"name": "B"})
    stale = api.delete(f"/v1/themes/{theme['id']}", headers={"If-Match": '"1"'})
    assert problem(stale)["status"] == 409
    assert api.get(f"/v1/themes/{theme['id']}").status_code == 200


# --- bad input ----------------------------------------------------------------------

BAD_COLOURS = [
    "red;background:url(//x)",
    "</style><script>alert(1)</script>",
    "#12345",
    "#1234567",
    "rgb(0,0,0)",
    "red",
    "#ggggggg",
    "#12345g",
    "1234567",
    "#123456\n",
    "#123456;",
    "",
]


@pytest.mark.parametrize(
    ("key", "bad"),
    [(branding.COLOR_KEYS[i % len(branding.COLOR_KEYS)], bad) for i, bad in enumerate(BAD_COLOURS)],
)
def test_bad_colour_on_create_is_422_naming_the_colour_and_stores_nothing(api, key, bad):
    before = _list_ids(api)
    response = api.post("/v1/themes", {"name": "Bad", "colors": {key: bad}})
    body = problem(response)
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [f"colors.{key}"]
    assert _list_ids(api) == before


def test_unknown_colour_key_is_422_and_stores_nothing(api):
    before = _list_ids(api)
    for body in (
        {"name": "Bad", "colors": {"background_image": "#123456"}},
        {"name": "Bad", "colors": {"primary": "#123456", "--x": "#123456"}},
    ):
        assert problem(api.post("/v1/themes", body))["status"] == 422
    assert _list_ids(api) == before


def test_colour_that_is_not_a_string_is_422(api):
    for bad in (123456, None, ["#123456"], {"r": 1}):
        body = {"name": "Bad", "colors": {"primary": bad}}
        response = api.post("/v1/themes", body)
        if bad is None:
            # null means "the default" for a colour on create.
            assert response.status_code == 201
            continue
        problem_body = problem(response)
        assert problem_body["status"] == 422
        assert problem_body["errors"][0]["field"] == "colors.primary"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("border_width", 9),
        ("border_width", -1),
        ("border_radius", 33),
        ("border_radius", -1),
        ("border_width", 1.5),
        ("border_width", "2"),
    ],
)
def test_border_out_of_range_is_422_naming_the_field_and_stores_nothing(api, field, value):
    before = _list_ids(api)
    body = problem(api.post("/v1/themes", {"name": "Bad", field: value}))
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]
    assert _list_ids(api) == before


def test_border_limits_themselves_are_accepted(api):
    theme = _theme(api, border_width=8, border_radius=32)
    assert (theme["border_width"], theme["border_radius"]) == (8, 32)
    theme = _theme(api, border_width=0, border_radius=0)
    assert (theme["border_width"], theme["border_radius"]) == (0, 0)


def test_bad_patch_is_422_and_changes_nothing(api):
    theme = _theme(api, colors={"primary": "#123456"})
    for body, field in (
        ({"colors": {"primary": "red;background:url(//x)"}}, "colors.primary"),
        ({"colors": {"border": "</style><script>"}}, "colors.border"),
        ({"colors": {"primary": "#000000", "button": "#1234567"}}, "colors.button"),
        ({"border_width": 9}, "border_width"),
        ({"border_radius": 33}, "border_radius"),
        ({"name": "ok", "border_width": -1}, "border_width"),
    ):
        answer = problem(api.patch(f"/v1/themes/{theme['id']}", body))
        assert answer["status"] == 422
        assert field in [e["field"] for e in answer["errors"]], answer
    assert (
        problem(api.patch(f"/v1/themes/{theme['id']}", {"colors": {"x": "#000000"}}))["status"]
        == 422
    )
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_theme_without_name_is_422(api):
    body = problem(api.post("/v1/themes", {"colors": {"primary": "#123456"}}))
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "name"


# --- logos --------------------------------------------------------------------------


def test_png_logo_is_stored_and_served_publicly_with_safe_headers(api, anonymous, tenant):
    theme = _theme(api)
    png = tiny_png(40, 24)
    response = _put_logo(api, theme["id"], png)
    assert response.status_code == 200, response.body
    body = response.json_body
    small = body["logos"]["small"]
    assert small["content_type"] == "image/png"
    assert (small["width"], small["height"]) == (40, 24)
    assert small["bytes"] == len(png)
    assert small["url"].startswith(f"/p/{tenant.slug}/logos/{theme['id']}/")
    assert body["logos"]["large"] is None
    assert body["version"] == theme["version"] + 1
    assert api.get(f"/v1/themes/{theme['id']}").json_body["logos"]["small"] == small

    served = anonymous.get(small["url"], headers=ACCEPT_PNG)
    assert served.status_code == 200
    assert served.body == png
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["ETag"].startswith('"')
    assert served.headers["ETag"].endswith('"')
    assert len(served.headers["ETag"]) > 2


def test_large_logo_is_separate_from_small(api, anonymous):
    theme = _theme(api)
    _put_logo(api, theme["id"], tiny_png(16, 16))
    big = tiny_png(200, 100)
    response = _put_logo(api, theme["id"], big, query="?size=large")
    assert response.status_code == 200, response.body
    logos = response.json_body["logos"]
    assert (logos["small"]["width"], logos["small"]["height"]) == (16, 16)
    assert (logos["large"]["width"], logos["large"]["height"]) == (200, 100)
    assert logos["small"]["url"] != logos["large"]["url"]
    served = anonymous.get(logos["large"]["url"], headers=ACCEPT_ANY)
    assert served.status_code == 200
    assert served.body == big


def test_replacing_a_logo_gives_a_new_url_with_the_new_bytes(api, anonymous):
    theme = _theme(api)
    first = _put_logo(api, theme["id"], tiny_png(16, 16)).json_body["logos"]["small"]
    second_png = tiny_png(32, 32)
    second = _put_logo(api, theme["id"], second_png).json_body["logos"]["small"]
    assert second["url"] != first["url"]
    assert anonymous.get(second["url"], headers=ACCEPT_PNG).body == second_png
    first_etag = anonymous.get(first["url"], headers=ACCEPT_PNG).headers.get("ETag")
    second_etag = anonymous.get(second["url"], headers=ACCEPT_PNG).headers["ETag"]
    assert first_etag != second_etag


SVG_WITH_COMMENTS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<!-- made by a tool; this comment must go -->\n"
    b'<?xml-stylesheet href="https://evil.example/x.css"?>'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32" viewBox="0 0 64 32">'
    b"<!-- inner comment -->"
    b'<title>Logo</title><rect x="0" y="0" width="64" height="32" fill="#1f5fa8"/>'
    b"</svg>"
)


def test_svg_logo_upload_is_accepted_as_svg(api):
    theme = _theme(api)
    response = _put_logo(api, theme["id"], SVG_WITH_COMMENTS, "image/svg+xml", "?size=large")
    assert response.status_code == 200, response.body
    large = response.json_body["logos"]["large"]
    assert large["content_type"] == "image/svg+xml"
    assert (large["width"], large["height"]) == (64, 32)  # from its viewBox
    # Re-serialised: the comments and the processing instruction are gone.
    assert large["bytes"] < len(SVG_WITH_COMMENTS)
    assert response.json_body["logos"]["small"] is None


def test_svg_logo_is_served_reserialised_as_svg_with_sandbox(api, anonymous):
    theme = _theme(api)
    response = _put_logo(api, theme["id"], SVG_WITH_COMMENTS, "image/svg+xml", "?size=large")
    large = response.json_body["logos"]["large"]

    served = anonymous.get(large["url"], headers={"Accept": "image/svg+xml"})
    assert served.status_code == 200
    text = _text(served)
    assert "<!--" not in text
    assert "comment" not in text
    assert "xml-stylesheet" not in text
    assert "<rect" in text
    assert "#1f5fa8" in text
    assert served.headers["Content-Type"] == "image/svg+xml"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "ETag" in served.headers
    assert large["bytes"] == len(text.encode())


REFUSED_SVGS = {
    "script": _svg("<script>alert(1)</script>"),
    "script_in_group": _svg('<g><script type="text/javascript">alert(1)</script></g>'),
    "onload": _svg('<rect width="1" height="1"/>', ' onload="alert(1)"'),
    "onclick_on_child": _svg('<rect width="1" height="1" onclick="alert(1)"/>'),
    "foreign_object": _svg(
        '<foreignObject width="10" height="10">'
        '<div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
    ),
    "external_xlink_href": _svg('<use xlink:href="https://evil.example/x.svg#a"/>'),
    "external_href": _svg('<use href="http://evil.example/x.svg#a"/>'),
    "javascript_href": _svg('<use href="javascript:alert(1)"/>'),
    "image_element": _svg('<image href="https://evil.example/x.png" width="1" height="1"/>'),
    "doctype_entity": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    ),
    "external_entity": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    ),
    "fill_url_external": _svg('<rect width="1" height="1" fill="url(http://x)"/>'),
    "style_element": _svg("<style>rect{fill:url(http://x)}</style>"),
    "style_attribute": _svg('<rect width="1" height="1" style="fill:red"/>'),
    "not_svg_root": b'<html xmlns="http://www.w3.org/1999/xhtml"><body>hi</body></html>',
    "not_xml": b"<svg><unclosed>",
}


@pytest.mark.parametrize("case", sorted(REFUSED_SVGS))
def test_unsafe_svg_logo_is_refused_and_the_theme_is_unchanged(api, case):
    theme = _theme(api)
    response = _put_logo(api, theme["id"], REFUSED_SVGS[case], "image/svg+xml")
    body = problem(response)
    assert body["status"] == 422, body
    assert body["errors"][0]["field"] == "body"
    after = api.get(f"/v1/themes/{theme['id']}").json_body
    assert after["logos"] == {"small": None, "large": None}
    assert after == theme


def _short_ihdr_png():
    # An IHDR of 4 bytes (width only) with a correct CRC, then the rest of a valid PNG.
    png = tiny_png()
    body = png[16:20]
    ihdr = (
        struct.pack(">I", len(body))
        + b"IHDR"
        + body
        + struct.pack(">I", zlib.crc32(b"IHDR" + body))
    )
    return png[:8] + ihdr + png[8 + 25 :]


REFUSED_PNGS = {
    "html": (b"<html><script>alert(1)</script></html>", 422),
    "bad_crc": (_corrupt_crc(tiny_png(32, 32)), 422),
    "too_small": (tiny_png(8, 8), 422),
    "truncated": (tiny_png(32, 32)[:-20], 422),
    "short_ihdr": (_short_ihdr_png(), 422),
}


@pytest.mark.parametrize("case", sorted(REFUSED_PNGS))
def test_bad_png_logo_is_422_and_the_theme_is_unchanged(api, case):
    theme = _theme(api)
    data, status = REFUSED_PNGS[case]
    body = problem(_put_logo(api, theme["id"], data))
    assert body["status"] == status
    assert body["errors"][0]["field"] == "body"
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_png_bytes_sent_as_svg_are_refused(api):
    theme = _theme(api)
    body = problem(_put_logo(api, theme["id"], tiny_png(32, 32), "image/svg+xml"))
    assert body["status"] == 422
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "image/gif", "text/xml"])
def test_logo_of_another_content_type_is_415(api, content_type):
    theme = _theme(api)
    body = problem(_put_logo(api, theme["id"], b"<html>hi</html>", content_type))
    assert body["status"] == 415
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_logo_over_5_mb_is_413(api):
    theme = _theme(api)
    png = tiny_png(32, 32)
    huge = png + b"\x00" * (5 * 1024 * 1024 + 1 - len(png))
    body = problem(_put_logo(api, theme["id"], huge))
    assert body["status"] == 413
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_png_logo_over_1_mb_is_413(api):
    theme = _theme(api)
    png = tiny_png(32, 32)
    big = png + b"\x00" * (1024 * 1024 + 1 - len(png))
    body = problem(_put_logo(api, theme["id"], big))
    assert body["status"] == 413
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_empty_logo_is_422(api):
    theme = _theme(api)
    body = problem(_put_logo(api, theme["id"], b""))
    assert body["status"] == 422
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


@pytest.mark.parametrize("query", ["?size=medium", "", "?size=", "?size=SMALL", "?other=small"])
def test_logo_size_other_than_small_or_large_is_422_naming_query_size(api, query):
    theme = _theme(api)
    body = problem(_put_logo(api, theme["id"], tiny_png(), query=query))
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["query.size"]
    assert api.get(f"/v1/themes/{theme['id']}").json_body == theme


def test_logo_for_unknown_theme_is_404(api):
    assert problem(_put_logo(api, "thm_doesnotexist", tiny_png()))["status"] == 404


@pytest.mark.parametrize(
    "name",
    [
        "logo-small-0000000000000000",
        "logo-medium-0123456789abcdef",
        "..%2F..%2Fetc%2Fpasswd",
        "logo-small-0123456789abcdef.type",
        "logo-small-0123456789abcdef.partial",
    ],
)
def test_logo_url_that_names_no_stored_logo_is_404(anonymous, api, tenant, name):
    theme = _theme(api)
    response = anonymous.get(f"/p/{tenant.slug}/logos/{theme['id']}/{name}", headers=ACCEPT_ANY)
    assert problem(response)["status"] == 404


def test_logo_url_of_unknown_tenant_slug_is_404(api, anonymous):
    theme = _theme(api)
    url = _put_logo(api, theme["id"], tiny_png()).json_body["logos"]["small"]["url"]
    parts = url.split("/")
    parts[2] = "no-such-tenant-slug"
    assert problem(anonymous.get("/".join(parts), headers=ACCEPT_ANY))["status"] == 404


# --- other tenants ------------------------------------------------------------------


def test_other_tenant_cannot_read_change_delete_or_upload_to_a_theme(api, other_api):
    theme = _theme(api, colors={"primary": "#123456"})
    path = f"/v1/themes/{theme['id']}"
    assert problem(other_api.get(path))["status"] == 404
    assert problem(other_api.patch(path, {"name": "Taken"}))["status"] == 404
    assert problem(other_api.patch(path, {"colors": {"primary": "#000000"}}))["status"] == 404
    assert problem(other_api.delete(path))["status"] == 404
    assert problem(_put_logo(other_api, theme["id"], tiny_png()))["status"] == 404
    assert problem(_put_logo(other_api, theme["id"], _svg(""), "image/svg+xml"))["status"] == 404
    assert theme["id"] not in _list_ids(other_api)
    assert api.get(path).json_body == theme


def test_logo_url_with_another_tenants_slug_is_404(api, other_api, anonymous, tenant, other_tenant):
    theme = _theme(api)
    url = _put_logo(api, theme["id"], tiny_png()).json_body["logos"]["small"]["url"]
    assert anonymous.get(url, headers=ACCEPT_PNG).status_code == 200
    foreign = url.replace(f"/p/{tenant.slug}/", f"/p/{other_tenant.slug}/", 1)
    assert foreign != url
    assert problem(anonymous.get(foreign, headers=ACCEPT_ANY))["status"] == 404


# --- embedding ----------------------------------------------------------------------


def test_embedding_starts_empty_and_keeps_what_is_put(api):
    start = api.get("/v1/settings/embedding")
    assert start.status_code == 200
    assert start.json_body == {"allowed_origins": []}
    origins = ["https://shop.example.com", "http://localhost:8080"]
    put = api.put("/v1/settings/embedding", {"allowed_origins": origins})
    assert put.status_code == 200, put.body
    assert put.json_body == {"allowed_origins": origins}
    assert api.get("/v1/settings/embedding").json_body == {"allowed_origins": origins}

    replaced = api.put("/v1/settings/embedding", {"allowed_origins": []})
    assert replaced.status_code == 200
    assert api.get("/v1/settings/embedding").json_body == {"allowed_origins": []}


def test_embedding_accepts_https_with_port_and_local_http(api):
    origins = ["https://shop.example.com:8443", "http://127.0.0.1:3000", "http://localhost"]
    put = api.put("/v1/settings/embedding", {"allowed_origins": origins})
    assert put.status_code == 200, put.body
    assert api.get("/v1/settings/embedding").json_body["allowed_origins"] == origins


@pytest.mark.parametrize(
    "origins",
    [
        ["http://shop.example.com"],
        ["https://shop.example.com/path"],
        ["https://shop.example.com/"],
        ["https://*.example.com"],
        ["javascript:alert(1)"],
        ["*"],
        ["null"],
        ["https://shop.example.com?x=1"],
        ["https://user@shop.example.com"],
        ["http://localhost.evil.example"],
        ["https://shop.example.com", "https://shop.example.com"],
        ["https://shop.example.com\n"],
        ["HTTPS://SHOP.EXAMPLE.COM"],
    ],
    ids=[
        "http_not_localhost",
        "path",
        "trailing_slash",
        "wildcard",
        "javascript",
        "star",
        "null",
        "query",
        "userinfo",
        "localhost_prefix",
        "duplicate",
        "trailing_newline",
        "upper_case",
    ],
)
def test_bad_embedding_origin_is_422_and_stores_nothing(api, origins):
    before = ["https://keep.example.com"]
    assert api.put("/v1/settings/embedding", {"allowed_origins": before}).status_code == 200
    body = problem(api.put("/v1/settings/embedding", {"allowed_origins": origins}))
    assert body["status"] == 422
    assert body["errors"][0]["field"].startswith("allowed_origins")
    assert api.get("/v1/settings/embedding").json_body == {"allowed_origins": before}


def test_embedding_needs_the_admin_scope(api):
    created = api.post("/v1/api-keys", {"name": "w", "scopes": ["write"]})
    assert created.status_code == 201, created.body
    writer = api.as_key(created.json_body["key"])
    assert problem(writer.get("/v1/settings/embedding"))["status"] == 403
    put = writer.put("/v1/settings/embedding", {"allowed_origins": ["https://evil.example"]})
    assert problem(put)["status"] == 403
    assert api.get("/v1/settings/embedding").json_body == {"allowed_origins": []}


def test_embedding_is_per_tenant(api, other_api):
    api.put("/v1/settings/embedding", {"allowed_origins": ["https://a.example.com"]})
    assert other_api.get("/v1/settings/embedding").json_body == {"allowed_origins": []}
