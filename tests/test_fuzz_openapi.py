"""The OpenAPI document, fuzzed against the running app (schemathesis): whatever the
generated input, no 5xx, no undocumented status or content type, no response that breaks
its schema, and no accepted nonsense.

It runs through the same local server `make run` uses. (schemathesis' own pytest plugin
does not work with pytest 9 yet, so the operations are driven with Hypothesis directly.)
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.transport.requests import REQUESTS_TRANSPORT, binary_serializer

from chalicelib import openapi
from chalicelib.operations import OPERATIONS
from tests.conftest import make_tenant

EXAMPLES = 30
pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)


def _operation(method: str, path: str):
    schema = schemathesis.openapi.from_dict(openapi.document())
    return (
        schema[path][method].ok() if hasattr(schema[path][method], "ok") else schema[path][method]
    )


# Documents are sent as they are: bytes in, bytes out.
REQUESTS_TRANSPORT.serializer("application/pdf")(binary_serializer)


def _references(api) -> dict[str, str]:
    """Objects a body may name, so that generated bodies name real ones."""
    plan = api.post("/v1/plans", {"name": "Fuzz plan"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "V", "price": "1.00"}).json_body
    component = api.post(
        "/v1/components", {"plan_id": plan, "name": "C", "kind": "on_off", "price": "1.00"}
    ).json_body
    customer = api.post("/v1/customers", {"name": "Fuzz customer"}).json_body["id"]
    device = api.post("/v1/assets", {"name": "Fuzz device", "kind": "gps_device"}).json_body
    area = api.post("/v1/ticket-areas", {"name": "Fuzz area"}).json_body["id"]
    kind = api.post("/v1/ticket-types", {"name": "Fuzz type"}).json_body["id"]
    return {
        "area_id": area,
        "type_id": kind,
        "plan_id": plan,
        "plan_variant_id": variant["id"],
        "component_id": component["id"],
        "customer_id": customer,
        "partner_tenant_id": make_tenant("Fuzz partner").public_id,
        "asset_id": device["id"],
    }


def _name_real_objects(body: dict, refs: dict[str, str]) -> None:
    for name, value in refs.items():
        if name in body and name != "asset_id":
            body[name] = value
    if "plan_variant_ids" in body:
        body["plan_variant_ids"] = [refs["plan_variant_id"]]
    if "asset_ids" in body and "partner_tenant_id" in body:  # a share of a real device
        body["asset_ids"] = [refs["asset_id"]]
    if "expires_at" in body and body["expires_at"] is not None:
        body["expires_at"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    if isinstance(body.get("components"), list):
        body["components"] = []  # quantities in range: tested in tests/services/billing
    # An IBAN's check digits, min_quantity <= max_quantity and the terms lines' placeholders
    # ({tac}, {dpp}, {withdrawal} only): tested in tests/services/billing.
    body.pop("payment", None)
    if isinstance(body.get("terms_lines"), list):
        body["terms_lines"] = []
    body.pop("min_quantity", None)
    if body.get("valid_until") is not None:
        body["valid_until"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    body.pop("document_id", None)
    body.pop("coupon_code", None)  # a real code: tests/services/billing
    if isinstance(body.get("urls"), dict):  # redirect URLs must be on the allowlist
        body["urls"].pop("success", None)
        body["urls"].pop("error", None)
    _real_secrets_and_addresses(body)


def _real_desk_objects(body: dict, refs: dict[str, str], path: str) -> None:
    """Tickets and the desk's settings name real areas, types and customers; tags, equipment,
    assignees and the planned window's order are tested in tests/handlers/test_tickets.py."""
    if path.endswith("/exclusion-rules"):  # a rule names at least one area, type or tag
        body["area_ids"], body["type_ids"], body["tag_ids"] = [refs["area_id"]], [], []
    if "area_id" in body and "title" in body:  # a ticket
        body["tag_ids"], body["asset_ids"] = [], []
        for name in ("assignee_id", "planned_start", "planned_end"):
            body.pop(name, None)
    if "customer_ids" in body:
        body["customer_ids"] = [refs["customer_id"]] if refs else []


