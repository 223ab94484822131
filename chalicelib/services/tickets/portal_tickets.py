"""The portal's support app: what a customer's person sees of the desk and does there.

Every function starts from the person's `Scope` (visibility.py), read in the same batch as
the session's sources: the customer's profile and the tenant's cross-customer rules. A
ticket the scope does not let the person see is a 404, the same answer as for a ticket that
does not exist. What a person writes is always public.

Lists take candidate ids from the customer's `by_customer` index (which follows the table
within moments) and read those tickets consistently, in the same batch as the scope; like
reading one ticket, its positions or an attachment, approving it and every e-mail, they
decide on the ticket as read.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec
from pynamodb.models import Model

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from chalicelib.models import Asset, PortalUser, Ticket, TicketEntry, TicketSetting
from chalicelib.schemas import tickets as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform.pagination import PageRequest, decode_cursor, encode_cursor
from chalicelib.services.platform.storage import batch_get
from chalicelib.services.portals import sessions
from chalicelib.services.tickets import attachments, profiles, tickets
from chalicelib.services.tickets.desk import query_schema
from chalicelib.services.tickets.profiles import StoredFilter
from chalicelib.services.tickets.visibility import Scope, Viewer, on_board
from chalicelib.tenancy import PORTAL_ACTOR, OfTenant, PortalContext, TenantContext

ItemKey = tuple[type[Model], str, str | None]
# A count or export reads a customer's tickets page by page, this many per call.
_PAGE = 200
# A count, an export or a plan board reads at most this many of a customer's tickets.
MAX_READ = 5_000


def _as_tenant(ctx: PortalContext) -> TenantContext:
    # Cursors are bound to the tenant; the portal's lists are named by customer and person.
    return TenantContext(ctx.tenant_id, ctx.actor, frozenset({"read"}))


def viewer(ctx: PortalContext) -> Viewer:
    """The person behind a portal request."""
    return Viewer(ctx.customer_id, ctx.user_id)


def scope_for(viewer: Viewer, found: Sequence[Model | None]) -> Scope:
    """The scope of a person from their customer's profile and the tenant's rules (the
    first two items of a batch read with `scope_keys`)."""
    return Scope(
        viewer,
        profiles.decode_profile(found[0]),  # type: ignore[arg-type]
        profiles.decode_rules(found[1]),  # type: ignore[arg-type]
    )


def scope_keys(of: OfTenant, customer_id: str) -> list[ItemKey]:
    """What the scope of a customer's person is read from."""
    return [profiles.profile_key(of, customer_id), profiles.rules_key(of)]


def _read(ctx: PortalContext, keys: Sequence[ItemKey]) -> tuple[Scope, list[Model | None]]:
    """The person's scope and some items, in one batch with the session's sources. Refuses
    when the portal has no support app or the customer's integration is not active."""
    ctx.require_app("support")
    found = sessions.read_with_sources(ctx, [*scope_keys(ctx, ctx.customer_id), *keys])
    scope = scope_for(viewer(ctx), found)
    if not scope.active:
        raise Forbidden(
            "Support is not set up for your company yet.",
            extra={"reason": "support_inactive"},
        )
    return scope, found[2:]


def portal_schema(item: Ticket, scope: Scope) -> schemas.PortalTicket:
    """A ticket as a customer's person sees it (only through a scope that sees it)."""
    full = tickets.to_schema(item)
    return schemas.PortalTicket(
        id=full.id,
        number=full.number,
        area_id=full.area_id,
        type_id=full.type_id,
        title=full.title,
        description=full.description,
        priority=full.priority,
        status=full.status,
        asset_ids=full.asset_ids,
        tag_ids=scope.shown_tags(item.tag_ids),
        planned_start=full.planned_start,
        planned_end=full.planned_end,
        mine=item.requester_user_id == scope.viewer.user_id,
        can_approve=scope.may_approve(item),
        approval=_approval_seen(full.approval, scope),
        created_at=full.created_at,
        updated_at=full.updated_at,
    )


def _approval_seen(
    approval: schemas.Approval | None, scope: Scope
) -> schemas.PortalApproval | None:
    """How a decision shows to a customer's person: by them, by a colleague or by the
    provider, never whose key or account it was."""
    if approval is None:
        return None
    by: Literal["you", "colleague", "provider"]
    if approval.by == scope.viewer.actor:
        by = "you"
    elif approval.by.startswith(PORTAL_ACTOR):
        by = "colleague"
    else:
        by = "provider"
    return schemas.PortalApproval(
        decision=approval.decision, by=by, at=approval.at, comment=approval.comment
    )


