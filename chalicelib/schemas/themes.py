"""Branding themes and embedding settings."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.errors import Invalid
from chalicelib.schemas.common import Input, Name, Output, Timestamp, Versioned

HexColor = Annotated[
    str, Meta(min_length=7, max_length=7, pattern=r"^#[0-9a-fA-F]{6}$", examples=["#1f5fa8"])
]
BorderWidth = Annotated[int, Meta(ge=0, le=8, description="Pixels.")]
BorderRadius = Annotated[int, Meta(ge=0, le=32, description="Pixels.")]
LogoSize = Literal["small", "large"]
# Every page carries the list (it reports its height only to these), within its 30 KB.
MAX_ORIGINS = 20
Origin = Annotated[
    str,
    Meta(
        max_length=253,
        pattern=r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?$",
        description="An exact origin: https://host[:port] (http only for localhost).",
    ),
]


class Colors(Struct, forbid_unknown_fields=True, kw_only=True):
    """Theme colours as #rrggbb; any left out take Portway's defaults."""

    primary: HexColor | None = None
    menu: HexColor | None = None
    notification: HexColor | None = None
    page_title: HexColor | None = None
    page_background: HexColor | None = None
    section_header_background: HexColor | None = None
    section_header_text: HexColor | None = None
    content_background: HexColor | None = None
    discount_text: HexColor | None = None
    button: HexColor | None = None
    button_text: HexColor | None = None
    action_button: HexColor | None = None
    action_button_text: HexColor | None = None
    border: HexColor | None = None


class ThemeCreate(Input):
    """A new theme."""

    name: Name
    colors: Colors | None = None
    border_width: BorderWidth = 1
    border_radius: BorderRadius = 4


class ThemeUpdate(Versioned):
    """Fields sent are changed; colours sent replace those colours only."""

    name: Name | UnsetType = UNSET
    colors: Colors | UnsetType = UNSET
    border_width: BorderWidth | UnsetType = UNSET
    border_radius: BorderRadius | UnsetType = UNSET


class PreviewQuery(Struct, kw_only=True):
    """How to show the preview: on a light or dark surround, in which language."""

    mode: Literal["light", "dark"] = "light"
    language: Annotated[str, Meta(max_length=16)] | None = None


class LogoQuery(Struct, kw_only=True):
    """Which of the two logos."""

    size: LogoSize


class Logo(Output):
    """A stored logo and where pages load it from."""

    url: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int


class Logos(Output):
    """The small (menu) and large (sign-in, page header) logo."""

    small: Logo | None
    large: Logo | None


class ContrastCheck(Output):
    """WCAG 2.1 contrast of one text/background pair."""

    foreground: str
    background: str
    ratio: float
    passes_aa: bool


class Theme(Output):
    """A theme with the contrast of its colour pairs (warnings under 4.5:1)."""

    id: str
    name: str
    colors: dict[str, str]
    border_width: int
    border_radius: int
    logos: Logos
    contrast: list[ContrastCheck]
    warnings: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class EmbeddingSettings(Input):
    """Origins allowed to frame the tenant's pages and receive its redirects."""

    allowed_origins: Annotated[
        list[Origin], Meta(max_length=MAX_ORIGINS, extra_json_schema={"uniqueItems": True})
    ]

    def __post_init__(self) -> None:
        super().__post_init__()
        seen: set[str] = set()
        for index, origin in enumerate(self.allowed_origins):
            # `$` in the pattern lets a trailing newline through; a header must never get one.
            if not origin.isprintable() or origin != origin.strip():
                raise Invalid.field(f"allowed_origins.{index}", "has spaces or control characters")
            if origin in seen:
                raise Invalid.field(f"allowed_origins.{index}", "repeats an origin listed before")
            seen.add(origin)


class Embedding(Output):
    """The tenant's embedding settings."""

    allowed_origins: list[str]
