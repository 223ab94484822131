"""Partner shares of tracking data: the sender's grants, the partner's received shares, the
access log of both, and sessions of the tracking page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.clock import utcnow
from chalicelib.errors import Conflict
from chalicelib.handlers.router import Api
from chalicelib.schemas import shares as schemas
from chalicelib.schemas import tenants as tenant_schemas
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform import api_keys
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.shares import access_log, exports, shares
from chalicelib.services.shares.access_log import XLSX_CONTENT_TYPE, Grant
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="shares")


def _protocol(grant: Grant) -> Response:
    """The access log as an Excel file, for download; a log longer than one request answers
    is 409 with the way to ask for it as an export."""
    try:
        data = access_log.export(grant)
    except access_log.TooLong:
        raise Conflict(
            f"The log has more than {access_log.SYNC_ROWS:,} rows: ask for it as an export "
            "(POST .../access-log/exports), which is written in the background.",
            extra={"reason": "use_export"},
        ) from None
    name = access_log.file_name(grant, utcnow())
    headers: dict[str, str | list[str]] = {
        "Content-Type": XLSX_CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
        "Cache-Control": "private, no-store",
    }
    return Response(body=data, status_code=200, headers=headers)


def _log(
    ctx: TenantContext, grant: Grant, page: PageRequest, query: schemas.AccessLogQuery
) -> Page[schemas.AccessLogEntry] | Response:
    accept = blueprint.current_request.headers.get("accept")
    if access_log.wants_xlsx(accept, query.format):
        return _protocol(grant)
    return access_log.page(ctx, grant, page)


# -- the sender ------------------------------------------------------------------------------


@api.post(
    "/v1/shares",
    body=schemas.ShareCreate,
    response=schemas.Share,
    status=201,
    idempotent=True,  # share.created, in the share's transaction
)
def create_share(ctx: TenantContext, body: schemas.ShareCreate) -> schemas.Share:
    """Share assets with a partner organisation (by its public tenant id)."""
    return shares.create(ctx, body)


@api.get("/v1/shares", response=page_of(schemas.Share), paginated=True)
def list_shares(ctx: TenantContext, page: PageRequest) -> Page[schemas.Share]:
    """The shares this tenant granted."""
    return shares.list_shares(ctx, page)


@api.get("/v1/shares/{id}", response=schemas.Share)
def get_share(ctx: TenantContext, id: str) -> schemas.Share:
    """One granted share."""
    return shares.get(ctx, id)


@api.delete("/v1/shares/{id}")  # share.revoked, in the revocation's transaction
def revoke_share(ctx: TenantContext, id: str) -> None:
    """Revoke a share; the partner's next read fails."""
    shares.revoke(ctx, id)


@api.get(
    "/v1/shares/{id}/access-log",
    response=page_of(schemas.AccessLogEntry),
    paginated=True,
    query=schemas.AccessLogQuery,
)
def get_share_access_log(
    ctx: TenantContext, id: str, page: PageRequest, query: schemas.AccessLogQuery
) -> Page[schemas.AccessLogEntry] | Response:
    """Every read of the share's data and every shipment number set, oldest first; Excel
    with `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`."""
    return _log(ctx, shares.load(ctx, id), page, query)


@api.get("/v1/shares/{id}/access-log.xlsx", produces=(XLSX_CONTENT_TYPE,))
def get_share_protocol(ctx: TenantContext, id: str) -> Response:
    """The share's access log as an Excel file."""
    return _protocol(shares.load(ctx, id))


# -- the partner -----------------------------------------------------------------------------


@api.get(
    "/v1/received-shares", response=page_of(schemas.ReceivedShare), paginated=True, tracking=True
)
def list_received_shares(ctx: TenantContext, page: PageRequest) -> Page[schemas.ReceivedShare]:
    """The shares granted to this tenant."""
    return shares.list_received(ctx, page)


@api.get("/v1/received-shares/{id}", response=schemas.ReceivedShare, tracking=True)
def get_received_share(ctx: TenantContext, id: str) -> schemas.ReceivedShare:
    """One received share."""
    return shares.get_received(ctx, id)


