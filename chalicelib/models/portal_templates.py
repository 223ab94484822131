"""Portal templates: which apps, theme, home page and sections a customer portal gets."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class Section(MapAttribute[str, object]):
    """One home page section: shown or not, with a heading per language."""

    key = UnicodeAttribute()
    visible = BooleanAttribute(default=True)
    headings = MapAttribute[str, str](null=True)  # type: ignore[no-untyped-call]


class PortalTemplate(PortwayModel):
    """Hash key tenant_id, range key template_id."""

    class Meta(metaclass=TableMeta):
        base_name = "portal-templates"

    tenant_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    apps = ListAttribute(of=UnicodeAttribute)
    theme_id = UnicodeAttribute(null=True)
    home_page = UnicodeAttribute(default="overview")
    sections = ListAttribute(of=Section, null=True)
    is_default = BooleanAttribute(default=False)
    # Portals made from the template, counted in their own transactions: 0 to delete.
    portal_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
