"""`make bench`: DynamoDB calls per endpoint, clients per process, cold-import ratio, the
page figures (portway_ops/bench_pages.py) and the change pipeline's: commit to page through
the local stream consumer, and a template change reaching 1,000 portals
(portway_ops/bench_pipeline.py).

Counts are exact (botocore `before-call` events), so they hold on a noisy machine; the
import ratio is a median over fresh processes in one run. The same scenarios and bounds
are checked by tests/test_bench_bounds.py.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from py_compile import PycInvalidationMode
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMPORT_RATIO_BOUND = 1.5
UNCHECKED = PycInvalidationMode.UNCHECKED_HASH


@dataclass(frozen=True)
class Scenario:
    """One request, and the most DynamoDB calls it may make."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    max_calls: int
    is_list: bool = False


def scenarios(ids: dict[str, str]) -> list[Scenario]:
    """The measured requests, given ids of seeded objects."""
    now = datetime.now(UTC).isoformat()
    c, a, a2, t = ids["customer"], ids["asset"], ids["spare_asset"], ids["theme"]
    return [
        Scenario("list customers", "GET", "/v1/customers?limit=25", None, 2, True),
        Scenario("read customer", "GET", f"/v1/customers/{c}", None, 2),
        # Changes write one audit event each, after the change.
        Scenario("create customer", "POST", "/v1/customers", {"name": "Bench"}, 3),
        Scenario("patch customer", "PATCH", f"/v1/customers/{c}", {"email": "b@x.example"}, 4),
        Scenario("list assets", "GET", "/v1/assets?limit=25", None, 2, True),
        Scenario("read asset", "GET", f"/v1/assets/{a}", None, 2),
        Scenario(
            "report telemetry",
            "POST",
            f"/v1/assets/{a}/events",
            {"time": now, "lat": 55.67, "lon": 12.56},
            3,
        ),
        Scenario("list asset events", "GET", f"/v1/assets/{a}/events", None, 3, True),
        Scenario("list customer's assets", "GET", f"/v1/customers/{c}/assets", None, 3, True),
        Scenario("list business units", "GET", f"/v1/customers/{c}/business-units", None, 3, True),
        Scenario("list API keys", "GET", "/v1/api-keys", None, 2, True),
        Scenario("create theme", "POST", "/v1/themes", {"name": "Bench theme"}, 4),
        Scenario("read theme", "GET", f"/v1/themes/{t}", None, 3),
        Scenario("list themes", "GET", "/v1/themes", None, 3, True),
        Scenario("list portal templates", "GET", "/v1/portal-templates", None, 2, True),
        Scenario(
            "assign one more asset", "PUT", f"/v1/customers/{c}/assets", {"asset_ids": [a, a2]}, 6
        ),
    ]


class CallCounter:
    """Counts DynamoDB operations by name, and the capacity they consumed (read and write
    request units, as DynamoDB reports them when asked: `ReturnConsumedCapacity`)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.read_units = 0.0
        self.write_units = 0.0

    def reset(self) -> None:
        """Forget what was counted so far."""
        self.calls.clear()
        self.read_units = self.write_units = 0.0

    def ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """Ask each call to report its consumed capacity (a provide-client-params handler)."""
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

    def add_capacity(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        """Add what one call consumed (an after-call handler)."""
        consumed = parsed.get("ConsumedCapacity") or []
        for item in consumed if isinstance(consumed, list) else [consumed]:
            total = float(item.get("CapacityUnits", 0.0))
            reads = float(item.get("ReadCapacityUnits", 0.0))
            writes = float(item.get("WriteCapacityUnits", 0.0))
            if not reads and not writes:  # only a total: by the operation's kind
                writes = total if model.name in _WRITES else 0.0
                reads = 0.0 if model.name in _WRITES else total
            self.read_units += reads
            self.write_units += writes

    @property
    def total(self) -> int:
        """All operations counted."""
        return sum(self.calls.values())

    def __call__(self, model: Any, **_: Any) -> None:
        """Count one operation (a botocore before-call handler)."""
        self.calls[model.name] += 1


_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


@contextmanager
def counting() -> Iterator[CallCounter]:
    """Count the DynamoDB calls made inside the block, and the capacity they consumed."""
    from chalicelib.models import connection

    counter = CallCounter()
    events = connection().client.meta.events
    events.register("before-call.dynamodb", counter)
    events.register("provide-client-params.dynamodb", counter.ask_capacity)
    events.register("after-call.dynamodb", counter.add_capacity)
    try:
        yield counter
    finally:
        events.unregister("before-call.dynamodb", counter)
        events.unregister("provide-client-params.dynamodb", counter.ask_capacity)
        events.unregister("after-call.dynamodb", counter.add_capacity)


def seed(request: Callable[..., Any]) -> dict[str, str]:
    """A customer with a business unit and an assigned asset with events; ids by kind."""
    customer = request("POST", "/v1/customers", {"name": "Seed"})["id"]
    request("POST", f"/v1/customers/{customer}/business-units", {"name": "Unit"})
    asset = request("POST", "/v1/assets", {"name": "Seed asset"})["id"]
    for minute in range(3):
        request(
            "POST",
            f"/v1/assets/{asset}/events",
            {"time": f"2026-01-01T10:0{minute}:00Z", "operating_hours": minute},
        )
    request("PUT", f"/v1/customers/{customer}/assets", {"asset_ids": [asset]})
    spare = request("POST", "/v1/assets", {"name": "Spare asset"})["id"]
    for i in range(30):
        request("POST", "/v1/customers", {"name": f"Filler {i}"})
        request("POST", "/v1/assets", {"name": f"Filler {i}"})
    theme = request("POST", "/v1/themes", {"name": "Seed theme"})["id"]
    return {"customer": customer, "asset": asset, "spare_asset": spare, "theme": theme}


def requester(client: Any, key: str) -> Callable[..., Any]:
    """A JSON request function with the API key; raises on any error answer."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def request(method: str, path: str, body: Any = None) -> Any:
        data = b"" if body is None else json.dumps(body).encode()
        response = client.http.request(method, path, headers=headers, body=data)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.body!r}")
        return json.loads(response.body) if response.body else None

    return request


