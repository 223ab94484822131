"""The OpenAPI document and a readable API reference page."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.handlers.router import Api

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="docs")

_DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


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
