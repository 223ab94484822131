"""The events stream on one machine (portway_ops/streams.py): what Lambda's event source
mapping does in AWS, against DynamoDB Local's stream (and moto's): delivery within a
second, checkpoints that survive a restart or a crash, parking of what keeps failing, and
`make run` running the consumers beside the server."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.blobs import blob_store
from chalicelib.models import Event, Theme
from chalicelib.pages import store
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import Actor
from portway_ops import streams
from portway_ops.dynamodb_local import free_port
from tests.portway_ops.running import local_run

PAGES = "pages_consumer"


def _record(tenant_id: str, type_: str = "tenant.embedding_updated") -> Event:
    with Transaction() as tx:
        return events.record(tx, Actor(tenant_id, "api_key:key_streams"), type_, tenant_id)


class Catcher:
    """A consumer that remembers the event ids it was given (and can fail on purpose)."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.ids: list[str] = []
        self.fail = fail or set()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            event_id = record["dynamodb"]["NewImage"]["event_id"]["S"]
            if event_id in self.fail:
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
                break
            self.ids.append(event_id)
        return {"batchItemFailures": failures}


def _runner(**options: Any) -> streams.StreamRunner:
    (subscription,) = [s for s in streams.SUBSCRIPTIONS if s.name == PAGES]
    return streams.StreamRunner(subscription, backoff=(0.0, 0.0), **options)


@pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)
def test_the_runner_renders_a_change_from_dynamodb_locals_stream_within_a_second(
    api, tenant, events_stream
):
    theme = api.post("/v1/themes", {"name": "Brand"}).json_body["id"]
    body = {"name": "Default", "apps": ["equipment"], "theme_id": theme, "is_default": True}
    template = api.post("/v1/portal-templates", body).json_body["id"]
    customer = api.post("/v1/customers", {"name": "Acme"}).json_body["id"]
    portal = api.put(f"/v1/customers/{customer}/portal", {"template_id": template}).json_body
    key = store.page_key(tenant.slug, "portal", portal["id"], "en")
    events_stream.drain()  # the setup's pages
    delivered: list[tuple[float, list[str]]] = []

    def seen(records: Any, failed: int | None) -> None:
        ids = [r["dynamodb"]["NewImage"]["event_id"]["S"] for r in records]
        delivered.append((time.perf_counter(), ids))

    consumers = streams.Consumers([_runner(on_delivery=seen)])
    consumers.skip_to_end()
    stop = threading.Event()
    thread = threading.Thread(target=consumers.run, args=(stop,), daemon=True)
    thread.start()
    try:
        item = Theme.get(tenant.id, theme)
        with Transaction() as tx:  # the change and its event, as the theme service records them
            tx.update(item, [Theme.colors["primary"].set("#0a0b0c")])
            event = events.record(
                tx, Actor(tenant.id, "api_key:key_streams"), "theme.updated", theme
            )
        committed = time.perf_counter()
        while "#0a0b0c" not in blob_store().get(key).data.decode():
            assert time.perf_counter() - committed < 1.0, "the page was not updated within 1 s"
            time.sleep(0.005)
        rendered = time.perf_counter()
    finally:
        stop.set()
        thread.join(timeout=10)
    (called_at, ids), *_ = delivered
    assert ids == [event.event_id]  # the consumer was called with exactly this event
    assert called_at - committed < 1.0
    assert rendered - committed < 1.0


def test_a_restarted_runner_resumes_from_its_checkpoint_and_drops_nothing(backend, tmp_path):
    checkpoint = tmp_path / "pages_consumer.checkpoint.json"
    first = Catcher()
    before = _runner(checkpoint=checkpoint, handler=first)
    before.skip_to_end()
    one = _record("ten_stream_a")
    streams.Consumers([before]).drain()
    assert first.ids == [one.event_id]
    # Stopped; meanwhile the service goes on recording.
    two, three = _record("ten_stream_a"), _record("ten_stream_b")
    second = Catcher()
    streams.Consumers([_runner(checkpoint=checkpoint, handler=second)]).drain()
    assert second.ids == [two.event_id, three.event_id]
    saved = json.loads(checkpoint.read_text())
    assert "/stream/" in saved["stream_arn"]
    assert all(shard["after"] for shard in saved["shards"].values() if not shard["finished"])


def test_a_runner_killed_while_delivering_delivers_the_batch_again(backend, tmp_path):
    checkpoint = tmp_path / "pages_consumer.checkpoint.json"
    warm = _runner(checkpoint=checkpoint, handler=Catcher())
    warm.skip_to_end()
    _record("ten_stream_c")  # delivered: the checkpoint has a position
    streams.Consumers([warm]).drain()
    lost = _record("ten_stream_c")

    def killed(event: dict[str, Any], context: Any) -> Any:
        raise KeyboardInterrupt  # the process ends in the middle of the batch

    with pytest.raises(KeyboardInterrupt):
        streams.Consumers([_runner(checkpoint=checkpoint, handler=killed)]).drain()
    again = Catcher()
    streams.Consumers([_runner(checkpoint=checkpoint, handler=again)]).drain()
    assert again.ids == [lost.event_id]


