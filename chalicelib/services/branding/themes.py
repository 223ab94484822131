"""Branding themes: colours (validated, with WCAG contrast on every save) and logos."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import branding
from chalicelib.blobs import Blob, Served, blob_store
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Portal, PortalTemplate, Tenant, Theme
from chalicelib.models.themes import Logo
from chalicelib.schemas import themes as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.branding import images
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.tenants import tenant_id_for_slug
from chalicelib.services.platform.versioning import check_version, update_recorded
from chalicelib.tenancy import TenantContext


def _colors(given: schemas.Colors | None, base: dict[str, str]) -> dict[str, str]:
    """Every colour key: the one given, else the base's (stored or default), lowercased."""
    return {
        k: ((getattr(given, k) if given is not None else None) or base[k]).lower()
        for k in branding.COLOR_KEYS
    }


def _logo(slug: str, theme: Theme, logo: Logo | None) -> schemas.Logo | None:
    if logo is None:
        return None
    name = logo.blob_key.rsplit("/", 1)[-1]
    return schemas.Logo(
        url=f"/p/{slug}/logos/{theme.theme_id}/{name}",
        content_type=logo.content_type,
        width=int(logo.width) if logo.width is not None else None,
        height=int(logo.height) if logo.height is not None else None,
        bytes=int(logo.size),
    )


