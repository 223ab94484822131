"""Support tickets over HTTP, on both backends: the provider configures a customer's
integration, files and works tickets; the customer's people see exactly what the visibility
rule lets them see, file tickets, reply, attach files and approve."""

from __future__ import annotations

import io

import pytest

from tests.conftest import problem
from tests.samples import portal_session, tiny_pdf, tiny_png


@pytest.fixture(autouse=True)
def _own_address(source_address: str) -> str:
    return source_address


class Desk:
    """A tenant's desk with one customer whose portal has the support app."""

    def __init__(self, api) -> None:
        self.api = api
        self.customer = api.post("/v1/customers", {"name": "Bau GmbH"}).json_body["id"]
        assert (
            api.put(
                f"/v1/customers/{self.customer}/portal", {"apps": ["equipment", "support"]}
            ).status_code
            == 200
        )
        self.area = self.named("/v1/ticket-areas", "Service", de="Kundendienst")
        self.other_area = self.named("/v1/ticket-areas", "Billing", de="Abrechnung")
        self.repair = self.named("/v1/ticket-types", "Repair", de="Reparatur")
        self.order = self.named("/v1/ticket-types", "Spare parts order", de="Ersatzteilbestellung")
        self.asset = api.post("/v1/assets", {"name": "Excavator"}).json_body["id"]
        api.put(f"/v1/customers/{self.customer}/assets", {"asset_ids": [self.asset]})
        self.first = portal_session(api, self.customer, "anna@bau.example")
        self.second = portal_session(api, self.customer, "ben@bau.example")

    def named(self, path: str, name: str, **names: str) -> str:
        created = self.api.post(path, {"name": name, "names": names})
        assert created.status_code == 201, created.body
        return created.json_body["id"]

    def integrate(self, **overrides) -> dict:
        body = {
            "active": True,
            "areas": [self.area],
            "ticket_types": [
                {"type_id": self.repair, "requires_approval": False},
                {"type_id": self.order, "requires_approval": True},
            ],
            "visibility": "own",
            "approvers": [self.second["user"]["id"]],
            **overrides,
        }
        put = self.api.put(f"/v1/customers/{self.customer}/support", body)
        assert put.status_code == 200, put.body
        return put.json_body

    def ctx(self, tenant):
        """The tenant's context, as a service sees an admin key."""
        from chalicelib.tenancy import TenantContext

        return TenantContext(
            tenant.id, "key:test", frozenset({"admin", "write", "read", "tickets"})
        )

    def person(self, session: dict):
        return self.api.as_key(session["access_token"])

    def ticket(self, **fields) -> dict:
        body = {
            "customer_id": self.customer,
            "area_id": self.area,
            "type_id": self.repair,
            "title": "Hydraulic leak",
            **fields,
        }
        created = self.api.post("/v1/tickets", body)
        assert created.status_code == 201, created.body
        return created.json_body


@pytest.fixture
def desk(api) -> Desk:
    return Desk(api)


def test_a_customer_files_a_ticket_that_needs_approval_and_an_approver_decides(desk):
    desk.integrate()
    anna, ben = desk.person(desk.first), desk.person(desk.second)
    options = anna.get("/v1/portal/ticket-options?language=de").json_body
    assert [a["name"] for a in options["areas"]] == ["Kundendienst"]
    assert {t["name"]: t["requires_approval"] for t in options["ticket_types"]} == {
        "Reparatur": False,
        "Ersatzteilbestellung": True,
    }
    filed = anna.post(
        "/v1/portal/tickets",
        {
            "area_id": desk.area,
            "type_id": desk.order,
            "title": "Two filters",
            "asset_ids": [desk.asset],
        },
    )
    assert filed.status_code == 201, filed.body
    ticket = filed.json_body
    assert ticket["status"] == "awaiting_approval"
    assert ticket["number"].startswith("T-")
    assert ticket["mine"]
    assert not ticket["can_approve"]
    # Anna is no approver: refused; Ben approves (he sees it though it is not his).
    refused = anna.post(f"/v1/portal/tickets/{ticket['id']}/approval", {"decision": "approve"})
    assert refused.status_code == 403
    assert problem(refused)["reason"] == "not_an_approver"
    seen = ben.get(f"/v1/portal/tickets/{ticket['id']}").json_body
    assert seen["can_approve"]
    assert not seen["mine"]
    approved = ben.post(f"/v1/portal/tickets/{ticket['id']}/approval", {"decision": "approve"})
    assert approved.status_code == 200, approved.body
    assert approved.json_body["status"] == "open"
    # The person sees who decided as "you", "colleague" or "provider", never an account id.
    assert approved.json_body["approval"]["by"] == "you"
    assert anna.get(f"/v1/portal/tickets/{ticket['id']}").json_body["approval"]["by"] == (
        "colleague"
    )
    provider_view = desk.api.get(f"/v1/tickets/{ticket['id']}").json_body
    assert provider_view["approval"]["by"] == f"portal_user:{desk.second['user']['id']}"
    again = ben.post(f"/v1/portal/tickets/{ticket['id']}/approval", {"decision": "reject"})
    assert again.status_code == 409


