"""Invoices and credit notes of a contract: PDFs the provider uploads and the customer
downloads.

An upload is checked before anything is stored: it must be a PDF that a PDF reader opens,
with at least one page, not encrypted, and without active content (scripts, actions other than
going to one of its pages, XFA forms, embedded files, media) in any object a reader may find,
compressed or not, listed in the file's index or not. The PDF goes to the blob store first and
the record second, so a record never points at a missing file; the record's transaction holds
its `contract.document_uploaded` event.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from chalicelib.blobs import blob_store
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Contract, Document
from chalicelib.operations import Upload
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.billing import contracts
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.tenancy import SelfServiceContext, TenantContext

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import PdfObject

_log = logging.getLogger("portway")
PDF_CONTENT_TYPE = "application/pdf"
# Bounds of the check. An invoice has a few hundred objects nested a few levels deep and object
# streams of some hundred kilobytes; a file beyond any bound is refused rather than walked.
MAX_OBJECTS = 20_000  # objects (and object headers found in the bytes)
MAX_DEPTH = 64  # dictionaries and arrays inside each other, in one object
MAX_VALUES = 1_000_000  # values looked at, in all
MAX_UNPACKED_BYTES = 8 * 1024 * 1024  # what the object streams unpack to, together
MAX_STREAM_BYTES = 1024 * 1024  # what one compressed stream pypdf reads may unpack to
# Shown to the customer: at most this many documents, newest first.
MAX_LISTED = 100

# What the provider reads when a PDF is refused: what was found in it.
JAVASCRIPT = "the PDF runs JavaScript"
LAUNCH = "the PDF starts programs or opens files on the reader's computer"
LINK = "the PDF opens a link, another file or a network share"
FORM = "the PDF sends, loads or resets form data"
NAMED = "the PDF runs viewer commands (named actions)"
MEDIA = "the PDF plays sound, video, 3D or rich media"
EMBEDDED = "the PDF contains embedded files"
XFA = "the PDF contains an XFA form"
EVENTS = "the PDF runs actions"
TOO_DEEP = f"the PDF nests its objects too deeply (more than {MAX_DEPTH} levels)"
TOO_MANY = f"the PDF has more than {MAX_OBJECTS} objects"
TOO_BIG = "the PDF is too large or too complex to check"
UNREADABLE = "the PDF cannot be read"
# Where an action was found, added to its reason.
WHEN_OPENED = " when opened"
ON_EVENTS = " on page or form events"

# Action types (`/S`) and what they do. An action of any other type than /GoTo (go to a page
# of this file) is refused too: an invoice needs none, and new kinds keep being added.
_ACTIONS = {
    "/JavaScript": JAVASCRIPT,
    "/Launch": LAUNCH,
    "/GoToR": LINK,
    "/GoToE": LINK,
    "/URI": LINK,
    "/Thread": LINK,
    "/SubmitForm": FORM,
    "/ImportData": FORM,
    "/ResetForm": FORM,
    "/Named": NAMED,
    "/Sound": MEDIA,
    "/Movie": MEDIA,
    "/Rendition": MEDIA,
    "/RichMediaExecute": MEDIA,
    "/Hide": "the PDF runs an action (Hide)",
}
_HARMLESS_ACTIONS = frozenset({"/GoTo"})
# Entries whose value is an action (or, for /Next, a list of them), and where it runs.
_ACTION_ENTRIES = {"/OpenAction": WHEN_OPENED, "/A": "", "/Next": ""}
# Entries that are active content whatever their value: scripts (document-level, or any
# dictionary's /JS), XFA forms, embedded files (a file specification's /EF, with or without
# its optional /Type), rich media.
_ACTIVE_ENTRIES = {
    "/JS": JAVASCRIPT,
    "/JavaScript": JAVASCRIPT,
    "/XFA": XFA,
    "/EmbeddedFiles": EMBEDDED,
    "/EF": EMBEDDED,
    "/RichMediaContent": MEDIA,
    "/RichMediaSettings": MEDIA,
}
_ACTIVE_TYPES = {"/EmbeddedFile": EMBEDDED}
_ACTIVE_SUBTYPES = {
    "/FileAttachment": EMBEDDED,
    "/RichMedia": MEDIA,
    "/3D": MEDIA,
    "/Screen": MEDIA,
    "/Movie": MEDIA,
    "/Sound": MEDIA,
}
# pypdf's limits of what one stream may unpack to, set to MAX_STREAM_BYTES while checking.
_DECODING_LIMITS = (
    "zlib_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "brotli_maximum_output_length",
    "array_based_stream_maximum_output_length",
)
# `n g obj` anywhere in the file: how a reader finds objects when it rebuilds a damaged index.
# (Whitespace as a PDF reader reads it, NUL included, and as pypdf's own search does.)
_SPACE = b"\x00\t\n\x0b\x0c\r "
_OBJECT_HEADER = re.compile(rb"(?<![^%s])(\d{1,10})[%s]+(\d{1,5})[%s]+obj" % ((_SPACE,) * 3))


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


def check_pdf(data: bytes) -> int:
    """The number of pages of a harmless PDF; 422 for anything else."""
    if not data.startswith(b"%PDF-"):
        raise _refuse("not a PDF (a PDF starts with %PDF-)")
    if b"%%EOF" not in data[-1024:]:
        raise _refuse("the PDF is incomplete (no %%EOF at its end)")
    pages = _read_pdf(data, _object_headers(data))
    if pages < 1:
        raise _refuse("the PDF has no pages")
    return pages


def _stream_header(stream: Any, data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Where an object stream's objects start (/First) and its (number, offset) pairs."""
    first = _resolve(_entries_of(stream).get("/First"))
    tokens = data[:first].split() if isinstance(first, int) and first >= 0 else [b"?"]
    if len(tokens) % 2 or not all(token.isdigit() for token in tokens):
        raise _refuse(UNREADABLE)
    if len(tokens) // 2 > MAX_OBJECTS:
        raise _refuse(TOO_MANY)
    numbers = [int(token) for token in tokens]
    return first, list(zip(numbers[0::2], numbers[1::2], strict=True))


