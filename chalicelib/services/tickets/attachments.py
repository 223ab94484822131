"""Files attached to tickets: PDFs, PNGs and JPEGs, checked like documents before they are
kept. A PDF with active content is refused wherever it hides (the documents' check); an
image must be what it claims, whole (PNG chunks with their checksums, JPEG segments from
start to end of image)."""

from __future__ import annotations

import re
import struct

from chalicelib.blobs import blob_store
from chalicelib.errors import Invalid, NotFound, PayloadTooLarge
from chalicelib.models import Ticket, TicketEntry
from chalicelib.operations import Upload
from chalicelib.schemas import tickets as schemas
from chalicelib.services.billing.documents import check_pdf
from chalicelib.services.branding.images import PNG_SIGNATURE, png_chunks
from chalicelib.services.platform.events import Acting
from chalicelib.services.tickets import tickets
from chalicelib.tenancy import TenantContext

CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg")
MAX_BYTES = 25 * 1024 * 1024  # as an upload through the store (POST /v1/uploads)
_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
# JPEG markers that stand alone (no length follows): TEM and RST0-7.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def check(data: bytes, content_type: str) -> str:
    """The content type of a file that is what it claims to be; 413 or 422 otherwise."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in CONTENT_TYPES:
        raise Invalid.field("Content-Type", "send application/pdf, image/png or image/jpeg")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"An attachment may be at most {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise Invalid.field("body", "is empty")
    if kind == "application/pdf":
        check_pdf(data)
    elif kind == "image/png":
        _check_png(data)
    else:
        _check_jpeg(data)
    return kind


def _check_png(data: bytes) -> None:
    if not data.startswith(PNG_SIGNATURE):
        raise Invalid.field("body", "is not a PNG (its first bytes are not a PNG signature)")
    chunks = png_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise Invalid.field("body", "is not a complete PNG (IHDR first, IEND last)")


def _check_jpeg(data: bytes) -> None:
    """Walk the segments from SOI to the start of scan, then find EOI at the end."""
    if not data.startswith(b"\xff\xd8\xff"):
        raise Invalid.field("body", "is not a JPEG (it does not start with a JPEG marker)")
    offset = 2
    while True:
        if offset + 4 > len(data) or data[offset] != 0xFF:
            raise Invalid.field("body", "is a damaged JPEG (a segment is cut or misplaced)")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in _STANDALONE:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2 or offset + 2 + length > len(data):
            raise Invalid.field("body", "is a damaged JPEG (a segment is cut or misplaced)")
        if marker == 0xDA:  # start of scan: image data follows up to EOI
            break
        offset += 2 + length
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise Invalid.field("body", "is not a complete JPEG (no end-of-image marker)")


def safe_name(file_name: str | None, content_type: str) -> str:
    """A download name without path parts or odd characters, with the type's extension."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", (file_name or "attachment").rsplit("/", 1)[-1])
    stem = stem.strip("._")[:80] or "attachment"
    extension = _EXTENSIONS[content_type]
    stem = re.sub(r"\.(pdf|png|jpe?g)$", "", stem, flags=re.IGNORECASE)
    return stem + extension


def store(
    by: Acting,
    item: Ticket,
    file_name: str | None,
    data: bytes,
    content_type: str,
    *,
    internal: bool,
) -> TicketEntry:
    """Check a file and keep it; the entry that names it (not yet stored)."""
    kind = check(data, content_type)
    entry = tickets.new_entry(
        by,
        item,
        "attachment",
        internal,
        file_name=safe_name(file_name, kind),
        content_type=kind,
        size=len(data),
    )
    entry.blob_key = TicketEntry.blob_key_for(item.tenant_id, item.ticket_id, entry.entry_id)
    blob_store().put(entry.blob_key, data, kind)
    return entry


def kept(by: Acting, item: Ticket, entry: TicketEntry) -> TicketEntry:
    """Store an attachment's entry (its file is stored already); if the ticket's change is
    refused, the file goes too: nothing is left half-written."""
    try:
        return tickets.add_entry(by, item, entry)
    except Exception:
        blob_store().delete(entry.blob_key or "")
        raise


def content(entry: TicketEntry) -> bytes:
    """The stored file of an attachment."""
    blob = blob_store().get(entry.blob_key or "")
    if blob is None:
        raise NotFound(f"No file for attachment {entry.entry_id}.")
    return blob.data


def attach(
    ctx: TenantContext, ticket_id: str, query: schemas.AttachmentQuery, upload: Upload
) -> schemas.TicketPosition:
    """A file the team adds to a ticket; internal unless `internal=false`."""
    item = tickets.load(ctx, ticket_id)
    entry = store(
        ctx, item, query.file_name, upload.data, upload.content_type, internal=query.internal
    )
    return tickets.entry_schema(tickets.add_entry(ctx, item, entry))


def load(ctx: TenantContext, ticket_id: str, entry_id: str) -> TicketEntry:
    """An attachment of one of the tenant's tickets."""
    entry = tickets.load_entry(tickets.load(ctx, ticket_id), entry_id)
    if entry.kind != "attachment":
        raise NotFound(f"No attachment {entry_id}.")
    return entry
