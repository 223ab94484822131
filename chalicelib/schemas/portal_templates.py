"""Portal templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.catalogue import SECTION_APPS, AppId, HomePage, SectionKey
from chalicelib.errors import Invalid
from chalicelib.schemas.common import Input, Name, Output, ShortText, Timestamp, Versioned

Heading = Annotated[str, Meta(min_length=1, max_length=80, pattern=r"[^\x00-\x20\x7f]")]
Description = Annotated[str, Meta(max_length=1000)]


class Headings(Struct, forbid_unknown_fields=True, kw_only=True):
    """A section heading per language; a language left out uses the built-in one."""

    en: Heading | None = None
    de: Heading | None = None
    da: Heading | None = None


class PortalSection(Struct, forbid_unknown_fields=True, kw_only=True):
    """One home page section of a portal."""

    key: SectionKey
    visible: bool = True
    headings: Headings | None = None


# The old name, for importers: the OpenAPI document names a schema by its class, and the
# self-service page has a `Section` of its own.
Section = PortalSection

Apps = Annotated[list[AppId], Meta(min_length=1, extra_json_schema={"uniqueItems": True})]
Sections = Annotated[list[PortalSection], Meta(max_length=6)]


def check_apps_and_sections(
    apps: Sequence[str] | UnsetType, sections: list[PortalSection] | UnsetType | None
) -> None:
    """No app twice, no section twice, and no visible section of an app left out."""
    if not isinstance(apps, UnsetType) and len(set(apps)) != len(apps):
        raise Invalid.field("apps", "lists an app twice")
    if isinstance(sections, list):
        keys = [s.key for s in sections]
        if len(set(keys)) != len(keys):
            raise Invalid.field("sections", "lists a section twice")
        if not isinstance(apps, UnsetType):
            for index, section in enumerate(sections):
                if section.visible and SECTION_APPS[section.key] not in apps:
                    raise Invalid.field(
                        f"sections.{index}",
                        f"shows {section.key}, which needs the {SECTION_APPS[section.key]} app",
                    )


class TemplateCreate(Input):
    """A new portal template."""

    name: Name
    apps: Apps
    description: Description | None = None
    theme_id: ShortText | None = None
    home_page: HomePage = "overview"
    sections: Sections | None = None
    is_default: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_apps_and_sections(self.apps, self.sections)


class TemplateUpdate(Versioned):
    """Fields sent are changed; `null` clears description, theme or sections."""

    name: Name | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    apps: Apps | UnsetType = UNSET
    theme_id: ShortText | UnsetType | None = UNSET
    home_page: HomePage | UnsetType = UNSET
    sections: Sections | UnsetType | None = UNSET
    is_default: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        super().__post_init__()
        check_apps_and_sections(self.apps, self.sections)


class PortalTemplate(Output):
    """A portal template."""

    id: str
    name: str
    description: str | None
    apps: list[AppId]
    theme_id: str | None
    home_page: HomePage
    sections: list[PortalSection]
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class UpdateQuery(Struct, kw_only=True):
    """`confirm=true` applies a change that shows in the portals made from the template."""

    confirm: bool = False
