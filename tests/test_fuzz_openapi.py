"""The OpenAPI document, fuzzed against the running app (schemathesis): whatever the
generated input, no 5xx, no undocumented status or content type, no response that breaks
its schema, and no accepted nonsense.

It runs through the same local server `make run` uses. (schemathesis' own pytest plugin
does not work with pytest 9 yet, so the operations are driven with Hypothesis directly.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
    return {
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
        body["components"] = []  # quantities in range: tested in tests/billing
    # An IBAN's check digits and min_quantity <= max_quantity: tested in tests/billing.
    body.pop("payment", None)
    body.pop("min_quantity", None)
    if body.get("valid_until") is not None:
        body["valid_until"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    body.pop("document_id", None)
    body.pop("coupon_code", None)  # a real code: tests/billing
    if isinstance(body.get("urls"), dict):  # redirect URLs must be on the allowlist
        body["urls"].pop("success", None)
        body["urls"].pop("error", None)


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
        if case.headers and "Idempotency-Key" in case.headers:
            # A generated key reappears with another body, which is a 422 by design.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        case.call_and_validate(base_url=local_server, headers=headers)

    fuzz()
