"""The OpenAPI document and the reference page."""

from __future__ import annotations

import json

from chalicelib import openapi
from chalicelib.operations import OPERATIONS


def _refs(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_openapi_document_describes_every_operation(anonymous, backend):
    response = anonymous.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.body)
    assert doc["openapi"] == "3.1.0"
    for op in OPERATIONS:
        described = doc["paths"][op.path][op.method.lower()]
        assert str(op.status) in described["responses"]
        if op.body is not None:
            assert "requestBody" in described
    assert _refs(doc, set()) <= set(doc["components"]["schemas"])


def test_api_contract_fields_are_in_the_schemas(anonymous, backend):
    schemas = json.loads(anonymous.get("/v1/openapi.json").body)["components"]["schemas"]
    assert set(schemas["CustomerCreate"]["properties"]) >= {
        "name",
        "customer_type",
        "external_id",
        "language",
        "email",
    }
    assert schemas["CustomerCreate"]["additionalProperties"] is False
    assert set(schemas["AssetEventCreate"]["properties"]) >= {
        "time",
        "lat",
        "lon",
        "operating_hours",
        "status",
    }
    assert set(schemas["AssignmentSet"]["properties"]) == {"asset_ids", "business_unit_id"}


def test_docs_page_lists_the_routes_and_escapes(anonymous, backend):
    response = anonymous.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html = response.body.decode()
    for op in OPERATIONS:
        assert op.path in html
    assert "<script" not in html


# Provider routes keep the view's name as operationId (integrators call them by it); the
# self-service views of the same name get their own.
RENAMED = {
    ("GET", "/v1/self-service/contract"): "get_self_service_contract",
    ("PATCH", "/v1/self-service/customer"): "update_self_service_customer",
    ("GET", "/v1/self-service/documents/{document_id}"): "get_self_service_document",
}


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _schemas_in(schema):
    """The schema and every schema nested in it, references not followed."""
    yield schema
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        if isinstance(schema.get(key), dict):
            yield from _schemas_in(schema[key])
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key, []):
            yield from _schemas_in(sub)
    for sub in schema.get("properties", {}).values():
        yield from _schemas_in(sub)


def _reachable(roots, schemas):
    names, todo = set(), set(_refs(roots, set()))
    while todo:
        name = todo.pop()
        names.add(name)
        todo |= _refs(schemas[name], set()) - names
    return names


def test_operation_ids_are_unique_and_stable():
    doc = openapi.document()
    ids = [operation["operationId"] for _, _, operation in _operations(doc)]
    assert sorted(i for i in ids if ids.count(i) > 1) == []
    for op in OPERATIONS:
        expected = RENAMED.get((op.method, op.path), op.name)
        assert doc["paths"][op.path][op.method.lower()]["operationId"] == expected


def test_no_two_component_schemas_share_a_title():
    schemas = openapi.document()["components"]["schemas"]
    titles = [schema.get("title", name) for name, schema in schemas.items()]
    assert sorted(t for t in titles if titles.count(t) > 1) == []


def test_every_4xx_problem_types_its_field_errors():
    doc = openapi.document()
    schemas = doc["components"]["schemas"]
    assert schemas["Problem"]["properties"]["errors"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/FieldError"},
    }
    field_error = schemas["FieldError"]
    assert field_error["required"] == ["field", "message"]
    assert {name: s["type"] for name, s in field_error["properties"].items()} == {
        "field": "string",
        "message": "string",
        "code": "string",
        "limit": "number",
        "params": "object",
    }
    for method, path, operation in _operations(doc):
        for status, response in operation["responses"].items():
            if status.startswith("4") and "application/problem+json" in response["content"]:
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)


def test_optional_request_fields_have_no_default():
    # openapi-typescript makes a field with a default required (answers always carry it).
    doc = openapi.document()
    schemas = doc["components"]["schemas"]
    bodies = [
        media["schema"]
        for _, _, operation in _operations(doc)
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    roots = [*bodies, *(schemas[name] for name in _reachable(bodies, schemas))]
    for root in roots:
        for schema in _schemas_in(root):
            required = set(schema.get("required", []))
            defaults = [
                name
                for name, field in schema.get("properties", {}).items()
                if name not in required and "default" in field
            ]
            assert defaults == [], (schema.get("title"), defaults)


def test_files_are_binary_and_sso_redirects():
    doc = openapi.document()
    for method, path, operation in _operations(doc):
        contents = [operation.get("requestBody", {}).get("content", {})]
        contents += [r.get("content", {}) for r in operation["responses"].values()]
        for content in contents:
            for kind, media in content.items():
                if not (kind.startswith("text/") or kind.endswith("json") or "form" in kind):
                    assert media["schema"].get("format") == "binary", (method, path, kind)
    sso = doc["paths"]["/sso/{slug}/jwt"]
    for operation in sso.values():
        assert not any(status.startswith("2") for status in operation["responses"])
        location = operation["responses"]["302"]["headers"]["Location"]
        assert location["required"] is True
    form = sso["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["properties"]) == {"jwt", "return_to"}
    assert form["required"] == ["jwt"]
