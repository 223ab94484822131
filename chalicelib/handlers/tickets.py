"""Support tickets: the desk's settings and tickets on the provider's side (agents write
tickets and nothing else), and the portal's support app for a customer's people."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.handlers.router import Api, large_file
from chalicelib.models import TicketEntry
from chalicelib.operations import Upload
from chalicelib.schemas import tickets as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.shares.access_log import XLSX_CONTENT_TYPE
from chalicelib.services.tickets import attachments, desk, portal_tickets, tickets
from chalicelib.tenancy import PortalContext, TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="tickets")
portal = Api(blueprint, tag="portal")

_FILE_HEADERS: dict[str, str | list[str]] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
}


def _file(entry: TicketEntry) -> Response:
    """The attachment (over 4 MB: 303 to a link that downloads it for five minutes)."""
    content_type = entry.content_type or "application/octet-stream"
    name = entry.file_name or "attachment"
    far = large_file(entry.blob_key or "", int(entry.size or 0), content_type, name)
    if far is not None:
        return far
    headers: dict[str, str | list[str]] = {
        **_FILE_HEADERS,
        "Content-Type": entry.content_type or "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{entry.file_name or "attachment"}"',
    }
    return Response(body=attachments.content(entry), status_code=200, headers=headers)


# -- areas and ticket types ------------------------------------------------------------------


@api.post(
    "/v1/ticket-areas",
    body=schemas.NamedCreate,
    response=schemas.Area,
    status=201,
    idempotent=True,  # ticket.area_created
)
def create_area(ctx: TenantContext, body: schemas.NamedCreate) -> schemas.Area:
    """Add an area in which tickets are filed."""
    return desk.create_named(ctx, "area", body)  # type: ignore[return-value]


@api.get("/v1/ticket-areas", response=page_of(schemas.Area), paginated=True)
def list_areas(ctx: TenantContext, page: PageRequest) -> Page[schemas.Area]:
    """List the desk's areas."""
    return desk.list_named(ctx, "area", page)  # type: ignore[return-value]


@api.get("/v1/ticket-areas/{id}", response=schemas.Area)
def get_area(ctx: TenantContext, id: str) -> schemas.Area:
    """Read an area."""
    return desk.get_named(ctx, "area", id)  # type: ignore[return-value]


@api.patch(
    "/v1/ticket-areas/{id}", body=schemas.NamedUpdate, response=schemas.Area, versioned=True
)  # ticket.area_updated
def update_area(
    ctx: TenantContext, id: str, body: schemas.NamedUpdate, if_match: int | None
) -> schemas.Area:
    """Rename an area."""
    return desk.update_named(ctx, "area", id, body, if_match=if_match)  # type: ignore[return-value]


@api.delete("/v1/ticket-areas/{id}")  # ticket.area_deleted
def delete_area(ctx: TenantContext, id: str) -> None:
    """Delete an area no customer's integration uses."""
    desk.delete_named(ctx, "area", id)


@api.post(
    "/v1/ticket-types",
    body=schemas.NamedCreate,
    response=schemas.TicketType,
    status=201,
    idempotent=True,  # ticket.type_created
)
def create_ticket_type(ctx: TenantContext, body: schemas.NamedCreate) -> schemas.TicketType:
    """Add a ticket type."""
    return desk.create_named(ctx, "type", body)  # type: ignore[return-value]


@api.get("/v1/ticket-types", response=page_of(schemas.TicketType), paginated=True)
def list_ticket_types(ctx: TenantContext, page: PageRequest) -> Page[schemas.TicketType]:
    """List the desk's ticket types."""
    return desk.list_named(ctx, "type", page)  # type: ignore[return-value]


@api.get("/v1/ticket-types/{id}", response=schemas.TicketType)
def get_ticket_type(ctx: TenantContext, id: str) -> schemas.TicketType:
    """Read a ticket type."""
    return desk.get_named(ctx, "type", id)  # type: ignore[return-value]


@api.patch(
    "/v1/ticket-types/{id}", body=schemas.NamedUpdate, response=schemas.TicketType, versioned=True
)  # ticket.type_updated
def update_ticket_type(
    ctx: TenantContext, id: str, body: schemas.NamedUpdate, if_match: int | None
) -> schemas.TicketType:
    """Rename a ticket type."""
    return desk.update_named(ctx, "type", id, body, if_match=if_match)  # type: ignore[return-value]