def to_schema(item: Theme, slug: str) -> schemas.Theme:
    """The API shape of a stored theme, with its contrast report."""
    colors = _colors(None, {**branding.DEFAULT_COLORS, **_stored_colors(item)})
    checks = branding.check_contrast(colors)
    return schemas.Theme(
        id=item.theme_id,
        name=item.name,
        colors=colors,
        border_width=int(item.border_width),
        border_radius=int(item.border_radius),
        logos=schemas.Logos(
            small=_logo(slug, item, item.logo_small),
            large=_logo(slug, item, item.logo_large),
        ),
        contrast=[
            schemas.ContrastCheck(c.foreground, c.background, c.ratio, c.passes) for c in checks
        ],
        warnings=[
            f"{c.foreground} on {c.background} has a contrast of {c.ratio}:1, "
            f"under the {branding.MIN_CONTRAST}:1 that WCAG 2.1 AA asks for text"
            for c in checks
            if not c.passes
        ],
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def _stored_colors(item: Theme) -> dict[str, str]:
    stored: dict[str, str] = item.colors.as_dict()  # type: ignore[no-untyped-call]
    return stored


def _slug(ctx: TenantContext) -> str:
    return Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug


# How a logo is served, by the function and by the CDN from its copy in the bucket: cached
# for good (its name is its content's hash), never a document that runs anything.
LOGO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
LOGO_CACHE = "public, max-age=31536000, immutable"


def load(ctx: TenantContext, theme_id: str) -> Theme:
    """The stored theme; 404 when it is not the caller's tenant's."""
    return load_owned(Theme, ctx, theme_id, "theme")


def preview(ctx: TenantContext, theme_id: str, mode: str, language: str | None) -> str:
    """A sample page in the theme (HTML), to judge colours and logo before use."""
    from chalicelib.pages.environment import pick_language
    from chalicelib.pages.render import render_page

    tenant = Tenant.get(ctx.tenant_id, attributes_to_get=["slug", "default_language"])
    theme = to_schema(load(ctx, theme_id), tenant.slug)
    logo = theme.logos.small or theme.logos.large
    return render_page(
        "preview/theme.html",
        pick_language(language, tenant.default_language),
        theme=theme,
        mode=mode,
        logo_url=logo.url if logo else None,
    )


def create(
    ctx: TenantContext, data: schemas.ThemeCreate, *, clock: Clock = utcnow
) -> schemas.Theme:
    """Create a theme; colours left out take the defaults."""
    now = clock()
    item = Theme(
        ctx.tenant_id,
        new_id("thm"),
        name=data.name,
        colors=_colors(data.colors, branding.DEFAULT_COLORS),
        border_width=data.border_width,
        border_radius=data.border_radius,
        created_at=now,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item, condition=Theme.theme_id.does_not_exist())
        events.record(tx, ctx, "theme.created", item.theme_id, now=now)
    return to_schema(item, _slug(ctx))


def get(ctx: TenantContext, theme_id: str) -> schemas.Theme:
    """One theme."""
    return to_schema(load(ctx, theme_id), _slug(ctx))


def list_themes(ctx: TenantContext, page: PageRequest) -> Page[schemas.Theme]:
    """The tenant's themes, oldest first."""
    items, cursor = fetch_page(ctx, "themes", page, lambda **kw: Theme.query(ctx.tenant_id, **kw))
    slug = _slug(ctx)
    return page_of(schemas.Theme)(items=[to_schema(i, slug) for i in items], next_cursor=cursor)


def update(
    ctx: TenantContext,
    theme_id: str,
    data: schemas.ThemeUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Theme:
    """Change the fields sent; colours sent replace only those colours."""
    item = load(ctx, theme_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    if "colors" in changes:
        changes["colors"] = _colors(changes["colors"], _stored_colors(item))
    updated = _apply(ctx, item, changes, clock(), "theme.updated", {"changed": sorted(changes)})
    return to_schema(updated, _slug(ctx))


def _apply(
    ctx: TenantContext,
    item: Theme,
    changes: dict[str, Any],
    now: datetime,
    type_: str,
    data: dict[str, Any],
) -> Theme:
    """Save the changes with their event (`type_`, `data`); 409 when the theme moved on."""
    return update_recorded(
        item,
        changes,
        now,
        lambda tx: events.record(tx, ctx, type_, item.theme_id, data=data, now=now),
    )


def _using(ctx: TenantContext, theme_id: str) -> list[str]:
    """Ids of the templates that use a theme (one query over the tenant's templates)."""
    templates = PortalTemplate.query(
        ctx.tenant_id, filter_condition=PortalTemplate.theme_id == theme_id
    )
    return [t.template_id for t in templates]


def delete(ctx: TenantContext, theme_id: str, *, if_match: int | None = None) -> None:
    """Delete a theme; 409 while a template or portal uses it. Its logos are not served
    any more."""
    item = load(ctx, theme_id)
    check_version(item, if_match)
    unused = (Theme.template_count.does_not_exist() | (Theme.template_count == 0)) & (
        Theme.portal_count.does_not_exist() | (Theme.portal_count == 0)
    )
    try:
        with Transaction() as tx:
            tx.delete(item, condition=unused, label="theme")
            events.record(tx, ctx, "theme.deleted", theme_id)
        slug = _slug(ctx)
        for logo in (item.logo_small, item.logo_large):
            if logo is not None:  # the CDN's copies go with the theme, as the logos do
                blob_store().delete(Theme.logo_copy_key(slug, theme_id, logo.blob_key))
    except ConditionsFailed:
        key = Portal.theme_key_for(ctx.tenant_id, theme_id)
        raise Conflict(
            f"Theme {theme_id} is used by portal templates or portals, or changed meanwhile; "
            "change those first.",
            extra={
                "held_by": {
                    "template_ids": _using(ctx, theme_id),
                    "portal_ids": [p.portal_id for p in Portal.by_theme.query(key, limit=100)],
                }
            },
        ) from None


def put_logo(
    ctx: TenantContext,
    theme_id: str,
    size: str,
    data: bytes,
    content_type: str,
    *,
    clock: Clock = utcnow,
) -> schemas.Theme:
    """Store a checked PNG or SVG as the theme's small or large logo."""
    item = load(ctx, theme_id)
    image = images.check_logo(data, content_type)
    key = Theme.logo_blob_key(ctx.tenant_id, theme_id, size, hashlib.sha256(image.data).hexdigest())
    etag = blob_store().put(key, image.data, image.content_type).etag
    slug = _slug(ctx)
    served = Served(LOGO_CACHE, {name.lower(): value for name, value in LOGO_HEADERS.items()})
    blob_store().put(
        Theme.logo_copy_key(slug, theme_id, key), image.data, image.content_type, served
    )
    logo = Logo(  # type: ignore[no-untyped-call]
        blob_key=key,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        etag=etag,
        size=len(image.data),
    )
    attribute = Theme.logo_small if size == "small" else Theme.logo_large
    changes = {attribute.attr_name: logo}
    updated = _apply(ctx, item, changes, clock(), "theme.logo_uploaded", {"size": size})
    return to_schema(updated, slug)


def logo_blob(slug: str, theme_id: str, name: str) -> Blob:
    """A logo's bytes for a page, by the name in its URL; 404 for anything else."""
    tenant_id = tenant_id_for_slug(slug)
    key = Theme.logo_blob_key_from_name(tenant_id, theme_id, name) if tenant_id else None
    if tenant_id is None or key is None or not _exists(tenant_id, theme_id):
        raise NotFound("No such logo.")  # a deleted theme's logos go with it
    blob = blob_store().get(key)
    if blob is None:
        raise NotFound("No such logo.")
    return blob


def _exists(tenant_id: str, theme_id: str) -> bool:
    try:
        Theme.get(tenant_id, theme_id, attributes_to_get=["theme_id"])
    except DoesNotExist:
        return False
    return True
