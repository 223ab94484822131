"""The import figures of `make bench`: 10,000 customers from a CSV file, read and checked,
then written through the API as the console does it (slice after slice), in rows per second
with DynamoDB calls per row."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import msgspec

from portway_ops.bench import counting

ROWS = 10_000
# Each transaction writes 99 customers and their event; reading what is there first is a
# BatchGetItem per 100: about 0.02 calls a row, and a few for the import's own item.
CALLS_PER_ROW_BOUND = 0.05


class ImportFigures(msgspec.Struct, frozen=True):
    """Rows per second and DynamoDB calls per row, for checking and for writing."""

    rows: int
    check_seconds: float
    check_calls: int
    write_seconds: float
    write_calls: Counter[str]
    requests: int
    written: int

    @property
    def ok(self) -> bool:
        """All rows written, within the calls bound, and no Scan."""
        total = sum(self.write_calls.values())
        return (
            self.written == self.rows
            and total / self.rows <= CALLS_PER_ROW_BOUND
            and not self.write_calls["Scan"]
        )


def measure_import(client: Any, key: str) -> ImportFigures:
    """Check and write a file of ROWS customers; the figures."""
    lines = "".join(f"Kunde {i};K-{i};kunde{i}@example.com;de\n" for i in range(ROWS))
    data = ("Kundenname;Kundennummer;E-Mail;Sprache\n" + lines).encode()
    auth = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    with counting() as check_calls:
        checked = client.http.post(
            "/v1/customer-imports", headers={**auth, "Content-Type": "text/csv"}, body=data
        )
    check_seconds = time.perf_counter() - started
    import_id = json.loads(checked.body)["id"]
    body = json.dumps({"rows": "all"})
    headers = {**auth, "Content-Type": "application/json"}
    requests = 0
    state: dict[str, Any] = {"status": "previewed", "written": 0}
    started = time.perf_counter()
    with counting() as write_calls:
        while state["status"] != "written" and requests < 50:
            answer = client.http.post(
                f"/v1/customer-imports/{import_id}/commit", headers=headers, body=body
            )
            state = json.loads(answer.body)
            requests += 1
    return ImportFigures(
        rows=ROWS,
        check_seconds=check_seconds,
        check_calls=sum(check_calls.calls.values()),
        write_seconds=time.perf_counter() - started,
        write_calls=Counter(write_calls.calls),
        requests=requests,
        written=int(state.get("written", 0)),
    )


def report(figures: ImportFigures) -> None:
    """Print the import's figures."""
    total = sum(figures.write_calls.values())
    ops = ", ".join(f"{name} {n}" for name, n in sorted(figures.write_calls.items()))
    print(
        f"\ncustomer import of {figures.rows:,} rows (CSV): checked in "
        f"{figures.check_seconds:.1f} s = {figures.rows / figures.check_seconds:,.0f} rows/s "
        f"({figures.check_calls} DynamoDB calls); written in {figures.requests} requests, "
        f"{figures.write_seconds:.1f} s = {figures.rows / figures.write_seconds:,.0f} rows/s, "
        f"{total / figures.rows:.3f} DynamoDB calls a row (bound {CALLS_PER_ROW_BOUND}): "
        f"{ops}{'' if figures.ok else '  FAIL'}"
    )