@api.delete("/v1/ticket-types/{id}")  # ticket.type_deleted
def delete_ticket_type(ctx: TenantContext, id: str) -> None:
    """Delete a ticket type no customer's integration uses."""
    desk.delete_named(ctx, "type", id)


# -- a customer's integration ----------------------------------------------------------------


@api.get("/v1/customers/{id}/support", response=schemas.Support)
def get_support(ctx: TenantContext, id: str) -> schemas.Support:
    """A customer's integration: active, areas, ticket types, visibility, approvers."""
    return desk.get_support(ctx, id)


@api.put(
    "/v1/customers/{id}/support",
    body=schemas.SupportSettings,
    response=schemas.Support,
    versioned=True,  # ticket.support_updated
)
def put_support(
    ctx: TenantContext, id: str, body: schemas.SupportSettings, if_match: int | None
) -> schemas.Support:
    """Set a customer's integration."""
    return desk.put_support(ctx, id, body, if_match=if_match)


@api.post(
    "/v1/customers/{id}/ticket-tags",
    body=schemas.TagCreate,
    response=schemas.Tag,
    status=201,
    idempotent=True,  # ticket.tag_created
)
def create_tag(ctx: TenantContext, id: str, body: schemas.TagCreate) -> schemas.Tag:
    """Add a tag for a customer's tickets."""
    return desk.create_tag(ctx, id, body)


@api.get("/v1/customers/{id}/ticket-tags", response=page_of(schemas.Tag))
def list_tags(ctx: TenantContext, id: str) -> Page[schemas.Tag]:
    """List a customer's tags."""
    return desk.list_tags(ctx, id)


@api.patch(
    "/v1/customers/{id}/ticket-tags/{tag_id}", body=schemas.TagUpdate, response=schemas.Tag
)  # ticket.tag_updated
def update_tag(ctx: TenantContext, id: str, tag_id: str, body: schemas.TagUpdate) -> schemas.Tag:
    """Change a tag."""
    return desk.update_tag(ctx, id, tag_id, body)


@api.delete("/v1/customers/{id}/ticket-tags/{tag_id}")  # ticket.tag_deleted
def delete_tag(ctx: TenantContext, id: str, tag_id: str) -> None:
    """Remove a tag."""
    desk.delete_tag(ctx, id, tag_id)


@api.post(
    "/v1/customers/{id}/board-queries",
    body=schemas.BoardQueryCreate,
    response=schemas.BoardQuery,
    status=201,
    idempotent=True,  # ticket.board_query_created
)
def create_board_query(
    ctx: TenantContext, id: str, body: schemas.BoardQueryCreate
) -> schemas.BoardQuery:
    """Save a board query for a customer's people."""
    return desk.create_query(ctx, id, body)


@api.get("/v1/customers/{id}/board-queries", response=page_of(schemas.BoardQuery))
def list_board_queries(ctx: TenantContext, id: str) -> Page[schemas.BoardQuery]:
    """List a customer's board queries."""
    return desk.list_queries(ctx, id)


@api.patch(
    "/v1/customers/{id}/board-queries/{query_id}",
    body=schemas.BoardQueryUpdate,
    response=schemas.BoardQuery,
)  # ticket.board_query_updated
def update_board_query(
    ctx: TenantContext, id: str, query_id: str, body: schemas.BoardQueryUpdate
) -> schemas.BoardQuery:
    """Change a board query."""
    return desk.update_query(ctx, id, query_id, body)


@api.delete("/v1/customers/{id}/board-queries/{query_id}")  # ticket.board_query_deleted
def delete_board_query(ctx: TenantContext, id: str, query_id: str) -> None:
    """Remove a board query."""
    desk.delete_query(ctx, id, query_id)


@api.post(
    "/v1/exclusion-rules",
    body=schemas.ExclusionRuleCreate,
    response=schemas.ExclusionRule,
    status=201,
    idempotent=True,  # ticket.exclusion_rule_created
)
def create_tenant_rule(
    ctx: TenantContext, body: schemas.ExclusionRuleCreate
) -> schemas.ExclusionRule:
    """Add an exclusion rule that holds for every customer."""
    return desk.create_rule(ctx, None, body)


@api.get("/v1/exclusion-rules", response=page_of(schemas.ExclusionRule))
def list_tenant_rules(ctx: TenantContext) -> Page[schemas.ExclusionRule]:
    """List the cross-customer exclusion rules."""
    return desk.list_rules(ctx, None)


