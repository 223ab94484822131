"""Sample ids and bodies for tests that walk every route (authorization and scope matrices).

A route that takes an id or a body nobody has a sample for fails those tests with a message
saying what to add here, so a new route cannot slip through uncovered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.operations import OPERATIONS

# Which kind of object a path's {id} names, by the path's start.
ID_KINDS = {
    "/v1/customers/{id}": "customer",
    "/v1/assets/{id}": "asset",
    "/v1/api-keys/{id}": "api_key",
}

# A valid body per route, so that only tenancy or scope can refuse the request.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/v1/customers"): {"name": "New customer"},
    ("PATCH", "/v1/customers/{id}"): {"name": "renamed"},
    ("POST", "/v1/customers/{id}/business-units"): {"name": "unit"},
    ("PUT", "/v1/customers/{id}/assets"): {"asset_ids": []},
    ("POST", "/v1/assets"): {"name": "New asset"},
    ("PATCH", "/v1/assets/{id}"): {"name": "renamed"},
    ("POST", "/v1/assets/{id}/events"): {"time": "NOW"},
    ("POST", "/v1/api-keys"): {"name": "New key", "scopes": ["read"]},
}


def object_kind(path: str) -> str | None:
    """The kind of object the path's {id} names, None for a path without one."""
    if "{" not in path:
        return None
    for prefix, kind in ID_KINDS.items():
        if path.startswith(prefix):
            return kind
    pytest.fail(f"no sample id for {path}: add its prefix to tests/samples.py ID_KINDS")


def body_for(method: str, path: str) -> dict[str, object] | None:
    """A valid body for the route, or None when it takes none."""
    if not any(o.method == method and o.path == path and o.body for o in OPERATIONS):
        return None
    if (method, path) not in BODIES:
        pytest.fail(f"add a valid sample body for {method} {path} to tests/samples.py BODIES")
    body = dict(BODIES[(method, path)])
    if body.get("time") == "NOW":
        body["time"] = datetime.now(UTC).isoformat()
    return body
