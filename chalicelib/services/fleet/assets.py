"""Assets (equipment, GPS devices) and their telemetry events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import msgspec

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.ids import new_id
from chalicelib.models import Asset, AssetEvent
from chalicelib.models.base import search_text_for
from chalicelib.schemas import assets as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.versioning import check_version, update_recorded
from chalicelib.settings import get_settings
from chalicelib.tenancy import TenantContext

# Clocks on devices drift; a report further ahead than this is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def to_schema(item: Asset) -> schemas.Asset:
    """The API shape of a stored asset."""
    last = None
    if item.last_event_at is not None:
        last = schemas.LastEvent(
            time=rfc3339(item.last_event_at),
            lat=item.last_lat,
            lon=item.last_lon,
            operating_hours=item.operating_hours,
            status=item.status,
        )
    return schemas.Asset(
        id=item.asset_id,
        name=item.name,
        serial_number=item.serial_number,
        kind=cast("schemas.AssetKind", item.kind),
        customer_id=item.customer_id,
        business_unit_id=item.business_unit_id,
        last_event=last,
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def load(ctx: TenantContext, asset_id: str) -> Asset:
    """The stored asset; 404 when it is not the caller's tenant's."""
    return load_owned(Asset, ctx, asset_id, "asset")


def create(
    ctx: TenantContext, data: schemas.AssetCreate, *, clock: Clock = utcnow
) -> schemas.Asset:
    """Create an asset."""
    now = clock()
    fields = msgspec.structs.asdict(data)
    item = Asset(
        ctx.tenant_id,
        new_id("ast"),
        created_at=now,
        updated_at=now,
        search_text=search_text_for(data.name, data.serial_number),
        **fields,
    )
    with Transaction() as tx:
        tx.save(item, condition=Asset.asset_id.does_not_exist())
        events.record(tx, ctx, "asset.created", item.asset_id, now=now)
    return to_schema(item)


def get(ctx: TenantContext, asset_id: str) -> schemas.Asset:
    """One asset."""
    return to_schema(load(ctx, asset_id))


def list_assets(
    ctx: TenantContext, page: PageRequest, search: str | None = None
) -> Page[schemas.Asset]:
    """The tenant's assets, oldest first; with `search`, those whose name or serial number
    contains it (in any case)."""
    wanted = search.casefold() if search else None
    found = Asset.search_text.contains(wanted) | Asset.name.contains(search) if wanted else None
    items, cursor = fetch_page(
        ctx,
        f"assets\0{wanted or ''}",
        page,
        lambda **kw: Asset.query(ctx.tenant_id, filter_condition=found, **kw),
    )
    return page_of(schemas.Asset)(items=[to_schema(i) for i in items], next_cursor=cursor)


def update(
    ctx: TenantContext,
    asset_id: str,
    data: schemas.AssetUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Asset:
    """Change the fields present in `data`; 409 when the stored version moved on."""
    item = load(ctx, asset_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    for required in ("name", "kind"):
        if required in changes and changes[required] is None:
            raise Invalid.field(required, "cannot be null")
    stored = dict(changes)
    if "name" in changes or "serial_number" in changes:
        stored["search_text"] = search_text_for(
            changes.get("name", item.name), changes.get("serial_number", item.serial_number)
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
                "asset.updated",
                asset_id,
                customer_id=item.customer_id,
                data={"changed": sorted(changes)},
                now=now,
            ),
        )
    )


def delete(ctx: TenantContext, asset_id: str, *, if_match: int | None = None) -> None:
    """Delete an asset; 409 while a customer holds it."""
    item = load(ctx, asset_id)
    check_version(item, if_match)
    if item.customer_id:
        raise _held(item.customer_id, asset_id)
    try:
        with Transaction() as tx:
            tx.delete(item, condition=Asset.customer_id.does_not_exist(), label="asset")
            events.record(tx, ctx, "asset.deleted", asset_id)
    except ConditionsFailed:
        raise Conflict(f"Asset {asset_id} changed while being deleted; read it again.") from None


def _held(customer_id: str, asset_id: str) -> Conflict:
    return Conflict(
        f"Asset {asset_id} is assigned to customer {customer_id}; unassign it first.",
        extra={"held_by": {"customer_id": customer_id}},
    )


def add_event(
    ctx: TenantContext, asset_id: str, data: schemas.AssetEventCreate, *, clock: Clock = utcnow
) -> schemas.AssetEvent:
    """Store a telemetry report; the asset's last state follows the newest report."""
    now = clock()
    if data.time > now + MAX_CLOCK_SKEW:
        raise Invalid.field("time", "lies in the future")
    retention = timedelta(days=get_settings().event_retention_days)
    if data.time < now - retention:
        raise Invalid.field("time", f"is older than the {retention.days}-day retention")
    for _attempt in range(3):
        asset = load(ctx, asset_id)
        event = _new_event(ctx, asset_id, data, now, retention)
        try:
            _store_event(asset, event, data, ctx)
            return event_schema(event)
        except ConditionsFailed as exc:
            if "asset" not in exc.labels:
                raise
            # Another report moved the asset's last state meanwhile: read and decide again.
    raise Conflict("The asset is receiving many reports at once; retry this one.")