@api.delete("/v1/exclusion-rules/{id}")  # ticket.exclusion_rule_deleted
def delete_tenant_rule(ctx: TenantContext, id: str) -> None:
    """Remove a cross-customer exclusion rule."""
    desk.delete_rule(ctx, None, id)


@api.post(
    "/v1/customers/{id}/exclusion-rules",
    body=schemas.ExclusionRuleCreate,
    response=schemas.ExclusionRule,
    status=201,
    idempotent=True,  # ticket.exclusion_rule_created
)
def create_customer_rule(
    ctx: TenantContext, id: str, body: schemas.ExclusionRuleCreate
) -> schemas.ExclusionRule:
    """Add an exclusion rule for one customer."""
    return desk.create_rule(ctx, id, body)


@api.get("/v1/customers/{id}/exclusion-rules", response=page_of(schemas.ExclusionRule))
def list_customer_rules(ctx: TenantContext, id: str) -> Page[schemas.ExclusionRule]:
    """List a customer's exclusion rules."""
    return desk.list_rules(ctx, id)


@api.delete("/v1/customers/{id}/exclusion-rules/{rule_id}")  # ticket.exclusion_rule_deleted
def delete_customer_rule(ctx: TenantContext, id: str, rule_id: str) -> None:
    """Remove one of a customer's exclusion rules."""
    desk.delete_rule(ctx, id, rule_id)


# -- plan boards -----------------------------------------------------------------------------


@api.post(
    "/v1/plan-boards",
    body=schemas.PlanBoardCreate,
    response=schemas.PlanBoard,
    status=201,
    idempotent=True,  # ticket.plan_board_created
)
def create_plan_board(ctx: TenantContext, body: schemas.PlanBoardCreate) -> schemas.PlanBoard:
    """Add a plan board shared with some customers."""
    return desk.create_board(ctx, body)


@api.get("/v1/plan-boards", response=page_of(schemas.PlanBoard), paginated=True)
def list_plan_boards(ctx: TenantContext, page: PageRequest) -> Page[schemas.PlanBoard]:
    """List the plan boards."""
    return desk.list_boards(ctx, page)


@api.get("/v1/plan-boards/{id}", response=schemas.PlanBoard)
def get_plan_board(ctx: TenantContext, id: str) -> schemas.PlanBoard:
    """Read a plan board."""
    return desk.get_board(ctx, id)


@api.patch(
    "/v1/plan-boards/{id}",
    body=schemas.PlanBoardUpdate,
    response=schemas.PlanBoard,
    versioned=True,  # ticket.plan_board_updated
)
def update_plan_board(
    ctx: TenantContext, id: str, body: schemas.PlanBoardUpdate, if_match: int | None
) -> schemas.PlanBoard:
    """Rename a plan board or change whom it is shared with."""
    return desk.update_board(ctx, id, body, if_match=if_match)


@api.delete("/v1/plan-boards/{id}")  # ticket.plan_board_deleted
def delete_plan_board(ctx: TenantContext, id: str) -> None:
    """Delete a plan board."""
    desk.delete_board(ctx, id)


# -- tickets ---------------------------------------------------------------------------------


@api.post(
    "/v1/tickets",
    body=schemas.TicketCreate,
    response=schemas.Ticket,
    status=201,
    scope="tickets",
    idempotent=True,  # ticket.created, with the number, in one transaction
)
def create_ticket(ctx: TenantContext, body: schemas.TicketCreate) -> schemas.Ticket:
    """File a ticket for a customer."""
    return tickets.create(ctx, body)


@api.get(
    "/v1/tickets",
    response=page_of(schemas.Ticket),
    paginated=True,
    query=schemas.TicketQuery,
)
def list_tickets(
    ctx: TenantContext, page: PageRequest, query: schemas.TicketQuery
) -> Page[schemas.Ticket]:
    """List tickets, oldest first, by customer, status, area, type, tag, assignee or text."""
    return tickets.list_tickets(ctx, query, page)


@api.get("/v1/tickets/{id}", response=schemas.Ticket)
def get_ticket(ctx: TenantContext, id: str) -> schemas.Ticket:
    """Read a ticket."""
    return tickets.get(ctx, id)


@api.patch(
    "/v1/tickets/{id}",
    body=schemas.TicketUpdate,
    response=schemas.Ticket,
    scope="tickets",
    versioned=True,  # ticket.updated
)
def update_ticket(
    ctx: TenantContext, id: str, body: schemas.TicketUpdate, if_match: int | None
) -> schemas.Ticket:
    """Change a ticket."""
    return tickets.update(ctx, id, body, if_match=if_match)