def test_internal_positions_and_tickets_never_reach_the_customer(desk):
    desk.integrate(visibility="customer")
    anna = desk.person(desk.first)
    public = desk.ticket()
    secret = desk.ticket(title="Internal: warranty fraud check", internal=True)
    internal_note = desk.api.post(
        f"/v1/tickets/{public['id']}/positions", {"text": "Customer is slow to pay"}
    )
    assert internal_note.status_code == 201
    assert internal_note.json_body["internal"] is True
    reply = desk.api.post(
        f"/v1/tickets/{public['id']}/positions",
        {"text": "A technician comes on Monday", "internal": False},
    )
    assert reply.status_code == 201
    assert reply.json_body["internal"] is False
    listed = anna.get("/v1/portal/tickets").json_body["items"]
    assert [t["id"] for t in listed] == [public["id"]]
    assert anna.get(f"/v1/portal/tickets/{secret['id']}").status_code == 404
    positions = anna.get(f"/v1/portal/tickets/{public['id']}/positions").json_body["items"]
    assert [p["text"] for p in positions] == ["A technician comes on Monday"]
    assert positions[0]["from_provider"] is True
    counts = anna.get("/v1/portal/ticket-counts").json_body
    assert counts == {"total": 1, "by_status": {"open": 1}, "complete": True}
    # The team sees both positions.
    everything = desk.api.get(f"/v1/tickets/{public['id']}/positions").json_body["items"]
    assert len(everything) == 2


def test_visibility_own_shows_a_person_their_own_tickets_and_customer_all(desk):
    desk.integrate()
    anna, ben = desk.person(desk.first), desk.person(desk.second)
    body = {"area_id": desk.area, "type_id": desk.repair, "title": "Anna's"}
    mine = anna.post("/v1/portal/tickets", body).json_body
    assert [t["id"] for t in ben.get("/v1/portal/tickets").json_body["items"]] == []
    assert ben.get(f"/v1/portal/tickets/{mine['id']}").status_code == 404
    desk.integrate(visibility="customer")
    assert [t["id"] for t in ben.get("/v1/portal/tickets").json_body["items"]] == [mine["id"]]


def test_exclusion_rules_and_internal_only_tags_hide_what_they_name(desk):
    desk.integrate(visibility="customer", areas=[desk.area, desk.other_area])
    anna = desk.person(desk.first)
    secret_tag = desk.api.post(
        f"/v1/customers/{desk.customer}/ticket-tags",
        {"name": "Escalated", "internal_only": True},
    ).json_body["id"]
    open_tag = desk.api.post(
        f"/v1/customers/{desk.customer}/ticket-tags", {"name": "Hydraulics"}
    ).json_body["id"]
    tagged = desk.ticket(tag_ids=[secret_tag, open_tag])
    billing = desk.ticket(area_id=desk.other_area, title="Invoice question")
    seen = anna.get(f"/v1/portal/tickets/{tagged['id']}").json_body
    assert seen["tag_ids"] == [open_tag]
    options = anna.get("/v1/portal/ticket-options").json_body
    assert [t["id"] for t in options["tags"]] == [open_tag]
    # A customer's rule hides the billing area, a cross-customer rule the escalated tag.
    rule = desk.api.post(
        f"/v1/customers/{desk.customer}/exclusion-rules",
        {"name": "No billing", "area_ids": [desk.other_area]},
    )
    assert rule.status_code == 201, rule.body
    assert anna.get(f"/v1/portal/tickets/{billing['id']}").status_code == 404
    everywhere = desk.api.post(
        "/v1/exclusion-rules", {"name": "Escalations", "tag_ids": [secret_tag]}
    )
    assert everywhere.status_code == 201
    assert anna.get("/v1/portal/tickets").json_body["items"] == []
    assert anna.get("/v1/portal/ticket-counts").json_body["total"] == 0
    assert desk.api.delete(f"/v1/exclusion-rules/{everywhere.json_body['id']}").status_code == 204
    assert [t["id"] for t in anna.get("/v1/portal/tickets").json_body["items"]] == [tagged["id"]]
    empty = desk.api.post("/v1/exclusion-rules", {"name": "Nothing"})
    assert empty.status_code == 422