def entry_schema(item: TicketEntry) -> schemas.PortalPosition:
    """A public position or attachment as a customer's person sees it."""
    return schemas.PortalPosition(
        id=item.entry_id,
        kind=item.kind,
        text=item.text,
        quantity=float(item.quantity) if item.quantity is not None else None,
        unit=item.unit,
        file_name=item.file_name,
        content_type=item.content_type,
        size=int(item.size) if item.size is not None else None,
        author_name=item.author_name,
        from_provider=not item.author.startswith(PORTAL_ACTOR),
        created_at=rfc3339(item.created_at),
    )


# -- what a person may file ------------------------------------------------------------------


def options(ctx: PortalContext, language: str | None) -> schemas.TicketOptions:
    """The areas, ticket types and tags this person may file tickets with, named in the
    person's language where the provider gave one."""
    scope, _ = _read(ctx, [])
    profile = scope.profile
    keys: list[ItemKey] = [
        *(
            (TicketSetting, ctx.tenant_id, TicketSetting.key_of(TicketSetting.AREA, a))
            for a in profile.areas
        ),
        *(
            (TicketSetting, ctx.tenant_id, TicketSetting.key_of(TicketSetting.TYPE, t.type_id))
            for t in profile.ticket_types
        ),
    ]
    found = batch_get(keys) if keys else []
    names = {
        item.setting_key: _name(item, language) for item in found if isinstance(item, TicketSetting)
    }
    areas = [
        schemas.NamedOption(id=a, name=names[TicketSetting.key_of(TicketSetting.AREA, a)])
        for a in profile.areas
        if TicketSetting.key_of(TicketSetting.AREA, a) in names
    ]
    types = [
        schemas.TypeOption(
            id=t.type_id,
            name=names[TicketSetting.key_of(TicketSetting.TYPE, t.type_id)],
            requires_approval=t.requires_approval,
        )
        for t in profile.ticket_types
        if TicketSetting.key_of(TicketSetting.TYPE, t.type_id) in names
    ]
    tags = [
        schemas.TagOption(id=t.id, name=t.name, description=t.description, area_id=t.area_id)
        for t in profile.tags
        if not t.internal_only
    ]
    return schemas.TicketOptions(
        areas=areas,
        ticket_types=types,
        tags=tags,
        visibility=profile.visibility,
        approver=scope.approver,
    )


def _name(item: TicketSetting, language: str | None) -> str:
    names = item.names_by_language()
    return names.get(language or "", item.name or "")


# -- reading ---------------------------------------------------------------------------------


def _visible(ctx: PortalContext, ticket_id: str) -> tuple[Scope, Ticket]:
    scope, found = _read(ctx, [(Ticket, ctx.tenant_id, ticket_id)])
    item = found[0]
    if not isinstance(item, Ticket) or not scope.sees(item):
        raise NotFound(f"No ticket {ticket_id}.")
    return scope, item


def get(ctx: PortalContext, ticket_id: str) -> schemas.PortalTicket:
    """One ticket the person may see."""
    scope, item = _visible(ctx, ticket_id)
    return portal_schema(item, scope)


def _board(scope: Scope, board_id: str | None) -> StoredFilter | None:
    if board_id is None:
        return None
    found = next((q for q in scope.profile.queries if q.id == board_id), None)
    if found is None:
        raise Invalid.field("board", f"no board query {board_id} for you")
    return found.filter


def _shown(scope: Scope, board: StoredFilter | None, text: str | None, item: Ticket) -> bool:
    if not scope.sees(item):
        return False
    if board is not None and not on_board(item, board, scope.shown_tags(item.tag_ids)):
        return False
    return text is None or text.casefold() in (item.search_text or "")


