"""The billing catalogue: plans, their variants and components, coupons.

A variant that allows signup has a public signup page; every change that shows on it
(the variant, its plan, the plan's components) records an event, and the page consumer
renders that page again. Such a change is first checked against the page budget (the
`check_pages` its route passes in): one that would make a signup page too big is refused
with a 422 before anything is saved.

Every change records its event (`plan.created`, `component.updated`, `coupon.deleted`, ...)
in its own transaction; an update's event names the fields sent, never their values.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from pynamodb.models import Model

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Component, Coupon, Plan, PlanVariant, Tenant
from chalicelib.models.billing import plan_key
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.billing.drafts import PageCheck, PageDraft
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.versioning import change_actions, check_version, update_recorded
from chalicelib.settings import get_settings
from chalicelib.tenancy import TenantContext

M = TypeVar("M", bound=Model)
# Fields of a variant and of a component that show on a signup page, in the order a 422
# about the page's size names them.
_VARIANT_SHOWN = ("name", "external_id", "price", "billing_period", "notice_period")
_COMPONENT_SHOWN = ("name", "unit", "price", "show_in_signup", "show_as_price_info")


def _drafted(item: M, changes: dict[str, Any]) -> M:
    """A copy of a stored item with `changes` applied, not saved (for the page budget)."""
    copy = type(item).from_raw_data(item.serialize())
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


def _first(changes: dict[str, Any], names: tuple[str, ...], default: str) -> str:
    return next((name for name in names if name in changes), default)


# -- plans -----------------------------------------------------------------------------------


def plan_out(item: Plan) -> schemas.Plan:
    """The API shape of a plan."""
    return schemas.Plan(
        id=item.plan_id,
        name=item.name,
        description=item.description,
        currency=item.currency,
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def load_plan(ctx: TenantContext, plan_id: str) -> Plan:
    """The tenant's plan; 404 otherwise."""
    return load_owned(Plan, ctx, plan_id, "plan")


def create_plan(
    ctx: TenantContext, data: schemas.PlanCreate, *, clock: Clock = utcnow
) -> schemas.Plan:
    """Create a plan."""
    now = clock()
    item = Plan(
        ctx.tenant_id,
        new_id("pln"),
        name=data.name,
        description=data.description,
        currency=data.currency,
        created_at=now,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item, condition=Plan.plan_id.does_not_exist())
        events.record(
            tx,
            ctx,
            "plan.created",
            item.plan_id,
            data={"name": item.name, "currency": item.currency},
            now=now,
        )
    return plan_out(item)


def list_plans(ctx: TenantContext, page: PageRequest) -> Page[schemas.Plan]:
    """The tenant's plans, oldest first."""
    items, cursor = fetch_page(ctx, "plans", page, lambda **kw: Plan.query(ctx.tenant_id, **kw))
    return page_of(schemas.Plan)(items=[plan_out(i) for i in items], next_cursor=cursor)


def get_plan(ctx: TenantContext, plan_id: str) -> schemas.Plan:
    """One plan."""
    return plan_out(load_plan(ctx, plan_id))