def _new_event(
    ctx: TenantContext,
    asset_id: str,
    data: schemas.AssetEventCreate,
    now: Any,
    retention: timedelta,
) -> AssetEvent:
    event_id = new_id("evt")
    return AssetEvent(
        ctx.tenant_id,
        AssetEvent.key_for(asset_id, data.time, event_id),
        event_id=event_id,
        asset_id=asset_id,
        time=data.time,
        lat=data.lat,
        lon=data.lon,
        operating_hours=data.operating_hours,
        status=data.status,
        received_at=now,
        expires_at=data.time + retention,
    )


def _store_event(
    asset: Asset, event: AssetEvent, data: schemas.AssetEventCreate, ctx: TenantContext
) -> None:
    with Transaction() as tx:
        tx.save(event, condition=AssetEvent.event_key.does_not_exist(), label="event")
        events.record(
            tx,
            ctx,
            "asset.reported",
            asset.asset_id,
            customer_id=asset.customer_id,
            data={"event_id": event.event_id, "time": rfc3339(event.time)},
            now=event.received_at,
        )
        if asset.last_event_at is None or data.time >= asset.last_event_at:
            # The asset must still exist (an update would otherwise create a stub of it)
            # and still show the last state this decision was based on.
            unchanged = Asset.asset_id.exists() & (
                Asset.last_event_at.does_not_exist()
                if asset.last_event_at is None
                else Asset.last_event_at == asset.last_event_at
            )
            actions = [
                Asset.last_event_at.set(data.time),
                Asset.last_lat.set(data.lat) if data.lat is not None else Asset.last_lat.remove(),
                Asset.last_lon.set(data.lon) if data.lon is not None else Asset.last_lon.remove(),
            ]
            if data.operating_hours is not None:
                actions.append(Asset.operating_hours.set(data.operating_hours))
            if data.status is not None:
                actions.append(Asset.status.set(data.status))
            # Telemetry is not an edit: it must not bump the version a PATCH is based on.
            tx.update_unversioned(asset, actions, condition=unchanged, label="asset")
        else:
            tx.check(Asset, asset.tenant_id, asset.asset_id, Asset.asset_id.exists(), label="asset")


def event_schema(event: AssetEvent) -> schemas.AssetEvent:
    """The API shape of one telemetry report."""
    return schemas.AssetEvent(
        id=event.event_id,
        asset_id=event.asset_id,
        time=rfc3339(event.time),
        lat=event.lat,
        lon=event.lon,
        operating_hours=event.operating_hours,
        status=event.status,
        received_at=rfc3339(event.received_at),
    )


def list_events(ctx: TenantContext, asset_id: str, page: PageRequest) -> Page[schemas.AssetEvent]:
    """An asset's reports, newest first."""
    load(ctx, asset_id)
    prefix = AssetEvent.prefix_for(asset_id)
    items, cursor = fetch_page(
        ctx,
        f"events:{asset_id}",
        page,
        lambda **kw: AssetEvent.query(
            ctx.tenant_id, AssetEvent.event_key.startswith(prefix), scan_index_forward=False, **kw
        ),
    )
    return page_of(schemas.AssetEvent)(items=[event_schema(e) for e in items], next_cursor=cursor)