@api.post(
    "/v1/tickets/{id}/transitions",
    body=schemas.Transition,
    response=schemas.Ticket,
    scope="tickets",  # ticket.status_changed
)
def transition_ticket(ctx: TenantContext, id: str, body: schemas.Transition) -> schemas.Ticket:
    """Move a ticket to another status along the flow."""
    return tickets.transition(ctx, id, body.to)


@api.post(
    "/v1/tickets/{id}/approval",
    body=schemas.TicketDecision,
    response=schemas.Ticket,
    scope="tickets",  # ticket.approval_decided, naming the provider's caller
)
def decide_ticket(ctx: TenantContext, id: str, body: schemas.TicketDecision) -> schemas.Ticket:
    """Approve or reject a ticket on the customer's behalf."""
    return tickets.approve(ctx, id, body)


@api.get("/v1/tickets/{id}/positions", response=page_of(schemas.TicketPosition))
def list_positions(ctx: TenantContext, id: str) -> Page[schemas.TicketPosition]:
    """A ticket's positions and attachments, internal and public."""
    return tickets.list_positions(ctx, id)


@api.post(
    "/v1/tickets/{id}/positions",
    body=schemas.PositionCreate,
    response=schemas.TicketPosition,
    status=201,
    scope="tickets",
    idempotent=True,  # ticket.position_added
)
def add_position(
    ctx: TenantContext, id: str, body: schemas.PositionCreate
) -> schemas.TicketPosition:
    """Add a position (internal unless `internal` is false)."""
    return tickets.add_position(ctx, id, body)


@api.post(
    "/v1/tickets/{id}/attachments",
    query=schemas.AttachmentQuery,
    upload=attachments.CONTENT_TYPES,
    response=schemas.TicketPosition,
    status=201,
    scope="tickets",  # ticket.attachment_added
)
def add_attachment(
    ctx: TenantContext, id: str, query: schemas.AttachmentQuery, upload: Upload
) -> schemas.TicketPosition:
    """Attach a PDF, PNG or JPEG (internal unless `internal=false`)."""
    return attachments.attach(ctx, id, query, upload)


@api.get(
    "/v1/tickets/{id}/attachments/{attachment_id}",
    produces=attachments.CONTENT_TYPES,
)
def get_attachment(ctx: TenantContext, id: str, attachment_id: str) -> Response:
    """An attachment's file."""
    return _file(attachments.load(ctx, id, attachment_id))


# -- the portal's support app ----------------------------------------------------------------


@portal.get(
    "/v1/portal/ticket-options",
    auth="portal",
    query=schemas.OptionsQuery,
    response=schemas.TicketOptions,
    folds_session_check=True,
)
def portal_ticket_options(ctx: PortalContext, query: schemas.OptionsQuery) -> schemas.TicketOptions:
    """The areas, ticket types and tags this person may file tickets with."""
    return portal_tickets.options(ctx, query.language)


@portal.get(
    "/v1/portal/tickets",
    auth="portal",
    query=schemas.PortalTicketQuery,
    response=page_of(schemas.PortalTicket),
    paginated=True,
    folds_session_check=True,
)
def list_portal_tickets(
    ctx: PortalContext, query: schemas.PortalTicketQuery, page: PageRequest
) -> Page[schemas.PortalTicket]:
    """The tickets this person sees (`?board=` a board query's view, `?q=` by text)."""
    return portal_tickets.list_tickets(ctx, query, page)


@portal.get(
    "/v1/portal/ticket-counts",
    auth="portal",
    response=schemas.TicketCounts,
    folds_session_check=True,
)
def portal_ticket_counts(ctx: PortalContext) -> schemas.TicketCounts:
    """How many tickets this person sees, by status."""
    return portal_tickets.counts(ctx)


@portal.get(
    "/v1/portal/tickets.xlsx",
    auth="portal",
    query=schemas.OptionsQuery,
    produces=(XLSX_CONTENT_TYPE,),
    folds_session_check=True,
)
def export_portal_tickets(ctx: PortalContext, query: schemas.OptionsQuery) -> Response:
    """The tickets this person sees, as an Excel file."""
    headers: dict[str, str | list[str]] = {
        **_FILE_HEADERS,
        "Content-Type": XLSX_CONTENT_TYPE,
        "Content-Disposition": 'attachment; filename="tickets.xlsx"',
    }
    body = portal_tickets.export(ctx, query.language)
    return Response(body=body, status_code=200, headers=headers)


