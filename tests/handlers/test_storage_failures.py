"""When DynamoDB fails (throttled after retries, unreachable), the answer is a clear 503
and nothing is half-written."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.models import connection
from tests.conftest import problem


@pytest.fixture
def failing(backend, monkeypatch):
    """Make chosen DynamoDB operations fail the way botocore reports them."""
    client = connection().client
    real = client._make_api_call
    failures: dict[str, Exception] = {}

    def call(operation, params):
        if operation in failures:
            raise failures[operation]
        return real(operation, params)

    monkeypatch.setattr(client, "_make_api_call", call)
    return failures


def _throttled(operation: str) -> ClientError:
    error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
    return ClientError({"Error": error}, operation)


def test_throttled_create_is_503_with_retry_after_and_creates_nothing(api, failing):
    failing["TransactWriteItems"] = _throttled("TransactWriteItems")  # a change and its event
    response = api.post("/v1/customers", {"name": "Throttled"})
    body = problem(response)
    assert body["status"] == 503
    assert response.headers["Retry-After"]
    failing.clear()
    assert api.get("/v1/customers").json_body["items"] == []


def test_failed_telemetry_transaction_leaves_asset_and_history_unchanged(api, failing):
    asset = api.post("/v1/assets", {"name": "A"}).json_body
    failing["TransactWriteItems"] = _throttled("TransactWriteItems")
    response = api.post(
        f"/v1/assets/{asset['id']}/events", {"time": "2026-11-22T10:00:00Z", "lat": 1.0, "lon": 2.0}
    )
    assert problem(response)["status"] == 503
    failing.clear()
    assert api.get(f"/v1/assets/{asset['id']}").json_body == asset
    assert api.get(f"/v1/assets/{asset['id']}/events").json_body["items"] == []


def test_unreachable_store_is_503_not_500(api, failing):
    failing["Query"] = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert problem(api.get("/v1/customers"))["status"] == 503


def test_throttled_key_lookup_is_503_not_401(api, failing):
    failing["GetItem"] = _throttled("GetItem")
    assert problem(api.get("/v1/customers"))["status"] == 503
