"""Branding themes of a tenant."""

from __future__ import annotations

import re

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta

_LOGO_NAME = re.compile(r"logo-(small|large)-[0-9a-f]{16}")


class Logo(MapAttribute[str, object]):
    """A stored logo: where its blob is and what it is."""

    blob_key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    etag = UnicodeAttribute()
    size = NumberAttribute()


class Theme(PortwayModel):
    """Hash key tenant_id, range key theme_id. Colours are `#rrggbb`, validated on input."""

    class Meta(metaclass=TableMeta):
        base_name = "themes"

    tenant_id = UnicodeAttribute(hash_key=True)
    theme_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    colors = MapAttribute[str, str]()  # type: ignore[no-untyped-call]
    border_width = NumberAttribute(default=1)
    border_radius = NumberAttribute(default=4)
    logo_small = Logo(null=True)  # type: ignore[no-untyped-call]
    logo_large = Logo(null=True)  # type: ignore[no-untyped-call]
    # Templates and portals using the theme, counted in their own transactions: both 0 to
    # delete, so nothing can be left pointing at a deleted theme.
    template_count = NumberAttribute(default=0)
    portal_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    @staticmethod
    def logo_blob_key(tenant_id: str, theme_id: str, size: str, digest: str) -> str:
        """Where a logo's bytes live in the blob store (content-addressed per upload)."""
        return f"tenants/{tenant_id}/themes/{theme_id}/logo-{size}-{digest[:16]}"

    @staticmethod
    def logo_copy_key(slug: str, theme_id: str, blob_key: str) -> str:
        """Where the CDN reads a logo: the key of its address `/p/{slug}/logos/{theme}/{name}`
        (the name is the blob key's last part)."""
        return f"p/{slug}/logos/{theme_id}/{blob_key.rsplit('/', 1)[-1]}"

    @staticmethod
    def logo_blob_key_from_name(tenant_id: str, theme_id: str, name: str) -> str | None:
        """The blob key behind a logo URL's last part, or None if the name is not one."""
        if not _LOGO_NAME.fullmatch(name):
            return None
        return f"tenants/{tenant_id}/themes/{theme_id}/{name}"
