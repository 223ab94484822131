"""The console's static files, as `make run` serves them (in AWS they come from S3 through
CloudFront, with the same headers). Built by `make console` into `static_pages/console/`."""

from __future__ import annotations

import re
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.errors import NotFound
from chalicelib.handlers.router import Api

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="console")

BUILT = Path(__file__).resolve().parents[2] / "static_pages" / "console"
# Scripts, styles, calls and frames (page previews) from our own origin only; nothing inline;
# nobody frames the console.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-src 'self'; base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
_ASSET = re.compile(r"^[A-Za-z0-9_-]+\.(js|css)$")
_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


def _file(path: Path, content_type: str, cache: str) -> Response:
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound("The console is not built here: run `make console`.") from None
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": cache,
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@api.get("/console", auth="public", produces=("text/html",))
def get_console() -> Response:
    """The provider's console (a single-page app on this API)."""
    return _file(BUILT / "index.html", "text/html; charset=utf-8", "no-cache")


@api.get(
    "/console/assets/{name}",
    auth="public",
    produces=("text/javascript", "text/css"),
    file_names=True,
)
def get_console_asset(name: str) -> Response:
    """A file of the console, named by its content's hash: cached for a year."""
    match = _ASSET.match(name)
    if match is None:
        raise NotFound("No such file.")
    return _file(
        BUILT / "assets" / name, _TYPES[match.group(1)], "public, max-age=31536000, immutable"
    )