def _candidates(
    ctx: PortalContext, start: dict[str, Any] | None, size: int
) -> tuple[list[str], dict[str, Any] | None]:
    """One query of the customer's tickets on the index, newest first (at most `size`
    read): the ids of those the index does not show as internal, and where the next query
    starts (None at the end). The index may lag: the tickets are read again before anything
    is decided."""
    key = Ticket.customer_key_for(ctx.tenant_id, ctx.customer_id)
    result = Ticket.by_customer.query(
        key,
        filter_condition=Ticket.internal == False,  # noqa: E712 (a DynamoDB condition)
        page_size=size,
        last_evaluated_key=start,
        scan_index_forward=False,
    )
    page = next(result.page_iter, None)
    if page is None:
        return [], None
    ids = [str(raw["ticket_id"]["S"]) for raw in page.get("Items", [])]
    return ids, result.page_iter.last_evaluated_key


def _decided(ctx: PortalContext, ids: list[str]) -> tuple[Scope, list[Ticket]]:
    """The person's scope and, of these tickets read consistently (in the same batch), those
    it lets the person see, in the order asked."""
    scope, found = _read(ctx, [(Ticket, ctx.tenant_id, i) for i in ids])
    return scope, [t for t in found if isinstance(t, Ticket) and scope.sees(t)]


def list_tickets(
    ctx: PortalContext, query: schemas.PortalTicketQuery, page: PageRequest
) -> Page[schemas.PortalTicket]:
    """The tickets this person sees, newest first, in one board query's view (or found by
    text): one index query and one batch read (the tickets, consistently, with the scope and
    the session's sources) per page. A page may hold fewer tickets than asked when others
    are not visible; follow `next_cursor` while it is given."""
    name = f"portal_tickets:{ctx.customer_id}:{ctx.user_id}:{query.board or ''}:{query.q or ''}"
    start = decode_cursor(_as_tenant(ctx), name, page.cursor)
    ids, after = _candidates(ctx, start, page.limit)
    scope, visible = _decided(ctx, ids)
    board = _board(scope, query.board)
    shown = [i for i in visible if _shown(scope, board, query.q, i)]
    cursor = encode_cursor(_as_tenant(ctx), name, after) if after else None
    return page_of(schemas.PortalTicket)(
        items=[portal_schema(i, scope) for i in shown], next_cursor=cursor
    )


class _Reading(msgspec.Struct):
    """Every ticket a person sees, read page by page up to a bound."""

    scope: Scope
    tickets: list[Ticket]
    complete: bool


def _all_visible(ctx: PortalContext) -> _Reading:
    """The tickets this person sees, newest first; at most MAX_READ of the customer's
    tickets are read for one request (`complete` says whether that was all of them)."""
    scope, _ = _read(ctx, [])
    start: dict[str, Any] | None = None
    shown: list[Ticket] = []
    read = 0
    while read < MAX_READ:
        ids, start = _candidates(ctx, start, min(_PAGE, MAX_READ - read))
        read += len(ids)
        scope, visible = _decided(ctx, ids) if ids else (scope, [])
        shown += visible
        if start is None:
            return _Reading(scope, shown, True)
    return _Reading(scope, shown, False)


def counts(ctx: PortalContext) -> schemas.TicketCounts:
    """How many tickets this person sees, by status."""
    reading = _all_visible(ctx)
    by_status: dict[str, int] = {}
    for item in reading.tickets:
        by_status[item.status] = by_status.get(item.status, 0) + 1
    return schemas.TicketCounts(
        total=sum(by_status.values()), by_status=by_status, complete=reading.complete
    )


def export(ctx: PortalContext, language: str | None) -> bytes:
    """The tickets this person sees as an Excel file (number, title, status, area, type,
    tags the person sees, created, updated)."""
    import xlsxwriter  # type: ignore[import-untyped]  # on the export path only

    reading = _all_visible(ctx)
    scope, rows = reading.scope, reading.tickets
    names = _names(ctx, scope, rows, language)
    out = io.BytesIO()
    # Every value is text: a title never becomes a formula or a link.
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet("Tickets")
    header = ["number", "title", "status", "area", "type", "tags", "created_at", "updated_at"]
    sheet.write_row(0, 0, header)
    for n, item in enumerate(rows, start=1):
        shown = scope.shown_tags(item.tag_ids)
        values = [
            tickets.number_text(int(item.number)),
            item.title,
            item.status,
            names.get(TicketSetting.key_of(TicketSetting.AREA, item.area_id), item.area_id),
            names.get(TicketSetting.key_of(TicketSetting.TYPE, item.type_id), item.type_id),
            ", ".join(names.get(t, t) for t in shown),
            rfc3339(item.created_at),
            rfc3339(item.updated_at),
        ]
        for column, value in enumerate(values):
            sheet.write_string(n, column, value)
    if not reading.complete:  # say so rather than end quietly
        sheet.write_string(len(rows) + 1, 0, f"… more than {MAX_READ} tickets: not all are here")
    book.close()
    return out.getvalue()


