"""What a portal user sees: the customer's assigned assets, their activity, a report.

Only assets assigned to the caller's customer, checked on the base table: the index that
lists a customer's assets is eventually consistent, so every asset it names is read back
(consistently) and kept only if it is still assigned. Unassigning an asset removes it from
the portal at once. A customer sees only its own time with an asset: positions, statuses
and operating hours from before the asset came to it (another customer's) are never shown.
The session's sources are read in the same batch as the assets (see `sessions`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.errors import Invalid, NotFound
from chalicelib.models import Asset, AssetEvent
from chalicelib.schemas import assets as asset_schemas
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of, parse_input_time, rfc3339
from chalicelib.services.fleet import assets as asset_service
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.portals import sessions
from chalicelib.tenancy import PortalContext, TenantContext

MAX_REPORT_DAYS = 366
MAX_REPORT_ASSETS = 200


def _as_tenant(ctx: PortalContext) -> TenantContext:
    # Cursors are bound to the tenant; the portal's lists are named by customer as well.
    return TenantContext(ctx.tenant_id, ctx.actor, frozenset({"read"}))


def _assigned(ctx: PortalContext, ids: list[str]) -> list[Asset]:
    found = sessions.read_with_sources(ctx, [(Asset, ctx.tenant_id, i) for i in ids])
    return [a for a in found if isinstance(a, Asset) and a.customer_id == ctx.customer_id]


def _shown(asset: Asset) -> asset_schemas.Asset:
    """The portal's view of an asset: its last report only if it came while assigned here."""
    out = asset_service.to_schema(asset)
    if asset.assigned_at and asset.last_event_at and asset.last_event_at < asset.assigned_at:
        out.last_event = None
    return out


def list_assets(ctx: PortalContext, page: PageRequest) -> Page[asset_schemas.Asset]:
    """The customer's assets (the equipment app, or the tracking app's map): one index
    query, one consistent batch read (which checks the session too)."""
    ctx.require_app("equipment", "tracking")
    key = Asset.customer_key_for(ctx.tenant_id, ctx.customer_id)
    keys, cursor = fetch_page(
        _as_tenant(ctx),
        f"portal_assets:{ctx.customer_id}",
        page,
        lambda **kw: Asset.by_customer.query(key, **kw),
        index=type(Asset.by_customer),
    )
    items = _assigned(ctx, [k.asset_id for k in keys])
    return page_of(asset_schemas.Asset)(items=[_shown(a) for a in items], next_cursor=cursor)


def _load(ctx: PortalContext, asset_id: str) -> Asset:
    found = _assigned(ctx, [asset_id])
    if not found:
        raise NotFound(f"No asset {asset_id}.")
    return found[0]


def get_asset(ctx: PortalContext, asset_id: str) -> asset_schemas.Asset:
    """One assigned asset."""
    ctx.require_app("equipment")
    return _shown(_load(ctx, asset_id))


def _since(asset: Asset) -> str:
    """The first event key the customer may see of the asset."""
    if asset.assigned_at is None:  # assigned before assignment times were kept
        return AssetEvent.prefix_for(asset.asset_id)
    return AssetEvent.key_for(asset.asset_id, asset.assigned_at, "")


def list_events(
    ctx: PortalContext, asset_id: str, page: PageRequest
) -> Page[asset_schemas.AssetEvent]:
    """An assigned asset's positions, operating hours and status since it came to the
    customer, newest first (activity app)."""
    ctx.require_app("activity")
    asset = _load(ctx, asset_id)
    since, until = _since(asset), AssetEvent.prefix_for(asset_id) + "~"
    items, cursor = fetch_page(
        _as_tenant(ctx),
        f"portal_events:{since}",  # a cursor of an earlier assignment is not taken
        page,
        lambda **kw: AssetEvent.query(
            ctx.tenant_id,
            AssetEvent.event_key.between(since, until),
            scan_index_forward=False,
            **kw,
        ),
    )
    events = [asset_service.event_schema(e) for e in items]
    return page_of(asset_schemas.AssetEvent)(items=events, next_cursor=cursor)


def _period(query: schemas.ReportQuery) -> tuple[datetime, datetime]:
    start = parse_input_time("query.start", query.start)
    end = parse_input_time("query.end", query.end)
    if not start < end:
        raise Invalid.field("query.end", "must be after start")
    if end - start > timedelta(days=MAX_REPORT_DAYS):
        raise Invalid.field("query.end", f"a report covers at most {MAX_REPORT_DAYS} days")
    return start, end


def _readings(ctx: PortalContext, asset: Asset, start: datetime, end: datetime) -> list[AssetEvent]:
    asset_id = asset.asset_id
    if asset.assigned_at is not None:
        start = max(start, asset.assigned_at)
    if start >= end:  # the whole period lies before the asset came to this customer
        return []
    low = AssetEvent.key_for(asset_id, start, "")
    high = AssetEvent.key_for(asset_id, end, "~")
    return [
        e
        for e in AssetEvent.query(
            ctx.tenant_id,
            AssetEvent.event_key.between(low, high),
            filter_condition=AssetEvent.operating_hours.exists(),
        )
    ]


def operating_hours(ctx: PortalContext, query: schemas.ReportQuery) -> schemas.OperatingHoursReport:
    """Operating hours per assigned asset over a period (reports app): the difference
    between the first and last reading inside it."""
    ctx.require_app("reports")
    start, end = _period(query)
    key = Asset.customer_key_for(ctx.tenant_id, ctx.customer_id)
    ids = [a.asset_id for a in Asset.by_customer.query(key, limit=MAX_REPORT_ASSETS)]
    rows = []
    for asset in _assigned(ctx, ids):
        readings = _readings(ctx, asset, start, end)
        first, last = (readings[0], readings[-1]) if readings else (None, None)
        hours = (
            round(float(last.operating_hours) - float(first.operating_hours), 2)
            if first and last
            else None
        )
        rows.append(
            schemas.AssetHours(
                asset_id=asset.asset_id,
                name=asset.name,
                hours=hours,
                first_reading_at=rfc3339(first.time) if first else None,
                last_reading_at=rfc3339(last.time) if last else None,
            )
        )
    return schemas.OperatingHoursReport(
        start=rfc3339(start),
        end=rfc3339(end),
        assets=rows,
        total_hours=round(sum(r.hours or 0.0 for r in rows), 2),
    )
