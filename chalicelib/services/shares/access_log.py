"""The access log of partner shares: written before shared data is read, read back by both
sides in time order, as JSON pages or as an Excel protocol.

One share's log is spread over `log_shards` partitions (the share says how many), each entry
on a random one; reading merges the shards by their time-ordered sort keys. A JSON page asks
each shard for one page and keeps, in its cursor, where each shard stands.
"""

from __future__ import annotations

import heapq
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from chalicelib.ids import new_id
from chalicelib.models import AccessLogEntry, ReceivedShare, Share
from chalicelib.models.shares import LoggedAsset
from chalicelib.schemas import shares as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform.pagination import PageRequest, decode_cursor, encode_cursor
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import TenantContext

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's limits: characters in a cell, rows in a sheet.
MAX_CELL_CHARS = 32_767
MAX_SHEET_ROWS = 1_048_576
# How many entries one query of one shard asks for while exporting.
EXPORT_PAGE = 500
HEADINGS = (
    "Time (UTC)",
    "Sender",
    "Recipient",
    "Contact",
    "Share",
    "Device",
    "Device id",
    "Shipment number",
    "Event",
    "Channel",
    "By",
)

Grant = Share | ReceivedShare


def _sender(grant: Grant) -> str:
    return grant.tenant_id if isinstance(grant, Share) else grant.sender_tenant_id


def new_entry(
    grant: Grant,
    *,
    kind: str,
    channel: str,
    actor: str,
    assets: list[tuple[str, str, str | None]],
    now: datetime,
) -> AccessLogEntry:
    """An entry of the share's log on a random shard, not yet stored."""
    entry_id = new_id("acc")
    shard = secrets.randbelow(int(grant.log_shards or 1))
    return AccessLogEntry(
        AccessLogEntry.log_key_for(_sender(grant), grant.share_id, shard),
        AccessLogEntry.key_for(now, entry_id),
        entry_id=entry_id,
        time=now,
        kind=kind,
        channel=channel,
        actor=actor,
        share_id=grant.share_id,
        share_name=grant.name,
        sender_public_id=grant.sender_public_id,
        partner_public_id=grant.partner_public_id,
        contact_email=grant.contact_email,
        assets=[
            LoggedAsset(asset_id=a, name=n, shipment_number=s)  # type: ignore[no-untyped-call]
            for a, n, s in assets
        ],
    )


def record(tx: Transaction, entry: AccessLogEntry) -> AccessLogEntry:
    """Add one entry to the transaction of its read or change (which holds its event too);
    a failed commit propagates, so the read does not happen."""
    tx.save(entry, condition=AccessLogEntry.entry_key.does_not_exist())
    return entry


def entry_out(item: AccessLogEntry) -> schemas.AccessLogEntry:
    """The API shape of an entry."""
    return schemas.AccessLogEntry(
        id=item.entry_id,
        time=rfc3339(item.time),
        kind=item.kind,  # type: ignore[arg-type]
        channel=item.channel,  # type: ignore[arg-type]
        actor=item.actor,
        share_id=item.share_id,
        share_name=item.share_name,
        sender_tenant_id=item.sender_public_id,
        partner_tenant_id=item.partner_public_id,
        contact_email=item.contact_email,
        assets=[
            schemas.LogAsset(asset_id=a.asset_id, name=a.name, shipment_number=a.shipment_number)
            for a in item.assets or []
        ],
    )


def _shard_keys(grant: Grant) -> list[str]:
    return [
        AccessLogEntry.log_key_for(_sender(grant), grant.share_id, shard)
        for shard in range(int(grant.log_shards or 1))
    ]


def _shard(key: str, after: str | None, limit: int | None) -> Iterator[AccessLogEntry]:
    condition = AccessLogEntry.entry_key > after if after else None
    return AccessLogEntry.query(
        key,
        range_key_condition=condition,
        limit=limit,
        page_size=min(limit or EXPORT_PAGE, EXPORT_PAGE),
    )


def entries(grant: Grant) -> Iterator[AccessLogEntry]:
    """Every entry of the share's log, oldest first: the shards merged as they stream (each
    shard read a page at a time, so memory does not grow with the log)."""
    streams = [_shard(key, None, None) for key in _shard_keys(grant)]
    return heapq.merge(*streams, key=lambda e: e.entry_key)


def _tagged(shard: int, stream: Iterator[AccessLogEntry]) -> Iterator[tuple[int, AccessLogEntry]]:
    """Entries of one shard, each with the shard's number."""
    for entry in stream:
        yield shard, entry


