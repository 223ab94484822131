"""Customers of a tenant and their business units."""

from __future__ import annotations

from typing import cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.ids import new_id
from chalicelib.models import Asset, BusinessUnit, Customer, Portal
from chalicelib.models.base import search_text_for
from chalicelib.schemas import customers as schemas
from chalicelib.schemas.common import Language, Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.versioning import check_version, update_recorded
from chalicelib.tenancy import TenantContext

# A customer is deleted with its business units in one transaction (100 items at most):
# the customer, the check that it has no portal, the event and 97 units.
MAX_BUSINESS_UNITS = 97
HELD_IDS_SHOWN = 20


def to_schema(item: Customer) -> schemas.Customer:
    """The API shape of a stored customer."""
    return schemas.Customer(
        id=item.customer_id,
        name=item.name,
        customer_type=item.customer_type,
        external_id=item.external_id,
        language=cast("Language | None", item.language),
        email=item.email,
        contact=_contact(item),
        asset_count=int(item.asset_count),
        business_unit_count=int(item.unit_count),
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def _contact(item: Customer) -> schemas.Contact | None:
    if item.contact is None:
        return None
    data = item.contact.as_dict()  # type: ignore[no-untyped-call]
    address = data.pop("address", None)
    lines = data.pop("address_lines", None)
    return schemas.Contact(
        **{name: data.get(name) for name in schemas.Contact.__struct_fields__ if name in data},
        address=schemas.PostalAddress(**address) if address else None,
        address_lines=[str(line) for line in lines] if lines else None,
    )


def load(ctx: TenantContext, customer_id: str) -> Customer:
    """The stored customer; 404 when it is not the caller's tenant's."""
    return load_owned(Customer, ctx, customer_id, "customer")


def create(
    ctx: TenantContext, data: schemas.CustomerCreate, *, clock: Clock = utcnow
) -> schemas.Customer:
    """Create a customer."""
    now = clock()
    item = Customer(
        ctx.tenant_id,
        new_id("cus"),
        created_at=now,
        updated_at=now,
        search_text=search_text_for(data.name, data.external_id),
        **msgspec.structs.asdict(data),
    )
    with Transaction() as tx:
        tx.save(item, condition=Customer.customer_id.does_not_exist())
        events.record(
            tx, ctx, "customer.created", item.customer_id, customer_id=item.customer_id, now=now
        )
    return to_schema(item)


def get(ctx: TenantContext, customer_id: str) -> schemas.Customer:
    """One customer."""
    return to_schema(load(ctx, customer_id))


def list_customers(
    ctx: TenantContext, page: PageRequest, search: str | None = None
) -> Page[schemas.Customer]:
    """The tenant's customers, oldest first; with `search`, those whose name or external id
    contains it (in any case)."""
    wanted = search.casefold() if search else None
    found = (
        Customer.search_text.contains(wanted) | Customer.name.contains(search) if wanted else None
    )
    items, cursor = fetch_page(
        ctx,
        f"customers\0{wanted or ''}",
        page,
        lambda **kw: Customer.query(ctx.tenant_id, filter_condition=found, **kw),
    )
    return page_of(schemas.Customer)(items=[to_schema(i) for i in items], next_cursor=cursor)


def update(
    ctx: TenantContext,
    customer_id: str,
    data: schemas.CustomerUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Customer:
    """Change the fields present in `data`; 409 when the stored version moved on."""
    item = load(ctx, customer_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    if "name" in changes and changes["name"] is None:
        raise Invalid.field("name", "a customer keeps a name; it cannot be null")
    stored = dict(changes)
    if "name" in changes or "external_id" in changes:
        stored["search_text"] = search_text_for(
            changes.get("name", item.name), changes.get("external_id", item.external_id)
        )
    now = clock()
    return to_schema(
        update_recorded(
            item,
            stored,
            now,
            lambda tx: events.record(
                tx,
                ctx,
                "customer.updated",
                customer_id,
                customer_id=customer_id,
                data={"changed": sorted(changes)},
                now=now,
            ),
        )
    )


def delete(ctx: TenantContext, customer_id: str, *, if_match: int | None = None) -> None:
    """Delete a customer and its business units; 409 while it holds assets."""
    item = load(ctx, customer_id)
    check_version(item, if_match)
    if item.asset_count:
        raise _holds_assets(ctx, item)
    if item.contract_count:
        raise _holds_contracts(item)
    units = list(
        BusinessUnit.query(
            ctx.tenant_id,
            BusinessUnit.unit_key.startswith(BusinessUnit.prefix_for(customer_id)),
            consistent_read=True,
        )
    )
    try:
        with Transaction() as tx:
            # The version condition (added by PynamoDB) fails if anything changed since.
            no_contracts = (Customer.contract_count == 0) | Customer.contract_count.does_not_exist()
            tx.delete(item, condition=(Customer.asset_count == 0) & no_contracts, label="customer")
            tx.check(
                Portal,
                ctx.tenant_id,
                customer_id,
                Portal.customer_id.does_not_exist(),
                label="portal",
            )
            for unit in units:
                tx.delete(unit)
            events.record(tx, ctx, "customer.deleted", customer_id, customer_id=customer_id)
    except ConditionsFailed as exc:
        if "portal" in exc.labels:
            portal = Portal.get(ctx.tenant_id, customer_id, attributes_to_get=["portal_id"])
            raise Conflict(
                f"Customer {customer_id} has a portal; delete the portal first.",
                extra={"held_by": {"portal_ids": [portal.portal_id]}},
            ) from None
        raise Conflict(
            f"Customer {customer_id} changed while being deleted; read it and try again."
        ) from None


def _holds_contracts(item: Customer) -> Conflict:
    count = int(item.contract_count)
    return Conflict(
        f"Customer {item.customer_id} has {count} contracts; a customer with contracts stays.",
        extra={"held_by": {"contract_count": count}},
    )


def _holds_assets(ctx: TenantContext, item: Customer) -> Conflict:
    key = Asset.customer_key_for(ctx.tenant_id, item.customer_id)
    some = [a.asset_id for a in Asset.by_customer.query(key, limit=HELD_IDS_SHOWN)]
    count = int(item.asset_count)
    return Conflict(
        f"Customer {item.customer_id} holds {count} assets; unassign them first.",
        extra={"held_by": {"asset_count": count, "asset_ids": some}},
    )


def add_business_unit(
    ctx: TenantContext,
    customer_id: str,
    data: schemas.BusinessUnitCreate,
    *,
    clock: Clock = utcnow,
) -> schemas.BusinessUnit:
    """Add a business unit to a customer (shown as a group in its portal)."""
    customer = load(ctx, customer_id)
    if customer.unit_count >= MAX_BUSINESS_UNITS:
        raise Conflict(f"A customer has at most {MAX_BUSINESS_UNITS} business units.")
    unit_id = new_id("bu")
    now = clock()
    unit = BusinessUnit(
        ctx.tenant_id,
        BusinessUnit.key_for(customer_id, unit_id),
        unit_id=unit_id,
        customer_id=customer_id,
        name=data.name,
        created_at=now,
    )
    try:
        with Transaction() as tx:
            tx.save(unit, condition=BusinessUnit.unit_key.does_not_exist())
            tx.update(
                customer,
                actions=[Customer.unit_count.add(1)],
                condition=Customer.unit_count < MAX_BUSINESS_UNITS,
                label="customer",
            )
            events.record(
                tx,
                ctx,
                "customer.business_unit_created",
                unit_id,
                object_type="business_unit",
                customer_id=customer_id,
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The customer changed meanwhile; try again.") from None
    return _unit_schema(unit)


def _unit_schema(unit: BusinessUnit) -> schemas.BusinessUnit:
    return schemas.BusinessUnit(
        id=unit.unit_id,
        customer_id=unit.customer_id,
        name=unit.name,
        created_at=rfc3339(unit.created_at),
    )


def list_business_units(
    ctx: TenantContext, customer_id: str, page: PageRequest
) -> Page[schemas.BusinessUnit]:
    """A customer's business units, oldest first."""
    load(ctx, customer_id)
    prefix = BusinessUnit.prefix_for(customer_id)
    items, cursor = fetch_page(
        ctx,
        f"business_units:{customer_id}",
        page,
        lambda **kw: BusinessUnit.query(
            ctx.tenant_id, BusinessUnit.unit_key.startswith(prefix), **kw
        ),
    )
    return page_of(schemas.BusinessUnit)(items=[_unit_schema(u) for u in items], next_cursor=cursor)


def business_unit_exists(ctx: TenantContext, customer_id: str, unit_id: str) -> bool:
    """True when the customer has this business unit."""
    try:
        BusinessUnit.get(ctx.tenant_id, BusinessUnit.key_for(customer_id, unit_id))
    except DoesNotExist:
        return False
    return True
