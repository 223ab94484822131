"""The portal figures of `make bench`: DynamoDB calls of `GET /v1/portal/assets` and of
accepting an invitation, against PERFORMANCE.md's bounds (exact counts)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from portway_ops.bench import counting

PASSWORD = "bench passphrase of a decent length"  # noqa: S105 - a bench account


@dataclass(frozen=True)
class CountedCall:
    """One request, its DynamoDB calls by operation, and its bound."""

    name: str
    status: int
    calls: Counter[str]
    bound: str
    within: Callable[[int, Counter[str]], bool]
    # What the request cost (for the cost figures): read and write request units, the
    # handler's time in this process, and the answer's bytes.
    units: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0
    size: int = 0

    @property
    def ok(self) -> bool:
        """True when the answer is a success and the calls stay within the bound."""
        return not self.calls["Scan"] and self.within(self.status, self.calls)


@contextmanager
def timed() -> Iterator[list[float]]:
    """The block's wall time, in seconds (one number in the list, after the block)."""
    took: list[float] = []
    started = time.perf_counter()
    try:
        yield took
    finally:
        took.append(time.perf_counter() - started)


def costs(counter: Any, took: list[float], response: Any) -> dict[str, Any]:
    """A CountedCall's cost fields from a counter, a timing and the answer."""
    return {
        "units": (counter.read_units, counter.write_units),
        "seconds": took[0],
        "size": len(response.body),
    }


def reads(calls: Counter[str]) -> int:
    """Read calls (GetItem, BatchGetItem, Query)."""
    return sum(calls[op] for op in ("GetItem", "Query", "BatchGetItem"))


def report(title: str, results: list[CountedCall]) -> None:
    """Print counted requests as a table."""
    print(f"\n{title:<32}{'status':>7}  {'bound':<28}by operation")
    for r in results:
        ops = ", ".join(f"{name} {n}" for name, n in sorted(r.calls.items()))
        print(f"{r.name:<32}{r.status:>7}  {r.bound:<28}{ops}{'' if r.ok else '  FAIL'}")


def measure_portal(client: Any, request: Any) -> list[CountedCall]:
    """Accept an invitation into a portal with three assigned assets, then list them."""
    customer = request("POST", "/v1/customers", {"name": "Portal bench"})["id"]
    assets = [request("POST", "/v1/assets", {"name": f"Machine {i}"})["id"] for i in range(3)]
    request("PUT", f"/v1/customers/{customer}/assets", {"asset_ids": assets})
    request("PUT", f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    link = request("POST", f"/v1/customers/{customer}/portal/invitations", {})["url"]
    body = {
        "token": link.split("#token=")[1],
        "email": "bench@example.com",
        "name": "Bench",
        "password": PASSWORD,
        "accept_terms": True,
    }
    headers = {"Content-Type": "application/json"}
    with counting() as accept_calls:
        accepted = client.http.post(
            "/v1/portal/invitations/accept", headers=headers, body=json.dumps(body).encode()
        )
    token = json.loads(accepted.body)["access_token"]
    with counting() as list_calls, timed() as took:
        listed = client.http.get("/v1/portal/assets", headers={"Authorization": f"Bearer {token}"})
    return [
        CountedCall(
            "accept an invitation",
            accepted.status_code,
            Counter(accept_calls.calls),
            "1 read + 1 transaction",
            lambda status, calls: (
                status == 201 and calls["TransactWriteItems"] == 1 and reads(calls) == 1
            ),
        ),
        CountedCall(
            "GET /v1/portal/assets",
            listed.status_code,
            Counter(list_calls.calls),
            "2",
            lambda status, calls: status == 200 and sum(calls.values()) <= 2,
            **costs(list_calls, took, listed),
        ),
    ]
