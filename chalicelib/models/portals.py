"""Customer portals: one per customer, made from a template or from its own apps and theme."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from chalicelib.models.base import PortwayModel, TableMeta
from chalicelib.models.portal_templates import Section


class ByTemplate(GlobalSecondaryIndex["Portal"]):  # type: ignore[no-untyped-call]
    """Portals made from one template: hash `{tenant_id}#{template_id}`, sparse.

    A template change needs only the portals' ids to re-render their pages."""

    class Meta:
        index_name = "by_template"
        projection = IncludeProjection(["portal_id"])

    template_key = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)


class ByTheme(GlobalSecondaryIndex["Portal"]):  # type: ignore[no-untyped-call]
    """Portals with their own theme (not a template's): hash `{tenant_id}#{theme_id}`, sparse.

    All attributes: a theme change renders these portals from the index alone."""

    class Meta:
        index_name = "by_theme"
        projection = AllProjection()

    theme_key = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)


class Portal(PortwayModel):
    """Hash key tenant_id, range key customer_id: at most one portal per customer.

    Either `template_id` is set (apps, theme and sections come from the template, live), or
    the portal has its own `apps`, `theme_id`, `home_page` and `sections`.
    """

    class Meta(metaclass=TableMeta):
        base_name = "portals"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    portal_id = UnicodeAttribute()
    template_id = UnicodeAttribute(null=True)
    template_key = UnicodeAttribute(null=True)
    apps = ListAttribute(of=UnicodeAttribute, null=True)
    theme_id = UnicodeAttribute(null=True)
    theme_key = UnicodeAttribute(null=True)
    home_page = UnicodeAttribute(null=True)
    sections = ListAttribute(of=Section, null=True)
    status = UnicodeAttribute(default="invited")
    admin_user_id = UnicodeAttribute(null=True)
    admin_name = UnicodeAttribute(null=True)
    admin_email = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_template = ByTemplate()
    by_theme = ByTheme()

    @staticmethod
    def template_key_for(tenant_id: str, template_id: str) -> str:
        """The by_template index key of one template's portals."""
        return f"{tenant_id}#{template_id}"

    @staticmethod
    def theme_key_for(tenant_id: str, theme_id: str) -> str:
        """The by_theme index key of the portals with their own theme."""
        return f"{tenant_id}#{theme_id}"
