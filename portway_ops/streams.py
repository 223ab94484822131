"""The events table's stream on one machine: what Lambda's event source mappings do in AWS.

`SUBSCRIPTIONS` names every consumer of the events stream: its Lambda function, the event
types it is given, its batch size and retries. `portway_ops.tables` renders an event source
mapping (with a dead-letter queue) from each; here a `StreamRunner` reads DynamoDB Local's
stream (or moto's, in tests) with the `dynamodbstreams` client and hands the same records,
in the same Lambda event shape, to the same function:

- shard by shard, a parent before its children, from a checkpoint kept on disk (the last
  sequence number delivered per shard; `TRIM_HORIZON` for a shard never read), so a stopped
  or crashed runner resumes where it was and never drops an event;
- records the consumer does not want (its filter: INSERTs of its event types) are passed
  over, as the mapping's filter criteria do;
- a failure (an exception, or a partial batch response naming the first failed record) is
  retried from that record with backoff and halved batches (the mapping's bisection);
  after `retries` retries the record is parked in a dead-letter file beside the checkpoint,
  and the stream moves on: kept, not lost.

`make run` runs `python -m portway_ops.streams` beside the server (`supervise`): restarted
when it dies or the code changes. Tests drain the stream explicitly (`Consumers.drain`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.services.pages import consumer as pages_consumer
from chalicelib.services.shares import exports as share_exports
from chalicelib.services.tickets import notifications as tickets_notifications

ROOT = Path(__file__).resolve().parent.parent
_log = logging.getLogger("portway.streams")

Handler = Callable[[dict[str, Any], Any], Any]
# How often the shards are listed again (DynamoDB splits and rolls them now and then).
_DESCRIBE_SECONDS = 5.0
Record = dict[str, Any]


@dataclass(frozen=True)
class Subscription:
    """One consumer of the events stream, as its event source mapping declares it."""

    name: str  # the Lambda function's name in the app (`pages_consumer`)
    handler: str  # what Lambda runs: `module.function`
    types: frozenset[str] | None  # the event types it is given (the filter); None: every one
    batch_size: int = 100
    retries: int = 5  # MaximumRetryAttempts: attempts after the first
    max_record_age_seconds: int = 6 * 3600

    @property
    def logical_id(self) -> str:
        """The function's resource name in Chalice's SAM output (`PagesConsumer`)."""
        return "".join(word.title() for word in self.name.split("_"))

    def function(self) -> Handler:
        """The Lambda function itself."""
        module, _, name = self.handler.rpartition(".")
        found: Handler = getattr(importlib.import_module(module), name)
        return found

    def wants(self, record: Mapping[str, Any]) -> bool:
        """True for the records its filter lets through: INSERTs of its event types."""
        image = record.get("dynamodb", {}).get("NewImage") or {}
        kind = image.get("type", {}).get("S")
        if record.get("eventName") != "INSERT":
            return False
        return self.types is None or kind in self.types

    def filter_pattern(self) -> dict[str, Any]:
        """The event source mapping's filter pattern (the same rule as `wants`)."""
        if self.types is None:
            return {"eventName": ["INSERT"]}
        return {
            "eventName": ["INSERT"],
            "dynamodb": {"NewImage": {"type": {"S": sorted(self.types)}}},
        }


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        name="pages_consumer",
        handler="chalicelib.handlers.consumers.pages_consumer",
        types=pages_consumer.TYPES,
    ),
    # Every event may be one an endpoint wants: its own mapping, so a slow receiver never
    # holds page publishing back.
    Subscription(
        name="webhooks_consumer",
        handler="chalicelib.handlers.consumers.webhooks_consumer",
        types=None,
    ),
    # E-mails about tickets: a mail server that is slow holds neither pages nor webhooks.
    Subscription(
        name="tickets_consumer",
        handler="chalicelib.handlers.consumers.tickets_consumer",
        types=tickets_notifications.TYPES,
    ),
    # Long Excel protocols: one at a time, minutes each, never in anybody's way.
    Subscription(
        name="exports_consumer",
        handler="chalicelib.handlers.consumers.exports_consumer",
        types=share_exports.TYPES,
        batch_size=1,
        retries=2,
    ),
)
# How often `make run` sends the webhook deliveries whose retry is due (AWS: every minute).
RETRY_EVERY_SECONDS = 5.0


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> Record:
    """A record from `GetRecords` as Lambda delivers it (times as epoch seconds, the
    stream's ARN named)."""
    dynamodb = dict(record.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


@dataclass(frozen=True)
class Failure:
    """Where a batch failed: the first failed record, and whether the function raised
    (then Lambda knows no record, and bisects the batch)."""

    index: int
    raised: bool = False


def invoke(handler: Handler, records: Sequence[Record]) -> Failure | None:
    """Call a consumer with a batch as Lambda does; where it failed, or None when every
    record was handled."""
    try:
        answer = handler({"Records": list(records)}, None)
    except Exception:
        _log.exception("the consumer failed on a batch of %d records", len(records))
        return Failure(0, raised=True)
    failures = (answer or {}).get("batchItemFailures") or []
    failed = {str(f.get("itemIdentifier")) for f in failures}
    for index, record in enumerate(records):
        if record["dynamodb"]["SequenceNumber"] in failed:
            return Failure(index)
    if failed:  # an identifier that is no record of the batch: Lambda retries it all
        return Failure(0)
    return None


@dataclass
class _Shard:
    shard_id: str
    parent: str | None
    closed: bool
    after: str | None = None  # the last sequence number delivered
    finished: bool = False  # read to its end (a closed shard)
    at: str | None = None  # retry from this record
    iterator: str | None = None
    attempts: int = 0
    limit: int = 0
    not_before: float = 0.0


@dataclass
class Parked:
    """A record the consumer kept failing on, kept instead of dropped."""

    subscription: str
    shard_id: str
    record: Record
    attempts: int


def _clients() -> tuple[Any, Any]:
    """The DynamoDB and DynamoDB Streams clients of the current settings (made once per
    endpoint: making a client costs tens of milliseconds, and tests make a reader per test)."""
    from chalicelib.settings import get_settings

    settings = get_settings()
    return _clients_for(settings.region, settings.dynamodb_endpoint)


@functools.lru_cache(maxsize=8)
def _clients_for(region: str, endpoint: str | None) -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    local = "local" if endpoint else None
    options: dict[str, Any] = {
        "region_name": region,
        "endpoint_url": endpoint,
        "aws_access_key_id": local,
        "aws_secret_access_key": local,
    }
    # The regional streams endpoint: botocore would pick an account-based one from the
    # stream's ARN, which moto does not know (DynamoDB Local is named by its URL anyway).
    regional = Config(account_id_endpoint_mode="disabled")
    return (
        boto3.client("dynamodb", **options),
        boto3.client("dynamodbstreams", config=regional, **options),
    )


def events_table() -> str:
    """The events table of the current settings."""
    from chalicelib.models import Event

    return str(Event.Meta.table_name)


@dataclass
class StreamRunner:
    """Hands the events stream to one subscription, as its event source mapping would."""

    subscription: Subscription
    checkpoint: Path | None = None
    dead_letters: Path | None = None
    handler: Handler | None = None
    backoff: tuple[float, float] = (0.2, 30.0)  # first delay, longest delay
    on_delivery: Callable[[Sequence[Record], int | None], None] | None = None
    # moto only: a transaction that fails puts back a copy of each table it touched, stream
    # shard included, so an iterator kept from one read to the next would go on reading the
    # discarded shard (with the failed change's records). Each read then starts from the
    # position (the last sequence number delivered) on the table's shard as it is.
    fresh_iterators: bool = False
    parked: list[Parked] = field(default_factory=list)
    _stream_arn: str | None = None
    _shards: dict[str, _Shard] = field(default_factory=dict)
    _clients: tuple[Any, Any] | None = None
    _described_at: float = 0.0

    # -- where the stream is --

    def _streams(self) -> Any:
        if self._clients is None:
            self._clients = _clients()
        return self._clients[1]

    def _resolve(self) -> str:
        if self._clients is None:
            self._clients = _clients()
        arn = self._clients[0].describe_table(TableName=events_table())["Table"]["LatestStreamArn"]
        if arn != self._stream_arn:
            self._stream_arn = arn
            self._shards = {}
            self._load_checkpoint(arn)
        return str(arn)

    def _load_checkpoint(self, arn: str) -> None:
        if self.checkpoint is None or not self.checkpoint.exists():
            return
        saved = json.loads(self.checkpoint.read_text())
        if saved.get("stream_arn") != arn:
            return  # another table (a fresh one): start from its beginning
        for shard_id, state in saved.get("shards", {}).items():
            self._shards[shard_id] = _Shard(
                shard_id,
                state.get("parent"),
                bool(state.get("finished")),
                after=state.get("after"),
                finished=bool(state.get("finished")),
            )

    def _save_checkpoint(self) -> None:
        if self.checkpoint is None or self._stream_arn is None:
            return
        state = {
            "stream_arn": self._stream_arn,
            "shards": {
                s.shard_id: {"parent": s.parent, "after": s.after, "finished": s.finished}
                for s in self._shards.values()
            },
        }
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        partial = self.checkpoint.with_suffix(".partial")
        partial.write_text(json.dumps(state, indent=1))
        partial.replace(self.checkpoint)

    def _describe(self, arn: str) -> None:
        """Learn the stream's shards (new ones appear when DynamoDB splits or rolls them)."""
        streams = self._streams()
        start: dict[str, str] = {}
        while True:
            described = streams.describe_stream(StreamArn=arn, **start)["StreamDescription"]
            for shard in described["Shards"]:
                closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
                known = self._shards.get(shard["ShardId"])
                if known is None:
                    self._shards[shard["ShardId"]] = _Shard(
                        shard["ShardId"], shard.get("ParentShardId"), closed
                    )
                else:
                    known.closed = closed
            last = described.get("LastEvaluatedShardId")
            if not last:
                break
            start = {"ExclusiveStartShardId": last}
        self._described_at = time.monotonic()

    def _ready(self) -> list[_Shard]:
        """Shards to read now: unfinished, their parent finished (or gone), not backing off."""
        now = time.monotonic()
        ready = []
        for shard in self._shards.values():
            parent = self._shards.get(shard.parent) if shard.parent else None
            if shard.finished or (parent is not None and not parent.finished):
                continue
            if shard.not_before <= now:
                ready.append(shard)
        return ready

    def reconnect(self) -> None:
        """New clients, and the stream looked up again, at the next poll."""
        _clients_for.cache_clear()
        self._clients, self._described_at = None, 0.0

    def skip_to_end(self) -> None:
        """From now on, deliver only what is written after this call (tests, benches)."""
        arn = self._resolve()
        self._describe(arn)
        streams = self._streams()
        for shard in self._shards.values():
            if shard.closed:
                shard.finished = True
                continue
            if self.fresh_iterators:
                shard.after, shard.iterator = self._last_sequence(arn, shard), None
                continue
            oldest = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            if not streams.get_records(ShardIterator=oldest, Limit=1)["Records"]:
                # Empty so far: read it from its start, on an iterator taken then. (DynamoDB
                # Local's iterators of an empty shard fail once records arrive.)
                shard.iterator = None
                continue
            shard.iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard.shard_id, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def _last_sequence(self, arn: str, shard: _Shard) -> str | None:
        """The sequence number of the shard's last record so far (read to its end)."""
        streams, last = self._streams(), None
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not answer["Records"]:
                break
            last = answer["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = answer.get("NextShardIterator")
        return last

    # -- reading and delivering --

    def _iterator(self, arn: str, shard: _Shard) -> str | None:
        streams = self._streams()
        if shard.at is not None:
            position = {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": shard.at}
        elif shard.after is not None:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": shard.after}
        else:
            position = {"ShardIteratorType": "TRIM_HORIZON"}
        try:
            answer = streams.get_shard_iterator(StreamArn=arn, ShardId=shard.shard_id, **position)
        except streams.exceptions.TrimmedDataAccessException:
            _log.warning("shard %s: records were trimmed before delivery", shard.shard_id)
            answer = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        except streams.exceptions.ResourceNotFoundException:
            shard.finished = True  # past the stream's retention: nothing left to read
            return None
        iterator: str | None = answer.get("ShardIterator")
        return iterator

    def _read(self, arn: str, shard: _Shard) -> list[Record] | None:
        """The next records of a shard (None when it has no more, ever)."""
        if self.fresh_iterators:
            shard.iterator = None
        streams = self._streams()
        limit = shard.limit or self.subscription.batch_size
        for fresh in (False, True):
            if shard.iterator is None:
                shard.iterator = self._iterator(arn, shard)
                if shard.iterator is None:
                    return None
            try:
                answer = streams.get_records(ShardIterator=shard.iterator, Limit=limit)
                break
            except streams.exceptions.ExpiredIteratorException:
                shard.iterator = None
                return []
            except streams.exceptions.TrimmedDataAccessException:
                # Past the retention, or (DynamoDB Local) an iterator taken while the shard
                # was empty: start again from the position, once, on a new iterator.
                shard.iterator = None
                if fresh:
                    raise
        records: list[Record] = answer.get("Records", [])
        shard.iterator = answer.get("NextShardIterator")
        if shard.iterator is None and not records:
            return None
        return records

    def _park(self, shard: _Shard, record: Record) -> None:
        parked = Parked(self.subscription.name, shard.shard_id, record, shard.attempts)
        self.parked.append(parked)
        _log.error(
            "%s: parked record %s after %d attempts",
            self.subscription.name,
            record["dynamodb"]["SequenceNumber"],
            shard.attempts,
        )
        if self.dead_letters is not None:
            self.dead_letters.parent.mkdir(parents=True, exist_ok=True)
            line = {
                "subscription": parked.subscription,
                "stream_arn": self._stream_arn,
                "shard_id": parked.shard_id,
                "attempts": parked.attempts,
                "parked_at": datetime.now(UTC).isoformat(),
                "record": record,
            }
            with self.dead_letters.open("a") as out:
                out.write(json.dumps(line, default=str) + "\n")

    def _delivered(self, shard: _Shard, sequence: str) -> None:
        shard.after, shard.at, shard.attempts, shard.limit = sequence, None, 0, 0

    def _deliver(self, shard: _Shard, records: list[Record]) -> None:
        """Hand over what the subscription wants; on a failure, arrange its retry."""
        arn = self._stream_arn or ""
        wanted = [lambda_record(r, arn) for r in records if self.subscription.wants(r)]
        failure = invoke(self.handler or self.subscription.function(), wanted) if wanted else None
        if self.on_delivery is not None and wanted:
            self.on_delivery(wanted, failure.index if failure else None)
        if failure is None:
            self._delivered(shard, records[-1]["dynamodb"]["SequenceNumber"])
            return
        bad = wanted[failure.index]["dynamodb"]["SequenceNumber"]
        if failure.index:  # what came before the failed record is done
            self._delivered(shard, wanted[failure.index - 1]["dynamodb"]["SequenceNumber"])
        shard.iterator = None
        if failure.raised and len(wanted) > 1:
            # Bisect: a batch that failed as a whole is retried in halves, down to the one
            # record that fails; halving does not count as a retry (nor does it in AWS).
            shard.at, shard.limit = bad, max(1, len(wanted) // 2)
            return
        shard.attempts = shard.attempts + 1 if shard.at == bad else 1
        shard.at = bad
        if shard.attempts > self.subscription.retries:
            self._park(shard, wanted[failure.index])
            self._delivered(shard, bad)
            return
        first, longest = self.backoff
        shard.not_before = time.monotonic() + min(longest, first * 2 ** (shard.attempts - 1))

    def poll(self) -> int:
        """One round over the shards ready to read; the number of records read."""
        arn = self._stream_arn
        if arn is None or time.monotonic() - self._described_at > _DESCRIBE_SECONDS:
            arn = self._resolve()  # the table may have been made anew, with a new stream
            self._describe(arn)
        count = 0
        for shard in self._ready():
            records = self._read(arn, shard)
            if records is None:
                shard.finished = True
                self._described_at = 0.0  # its children may be new: look again
                self._save_checkpoint()
            elif records:
                count += len(records)
                self._deliver(shard, records)
                self._save_checkpoint()
        return count

    def waiting(self) -> bool:
        """True while a failed record waits for its retry."""
        return any(s.at is not None and not s.finished for s in self._shards.values())


@dataclass
class Consumers:
    """Every subscription's runner over the one events stream."""

    runners: list[StreamRunner]

    @classmethod
    def of(
        cls,
        subscriptions: Iterable[Subscription] = SUBSCRIPTIONS,
        state: Path | None = None,
        **options: Any,
    ) -> Consumers:
        """Runners for the subscriptions; with `state`, checkpoints and dead letters there."""
        runners = [
            StreamRunner(
                subscription,
                checkpoint=state / f"{subscription.name}.checkpoint.json" if state else None,
                dead_letters=state / f"{subscription.name}.dead-letters.jsonl" if state else None,
                **options,
            )
            for subscription in subscriptions
        ]
        return cls(runners)

    def runner(self, name: str) -> StreamRunner:
        """The runner of one subscription."""
        return next(r for r in self.runners if r.subscription.name == name)

    def skip_to_end(self) -> None:
        """Deliver only what is written from now on."""
        for runner in self.runners:
            runner.skip_to_end()

    def drain(self, rounds: int = 1000) -> int:
        """Deliver everything written so far (retries included); the records read."""
        total = 0
        for _ in range(rounds):
            read = sum(runner.poll() for runner in self.runners)
            total += read
            if not read and not any(runner.waiting() for runner in self.runners):
                return total
            if not read:
                time.sleep(0.01)
        raise RuntimeError("the events stream did not drain")

    def run(self, stop: threading.Event, idle: float = 0.05) -> None:
        """Deliver until `stop` is set; a failing read (DynamoDB Local restarting) waits and
        tries again, from the checkpoint."""
        pause = idle
        while not stop.is_set():
            try:
                read = sum(runner.poll() for runner in self.runners)
                pause = idle
            except Exception as exc:  # the stream is unreachable: never give up, never skip
                _log.warning("events stream: %s; trying again", exc)
                for runner in self.runners:
                    runner.reconnect()
                read, pause = 0, min(5.0, pause * 2)
            if not read:
                stop.wait(pause)


# -- `make run`: the consumers as a process beside the server --------------------------------


def stage_environment(stage: str, function: str) -> dict[str, str]:
    """The environment Chalice gives the function in the stage (.chalice/config.json)."""
    from chalice.config import Config

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    scoped = Config(chalice_stage=stage, config_from_disk=config, user_provided_params={})
    return dict(scoped.scope(stage, function).environment_variables)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m portway_ops.streams --state DIR`: run every consumer until SIGTERM/Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m portway_ops.streams")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--state", type=Path, required=True, help="checkpoints, dead letters")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="consumers: %(message)s")
    for subscription in SUBSCRIPTIONS:
        os.environ.update(stage_environment(args.stage, subscription.name))
    from chalicelib.settings import reset_settings

    reset_settings()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    # Killed supervisor (no SIGTERM came): stop too, rather than read on as an orphan.
    threading.Thread(target=_orphaned, args=(parent, stop), daemon=True).start()

    def delivered(records: Sequence[Record], failed: int | None) -> None:
        kinds = sorted({r["dynamodb"]["NewImage"]["type"]["S"] for r in records})
        outcome = "done" if failed is None else f"failed at {failed + 1}, retrying"
        _log.info("%d event(s) %s: %s", len(records), ", ".join(kinds), outcome)

    consumers = Consumers.of(state=args.state, on_delivery=delivered)
    names = ", ".join(s.name for s in SUBSCRIPTIONS)
    print(f"consumers: reading the events stream ({names})", flush=True)
    threading.Thread(target=_retry_webhooks, args=(stop,), daemon=True).start()
    consumers.run(stop)
    return 0


def _retry_webhooks(stop: threading.Event) -> None:
    """The local stand-in for the `webhooks_retries` schedule."""
    from chalicelib.handlers.consumers import webhooks_retries

    while not stop.wait(RETRY_EVERY_SECONDS):
        tick = {  # what EventBridge sends a scheduled function
            "version": "0",
            "id": "local",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "local",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "local",
            "resources": [],
            "detail": {},
        }
        try:
            webhooks_retries(tick, None)
        except Exception:  # logged; the next round tries again
            _log.exception("webhook retries failed")


def _orphaned(parent: int, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        if os.getppid() != parent:
            stop.set()


def supervise(
    stop: threading.Event, state: Path, *, reload: bool = True, poll: float = 1.0
) -> None:
    """Keep `python -m portway_ops.streams` running beside the server until `stop`: started
    again when it ends and, with `reload`, when the code changes (it resumes from its
    checkpoint, so a restart loses nothing)."""
    from portway_ops import devserver

    def start() -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "portway_ops.streams", f"--state={state}"]
        # A session of its own: a Ctrl-C in the terminal reaches the server, and this
        # supervisor stops the consumers itself (rather than restart them mid-shutdown).
        return subprocess.Popen(command, cwd=ROOT, start_new_session=True)

    process = start()
    snapshot = devserver.code_snapshot(ROOT, [state]) if reload else {}
    try:
        while not stop.wait(poll):
            latest = devserver.code_snapshot(ROOT, [state]) if reload else {}
            if process.poll() is not None or devserver.changed(snapshot, latest):
                snapshot = latest
                _end(process)
                process = start()
    finally:
        _end(process)


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(Exception):
        process.wait(timeout=0)


if __name__ == "__main__":
    sys.exit(main())