def test_a_customer_cannot_file_outside_its_areas_types_tags_or_equipment(desk, api):
    desk.integrate()
    anna = desk.person(desk.first)
    secret_tag = desk.api.post(
        f"/v1/customers/{desk.customer}/ticket-tags", {"name": "Escalated", "internal_only": True}
    ).json_body["id"]
    foreign = api.post("/v1/assets", {"name": "Not theirs"}).json_body["id"]
    base = {"area_id": desk.area, "type_id": desk.repair, "title": "Leak"}
    for change, field in [
        ({"area_id": desk.other_area}, "area_id"),
        ({"type_id": "tty_unknown"}, "type_id"),
        ({"tag_ids": [secret_tag]}, "tag_ids[0]"),
        ({"asset_ids": [foreign]}, "asset_ids[0]"),
    ]:
        refused = anna.post("/v1/portal/tickets", {**base, **change})
        assert refused.status_code == 422, (change, refused.body)
        assert field in [e["field"] for e in problem(refused)["errors"]]
    # A portal user cannot mark anything internal.
    marked = anna.post("/v1/portal/tickets", {**base, "internal": True})
    assert marked.status_code == 422
    assert desk.api.get(f"/v1/tickets?customer_id={desk.customer}").json_body["items"] == []
    ticket = anna.post("/v1/portal/tickets", base).json_body
    internal = anna.post(
        f"/v1/portal/tickets/{ticket['id']}/positions", {"text": "x", "internal": True}
    )
    assert internal.status_code == 422
    assert problem(internal)["errors"][0]["field"] == "internal"


def test_the_flow_allows_only_its_transitions(desk):
    desk.integrate()
    ticket = desk.ticket()
    path = f"/v1/tickets/{ticket['id']}/transitions"
    assert desk.api.post(path, {"to": "in_progress"}).json_body["status"] == "in_progress"
    assert desk.api.post(path, {"to": "waiting_for_customer"}).status_code == 200
    refused = desk.api.post(path, {"to": "closed"})
    assert refused.status_code == 409
    assert problem(refused)["allowed"] == ["in_progress", "resolved"]
    assert desk.api.post(path, {"to": "open"}).status_code == 409
    # Not awaiting approval: nobody decides it.
    assert (
        desk.api.post(f"/v1/tickets/{ticket['id']}/approval", {"decision": "approve"}).status_code
        == 409
    )


def test_a_customer_reply_puts_a_ticket_waiting_for_the_customer_back_in_progress(desk):
    desk.integrate()
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets", {"area_id": desk.area, "type_id": desk.repair, "title": "Leak"}
    ).json_body
    desk.api.post(f"/v1/tickets/{ticket['id']}/transitions", {"to": "waiting_for_customer"})
    replied = anna.post(f"/v1/portal/tickets/{ticket['id']}/positions", {"text": "Photo sent"})
    assert replied.status_code == 201, replied.body
    assert desk.api.get(f"/v1/tickets/{ticket['id']}").json_body["status"] == "in_progress"


