"""Tickets filed and decided at the same moment: 50 tickets filed at once get 50 distinct
numbers with no gap, and of two approvers deciding at once exactly one decides. Only on
DynamoDB Local: moto's store is not thread-safe."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict
from chalicelib.models import Event, Ticket
from chalicelib.schemas.tickets import TicketCreate, TicketDecision
from chalicelib.services.tickets import portal_tickets, tickets
from chalicelib.tenancy import TenantContext, authenticate_portal
from tests.races import race

RACERS = 50
pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)


def test_fifty_tickets_filed_at_once_get_fifty_distinct_numbers_in_a_row(desk, tenant):
    desk.integrate()
    ctx = TenantContext(tenant.id, "key:racer", frozenset({"write", "read", "tickets"}))
    data = TicketCreate(
        customer_id=desk.customer, area_id=desk.area, type_id=desk.repair, title="Racing"
    )
    outcomes = race(tickets.create, [(ctx, data)] * RACERS)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    numbers = sorted(int(o.number[2:]) for o in outcomes)
    assert numbers == list(range(1, RACERS + 1))
    stored = list(Ticket.query(tenant.id, consistent_read=True))
    assert sorted(int(t.number) for t in stored) == numbers
    created = [e for e in Event.query(tenant.id) if e.type == "ticket.created"]
    assert len(created) == RACERS


def test_two_approvers_deciding_at_once_decide_once(desk, tenant):
    desk.integrate(approvers=[desk.first["user"]["id"], desk.second["user"]["id"]])
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets",
        {"area_id": desk.area, "type_id": desk.order, "title": "Two filters"},
    ).json_body
    assert ticket["status"] == "awaiting_approval"
    contexts = [
        authenticate_portal(f"Bearer {s['access_token']}", None) for s in (desk.first, desk.second)
    ]
    decisions = [TicketDecision(decision="approve"), TicketDecision(decision="reject")]
    outcomes = race(
        portal_tickets.decide,
        [(c, ticket["id"], d) for c, d in zip(contexts, decisions, strict=True)],
    )
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1
    assert len(lost) == 1
    assert isinstance(lost[0], Conflict)
    stored = Ticket.get(tenant.id, ticket["id"], consistent_read=True)
    assert stored.status == {"approve": "open", "reject": "rejected"}[won[0].approval.decision]
    decided = [e for e in Event.query(tenant.id) if e.type == "ticket.approval_decided"]
    assert len(decided) == 1
