"""`make run` under load: the README's quick start, then 32 clients at once for 20 seconds.

It starts the real entry point (`portway local run`, what `make run` calls) with its
state in a temporary folder and talks plain HTTP to it, one connection per request as
curl does. Every connection must be answered (no refusal, no reset, no timeout), and
every write that answered 2xx must be found afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from portway_ops.dynamodb_local import free_port
from tests.portway_ops.running import local_run

CLIENTS = 32
SECONDS = 20.0
# Stand-ins for secrets that must never reach the server's log.
SSO_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2FkLXRlc3QtbGVhayJ9.c2VjcmV0LXNpZ25hdHVyZQ"
QUERY_TOKEN = "pws_leakcheck0123456789abcdefABCDEF"

pytestmark = pytest.mark.load


class Api:
    """Plain HTTP to the server: a new connection per request, as curl makes."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.key = key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: str | None = None,
        timeout: float = 30,
    ) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {auth or self.key}", "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None, expect: int = 200, **kw: Any) -> Any:
        status, raw = self.call(method, path, body, **kw)
        assert status == expect, (method, path, status, raw[:500])
        return json.loads(raw) if raw else None

    def all_items(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            page = self.json("GET", f"{path}?{urlencode(query)}")
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items


@dataclass
class QuickStart:
    customer_id: str
    asset_id: str
    page_path: str


def _quick_start(api: Api) -> QuickStart:
    """The README's steps: customer, asset, event, assignment, portal, invitation, acceptance."""
    customer = api.json(
        "POST",
        "/v1/customers",
        {"name": "Nordbau GmbH", "language": "de", "external_id": "K-4711"},
        expect=201,
    )
    asset = api.json(
        "POST",
        "/v1/assets",
        {"name": "Excavator 320", "serial_number": "EX320-0042", "kind": "machine"},
        expect=201,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    event = {"time": now.isoformat(), "lat": 53.55, "lon": 9.99, "operating_hours": 1234.5}
    api.json("POST", f"/v1/assets/{asset['id']}/events", event, expect=201)
    api.json("PUT", f"/v1/customers/{customer['id']}/assets", {"asset_ids": [asset["id"]]})
    portal = api.json("PUT", f"/v1/customers/{customer['id']}/portal", {})
    invitation = api.json(
        "POST",
        f"/v1/customers/{customer['id']}/portal/invitations",
        {"email": "anna@nordbau.example"},
        expect=201,
    )
    token = invitation["url"].split("#token=", 1)[1]
    accepted = api.json(
        "POST",
        "/v1/portal/invitations/accept",
        {
            "token": token,
            "email": "anna@nordbau.example",
            "name": "Anna Berg",
            "password": "correct horse battery staple 4711",
            "accept_terms": True,
        },
        expect=201,
    )
    me = api.json("GET", "/v1/portal/me", auth=accepted["access_token"])
    assert me["user"]["email"] == "anna@nordbau.example"
    assert api.json("GET", f"/v1/customers/{customer['id']}/portal")["status"] == "active"
    page = urlsplit(portal["page_url"])
    return QuickStart(customer["id"], asset["id"], f"{page.path}?{page.query}")


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    connection_errors: list[str] = field(default_factory=list)
    other_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, other: Tally) -> None:
        with self.lock:
            self.requests += other.requests
            self.connection_errors += other.connection_errors
            self.other_status.update(other.other_status)
            for kind, seconds in other.latencies.items():
                self.latencies.setdefault(kind, []).extend(seconds)
            self.customers |= other.customers
            self.events |= other.events


def _client(number: int, api: Api, start: QuickStart, deadline: float, total: Tally) -> None:
    """Half writes (customers, telemetry), half reads (a list, a hosted page), in turn."""
    mine = Tally()
    # Reports older than the quick start's keep the asset's last state: no retries needed.
    base = datetime.now(UTC) - timedelta(days=1, seconds=number * 10_000)
    i = 0
    while time.monotonic() < deadline:
        i += 1
        kind = ("customer", "list", "event", "page")[i % 4]
        if kind == "customer":
            request: tuple[str, str, Any] = (
                "POST",
                "/v1/customers",
                {"name": f"Load {number}-{i}"},
            )
        elif kind == "event":
            report = {"time": (base + timedelta(seconds=i)).isoformat(), "status": "ok"}
            request = ("POST", f"/v1/assets/{start.asset_id}/events", report)
        elif kind == "list":
            request = ("GET", "/v1/customers?limit=20", None)
        else:
            request = ("GET", start.page_path, None)
        began = time.perf_counter()
        mine.requests += 1
        try:
            status, raw = api.call(*request)
        except (OSError, http.client.HTTPException) as error:
            mine.connection_errors.append(f"{kind}: {error!r}")
            continue
        mine.latencies.setdefault(kind, []).append(time.perf_counter() - began)
        if not 200 <= status < 300:
            mine.other_status[(kind, status)] += 1
        elif kind == "customer":
            mine.customers.add(json.loads(raw)["id"])
        elif kind == "event":
            mine.events.add(json.loads(raw)["id"])
    total.merge(mine)


def _load(api: Api, start: QuickStart) -> Tally:
    total = Tally()
    deadline = time.monotonic() + SECONDS
    clients = [
        threading.Thread(target=_client, args=(n, api, start, deadline, total))
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=SECONDS + 60)
    return total


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _summary(tally: Tally, took: float) -> str:
    def times(values: list[float]) -> str:
        p50, p99 = (_percentile(values, share) * 1000 for share in (0.5, 0.99))
        return f"p50 {p50:.0f} ms, p99 {p99:.0f} ms"

    every = [seconds for values in tally.latencies.values() for seconds in values]
    kinds = "; ".join(
        f"{kind} {len(values)}: {times(values)}" for kind, values in sorted(tally.latencies.items())
    )
    return (
        f"{tally.requests} requests in {took:.1f} s from {CLIENTS} clients, "
        f"{len(tally.connection_errors)} connection errors, non-2xx {dict(tally.other_status)}, "
        f"{times(every)}, mean {statistics.fmean(every or [0]) * 1000:.0f} ms ({kinds})"
    )


def _environment(tmp_path: Any, ddb_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTWAY_STAGE": "local",
        "PORTWAY_LOCAL_STATE": str(tmp_path / "state"),
        "PORTWAY_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{ddb_port}",
        "PORTWAY_TABLE_PREFIX": "load-",
    }
    # `make run` keeps blobs and mail where its own defaults say (the test session sets them).
    env.pop("PORTWAY_BLOB_DIR", None)
    env.pop("PORTWAY_OUTBOX_DIR", None)
    return env


def test_make_run_answers_every_connection_and_keeps_every_write(tmp_path):
    ddb_port, port = free_port(), free_port()
    run = local_run(_environment(tmp_path, ddb_port), port)
    try:
        banner = run.wait_for("Serving on", seconds=120)
        found = re.search(r"Demo API key:\s+(pwk_\S+)", banner)
        assert found is not None, banner
        api = Api(port, found.group(1))
        start = _quick_start(api)
        # SSO tokens sent by GET, and any token parameter, stay out of the request log.
        sso = urlencode({"jwt": SSO_JWT, "return_to": "https://erp.example/x"})
        api.call("GET", f"/sso/demo/jwt?{sso}")
        api.call("GET", f"{start.page_path}&token={QUERY_TOKEN}")

        began = time.monotonic()
        tally = _load(api, start)
        took = time.monotonic() - began

        customers = {item["id"] for item in api.all_items("/v1/customers")}
        events = {item["id"] for item in api.all_items(f"/v1/assets/{start.asset_id}/events")}
    finally:
        code = run.stop()
    log = run.output()
    summary = _summary(tally, took)
    print(summary)
    errors = Counter(error.split("(")[0] for error in tally.connection_errors)
    assert not tally.connection_errors, (
        f"{summary}\n{dict(errors)}\nfirst: {tally.connection_errors[:5]}"
    )
    assert tally.requests > CLIENTS * 4, summary
    assert tally.customers, summary
    assert tally.events, summary
    assert tally.customers <= customers, f"lost customers: {tally.customers - customers}"
    assert tally.events <= events, f"lost events: {tally.events - events}"
    assert code == 0, log[-3000:]
    # Data never restarts the server (chalice local said "Restarting local dev server").
    assert "Restarting local dev server" not in log, log[-3000:]
    assert "The server process ended" not in log, log[-3000:]
    assert SSO_JWT not in log
    assert QUERY_TOKEN not in log
    # Data stays in the state folder, outside anything a reloader would watch.
    assert (tmp_path / "state" / "dynamodb" / "shared-local-instance.db").exists()
    assert any((tmp_path / "state" / "blobs").rglob("*")), "pages are stored in the state folder"
