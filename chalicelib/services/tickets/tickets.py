"""Tickets: filing one with the tenant's next number, the status flow, approvals,
positions and attachments. The provider's team uses these directly; the portal's side
(`portal_tickets`) checks what a customer's person may do first and then uses the same.

A ticket's number is taken in the ticket's own transaction: the counter is read, and the
transaction sets it one higher on condition that nobody did meanwhile (else read again and
retry). Numbers have no gaps and no duplicates, however many tickets are filed at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, FieldError, Invalid, NotFound, Unavailable
from chalicelib.ids import new_id
from chalicelib.models import Asset, Customer, TeamMember, Ticket, TicketEntry, TicketSetting
from chalicelib.models.base import search_text_for
from chalicelib.schemas import tickets as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.events import Acting
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import (
    ConditionsFailed,
    Transaction,
    batch_get,
    load_owned,
)
from chalicelib.services.platform.versioning import check_version
from chalicelib.services.tickets import profiles
from chalicelib.services.tickets.profiles import Profile
from chalicelib.tenancy import OfTenant, TenantContext

# Where a ticket may go from each status by a transition (approval decides the first step
# of a type that needs it; `closed` and `rejected` are final).
FLOW: dict[str, frozenset[str]] = {
    "awaiting_approval": frozenset(),
    "rejected": frozenset(),
    "open": frozenset({"in_progress", "waiting_for_customer", "resolved", "closed"}),
    "in_progress": frozenset({"waiting_for_customer", "resolved"}),
    "waiting_for_customer": frozenset({"in_progress", "resolved"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset(),
}
# Filing races for the number: this many reads of the counter at most.
_NUMBER_ATTEMPTS = 100
_TRANSACTION_CONFLICT = "TransactionConflict"


def number_text(number: int) -> str:
    """How people see a ticket's number."""
    return f"T-{number}"


def _approval(item: Ticket) -> schemas.Approval | None:
    if not item.approval_decision:
        return None
    return schemas.Approval(
        decision=item.approval_decision,  # type: ignore[arg-type]
        by=item.approval_by or "",
        at=rfc3339(item.approval_at or item.updated_at),
        comment=item.approval_comment,
    )


