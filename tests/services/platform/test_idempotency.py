"""Idempotency keys: claimed once, replayed when done, per tenant and API key, expired by
the app's own clock, and kept after a storage failure but released after a domain error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import Conflict, Invalid
from chalicelib.models import Token, connection
from chalicelib.services.platform import api_keys, idempotency
from chalicelib.services.platform.idempotency import StoredResponse
from chalicelib.tenancy import Actor, authenticate_api_key
from tests.conftest import problem

KEY = "order-2026-11-22-0001"
FINGERPRINT = idempotency.fingerprint("POST", "/v1/customers", [{}, {"name": "Nordbau"}])
OTHER_FINGERPRINT = idempotency.fingerprint("POST", "/v1/customers", [{}, {"name": "Südbau"}])
T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def ctx(tenant):
    return authenticate_api_key(f"Bearer {tenant.key}")


def _at(moment: datetime):
    return lambda: moment


def _stored_expiry(ctx, key: str) -> datetime:
    record = Token.get(
        Token.idempotency_digest(ctx.tenant_id, ctx.actor, key), consistent_read=True
    )
    assert record.expires_at is not None
    return record.expires_at


# --- claim, conflict, replay, mismatch, release ---------------------------------------


def test_fresh_idempotency_key_is_claimed(ctx):
    assert idempotency.begin(ctx, KEY, FINGERPRINT) is None


def test_second_begin_while_pending_is_409(ctx):
    idempotency.begin(ctx, KEY, FINGERPRINT)
    with pytest.raises(Conflict) as caught:
        idempotency.begin(ctx, KEY, FINGERPRINT)
    assert caught.value.status == 409


def test_completed_key_replays_the_stored_status_and_body(ctx):
    body = {"id": "cus_1", "name": "Nordbau", "tags": ["a", "b"], "count": 3, "none": None}
    idempotency.begin(ctx, KEY, FINGERPRINT)
    idempotency.complete(ctx, KEY, 201, body)
    assert idempotency.begin(ctx, KEY, FINGERPRINT) == StoredResponse(201, body)
    # and again: a replay does not consume the stored response
    assert idempotency.begin(ctx, KEY, FINGERPRINT) == StoredResponse(201, body)


@pytest.mark.parametrize("completed", [False, True], ids=["pending", "done"])
def test_same_key_with_a_different_request_is_invalid_naming_idempotency_key(ctx, completed):
    idempotency.begin(ctx, KEY, FINGERPRINT)
    if completed:
        idempotency.complete(ctx, KEY, 201, {"id": "cus_1"})
    with pytest.raises(Invalid) as caught:
        idempotency.begin(ctx, KEY, OTHER_FINGERPRINT)
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["Idempotency-Key"]


def test_released_key_can_be_claimed_again(ctx):
    idempotency.begin(ctx, KEY, FINGERPRINT)
    idempotency.release(ctx, KEY)
    assert idempotency.begin(ctx, KEY, OTHER_FINGERPRINT) is None


# --- scoping: per tenant and per API key --------------------------------------------


def test_same_key_of_another_tenant_is_a_fresh_claim(ctx, other_tenant):
    other_ctx = authenticate_api_key(f"Bearer {other_tenant.key}")
    idempotency.begin(ctx, KEY, FINGERPRINT)
    idempotency.complete(ctx, KEY, 201, {"id": "cus_of_a"})
    assert idempotency.begin(other_ctx, KEY, FINGERPRINT) is None
    assert idempotency.begin(ctx, KEY, FINGERPRINT) == StoredResponse(201, {"id": "cus_of_a"})


def test_same_key_of_another_api_key_of_the_same_tenant_is_a_fresh_claim(ctx, tenant):
    second = api_keys.issue(Actor(tenant.id, "test"), "second", ["write"])
    second_ctx = authenticate_api_key(f"Bearer {second.key}")
    assert second_ctx.tenant_id == ctx.tenant_id
    assert second_ctx.actor != ctx.actor
    idempotency.begin(ctx, KEY, FINGERPRINT)
    idempotency.complete(ctx, KEY, 201, {"id": "cus_of_first_key"})
    assert idempotency.begin(second_ctx, KEY, FINGERPRINT) is None
    with pytest.raises(Conflict):  # the second key's claim is its own, pending
        idempotency.begin(second_ctx, KEY, FINGERPRINT)


def test_another_tenant_using_the_key_for_other_work_gets_neither_replay_nor_422(ctx, other_tenant):
    other_ctx = authenticate_api_key(f"Bearer {other_tenant.key}")
    idempotency.begin(ctx, KEY, FINGERPRINT)
    idempotency.complete(ctx, KEY, 201, {"secret": "of tenant A"})
    assert idempotency.begin(other_ctx, KEY, OTHER_FINGERPRINT) is None


# --- expiry is the app's business ---------------------------------------------------


def test_record_expires_24_hours_after_its_claim(ctx):
    idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(T0))
    assert _stored_expiry(ctx, KEY) == T0 + timedelta(hours=24)


@pytest.mark.parametrize(
    "late", [timedelta(seconds=1), timedelta(hours=47)], ids=["plus_1s", "plus_47h"]
)
@pytest.mark.parametrize("completed", [False, True], ids=["pending", "done"])
def test_expired_idempotency_record_can_be_claimed_again(ctx, late, completed):
    idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(T0))
    if completed:
        idempotency.complete(ctx, KEY, 201, {"id": "cus_old"})
    expiry = _stored_expiry(ctx, KEY)
    assert idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(expiry + late)) is None
    # the new claim is pending again and has a new expiry
    with pytest.raises(Conflict):
        idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(expiry + late))
    assert _stored_expiry(ctx, KEY) == expiry + late + timedelta(hours=24)


def test_pending_record_one_second_before_expiry_is_not_claimed(ctx):
    idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(T0))
    expiry = _stored_expiry(ctx, KEY)
    with pytest.raises(Conflict):
        idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(expiry - timedelta(seconds=1)))


def test_done_record_one_second_before_expiry_still_replays(ctx):
    idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(T0))
    idempotency.complete(ctx, KEY, 201, {"id": "cus_1"})
    expiry = _stored_expiry(ctx, KEY)
    stored = idempotency.begin(ctx, KEY, FINGERPRINT, clock=_at(expiry - timedelta(seconds=1)))
    assert stored == StoredResponse(201, {"id": "cus_1"})


# --- through HTTP -------------------------------------------------------------------


def _written(operation, params):
    """The tables a PutItem or a TransactWriteItems writes to."""
    if operation == "PutItem":
        return [params["TableName"]]
    if operation == "TransactWriteItems":
        return [next(iter(i.values()))["TableName"] for i in params["TransactItems"]]
    return []


@pytest.fixture
def failing_puts(backend, monkeypatch):
    """Make PutItem fail as throttled on the tables whose base names are listed."""
    client = connection().client
    real = client._make_api_call
    tables: set[str] = set()

    def call(operation, params):
        if any(name.endswith(t) for name in _written(operation, params) for t in tables):
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
            raise ClientError({"Error": error}, operation)
        return real(operation, params)

    monkeypatch.setattr(client, "_make_api_call", call)
    return tables


def test_replayed_create_answers_the_first_response_and_creates_once(api):
    headers = {"Idempotency-Key": KEY}
    first = api.post("/v1/customers", {"name": "Nordbau"}, headers=headers)
    assert first.status_code == 201
    again = api.post("/v1/customers", {"name": "Nordbau"}, headers=headers)
    assert again.status_code == 201
    assert again.json_body == first.json_body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(api.get("/v1/customers").json_body["items"]) == 1


def test_storage_failure_keeps_the_claim_so_a_retry_is_409_and_nothing_is_duplicated(
    api, failing_puts
):
    headers = {"Idempotency-Key": KEY}
    failing_puts.add("customers")
    failed = api.post("/v1/customers", {"name": "Nordbau"}, headers=headers)
    assert problem(failed)["status"] == 503
    failing_puts.clear()

    retry = api.post("/v1/customers", {"name": "Nordbau"}, headers=headers)
    assert problem(retry)["status"] == 409

    names = [c["name"] for c in api.get("/v1/customers").json_body["items"]]
    assert names.count("Nordbau") <= 1
    assert names == []  # the stubbed write never reached the table


def test_domain_error_releases_the_key(api):
    headers = {"Idempotency-Key": KEY}
    missing = api.post("/v1/customers/cus_nope/business-units", {"name": "North"}, headers=headers)
    assert problem(missing)["status"] == 404

    # the very same request again: 404 again, not 409 (pending) or a replayed 404
    again = api.post("/v1/customers/cus_nope/business-units", {"name": "North"}, headers=headers)
    assert problem(again)["status"] == 404
    assert "Idempotent-Replayed" not in again.headers

    # and a corrected request may use the key: not 422 for a different fingerprint
    corrected = api.post("/v1/customers", {"name": "Nordbau"}, headers=headers)
    assert corrected.status_code == 201, corrected.body