def _object_headers(data: bytes) -> dict[tuple[int, int], list[int]]:
    """Where each object (generation, number) is defined, as a reader that rebuilds a damaged
    index finds them: at every `n g obj` in the file, in the file's order."""
    found: dict[tuple[int, int], list[int]] = {}
    for count, match in enumerate(_OBJECT_HEADER.finditer(data)):
        if count >= MAX_OBJECTS:
            raise _refuse(TOO_MANY)
        found.setdefault((int(match[2]), int(match[1])), []).append(match.start())
    return found


def _read_pdf(data: bytes, headers: dict[tuple[int, int], list[int]]) -> int:
    """The pages of a PDF without active content, as a PDF reader sees the file; 422 when
    it cannot be read or has active content."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(None, **dict.fromkeys(_DECODING_LIMITS, MAX_STREAM_BYTES)):
            reader = _reader_type()(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise _refuse("the PDF is encrypted; upload it without a password")
            _Walk(reader, headers).run()
            return len(reader.pages)
    except Invalid:
        raise
    except RecursionError:
        raise _refuse(TOO_DEEP) from None
    except LimitReachedError:
        raise _refuse(TOO_BIG) from None
    except Exception:  # pypdf raises many kinds on damaged files; none may become a 500
        _log.info("a PDF upload could not be parsed", exc_info=True)
        raise _refuse(UNREADABLE) from None


@cache
def _reader_type() -> type[PdfReader]:
    """pypdf's reader, resolving references only to objects the file defines and unpacking
    object streams only within the bound."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, NullObject

    class Reader(PdfReader):
        # (generation, number) of every object the index lists, its object streams hold or
        # the file has an `n g obj` for; None while the reader reads the index.
        defined: set[tuple[int, int]] | None = None
        unpacked = 0
        counted: set[int] | None = None

        def check_from_now(self, defined: set[tuple[int, int]]) -> None:
            """Resolve references only to `defined` objects, count what object streams
            unpack to, and read objects strictly: where pypdf cannot read a value it keeps a
            dictionary's start, and of a key written twice its first value, where another
            reader may read on or take the second; strict, it refuses such a file."""
            self.defined, self.counted, self.strict = defined, set(), True

        def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
            if isinstance(indirect_reference, int):
                indirect_reference = IndirectObject(indirect_reference, 0, self)
            number, generation = indirect_reference.idnum, indirect_reference.generation
            if self.defined is not None:
                if (generation, number) not in self.defined:
                    # pypdf would search the whole file for it, once for each such reference:
                    # a file of dangling references would take minutes. It was searched once.
                    return NullObject()
                if generation == 0 and number in self.xref_objStm:
                    _unpack_container(self, self.xref_objStm[number][0])
            return super().get_object(indirect_reference)

    return Reader


