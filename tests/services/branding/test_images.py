"""Logo checks without storage: PNG by its structure, SVG by the allowlist."""

from __future__ import annotations

import struct
import zlib

import pytest

from chalicelib.errors import Invalid, PayloadTooLarge
from chalicelib.services.branding import images
from chalicelib.services.branding.images import check_logo, check_png, check_svg
from tests.samples import tiny_png

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    value = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", value)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, offset = [], len(SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        out.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return out


def _build(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return SIGNATURE + b"".join(_chunk(kind, body) for kind, body in chunks)


def _svg(inner: str, extra_attributes: str = "") -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="64" height="64" viewBox="0 0 64 64"{extra_attributes}>{inner}</svg>'
    ).encode()


def _refused(check, data, *args):
    with pytest.raises(Invalid) as caught:
        check(data, *args)
    assert caught.value.status == 422
    assert caught.value.errors
    return caught.value


# --- PNG ----------------------------------------------------------------------------


def test_valid_png_is_accepted_with_its_size():
    png = tiny_png(40, 24)
    image = check_png(png)
    assert image.data == png
    assert image.content_type == "image/png"
    assert (image.width, image.height) == (40, 24)


@pytest.mark.parametrize("side", [images.MIN_SIDE, images.MAX_SIDE])
def test_png_at_the_side_limits_is_accepted(side):
    image = check_png(tiny_png(side, images.MIN_SIDE))
    assert image.width == side


def test_png_without_signature_is_refused():
    png = tiny_png()
    error = _refused(check_png, png[8:])
    assert error.errors[0].field == "body"
    _refused(check_png, b"<html><script>alert(1)</script></html>")
    _refused(check_png, b"\x89PNG" + png[8:])
    _refused(check_png, b"")


@pytest.mark.parametrize("cut", [1, 4, 11, 12, 20])
def test_truncated_png_is_refused(cut):
    _refused(check_png, tiny_png()[:-cut])


def test_png_of_only_a_signature_is_refused():
    _refused(check_png, SIGNATURE)


@pytest.mark.parametrize("kind", [b"IHDR", b"IDAT", b"IEND"])
def test_png_with_a_bad_crc_is_refused(kind):
    png = SIGNATURE + b"".join(
        _chunk(k, body, crc=(zlib.crc32(k + body) ^ 1) if k == kind else None)
        for k, body in _chunks(tiny_png())
    )
    error = _refused(check_png, png)
    assert "checksum" in error.errors[0].message


def test_png_with_a_flipped_pixel_byte_is_refused():
    png = bytearray(tiny_png(32, 32))
    idat_body_start = 8 + 25 + 8  # signature, IHDR chunk, IDAT length and type
    png[idat_body_start + 2] ^= 0xFF
    _refused(check_png, bytes(png))


def test_png_without_iend_is_refused():
    chunks = _chunks(tiny_png())
    assert chunks[-1][0] == b"IEND"
    _refused(check_png, _build(chunks[:-1]))


def test_png_with_data_after_iend_is_refused():
    chunks = _chunks(tiny_png())
    _refused(check_png, _build([*chunks, (b"tEXt", b"after\x00end")]))


def test_png_whose_first_chunk_is_not_ihdr_is_refused():
    ihdr, idat, iend = _chunks(tiny_png())
    _refused(check_png, _build([idat, ihdr, iend]))
    _refused(check_png, _build([(b"tEXt", b"k\x00v"), ihdr, idat, iend]))


def test_png_with_a_short_ihdr_is_refused():
    ihdr, idat, iend = _chunks(tiny_png())
    _refused(check_png, _build([(b"IHDR", ihdr[1][:4]), idat, iend]))


@pytest.mark.parametrize(
    ("width", "height"), [(8, 8), (8, 32), (32, 8), (15, 16), (5000, 16), (16, 5000), (0, 0)]
)
def test_png_with_sides_out_of_range_is_refused(width, height):
    error = _refused(check_png, tiny_png(width, height))
    assert "pixels" in error.errors[0].message