def _real_secrets_and_addresses(body: dict) -> None:
    if isinstance(body.get("url"), str) and "events" in body:
        # A webhook URL must resolve to a public address: tests/handlers/test_webhooks.py.
        body["url"] = "http://127.0.0.1:9/webhook"
    if isinstance(body.get("secret"), str):  # an HS256 secret must look random: tests/handlers
        body["secret"] = secrets.token_urlsafe(32)


@pytest.mark.parametrize(("method", "path"), [(o.method, o.path) for o in OPERATIONS])
def test_operation_conforms_to_the_openapi_document(
    backend, local_server, tenant, api, method, path
):
    operation = _operation(method, path)
    headers = {"Authorization": f"Bearer {tenant.key}"}
    refs = _references(api) if "/v1/" in path and method in ("POST", "PUT") else {}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def fuzz(case):
        # Rules the schema cannot state are tested elsewhere: a cursor must be one we issued
        # (test_customers), an event's time must be recent (test_assets), a theme must exist
        # and sections must belong to enabled apps (test_portal_templates).
        if case.query:
            case.query.pop("cursor", None)
        if isinstance(case.body, dict) and "time" in case.body:
            case.body["time"] = datetime.now(UTC).isoformat()
        if isinstance(case.body, dict):
            # References to other objects and rules across fields (test_portal_templates).
            for name in ("theme_id", "template_id", "sections"):
                case.body.pop(name, None)
            _name_real_objects(case.body, refs)
            _real_desk_objects(case.body, refs, path)
        if path == "/v1/customer-imports":
            # A file of customers needs a header row naming its columns: what a file may hold
            # is tested in tests/services/fleet/test_imports.py.
            case.body = "name;email\nFuzzed customer;fuzz@example.com\n"
        if case.headers and "Idempotency-Key" in case.headers:
            # A generated key reappears with another body, which is a 422 by design.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        case.call_and_validate(base_url=local_server, headers=headers)

    fuzz()


# --- hostile shapes: extreme times, numbers DynamoDB cannot store, deep nesting -------------
#
# Values a JSON Schema allows but nothing after the schema can keep (issue 11, item 7): a time
# whose UTC value leaves 0001-9999, a float under 1e-130 or over 9.99e125, a structure nested
# thousands deep. Every date-time and number the document declares (in bodies and queries,
# found by walking the document, so a new field is covered without anyone remembering) gets
# them, on top of an otherwise generated request: the answer is a 4xx naming the field,
# never a 5xx and never an acceptance.

EXTREME_TIMES = ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")
UNSTORABLE_NUMBERS = (1e-320, 5e-324, 1e-200, -1e-131, 1e126, -1e300)
HOSTILE_EXAMPLES = 12
_DOCUMENT = openapi.document()


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _spots(schema: dict, path: tuple[str, ...] = (), seen: frozenset = frozenset()):
    """(path, kind) of every date-time ("time") and number ("number") inside a schema."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    schema = _resolve(schema)
    seen = seen | {ref} if ref else seen
    if schema.get("format") == "date-time":
        yield path, "time"
    if schema.get("type") == "number":
        yield path, "number"
    for member in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _spots(member, path, seen)
    for name, member in (schema.get("properties") or {}).items():
        yield from _spots(member, (*path, name), seen)
    if isinstance(schema.get("items"), dict):
        yield from _spots(schema["items"], (*path, "0"), seen)


def _hostile_operations():
    for op in OPERATIONS:
        spec = _DOCUMENT["paths"][op.path][op.method.lower()]
        body = spec.get("requestBody", {}).get("content", {}).get("application/json")
        spots = sorted(set(_spots(body["schema"]))) if body else []
        query = [
            ((p["name"],), kind)
            for p in spec.get("parameters", [])
            if p["in"] == "query"
            for _, kind in _spots(p.get("schema", {}))
        ]
        if spots or query or body:
            yield pytest.param(
                op.method, op.path, spots, query, bool(body), id=f"{op.method} {op.path}"
            )


def _put(container: dict | list, path: tuple[str, ...], value) -> None:
    """Set `value` at `path` (list steps are "0"), making the objects and lists on the way."""
    if isinstance(container, list):
        container[:] = container[:1] or [None]
        key: int | str = 0
    else:
        key = path[0]
    if len(path) == 1:
        container[key] = value  # type: ignore[index]
        return
    kind = list if path[1].isdigit() else dict
    current = container[key] if isinstance(container, list) else container.get(key)  # type: ignore[index]
    if not isinstance(current, kind):
        current = kind()
        container[key] = current  # type: ignore[index]
    _put(current, path[1:], value)


def _nested_body(body: dict, field: str, depth: int) -> bytes:
    """`body` as JSON with `field` nested `depth` deep (objects and lists by turns). Built as
    text: no JSON encoder on this side may be the one that gives up on the depth."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    marker = uuid.uuid4().hex
    text = json.dumps({**body, field: marker})
    return text.replace(f'"{marker}"', f'{opening}"x"{closing}').encode()


