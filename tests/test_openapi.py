"""The OpenAPI document and the reference page."""

from __future__ import annotations

import json

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
