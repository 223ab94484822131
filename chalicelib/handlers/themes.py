"""Branding themes, their logos, and the tenant's embedding settings."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.handlers.router import Api
from chalicelib.operations import Upload
from chalicelib.schemas import themes as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.branding import themes
from chalicelib.services.platform import tenants
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="branding")

# A logo opened on its own must not run anything, whatever it is.
_LOGO_HEADERS: dict[str, str | list[str]] = {
    **themes.LOGO_HEADERS,
    "Cache-Control": themes.LOGO_CACHE,
}


_PREVIEW_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@api.post(
    "/v1/themes",
    body=schemas.ThemeCreate,
    response=schemas.Theme,
    status=201,
    idempotent=True,  # theme.created, recorded by the service
)
def create_theme(ctx: TenantContext, body: schemas.ThemeCreate) -> schemas.Theme:
    """Create a theme; the answer rates the contrast of its colour pairs."""
    return themes.create(ctx, body)


@api.get("/v1/themes", response=page_of(schemas.Theme), paginated=True)
def list_themes(ctx: TenantContext, page: PageRequest) -> Page[schemas.Theme]:
    """List themes, oldest first."""
    return themes.list_themes(ctx, page)


@api.get("/v1/themes/{id}", response=schemas.Theme)
def get_theme(ctx: TenantContext, id: str) -> schemas.Theme:
    """Read a theme."""
    return themes.get(ctx, id)


@api.patch(
    "/v1/themes/{id}",
    body=schemas.ThemeUpdate,
    response=schemas.Theme,
    versioned=True,  # theme.updated
)
def update_theme(
    ctx: TenantContext, id: str, body: schemas.ThemeUpdate, if_match: int | None
) -> schemas.Theme:
    """Change a theme; colours sent replace only those colours."""
    return themes.update(ctx, id, body, if_match=if_match)


@api.delete("/v1/themes/{id}", versioned=True)  # theme.deleted
def delete_theme(ctx: TenantContext, id: str, if_match: int | None) -> None:
    """Delete a theme."""
    themes.delete(ctx, id, if_match=if_match)


@api.get("/v1/themes/{id}/preview", query=schemas.PreviewQuery, produces=("text/html",))
def preview_theme(ctx: TenantContext, id: str, query: schemas.PreviewQuery) -> Response:
    """A sample page in the theme; ?mode=dark shows it on a dark surround, ?language=de|da."""
    html = themes.preview(ctx, id, query.mode, query.language)
    return Response(body=html, status_code=200, headers=_PREVIEW_HEADERS)


@api.put(
    "/v1/themes/{id}/logo",
    query=schemas.LogoQuery,
    upload=("image/png", "image/svg+xml"),
    response=schemas.Theme,  # theme.logo_uploaded
)
def put_theme_logo(
    ctx: TenantContext, id: str, query: schemas.LogoQuery, upload: Upload
) -> schemas.Theme:
    """Upload the small or large logo (PNG, or SVG without scripts or external links)."""
    return themes.put_logo(ctx, id, query.size, upload.data, upload.content_type)


@api.get(
    "/p/{slug}/logos/{theme_id}/{name}", auth="public", produces=("image/png", "image/svg+xml")
)
def get_logo(slug: str, theme_id: str, name: str) -> Response:
    """A theme's logo, as hosted pages load it."""
    blob = themes.logo_blob(slug, theme_id, name)
    headers: dict[str, str | list[str]] = {
        "Content-Type": blob.content_type,
        "ETag": blob.etag,
        **_LOGO_HEADERS,
    }
    # Binary types (PNG) go out as bytes; SVG is text, and API Gateway wants text as str.
    body = blob.data.decode() if blob.content_type == "image/svg+xml" else blob.data
    return Response(body=body, status_code=200, headers=headers)


@api.get("/v1/settings/embedding", response=schemas.Embedding, scope="admin")
def get_embedding(ctx: TenantContext) -> schemas.Embedding:
    """The origins allowed to frame the tenant's pages."""
    return tenants.get_embedding(ctx)


@api.put(
    "/v1/settings/embedding",
    body=schemas.EmbeddingSettings,
    response=schemas.Embedding,
    scope="admin",  # tenant.embedding_updated
)
def put_embedding(ctx: TenantContext, body: schemas.EmbeddingSettings) -> schemas.Embedding:
    """Set the exact origins allowed to frame the tenant's pages and receive redirects."""
    return tenants.set_embedding(ctx, body)
