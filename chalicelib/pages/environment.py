"""The one Jinja2 environment: autoescape on, undefined names are errors."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@functools.cache
def environment() -> Environment:
    """Created on first use, once per process."""
    return Environment(
        loader=PackageLoader("chalicelib", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