def test_a_record_that_keeps_failing_is_parked_in_the_dead_letter_file(backend, tmp_path):
    catcher = Catcher()
    runner = _runner(
        checkpoint=tmp_path / "pages_consumer.checkpoint.json",
        dead_letters=tmp_path / "pages_consumer.dead-letters.jsonl",
        handler=catcher,
    )
    runner.skip_to_end()
    poison, fine = _record("ten_stream_d"), _record("ten_stream_d")
    catcher.fail = {poison.event_id}
    streams.Consumers([runner]).drain()
    assert catcher.ids == [fine.event_id]  # after the poison's retries, the stream goes on
    (line,) = (tmp_path / "pages_consumer.dead-letters.jsonl").read_text().splitlines()
    parked = json.loads(line)
    assert parked["record"]["dynamodb"]["NewImage"]["event_id"]["S"] == poison.event_id
    assert parked["attempts"] == runner.subscription.retries + 1
    assert parked["subscription"] == PAGES


def test_a_runner_without_a_checkpoint_starts_at_the_streams_beginning(backend):
    recorded = _record("ten_stream_e")
    catcher = Catcher()
    streams.Consumers([_runner(handler=catcher)]).drain()
    assert recorded.event_id in catcher.ids


def test_records_the_subscription_does_not_take_are_passed_over(backend):
    catcher = Catcher()
    runner = _runner(handler=catcher)
    runner.skip_to_end()
    _record("ten_stream_f", "share.read")
    wanted = _record("ten_stream_f", "theme.updated")
    assert streams.Consumers([runner]).drain() == 2
    assert catcher.ids == [wanted.event_id]


def test_lambda_records_carry_the_stream_arn_and_epoch_times():
    from datetime import UTC, datetime

    record = {
        "eventName": "INSERT",
        "dynamodb": {"ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC)},
    }
    converted = streams.lambda_record(record, "arn:aws:dynamodb:x:1:table/t/stream/1")
    assert converted["eventSourceARN"] == "arn:aws:dynamodb:x:1:table/t/stream/1"
    assert converted["dynamodb"]["ApproximateCreationDateTime"] == 1767225600.0


def test_make_run_renders_pages_from_the_stream_beside_the_server(tmp_path):
    """`portway local run` (what `make run` calls) runs the page consumer: an event written
    straight into its DynamoDB Local's events table renders the page it reaches."""
    ddb_port, port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{ddb_port}"
    env = {
        **os.environ,
        "PORTWAY_STAGE": "local",
        "PORTWAY_LOCAL_STATE": str(tmp_path),
        "PORTWAY_DYNAMODB_ENDPOINT": endpoint,
        "PORTWAY_TABLE_PREFIX": "run-",
    }
    env.pop("PORTWAY_BLOB_DIR", None)
    env.pop("PORTWAY_OUTBOX_DIR", None)
    process = local_run(env, port)
    try:
        banner = process.wait_for("Serving on")
        process.wait_for("consumers: reading the events stream (pages_consumer")
        found = re.search(r"Demo tenant:\s+(ten_\w+)", banner)
        assert found is not None, banner
        page = tmp_path / "blobs" / store.page_key("demo", "not-found", "_", "da")
        assert page.exists()
        page.unlink()
        event = events.new(
            Actor(found.group(1), "operator"), "tenant.embedding_updated", found.group(1)
        )
        client = boto3.client(
            "dynamodb",
            region_name="eu-central-1",
            endpoint_url=endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # DynamoDB Local checks none
        )
        client.put_item(TableName="run-events", Item=event.serialize())
        deadline = time.monotonic() + 20
        while not page.exists():
            assert time.monotonic() < deadline, process.output()
            time.sleep(0.05)
        process.wait_for("tenant.embedding_updated: done")
        checkpoint = json.loads(
            (tmp_path / "streams" / "pages_consumer.checkpoint.json").read_text()
        )
        assert checkpoint["stream_arn"].startswith("arn:aws:dynamodb:")
    finally:
        stopped = process.stop()
    assert stopped == 0
    assert not Path(tmp_path / "streams" / "pages_consumer.dead-letters.jsonl").exists()


def test_a_subscription_to_every_event_type_takes_every_new_event():
    every = streams.Subscription("audit_consumer", "x.y", types=None)
    assert every.filter_pattern() == {"eventName": ["INSERT"]}
    new = {"eventName": "INSERT", "dynamodb": {"NewImage": {"type": {"S": "share.read"}}}}
    assert every.wants(new)
    assert not every.wants({**new, "eventName": "REMOVE"})
    assert every.logical_id == "AuditConsumer"
