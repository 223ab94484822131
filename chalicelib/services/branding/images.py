"""Checking uploaded logos: PNG by its structure, SVG by an allowlist.

A PNG is walked chunk by chunk (signature, IHDR first, every CRC, IEND last) without
decoding pixels. An SVG is parsed with defusedxml (no entities, no external DTDs), at
most MAX_SVG_DEPTH elements deep, and refused, with the reason, if it holds anything that
can run or fetch: scripts, event handlers, foreignObject, styles, or references that leave
the document (CSS escapes such as `u\rl(` are decoded before that check, as a browser
would). Its size comes from its viewBox (or its width and height in pixels): pages show
every image with width and height. What is stored is the SVG re-serialised from the parsed
tree, so comments and processing instructions go.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import msgspec

from chalicelib.errors import Invalid, PayloadTooLarge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_LOGO_BYTES = 1024 * 1024
MAX_SVG_BYTES = 256 * 1024
MAX_SIDE, MIN_SIDE = 4096, 16
# Logos are a few groups deep; the re-serialiser (and any reader) recurses per level.
MAX_SVG_DEPTH = 32
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Drawing elements only: nothing that runs, embeds, animates or styles by stylesheet.
SVG_ELEMENTS = frozenset(
    "svg g defs title desc path rect circle ellipse line polyline polygon text tspan "
    "linearGradient radialGradient stop clipPath mask symbol use".split()
)
SVG_ATTRIBUTES = frozenset(
    "id class x y x1 y1 x2 y2 cx cy r rx ry width height d points viewBox "
    "preserveAspectRatio transform fill fill-opacity fill-rule stroke stroke-width "
    "stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset "
    "stroke-opacity opacity offset stop-color stop-opacity gradientUnits gradientTransform "
    "spreadMethod fx fy clip-path clip-rule mask font-family font-size font-weight "
    "font-style text-anchor dominant-baseline letter-spacing href version".split()
)
_LOCAL_URL = re.compile(r"url\(\s*#[\w.-]+\s*\)")
# CSS functions that load something; only url(#id) inside the logo is allowed.
_FETCHING = re.compile(r"(url|src|image|image-set|cross-fade|element)\(")
# A CSS escape: backslash and 1-6 hex digits (and one optional white space), or backslash
# and any other character (that character itself); backslash-newline is nothing.
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\n\r\f])|(.))", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(px)?$")


class CheckedImage(msgspec.Struct, frozen=True):
    """An image fit to store: its bytes (re-serialised for SVG), type and size."""

    data: bytes
    content_type: str
    width: int | None
    height: int | None


def check_logo(data: bytes, content_type: str) -> CheckedImage:
    """A logo upload, checked; 413 when too large, 422 naming what is wrong otherwise."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "image/png":
        return check_png(data)
    if kind == "image/svg+xml":
        return check_svg(data)
    raise Invalid.field("Content-Type", "send image/png or image/svg+xml")


