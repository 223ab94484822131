"""`make bench`: what the app adds to a warm request, against a bare function making the
same DynamoDB calls.

The request is `GET /v1/customers/{id}` through the Chalice app as API Gateway hands it to
Lambda (routing, API-key authentication, the service, the response schema, JSON). The bare
function makes the same two reads through the same PynamoDB connection (the key's token,
then the customer) and encodes the item as JSON. Both run warm, interleaved, many times;
the figure is the ratio of their medians, so DynamoDB Local's own time is in both.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OVERHEAD_BOUND = 1.3
ROUNDS = 400


@dataclass(frozen=True)
class Overhead:
    """Median seconds of a request through the app and of the bare function."""

    app_s: float
    bare_s: float

    @property
    def ratio(self) -> float:
        """How many times the bare function's time a request takes."""
        return self.app_s / self.bare_s

    @property
    def ok(self) -> bool:
        """Within the bound."""
        return self.ratio <= OVERHEAD_BOUND


def _bare(secret: str, tenant_id: str, customer_id: str) -> Callable[[], bytes]:
    from chalicelib.ids import digest
    from chalicelib.models import Customer, Token

    def call() -> bytes:
        token = Token.get(digest(secret), consistent_read=True)
        assert token.tenant_id == tenant_id
        item = Customer.get(tenant_id, customer_id, consistent_read=True)
        return json.dumps(
            {"id": item.customer_id, "name": item.name, "version": item.version}
        ).encode()

    return call


def measure_overhead(client: Any, key: str, tenant_id: str) -> Overhead:
    """Median of ROUNDS warm requests through the app and ROUNDS bare calls, interleaved."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    made = client.http.request(
        "POST", "/v1/customers", headers=headers, body=json.dumps({"name": "Overhead"}).encode()
    )
    customer_id = json.loads(made.body)["id"]
    path = f"/v1/customers/{customer_id}"
    bare = _bare(key, tenant_id, customer_id)

    def through_app() -> None:
        response = client.http.request("GET", path, headers=headers, body=b"")
        assert response.status_code == 200, response.body

    for _ in range(20):  # warm both paths: imports, connections, caches
        through_app()
        bare()
    app_times, bare_times = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        through_app()
        app_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare()
        bare_times.append(time.perf_counter() - start)
    return Overhead(statistics.median(app_times), statistics.median(bare_times))


def report(figure: Overhead) -> None:
    """Print the figure and its bound."""
    print(
        f"\nwarm request overhead: GET /v1/customers/{{id}} through the app "
        f"{figure.app_s * 1000:.2f} ms, bare function with the same DynamoDB calls "
        f"{figure.bare_s * 1000:.2f} ms, ratio {figure.ratio:.2f} (bound {OVERHEAD_BOUND})"
        f"{'' if figure.ok else '  FAIL'}"
    )
