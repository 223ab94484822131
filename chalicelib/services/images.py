"""Checking uploaded logos: PNG by its structure, SVG by an allowlist.

A PNG is walked chunk by chunk (signature, IHDR first, every CRC, IEND last) without
decoding pixels. An SVG is parsed with defusedxml (no entities, no external DTDs) and
refused, with the reason, if it holds anything that can run or fetch: scripts, event
handlers, foreignObject, styles, or references that leave the document. What is stored is
the SVG re-serialised from the parsed tree, so comments and processing instructions go.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from chalicelib.errors import Invalid, PayloadTooLarge

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_LOGO_BYTES = 1024 * 1024
MAX_SVG_BYTES = 256 * 1024
MAX_SIDE, MIN_SIDE = 4096, 16
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


@dataclass(frozen=True, slots=True)
class CheckedImage:
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
    chunks = list(_png_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND" or len(chunks[0][1]) != 13:
        raise Invalid.field("body", "is not a complete PNG (IHDR first, IEND last)")
    width, height = struct.unpack(">II", chunks[0][1][:8])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise Invalid.field("body", f"sides must be {MIN_SIDE} to {MAX_SIDE} pixels")
    return CheckedImage(data, "image/png", width, height)


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
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
    """An SVG of drawing elements only, re-serialised from its parsed tree."""
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
    for element in root.iter():
        _check_element(element.tag, dict(element.attrib))
    # Serialising a parsed tree is safe with the standard library (parsing is not).
    from xml.etree import ElementTree as Writer

    Writer.register_namespace("", SVG_NS)
    Writer.register_namespace("xlink", XLINK_NS)
    cleaned = Writer.tostring(root, encoding="utf-8")
    return CheckedImage(cleaned, "image/svg+xml", None, None)


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
        if "url(" in value.replace(" ", "").lower() and not _LOCAL_URL.fullmatch(value.strip()):
            raise Invalid.field("body", "SVG url() references may only point inside the logo")
