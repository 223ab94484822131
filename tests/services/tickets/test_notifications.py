"""The e-mails tickets call for, sent by the stream's consumer: each to whom it concerns, in
the recipient's language, and only what that person's visibility lets them see."""

from __future__ import annotations

from chalicelib.clock import utcnow
from chalicelib.models import Event, TeamMember
from chalicelib.services.tickets import notifications
from tests.mail import Outbox, text_of


def _agent(tenant, email="agent@provider.example") -> str:
    member = TeamMember(
        tenant.id,
        f"mbr_{email.split('@')[0]}",
        email=email,
        name="Alex Agent",
        role="agent",
        status="active",
        created_at=utcnow(),
    )
    member.save()
    return member.member_id


def test_a_customers_ticket_reaches_the_team_and_its_approver_in_their_language(
    desk, tenant, events_stream
):
    _agent(tenant)
    desk.api.patch(f"/v1/customers/{desk.customer}", {"language": "de"})
    desk.integrate()
    events_stream.drain()
    mails = Outbox()
    anna = desk.person(desk.first)
    anna.post(
        "/v1/portal/tickets", {"area_id": desk.area, "type_id": desk.order, "title": "Filter"}
    )
    events_stream.drain()
    by_address = {m["To"]: m for m in mails.new()}
    assert set(by_address) == {"ben@bau.example", "agent@provider.example"}
    approval = by_address["ben@bau.example"]
    assert "wartet auf Ihre Freigabe" in approval["Subject"]
    assert "/portal" in text_of(approval)
    assert "language=de" in text_of(approval)
    assert "#ticket=" in text_of(approval)
    team = by_address["agent@provider.example"]
    assert "Bau GmbH" in team["Subject"]
    assert "/console?language=en#/tickets/" in text_of(team)


def test_only_public_replies_and_visible_tickets_are_mailed(desk, events_stream):
    desk.integrate(visibility="customer")
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets", {"area_id": desk.area, "type_id": desk.repair, "title": "Leak"}
    ).json_body
    events_stream.drain()
    mails = Outbox()
    desk.api.post(f"/v1/tickets/{ticket['id']}/positions", {"text": "Customer never pays"})
    desk.api.post(
        f"/v1/tickets/{ticket['id']}/positions",
        {"text": "Our technician comes on Monday", "internal": False},
    )
    events_stream.drain()
    (reply,) = mails.new()
    assert reply["To"] == "anna@bau.example"
    assert "Our technician comes on Monday" in text_of(reply)
    assert "never pays" not in text_of(reply)
    # Made internal: nothing about it is mailed any more.
    desk.api.patch(f"/v1/tickets/{ticket['id']}", {"internal": True})
    events_stream.drain()
    mails = Outbox()
    desk.api.post(f"/v1/tickets/{ticket['id']}/transitions", {"to": "in_progress"})
    desk.api.post(
        f"/v1/tickets/{ticket['id']}/positions", {"text": "Public text", "internal": False}
    )
    events_stream.drain()
    assert mails.new() == []


def test_an_excluded_area_is_never_mailed(desk, events_stream):
    desk.integrate(visibility="customer", areas=[desk.area, desk.other_area])
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets",
        {"area_id": desk.other_area, "type_id": desk.repair, "title": "Invoice"},
    ).json_body
    desk.api.post(
        f"/v1/customers/{desk.customer}/exclusion-rules",
        {"name": "No billing", "area_ids": [desk.other_area]},
    )
    events_stream.drain()
    mails = Outbox()
    desk.api.post(f"/v1/tickets/{ticket['id']}/transitions", {"to": "resolved"})
    events_stream.drain()
    assert mails.new() == []


def test_status_changes_reach_the_requester_and_a_retried_record_mails_once(
    desk, tenant, events_stream
):
    desk.integrate()
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets", {"area_id": desk.area, "type_id": desk.repair, "title": "Leak"}
    ).json_body
    events_stream.drain()
    mails = Outbox()
    desk.api.post(f"/v1/tickets/{ticket['id']}/transitions", {"to": "resolved"})
    events_stream.drain()
    (status,) = mails.new()
    assert status["To"] == "anna@bau.example"
    assert "resolved" in status["Subject"]
    # The stream hands the same record over again: no second e-mail.
    (event,) = [
        e for e in Event.query(tenant.id, consistent_read=True) if e.type == "ticket.status_changed"
    ]
    again = Outbox()
    assert notifications.notify(event) == 0
    assert again.new() == []
