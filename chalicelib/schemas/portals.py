"""Customer portals."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from chalicelib.catalogue import AppId, HomePage
from chalicelib.errors import Invalid
from chalicelib.schemas.common import Input, Output, ShortText, Timestamp, Version
from chalicelib.schemas.portal_templates import Apps, Section, Sections, check_apps_and_sections

PortalStatus = Literal["invited", "active"]


def _given(field: str) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"not": {"type": "null"}}}}


class PortalPut(Input):
    """A template, or the portal's own apps (with theme, home page and sections); with
    neither, the tenant's default template."""

    # Stated in the OpenAPI document too (merged into this schema by chalicelib/openapi.py).
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [
            {"if": _given("template_id"), "then": {"not": _given("apps")}},
            *(
                {"if": _given(field), "then": _given("apps")}
                for field in ("theme_id", "home_page", "sections")
            ),
        ]
    }

    template_id: ShortText | None = None
    apps: Apps | None = None
    theme_id: ShortText | None = None
    home_page: HomePage | None = None
    sections: Sections | None = None
    version: Version | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        own = {
            "apps": self.apps,
            "theme_id": self.theme_id,
            "home_page": self.home_page,
            "sections": self.sections,
        }
        if self.template_id is not None:
            for name, value in own.items():
                if value is not None:
                    raise Invalid.field(name, "give either template_id or the portal's own apps")
        elif self.apps is None:
            for name, value in own.items():
                if value is not None:
                    raise Invalid.field("apps", f"is needed when {name} is given")
        if self.apps is not None:
            check_apps_and_sections(self.apps, self.sections)


class PortalAdmin(Output):
    """The portal's administrator: the first person who registered."""

    id: str
    name: str
    email: str


class Portal(Output):
    """A customer's portal: what it shows, and whether someone has taken it over."""

    id: str
    customer_id: str
    template_id: str | None
    apps: list[AppId]
    theme_id: str | None
    home_page: HomePage
    sections: list[Section]
    status: PortalStatus
    admin: PortalAdmin | None
    page_url: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int
