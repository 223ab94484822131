"""Excel protocols too long for one request: asked for, written by the exports consumer
(fed by the event `share.protocol_requested`) into the blob store with its progress on the
export, and handed out by a link that works for five minutes.

The sender exports its share's log, the partner its received share's: the export names the
share on the asking tenant's side, and the consumer reads the log exactly as the request
would have, from the share as it is when the export runs (a share revoked since still has
its log; a share deleted since fails the export).
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import ids
from chalicelib.blobs import blob_store
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import NotFound
from chalicelib.models import Event, ProtocolExport, ReceivedShare, Share
from chalicelib.schemas import shares as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import Transaction
from chalicelib.services.shares import access_log
from chalicelib.services.shares.access_log import XLSX_CONTENT_TYPE, Grant
from chalicelib.tenancy import TenantContext

_log = logging.getLogger("portway")

REQUESTED = "share.protocol_requested"
TYPES = frozenset({REQUESTED})
KEPT = timedelta(days=7)
LINK_LIFETIME = timedelta(minutes=5)
# Longer than the consumer may run (15 minutes): a `running` export older than this was left
# by a run that timed out or ran out of memory, and the record's retry takes it over.
ABANDONED = timedelta(minutes=16)


def request(ctx: TenantContext, grant: Grant, *, clock: Clock = utcnow) -> schemas.ProtocolExport:
    """Ask for the protocol of a share the caller may read (its own, or one it received)."""
    now = clock()
    item = ProtocolExport(
        ctx.tenant_id,
        ids.new_id("exp"),
        share_id=grant.share_id,
        side="sender" if isinstance(grant, Share) else "partner",
        status="queued",
        rows_written=0,
        created_at=now,
        created_by=ctx.actor,
        expires_at=now + KEPT,
    )
    with Transaction() as tx:
        tx.save(item, condition=ProtocolExport.export_id.does_not_exist())
        events.record(
            tx,
            ctx,
            REQUESTED,
            item.export_id,
            object_type="export",
            now=now,
            data={"share_id": grant.share_id},
        )
    return to_schema(item)


def load(ctx: TenantContext, export_id: str, *, clock: Clock = utcnow) -> schemas.ProtocolExport:
    """An export of the caller's tenant, with a fresh link once it is done; 404 otherwise. A
    tracking session sees only exports of received shares, as it reads only those."""
    try:
        item = ProtocolExport.get(ctx.tenant_id, export_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such export.") from None
    if item.expires_at <= clock() or (ctx.is_tracking_session and item.side != "partner"):
        raise NotFound("No such export.")
    return to_schema(item)


def to_schema(item: ProtocolExport) -> schemas.ProtocolExport:
    """The API shape of an export (a download link only when it is done)."""
    link = None
    if item.status == "done":
        link = blob_store().download_link(
            ProtocolExport.blob_key_for(item.tenant_id, item.export_id),
            XLSX_CONTENT_TYPE,
            item.file_name or "access-log.xlsx",
            LINK_LIFETIME,
        )
    return schemas.ProtocolExport(
        id=item.export_id,
        share_id=item.share_id,
        status=item.status,  # type: ignore[arg-type]
        rows_written=int(item.rows_written or 0),
        file_name=item.file_name,
        size=int(item.size) if item.size is not None else None,
        download_url=link,
        error=item.error,
        created_at=rfc3339(item.created_at),
        finished_at=rfc3339(item.finished_at) if item.finished_at else None,
        expires_at=rfc3339(item.expires_at),
    )


def _grant(item: ProtocolExport) -> Grant | None:
    model: type[Share] | type[ReceivedShare] = Share if item.side == "sender" else ReceivedShare
    try:
        return model.get(item.tenant_id, item.share_id, consistent_read=True)
    except DoesNotExist:
        return None


def _set(item: ProtocolExport, **values: object) -> None:
    item.update(actions=[getattr(ProtocolExport, name).set(v) for name, v in values.items()])


def _start(item: ProtocolExport, now: datetime) -> bool:
    """Claim a queued export (or one a run left behind) for this run; False when another
    run has it or it is finished."""
    abandoned = (ProtocolExport.status == "running") & (ProtocolExport.started_at < now - ABANDONED)
    try:
        item.update(
            actions=[ProtocolExport.status.set("running"), ProtocolExport.started_at.set(now)],
            condition=(ProtocolExport.status == "queued") | abandoned,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def run(event: Event, *, clock: Clock = utcnow) -> None:
    """Write the export an event asked for, showing its progress; an export another run
    holds or finished (a repeated record) is left alone."""
    try:
        item = ProtocolExport.get(event.tenant_id, event.object_id or "", consistent_read=True)
    except DoesNotExist:
        return  # expired before its turn
    if not _start(item, clock()):
        return
    grant = _grant(item)
    if grant is None:
        _set(item, status="failed", error="the share no longer exists", finished_at=clock())
        return
    name = access_log.file_name(grant, clock())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "protocol.xlsx")
        rows = access_log.write_workbook(
            grant, path, progress=lambda done: _set(item, rows_written=done)
        )
        with open(path, "rb") as file:
            data = file.read()
    blob_store().put(
        ProtocolExport.blob_key_for(item.tenant_id, item.export_id), data, XLSX_CONTENT_TYPE
    )
    _set(
        item,
        status="done",
        rows_written=rows,
        file_name=name,
        size=len(data),
        finished_at=clock(),
    )
    _log.info("export %s: %d rows, %d bytes", item.export_id, rows, len(data))


def fail(event: Event, reason: str, now: datetime) -> None:
    """Mark the export an event asked for as failed (the consumer gave up on it)."""
    try:
        item = ProtocolExport.get(event.tenant_id, event.object_id or "", consistent_read=True)
    except DoesNotExist:
        return
    _set(item, status="failed", error=reason, finished_at=now)