def test_png_over_1_mb_is_payload_too_large():
    png = tiny_png()
    with pytest.raises(PayloadTooLarge) as caught:
        check_png(png + b"\x00" * (images.MAX_LOGO_BYTES + 1 - len(png)))
    assert caught.value.status == 413


def test_png_of_exactly_1_mb_is_checked_for_structure_not_size():
    png = tiny_png()
    padded = png + b"\x00" * (images.MAX_LOGO_BYTES - len(png))
    # Not too large, but the padding after IEND is not a chunk.
    _refused(check_png, padded)


# --- SVG ----------------------------------------------------------------------------

ACCEPTED_SVGS = {
    "shapes": _svg(
        '<title>Logo</title><desc>ours</desc><g transform="translate(1,1)">'
        '<rect x="0" y="0" width="10" height="10" fill="#1f5fa8" stroke="#000000"/>'
        '<circle cx="5" cy="5" r="2"/><path d="M0 0L10 10"/>'
        '<text x="1" y="9" font-family="sans-serif" font-size="8">Acme &amp; Co</text></g>'
    ),
    "local_xlink_href": _svg(
        '<defs><symbol id="mark"><rect width="4" height="4"/></symbol></defs>'
        '<use xlink:href="#mark" x="2" y="2"/>'
    ),
    "local_href": _svg('<defs><rect id="r" width="4" height="4"/></defs><use href="#r"/>'),
    "local_gradient_url": _svg(
        '<defs><linearGradient id="grad"><stop offset="0" stop-color="#ffffff"/>'
        '<stop offset="1" stop-color="#000000"/></linearGradient></defs>'
        '<rect width="10" height="10" fill="url(#grad)"/>'
    ),
    "xml_declaration": b'<?xml version="1.0" encoding="UTF-8"?>' + _svg("<rect/>"),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED_SVGS))
def test_svg_of_drawing_elements_is_accepted(case):
    image = check_svg(ACCEPTED_SVGS[case])
    assert image.content_type == "image/svg+xml"
    assert (image.width, image.height) == (64, 64)  # from the viewBox
    assert image.data.lstrip().startswith((b"<svg", b"<?xml"))
    assert b"<svg" in image.data


def test_svg_with_local_xlink_href_keeps_the_link():
    image = check_svg(ACCEPTED_SVGS["local_xlink_href"])
    assert b'xlink:href="#mark"' in image.data


def test_accepted_svg_is_reserialised_without_comments_or_processing_instructions():
    svg = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<!-- Generator: a tool. -->\n"
        b'<?xml-stylesheet type="text/css" href="https://evil.example/x.css"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">'
        b"<!-- <script>alert(1)</script> -->"
        b'<rect width="4" height="4" fill="#123456"/><!-- tail -->'
        b"</svg>"
    )
    image = check_svg(svg)
    assert b"<!--" not in image.data
    assert b"Generator" not in image.data
    assert b"script" not in image.data
    assert b"xml-stylesheet" not in image.data
    assert b"<?" not in image.data.split(b"?>", 1)[-1]
    assert b'fill="#123456"' in image.data
    assert image.data != svg


def test_svg_text_is_escaped_in_the_output():
    image = check_svg(_svg("<text>&lt;script&gt;alert(1)&lt;/script&gt;</text>"))
    assert b"<script>" not in image.data
    assert b"&lt;script&gt;" in image.data


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n'
    b"<!DOCTYPE svg [\n"
    b' <!ENTITY lol "lol">\n'
    b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
    b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    b' <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n'
    b' <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">\n'
    b' <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">\n'
    b' <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">\n'
    b' <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">\n'
    b' <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">\n'
    b"]>\n"
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol9;</text></svg>'
)

