"""Rendering one page: a template, a language, a context. Never imported on a request
that serves a stored page."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.pages.environment import environment

_INLINE = re.compile(r"(<(script|style)[^>]*>)(.*?)(</\2>)", re.S)
_INDENT = re.compile(r"\n[ \t]+")


def _compact(match: re.Match[str]) -> str:
    # Indentation is all an inline script or style loses: no line of ours continues a
    # string across lines, so the code means the same (and its CSP hash is taken after).
    return match.group(1) + _INDENT.sub("\n", match.group(3)) + match.group(4)


def render_page(template: str, language: str, **context: Any) -> str:
    """The HTML of `template` in `language`, its inline scripts and styles unindented."""
    html = environment(language).get_template(template).render(**context)
    return _INLINE.sub(_compact, html)