def _send(case, base_url: str, headers: dict[str, str], raw: bytes) -> requests.Response:
    all_headers = {**(case.headers or {}), **headers, "Content-Type": "application/json"}
    url = base_url + case.formatted_path
    return requests.request(
        case.method, url, params=case.query, headers=all_headers, data=raw, timeout=60
    )


def _hostile(kind: str):
    return st.sampled_from(EXTREME_TIMES if kind == "time" else UNSTORABLE_NUMBERS)


def _named(body: dict, field: str) -> bool:
    return any(e["field"].split(".")[0] == field for e in body.get("errors", []))


@pytest.mark.parametrize(
    ("method", "path", "spots", "query", "has_body"), list(_hostile_operations())
)
def test_hostile_shapes_are_refused_naming_the_field_never_a_5xx(
    backend, local_server, tenant, api, method, path, spots, query, has_body
):
    operation = _operation(method, path)
    headers = {"Authorization": f"Bearer {tenant.key}"}
    choices = [("body", s) for s in spots] + [("query", q) for q in query]
    if has_body:
        choices.append(("nesting", None))

    @given(
        case=operation.as_strategy(),
        choice=st.sampled_from(choices),
        pick=st.data(),
    )
    @settings(
        max_examples=HOSTILE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case, choice, pick):
        where, spot = choice
        if case.headers and "Idempotency-Key" in case.headers:
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        body = case.body if isinstance(case.body, dict) else {}
        if where == "nesting":
            field = pick.draw(st.sampled_from(sorted(body) or ["body"]), label="field")
            depth = pick.draw(st.integers(50, 5000), label="depth")
            response = _send(case, local_server, headers, _nested_body(body, field, depth))
        elif where == "body":
            (field_path, kind) = spot
            case.body = body
            _put(body, field_path, pick.draw(_hostile(kind), label="value"))
            field = field_path[0]
            response = case.call(base_url=local_server, headers=headers)
        else:
            (name,), kind = spot
            case.query = {**(case.query or {}), name: pick.draw(_hostile(kind), label="value")}
            field = "query"
            response = case.call(base_url=local_server, headers=headers)
        assert response.status_code < 500, (where, spot, response.text[:500])
        assert response.status_code >= 400, (where, spot, "a hostile value was accepted")
        if response.status_code == 422:
            assert _named(response.json(), field), (field, response.text[:500])

    fuzz()


def _svg_uploads():
    return [
        pytest.param(op.method, op.path, id=f"{op.method} {op.path}")
        for op in OPERATIONS
        if "image/svg+xml" in op.upload
    ]


@pytest.mark.parametrize(("method", "path"), _svg_uploads())
def test_deeply_nested_svg_uploads_are_422_never_a_5xx(
    backend, local_server, tenant, api, method, path
):
    operation = _operation(method, path)
    theme = api.post("/v1/themes", {"name": "Fuzz theme"}).json_body["id"]
    headers = {"Authorization": f"Bearer {tenant.key}", "Content-Type": "image/svg+xml"}

    @given(case=operation.as_strategy(), depth=st.integers(33, 5000))
    @settings(
        max_examples=HOSTILE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case, depth):
        url = local_server + path.replace("{id}", theme)
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
            + "<g>" * depth
            + "<rect/>"
            + "</g>" * depth
            + "</svg>"
        )
        response = requests.request(
            method, url, params=case.query, headers=headers, data=svg.encode(), timeout=60
        )
        assert response.status_code < 500, response.text[:500]
        if response.status_code == 422:
            assert [e["field"] for e in response.json()["errors"]] in (["body"], ["query.size"])
        else:
            assert response.status_code in (400, 413, 415), response.text[:500]

    fuzz()