REFUSED_SVGS = {
    "script": _svg("<script>alert(1)</script>"),
    "script_in_defs": _svg("<defs><script>alert(1)</script></defs>"),
    "script_other_namespace": _svg(
        '<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'
    ),
    "onload_on_root": _svg("<rect/>", ' onload="alert(1)"'),
    "onclick_on_child": _svg('<rect onclick="alert(1)"/>'),
    "upper_case_handler": _svg('<rect ONMOUSEOVER="alert(1)"/>'),
    "foreign_object": _svg(
        '<foreignObject width="10" height="10">'
        '<div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>'
    ),
    "external_xlink_href": _svg('<use xlink:href="https://evil.example/x.svg#a"/>'),
    "external_href": _svg('<use href="http://evil.example/x.svg#a"/>'),
    "protocol_relative_href": _svg('<use href="//evil.example/x.svg#a"/>'),
    "javascript_href": _svg('<use xlink:href="javascript:alert(1)"/>'),
    "data_href": _svg('<use href="data:image/svg+xml;base64,PHN2Zz4="/>'),
    "anchor": _svg('<a href="#x"><rect/></a>'),
    "image": _svg('<image href="#x" width="1" height="1"/>'),
    "animate": _svg('<animate attributeName="href" to="javascript:alert(1)"/>'),
    "set": _svg('<set attributeName="onmouseover" to="alert(1)"/>'),
    "iframe": _svg('<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://x"/>'),
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
    ),
    "internal_entity": (
        b'<!DOCTYPE svg [<!ENTITY x "boom">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    ),
    "external_entity": (
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    ),
    "billion_laughs": BILLION_LAUGHS,
    "fill_url_external": _svg('<rect fill="url(http://x)"/>'),
    "fill_url_spaced": _svg('<rect fill="URL ( https://x/#a )"/>'),
    "fill_url_local_then_external": _svg('<rect fill="url(#a) url(http://x)"/>'),
    "mask_url_external": _svg('<g mask="url(https://evil.example/m.svg#m)"/>'),
    "style_element": _svg("<style>rect { fill: red }</style>"),
    "style_element_import": _svg('<style>@import url("https://evil.example/x.css");</style>'),
    "style_attribute": _svg('<rect style="fill:url(http://x)"/>'),
    "unknown_attribute": _svg('<rect formaction="x"/>'),
    "attribute_other_namespace": _svg('<rect xmlns:e="urn:evil" e:href="http://x"/>'),
    "no_namespace": b'<svg width="1" height="1"><rect/></svg>',
    "html_root": b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    "not_xml": b"<svg xmlns='http://www.w3.org/2000/svg'><rect>",
    "png_bytes": tiny_png(),
    "empty": b"",
}


@pytest.mark.parametrize("case", sorted(REFUSED_SVGS))
def test_unsafe_or_malformed_svg_is_refused(case):
    error = _refused(check_svg, REFUSED_SVGS[case])
    assert error.errors[0].field == "body"


def test_svg_over_256_kb_is_payload_too_large():
    padding = "<desc>" + "x" * images.MAX_SVG_BYTES + "</desc>"
    with pytest.raises(PayloadTooLarge) as caught:
        check_svg(_svg(padding))
    assert caught.value.status == 413


# --- check_logo ---------------------------------------------------------------------


def test_check_logo_dispatches_by_content_type():
    png = tiny_png(20, 30)
    assert check_logo(png, "image/png").width == 20
    assert check_logo(png, "IMAGE/PNG; charset=binary").height == 30
    assert check_logo(ACCEPTED_SVGS["shapes"], "image/svg+xml").content_type == "image/svg+xml"


def test_check_logo_checks_the_bytes_not_the_declared_type():
    _refused(check_logo, b"<html><script>alert(1)</script></html>", "image/png")
    _refused(check_logo, tiny_png(), "image/svg+xml")
    _refused(check_logo, REFUSED_SVGS["script"], "image/svg+xml")
    _refused(check_logo, tiny_png(8, 8), "image/png")


def test_check_logo_refuses_other_content_types():
    for content_type in ("text/html", "image/gif", "application/octet-stream", ""):
        error = _refused(check_logo, tiny_png(), content_type)
        assert error.errors[0].field == "Content-Type"


def test_check_logo_too_large_is_413():
    png = tiny_png()
    with pytest.raises(PayloadTooLarge):
        check_logo(png + b"\x00" * images.MAX_LOGO_BYTES, "image/png")


# --- issue 11: deep nesting, CSS escapes, a size for every SVG -------------------------------


