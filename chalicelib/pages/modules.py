"""Scripts a hosted page loads as files of their own, from our origin (`/page-assets/`), only
where the page shows what they draw: the page itself stays within its weight. Their minified
form is committed under templates/pages/min/ (`node console/pages.mjs`). No Jinja here: the
file is served without rendering anything."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

MINIFIED = Path(__file__).resolve().parent.parent / "templates" / "pages" / "min"
MODULES = frozenset({"page", "portal_app", "portal_support", "self_service_forms"})


@functools.cache
def module_file(name: str) -> tuple[str, bytes]:
    """A module's file name (`portal_support-1a2b3c4d5e6f.js`, named by its content, so it
    is cached for a year) and its bytes."""
    if name not in MODULES:
        raise ValueError(f"no page module {name!r}")
    data = (MINIFIED / f"{name}.js").read_bytes()
    return f"{name}-{hashlib.sha256(data).hexdigest()[:12]}.js", data


def served(name: str) -> bytes | None:
    """The bytes of the module file `name` names, or None for any other name."""
    stem = name.rsplit("-", 1)[0]
    if stem not in MODULES or module_file(stem)[0] != name:
        return None
    return module_file(stem)[1]