def _unpack_container(reader: Any, number: int) -> None:
    """Count the object stream `number` before pypdf unpacks it to read an object in it."""
    from pypdf.generic import IndirectObject, StreamObject

    if number not in reader.xref_objStm:  # (a stream cannot be in an object stream)
        container = reader.get_object(IndirectObject(number, 0, reader))
        if isinstance(container, StreamObject):
            _unpack(reader, container)


def _unpack(reader: Any, stream: Any) -> bytes:
    """A stream's data, counted (once) against the bound of unpacked object streams."""
    from pypdf.errors import LimitReachedError

    data: bytes = stream.get_data()
    if reader.counted is not None and id(stream) not in reader.counted:
        reader.counted.add(id(stream))
        reader.unpacked += len(data)
    if reader.unpacked > MAX_UNPACKED_BYTES:
        # (pypdf lets this kind of error through wherever it reads leniently)
        raise LimitReachedError("the object streams unpack to too much")
    return data


class _Walk:
    """One look at every definition of every object of a file, within the bounds: every
    `n g obj` in the file's bytes and every entry of every object stream, whether the index
    lists it or not, and whatever else the index lists. A reader that rebuilds a damaged index
    finds them all, and a reader showing an earlier revision (of a signed file, say) shows
    what later ones replaced, so scanning the whole file is safer than trusting its index or
    refusing files whose index pypdf had to repair (many generators write slightly wrong
    offsets, and pypdf's repair scans the same way)."""

    def __init__(self, reader: Any, headers: dict[tuple[int, int], list[int]]) -> None:
        self.reader = reader
        self.headers = headers
        self.values = 0

    def run(self) -> None:
        """Refuse the file when any of its objects is, or holds, active content."""
        reader = self.reader
        listed = {(g, n): at for g, table in reader.xref.items() for n, at in table.items()}
        defined = set(listed) | {(0, n) for n in reader.xref_objStm} | set(self.headers)
        if len(defined) > MAX_OBJECTS:
            raise _refuse(TOO_MANY)
        for (generation, number), offsets in self.headers.items():
            if (generation, number) not in listed and number not in reader.xref_objStm:
                # Found only by scanning: references to it resolve to its last definition, as
                # in an index a reader rebuilds (and without pypdf searching the file again).
                reader.xref.setdefault(generation, {})[number] = offsets[-1]
        reader.check_from_now(defined)
        root = _resolve(_entries_of(reader.trailer).get("/Root"))
        objects = self._definitions(listed)
        # The trailer and catalog first, so that an open action is reported as one.
        for item in (reader.trailer, root, *objects):
            self.check(item)
        reader.strict = False

    def _definitions(self, listed: dict[tuple[int, int], int]) -> list[Any]:
        """Every definition of every object: at each `n g obj`, where the index points and
        the scan found no header, and in each object stream."""
        found = {offset: key for key, offsets in self.headers.items() for offset in offsets}
        # Each with its number when read through the index (pypdf reads it once, and caches
        # it for references to it), else read where its header is.
        definitions: list[tuple[Any, int | None]] = []
        for offset, key in sorted(found.items()):
            if listed.get(key) == offset and self._indexed(key):
                definitions.append((self._resolve(key), key[1]))
            else:
                definitions.append((self._read_at(offset), None))
        for key, offset in sorted(listed.items()):
            if offset not in found and self._indexed(key):
                definitions.append((self._resolve(key), key[1]))
        items = [item for item, _ in definitions]
        for item, number in definitions:
            if _is_object_stream(item):
                items.extend(self._entries(item, number))
        return items

    def _indexed(self, key: tuple[int, int]) -> bool:
        """Whether pypdf reads object `key` (generation, number) where the index points."""
        generation, number = key
        free = self.reader.xref_free_entry.get(generation, {}).get(number, False)
        compressed = generation == 0 and number in self.reader.xref_objStm
        return generation != 65535 and not free and not compressed

    def _resolve(self, key: tuple[int, int]) -> Any:
        from pypdf.generic import IndirectObject

        return self.reader.get_object(IndirectObject(key[1], key[0], self.reader))

    def _read_at(self, offset: int) -> Any:
        from pypdf.generic import read_object

        stream = self.reader.stream
        stream.seek(offset)
        self.reader.read_object_header(stream)
        return read_object(stream, self.reader)

    def _entries(self, stream: Any, number: int | None) -> list[Any]:
        """Every object an object stream holds: what pypdf reads through the index for the
        entries it resolves to this stream (object `number`), and the others (left out of the
        index, or a number written twice) read here."""
        from pypdf.generic import read_object

        data = _unpack(self.reader, stream)
        first, header = _stream_header(stream, data)
        buffer = io.BytesIO(data)
        entries, seen = [], set()
        for entry, offset in header:
            if number is not None and entry not in seen and self._holds(number, entry):
                entries.append(self._resolve((0, entry)))
            else:
                buffer.seek(first + offset)
                entries.append(read_object(buffer, self.reader))
            seen.add(entry)
        return entries

    def _holds(self, stream_number: int, entry: int) -> bool:
        """Whether the index finds object `entry` in object stream `stream_number`."""
        return bool(self.reader.xref_objStm.get(entry, (None,))[0] == stream_number)

    def check(self, item: Any) -> None:
        """Refuse `item` when it, or any dictionary or array written inside it, is active
        content. References are not followed: what they point at is an object of its own."""
        from pypdf.generic import ArrayObject, DictionaryObject

        stack = [(item, 0)]
        while stack:
            value, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise _refuse(TOO_DEEP)
            if isinstance(value, DictionaryObject):
                _check_dictionary(value)
                children = list(dict.values(value))
            elif isinstance(value, ArrayObject):
                children = value
            else:
                continue
            self.values += len(children)
            if self.values > MAX_VALUES:
                raise _refuse(TOO_BIG)
            containers = (DictionaryObject, ArrayObject)
            stack.extend((c, depth + 1) for c in children if isinstance(c, containers))


