"""The ticket figures of `make bench` (PERFORMANCE.md): a customer's person lists a board
page with one index query and one batch read (the scope, with the session's sources), and
files a ticket with one read and one transaction (ticket, number counter, event). A tenant
with 100,000 tickets across 1,000 customers lists one customer's page with the same calls
as a tenant with 10 tickets: the customer's tickets are found by key, not by reading the
tenant's."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portway_ops.bench import counting
from portway_ops.bench_portal import CountedCall

PASSWORD = "bench passphrase of a decent length"  # noqa: S105 - a bench account
LIST_CALLS = Counter({"BatchGetItem": 1, "Query": 1})
CREATE_CALLS = Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


@dataclass
class Desk:
    """A customer of a tenant with the support app, its integration and one person."""

    customer: str
    area: str
    kind: str
    token: str


def _desk(client: Any, request: Any, name: str) -> Desk:
    customer = request("POST", "/v1/customers", {"name": name})["id"]
    request("PUT", f"/v1/customers/{customer}/portal", {"apps": ["support"]})
    area = request("POST", "/v1/ticket-areas", {"name": "Service"})["id"]
    kind = request("POST", "/v1/ticket-types", {"name": "Repair"})["id"]
    request(
        "PUT",
        f"/v1/customers/{customer}/support",
        {
            "active": True,
            "areas": [area],
            "ticket_types": [{"type_id": kind}],
            "visibility": "customer",
        },
    )
    invitation = request(
        "POST", f"/v1/customers/{customer}/portal/invitations", {"email": "desk@bench.example"}
    )
    accepted = client.http.post(
        "/v1/portal/invitations/accept",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {
                "token": invitation["url"].split("#token=")[1],
                "email": "desk@bench.example",
                "name": "Bench person",
                "password": PASSWORD,
                "accept_terms": True,
            }
        ),
    )
    return Desk(customer, area, kind, json.loads(accepted.body)["access_token"])


def _portal(client: Any, desk: Desk, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {desk.token}", "Content-Type": "application/json"}
    data = b"" if body is None else json.dumps(body).encode()
    return client.http.request(method, path, headers=headers, body=data)


def measure_tickets(client: Any, request: Any) -> list[CountedCall]:
    """File a ticket as a customer's person, then list the person's first board page."""
    desk = _desk(client, request, "Ticket bench")
    body = {"area_id": desk.area, "type_id": desk.kind, "title": "Hydraulic leak"}
    _portal(client, desk, "POST", "/v1/portal/tickets", body)  # the session's first call
    with counting() as create_calls:
        created = _portal(client, desk, "POST", "/v1/portal/tickets", body)
    with counting() as list_calls:
        listed = _portal(client, desk, "GET", "/v1/portal/tickets?limit=25")
    return [
        CountedCall(
            "POST /v1/portal/tickets",
            created.status_code,
            Counter(create_calls.calls),
            "1 read + 1 transaction",
            lambda status, calls: status == 201 and calls == CREATE_CALLS,
        ),
        CountedCall(
            "GET /v1/portal/tickets",
            listed.status_code,
            Counter(list_calls.calls),
            "1 query + 1 batch read",
            lambda status, calls: status == 200 and calls == LIST_CALLS,
        ),
    ]


@dataclass
class ScaleFigure:
    """A board page's calls in a small tenant and in a large one."""

    small_tickets: int
    large_tickets: int
    large_customers: int
    small_calls: Counter[str]
    large_calls: Counter[str]
    small_shown: int
    large_shown: int
    seconds_to_store: float

    @property
    def ok(self) -> bool:
        """True when the large tenant's page costs what the small one's does."""
        return self.small_calls == self.large_calls == LIST_CALLS and self.large_shown > 0


def _fill(tenant_id: str, desk: Desk, tickets: int, customers: int) -> None:
    """Store `tickets` tickets spread over `customers` customers (the desk's customer one of
    them) straight to the table, in batches."""
    from chalicelib.ids import new_id
    from chalicelib.models import Ticket

    now = datetime.now(UTC)
    others = [desk.customer] + [f"cus_bench{n:05d}" for n in range(1, customers)]
    with Ticket.batch_write() as batch:
        for n in range(tickets):
            customer = others[n % customers]
            batch.save(
                Ticket(
                    tenant_id,
                    new_id("tkt"),
                    customer_key=Ticket.customer_key_for(tenant_id, customer),
                    customer_id=customer,
                    number=n + 1000,
                    area_id=desk.area,
                    type_id=desk.kind,
                    title=f"Filled {n}",
                    status="open",
                    requester="portal_user:bench",
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )


def _page(client: Any, desk: Desk) -> tuple[Counter[str], int]:
    with counting() as calls:
        listed = _portal(client, desk, "GET", "/v1/portal/tickets?limit=25")
    assert listed.status_code == 200, listed.body
    return Counter(calls.calls), len(json.loads(listed.body)["items"])


def measure_scale(
    client: Any,
    small_request: Any,
    small_tenant: str,
    large_request: Any,
    large_tenant: str,
    *,
    large_tickets: int = 100_000,
    large_customers: int = 1_000,
) -> ScaleFigure:
    """One customer's board page in a tenant with 10 tickets and in one with many."""
    small = _desk(client, small_request, "Small desk")
    large = _desk(client, large_request, "Large desk")
    _fill(small_tenant, small, 10, 1)
    started = time.perf_counter()
    _fill(large_tenant, large, large_tickets, large_customers)
    stored = time.perf_counter() - started
    _portal(client, small, "GET", "/v1/portal/tickets")  # each session's first call
    _portal(client, large, "GET", "/v1/portal/tickets")
    small_calls, small_shown = _page(client, small)
    large_calls, large_shown = _page(client, large)
    return ScaleFigure(
        10,
        large_tickets,
        large_customers,
        small_calls,
        large_calls,
        small_shown,
        large_shown,
        stored,
    )


def report_scale(figure: ScaleFigure) -> None:
    """Print the scale figure."""

    def ops(calls: Counter[str]) -> str:
        return ", ".join(f"{name} {n}" for name, n in sorted(calls.items()))

    print(
        f"\nticket board page: tenant with {figure.small_tickets} tickets: "
        f"{ops(figure.small_calls)} ({figure.small_shown} shown); tenant with "
        f"{figure.large_tickets:,} tickets across {figure.large_customers:,} customers: "
        f"{ops(figure.large_calls)} "
        f"({figure.large_shown} shown; stored in {figure.seconds_to_store:.0f} s)"
        f"{'' if figure.ok else '  FAIL'}"
    )