@portal.post(
    "/v1/portal/tickets",
    auth="portal",
    body=schemas.PortalTicketCreate,
    response=schemas.PortalTicket,
    status=201,
    folds_session_check=True,  # ticket.created, with the number, in one transaction
)
def create_portal_ticket(
    ctx: PortalContext, body: schemas.PortalTicketCreate
) -> schemas.PortalTicket:
    """File a ticket (a type that needs approval waits for an approver)."""
    return portal_tickets.create(ctx, body)


@portal.get(
    "/v1/portal/tickets/{id}",
    auth="portal",
    response=schemas.PortalTicket,
    folds_session_check=True,
)
def get_portal_ticket(ctx: PortalContext, id: str) -> schemas.PortalTicket:
    """One ticket this person sees."""
    return portal_tickets.get(ctx, id)


@portal.get(
    "/v1/portal/tickets/{id}/positions",
    auth="portal",
    response=page_of(schemas.PortalPosition),
    folds_session_check=True,
)
def list_portal_positions(ctx: PortalContext, id: str) -> Page[schemas.PortalPosition]:
    """The public positions and attachments of a ticket."""
    return portal_tickets.positions(ctx, id)


@portal.post(
    "/v1/portal/tickets/{id}/positions",
    auth="portal",
    body=schemas.PortalPositionCreate,
    response=schemas.PortalPosition,
    status=201,
    folds_session_check=True,  # ticket.position_added
)
def reply_portal_ticket(
    ctx: PortalContext, id: str, body: schemas.PortalPositionCreate
) -> schemas.PortalPosition:
    """Reply to a ticket (always public)."""
    return portal_tickets.reply(ctx, id, body)


@portal.post(
    "/v1/portal/tickets/{id}/attachments",
    auth="portal",
    query=schemas.AttachmentQuery,
    upload=attachments.CONTENT_TYPES,
    response=schemas.PortalPosition,
    status=201,
    folds_session_check=True,  # ticket.attachment_added
)
def attach_portal_ticket(
    ctx: PortalContext, id: str, query: schemas.AttachmentQuery, upload: Upload
) -> schemas.PortalPosition:
    """Attach a PDF, PNG or JPEG to a ticket (always public)."""
    return portal_tickets.attach(ctx, id, query.file_name, upload.data, upload.content_type)


@portal.get(
    "/v1/portal/tickets/{id}/attachments/{attachment_id}",
    auth="portal",
    produces=attachments.CONTENT_TYPES,
    folds_session_check=True,
)
def get_portal_attachment(ctx: PortalContext, id: str, attachment_id: str) -> Response:
    """A public attachment's file."""
    return _file(portal_tickets.attachment(ctx, id, attachment_id))


@portal.post(
    "/v1/portal/tickets/{id}/approval",
    auth="portal",
    body=schemas.TicketDecision,
    response=schemas.PortalTicket,
    folds_session_check=True,  # ticket.approval_decided
)
def decide_portal_ticket(
    ctx: PortalContext, id: str, body: schemas.TicketDecision
) -> schemas.PortalTicket:
    """Approve or reject a ticket awaiting approval (the customer's approvers only)."""
    return portal_tickets.decide(ctx, id, body)


@portal.get(
    "/v1/portal/board-queries",
    auth="portal",
    response=page_of(schemas.BoardQuery),
    folds_session_check=True,
)
def list_portal_board_queries(ctx: PortalContext) -> Page[schemas.BoardQuery]:
    """The board queries saved for this customer."""
    return portal_tickets.board_queries(ctx)


@portal.get(
    "/v1/portal/plan-boards",
    auth="portal",
    response=page_of(schemas.PortalPlanBoard),
    folds_session_check=True,
)
def list_portal_plan_boards(ctx: PortalContext) -> Page[schemas.PortalPlanBoard]:
    """The plan boards shared with this customer."""
    return portal_tickets.plan_boards(ctx)


@portal.get(
    "/v1/portal/plan-boards/{id}",
    auth="portal",
    response=schemas.PortalPlanBoardView,
    folds_session_check=True,
)
def get_portal_plan_board(ctx: PortalContext, id: str) -> schemas.PortalPlanBoardView:
    """A plan board with the customer's planned tickets."""
    return portal_tickets.plan_board(ctx, id)
