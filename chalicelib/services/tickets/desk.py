"""The desk's settings on the provider's side: areas and ticket types, each customer's
integration (areas, types with approval, visibility, approvers), its tags, board queries
and exclusion rules, the cross-customer exclusion rules, and plan boards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, FieldError, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Customer, PortalUser, TicketSetting
from chalicelib.schemas import tickets as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import Transaction, batch_get, load_owned
from chalicelib.services.platform.versioning import check_version, update_recorded
from chalicelib.services.tickets import profiles
from chalicelib.services.tickets.profiles import (
    Profile,
    StoredFilter,
    StoredQuery,
    StoredRule,
    StoredTag,
    StoredType,
    TenantRules,
)
from chalicelib.tenancy import TenantContext

Named = Literal["area", "type"]
_PREFIX = {"area": TicketSetting.AREA, "type": TicketSetting.TYPE}
_WHAT = {"area": "area", "type": "ticket type"}


# -- areas and ticket types ------------------------------------------------------------------


def _named_schema(kind: Named, item: TicketSetting) -> schemas.Area | schemas.TicketType:
    out = schemas.Area if kind == "area" else schemas.TicketType
    return out(
        id=item.item_id,
        name=item.name or "",
        names=item.names_by_language(),
        created_at=rfc3339(item.created_at or item.updated_at or utcnow()),
        version=int(item.version or 1),
    )


def _load_named(ctx: TenantContext, kind: Named, item_id: str) -> TicketSetting:
    return load_owned(TicketSetting, ctx, TicketSetting.key_of(_PREFIX[kind], item_id), _WHAT[kind])


def create_named(
    ctx: TenantContext, kind: Named, data: schemas.NamedCreate, *, clock: Clock = utcnow
) -> schemas.Area | schemas.TicketType:
    """Add an area or a ticket type."""
    count = sum(
        1
        for _ in TicketSetting.query(
            ctx.tenant_id,
            TicketSetting.setting_key.startswith(_PREFIX[kind]),
            attributes_to_get=["setting_key"],
        )
    )
    limit = schemas.MAX_AREAS if kind == "area" else schemas.MAX_TYPES
    if count >= limit:
        raise Conflict(f"A desk has at most {limit} of these; rename one instead.")
    now = clock()
    item_id = new_id("tar" if kind == "area" else "tty")
    item = TicketSetting(
        ctx.tenant_id,
        TicketSetting.key_of(_PREFIX[kind], item_id),
        name=data.name,
        names=data.names.as_dict() if data.names else {},
        created_at=now,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item, condition=TicketSetting.setting_key.does_not_exist())
        events.record(tx, ctx, f"ticket.{kind}_created", item_id, object_type=kind, now=now)
    return _named_schema(kind, item)


def list_named(
    ctx: TenantContext, kind: Named, page: PageRequest
) -> Page[schemas.Area] | Page[schemas.TicketType]:
    """The desk's areas or ticket types, oldest first."""
    items, cursor = fetch_page(
        ctx,
        f"ticket_{kind}s",
        page,
        lambda **kw: TicketSetting.query(
            ctx.tenant_id, TicketSetting.setting_key.startswith(_PREFIX[kind]), **kw
        ),
    )
    out = schemas.Area if kind == "area" else schemas.TicketType
    return page_of(out)(items=[_named_schema(kind, i) for i in items], next_cursor=cursor)


def get_named(ctx: TenantContext, kind: Named, item_id: str) -> schemas.Area | schemas.TicketType:
    """One area or ticket type."""
    return _named_schema(kind, _load_named(ctx, kind, item_id))


