"""Which assets a customer holds: set as a whole with `PUT /v1/customers/{id}/assets`.

The by_customer index is eventually consistent, so the current assignment read from it
may lag. The customer item (read consistently) keeps the count and an order-free digest
of its assigned ids; the index's answer is used only once it matches both. Every change
is one transaction conditioned on the versions read, so two racing PUTs cannot both win;
it holds the `customer.assets_assigned` event too (one for every PUT, even one that finds
nothing to change).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, FieldError, Invalid, Unavailable
from chalicelib.models import Asset, Customer
from chalicelib.schemas import assets as schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.fleet import assets as asset_service
from chalicelib.services.fleet import customers as customer_service
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.tenancy import TenantContext

# One transaction holds at most 100 items: the customer, the event and 98 asset changes.
MAX_CHANGES = 98
_INDEX_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8)
_EMPTY_DIGEST = "0" * 32


def assignment_digest(asset_ids: Iterable[str]) -> str:
    """Order-free digest of a set of ids (XOR of truncated SHA-256)."""
    value = 0
    for asset_id in asset_ids:
        value ^= int.from_bytes(hashlib.sha256(asset_id.encode()).digest()[:16], "big")
    return f"{value:032x}"


def _current(
    ctx: TenantContext, customer: Customer, sleep: Callable[[float], None]
) -> dict[str, Asset]:
    """The customer's assigned assets, once the index has caught up with the customer item."""
    expected = customer.assignment_digest or _EMPTY_DIGEST
    key = Asset.customer_key_for(ctx.tenant_id, customer.customer_id)
    for wait in (*_INDEX_WAITS, None):
        found = {a.asset_id: a for a in Asset.by_customer.query(key)}
        if len(found) == customer.asset_count and assignment_digest(found) == expected:
            return found
        if wait is not None:
            sleep(wait)
    raise Unavailable("Recent assignment changes are still being indexed; try again.")


def _read(ctx: TenantContext, asset_ids: list[str]) -> list[Asset]:
    keys = [(ctx.tenant_id, asset_id) for asset_id in asset_ids]
    return list(Asset.batch_get(keys, consistent_read=True))


def _load_wanted(ctx: TenantContext, asset_ids: list[str]) -> list[Asset]:
    found = {a.asset_id: a for a in _read(ctx, asset_ids)}
    missing = [
        FieldError(f"asset_ids.{i}", f"no asset {asset_id}")
        for i, asset_id in enumerate(asset_ids)
        if asset_id not in found
    ]
    if missing:
        raise Invalid("Some assets do not exist.", errors=missing)
    return [found[asset_id] for asset_id in asset_ids]


def _check_not_held(customer_id: str, wanted: list[Asset]) -> None:
    held = {a.asset_id: a.customer_id for a in wanted if a.customer_id not in (None, customer_id)}
    if held:
        raise Conflict(
            "Some assets are assigned to another customer; unassign them there first.",
            extra={"held_by": held},
        )


def set_customer_assets(
    ctx: TenantContext,
    customer_id: str,
    data: schemas.AssignmentSet,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = utcnow,
) -> schemas.Assignment:
    """Make `data.asset_ids` exactly the customer's assets (in `data.business_unit_id`)."""
    customer = customer_service.load(ctx, customer_id)
    unit = data.business_unit_id
    if unit and not customer_service.business_unit_exists(ctx, customer_id, unit):
        raise Invalid.field("business_unit_id", f"customer {customer_id} has no such unit")
    wanted = _load_wanted(ctx, data.asset_ids)
    _check_not_held(customer_id, wanted)
    current = _current(ctx, customer, sleep)
    changed = [a for a in wanted if a.customer_id != customer_id or a.business_unit_id != unit]
    wanted_ids = set(data.asset_ids)
    removed_ids = [asset_id for asset_id in current if asset_id not in wanted_ids]
    if len(changed) + len(removed_ids) > MAX_CHANGES:
        raise Invalid.field(
            "asset_ids",
            f"changes {len(changed) + len(removed_ids)} assignments; at most "
            f"{MAX_CHANGES} per request: split the change into steps",
        )
    # The index's copies may lag behind the items (versions too): write from fresh reads.
    removed = _read(ctx, removed_ids) if removed_ids else []
    _commit(ctx, customer, changed, removed, data, clock)
    for asset in changed:
        asset.customer_id, asset.business_unit_id = customer_id, unit
    return schemas.Assignment(
        customer_id=customer_id, items=[asset_service.to_schema(a) for a in wanted]
    )


def _commit(
    ctx: TenantContext,
    customer: Customer,
    changed: list[Asset],
    removed: list[Asset],
    data: schemas.AssignmentSet,
    clock: Clock = utcnow,
) -> None:
    customer_id = customer.customer_id
    key = Asset.customer_key_for(ctx.tenant_id, customer_id)
    unit = data.business_unit_id
    now = clock()
    added = [a.asset_id for a in changed if a.customer_id != customer_id]
    try:
        with Transaction() as tx:
            for asset in changed:
                arrives = asset.customer_id != customer_id
                tx.update(
                    asset,
                    [
                        Asset.customer_id.set(customer_id),
                        Asset.customer_key.set(key),
                        Asset.business_unit_id.set(unit)
                        if unit
                        else Asset.business_unit_id.remove(),
                        # From now on the customer sees the asset's activity, nothing older.
                        Asset.assigned_at.set(now if arrives else asset.assigned_at or now),
                    ],
                    condition=Asset.customer_id.does_not_exist()
                    | (Asset.customer_id == customer_id),
                    label=asset.asset_id,
                )
            for asset in removed:
                tx.update(
                    asset,
                    [
                        Asset.customer_id.remove(),
                        Asset.customer_key.remove(),
                        Asset.business_unit_id.remove(),
                        Asset.assigned_at.remove(),
                    ],
                    condition=Asset.customer_id == customer_id,
                    label=asset.asset_id,
                )
            if changed or removed:
                tx.update(
                    customer,
                    [
                        Customer.asset_count.set(len(data.asset_ids)),
                        Customer.assignment_digest.set(assignment_digest(data.asset_ids)),
                    ],
                    label="customer",
                )
            events.record(
                tx,
                ctx,
                "customer.assets_assigned",
                customer_id,
                customer_id=customer_id,
                data={
                    "added": added,
                    "removed": [a.asset_id for a in removed],
                    # Assets the customer kept, now in `business_unit_id`.
                    "moved": [a.asset_id for a in changed if a.asset_id not in added],
                    "business_unit_id": unit,
                },
                now=now,
            )
    except ConditionsFailed as exc:
        raise Conflict(
            "The assets or the customer changed meanwhile; read them again and retry.",
            extra={"changed": sorted(exc.labels)},
        ) from None


def list_customer_assets(
    ctx: TenantContext, customer_id: str, page: PageRequest
) -> Page[schemas.Asset]:
    """The assets a customer holds, in id order."""
    customer_service.load(ctx, customer_id)
    key = Asset.customer_key_for(ctx.tenant_id, customer_id)
    items, cursor = fetch_page(
        ctx,
        f"customer_assets:{customer_id}",
        page,
        lambda **kw: Asset.by_customer.query(key, **kw),
        index=type(Asset.by_customer),
    )
    return page_of(schemas.Asset)(
        items=[asset_service.to_schema(a) for a in items], next_cursor=cursor
    )
