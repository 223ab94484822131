"""The Jinja2 environment of hosted pages: autoescape on, undefined names are errors,
gettext catalogues (compiled from chalicelib/translations/*.po by `make i18n-compile`).

One configuration; one instance per language, since the installed translations are part
of an environment and requests of different languages must not share them.
"""

from __future__ import annotations

import functools
import gettext
import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from chalicelib.branding import dark_palette, muted_text, readable_text
from chalicelib.pages.maps import page_map
from chalicelib.pages.modules import module_file
from chalicelib.pages.store import LANGUAGES

DEFAULT_LANGUAGE = LANGUAGES[0]
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def pick_language(requested: str | None, tenant_default: str) -> str:
    """`?language=` if it is one we speak; otherwise the tenant's, otherwise English.

    The value is only ever compared with the allowlist: it never reaches a path or a
    template name.
    """
    for candidate in (requested, tenant_default):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


@functools.cache
def environment(language: str = DEFAULT_LANGUAGE) -> Environment:
    """The page environment for one language, created on first use."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    env = Environment(
        loader=PackageLoader("chalicelib", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    catalogue = gettext.translation(
        "messages", localedir=TRANSLATIONS, languages=[language], fallback=language == "en"
    )
    env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    # The page's settings as compact JSON: every byte counts against the page's weight.
    # (UTF-8 as it is: "ü" is two bytes where its escape is six).
    env.policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "separators": (",", ":"),
        "ensure_ascii": False,
    }
    env.globals["language"] = language
    env.globals["readable_text"] = readable_text
    env.globals["muted_text"] = muted_text
    env.globals["dark_palette"] = dark_palette
    env.filters["compact"] = compact
    env.filters["compact_css"] = compact_css
    env.filters["split_placeholders"] = split_placeholders
    env.globals["page_module"] = page_module
    env.globals["page_map"] = page_map
    return env


def page_module(name: str) -> str:
    """Where a page loads one of its modules from (our own origin)."""
    return f"/page-assets/{module_file(name)[0]}"


_CSS_SPACE = re.compile(r"\s+")
_CSS_AROUND = re.compile(r" ?([{};,>]) ?")
_CSS_STRING = re.compile(r'("[^"]*")')


def compact_css(style: str) -> str:
    """A page's CSS without the spaces only its readers need: around `{ } ; , >`, after `:`
    and before `}`. Spaces inside selectors (`.menu nav`), values (`1px solid`) and quoted
    strings stay; the styles have no comments."""
    parts = _CSS_STRING.split(style)  # quoted strings (odd places) stay as written
    for i in range(0, len(parts), 2):
        flat = _CSS_AROUND.sub(r"\1", _CSS_SPACE.sub(" ", parts[i])).replace(": ", ":")
        parts[i] = flat.replace(";}", "}")
    return "".join(parts).strip()


_PLACEHOLDER = re.compile(r"\{(tac|dpp|withdrawal)\}")


def split_placeholders(sentence: str) -> list[str]:
    """A translated sentence cut around its link placeholders: `I accept the {tac}.` ->
    `["I accept the ", "tac", "."]` (the names where the links go)."""
    return [piece for piece in _PLACEHOLDER.split(sentence) if piece]


def compact(script: str) -> str:
    """A page's script without what only its readers need: indentation, blank lines and
    lines that are only a `//` comment (pages stay within their weight; the scripts use no
    template literals, so no line is inside a string)."""
    lines = (line.strip() for line in script.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))
