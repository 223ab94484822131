"""The OpenAPI document, a readable API reference page, and the site's root and icon."""

from __future__ import annotations

import base64
import functools
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.handlers.router import Api

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="docs")

_DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'"
# The site's icon: a white "P" on Portway's blue, 32x32 PNG. Browsers take a PNG at
# /favicon.ico as readily as an ICO.
_FAVICON_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAbklEQVR42u3XwQkAIAgFUD"
    "dptNZry7p1MAoL9EsqdBN8UFYSsSi1dc1Fu9AufIRYF18QUACq+EQkQJIkDTjgBaICuEGoAaSIZ4AkzxzAc+MB"
    "TLcAfghdt2GMqxj+GCUgAbEAf39KczJyMZwix/MBjBWDKXtyUzEAAAAASUVORK5CYII="
)


@functools.cache
def _favicon() -> bytes:
    return base64.b64decode(_FAVICON_PNG)


@api.get("/", auth="public", status=302)
def get_root() -> Response:
    """Where a person opening the address is sent: the provider's console."""
    return Response(
        body="",
        status_code=302,
        headers={
            "Location": "/console",
            "Cache-Control": "public, max-age=300",
            "Content-Security-Policy": _NOTHING_CSP,
            "X-Content-Type-Options": "nosniff",
        },
    )


@api.get("/favicon.ico", auth="public", produces=("image/png",))
def get_favicon() -> Response:
    """The site's icon (a PNG), cached for a year."""
    return Response(
        body=_favicon(),
        status_code=200,
        headers={
            "Content-Type": "image/png",
            "Cache-Control": "public, max-age=31536000",
            "Content-Security-Policy": _NOTHING_CSP,
            "X-Content-Type-Options": "nosniff",
        },
    )


@api.get("/v1/openapi.json", auth="public")
def get_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API."""
    from chalicelib import openapi  # built on demand, never during a cold start

    return openapi.document()


@api.get("/docs", auth="public", produces=("text/html",))
def get_docs() -> Response:
    """The API reference as an HTML page."""
    from chalicelib import openapi
    from chalicelib.pages.environment import environment  # Jinja2 only where a page renders

    html = environment().get_template("docs.html").render(doc=openapi.document())
    return Response(
        body=html,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": _DOCS_CSP,
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