def _names(
    ctx: PortalContext, scope: Scope, rows: list[Ticket], language: str | None
) -> dict[str, str]:
    keys = {TicketSetting.key_of(TicketSetting.AREA, r.area_id) for r in rows} | {
        TicketSetting.key_of(TicketSetting.TYPE, r.type_id) for r in rows
    }
    found = batch_get([(TicketSetting, ctx.tenant_id, k) for k in sorted(keys)]) if keys else []
    names = {i.setting_key: _name(i, language) for i in found if isinstance(i, TicketSetting)}
    names.update({t.id: t.name for t in scope.profile.tags if not t.internal_only})
    return names


def positions(ctx: PortalContext, ticket_id: str) -> Page[schemas.PortalPosition]:
    """The public positions and attachments of a ticket the person sees, oldest first."""
    scope, item = _visible(ctx, ticket_id)
    entries = tickets.entries_of(item, public_only=True)
    return page_of(schemas.PortalPosition)(
        items=[entry_schema(e) for e in entries if scope.sees_entry(item, e)], next_cursor=None
    )


def attachment(ctx: PortalContext, ticket_id: str, entry_id: str) -> TicketEntry:
    """A public attachment of a ticket the person sees."""
    scope, item = _visible(ctx, ticket_id)
    entry = tickets.load_entry(item, entry_id)
    if entry.kind != "attachment" or not scope.sees_entry(item, entry):
        raise NotFound(f"No attachment {entry_id}.")
    return entry


# -- changing --------------------------------------------------------------------------------


def create(
    ctx: PortalContext, data: schemas.PortalTicketCreate, *, clock: Clock = utcnow
) -> schemas.PortalTicket:
    """File a ticket in an area and of a type the customer may use, with tags the person
    sees, about the customer's equipment. A type that needs approval waits for an approver.
    One batch read (scope, counter, assets, session) and one transaction."""
    ctx.require_writable()
    asset_keys: list[ItemKey] = [(Asset, ctx.tenant_id, a) for a in data.asset_ids]
    scope, found = _read(ctx, [tickets.counter_key(ctx), *asset_keys])
    profile = scope.profile
    errors = []
    if data.area_id not in profile.areas:
        errors.append(FieldError("area_id", "is not an area you may file tickets in"))
    allowed = profile.allowed_type(data.type_id)
    if allowed is None:
        errors.append(FieldError("type_id", "is not a ticket type you may use"))
    if scope.excluded(data.area_id, data.type_id, list(data.tag_ids)):
        errors.append(FieldError("type_id", "is not a ticket type you may use"))
    if errors:
        raise Invalid.fields(errors)
    tickets.check_assets(ctx.customer_id, data.asset_ids, found[1:])
    tickets.check_tags(profile, data.area_id, data.tag_ids, internal_allowed=False)
    filing = tickets.Filing(
        customer_id=ctx.customer_id,
        area_id=data.area_id,
        type_id=data.type_id,
        title=data.title,
        description=data.description,
        priority=data.priority,
        internal=False,
        status="awaiting_approval" if allowed and allowed.requires_approval else "open",
        requester=ctx.actor,
        requester_user_id=ctx.user_id,
        asset_ids=list(data.asset_ids),
        tag_ids=list(data.tag_ids),
    )
    item = tickets.file(ctx, filing, found[0], clock=clock)
    return portal_schema(item, scope)


def reply(
    ctx: PortalContext, ticket_id: str, data: schemas.PortalPositionCreate
) -> schemas.PortalPosition:
    """A public reply by the person; a ticket waiting for the customer goes back in
    progress."""
    ctx.require_writable()
    _, item = _visible(ctx, ticket_id)
    if item.status in ("closed", "rejected"):
        raise _ended(item)
    entry = tickets.new_entry(
        ctx, item, "comment", False, text=data.text, author_name=_person_name(ctx)
    )
    return entry_schema(tickets.add_entry(ctx, item, entry, reopen=True))