def update_plan(
    ctx: TenantContext,
    plan_id: str,
    data: schemas.PlanUpdate,
    *,
    check_pages: PageCheck,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Plan:
    """Rename or describe a plan; its signup pages show the new name."""
    item = load_plan(ctx, plan_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    if changes.get("name", "") is None:
        raise Invalid.field("name", "a plan keeps a name; it cannot be null")
    if changes:
        field = _first(changes, ("description", "name"), "name")
        check_pages(ctx, PageDraft(plan=_drafted(item, changes)), field)
    now = clock()
    update_recorded(
        item,
        changes,
        now,
        lambda tx: events.record(
            tx, ctx, "plan.updated", plan_id, data={"changed": sorted(changes)}, now=now
        ),
        lambda: load_plan(ctx, plan_id),
    )
    return plan_out(item)


# -- variants --------------------------------------------------------------------------------


def signup_url(slug: str, variant_id: str) -> str:
    """The public signup page of a variant."""
    return f"{get_settings().public_base_url}/p/{slug}/signup/{variant_id}"


def _slug(ctx: TenantContext) -> str:
    return Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug


def variant_out(item: PlanVariant, currency: str, slug: str) -> schemas.Variant:
    """The API shape of a variant."""
    return schemas.Variant(
        id=item.variant_id,
        plan_id=item.plan_id,
        name=item.name,
        price=item.price,
        currency=currency,
        billing_period=item.billing_period,
        notice_period=item.notice_period,
        allow_signup=bool(item.allow_signup),
        external_id=item.external_id,
        signup_url=signup_url(slug, item.variant_id) if item.allow_signup else None,
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def load_variant(ctx: TenantContext, variant_id: str) -> PlanVariant:
    """The tenant's plan variant; 404 otherwise."""
    return load_owned(PlanVariant, ctx, variant_id, "plan variant")


def create_variant(
    ctx: TenantContext,
    plan_id: str,
    data: schemas.VariantCreate,
    *,
    check_pages: PageCheck,
    clock: Clock = utcnow,
) -> schemas.Variant:
    """Add a variant to a plan; its signup page is rendered when it allows signup."""
    plan = load_plan(ctx, plan_id)
    now = clock()
    item = PlanVariant(
        ctx.tenant_id,
        new_id("var"),
        plan_id=plan_id,
        plan_key=plan_key(ctx.tenant_id, plan_id),
        name=data.name,
        price=data.price,
        billing_period=data.billing_period,
        notice_period=data.notice_period,
        allow_signup=data.allow_signup,
        external_id=data.external_id,
        created_at=now,
        updated_at=now,
    )
    if item.allow_signup:
        check_pages(ctx, PageDraft(variant=item), "allow_signup")
    with Transaction() as tx:
        tx.save(item, condition=PlanVariant.variant_id.does_not_exist())
        events.record(
            tx,
            ctx,
            "plan_variant.created",
            item.variant_id,
            data={"plan_id": plan_id, "allow_signup": bool(item.allow_signup)},
            now=now,
        )
    slug = _slug(ctx)
    return variant_out(item, plan.currency, slug)


def list_variants(ctx: TenantContext, plan_id: str, page: PageRequest) -> Page[schemas.Variant]:
    """A plan's variants."""
    plan = load_plan(ctx, plan_id)
    slug = _slug(ctx)
    items, cursor = fetch_page(
        ctx,
        f"variants:{plan_id}",
        page,
        lambda **kw: PlanVariant.by_plan.query(plan_key(ctx.tenant_id, plan_id), **kw),
        type(PlanVariant.by_plan),
    )
    return page_of(schemas.Variant)(
        items=[variant_out(i, plan.currency, slug) for i in items], next_cursor=cursor
    )


def get_variant(ctx: TenantContext, variant_id: str) -> schemas.Variant:
    """One variant."""
    item = load_variant(ctx, variant_id)
    return variant_out(item, load_plan(ctx, item.plan_id).currency, _slug(ctx))


def update_variant(
    ctx: TenantContext,
    variant_id: str,
    data: schemas.VariantUpdate,
    *,
    check_pages: PageCheck,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Variant:
    """Change a variant; contracts already signed keep what they signed. Turning signup
    off takes the signup page down."""
    item = load_variant(ctx, variant_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    nulls = [name for name, value in changes.items() if value is None and name != "external_id"]
    if nulls:
        raise Invalid.field(nulls[0], "cannot be null")
    drafted = _drafted(item, changes)
    if changes and drafted.allow_signup:
        field = _first(changes, _VARIANT_SHOWN, "allow_signup")
        check_pages(ctx, PageDraft(variant=drafted), field)
    now = clock()
    update_recorded(
        item,
        changes,
        now,
        lambda tx: events.record(
            tx,
            ctx,
            "plan_variant.updated",
            variant_id,
            data={"plan_id": item.plan_id, "changed": sorted(changes)},
            now=now,
        ),
        lambda: load_variant(ctx, variant_id),
    )
    slug = _slug(ctx)
    return variant_out(item, load_plan(ctx, item.plan_id).currency, slug)


# -- components ------------------------------------------------------------------------------


def component_out(item: Component) -> schemas.Component:
    """The API shape of a component."""
    return schemas.Component(
        id=item.component_id,
        plan_id=item.plan_id,
        name=item.name,
        kind=cast("schemas.ComponentKind", item.kind),
        price=item.price,
        unit=item.unit,
        min_quantity=int(item.min_quantity),
        max_quantity=int(item.max_quantity),
        show_in_signup=bool(item.show_in_signup),
        show_as_price_info=bool(item.show_as_price_info),
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def _check_component(
    kind: str, min_quantity: int, max_quantity: int, show_in_signup: bool, show_as_price_info: bool
) -> None:
    if kind == "metered" and show_in_signup:
        raise Invalid.field(
            "show_in_signup", "a metered component cannot be ordered; use show_as_price_info"
        )
    if kind != "metered" and show_as_price_info:
        raise Invalid.field("show_as_price_info", "only metered components are price information")
    if kind == "quantity" and min_quantity > max_quantity:
        raise Invalid.field("max_quantity", "must not be below min_quantity")


def load_component(ctx: TenantContext, component_id: str) -> Component:
    """The tenant's component; 404 otherwise."""
    return load_owned(Component, ctx, component_id, "component")


def create_component(
    ctx: TenantContext,
    data: schemas.ComponentCreate,
    *,
    check_pages: PageCheck,
    clock: Clock = utcnow,
) -> schemas.Component:
    """Add a component to a plan."""
    try:
        load_plan(ctx, data.plan_id)
    except NotFound:
        raise Invalid.field("plan_id", "no such plan") from None
    _check_component(
        data.kind,
        data.min_quantity,
        data.max_quantity,
        data.show_in_signup,
        data.show_as_price_info,
    )
    on_off = data.kind == "on_off"
    now = clock()
    item = Component(
        ctx.tenant_id,
        new_id("cmp"),
        plan_id=data.plan_id,
        plan_key=plan_key(ctx.tenant_id, data.plan_id),
        name=data.name,
        kind=data.kind,
        price=data.price,
        unit=data.unit,
        min_quantity=0 if on_off else data.min_quantity,
        max_quantity=1 if on_off else data.max_quantity,
        show_in_signup=data.show_in_signup,
        show_as_price_info=data.show_as_price_info,
        created_at=now,
        updated_at=now,
    )
    if data.show_in_signup or data.show_as_price_info:
        field = "show_in_signup" if data.show_in_signup else "show_as_price_info"
        check_pages(ctx, PageDraft(component=item), field)
    with Transaction() as tx:
        tx.save(item, condition=Component.component_id.does_not_exist())
        _keep_minimum(tx, ctx.tenant_id, item)
        events.record(
            tx,
            ctx,
            "component.created",
            item.component_id,
            data={"plan_id": data.plan_id, "kind": data.kind},
            now=now,
        )
    return component_out(item)


def _keep_minimum(tx: Transaction, tenant_id: str, item: Component) -> None:
    """Record on the plan whether contracts must hold some of this component."""
    minimum = int(item.min_quantity) if item.kind == "quantity" else 0
    entry = cast(Any, Plan.minimums)[item.component_id]
    rule = {"min": minimum, "signup": bool(item.show_in_signup)}
    tx.update_unversioned(
        Plan(tenant_id, item.plan_id),
        [entry.set(rule) if minimum else entry.remove()],
        Plan.plan_id.exists(),
    )


def list_components(ctx: TenantContext, plan_id: str, page: PageRequest) -> Page[schemas.Component]:
    """A plan's components."""
    load_plan(ctx, plan_id)
    items, cursor = fetch_page(
        ctx,
        f"components:{plan_id}",
        page,
        lambda **kw: Component.by_plan.query(plan_key(ctx.tenant_id, plan_id), **kw),
        type(Component.by_plan),
    )
    return page_of(schemas.Component)(items=[component_out(i) for i in items], next_cursor=cursor)


def get_component(ctx: TenantContext, component_id: str) -> schemas.Component:
    """One component."""
    return component_out(load_component(ctx, component_id))


def update_component(
    ctx: TenantContext,
    component_id: str,
    data: schemas.ComponentUpdate,
    *,
    check_pages: PageCheck,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Component:
    """Change a component; signed contracts keep what they signed."""
    item = load_component(ctx, component_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    sent = sorted(changes)
    nulls = [name for name, value in changes.items() if value is None and name != "unit"]
    if nulls:
        raise Invalid.field(nulls[0], "cannot be null")
    merged = {
        name: changes.get(name, getattr(item, name))
        for name in ("min_quantity", "max_quantity", "show_in_signup", "show_as_price_info")
    }
    if item.kind == "on_off":
        merged.update(min_quantity=0, max_quantity=1)
        changes.update(min_quantity=0, max_quantity=1)
    _check_component(
        item.kind,
        int(merged["min_quantity"]),
        int(merged["max_quantity"]),
        bool(merged["show_in_signup"]),
        bool(merged["show_as_price_info"]),
    )
    if changes and (merged["show_in_signup"] or merged["show_as_price_info"]):
        field = _first(changes, _COMPONENT_SHOWN, "name")
        drafted = _drafted(item, changes)
        check_pages(ctx, PageDraft(component=drafted), field)
    for name, value in changes.items():
        setattr(item, name, value)
    now = clock()
    try:
        with Transaction() as tx:
            # PynamoDB conditions the update on the version read.
            tx.update(item, change_actions(Component, changes, now), label="component")
            _keep_minimum(tx, ctx.tenant_id, item)
            events.record(
                tx,
                ctx,
                "component.updated",
                component_id,
                data={"plan_id": item.plan_id, "changed": sent},
                now=now,
            )
    except ConditionsFailed:
        check_version(load_component(ctx, component_id), int(item.version or 0))
        raise
    return component_out(load_component(ctx, component_id))


# -- coupons ---------------------------------------------------------------------------------


def coupon_out(item: Coupon) -> schemas.Coupon:
    """The API shape of a coupon."""
    return schemas.Coupon(
        id=item.coupon_id,
        code=item.code,
        discount_percent=int(item.discount_percent),
        plan_variant_ids=[str(v) for v in item.plan_variant_ids] if item.plan_variant_ids else None,
        valid_until=rfc3339(item.valid_until) if item.valid_until else None,
        max_redemptions=int(item.max_redemptions) if item.max_redemptions is not None else None,
        redemptions=int(item.redemptions or 0),
        created_at=rfc3339(item.created_at),
    )


def create_coupon(
    ctx: TenantContext, data: schemas.CouponCreate, *, clock: Clock = utcnow
) -> schemas.Coupon:
    """Create a coupon code; 409 when the code is taken (in any case)."""
    now = clock()
    valid_until = data.valid_until
    if valid_until is not None and valid_until <= now:
        raise Invalid.field("valid_until", "must be in the future")
    for index, variant_id in enumerate(data.plan_variant_ids or []):
        try:
            load_variant(ctx, variant_id)
        except NotFound:
            raise Invalid.field(f"plan_variant_ids.{index}", "no such plan variant") from None
    item = Coupon(
        ctx.tenant_id,
        Coupon.key_for(data.code),
        coupon_id=new_id("cpn"),
        discount_percent=data.discount_percent,
        plan_variant_ids=data.plan_variant_ids or None,
        valid_until=valid_until,
        max_redemptions=data.max_redemptions,
        redemptions=0,
        created_at=now,
    )
    try:
        with Transaction() as tx:
            tx.save(item, condition=Coupon.code.does_not_exist(), label="coupon")
            events.record(
                tx,
                ctx,
                "coupon.created",
                item.coupon_id,
                data={"code": item.code, "discount_percent": data.discount_percent},
                now=now,
            )
    except ConditionsFailed as exc:
        if "coupon" in exc.labels:
            raise Conflict(f"The coupon code {item.code} exists already.") from None
        raise
    return coupon_out(item)


def list_coupons(ctx: TenantContext, page: PageRequest) -> Page[schemas.Coupon]:
    """The tenant's coupons, by code."""
    items, cursor = fetch_page(ctx, "coupons", page, lambda **kw: Coupon.query(ctx.tenant_id, **kw))
    return page_of(schemas.Coupon)(items=[coupon_out(i) for i in items], next_cursor=cursor)


def get_coupon(ctx: TenantContext, code: str) -> schemas.Coupon:
    """One coupon, by its code."""
    return coupon_out(load_owned(Coupon, ctx, Coupon.key_for(code), "coupon"))


def delete_coupon(ctx: TenantContext, code: str) -> None:
    """Withdraw a coupon: signups can no longer redeem it (signed contracts keep theirs)."""
    item = load_owned(Coupon, ctx, Coupon.key_for(code), "coupon")
    try:
        with Transaction() as tx:
            tx.delete(item, condition=Coupon.code.exists(), label="coupon")
            events.record(tx, ctx, "coupon.deleted", item.coupon_id, data={"code": item.code})
    except ConditionsFailed as exc:
        if "coupon" in exc.labels:  # withdrawn by someone else meanwhile
            raise NotFound(f"No coupon {code}.") from None
        raise
