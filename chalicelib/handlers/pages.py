"""Hosted pages, served from the page store: one read, no rendering, no DynamoDB."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from msgspec import Struct

from chalicelib.errors import NotFound, PortwayError, problem
from chalicelib.handlers.router import Api
from chalicelib.pages import modules, store

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


@api.get("/page-assets/{name}", auth="public", produces=("text/javascript",), file_names=True)
def get_page_asset(name: str) -> Response:
    """A module a hosted page loads (named by its content's hash: cached for a year)."""
    data = modules.served(name)
    if data is None:
        raise NotFound("No such file.")
    return Response(
        body=data.decode(),
        status_code=200,
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )
