"""Hosted pages, served from the page store: one read, no rendering, no DynamoDB."""

from __future__ import annotations

import re
from typing import Literal

from chalice.app import Blueprint, Response
from msgspec import Struct

from chalicelib.errors import NotFound, PortwayError, problem
from chalicelib.handlers.router import Api
from chalicelib.pages import maps, modules, store

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="pages")


class PageQuery(Struct, kw_only=True):
    """`language` picks one of en, de, da (otherwise the browser's Accept-Language, then
    the tenant's default); `portal` names a customer's portal (the portal page)."""

    language: str | None = None
    portal: str | None = None


def _language() -> tuple[str | None, dict[str, str]]:
    """`?language=` if given; otherwise the browser's preferred language we speak, and the
    answer then varies with `Accept-Language` (else the tenant's default is stored)."""
    request = blueprint.current_request
    query: dict[str, str] = dict(request.query_params or {})
    asked = query.get("language")
    if asked in store.LANGUAGES:
        return asked, {}
    return store.preferred_language(request.headers.get("accept-language")), {
        "Vary": "Accept-Language"
    }


def _answer(page: store.StoredPage, vary: dict[str, str]) -> Response:
    request = blueprint.current_request
    headers = {**page.headers, **vary}
    if page.status == 200 and store.not_modified(page, request.headers.get("if-none-match")):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=page.html, status_code=page.status, headers=headers)


def _error_page(error: PortwayError) -> Response:
    # Reached only when the store itself failed: a plain page that nobody may frame.
    status = problem(error)[0]
    page = store.fallback(status)
    return Response(body=page.html, status_code=status, headers=page.headers)


@api.get(
    "/p/{slug}/{page}",
    auth="public",
    query=PageQuery,
    produces=("text/html",),
    on_error=_error_page,
)
def get_page(slug: str, page: str) -> Response:
    """A hosted page (`portal`), as stored when its theme, template or settings last changed."""
    query = dict(blueprint.current_request.query_params or {})
    language, vary = _language()
    return _answer(store.find(slug, page, query.get("portal"), language), vary)


class SignupQuery(Struct, kw_only=True):
    """`language` picks one of en, de, da (otherwise the browser's Accept-Language, then
    the tenant's default)."""

    language: str | None = None


@api.get(
    "/p/{slug}/signup/{variant_id}",
    auth="public",
    query=SignupQuery,
    produces=("text/html",),
    on_error=_error_page,
)
def get_signup_page(slug: str, variant_id: str) -> Response:
    """The signup page of a plan variant that allows signup."""
    language, vary = _language()
    return _answer(store.find(slug, "signup", variant_id, language), vary)


@api.get(
    "/site/p/{slug}/{page}/{variant}/{language}",
    auth="public",
    produces=("text/html",),
    on_error=_error_page,
)
def get_page_for_the_cdn(slug: str, page: str, variant: str, language: str) -> Response:
    """A page as the CDN asks for it when it has no copy (its viewer-request function names
    the variant and the language in the path, `_` and `default` for none): the page with
    every header, or the tenant's not-found page."""
    return _answer(
        store.find(
            slug,
            page,
            None if variant == store.TENANT_VARIANT else variant,
            None if language == store.DEFAULT else language,
        ),
        {},
    )


@api.get("/page-assets/{name}", auth="public", produces=("text/javascript",), file_names=True)
def get_page_asset(name: str) -> Response:
    """A module a hosted page loads (named by its content's hash: cached for a year)."""
    data = modules.served(name)
    if data is None:
        raise NotFound("No such file.")
    return Response(
        body=data.decode(), status_code=200, headers=_file_headers("text/javascript; charset=utf-8")
    )


def _file_headers(content_type: str) -> dict[str, str | list[str]]:
    """A file named by its content's hash: cached for a year, never sniffed, for our pages."""
    return {
        "Content-Type": content_type,
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """The one range `Range: bytes=a-b` asks for as (first, last), clamped to the file;
    None when there is no usable Range header (the whole file is answered, as RFC 9110
    allows for several ranges or a malformed one); False when it starts past the end."""
    match = _RANGE.match((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    return (start, end) if start < size else False


@api.get(
    "/page-assets/map/{name}",
    auth="public",
    produces=("text/javascript", "text/css", "application/vnd.pmtiles"),
    file_names=True,
)
def get_map_asset(name: str) -> Response:
    """A file of the hosted pages' map (module, worker, stylesheet, base map), named by its
    content's hash: cached for a year. The base map is read by Range requests (206)."""
    found = maps.served(name)
    if found is None:
        raise NotFound("No such file.")
    headers = _file_headers(found.content_type)
    # The hash in the name is the content's: a strong validator (PMTiles readers check that
    # every range comes from the same file).
    headers["ETag"] = '"' + name.rsplit("-", 1)[-1].split(".")[0] + '"'

    if found.content_type not in maps.BINARY_TYPES:
        return Response(body=found.data.decode(), status_code=200, headers=headers)
    size = len(found.data)
    headers["Accept-Ranges"] = "bytes"
    wanted = _byte_range(blueprint.current_request.headers.get("range"), size)
    if wanted is False:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(body=b"", status_code=416, headers=headers)
    if wanted is None:
        return Response(body=found.data, status_code=200, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(body=found.data[first : last + 1], status_code=206, headers=headers)