@api.get("/v1/received-shares/{id}/assets", response=schemas.SharedAssets, tracking=True)
def read_shared_assets(ctx: TenantContext, id: str) -> schemas.SharedAssets:
    """The shared assets with their last positions. Every call is in the access log."""
    return shares.read_assets(ctx, id)


@api.put(
    "/v1/received-shares/{id}/assets/{asset_id}/shipment-number",
    body=schemas.ShipmentNumberPut,
    response=schemas.ShipmentNumberSet,
    scope="tracking",  # share.shipment_number_set, in the sender's tenant (see services.shares)
    tracking=True,
)
def put_shipment_number(
    ctx: TenantContext, id: str, asset_id: str, body: schemas.ShipmentNumberPut
) -> schemas.ShipmentNumberSet:
    """Attach a shipment number to a shared asset (not checked; logged for the sender)."""
    return shares.set_shipment_number(ctx, id, asset_id, body)


@api.get(
    "/v1/received-shares/{id}/access-log",
    response=page_of(schemas.AccessLogEntry),
    paginated=True,
    query=schemas.AccessLogQuery,
    tracking=True,
)
def get_received_access_log(
    ctx: TenantContext, id: str, page: PageRequest, query: schemas.AccessLogQuery
) -> Page[schemas.AccessLogEntry] | Response:
    """This tenant's reads of the share, oldest first; Excel as for the sender."""
    return _log(ctx, shares.load_received(ctx, id), page, query)


@api.get("/v1/received-shares/{id}/access-log.xlsx", produces=(XLSX_CONTENT_TYPE,), tracking=True)
def get_received_protocol(ctx: TenantContext, id: str) -> Response:
    """This tenant's reads of the share as an Excel file."""
    return _protocol(shares.load_received(ctx, id))


@api.post(
    "/v1/shares/{id}/access-log/exports",
    response=schemas.ProtocolExport,
    status=202,  # share.protocol_requested, in the export's transaction
)
def export_share_protocol(ctx: TenantContext, id: str) -> schemas.ProtocolExport:
    """Ask for the share's access log as an Excel file of any length, written in the
    background: follow it at GET /v1/exports/{id}."""
    return exports.request(ctx, shares.load(ctx, id))


@api.post(
    "/v1/received-shares/{id}/access-log/exports",
    response=schemas.ProtocolExport,
    status=202,
    tracking=True,
)
def export_received_protocol(ctx: TenantContext, id: str) -> schemas.ProtocolExport:
    """Ask for this tenant's reads of the share as an Excel file of any length."""
    return exports.request(ctx, shares.load_received(ctx, id))


@api.get("/v1/exports/{id}", response=schemas.ProtocolExport, tracking=True)
def get_export(ctx: TenantContext, id: str) -> schemas.ProtocolExport:
    """An export's progress (`rows_written`), and once done a link to its file that works
    for five minutes."""
    return exports.load(ctx, id)


@api.post(
    "/v1/tracking/sessions",
    body=schemas.TrackingSessionCreate,
    response=schemas.TrackingSession,
    status=201,
    scope="tracking",  # tracking.session_started, in the session's transaction (api_keys)
)
def create_tracking_session(
    ctx: TenantContext, body: schemas.TrackingSessionCreate
) -> schemas.TrackingSession:
    """The tracking page with a short-lived session: own assets, received shares, shipment
    numbers, protocols."""
    return shares.tracking_session(ctx, body)


@api.get(
    "/v1/tracking/sessions",
    response=page_of(tenant_schemas.TrackingSessionEntry),
    paginated=True,
)
def list_tracking_sessions(
    ctx: TenantContext, page: PageRequest
) -> Page[tenant_schemas.TrackingSessionEntry]:
    """The tracking page's sessions, ended ones included (never their secrets)."""
    return api_keys.list_tracking_sessions(ctx, page)


@api.delete("/v1/tracking/sessions/{id}")  # tracking.session_revoked (api_keys)
def revoke_tracking_session(ctx: TenantContext, id: str) -> None:
    """End a tracking session at once."""
    api_keys.revoke_tracking_session(ctx, id)