def to_schema(item: Ticket) -> schemas.Ticket:
    """A ticket as the provider's team sees it."""
    return schemas.Ticket(
        id=item.ticket_id,
        number=number_text(int(item.number)),
        customer_id=item.customer_id,
        area_id=item.area_id,
        type_id=item.type_id,
        title=item.title,
        description=item.description or "",
        priority=item.priority,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        internal=bool(item.internal),
        asset_ids=list(item.asset_ids or []),
        tag_ids=list(item.tag_ids or []),
        assignee_id=item.assignee_id,
        planned_start=rfc3339(item.planned_start) if item.planned_start else None,
        planned_end=rfc3339(item.planned_end) if item.planned_end else None,
        requester=item.requester,
        approval=_approval(item),
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def entry_schema(item: TicketEntry) -> schemas.TicketPosition:
    """A position or attachment as the provider's team sees it."""
    return schemas.TicketPosition(
        id=item.entry_id,
        kind=item.kind,
        internal=bool(item.internal),
        text=item.text,
        quantity=float(item.quantity) if item.quantity is not None else None,
        unit=item.unit,
        file_name=item.file_name,
        content_type=item.content_type,
        size=int(item.size) if item.size is not None else None,
        author=item.author,
        author_name=item.author_name,
        created_at=rfc3339(item.created_at),
    )


# -- filing ----------------------------------------------------------------------------------


class Filing(msgspec.Struct):
    """A ticket about to be filed, its fields checked by the caller's side."""

    customer_id: str
    area_id: str
    type_id: str
    title: str
    description: str
    priority: str
    internal: bool
    status: str
    requester: str
    requester_user_id: str | None = None
    asset_ids: list[str] = msgspec.field(default_factory=list)
    tag_ids: list[str] = msgspec.field(default_factory=list)
    assignee_id: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None


def counter_key(of: OfTenant) -> tuple[type[TicketSetting], str, str]:
    """The batch-read key of the tenant's ticket counter."""
    return (TicketSetting, of.tenant_id, TicketSetting.COUNTER)


def _next_number(counter: Model | None) -> int:
    if isinstance(counter, TicketSetting) and counter.next_number:
        return int(counter.next_number)
    return 1


def _read_counter(of: OfTenant) -> Model | None:
    return batch_get([counter_key(of)])[0]


def _conflicted(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == _TRANSACTION_CONFLICT for r in exc.cancellation_reasons)


def file(by: Acting, filing: Filing, counter: Model | None, *, clock: Clock = utcnow) -> Ticket:
    """Store a checked ticket with the tenant's next number and its event, in one
    transaction. The assets are checked to be the customer's in the same transaction."""
    tenant_id = by.tenant_id
    now = clock()
    ticket_id = new_id("tkt")
    for attempt in range(_NUMBER_ATTEMPTS):
        number = _next_number(counter)
        item = Ticket(
            tenant_id,
            ticket_id,
            customer_key=Ticket.customer_key_for(tenant_id, filing.customer_id),
            customer_id=filing.customer_id,
            number=number,
            area_id=filing.area_id,
            type_id=filing.type_id,
            title=filing.title,
            description=filing.description,
            priority=filing.priority,
            status=filing.status,
            internal=filing.internal,
            asset_ids=filing.asset_ids or None,
            tag_ids=filing.tag_ids or None,
            assignee_id=filing.assignee_id,
            planned_start=filing.planned_start,
            planned_end=filing.planned_end,
            requester=filing.requester,
            requester_user_id=filing.requester_user_id,
            search_text=search_text_for(number_text(number), filing.title, filing.description),
            created_at=now,
            updated_at=now,
        )
        try:
            with Transaction() as tx:
                tx.save(item, condition=Ticket.ticket_id.does_not_exist(), label="ticket")
                taken: Condition = (
                    TicketSetting.next_number == number
                    if number > 1
                    else TicketSetting.next_number.does_not_exist()
                )
                tx.update_unversioned(
                    TicketSetting(tenant_id, TicketSetting.COUNTER),
                    [TicketSetting.next_number.set(number + 1)],
                    condition=taken,
                    label="counter",
                )
                for n, asset_id in enumerate(filing.asset_ids):
                    tx.check(
                        Asset,
                        tenant_id,
                        asset_id,
                        Asset.customer_id == filing.customer_id,
                        label=f"asset_ids[{n}]",
                    )
                events.record(
                    tx,
                    by,
                    "ticket.created",
                    ticket_id,
                    customer_id=filing.customer_id,
                    data=_event_data(item),
                    now=now,
                )
        except ConditionsFailed as exc:
            assets = sorted(label for label in exc.labels if label.startswith("asset_ids"))
            if assets:
                raise _not_customers_assets(assets) from None
            counter = _read_counter(by)
        except TransactWriteError as exc:
            if not _conflicted(exc):
                raise
            counter = _read_counter(by)
        else:
            return item
        time.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311 (jitter)
    raise Unavailable("Very many tickets are being filed at this moment; try again.")


def _event_data(item: Ticket, **extra: Any) -> dict[str, Any]:
    """What every ticket event carries: enough to route it, never a text."""
    return {
        "number": number_text(int(item.number)),
        "status": item.status,
        "internal": bool(item.internal),
        "area_id": item.area_id,
        "type_id": item.type_id,
        **extra,
    }


def _not_customers_assets(fields: Sequence[str]) -> Invalid:
    errors = [FieldError(f, "is not equipment of this customer") for f in fields]
    return Invalid.fields(errors)


def check_assets(customer_id: str, asset_ids: list[str], found: Sequence[Model | None]) -> None:
    """Refuse assets that are not the customer's (as read; the transaction checks again)."""
    wrong = [
        f"asset_ids[{n}]"
        for n, item in enumerate(found)
        if not isinstance(item, Asset) or item.customer_id != customer_id
    ]
    if wrong:
        raise _not_customers_assets(wrong)
    if len(set(asset_ids)) != len(asset_ids):
        raise Invalid.field("asset_ids", "lists an asset twice")


def check_tags(
    profile: Profile,
    area_id: str,
    tag_ids: list[str],
    *,
    internal_allowed: bool,
) -> None:
    """Refuse tags the customer does not have, tags of another area, and (for a customer's
    person) internal-only tags, which the person cannot know."""
    errors = []
    for n, tag_id in enumerate(tag_ids):
        tag = profile.tag(tag_id)
        if tag is None or (tag.internal_only and not internal_allowed):
            errors.append(FieldError(f"tag_ids[{n}]", f"no tag {tag_id} for this customer"))
        elif tag.area_id is not None and tag.area_id != area_id:
            errors.append(FieldError(f"tag_ids[{n}]", "is a tag of another area"))
    if len(set(tag_ids)) != len(tag_ids):
        errors.append(FieldError("tag_ids", "lists a tag twice"))
    if errors:
        raise Invalid.fields(errors)


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if end is not None and start is None:
        raise Invalid.field("planned_start", "a planned window starts somewhere")
    if start is not None and end is not None and end < start:
        raise Invalid.field("planned_end", "ends before it starts")


def create(
    ctx: TenantContext, data: schemas.TicketCreate, *, clock: Clock = utcnow
) -> schemas.Ticket:
    """File a ticket for a customer (internal ones never reach the customer)."""
    _check_window(data.planned_start, data.planned_end)
    tenant = ctx.tenant_id
    keys: list[tuple[type[Model], str, str | None]] = [
        counter_key(ctx),
        (Customer, tenant, data.customer_id),
        (TicketSetting, tenant, TicketSetting.key_of(TicketSetting.AREA, data.area_id)),
        (TicketSetting, tenant, TicketSetting.key_of(TicketSetting.TYPE, data.type_id)),
        profiles.profile_key(ctx, data.customer_id),
    ]
    if data.assignee_id:
        keys.append((TeamMember, tenant, data.assignee_id))
    asset_keys = [(Asset, tenant, a) for a in data.asset_ids]
    found = batch_get([*keys, *asset_keys])
    counter, customer, area, type_, profile_item = found[:5]
    errors = []
    if customer is None:
        errors.append(FieldError("customer_id", f"no customer {data.customer_id}"))
    if area is None:
        errors.append(FieldError("area_id", f"no area {data.area_id}"))
    if type_ is None:
        errors.append(FieldError("type_id", f"no ticket type {data.type_id}"))
    if data.assignee_id and found[5] is None:
        errors.append(FieldError("assignee_id", f"no team member {data.assignee_id}"))
    if errors:
        raise Invalid.fields(errors)
    check_assets(data.customer_id, data.asset_ids, found[len(keys) :])
    profile = profiles.decode_profile(profile_item)  # type: ignore[arg-type]
    check_tags(profile, data.area_id, data.tag_ids, internal_allowed=True)
    filing = Filing(
        customer_id=data.customer_id,
        area_id=data.area_id,
        type_id=data.type_id,
        title=data.title,
        description=data.description,
        priority=data.priority,
        internal=data.internal,
        # A type the customer's approvers sign off waits for them, whoever files it (the
        # provider proposes work, the customer approves it).
        status=_first_status(profile, data.type_id, data.internal),
        requester=ctx.actor,
        asset_ids=list(data.asset_ids),
        tag_ids=list(data.tag_ids),
        assignee_id=data.assignee_id,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
    )
    return to_schema(file(ctx, filing, counter, clock=clock))


def _first_status(profile: Profile, type_id: str, internal: bool) -> str:
    allowed = profile.allowed_type(type_id)
    needs = allowed is not None and allowed.requires_approval and not internal
    return "awaiting_approval" if needs else "open"


# -- reading ---------------------------------------------------------------------------------


def load(ctx: TenantContext, ticket_id: str) -> Ticket:
    """A stored ticket; 404 when it is not the caller's tenant's."""
    return load_owned(Ticket, ctx, ticket_id, "ticket")


def get(ctx: TenantContext, ticket_id: str) -> schemas.Ticket:
    """One ticket."""
    return to_schema(load(ctx, ticket_id))


def list_tickets(
    ctx: TenantContext, query: schemas.TicketQuery, page: PageRequest
) -> Page[schemas.Ticket]:
    """The tenant's tickets (or one customer's), oldest first, filtered."""
    parts: list[Condition] = []
    if query.status:
        parts.append(Ticket.status == query.status)
    if query.area_id:
        parts.append(Ticket.area_id == query.area_id)
    if query.type_id:
        parts.append(Ticket.type_id == query.type_id)
    if query.tag_id:
        parts.append(Ticket.tag_ids.contains(query.tag_id))
    if query.assignee_id:
        parts.append(Ticket.assignee_id == query.assignee_id)
    if query.q:
        parts.append(Ticket.search_text.contains(query.q.casefold()))
    condition: Condition | None = None
    for part in parts:
        condition = part if condition is None else condition & part
    name = "tickets\0" + "\0".join(str(getattr(query, f) or "") for f in query.__struct_fields__)
    if query.customer_id:
        key = Ticket.customer_key_for(ctx.tenant_id, query.customer_id)
        items, cursor = fetch_page(
            ctx,
            name,
            page,
            lambda **kw: Ticket.by_customer.query(key, filter_condition=condition, **kw),
            index=type(Ticket.by_customer),
        )
    else:
        items, cursor = fetch_page(
            ctx,
            name,
            page,
            lambda **kw: Ticket.query(ctx.tenant_id, filter_condition=condition, **kw),
        )
    return page_of(schemas.Ticket)(items=[to_schema(i) for i in items], next_cursor=cursor)


# -- changing --------------------------------------------------------------------------------


def update(
    ctx: TenantContext,
    ticket_id: str,
    data: schemas.TicketUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Ticket:
    """Change a ticket's fields; 409 when it moved on meanwhile."""
    item = load(ctx, ticket_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    for name in ("title", "priority", "internal", "area_id", "type_id", "description"):
        if name in changes and changes[name] is None:
            raise Invalid.field(name, "cannot be null")
    _check_window(
        changes.get("planned_start", item.planned_start),
        changes.get("planned_end", item.planned_end),
    )
    _check_references(ctx, item, changes)
    tenant = ctx.tenant_id
    asset_ids = list(changes.get("asset_ids") or [])
    stored = {k: (v if v != [] else None) for k, v in changes.items()}
    if "title" in changes or "description" in changes:
        stored["search_text"] = search_text_for(
            number_text(int(item.number)),
            changes.get("title", item.title),
            changes.get("description", item.description),
        )
    now = clock()
    actions = [
        getattr(Ticket, name).remove() if value is None else getattr(Ticket, name).set(value)
        for name, value in stored.items()
    ]
    actions.append(Ticket.updated_at.set(now))
    try:
        with Transaction() as tx:
            tx.update(item, actions, label="ticket")
            for n, asset_id in enumerate(asset_ids):
                tx.check(
                    Asset,
                    tenant,
                    asset_id,
                    Asset.customer_id == item.customer_id,
                    label=f"asset_ids[{n}]",
                )
            for name, value in stored.items():
                setattr(item, name, value)
            events.record(
                tx,
                ctx,
                "ticket.updated",
                ticket_id,
                customer_id=item.customer_id,
                data=_event_data(item, changed=sorted(changes)),
                now=now,
            )
    except ConditionsFailed as exc:
        assets = sorted(label for label in exc.labels if label.startswith("asset_ids"))
        if assets:
            raise _not_customers_assets(assets) from None
        raise Conflict("The ticket was changed by someone else; read it again.") from None
    item.updated_at = now
    return to_schema(item)


def _check_references(ctx: TenantContext, item: Ticket, changes: dict[str, Any]) -> None:
    """Refuse a changed area, type, assignee, equipment or tags that do not exist or do not
    belong to the ticket's customer (one batch read)."""
    tenant = ctx.tenant_id
    named: list[tuple[str, tuple[type[Model], str, str | None]]] = []
    if "area_id" in changes:
        named.append(
            (
                "area_id",
                (
                    TicketSetting,
                    tenant,
                    TicketSetting.key_of(TicketSetting.AREA, changes["area_id"]),
                ),
            )
        )
    if "type_id" in changes:
        named.append(
            (
                "type_id",
                (
                    TicketSetting,
                    tenant,
                    TicketSetting.key_of(TicketSetting.TYPE, changes["type_id"]),
                ),
            )
        )
    if changes.get("assignee_id"):
        named.append(("assignee_id", (TeamMember, tenant, changes["assignee_id"])))
    keys = [profiles.profile_key(ctx, item.customer_id), *(k for _, k in named)]
    asset_ids = list(changes.get("asset_ids") or [])
    found = batch_get([*keys, *[(Asset, tenant, a) for a in asset_ids]])
    missing = [
        FieldError(name, f"no such item: {changes[name]}")
        for (name, _), read in zip(named, found[1 : len(keys)], strict=True)
        if read is None
    ]
    if missing:
        raise Invalid.fields(missing)
    if "asset_ids" in changes:
        check_assets(item.customer_id, asset_ids, found[len(keys) :])
    if "tag_ids" in changes or "area_id" in changes:
        check_tags(
            profiles.decode_profile(found[0]),  # type: ignore[arg-type]
            changes.get("area_id", item.area_id),
            list(changes.get("tag_ids", item.tag_ids) or []),
            internal_allowed=True,
        )


def move(by: Acting, item: Ticket, to: str, *, clock: Clock = utcnow) -> Ticket:
    """Move a ticket along the flow; 409 when the flow does not allow it from where the
    ticket is (read again if someone moved it meanwhile)."""
    allowed = FLOW.get(item.status, frozenset())
    if to not in allowed:
        raise Conflict(
            f"A ticket that is {item.status} cannot become {to}.",
            extra={"ticket_status": item.status, "allowed": sorted(allowed)},
        )
    now = clock()
    before = item.status
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                item,
                [Ticket.status.set(to), Ticket.updated_at.set(now)],
                condition=Ticket.status == before,
                label="ticket",
            )
            item.status = to
            events.record(
                tx,
                by,
                "ticket.status_changed",
                item.ticket_id,
                customer_id=item.customer_id,
                data=_event_data(item, previous=before),
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The ticket's status changed meanwhile; read it again.") from None
    item.updated_at = now
    return item


def transition(ctx: TenantContext, ticket_id: str, to: str) -> schemas.Ticket:
    """Move a ticket to another status."""
    return to_schema(move(ctx, load(ctx, ticket_id), to))


def decide(
    by: Acting,
    item: Ticket,
    decision: str,
    comment: str | None,
    *,
    clock: Clock = utcnow,
) -> Ticket:
    """Approve (the ticket opens) or reject (it ends) a ticket that awaits approval. Two
    approvers at once: one decides, the other gets 409."""
    if item.status != "awaiting_approval":
        raise Conflict(
            f"The ticket is {item.status}; only a ticket awaiting approval is decided.",
            extra={"ticket_status": item.status},
        )
    now = clock()
    to = "open" if decision == "approve" else "rejected"
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                item,
                [
                    Ticket.status.set(to),
                    Ticket.approval_decision.set(decision),
                    Ticket.approval_by.set(by.actor),
                    Ticket.approval_at.set(now),
                    *([Ticket.approval_comment.set(comment)] if comment else []),
                    Ticket.updated_at.set(now),
                ],
                condition=Ticket.status == "awaiting_approval",
                label="ticket",
            )
            item.status, item.approval_decision = to, decision
            item.approval_by, item.approval_at = by.actor, now
            item.approval_comment = comment
            events.record(
                tx,
                by,
                "ticket.approval_decided",
                item.ticket_id,
                customer_id=item.customer_id,
                data=_event_data(item, decision=decision),
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The ticket was decided meanwhile; read it again.") from None
    item.updated_at = now
    return item


def approve(ctx: TenantContext, ticket_id: str, data: schemas.TicketDecision) -> schemas.Ticket:
    """The provider decides an approval on the customer's behalf (the event names who)."""
    return to_schema(decide(ctx, load(ctx, ticket_id), data.decision, data.comment))


# -- positions and attachments ---------------------------------------------------------------


def add_entry(
    by: Acting,
    item: Ticket,
    entry: TicketEntry,
    *,
    reopen: bool = False,
    clock: Clock = utcnow,
) -> TicketEntry:
    """Store a position or attachment with the ticket's counts and the event. A customer's
    reply to a ticket waiting for the customer (`reopen`) puts it back in progress."""
    now = clock()
    entry.created_at = now
    actions = [Ticket.entry_count.add(1), Ticket.updated_at.set(now)]
    if not entry.internal:
        actions.append(Ticket.public_entry_count.add(1))
    moved = reopen and item.status == "waiting_for_customer"
    if moved:
        actions.append(Ticket.status.set("in_progress"))
    try:
        with Transaction() as tx:
            tx.save(entry, condition=TicketEntry.entry_id.does_not_exist())
            tx.update_unversioned(
                item,
                actions,
                condition=Ticket.status == item.status,
                label="ticket",
            )
            events.record(
                tx,
                by,
                "ticket.attachment_added"
                if entry.kind == "attachment"
                else "ticket.position_added",
                item.ticket_id,
                customer_id=item.customer_id,
                data=_event_data(
                    item,
                    entry_id=entry.entry_id,
                    kind=entry.kind,
                    entry_internal=bool(entry.internal),
                    **({"status": "in_progress", "previous": item.status} if moved else {}),
                ),
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The ticket changed meanwhile; read it again and retry.") from None
    if moved:
        item.status = "in_progress"
    return entry


def new_entry(by: Acting, item: Ticket, kind: str, internal: bool, **fields: Any) -> TicketEntry:
    """A position or attachment of a ticket, not yet stored."""
    return TicketEntry(
        TicketEntry.ticket_key_for(item.tenant_id, item.ticket_id),
        new_id("tpo" if kind != "attachment" else "tat"),
        kind=kind,
        internal=internal,
        author=by.actor,
        **fields,
    )


def add_position(
    ctx: TenantContext, ticket_id: str, data: schemas.PositionCreate
) -> schemas.TicketPosition:
    """Add a position; internal unless the team member marks it public."""
    item = load(ctx, ticket_id)
    if data.kind == "comment" and (data.quantity is not None or data.unit is not None):
        raise Invalid.field("quantity", "a comment has no quantity; use work or material")
    if data.unit is not None and data.quantity is None:
        raise Invalid.field("quantity", "a unit needs a quantity")
    entry = new_entry(
        ctx,
        item,
        data.kind,
        data.internal,
        text=data.text,
        quantity=data.quantity,
        unit=data.unit,
        author_name=_team_name(ctx),
    )
    return entry_schema(add_entry(ctx, item, entry))


def _team_name(ctx: TenantContext) -> str | None:
    if ctx.member_id is None:
        return None
    found = batch_get([(TeamMember, ctx.tenant_id, ctx.member_id)])[0]
    return found.name or None if isinstance(found, TeamMember) else None


def entries_of(item: Ticket, *, public_only: bool) -> list[TicketEntry]:
    """A ticket's positions and attachments, oldest first (one query; a ticket has at most
    a few thousand)."""
    condition = (TicketEntry.internal == False) if public_only else None  # noqa: E712
    return list(
        TicketEntry.query(
            TicketEntry.ticket_key_for(item.tenant_id, item.ticket_id),
            filter_condition=condition,
            consistent_read=True,
        )
    )


def list_positions(ctx: TenantContext, ticket_id: str) -> Page[schemas.TicketPosition]:
    """A ticket's positions and attachments, internal and public, oldest first."""
    items = entries_of(load(ctx, ticket_id), public_only=False)
    return page_of(schemas.TicketPosition)(items=[entry_schema(e) for e in items], next_cursor=None)


def load_entry(item: Ticket, entry_id: str) -> TicketEntry:
    """One position or attachment of a ticket."""
    try:
        return TicketEntry.get(
            TicketEntry.ticket_key_for(item.tenant_id, item.ticket_id),
            entry_id,
            consistent_read=True,
        )
    except TicketEntry.DoesNotExist:
        raise NotFound(f"No attachment {entry_id}.") from None