def _nested_svg(depth: int) -> bytes:
    return _svg("<g>" * depth + "<rect/>" + "</g>" * depth)


@pytest.mark.parametrize("depth", [images.MAX_SVG_DEPTH, 1000, 5000])
def test_svg_nested_deeper_than_the_limit_is_422_not_a_recursion_error(depth):
    error = _refused(check_svg, _nested_svg(depth))
    assert error.errors[0].field == "body"
    assert "deeper" in error.errors[0].message


def test_svg_nested_up_to_the_limit_is_accepted():
    # the root <svg> is level 1, each <g> one more, the <rect> the last
    assert check_svg(_nested_svg(images.MAX_SVG_DEPTH - 2)).content_type == "image/svg+xml"


CSS_ESCAPED_URLS = {
    "backslash_letter": "u\\rl(https://evil.example/x)",
    "backslash_every_letter": "\\u\\r\\l(https://evil.example/x)",
    "hex_escape": "\\75 rl(https://evil.example/x)",
    "hex_escape_six_digits": "\\000075rl(https://evil.example/x)",
    "hex_escape_upper": "\\55RL(https://evil.example/x)",
    "escaped_paren": "url\\(https://evil.example/x)",
    "comment_inside": "url(/**/https://evil.example/x)",
    "backslash_newline": "u\\\nrl(https://evil.example/x)",
    "xml_entity_backslash": "u&#x5c;rl(https://evil.example/x)",
    "src_function": "src(https://evil.example/x)",
    "image_set": "image-set(https://evil.example/x 1x)",
    "escaped_local_then_external": "url(#a) \\75 rl(http://x)",
}


@pytest.mark.parametrize("case", sorted(CSS_ESCAPED_URLS))
def test_svg_css_escaped_external_reference_is_refused(case):
    error = _refused(check_svg, _svg(f'<rect fill="{CSS_ESCAPED_URLS[case]}"/>'))
    assert "url()" in error.errors[0].message


def test_css_escapes_are_decoded_as_a_browser_decodes_them():
    assert images.css_unescaped("u\\rl(") == "url("
    assert images.css_unescaped("\\75 rl(") == "url("
    assert images.css_unescaped("\\000075rl(") == "url("
    assert images.css_unescaped("a/* x */b") == "ab"
    assert images.css_unescaped("\\0 x") == "\ufffdx"


def test_svg_with_an_escaped_local_url_is_accepted():
    image = check_svg(
        _svg('<defs><linearGradient id="g"/></defs><rect width="1" height="1" fill="url(\\23 g)"/>')
    )
    assert image.content_type == "image/svg+xml"


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        ('viewBox="0 0 64 64"', (64, 64)),
        ('viewBox="0,0,120,40"', (120, 40)),
        ('viewBox="-5 -5 300.4 100.2" width="100%"', (300, 100)),
        ('width="200" height="50"', (200, 50)),
        ('width="200px" height="50px"', (200, 50)),
        ('viewBox="0 0 1 0.25"', (64, 16)),  # scaled up to the smallest side
        ('viewBox="0 0 10000 5000"', (4096, 2048)),  # scaled down to the largest side
        ('viewBox="0 0 24 24" width="2em" height="2em"', (24, 24)),
    ],
)
def test_svg_size_comes_from_its_viewbox_else_its_pixel_width_and_height(attributes, size):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" {attributes}><rect/></svg>'.encode()
    image = check_svg(svg)
    assert (image.width, image.height) == size


@pytest.mark.parametrize(
    "attributes",
    [
        "",
        'width="100%" height="100%"',
        'width="10em" height="3em"',
        'width="64"',
        'viewBox="0 0 64"',
        'viewBox="0 0 0 64"',
        'viewBox="0 0 -64 64"',
        'viewBox="0 0 a b"',
        'viewBox="0 0 inf 64"',
        'viewBox="0 0 10000 1"',  # a sliver no page can show
    ],
)
def test_svg_without_a_usable_size_is_refused_with_the_reason(attributes):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" {attributes}><rect/></svg>'.encode()
    error = _refused(check_svg, svg)
    assert error.errors[0].field == "body"
    assert "SVG" in error.errors[0].message