def measure(client: Any, key: str) -> list[tuple[Scenario, Counter[str], int]]:
    """Run every scenario once through the Chalice app and count its calls."""
    request = requester(client, key)
    results = []
    for scenario in scenarios(seed(request)):
        with counting() as counter:
            request(scenario.method, scenario.path, scenario.body)
        results.append((scenario, counter.calls, sum(counter.calls.values())))
    return results


def _import_seconds(module: str, cwd: Path) -> float:
    code = (
        "import time, sys; t = time.perf_counter(); import " + module + "; "
        "print(time.perf_counter() - t, 'jinja2' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.split()
    if module == "app" and out[1] == "True":
        raise RuntimeError("importing app imports jinja2")
    return float(out[0])


def import_ratio(runs: int = 9) -> tuple[float, float, float]:
    """Median cold import of `app` and of `boto3` alone (fresh processes), and their ratio.

    The app is imported from a copy compiled to bytecode, as `infra/package.sh` ships it
    (Lambda's code directory is read-only, so Python could not cache bytecode there).
    """
    app_times, boto_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp)
        shutil.copy(ROOT / "app.py", bundle / "app.py")
        shutil.copytree(
            ROOT / "chalicelib", bundle / "chalicelib", ignore=shutil.ignore_patterns("__pycache__")
        )
        compileall.compile_dir(bundle, quiet=1, invalidation_mode=UNCHECKED)
        for _ in range(runs):
            app_times.append(_import_seconds("app", bundle))
            boto_times.append(_import_seconds("boto3", bundle))
    app_median, boto_median = statistics.median(app_times), statistics.median(boto_times)
    return app_median, boto_median, app_median / boto_median


def count_clients(run: Callable[[], Any]) -> int:
    """How many DynamoDB clients `run` creates (one per process is the goal)."""
    import botocore.session

    created = Counter[str]()
    original = botocore.session.Session.create_client

    def counting_create(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        created[service_name] += 1
        return original(self, service_name, *args, **kwargs)

    botocore.session.Session.create_client = counting_create  # type: ignore[method-assign]
    try:
        run()
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]
    return created["dynamodb"]