def _ended(item: Ticket) -> Conflict:
    return Conflict(
        f"The ticket is {item.status}; open a new ticket instead.",
        extra={"ticket_status": item.status},
    )


def _person_name(ctx: PortalContext) -> str | None:
    found = batch_get(
        [(PortalUser, ctx.tenant_id, PortalUser.key_for(ctx.customer_id, ctx.user_id))]
    )[0]
    return found.name if isinstance(found, PortalUser) else None


def decide(
    ctx: PortalContext, ticket_id: str, data: schemas.TicketDecision
) -> schemas.PortalTicket:
    """An approver of the customer approves or rejects a ticket awaiting approval."""
    ctx.require_writable()
    scope, item = _visible(ctx, ticket_id)
    if not scope.approver:
        raise Forbidden(
            "Only your company's approvers decide tickets.", extra={"reason": "not_an_approver"}
        )
    decided = tickets.decide(ctx, item, data.decision, data.comment)
    return portal_schema(decided, scope)


def attach(
    ctx: PortalContext, ticket_id: str, file_name: str | None, data: bytes, content_type: str
) -> schemas.PortalPosition:
    """A file the person adds to a ticket (always public), checked like documents."""
    ctx.require_writable()
    _, item = _visible(ctx, ticket_id)
    if item.status in ("closed", "rejected"):
        raise _ended(item)
    entry = attachments.store(ctx, item, file_name, data, content_type, internal=False)
    entry.author_name = _person_name(ctx)
    return entry_schema(attachments.kept(ctx, item, entry))


# -- boards ----------------------------------------------------------------------------------


def board_queries(ctx: PortalContext) -> Page[schemas.BoardQuery]:
    """The board queries the provider saved for this customer."""
    scope, _ = _read(ctx, [])
    out = []
    for q in scope.profile.queries:
        shown = query_schema(ctx.customer_id, q)
        if shown.filter.tag_ids:  # never name an internal-only tag
            shown.filter.tag_ids = scope.shown_tags(shown.filter.tag_ids) or None
        out.append(shown)
    return page_of(schemas.BoardQuery)(items=out, next_cursor=None)


def _boards(ctx: PortalContext) -> list[TicketSetting]:
    return [
        b
        for b in TicketSetting.query(
            ctx.tenant_id,
            TicketSetting.setting_key.startswith(TicketSetting.BOARD),
            filter_condition=TicketSetting.customer_ids.contains(ctx.customer_id),
        )
    ]


def _portal_board(item: TicketSetting) -> schemas.PortalPlanBoard:
    """A plan board as a customer's person sees it: its name, not whom else it serves."""
    return schemas.PortalPlanBoard(id=item.item_id, name=item.name or "")


def plan_boards(ctx: PortalContext) -> Page[schemas.PortalPlanBoard]:
    """The plan boards shared with this customer."""
    _read(ctx, [])
    return page_of(schemas.PortalPlanBoard)(
        items=[_portal_board(b) for b in _boards(ctx)], next_cursor=None
    )


def planned(item: Ticket) -> schemas.PlannedTicket:
    """A ticket as a plan board shows it."""
    return schemas.PlannedTicket(
        id=item.ticket_id,
        number=tickets.number_text(int(item.number)),
        title=item.title,
        status=item.status,
        customer_id=item.customer_id,
        planned_start=rfc3339(item.planned_start or item.created_at),
        planned_end=rfc3339(item.planned_end) if item.planned_end else None,
    )


def plan_board(ctx: PortalContext, board_id: str) -> schemas.PortalPlanBoardView:
    """A plan board shared with this customer, with the customer's planned tickets the
    person sees, earliest first."""
    _, found = _read(
        ctx, [(TicketSetting, ctx.tenant_id, TicketSetting.key_of(TicketSetting.BOARD, board_id))]
    )
    board = found[0]
    if not isinstance(board, TicketSetting) or ctx.customer_id not in (board.customer_ids or []):
        raise NotFound(f"No plan board {board_id}.")
    reading = _all_visible(ctx)
    shown = sorted(
        (t for t in reading.tickets if t.planned_start is not None),
        key=lambda t: t.planned_start or datetime.min,
    )
    return schemas.PortalPlanBoardView(
        board=_portal_board(board), tickets=[planned(t) for t in shown], complete=reading.complete
    )
