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

# (text, background): every pair of theme colours the pages put text in, so a reader has to
# tell them apart. Text on the menu and the notification badge is chosen to read
# (`readable_text`), as are muted texts (`muted_text`) and the dark scheme (`dark_palette`).
CONTRAST_PAIRS = (
    ("page_title", "page_background"),
    ("section_header_text", "section_header_background"),
    ("primary", "content_background"),
    ("primary", "page_background"),
    ("discount_text", "content_background"),
    ("notification", "content_background"),
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


def _mix(color: str, other: str, share: float) -> str:
    """`color` moved `share` (0..1) of the way towards `other`, as #rrggbb."""
    parts = [
        round(int(color[i : i + 2], 16) * (1 - share) + int(other[i : i + 2], 16) * share)
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{v:02x}" for v in parts)


def muted_text(background: str) -> str:
    """A quieter text for notes and hints: the readable text moved towards the background,
    as far as it still reads at 4.5:1."""
    text = readable_text(background)
    for share in (0.35, 0.3, 0.25, 0.2, 0.15, 0.1):
        quieter = _mix(text, background, share)
        if contrast_ratio(quieter, background) >= MIN_CONTRAST:
            return quieter
    return text


def _reads_on(color: str, backgrounds: tuple[str, ...]) -> str:
    """`color`, lightened as little as needed to read at 4.5:1 on every dark background."""
    for step in range(21):
        lighter = _mix(color, LIGHT_TEXT, step / 20)
        if all(contrast_ratio(lighter, bg) >= MIN_CONTRAST for bg in backgrounds):
            return lighter
    return LIGHT_TEXT


DARK_PAGE, DARK_CONTENT, DARK_TEXT_ON_DARK = "#121418", "#1b1e24", "#e6e8eb"


def dark_palette(colors: dict[str, str]) -> dict[str, str]:
    """The colours a page uses when the reader's system asks for a dark scheme, derived from
    the theme: dark page, cards and buttons, and the theme's own colours for text (links,
    discounts, errors) lightened until they read on them. The coloured pairs (menu, section
    headers, action buttons) keep the theme's colours, whose own contrast is checked."""
    backgrounds = (DARK_PAGE, DARK_CONTENT)
    return {
        "page_background": DARK_PAGE,
        "content_background": DARK_CONTENT,
        "page_title": DARK_TEXT_ON_DARK,
        "button": "#2b303a",
        "button_text": DARK_TEXT_ON_DARK,
        "border": "#3b414c",
        "primary": _reads_on(colors["primary"], backgrounds),
        "discount_text": _reads_on(colors["discount_text"], backgrounds),
        "notification": _reads_on(colors["notification"], backgrounds),
    }


def readable_text(background: str) -> str:
    """Dark or white text, whichever reads better on the background (for colours a theme
    sets only as backgrounds, such as the menu and the notification badge)."""
    dark, light = contrast_ratio(DARK_TEXT, background), contrast_ratio(LIGHT_TEXT, background)
    best = DARK_TEXT if dark >= light else LIGHT_TEXT
    if max(dark, light) < MIN_CONTRAST and contrast_ratio("#000000", background) > light:
        return "#000000"  # a middle tone: only black reads on it (one of the two always does)
    return best


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
