"""Colour rules of a theme: the palette, defaults, and WCAG 2.1 contrast.

Pure functions; services and page rendering share them.
"""

from __future__ import annotations

import msgspec

COLOR_KEYS = (
    "primary",
    "menu",
    "notification",
    "page_title",
    "page_background",
    "section_header_background",
    "section_header_text",
    "content_background",
    "discount_text",
    "button",
    "button_text",
    "action_button",
    "action_button_text",
    "border",
)

# A calm palette whose text/background pairs all pass 4.5:1; a theme overrides any of them.
DEFAULT_COLORS = {
    "primary": "#1f5fa8",
    "menu": "#1d2330",
    "notification": "#b3261e",
    "page_title": "#1d2330",
    "page_background": "#f7f8fa",
    "section_header_background": "#1f5fa8",
    "section_header_text": "#ffffff",
    "content_background": "#ffffff",
    "discount_text": "#1a7f37",
    "button": "#e9edf3",
    "button_text": "#1d2330",
    "action_button": "#1f5fa8",
    "action_button_text": "#ffffff",
    "border": "#d0d5dd",
}

# (text, background): the pairs a reader has to tell apart.
CONTRAST_PAIRS = (
    ("page_title", "page_background"),
    ("section_header_text", "section_header_background"),
    ("primary", "content_background"),
    ("discount_text", "content_background"),
    ("button_text", "button"),
    ("action_button_text", "action_button"),
)
MIN_CONTRAST = 4.5  # WCAG 2.1 AA for normal text


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_color: str) -> float:
    """WCAG 2.1 relative luminance of `#rrggbb`."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, from 1.0 to 21.0."""
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


DARK_TEXT, LIGHT_TEXT = "#1d2330", "#ffffff"


def readable_text(background: str) -> str:
    """Dark or white text, whichever reads better on the background (for colours a theme
    sets only as backgrounds, such as the menu and the notification badge)."""
    dark, light = contrast_ratio(DARK_TEXT, background), contrast_ratio(LIGHT_TEXT, background)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


class ContrastCheck(msgspec.Struct, frozen=True):
    """One text/background pair of a theme and how well it reads."""

    foreground: str
    background: str
    ratio: float

    @property
    def passes(self) -> bool:
        """True at 4.5:1 or better."""
        return self.ratio >= MIN_CONTRAST


def check_contrast(colors: dict[str, str]) -> list[ContrastCheck]:
    """Every pair of the theme, rounded to two decimals as WCAG tools show them."""
    return [
        ContrastCheck(fg, bg, round(contrast_ratio(colors[fg], colors[bg]), 2))
        for fg, bg in CONTRAST_PAIRS
    ]