def _check_dictionary(item: Any) -> None:
    """Refuse a dictionary that is, or directly names, active content."""
    entries = _entries_of(item)
    for key in entries:
        if key in _ACTIVE_ENTRIES:
            raise _refuse(_ACTIVE_ENTRIES[key])
    for key, where in _ACTION_ENTRIES.items():
        for action in _actions(_resolve(entries.get(key))):
            reason = _action_reason(action)
            if reason:
                raise _refuse(reason + where)
    if "/AA" in entries:
        _check_events(_resolve(entries["/AA"]))
    reason = _kind_reason(entries)
    if reason:
        raise _refuse(reason)


def _entries_of(item: Any) -> dict[str, Any]:
    """A dictionary's entries by name as a PDF reader reads them: pypdf has undone #xx escapes
    but reads a NUL byte (whitespace, to a PDF reader) into the name before it."""
    if not any("\x00" in key for key in item):
        return dict(item.items())
    entries = {_canonical(key): value for key, value in item.items()}
    if len(entries) < len(item):  # a key written twice
        raise _refuse(UNREADABLE)
    return entries


def _canonical(name: str) -> str:
    return name.split("\x00", 1)[0]


def _check_events(actions: Any) -> None:
    """Refuse additional actions (on opening or closing a page, on a field's change, ...)
    unless there are none."""
    from pypdf.generic import DictionaryObject

    if isinstance(actions, DictionaryObject):
        if not actions:
            return
        for action in dict.values(actions):
            reason = _action_reason(_resolve(action))
            if reason:
                raise _refuse(reason + ON_EVENTS)
    raise _refuse(EVENTS + ON_EVENTS)