def test_attachments_are_checked_and_internal_ones_stay_with_the_team(desk):
    desk.integrate()
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets", {"area_id": desk.area, "type_id": desk.repair, "title": "Leak"}
    ).json_body
    photo = anna.request(
        "POST",
        f"/v1/portal/tickets/{ticket['id']}/attachments?file_name=leak.png",
        raw=tiny_png(),
        headers={"Content-Type": "image/png"},
    )
    assert photo.status_code == 201, photo.body
    fake = anna.request(
        "POST",
        f"/v1/portal/tickets/{ticket['id']}/attachments?file_name=x.png",
        raw=b"<script>alert(1)</script>",
        headers={"Content-Type": "image/png"},
    )
    assert fake.status_code == 422
    active = anna.request(
        "POST",
        f"/v1/portal/tickets/{ticket['id']}/attachments",
        raw=tiny_pdf().replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        headers={"Content-Type": "application/pdf"},
    )
    assert active.status_code == 422, active.body
    note = desk.api.request(
        "POST",
        f"/v1/tickets/{ticket['id']}/attachments?file_name=internal-report.pdf",
        raw=tiny_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    assert note.status_code == 201
    assert note.json_body["internal"] is True
    shown = anna.get(f"/v1/portal/tickets/{ticket['id']}/positions").json_body["items"]
    assert [p["file_name"] for p in shown] == ["leak.png"]
    got = anna.get(
        f"/v1/portal/tickets/{ticket['id']}/attachments/{photo.json_body['id']}",
        headers={"Accept": "image/png"},
    )
    assert got.status_code == 200
    assert got.body == tiny_png()
    hidden = anna.get(
        f"/v1/portal/tickets/{ticket['id']}/attachments/{note.json_body['id']}",
        headers={"Accept": "application/pdf"},
    )
    assert hidden.status_code == 404


def test_a_ticket_for_another_customers_equipment_is_refused(desk, api):
    desk.integrate()
    other = api.post("/v1/customers", {"name": "Other"}).json_body["id"]
    theirs = api.post("/v1/assets", {"name": "Theirs"}).json_body["id"]
    api.put(f"/v1/customers/{other}/assets", {"asset_ids": [theirs]})
    refused = api.post(
        "/v1/tickets",
        {
            "customer_id": desk.customer,
            "area_id": desk.area,
            "type_id": desk.repair,
            "title": "x",
            "asset_ids": [theirs],
        },
    )
    assert refused.status_code == 422
    assert problem(refused)["errors"][0]["field"] == "asset_ids[0]"


def test_numbers_run_per_tenant(desk, other_api):
    desk.integrate()
    first, second = desk.ticket(), desk.ticket()
    assert int(second["number"][2:]) == int(first["number"][2:]) + 1
    area = other_api.post("/v1/ticket-areas", {"name": "A"}).json_body["id"]
    kind = other_api.post("/v1/ticket-types", {"name": "T"}).json_body["id"]
    customer = other_api.post("/v1/customers", {"name": "C"}).json_body["id"]
    theirs = other_api.post(
        "/v1/tickets", {"customer_id": customer, "area_id": area, "type_id": kind, "title": "x"}
    )
    assert theirs.json_body["number"] == "T-1"
    # Another tenant's ticket is not found.
    assert other_api.get(f"/v1/tickets/{first['id']}").status_code == 404


def test_the_plan_board_shows_the_customers_planned_visits(desk):
    desk.integrate(visibility="customer")
    anna = desk.person(desk.first)
    visit = desk.ticket(
        title="Inspection", planned_start="2026-12-07T08:00:00Z", planned_end="2026-12-07T12:00:00Z"
    )
    desk.ticket(title="Unplanned")
    desk.ticket(title="Internal visit", internal=True, planned_start="2026-12-08T08:00:00Z")
    board = desk.api.post(
        "/v1/plan-boards", {"name": "Service visits", "customer_ids": [desk.customer]}
    )
    assert board.status_code == 201, board.body
    boards = anna.get("/v1/portal/plan-boards").json_body["items"]
    assert [b["id"] for b in boards] == [board.json_body["id"]]
    view = anna.get(f"/v1/portal/plan-boards/{board.json_body['id']}").json_body
    assert [t["id"] for t in view["tickets"]] == [visit["id"]]
    # Whom else a board serves is the provider's business.
    assert set(view["board"]) == {"id", "name"}
    assert all(set(b) == {"id", "name"} for b in boards)
    other = desk.api.post("/v1/plan-boards", {"name": "Not theirs"}).json_body["id"]
    assert anna.get(f"/v1/portal/plan-boards/{other}").status_code == 404


def test_board_queries_filter_the_portal_list(desk):
    desk.integrate(visibility="customer")
    anna = desk.person(desk.first)
    opened = desk.ticket(title="Open one")
    done = desk.ticket(title="Done one")
    desk.api.post(f"/v1/tickets/{done['id']}/transitions", {"to": "resolved"})
    query = desk.api.post(
        f"/v1/customers/{desk.customer}/board-queries",
        {"name": "Open", "filter": {"statuses": ["open", "in_progress"]}},
    )
    assert query.status_code == 201, query.body
    listed = anna.get(f"/v1/portal/tickets?board={query.json_body['id']}").json_body["items"]
    assert [t["id"] for t in listed] == [opened["id"]]
    assert [q["name"] for q in anna.get("/v1/portal/board-queries").json_body["items"]] == ["Open"]
    assert anna.get("/v1/portal/tickets?board=tbq_nope").status_code == 422


def test_an_inactive_integration_or_a_portal_without_support_shows_nothing(desk):
    anna = desk.person(desk.first)
    refused = anna.get("/v1/portal/tickets")
    assert refused.status_code == 403
    assert problem(refused)["reason"] == "support_inactive"
    desk.integrate()
    desk.api.put(f"/v1/customers/{desk.customer}/portal", {"apps": ["equipment"]})
    fresh = portal_session(desk.api, desk.customer, "carl@bau.example")
    assert desk.person(fresh).get("/v1/portal/tickets").status_code == 403


def test_the_integration_is_checked_field_by_field(desk):
    refused = desk.api.put(
        f"/v1/customers/{desk.customer}/support",
        {
            "active": True,
            "areas": [],
            "ticket_types": [{"type_id": "tty_nope"}],
            "approvers": ["usr_nope"],
        },
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in problem(refused)["errors"]}
    assert fields == {"areas", "ticket_types[0]", "approvers[0]"}
    # Deleting an area a customer uses is refused, naming the customer.
    desk.integrate()
    held = desk.api.delete(f"/v1/ticket-areas/{desk.area}")
    assert held.status_code == 409
    assert problem(held)["held_by"]["customer_ids"] == [desk.customer]


def test_the_portal_export_holds_what_the_person_sees(desk):
    from openpyxl import load_workbook

    desk.integrate(visibility="customer")
    anna = desk.person(desk.first)
    desk.ticket(title="Visible one")
    desk.ticket(title="https://evil.example/steal")
    desk.ticket(title="Secret one", internal=True)
    got = anna.get(
        "/v1/portal/tickets.xlsx?language=de",
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert got.status_code == 200, got.body
    sheet = load_workbook(io.BytesIO(got.body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sorted(r[1] for r in rows[1:]) == ["Visible one", "https://evil.example/steal"]
    assert rows[1][3] == "Kundendienst"
    assert all(cell.hyperlink is None for row in sheet.iter_rows() for cell in row)


def test_an_integration_changed_meanwhile_is_a_409_not_a_silent_merge(desk):
    first = desk.integrate()
    desk.integrate(visibility="customer")
    stale = desk.api.put(
        f"/v1/customers/{desk.customer}/support",
        {"active": False, "areas": [desk.area], "ticket_types": [], "version": first["version"]},
    )
    assert stale.status_code == 409
    assert problem(stale)["current_version"] == first["version"] + 1
    assert desk.api.get(f"/v1/customers/{desk.customer}/support").json_body["active"] is True


def test_ticket_events_carry_no_text_a_webhook_could_pass_on(desk, tenant):
    """Webhook payloads are the events' data: numbers, statuses, flags and ids, never a
    title, a description or a position's text."""
    from chalicelib.models import Event

    desk.integrate()
    anna = desk.person(desk.first)
    ticket = anna.post(
        "/v1/portal/tickets",
        {
            "area_id": desk.area,
            "type_id": desk.repair,
            "title": "Secret title",
            "description": "Secret body",
        },
    ).json_body
    desk.api.post(f"/v1/tickets/{ticket['id']}/positions", {"text": "Secret note"})
    desk.api.patch(f"/v1/tickets/{ticket['id']}", {"title": "Secret title 2"})
    desk.api.post(f"/v1/tickets/{ticket['id']}/transitions", {"to": "in_progress"})
    found = [
        e for e in Event.query(tenant.id, consistent_read=True) if e.type.startswith("ticket.")
    ]
    assert {e.type for e in found} >= {
        "ticket.created",
        "ticket.position_added",
        "ticket.updated",
        "ticket.status_changed",
    }
    allowed = {
        "number",
        "status",
        "internal",
        "area_id",
        "type_id",
        "previous",
        "decision",
        "entry_id",
        "kind",
        "entry_internal",
        "changed",
    }
    for event in found:
        data = dict(event.data or {})
        assert set(data) <= allowed, (event.type, data)
        assert "Secret" not in str(data)