def check_png(data: bytes) -> CheckedImage:
    """A PNG whose structure is intact and whose size is sensible."""
    if len(data) > MAX_LOGO_BYTES:
        raise PayloadTooLarge(f"A PNG logo may be at most {MAX_LOGO_BYTES // 1024} KB.")
    if not data.startswith(PNG_SIGNATURE):
        raise Invalid.field("body", "is not a PNG (its first bytes are not a PNG signature)")
    chunks = list(png_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND" or len(chunks[0][1]) != 13:
        raise Invalid.field("body", "is not a complete PNG (IHDR first, IEND last)")
    width, height = struct.unpack(">II", chunks[0][1][:8])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise Invalid.field("body", f"sides must be {MIN_SIDE} to {MAX_SIDE} pixels")
    return CheckedImage(data, "image/png", width, height)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks (kind, body), each checked against its checksum; 422 when the file
    is truncated or damaged."""
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            raise Invalid.field("body", "is a truncated PNG")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc = data[offset + 8 + length : offset + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise Invalid.field("body", "is a truncated PNG")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            raise Invalid.field("body", f"is a damaged PNG (bad checksum in {kind!r})")
        chunks.append((kind, body))
        offset += 12 + length
    return chunks


def check_svg(data: bytes) -> CheckedImage:
    """An SVG of drawing elements only, at most MAX_SVG_DEPTH deep, with a size, re-serialised
    from its parsed tree."""
    from defusedxml import ElementTree  # only on upload: a cold start does not pay for it
    from defusedxml.common import DefusedXmlException

    if len(data) > MAX_SVG_BYTES:
        raise PayloadTooLarge(f"An SVG logo may be at most {MAX_SVG_BYTES // 1024} KB.")
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise Invalid.field("body", f"is not a well-formed SVG without a DTD ({exc})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise Invalid.field("body", "is not an SVG (no <svg> root in the SVG namespace)")
    for element in _elements(root):
        _check_element(element.tag, dict(element.attrib))
    width, height = svg_size(dict(root.attrib))
    # Serialising a parsed tree is safe with the standard library (parsing is not).
    from xml.etree import ElementTree as Writer

    Writer.register_namespace("", SVG_NS)
    Writer.register_namespace("xlink", XLINK_NS)
    cleaned = Writer.tostring(root, encoding="utf-8")
    return CheckedImage(cleaned, "image/svg+xml", width, height)


def _elements(root: Any) -> Iterator[Any]:
    """Every element, walked without recursion; 422 past MAX_SVG_DEPTH levels."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_SVG_DEPTH:
            raise Invalid.field("body", f"nests deeper than {MAX_SVG_DEPTH} elements")
        yield element
        stack.extend((child, depth + 1) for child in reversed(list(element)))


def svg_size(attributes: dict[str, str]) -> tuple[int, int]:
    """The logo's size in pixels: its viewBox's (else its width and height in pixels),
    scaled into MIN_SIDE to MAX_SIDE keeping the proportions; 422 when it has neither."""
    box = attributes.get("viewBox")
    if box is not None:
        parts = box.replace(",", " ").split()
        numbers = [_svg_number(p) for p in parts] if len(parts) == 4 else []
        if len(numbers) != 4 or None in numbers:
            raise Invalid.field("body", "the SVG's viewBox must be four numbers: x y width height")
        width, height = numbers[2], numbers[3]
    else:
        width, height = _svg_number(attributes.get("width")), _svg_number(attributes.get("height"))
        if width is None or height is None:
            raise Invalid.field(
                "body",
                "the SVG needs a viewBox (or width and height in pixels) so pages can size it",
            )
    return _pixels(width, height)  # type: ignore[arg-type]


def _svg_number(text: str | None) -> float | None:
    if text is None or not _NUMBER.match(text.strip()):
        return None
    value = float(text.strip().removesuffix("px"))
    return value if math.isfinite(value) else None


def _pixels(width: float, height: float) -> tuple[int, int]:
    if width <= 0 or height <= 0:
        raise Invalid.field("body", "the SVG's width and height must be above 0")
    ratio = width / height
    if not (MIN_SIDE / MAX_SIDE <= ratio <= MAX_SIDE / MIN_SIDE):
        raise Invalid.field(
            "body", f"the SVG's sides may differ by a factor of {MAX_SIDE // MIN_SIDE} at most"
        )
    scale = 1.0
    if max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
    if min(width, height) * scale < MIN_SIDE:
        scale = MIN_SIDE / min(width, height)
    return (
        min(MAX_SIDE, max(MIN_SIDE, round(width * scale))),
        min(MAX_SIDE, max(MIN_SIDE, round(height * scale))),
    )


def css_unescaped(value: str) -> str:
    """A CSS value as a browser reads it: escapes decoded, comments gone."""

    def replace(match: re.Match[str]) -> str:
        hex_digits, newline, other = match.groups()
        if hex_digits is not None:
            code = int(hex_digits, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if newline is not None else other

    return _CSS_COMMENT.sub("", _CSS_ESCAPE.sub(replace, value))


def _check_element(tag: str, attributes: dict[str, str]) -> None:
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if namespace != SVG_NS or name not in SVG_ELEMENTS:
        raise Invalid.field("body", f"the SVG element <{name}> is not allowed in a logo")
    for raw_name, value in attributes.items():
        attr_ns, _, attr = (
            raw_name[1:].partition("}") if raw_name.startswith("{") else ("", "", raw_name)
        )
        if attr.lower().startswith("on"):
            raise Invalid.field("body", f"the SVG event handler {attr} is not allowed")
        if attr_ns not in ("", XLINK_NS) or attr not in SVG_ATTRIBUTES:
            raise Invalid.field("body", f"the SVG attribute {attr} is not allowed in a logo")
        if attr == "href" and not value.startswith("#"):
            raise Invalid.field("body", "SVG links may only point inside the logo (#id)")
        _check_references(value)


def _check_references(value: str) -> None:
    decoded = css_unescaped(value)
    compact = re.sub(r"[\x00-\x20]+", "", decoded).lower()
    if _FETCHING.search(compact) and not _LOCAL_URL.fullmatch(decoded.strip()):
        raise Invalid.field("body", "SVG url() references may only point inside the logo")