def _kind_reason(entries: dict[str, Any]) -> str | None:
    """Why a dictionary is active content by what it is: an action, an embedded file, an
    annotation that plays media or holds a file."""
    action = _name(entries, "/S")
    if action in _ACTIONS:
        return _ACTIONS[action]
    if _name(entries, "/Type") == "/Action":
        return _action_reason_of(entries)
    return _ACTIVE_TYPES.get(_name(entries, "/Type") or "") or _ACTIVE_SUBTYPES.get(
        _name(entries, "/Subtype") or ""
    )


def _actions(value: Any) -> list[Any]:
    """The actions an entry holds: none, one, or (for /Next) an array of them."""
    from pypdf.generic import ArrayObject

    if value is None:
        return []
    return [_resolve(v) for v in value] if isinstance(value, ArrayObject) else [value]


def _action_reason(action: Any) -> str | None:
    """Why an action is refused; None for a destination (an array, a name or a string)."""
    from pypdf.generic import DictionaryObject

    return _action_reason_of(_entries_of(action)) if isinstance(action, DictionaryObject) else None


def _action_reason_of(entries: dict[str, Any]) -> str | None:
    """Why an action (its entries) is refused; None for going to a page of this file."""
    kind = _name(entries, "/S")
    if kind is None or kind in _HARMLESS_ACTIONS:
        return None
    return _ACTIONS.get(kind, f"the PDF runs an action ({kind[1:]})")


def _name(entries: dict[str, Any], key: str) -> str | None:
    """An entry when it is a name, as a PDF reader reads it (see _entries_of)."""
    from pypdf.generic import NameObject

    value = _resolve(entries.get(key))
    return _canonical(value) if isinstance(value, NameObject) else None


def _resolve(value: Any) -> Any:
    """What a value is, references followed (a few: a reference to a reference is rare)."""
    from pypdf.generic import IndirectObject

    for _ in range(8):
        if not isinstance(value, IndirectObject):
            return value
        value = value.get_object()
    return None


def _is_object_stream(item: Any) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(item, StreamObject) and _name(_entries_of(item), "/Type") == "/ObjStm"


def upload(
    ctx: TenantContext,
    contract_id: str,
    query: schemas.DocumentQuery,
    file: Upload,
    *,
    clock: Clock = utcnow,
) -> schemas.Document:
    """Add an invoice or credit note (a PDF) to a contract."""
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
            # The PDF is stored already; the event comes with the record that makes it
            # a document (and goes with it if that fails).
            events.record(
                tx,
                ctx,
                "contract.document_uploaded",
                contract_id,
                customer_id=contract.customer_id,
                data={"document_id": document_id, "kind": item.kind, "number": item.number},
                now=now,
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


def latest(ctx: SelfServiceContext) -> list[Document]:
    """The link's contract's newest documents (one query), newest first."""
    return list(
        Document.query(
            ctx.tenant_id,
            Document.document_key.startswith(Document.prefix_for(ctx.contract_id)),
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
