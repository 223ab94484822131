"""The partner-share figures of `make bench`: DynamoDB calls of a partner's read of a share
(2 reads + exactly 1 access-log write, besides the API key), and the Excel protocol of
10,000 and 100,000 log rows: rows per second and peak memory, each export in a fresh
process, with the ratio of the two peaks (bound 1.5: memory must not grow with the rows)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portway_ops.bench import ROOT, counting, requester
from portway_ops.bench_portal import CountedCall, costs, timed

EXPORT_SIZES = (10_000, 100_000)
RSS_RATIO_BOUND = 1.5


def measure_share_read(client: Any, sender_key: str, partner_key: str) -> list[CountedCall]:
    """A carrier shares three devices; the partner reads them once, counted."""
    sender, partner = requester(client, sender_key), requester(client, partner_key)
    devices = [
        sender("POST", "/v1/assets", {"name": f"Truck {i}", "kind": "gps_device"})["id"]
        for i in range(3)
    ]
    partner_id = partner("GET", "/v1/tenant")["public_id"]
    share = sender(
        "POST",
        "/v1/shares",
        {"partner_tenant_id": partner_id, "name": "Bench tour", "asset_ids": devices},
    )["id"]
    with counting() as calls, timed() as took:
        read = client.http.get(
            f"/v1/received-shares/{share}/assets",
            headers={"Authorization": f"Bearer {partner_key}"},
        )
    return [
        CountedCall(
            "partner read of a share",
            read.status_code,
            Counter(calls.calls),
            "key + 2 reads + 1 log write (entry and event, one transaction)",
            lambda status, c: (
                status == 200
                and (c["GetItem"], c["BatchGetItem"], c["TransactWriteItems"]) == (2, 1, 1)
                and sum(c.values()) == 4
            ),
            **costs(calls, took, read),
        )
    ]


@dataclass(frozen=True)
class ExportFigure:
    """One export: its rows, how fast, how much memory at the peak."""

    rows: int
    seconds: float
    peak_rss_mb: float
    size_kb: int

    @property
    def rows_per_second(self) -> float:
        """Rows written per second."""
        return self.rows / self.seconds if self.seconds else 0.0


def seed_log(tenant_id: str, rows: int) -> str:
    """A share of `tenant_id` with `rows` log entries (batch writes); its id."""
    from chalicelib.ids import new_id
    from chalicelib.models import AccessLogEntry, Share
    from chalicelib.models.shares import LOG_SHARDS, LoggedAsset

    share_id = new_id("shr")
    start = datetime.now(UTC) - timedelta(days=30)
    Share(
        tenant_id,
        share_id,
        partner_tenant_id="bench-partner",
        partner_public_id="pub_bench_partner",
        sender_public_id="pub_bench_sender",
        name="Bench protocol",
        asset_ids=["ast_bench"],
        created_by="bench",
        created_at=start,
        log_shards=LOG_SHARDS,
    ).save()
    with AccessLogEntry.batch_write() as batch:
        for i in range(rows):
            when = start + timedelta(seconds=i)
            entry_id = new_id("acc")
            batch.save(
                AccessLogEntry(
                    AccessLogEntry.log_key_for(tenant_id, share_id, i % LOG_SHARDS),
                    AccessLogEntry.key_for(when, entry_id),
                    entry_id=entry_id,
                    time=when,
                    kind="read",
                    channel="api",
                    actor="api_key:bench",
                    share_id=share_id,
                    share_name="Bench protocol",
                    sender_public_id="pub_bench_sender",
                    partner_public_id="pub_bench_partner",
                    assets=[
                        LoggedAsset(  # type: ignore[no-untyped-call]
                            asset_id="ast_bench", name="Truck 7", shipment_number=f"SN-{i}"
                        )
                    ],
                )
            )
    return share_id


def export_in_fresh_process(tenant_id: str, share_id: str) -> ExportFigure:
    """Run one export in a new Python process (so peaks are its own) and read its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "portway_ops.bench_shares", tenant_id, share_id],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return ExportFigure(data["rows"], data["seconds"], data["peak_rss_mb"], data["size_kb"])


def measure_exports(tenant_id: str) -> list[ExportFigure]:
    """The protocol of 10,000 and of 100,000 rows."""
    return [export_in_fresh_process(tenant_id, seed_log(tenant_id, n)) for n in EXPORT_SIZES]


def rss_ratio(figures: list[ExportFigure]) -> float:
    """Peak memory of the largest export over that of the smallest."""
    return figures[-1].peak_rss_mb / figures[0].peak_rss_mb


def report_exports(figures: list[ExportFigure]) -> bool:
    """Print the export figures; True when the memory bound holds."""
    print(f"\n{'Excel protocol':<20}{'rows/s':>10}{'seconds':>9}{'peak RSS':>11}{'file':>10}")
    for f in figures:
        print(
            f"{f.rows:>9,} rows{'':<6}{f.rows_per_second:>10,.0f}{f.seconds:>9.1f}"
            f"{f.peak_rss_mb:>8.0f} MB{f.size_kb:>7} KB"
        )
    ratio = rss_ratio(figures)
    ok = ratio < RSS_RATIO_BOUND
    print(f"peak RSS ratio {ratio:.2f} (bound {RSS_RATIO_BOUND}){'' if ok else '  FAIL'}")
    return ok


def _export_here(tenant_id: str, share_id: str) -> None:
    from chalicelib.models import Share
    from chalicelib.services.shares import access_log

    grant = Share.get(tenant_id, share_id, consistent_read=True)
    began = time.perf_counter()
    data = access_log.export(grant, whole=True)  # as the exports consumer writes it
    seconds = time.perf_counter() - began
    rows = sum(len(e.assets or []) for e in access_log.entries(grant))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "size_kb": len(data) // 1024,
            }
        )
    )


if __name__ == "__main__":
    _export_here(sys.argv[1], sys.argv[2])
