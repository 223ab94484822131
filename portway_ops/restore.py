"""`portway --stage STAGE restore ...`: bring a stage back to one moment, its tables and its
blobs together (docs/operations.md, "Backup and restore", has the whole runbook).

    restore tables --at TIME --staging PREFIX   every table, as it was at TIME, into new
                                                tables under PREFIX (point-in-time recovery)
    restore blobs --at TIME                     every object of the bucket as it was at TIME
                                                (the bucket keeps every version)
    restore copy --from PREFIX --to PREFIX      the staged tables' items into the stack's new
                                                tables; the events last, so that the stream's
                                                consumers find their markers first

The stack owns its tables, so a restore does not swap tables under it: it deploys the stack
with a new `TablePrefix` (new, empty tables, the old ones kept), and copies the restored
items in. The bucket is named by the stage, so it stays.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from portway_ops.tables import create_table_requests, load_template

EVENTS = "events"


def _names() -> list[str]:
    """The tables' names without their prefix, from the template."""
    return [r["TableName"].removeprefix("x-") for r in create_table_requests(load_template(), "x-")]


def restore_tables(
    client: Any, source_prefix: str, staging_prefix: str, at: datetime, wait: float = 5.0
) -> list[str]:
    """Restore every table of the template to `at` under `staging_prefix`; the names."""
    restored = []
    for name in _names():
        client.restore_table_to_point_in_time(
            SourceTableName=source_prefix + name,
            TargetTableName=staging_prefix + name,
            RestoreDateTime=at,
        )
        restored.append(staging_prefix + name)
    for table in restored:
        while client.describe_table(TableName=table)["Table"]["TableStatus"] != "ACTIVE":
            time.sleep(wait)
    return restored


def _items(client: Any, table: str) -> Iterator[dict[str, Any]]:
    # An operator's copy reads every item once: the only scan Portway makes, never the app's.
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def copy_tables(client: Any, from_prefix: str, to_prefix: str) -> dict[str, int]:
    """Copy every item of the staged tables into the stack's tables; items per table. The
    events table comes last: its new stream records reach the consumers after the markers
    of what they already did (webhook messages, sent notices) are back."""
    names = sorted(_names(), key=lambda name: name == EVENTS)
    copied: dict[str, int] = {}
    for name in names:
        count = 0
        batch: list[dict[str, Any]] = []
        for item in _items(client, from_prefix + name):
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == 25:
                _write(client, to_prefix + name, batch)
                count += len(batch)
                batch = []
        if batch:
            _write(client, to_prefix + name, batch)
            count += len(batch)
        copied[name] = count
    return copied


def _write(client: Any, table: str, batch: list[dict[str, Any]]) -> None:
    pending = {table: batch}
    for attempt in range(10):
        unprocessed = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
        if not unprocessed:
            return
        pending = unprocessed
        time.sleep(min(2**attempt * 0.05, 2.0))
    raise RuntimeError(f"{table}: DynamoDB kept refusing a batch; run the copy again")


def restore_blobs(client: Any, bucket: str, at: datetime) -> dict[str, int]:
    """Make each object's current version the one it had at `at`: an older version copied
    over, an object made later deleted (a delete marker: its versions stay). Counts."""
    latest: dict[str, dict[str, Any]] = {}  # the newest version or marker at or before `at`
    current: dict[str, dict[str, Any]] = {}
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        entries = [(v, False) for v in page.get("Versions", [])]
        entries += [(m, True) for m in page.get("DeleteMarkers", [])]
        for entry, marker in entries:
            entry = {**entry, "marker": marker}
            if entry["IsLatest"]:
                current[entry["Key"]] = entry
            if entry["LastModified"] <= at:
                before = latest.get(entry["Key"])
                if before is None or entry["LastModified"] >= before["LastModified"]:
                    latest[entry["Key"]] = entry
    counts = {"restored": 0, "removed": 0, "unchanged": 0}
    for key, now in current.items():
        then = latest.get(key)
        if then is None or then["marker"]:
            if now["marker"]:
                counts["unchanged"] += 1
            else:
                client.delete_object(Bucket=bucket, Key=key)
                counts["removed"] += 1
        elif then["VersionId"] == now["VersionId"] or (
            not now["marker"] and then.get("ETag") == now.get("ETag")
        ):  # the same bytes are current already (restored before)
            counts["unchanged"] += 1
        else:
            client.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource={"Bucket": bucket, "Key": key, "VersionId": then["VersionId"]},
                MetadataDirective="COPY",
            )
            counts["restored"] += 1
    return counts
