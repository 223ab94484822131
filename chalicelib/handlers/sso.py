"""Partner SSO: the customer's platform signs its user in; the browser lands in the portal."""

from __future__ import annotations

from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from chalicelib.errors import BadRequest
from chalicelib.handlers.router import Api
from chalicelib.schemas import sso as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.portals import sso
from chalicelib.tenancy import Caller, TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="sso")

_LINK_HEADERS: dict[str, str | list[str]] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
_MAX_FORM_BYTES = 16 * 1024


def _redirect(landing: sso.Landing) -> Response:
    return Response(
        body="", status_code=302, headers={"Location": landing.location, **_LINK_HEADERS}
    )


@api.get("/sso/{slug}/jwt", auth="anonymous", query=schemas.SsoLogin, status=302)
def sso_login(caller: Caller, slug: str, query: schemas.SsoLogin) -> Response:
    """Sign a partner's user in with its signed token (`?jwt=`); 302 to the portal."""
    return _redirect(sso.login(caller, slug, query.jwt, query.return_to))


@api.post("/sso/{slug}/jwt", auth="anonymous", status=302)
def sso_login_form(caller: Caller, slug: str) -> Response:
    """The same, posted as a form (`jwt`, `return_to`), so the token stays out of URLs."""
    raw = blueprint.current_request.raw_body or b""
    raw = raw.encode() if isinstance(raw, str) else raw
    if len(raw) > _MAX_FORM_BYTES:
        raise BadRequest("The form is too large.")
    try:
        form = parse_qs(raw.decode("ascii"), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("Send jwt and return_to as a form.") from None
    token = form.get("jwt", [None])[0]
    return_to = form.get("return_to", [None])[0]
    return _redirect(sso.login(caller, slug, token, return_to))


@api.put(
    "/v1/customers/{id}/portal/sso",
    body=schemas.SsoSettings,
    response=schemas.Sso,
    scope="admin",  # the service records portal.sso_configured
)
def put_sso(ctx: TenantContext, id: str, body: schemas.SsoSettings) -> schemas.Sso:
    """Register the customer's platform as an SSO issuer (its algorithm and key, fixed)."""
    return sso.configure(ctx, id, body)


@api.get("/v1/customers/{id}/portal/sso", response=page_of(schemas.Sso))
def list_sso(ctx: TenantContext, id: str) -> Page[schemas.Sso]:
    """The customer's SSO issuers (never their secrets)."""
    return page_of(schemas.Sso)(items=sso.get(ctx, id), next_cursor=None)


@api.delete("/v1/customers/{id}/portal/sso", query=schemas.IssuerQuery, scope="admin")
def delete_sso(ctx: TenantContext, id: str, query: schemas.IssuerQuery) -> None:
    """Stop accepting an issuer's tokens (`?issuer=`)."""
    sso.remove(ctx, id, query.issuer)