def main() -> int:
    """Start DynamoDB Local, seed a tenant, print the figures; non-zero if a bound fails."""
    os.environ.update(
        {
            "PORTWAY_STAGE": "local",
            "PORTWAY_TABLE_PREFIX": "bench-",
            # Pages and logos of the bench tenant go to a directory of their own, not .local.
            "PORTWAY_BLOB_DIR": tempfile.mkdtemp(prefix="portway-bench-blobs-"),
            # The figures, not a JSON line per request (the logger is set up on import).
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    from portway_ops import dynamodb_local

    port = dynamodb_local.free_port()
    os.environ["PORTWAY_DYNAMODB_ENDPOINT"] = f"http://127.0.0.1:{port}"
    process = dynamodb_local.start(port)
    try:
        return _report()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _report() -> int:
    import boto3
    from chalice.test import Client

    from app import app
    from chalicelib.services.platform import tenants
    from chalicelib.settings import get_settings, reset_settings
    from portway_ops.tables import create_tables

    reset_settings()
    settings = get_settings()
    create_tables(
        boto3.client(
            "dynamodb",
            region_name=settings.region,
            endpoint_url=settings.dynamodb_endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local checks none
        ),
        settings.table_prefix,
    )
    from portway_ops import (
        bench_cost,
        bench_imports,
        bench_overhead,
        bench_pages,
        bench_pipeline,
        bench_portal,
        bench_self_service,
        bench_shares,
        bench_team,
        bench_tickets,
    )

    failures = 0
    results: list[tuple[Scenario, Counter[str], int]] = []
    pages: list[bench_pages.PageFigures] = []
    portal: list[bench_portal.CountedCall] = []
    self_service: list[bench_portal.CountedCall] = []
    share_reads: list[bench_portal.CountedCall] = []
    team: list[bench_portal.CountedCall] = []
    ticket_calls: list[bench_portal.CountedCall] = []
    exports: list[bench_shares.ExportFigure] = []
    # The page consumer's stream clients are made here, not counted as the app's.
    page_consumer = bench_pages.page_consumer()
    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:

        def serve() -> None:
            tenant = tenants.create_tenant("Bench Rental")
            results.extend(measure(client, tenant.api_key))
            request = requester(client, tenant.api_key)
            pages.append(
                bench_pages.measure_pages(
                    client, request, tenant.tenant.slug, tenant.tenant.id, consumer=page_consumer
                )
            )
            portal.extend(bench_portal.measure_portal(client, request))
            self_service.extend(
                bench_self_service.measure_self_service(client, tenant.api_key, tenant.tenant.slug)
            )
            partner = tenants.create_tenant("Bench Shipper")
            share_reads.extend(
                bench_shares.measure_share_read(client, tenant.api_key, partner.api_key)
            )
            exports.extend(bench_shares.measure_exports(tenant.tenant.id))
            team.extend(bench_team.measure_sign_in(client, tenant.tenant.id, tenant.tenant.slug))
            ticket_calls.extend(bench_tickets.measure_tickets(client, request))

        clients = count_clients(serve)  # the app's first DynamoDB call happens in here
        # Outside the count: the stream reader is not the app and has clients of its own.
        changing = tenants.create_tenant("Bench Pipeline")
        pipeline = bench_pipeline.measure_pipeline(
            requester(client, changing.api_key), changing.tenant.slug, changing.tenant.id
        )
        importing = tenants.create_tenant("Bench Import")
        imported = bench_imports.measure_import(client, importing.api_key)
        small_desk = tenants.create_tenant("Bench Small Desk")
        large_desk = tenants.create_tenant("Bench Large Desk")
        scale = bench_tickets.measure_scale(
            client,
            requester(client, small_desk.api_key),
            small_desk.tenant.id,
            requester(client, large_desk.api_key),
            large_desk.tenant.id,
        )
        warm = tenants.create_tenant("Bench Overhead")
        overhead = bench_overhead.measure_overhead(client, warm.api_key, warm.tenant.id)
    print(f"{'endpoint':<28}{'calls':>6}{'bound':>7}  by operation")
    for scenario, calls, total in results:
        ok = total <= scenario.max_calls and not calls["Scan"]
        ok = ok and (not scenario.is_list or calls["Query"] == 1)
        failures += not ok
        ops = ", ".join(f"{name} {n}" for name, n in sorted(calls.items()))
        print(
            f"{scenario.name:<28}{total:>6}{scenario.max_calls:>7}  {ops}{'' if ok else '  FAIL'}"
        )
    bench_portal.report("portal", portal)
    failures += sum(not call.ok for call in portal)
    bench_portal.report("self-service", self_service)
    failures += sum(not call.ok for call in self_service)
    bench_portal.report("partner shares", share_reads)
    failures += sum(not call.ok for call in share_reads)
    failures += not bench_shares.report_exports(exports)
    bench_portal.report("team", team)
    failures += sum(not call.ok for call in team)
    failures += not bench_team.report_console()
    bench_portal.report("tickets", ticket_calls)
    failures += sum(not call.ok for call in ticket_calls)
    bench_tickets.report_scale(scale)
    failures += not scale.ok
    bench_pages.report(pages[0])
    for failed in pages[0].failures():
        print(f"FAIL: {failed}")
    failures += len(pages[0].failures())
    bench_pipeline.report(pipeline)
    for failed in pipeline.failures():
        print(f"FAIL: {failed}")
    failures += len(pipeline.failures())
    bench_imports.report(imported)
    failures += not imported.ok
    bench_overhead.report(overhead)
    failures += not overhead.ok
    print(f"\nDynamoDB clients the app created: {clients} (bound 1)")
    failures += clients != 1
    app_s, boto_s, ratio = import_ratio()
    print(
        f"cold import: app {app_s * 1000:.0f} ms, boto3 {boto_s * 1000:.0f} ms, "
        f"ratio {ratio:.2f} (bound {IMPORT_RATIO_BOUND})"
    )
    failures += ratio > IMPORT_RATIO_BOUND
    by_name = {call.name: call for call in [*portal, *self_service, *share_reads]}
    size, packed = pages[0].weights["portal (customer)"]
    bench_cost.report(
        [
            bench_cost.page_view(pages[0].views[0], size, packed, app_s),
            bench_cost.api_call(by_name["partner read of a share"], app_s),
            bench_cost.api_call(by_name["GET /v1/portal/assets"], app_s),
            bench_cost.api_call(by_name["GET /v1/self-service/contract"], app_s),
        ]
    )
    print("\nall bounds hold" if not failures else f"\n{failures} bound(s) exceeded")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
