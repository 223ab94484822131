"""Rendering one page: a template, a language, a context. Never imported on a request
that serves a stored page."""

from __future__ import annotations

from typing import Any

from chalicelib.pages.environment import environment


def render_page(template: str, language: str, **context: Any) -> str:
    """The HTML of `template` in `language`."""
    return environment(language).get_template(template).render(**context)
