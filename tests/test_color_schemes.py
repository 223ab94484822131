"""Colours a page derives from its theme (issue 15, item 3): the dark scheme and the muted
text read at 4.5:1 whatever colours a theme picks, the contrast check covers every pair the
pages put text in, and the pages carry the dark scheme, print styles and the tab's icon."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import branding
from chalicelib.pages.render import render_page
from chalicelib.services.pages.pages import DEFAULT_THEME, PageTheme, Site

hex_colors = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")


@settings(max_examples=300, deadline=None)
@given(primary=hex_colors, discount=hex_colors, notification=hex_colors)
def test_the_dark_scheme_reads_whatever_the_theme(primary, discount, notification):
    colors = {
        **branding.DEFAULT_COLORS,
        "primary": primary,
        "discount_text": discount,
        "notification": notification,
    }
    dark = branding.dark_palette(colors)
    for text in ("primary", "discount_text", "notification", "page_title", "button_text"):
        for background in ("page_background", "content_background", "button"):
            if text == "button_text" or background != "button":
                assert branding.contrast_ratio(dark[text], dark[background]) >= 4.5, (
                    text,
                    background,
                    dark,
                )
    # Only as much lighter as needed: a colour that already reads stays as it is.
    readable = branding.dark_palette({**branding.DEFAULT_COLORS, "primary": "#8ab4f8"})
    assert readable["primary"] == "#8ab4f8"


@settings(max_examples=300, deadline=None)
@given(background=hex_colors)
def test_muted_text_reads_on_any_background(background):
    muted = branding.muted_text(background)
    assert branding.contrast_ratio(muted, background) >= 4.5
    assert muted != background


def test_the_check_covers_every_pair_the_pages_put_text_in():
    pairs = set(branding.CONTRAST_PAIRS)
    assert ("primary", "page_background") in pairs  # links and focus rings on the page
    assert ("notification", "content_background") in pairs  # error sentences in cards
    # Every pair of the default palette passes.
    assert all(c.passes for c in branding.check_contrast(branding.DEFAULT_COLORS))
    # A pale link colour is caught on both backgrounds.
    pale = branding.check_contrast({**branding.DEFAULT_COLORS, "primary": "#9fc3ea"})
    failing = {(c.foreground, c.background) for c in pale if not c.passes}
    assert failing >= {("primary", "content_background"), ("primary", "page_background")}


def _page(theme: PageTheme = DEFAULT_THEME) -> str:
    site = Site("ten_x", "acme", "Acme", "en", (), None)
    return render_page(
        "pages/not_found.html",
        "de",
        site=site,
        theme=theme,
        logo=theme.logo,
        config={"page": "not-found", "tenant": "acme", "language": "de"},
    )


def test_a_page_carries_its_dark_scheme_print_styles_and_no_fixed_text_colours():
    html = _page()
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    dark = branding.dark_palette(branding.DEFAULT_COLORS)
    scheme = re.search(
        r"@media \(prefers-color-scheme:dark\)\{:root:not\(\.light\)\{(.*?)\}\}", style
    )
    assert scheme, style
    assert f"--pw-primary:{dark['primary']}" in scheme.group(1)
    assert "color-scheme:dark" in scheme.group(1)
    assert "@media print{" in style
    # Texts take the theme's derived colours, never a fixed grey or red.
    assert "#5b6372" not in style
    assert "#b3261e" not in style.replace(
        f"--pw-notification:{branding.DEFAULT_COLORS['notification']}", ""
    )


def test_the_tab_shows_the_themes_small_logo():
    without = _page()
    assert 'rel="icon"' not in without
    themed = PageTheme(dict(branding.DEFAULT_COLORS), 1, 4, None, "/p/acme/logos/thm_1/small.png")
    assert '<link rel="icon" href="/p/acme/logos/thm_1/small.png">' in _page(themed)
