"""Delivering events to a real receiver on 127.0.0.1, which verifies every signature with the
`standardwebhooks` library: the body is the event as `GET /v1/events` shows it; failures
(500, a closed connection, a timeout, a redirect) are retried on the schedule for three days
with the same `webhook-id`; a consumer that crashes midway is retried without a second id;
two workers never send one message at once. On moto and DynamoDB Local.

`deliver` is called with events read from the table, as the stream consumer will call it.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.models import WebhookMessage
from chalicelib.services.webhooks import delivery, signing, transport
from chalicelib.services.webhooks.delivery import LEASE, RETRY_WINDOW, deliver, run_due
from tests.services.webhooks.conftest import add_endpoint, events_of
from tests.services.webhooks.receiver import CLOSE, FAIL_500, REDIRECT, SLOW


def _mine(results, tenant_id):
    return [r for r in results if r.tenant_id == tenant_id]


def _customer_created(api, tenant, name="Nordbau"):
    customer = api.post("/v1/customers", {"name": name}).json_body
    (event,) = [
        e for e in events_of(tenant.id, "customer.created") if e.object_id == customer["id"]
    ]
    return event


def _message(tenant_id, endpoint_id, event_id):
    return WebhookMessage.get(
        tenant_id, WebhookMessage.key_for(endpoint_id, event_id), consistent_read=True
    )


def _deliveries(api, endpoint_id, **query):
    suffix = "".join(f"&{k}={v}" for k, v in query.items())
    answer = api.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries?limit=100{suffix}")
    assert answer.status_code == 200, answer.body
    return answer.json_body["items"]


def test_an_event_is_delivered_once_signed_as_the_events_api_shows_it(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.*"])
    event = _customer_created(api, tenant)

    (result,) = deliver(event)

    assert result.succeeded
    assert result.response_code == 200
    assert result.attempt == 1
    (seen,) = receiver.for_path(endpoint["url"])
    assert seen.verified_with, seen.error  # the receiver's own check, with the library
    shown = api.get("/v1/events?type=customer.created").json_body["items"]
    assert seen.payload == next(e for e in shown if e["id"] == event.event_id)
    assert seen.payload["type"] == "customer.created"
    assert seen.webhook_id == result.webhook_id
    assert seen.webhook_id == WebhookMessage.webhook_id_for(
        tenant.id, event.event_id, endpoint["id"]
    )
    assert abs(int(seen.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert _message(tenant.id, endpoint["id"], event.event_id).status == "delivered"
    (logged,) = _deliveries(api, endpoint["id"])
    assert logged["event_id"] == event.event_id
    assert logged["webhook_id"] == seen.webhook_id
    assert logged["status"] == "succeeded"
    assert logged["response_code"] == 200
    assert logged["response_excerpt"] == '{"received":true}'
    assert logged["next_retry_at"] is None

    # The stream hands the same record over again (a retried batch): nothing is sent twice.
    assert deliver(event) == []
    assert _mine(run_due(utcnow() + timedelta(days=4)), tenant.id) == []
    assert len(receiver.for_path(endpoint["url"])) == 1


def test_only_endpoints_taking_the_type_get_it(api, tenant, receiver):
    takes_all = add_endpoint(api, receiver, ["*"])
    takes_area = add_endpoint(api, receiver, ["customer.*"])
    takes_exact = add_endpoint(api, receiver, ["customer.created"])
    takes_other = add_endpoint(api, receiver, ["share.read", "portal.*"])
    event = _customer_created(api, tenant)

    sent = {r.endpoint_id for r in deliver(event)}

    assert sent == {takes_all["id"], takes_area["id"], takes_exact["id"]}
    assert receiver.for_path(takes_other["url"]) == []
    ids = {r.webhook_id for r in receiver.received}
    assert len(ids) == 3  # one message per endpoint


def test_failures_are_retried_on_schedule_with_the_same_webhook_id(
    api, tenant, receiver, fast_timeouts
):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)
    receiver.answer(FAIL_500, CLOSE, SLOW, REDIRECT)
    start = utcnow()

    (first,) = deliver(event, now=start)
    assert not first.succeeded
    assert first.next_retry_at == start + timedelta(seconds=5)
    # Not due yet: nothing happens.
    assert _mine(run_due(start + timedelta(seconds=4)), tenant.id) == []

    at = first.next_retry_at
    outcomes = [first]
    for _ in range(4):
        (result,) = _mine(run_due(at), tenant.id)
        outcomes.append(result)
        at = result.next_retry_at or at

    assert [o.succeeded for o in outcomes] == [False, False, False, False, True]
    assert [o.attempt for o in outcomes] == [1, 2, 3, 4, 5]
    requests = receiver.for_path(endpoint["url"])
    assert len(requests) == 5
    assert {r.webhook_id for r in requests} == {first.webhook_id}
    assert all(r.verified_with for r in requests)
    log = _deliveries(api, endpoint["id"])
    assert [d["attempt"] for d in log] == [5, 4, 3, 2, 1]  # newest first
    assert {d["webhook_id"] for d in log} == {first.webhook_id}
    errors = [d["error"] for d in reversed(log)]
    assert errors[0] == "answered 500"
    assert errors[1] == "the connection closed without an answer"
    assert errors[2].startswith("timed out")
    assert errors[3] == "redirect (302) to https://elsewhere.example/hook not followed"
    assert errors[4] is None
    assert [d["response_code"] for d in reversed(log)] == [500, None, None, 302, 200]
    assert all(d["next_retry_at"] for d in log[1:])
    assert log[0]["next_retry_at"] is None
    # The redirect's target was never asked: only the receiver's one path got requests.
    assert len(receiver.received) == 5


def test_retries_follow_the_schedule_for_three_days_then_stop(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)
    receiver.answer(*[FAIL_500] * 50)
    start = utcnow()

    results = deliver(event, now=start)
    while results[-1].next_retry_at is not None:
        (result,) = _mine(run_due(results[-1].next_retry_at), tenant.id)
        results.append(result)

    times = [start] + [r.next_retry_at for r in results[:-1]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    hour = timedelta(hours=1)
    assert gaps[:7] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        2 * hour,
        5 * hour,
        10 * hour,
        10 * hour,
    ]
    assert all(g == 10 * hour for g in gaps[7:-1])
    assert times[-1] == start + RETRY_WINDOW  # the last attempt at three days, then none
    assert len(results) == 13
    assert _message(tenant.id, endpoint["id"], event.event_id).status == "failed"
    message = _message(tenant.id, endpoint["id"], event.event_id)
    assert message.due_at is None
    assert message.due_shard is None
    assert len({r.webhook_id for r in receiver.for_path(endpoint["url"])}) == 1
    assert _mine(run_due(start + timedelta(days=30)), tenant.id) == []


def test_a_consumer_that_crashes_before_sending_is_retried_with_the_same_id(
    api, tenant, receiver, monkeypatch
):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)

    def crash(*args, **kwargs):
        raise RuntimeError("the Lambda ran out of time")

    with monkeypatch.context() as patched:
        patched.setattr(transport, "post", crash)
        with pytest.raises(RuntimeError):
            deliver(event)
    assert receiver.received == []

    # The stream retries the record: the message exists and is held; nothing is sent now,
    # and no second message (or id) is made.
    assert deliver(event) == []
    assert _mine(run_due(), tenant.id) == []
    # When the hold runs out, the runner sends it, with the same id.
    (result,) = _mine(run_due(utcnow() + LEASE + timedelta(seconds=1)), tenant.id)
    assert result.succeeded
    assert result.attempt == 2
    (seen,) = receiver.for_path(endpoint["url"])
    assert seen.webhook_id == result.webhook_id
    assert seen.verified_with
    log = _deliveries(api, endpoint["id"])
    assert [(d["attempt"], d["status"]) for d in log] == [(2, "succeeded"), (1, "failed")]
    assert log[1]["error"] == delivery.INTERRUPTED


def test_a_consumer_that_crashes_after_sending_sends_again_under_the_same_id(
    api, tenant, receiver, monkeypatch
):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)

    def crash(*args, **kwargs):
        raise RuntimeError("killed before the result was written")

    with monkeypatch.context() as patched:
        patched.setattr(delivery, "_record", crash)
        with pytest.raises(RuntimeError):
            deliver(event)
    assert len(receiver.for_path(endpoint["url"])) == 1

    (result,) = _mine(run_due(utcnow() + LEASE + timedelta(seconds=1)), tenant.id)

    assert result.succeeded
    first, second = receiver.for_path(endpoint["url"])
    # At least once, never as two different events: the receiver deduplicates by id.
    assert first.webhook_id == second.webhook_id == result.webhook_id
    assert first.body == second.body


# Racing threads: DynamoDB Local only (moto's store is not thread-safe).
@pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)
def test_two_workers_never_send_one_message_at_once(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)
    receiver.answer(FAIL_500)
    (first,) = deliver(event)
    due = first.next_retry_at + timedelta(seconds=1)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        barrier.wait()
        results.extend(_mine(run_due(due), tenant.id))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 1
    assert len(receiver.for_path(endpoint["url"])) == 2  # the first attempt and one retry
    assert [d["attempt"] for d in _deliveries(api, endpoint["id"])] == [2, 1]


def test_the_test_event_goes_to_its_endpoint_only(api, tenant, receiver):
    tested = add_endpoint(api, receiver, ["share.read"])
    other = add_endpoint(api, receiver, ["*"])

    answer = api.post(f"/v1/webhook-endpoints/{tested['id']}/test")

    assert answer.status_code == 202, answer.body
    (event,) = events_of(tenant.id, "webhook_endpoint.tested")
    assert answer.json_body["event_id"] == event.event_id
    (result,) = deliver(event)
    assert result.endpoint_id == tested["id"]
    (seen,) = receiver.for_path(tested["url"])
    assert seen.webhook_id == answer.json_body["webhook_id"]
    assert seen.payload["type"] == "webhook_endpoint.tested"
    assert seen.payload["object_id"] == tested["id"]
    assert receiver.for_path(other["url"]) == []
    (logged,) = _deliveries(api, tested["id"], event_id=event.event_id)
    assert logged["webhook_id"] == answer.json_body["webhook_id"]


def test_a_rotated_secret_signs_beside_the_previous_one_for_a_day(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    old_secret = receiver.secrets["/" + endpoint["url"].split("/", 3)[3]][0]

    rotated = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/secret")

    assert rotated.status_code == 200, rotated.body
    new_secret = rotated.json_body["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    receiver.trust(endpoint["url"], new_secret)
    deliver(_customer_created(api, tenant))
    (seen,) = receiver.for_path(endpoint["url"])
    assert sorted(seen.verified_with) == sorted([old_secret, new_secret])
    # After the day, only the new secret signs.
    from chalicelib.models import WebhookEndpoint

    stored = WebhookEndpoint.get(tenant.id, endpoint["id"])
    later = utcnow() + signing.PREVIOUS_SECRET_GRACE + timedelta(seconds=1)
    assert signing.signing_secrets(stored, later) == [new_secret]


def test_a_deleted_endpoint_gets_no_more_retries(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)
    receiver.answer(FAIL_500)
    (first,) = deliver(event)

    assert api.delete(f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 204
    assert _mine(run_due(first.next_retry_at), tenant.id) == []

    assert len(receiver.for_path(endpoint["url"])) == 1
    message = _message(tenant.id, endpoint["id"], event.event_id)
    assert message.status == "failed"
    assert message.due_at is None


def test_a_retry_goes_to_the_url_as_it_is_now(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    event = _customer_created(api, tenant)
    receiver.answer(FAIL_500)
    (first,) = deliver(event)
    moved = receiver.endpoint()
    receiver.trust(moved, receiver.secrets["/" + endpoint["url"].split("/", 3)[3]][0])
    assert api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", {"url": moved}).status_code == 200

    (result,) = _mine(run_due(first.next_retry_at), tenant.id)

    assert result.succeeded
    (seen,) = receiver.for_path(moved)
    assert seen.webhook_id == first.webhook_id
    assert seen.verified_with