def update_named(
    ctx: TenantContext,
    kind: Named,
    item_id: str,
    data: schemas.NamedUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Area | schemas.TicketType:
    """Rename an area or a ticket type."""
    item = _load_named(ctx, kind, item_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    if "name" in changes and changes["name"] is None:
        raise Invalid.field("name", "keeps a name; it cannot be null")
    if "names" in changes:
        changes["names"] = changes["names"].as_dict() if changes["names"] else None
    now = clock()
    return _named_schema(
        kind,
        update_recorded(
            item,
            changes,
            now,
            lambda tx: events.record(
                tx, ctx, f"ticket.{kind}_updated", item_id, object_type=kind, now=now
            ),
        ),
    )


def delete_named(ctx: TenantContext, kind: Named, item_id: str) -> None:
    """Delete an area or ticket type no customer's integration uses (409 naming them)."""
    item = _load_named(ctx, kind, item_id)
    users = [
        p.item_id
        for p in TicketSetting.query(
            ctx.tenant_id, TicketSetting.setting_key.startswith(TicketSetting.PROFILE)
        )
        if _uses(profiles.decode_profile(p), kind, item_id)
    ]
    if users:
        raise Conflict(
            f"Customers still use this {_WHAT[kind]}; remove it from their integration first.",
            extra={"held_by": {"customer_ids": users[:20]}},
        )
    with Transaction() as tx:
        tx.delete(item)
        events.record(tx, ctx, f"ticket.{kind}_deleted", item_id, object_type=kind)


def _uses(profile: Profile, kind: Named, item_id: str) -> bool:
    if kind == "area":
        return item_id in profile.areas or any(t.area_id == item_id for t in profile.tags)
    return profile.allowed_type(item_id) is not None


# -- a customer's integration ----------------------------------------------------------------


def _customer(ctx: TenantContext, customer_id: str) -> Customer:
    return load_owned(Customer, ctx, customer_id, "customer")


def _support_schema(customer_id: str, profile: Profile, version: int) -> schemas.Support:
    return schemas.Support(
        customer_id=customer_id,
        active=profile.active,
        areas=list(profile.areas),
        ticket_types=[
            schemas.AllowedTypeOut(type_id=t.type_id, requires_approval=t.requires_approval)
            for t in profile.ticket_types
        ],
        visibility=profile.visibility,
        approvers=list(profile.approvers),
        version=version,
    )


def _stored(ctx: TenantContext, customer_id: str) -> tuple[Profile, int]:
    try:
        item = TicketSetting.get(
            ctx.tenant_id, TicketSetting.profile_key(customer_id), consistent_read=True
        )
    except DoesNotExist:
        return Profile(), 0
    return profiles.decode_profile(item), int(item.version or 0)


def get_support(ctx: TenantContext, customer_id: str) -> schemas.Support:
    """A customer's integration (inactive with nothing allowed until it is set)."""
    _customer(ctx, customer_id)
    profile, version = _stored(ctx, customer_id)
    return _support_schema(customer_id, profile, version)


def _missing(ctx: TenantContext, field: str, kind: Named, ids: list[str]) -> list[FieldError]:
    found = batch_get(
        [(TicketSetting, ctx.tenant_id, TicketSetting.key_of(_PREFIX[kind], i)) for i in ids]
    )
    return [
        FieldError(f"{field}[{n}]", f"no {_WHAT[kind]} {i}")
        for n, (i, item) in enumerate(zip(ids, found, strict=True))
        if item is None
    ]


def _duplicates(field: str, ids: list[str]) -> list[FieldError]:
    seen: set[str] = set()
    errors = []
    for n, i in enumerate(ids):
        if i in seen:
            errors.append(FieldError(f"{field}[{n}]", f"{i} is listed twice"))
        seen.add(i)
    return errors


def put_support(
    ctx: TenantContext,
    customer_id: str,
    data: schemas.SupportSettings,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Support:
    """Set a customer's integration. An active one needs at least one area (its people see
    nothing otherwise); areas and types must exist, approvers be the customer's people."""
    _customer(ctx, customer_id)
    type_ids = [t.type_id for t in data.ticket_types]
    errors = [
        *_duplicates("areas", data.areas),
        *_duplicates("ticket_types", type_ids),
        *_duplicates("approvers", data.approvers),
        *_missing(ctx, "areas", "area", data.areas),
        *_missing(ctx, "ticket_types", "type", type_ids),
    ]
    if data.active and not data.areas:
        errors.append(FieldError("areas", "an active integration needs at least one area"))
    people = batch_get(
        [(PortalUser, ctx.tenant_id, PortalUser.key_for(customer_id, u)) for u in data.approvers]
    )
    errors += [
        FieldError(f"approvers[{n}]", f"{u} is not a person of this customer")
        for n, (u, found) in enumerate(zip(data.approvers, people, strict=True))
        if found is None
    ]
    if errors:
        raise Invalid.fields(errors)
    expected = data.version if if_match is None else if_match
    now = clock()

    def change(before: Profile) -> Profile:
        return msgspec.structs.replace(
            before,
            active=data.active,
            areas=list(data.areas),
            ticket_types=[StoredType(t.type_id, t.requires_approval) for t in data.ticket_types],
            visibility=data.visibility,
            approvers=list(data.approvers),
        )

    after, version = _change_profile(
        ctx, customer_id, change, "ticket.support_updated", customer_id, now, expected
    )
    return _support_schema(customer_id, after, version)


def _change_profile(
    ctx: TenantContext,
    customer_id: str,
    change: Callable[[Profile], Profile],
    event_type: str,
    object_id: str,
    now: datetime,
    expected_version: int | None = None,
    object_type: str = "support",
) -> tuple[Profile, int]:
    key = TicketSetting.profile_key(customer_id)
    return profiles.change_document(
        ctx,
        key,
        Profile,
        change,
        lambda tx, _: events.record(
            tx,
            ctx,
            event_type,
            object_id,
            object_type=object_type,
            customer_id=customer_id,
            now=now,
        ),
        now,
        expected_version,
    )


# -- tags, board queries, a customer's exclusion rules ---------------------------------------


def _tag_schema(customer_id: str, tag: StoredTag) -> schemas.Tag:
    return schemas.Tag(
        id=tag.id,
        customer_id=customer_id,
        name=tag.name,
        description=tag.description,
        area_id=tag.area_id,
        internal_only=tag.internal_only,
    )


def _check_area(ctx: TenantContext, area_id: str | None) -> None:
    if area_id is not None and _missing(ctx, "area_id", "area", [area_id]):
        raise Invalid.field("area_id", f"no area {area_id}")


def create_tag(
    ctx: TenantContext, customer_id: str, data: schemas.TagCreate, *, clock: Clock = utcnow
) -> schemas.Tag:
    """Add a tag for a customer's tickets."""
    _customer(ctx, customer_id)
    _check_area(ctx, data.area_id)
    tag = StoredTag(new_id("tag"), data.name, data.description, data.area_id, data.internal_only)

    def change(before: Profile) -> Profile:
        if len(before.tags) >= schemas.MAX_TAGS:
            raise Conflict(f"A customer has at most {schemas.MAX_TAGS} tags.")
        return msgspec.structs.replace(before, tags=[*before.tags, tag])

    _change_profile(
        ctx, customer_id, change, "ticket.tag_created", tag.id, clock(), object_type="tag"
    )
    return _tag_schema(customer_id, tag)


def list_tags(ctx: TenantContext, customer_id: str) -> Page[schemas.Tag]:
    """A customer's tags (all of them: a customer has at most 200)."""
    _customer(ctx, customer_id)
    profile, _ = _stored(ctx, customer_id)
    return page_of(schemas.Tag)(
        items=[_tag_schema(customer_id, t) for t in profile.tags], next_cursor=None
    )


def _replace_one(items: list[Any], item_id: str, what: str, new: Any | None) -> list[Any]:
    if not any(i.id == item_id for i in items):
        raise NotFound(f"No {what} {item_id}.")
    return [(new if i.id == item_id else i) for i in items if not (i.id == item_id and new is None)]


def update_tag(
    ctx: TenantContext,
    customer_id: str,
    tag_id: str,
    data: schemas.TagUpdate,
    *,
    clock: Clock = utcnow,
) -> schemas.Tag:
    """Change a tag."""
    _customer(ctx, customer_id)
    changes = present(data)
    if "name" in changes and changes["name"] is None:
        raise Invalid.field("name", "a tag keeps a name; it cannot be null")
    if "internal_only" in changes and changes["internal_only"] is None:
        raise Invalid.field("internal_only", "is true or false")
    _check_area(ctx, changes.get("area_id"))
    changed: list[StoredTag] = []

    def change(before: Profile) -> Profile:
        current = before.tag(tag_id)
        if current is None:
            raise NotFound(f"No tag {tag_id}.")
        new = msgspec.structs.replace(current, **changes)
        changed[:] = [new]
        return msgspec.structs.replace(before, tags=_replace_one(before.tags, tag_id, "tag", new))

    _change_profile(
        ctx, customer_id, change, "ticket.tag_updated", tag_id, clock(), object_type="tag"
    )
    return _tag_schema(customer_id, changed[0])


def delete_tag(ctx: TenantContext, customer_id: str, tag_id: str) -> None:
    """Remove a tag (tickets that carry it keep its id; nobody sees it any more)."""
    _customer(ctx, customer_id)

    def change(before: Profile) -> Profile:
        return msgspec.structs.replace(before, tags=_replace_one(before.tags, tag_id, "tag", None))

    _change_profile(
        ctx, customer_id, change, "ticket.tag_deleted", tag_id, utcnow(), object_type="tag"
    )


def _filter(data: schemas.BoardFilter) -> StoredFilter:
    return StoredFilter(
        statuses=list(data.statuses) if data.statuses else None,
        area_ids=data.area_ids or None,
        type_ids=data.type_ids or None,
        tag_ids=data.tag_ids or None,
        text=data.text or None,
    )


def query_schema(customer_id: str, query: StoredQuery) -> schemas.BoardQuery:
    """The API shape of a board query."""
    f = query.filter
    return schemas.BoardQuery(
        id=query.id,
        customer_id=customer_id,
        name=query.name,
        filter=schemas.BoardFilterOut(
            statuses=f.statuses,
            area_ids=f.area_ids,
            type_ids=f.type_ids,
            tag_ids=f.tag_ids,
            text=f.text,
        ),
    )


def create_query(
    ctx: TenantContext, customer_id: str, data: schemas.BoardQueryCreate, *, clock: Clock = utcnow
) -> schemas.BoardQuery:
    """Save a board query for a customer's people."""
    _customer(ctx, customer_id)
    query = StoredQuery(new_id("tbq"), data.name, _filter(data.filter))

    def change(before: Profile) -> Profile:
        if len(before.queries) >= schemas.MAX_QUERIES:
            raise Conflict(f"A customer has at most {schemas.MAX_QUERIES} board queries.")
        return msgspec.structs.replace(before, queries=[*before.queries, query])

    _change_profile(
        ctx,
        customer_id,
        change,
        "ticket.board_query_created",
        query.id,
        clock(),
        object_type="board_query",
    )
    return query_schema(customer_id, query)


def list_queries(ctx: TenantContext, customer_id: str) -> Page[schemas.BoardQuery]:
    """A customer's board queries."""
    _customer(ctx, customer_id)
    profile, _ = _stored(ctx, customer_id)
    return page_of(schemas.BoardQuery)(
        items=[query_schema(customer_id, q) for q in profile.queries], next_cursor=None
    )


def update_query(
    ctx: TenantContext,
    customer_id: str,
    query_id: str,
    data: schemas.BoardQueryUpdate,
    *,
    clock: Clock = utcnow,
) -> schemas.BoardQuery:
    """Rename a board query or change its filter."""
    _customer(ctx, customer_id)
    changes = present(data)
    if changes.get("name", "") is None or ("filter" in changes and changes["filter"] is None):
        raise Invalid.field("name" if "name" in changes else "filter", "cannot be null")
    changed: list[StoredQuery] = []

    def change(before: Profile) -> Profile:
        current = next((q for q in before.queries if q.id == query_id), None)
        if current is None:
            raise NotFound(f"No board query {query_id}.")
        new = StoredQuery(
            query_id,
            changes.get("name", current.name),
            _filter(changes["filter"]) if "filter" in changes else current.filter,
        )
        changed[:] = [new]
        return msgspec.structs.replace(
            before, queries=_replace_one(before.queries, query_id, "board query", new)
        )

    _change_profile(
        ctx,
        customer_id,
        change,
        "ticket.board_query_updated",
        query_id,
        clock(),
        object_type="board_query",
    )
    return query_schema(customer_id, changed[0])


def delete_query(ctx: TenantContext, customer_id: str, query_id: str) -> None:
    """Remove a board query."""
    _customer(ctx, customer_id)

    def change(before: Profile) -> Profile:
        return msgspec.structs.replace(
            before, queries=_replace_one(before.queries, query_id, "board query", None)
        )

    _change_profile(
        ctx,
        customer_id,
        change,
        "ticket.board_query_deleted",
        query_id,
        utcnow(),
        object_type="board_query",
    )


def _rule(
    ctx: TenantContext, customer_id: str | None, data: schemas.ExclusionRuleCreate
) -> StoredRule:
    if not (data.area_ids or data.type_ids or data.tag_ids):
        raise Invalid(
            "An exclusion rule names at least one area, ticket type or tag.",
            errors=[FieldError("area_ids", "give at least one area, ticket type or tag")],
        )
    if customer_id is None:
        known_tags = {
            t.id
            for item in TicketSetting.query(
                ctx.tenant_id, TicketSetting.setting_key.startswith(TicketSetting.PROFILE)
            )
            for t in profiles.decode_profile(item).tags
        }
    else:
        known_tags = {t.id for t in _stored(ctx, customer_id)[0].tags}
    errors = [
        *_missing(ctx, "area_ids", "area", data.area_ids or []),
        *_missing(ctx, "type_ids", "type", data.type_ids or []),
        *(
            FieldError(f"tag_ids[{n}]", f"no tag {t}")
            for n, t in enumerate(data.tag_ids or [])
            if t not in known_tags
        ),
    ]
    if errors:
        raise Invalid.fields(errors)
    return StoredRule(
        new_id("txr"),
        data.name,
        list(dict.fromkeys(data.area_ids or [])),
        list(dict.fromkeys(data.type_ids or [])),
        list(dict.fromkeys(data.tag_ids or [])),
    )


def rule_schema(customer_id: str | None, rule: StoredRule) -> schemas.ExclusionRule:
    """The API shape of an exclusion rule."""
    return schemas.ExclusionRule(
        id=rule.id,
        customer_id=customer_id,
        name=rule.name,
        area_ids=list(rule.area_ids),
        type_ids=list(rule.type_ids),
        tag_ids=list(rule.tag_ids),
    )


def create_rule(
    ctx: TenantContext,
    customer_id: str | None,
    data: schemas.ExclusionRuleCreate,
    *,
    clock: Clock = utcnow,
) -> schemas.ExclusionRule:
    """Add an exclusion rule for one customer, or (customer None) for all customers."""
    if customer_id is not None:
        _customer(ctx, customer_id)
    rule = _rule(ctx, customer_id, data)
    now = clock()
    if customer_id is None:

        def change_all(before: TenantRules) -> TenantRules:
            if len(before.rules) >= schemas.MAX_RULES:
                raise Conflict(f"A desk has at most {schemas.MAX_RULES} cross-customer rules.")
            return TenantRules([*before.rules, rule])

        profiles.change_document(
            ctx,
            TicketSetting.RULES,
            TenantRules,
            change_all,
            lambda tx, _: events.record(
                tx,
                ctx,
                "ticket.exclusion_rule_created",
                rule.id,
                object_type="exclusion_rule",
                now=now,
            ),
            now,
        )
        return rule_schema(None, rule)

    def change(before: Profile) -> Profile:
        if len(before.rules) >= schemas.MAX_RULES:
            raise Conflict(f"A customer has at most {schemas.MAX_RULES} exclusion rules.")
        return msgspec.structs.replace(before, rules=[*before.rules, rule])

    _change_profile(
        ctx,
        customer_id,
        change,
        "ticket.exclusion_rule_created",
        rule.id,
        now,
        object_type="exclusion_rule",
    )
    return rule_schema(customer_id, rule)


def list_rules(ctx: TenantContext, customer_id: str | None) -> Page[schemas.ExclusionRule]:
    """A customer's exclusion rules, or the cross-customer ones."""
    if customer_id is None:
        try:
            item: TicketSetting | None = TicketSetting.get(
                ctx.tenant_id, TicketSetting.RULES, consistent_read=True
            )
        except DoesNotExist:
            item = None
        rules = profiles.decode_rules(item).rules
    else:
        _customer(ctx, customer_id)
        rules = _stored(ctx, customer_id)[0].rules
    return page_of(schemas.ExclusionRule)(
        items=[rule_schema(customer_id, r) for r in rules], next_cursor=None
    )


def delete_rule(ctx: TenantContext, customer_id: str | None, rule_id: str) -> None:
    """Remove an exclusion rule."""
    now = utcnow()
    if customer_id is None:
        profiles.change_document(
            ctx,
            TicketSetting.RULES,
            TenantRules,
            lambda before: TenantRules(_replace_one(before.rules, rule_id, "rule", None)),
            lambda tx, _: events.record(
                tx,
                ctx,
                "ticket.exclusion_rule_deleted",
                rule_id,
                object_type="exclusion_rule",
                now=now,
            ),
            now,
        )
        return
    _customer(ctx, customer_id)

    def change(before: Profile) -> Profile:
        return msgspec.structs.replace(
            before, rules=_replace_one(before.rules, rule_id, "rule", None)
        )

    _change_profile(
        ctx,
        customer_id,
        change,
        "ticket.exclusion_rule_deleted",
        rule_id,
        now,
        object_type="exclusion_rule",
    )


# -- plan boards -----------------------------------------------------------------------------


def board_schema(item: TicketSetting) -> schemas.PlanBoard:
    """The API shape of a plan board."""
    return schemas.PlanBoard(
        id=item.item_id,
        name=item.name or "",
        customer_ids=list(item.customer_ids or []),
        created_at=rfc3339(item.created_at or utcnow()),
        version=int(item.version or 1),
    )


def _check_customers(ctx: TenantContext, customer_ids: list[str]) -> None:
    found = batch_get([(Customer, ctx.tenant_id, c) for c in customer_ids])
    errors = _duplicates("customer_ids", customer_ids) + [
        FieldError(f"customer_ids[{n}]", f"no customer {c}")
        for n, (c, item) in enumerate(zip(customer_ids, found, strict=True))
        if item is None
    ]
    if errors:
        raise Invalid.fields(errors)


def load_board(ctx: TenantContext, board_id: str) -> TicketSetting:
    """A stored plan board; 404 when it is not the tenant's."""
    return load_owned(
        TicketSetting, ctx, TicketSetting.key_of(TicketSetting.BOARD, board_id), "plan board"
    )


def get_board(ctx: TenantContext, board_id: str) -> schemas.PlanBoard:
    """One plan board."""
    return board_schema(load_board(ctx, board_id))


def create_board(
    ctx: TenantContext, data: schemas.PlanBoardCreate, *, clock: Clock = utcnow
) -> schemas.PlanBoard:
    """Add a plan board shared with some customers."""
    _check_customers(ctx, data.customer_ids)
    now = clock()
    board_id = new_id("tpb")
    item = TicketSetting(
        ctx.tenant_id,
        TicketSetting.key_of(TicketSetting.BOARD, board_id),
        name=data.name,
        customer_ids=list(data.customer_ids),
        created_at=now,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item, condition=TicketSetting.setting_key.does_not_exist())
        events.record(
            tx, ctx, "ticket.plan_board_created", board_id, object_type="plan_board", now=now
        )
    return board_schema(item)


def list_boards(ctx: TenantContext, page: PageRequest) -> Page[schemas.PlanBoard]:
    """The tenant's plan boards."""
    items, cursor = fetch_page(
        ctx,
        "plan_boards",
        page,
        lambda **kw: TicketSetting.query(
            ctx.tenant_id, TicketSetting.setting_key.startswith(TicketSetting.BOARD), **kw
        ),
    )
    return page_of(schemas.PlanBoard)(items=[board_schema(i) for i in items], next_cursor=cursor)


def update_board(
    ctx: TenantContext,
    board_id: str,
    data: schemas.PlanBoardUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.PlanBoard:
    """Rename a plan board or change whom it is shared with."""
    item = load_board(ctx, board_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    if "name" in changes and changes["name"] is None:
        raise Invalid.field("name", "a plan board keeps a name; it cannot be null")
    if "customer_ids" in changes:
        _check_customers(ctx, changes["customer_ids"])
    now = clock()
    return board_schema(
        update_recorded(
            item,
            changes,
            now,
            lambda tx: events.record(
                tx,
                ctx,
                "ticket.plan_board_updated",
                board_id,
                object_type="plan_board",
                now=now,
            ),
        )
    )


def delete_board(ctx: TenantContext, board_id: str) -> None:
    """Delete a plan board (its tickets stay)."""
    item = load_board(ctx, board_id)
    with Transaction() as tx:
        tx.delete(item)
        events.record(tx, ctx, "ticket.plan_board_deleted", board_id, object_type="plan_board")