def page(ctx: TenantContext, grant: Grant, request: PageRequest) -> Page[schemas.AccessLogEntry]:
    """One page of the log, oldest first. Each shard is asked for at most one page; the
    cursor keeps the last key taken from each."""
    list_name = f"access_log:{grant.share_id}"
    raw = decode_cursor(ctx, list_name, request.cursor) or {}
    keys = _shard_keys(grant)
    after = {k: raw.get(str(i), {}).get("S") for i, k in enumerate(keys)}
    streams = [_tagged(i, _shard(k, after[k], request.limit + 1)) for i, k in enumerate(keys)]
    merged = heapq.merge(*streams, key=lambda pair: pair[1].entry_key)
    taken: list[tuple[int, AccessLogEntry]] = []
    more = False
    for pair in merged:
        if len(taken) == request.limit:
            more = True
            break
        taken.append(pair)
    cursor = None
    if more:
        last = {str(i): {"S": str(after[k])} for i, k in enumerate(keys) if after[k]}
        for shard, item in taken:
            last[str(shard)] = {"S": item.entry_key}
        cursor = encode_cursor(ctx, list_name, last)
    return page_of(schemas.AccessLogEntry)(
        items=[entry_out(e) for _, e in taken], next_cursor=cursor
    )


# -- the Excel protocol ----------------------------------------------------------------------


def cell_text(value: str | None) -> str:
    """A value as a cell shows it, within Excel's limit (cut visibly, never silently)."""
    text = value or ""
    if len(text) > MAX_CELL_CHARS:
        marker = " [cut: longer than Excel allows]"
        text = text[: MAX_CELL_CHARS - len(marker)] + marker
    return text


def _rows(grant: Grant) -> Iterator[list[str | datetime]]:
    for entry in entries(grant):
        for asset in entry.assets or []:
            yield [
                entry.time.astimezone(UTC).replace(tzinfo=None),
                entry.sender_public_id,
                entry.partner_public_id,
                entry.contact_email or "",
                entry.share_name,
                asset.name,
                asset.asset_id,
                asset.shipment_number or "",
                "shipment number set" if entry.kind == "shipment_number" else "read",
                entry.channel,
                entry.actor,
            ]


# Rows answered in the request itself; a longer log is written by the exports consumer
# (about 1.2 MB of Excel per 20,000 rows: a response carries at most 4 MB).
SYNC_ROWS = 20_000
PROGRESS_EVERY = 5_000


class TooLong(Exception):
    """The log has more rows than one request answers."""


def write_workbook(
    grant: Grant,
    path: str,
    *,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the protocol as an .xlsx file at `path`, in constant memory (row by row to a
    temporary file) from the streamed log; the number of rows. Every value from a person is a
    string cell: text that starts with `=`, `+`, `-` or `@` is never a formula, and nothing
    becomes a link. TooLong past `limit` rows; `progress(rows)` every PROGRESS_EVERY rows."""
    import xlsxwriter  # type: ignore[import-untyped]  # on the export path only

    folder = os.path.dirname(path)
    book = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": folder,
        },
    )
    bold = book.add_format({"bold": True})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet, row, written = None, MAX_SHEET_ROWS, 0
    for values in _rows(grant):
        if limit is not None and written >= limit:
            book.close()
            raise TooLong
        if row >= MAX_SHEET_ROWS:  # a full sheet continues on the next
            sheet = book.add_worksheet(f"Protocol {len(book.worksheets()) + 1}")
            sheet.set_column(0, 0, 20)
            sheet.set_column(1, len(HEADINGS) - 1, 18)
            for column, heading in enumerate(HEADINGS):
                sheet.write_string(0, column, heading, bold)
            row = 1
        assert sheet is not None
        sheet.write_datetime(row, 0, values[0], stamp)
        for column, value in enumerate(values[1:], start=1):
            sheet.write_string(row, column, cell_text(str(value)))
        row += 1
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    if sheet is None:  # an empty log is a sheet with its headings
        sheet = book.add_worksheet("Protocol 1")
        for column, heading in enumerate(HEADINGS):
            sheet.write_string(0, column, heading, bold)
    book.close()
    return written


def export(grant: Grant, *, whole: bool = False) -> bytes:
    """The protocol as .xlsx bytes: of at most SYNC_ROWS rows (TooLong otherwise), or the
    whole log however long."""
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/protocol.xlsx"
        write_workbook(grant, path, limit=None if whole else SYNC_ROWS)
        with open(path, "rb") as file:
            return file.read()


def file_name(grant: Grant, now: datetime) -> str:
    """`access-log-{share name}-{date}.xlsx`, in letters, digits, dots and dashes only."""
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", grant.name).strip("-.")[:60] or "share"
    return f"access-log-{name}-{now.date().isoformat()}.xlsx"


def wants_xlsx(accept: str | None, query_format: str) -> bool:
    """True when the caller asked for Excel (`?format=xlsx` or the Accept header)."""
    return query_format == "xlsx" or XLSX_CONTENT_TYPE in (accept or "")
