"""Invoices and credit notes of a contract: PDFs the provider uploads and the customer
downloads.

An upload is checked before anything is stored: it must be a PDF that a PDF reader opens,
with at least one page, not encrypted, and without active content (JavaScript, launch
actions, embedded files). The PDF goes to the blob store first and the record second, so a
record never points at a missing file.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from typing import Any

from chalicelib.blobs import blob_store
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Contract, Document
from chalicelib.operations import Upload
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services import contracts
from chalicelib.services.pagination import PageRequest, fetch_page
from chalicelib.services.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.tenancy import TenantContext

_log = logging.getLogger("portway")
PDF_CONTENT_TYPE = "application/pdf"
# Names that make a document do something when it is opened or clicked: as dictionary keys,
# as action types (`/S`), or anywhere in the file's bytes (names may be written with #xx
# escapes, which are undone before looking).
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia", "/XFA"}
    | {"/AA", "/SubmitForm", "/ImportData"}
)
_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/GoToE"}
)
_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|AA)(?![A-Za-z])"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# An invoice has a few hundred objects; a file with very many is refused rather than walked.
MAX_OBJECTS = 20_000
# Shown to the customer: at most this many documents, newest first.
MAX_LISTED = 100


def document_out(item: Document) -> schemas.Document:
    """The API shape of a document."""
    return schemas.Document(
        id=item.document_id,
        contract_id=item.contract_id,
        kind=item.kind,  # type: ignore[arg-type]
        number=item.number,
        issued_on=item.issued_on,
        size=int(item.size),
        pages=int(item.pages),
        created_at=rfc3339(item.created_at),
    )


def _refuse(message: str) -> Invalid:
    return Invalid.field("body", message)


def _read_pdf(data: bytes) -> tuple[int, bool]:
    """(pages, has active content) as a PDF reader sees the file; 422 when it cannot."""
    from pypdf import PdfReader  # on the upload path only

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("the PDF is encrypted; upload it without a password")
        pages = len(reader.pages)
        active = _has_active_objects(reader)
    except Invalid:
        raise
    except Exception:  # pypdf raises many kinds on damaged files; none may become a 500
        _log.info("a PDF upload could not be parsed", exc_info=True)
        raise _refuse("the PDF cannot be read") from None
    return pages, active


def _has_active_objects(reader: Any) -> bool:
    """True when any object of the file (compressed object streams included) is an action
    that runs something, or names scripts, launches or embedded files."""
    from pypdf.generic import DictionaryObject, IndirectObject

    ids = {(number, generation) for generation, table in reader.xref.items() for number in table}
    ids |= {(number, 0) for number in reader.xref_objStm}
    if len(ids) > MAX_OBJECTS:
        raise _refuse(f"the PDF has more than {MAX_OBJECTS} objects")
    for number, generation in sorted(ids):
        item = reader.get_object(IndirectObject(number, generation, reader))
        if isinstance(item, DictionaryObject) and (
            _ACTIVE_KEYS & set(item.keys())
            or item.get("/S") in _ACTIVE_ACTIONS
            or item.get("/Type") == "/EmbeddedFile"
        ):
            return True
    return False


def check_pdf(data: bytes) -> int:
    """The number of pages of a harmless PDF; 422 for anything else."""
    if not data.startswith(b"%PDF-"):
        raise _refuse("not a PDF (a PDF starts with %PDF-)")
    if b"%%EOF" not in data[-1024:]:
        raise _refuse("the PDF is incomplete (no %%EOF at its end)")
    pages, active = _read_pdf(data)
    if active or _ACTIVE.search(_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)):
        raise _refuse("the PDF has active content (scripts, actions or embedded files)")
    if pages < 1:
        raise _refuse("the PDF has no pages")
    return pages


def upload(
    ctx: TenantContext,
    contract_id: str,
    query: schemas.DocumentQuery,
    file: Upload,
    *,
    clock: Clock = utcnow,
) -> schemas.Document:
    """Add an invoice or credit note (a PDF) to a contract."""
    ctx.require("write")
    contract = contracts.load(ctx, contract_id)
    pages = check_pdf(file.data)
    now: datetime = clock()
    document_id = new_id("doc")
    key = Document.blob_key_for(ctx.tenant_id, contract_id, document_id)
    blob_store().put(key, file.data, PDF_CONTENT_TYPE)
    item = Document(
        ctx.tenant_id,
        Document.key_for(contract_id, document_id),
        document_id=document_id,
        contract_id=contract_id,
        kind=query.kind,
        number=query.number or document_id,
        issued_on=query.issued_on or now.date().isoformat(),
        blob_key=key,
        size=len(file.data),
        pages=pages,
        created_at=now,
    )
    try:
        with Transaction() as tx:
            tx.save(item, condition=Document.document_key.does_not_exist())
            tx.update_unversioned(
                contract, [Contract.document_count.add(1)], Contract.contract_id.exists()
            )
    except ConditionsFailed:  # pragma: no cover - the contract cannot be deleted
        blob_store().delete(key)
        raise NotFound(f"No contract {contract_id}.") from None
    except Exception:
        blob_store().delete(key)
        raise
    return document_out(item)


def list_documents(
    ctx: TenantContext, contract_id: str, page: PageRequest
) -> Page[schemas.Document]:
    """A contract's documents, oldest first."""
    contracts.load(ctx, contract_id)
    items, cursor = fetch_page(
        ctx,
        f"documents:{contract_id}",
        page,
        lambda **kw: Document.query(
            ctx.tenant_id, Document.document_key.startswith(Document.prefix_for(contract_id)), **kw
        ),
    )
    return page_of(schemas.Document)(items=[document_out(i) for i in items], next_cursor=cursor)


def latest(tenant_id: str, contract_id: str) -> list[Document]:
    """The contract's newest documents (one query), newest first."""
    return list(
        Document.query(
            tenant_id,
            Document.document_key.startswith(Document.prefix_for(contract_id)),
            scan_index_forward=False,
            limit=MAX_LISTED,
            consistent_read=True,
        )
    )


def load(ctx: TenantContext, contract_id: str, document_id: str) -> Document:
    """One document of the tenant's contract; 404 otherwise."""
    return load_owned(Document, ctx, Document.key_for(contract_id, document_id), "document")


def file_name(item: Document) -> str:
    """A safe download name: `invoice-2026-0001.pdf`."""
    number = re.sub(r"[^A-Za-z0-9._-]", "_", item.number)[:60]
    return f"{item.kind.replace('_', '-')}-{number}.pdf"


def pdf(item: Document) -> bytes:
    """The document's PDF."""
    blob = blob_store().get(item.blob_key)
    if blob is None:
        raise NotFound("The document's file is missing.")
    return blob.data
