"""Importing customers from a CSV or Excel file: read and check everything first (a preview
naming each problem by its row), write only what the person confirms.

Reading takes a header row whose names may be English, German or Danish (`Name`,
`Kundennummer`, `E-Mail`, `Sprog`, ...), `;`, `,` or tab as separator, UTF-8 with or without
a BOM. A line that is not UTF-8 is a problem of its row (`encoding`), as is a cell that would
run as a formula when the file is opened in a spreadsheet again (`formula`), a missing name
(`required`), a value the API would refuse (`invalid`, with the API's own message), and an
external id that is in the file twice or in the tenant already (`duplicate_in_file`,
`duplicate_existing`).

Writing is all the rows (refused while any has a problem) or exactly the rows without
problems. Each customer's id is chosen when the file is read, so writing again after a
failure, or twice at once, never makes a second customer; it goes on in slices
(`ROWS_PER_CALL`) so that a request stays short and the console can show progress. Each
transaction writes up to 99 customers and one `customer.imported` event naming them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.blobs import blob_store
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.ids import new_id
from chalicelib.models import Customer, CustomerImport
from chalicelib.models.base import search_text_for
from chalicelib.operations import Upload
from chalicelib.schemas import imports as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.schemas.customers import CustomerCreate
from chalicelib.schemas.validation import decode
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import (
    ConditionsFailed,
    Transaction,
    batch_get,
    condition_failed,
    load_owned,
)
from chalicelib.tenancy import TenantContext

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = (CSV_TYPE, XLSX_TYPE)
MAX_ROWS = 10_000
MAX_PROBLEMS_SHOWN = 1_000
PREVIEW_ROWS = 20
ROWS_PER_CALL = 2_000
PER_TRANSACTION = 99  # and the event: DynamoDB's 100 items
KEPT_FOR = timedelta(days=7)
FIELDS = ("name", "customer_type", "external_id", "language", "email")
# Header names people use, compared without case, spaces, dashes and underscores.
_HEADERS = {
    "name": "name", "customer": "name", "company": "name", "kunde": "name",
    "kundenname": "name", "firma": "name", "navn": "name", "kundenavn": "name",
    "firmanavn": "name",
    "customertype": "customer_type", "type": "customer_type", "kundentyp": "customer_type",
    "kundetype": "customer_type",
    "externalid": "external_id", "customernumber": "external_id", "number": "external_id",
    "kundennummer": "external_id", "nummer": "external_id", "kundenummer": "external_id",
    "id": "external_id",
    "language": "language", "sprache": "language", "sprog": "language",
    "email": "email", "emailaddress": "email", "mail": "email", "emailadresse": "email",
    "emailadresse2": "email",
}  # fmt: skip
# What a spreadsheet runs as a formula when the cell starts with it (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class _Row(msgspec.Struct):
    """One data row: its number in the file, its values, its problems, its future id."""

    row: int
    values: dict[str, str | None]
    problems: list[schemas.RowProblem]
    customer_id: str


class _Stored(msgspec.Struct):
    rows: list[_Row]
    unknown_columns: list[str]


# -- reading ---------------------------------------------------------------------------------


def _column(header: str) -> str | None:
    return _HEADERS.get(re.sub(r"[\s_\-.]+", "", header.strip().lower()))


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[str] | None]]:
    """(row number, cells) per row; cells None for a line that is not UTF-8."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        sample = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=sample.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for cells in reader:
            yield reader.line_num, cells
        return
    # Not UTF-8 as a whole: line by line, so that each bad line is named.
    lines = data.splitlines()
    first = lines[0].decode("utf-8", "replace") if lines else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None
            continue
        yield number, next(csv.reader([line], delimiter=delimiter), [])


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str] | None]]:
    from openpyxl import load_workbook  # only when an Excel file comes in

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise Invalid.field("body", "is not an Excel workbook (.xlsx) that can be read") from None
    sheet = book.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [_cell_text(v) for v in row]
    book.close()


def _problem(row: int, field: str, code: str, message: str) -> schemas.RowProblem:
    return schemas.RowProblem(row=row, field=field, code=code, message=message)  # type: ignore[arg-type]


def _values(number: int, columns: list[str | None], cells: list[str]) -> _Row:
    values: dict[str, str | None] = dict.fromkeys(FIELDS)
    problems = []
    for field, cell in zip(columns, cells, strict=False):
        text = cell.strip()
        if field is None or not text:
            continue
        if cell.startswith(_FORMULA_START) and not _NUMBER.match(text):
            problems.append(
                _problem(number, field, "formula", "starts like a formula; write it as text")
            )
            continue
        values[field] = text.lower() if field in ("language", "email") else text
    return _Row(number, values, problems, "")


def _read(upload: Upload) -> tuple[list[_Row], list[str]]:
    lines = _csv_lines(upload.data) if upload.content_type == CSV_TYPE else _xlsx_lines(upload.data)
    header = next(lines, None)
    if header is None or header[1] is None or not any(c.strip() for c in header[1]):
        raise Invalid.field("body", "the first row must name the columns (such as Name, E-Mail)")
    columns = [_column(c) for c in header[1]]
    if "name" not in columns:
        raise Invalid.field("body", "the first row names no 'name' column (Name, Kundenname, Navn)")
    unknown = [
        c.strip() for c, f in zip(header[1], columns, strict=True) if f is None and c.strip()
    ]
    rows: list[_Row] = []
    for number, cells in lines:
        if cells is not None and not any(c.strip() for c in cells):
            continue  # an empty line
        if len(rows) == MAX_ROWS:
            raise Invalid.field("body", f"has more than {MAX_ROWS} rows; split the file")
        if cells is None:
            problem = _problem(
                number, "row", "encoding", "is not UTF-8; save the file as CSV UTF-8"
            )
            rows.append(_Row(number, dict.fromkeys(FIELDS), [problem], ""))
            continue
        rows.append(_values(number, columns, cells))
    if not rows:
        raise Invalid.field("body", "has no rows below the header")
    return rows, unknown


# -- checking --------------------------------------------------------------------------------


def _check_values(row: _Row) -> None:
    if any(p.code == "encoding" for p in row.problems):
        return
    if not row.values["name"] and not any(p.field == "name" for p in row.problems):
        row.problems.append(_problem(row.row, "name", "required", "a customer needs a name"))
    given = {k: v for k, v in row.values.items() if v is not None}
    if not given.get("name"):
        given["name"] = "-"  # reported above; the other fields are still checked
    try:
        decode(CustomerCreate, given)
    except Invalid as exc:
        row.problems.extend(_problem(row.row, e.field, "invalid", e.message) for e in exc.errors)


def _existing_external_ids(ctx: TenantContext) -> set[str]:
    found = Customer.query(ctx.tenant_id, attributes_to_get=["external_id"], consistent_read=True)
    return {c.external_id for c in found if c.external_id}


def _check(ctx: TenantContext, rows: list[_Row]) -> None:
    for row in rows:
        _check_values(row)
    existing = _existing_external_ids(ctx) if any(r.values["external_id"] for r in rows) else set()
    first_row: dict[str, int] = {}
    for row in rows:
        external = row.values["external_id"]
        if not external:
            continue
        if external in existing:
            row.problems.append(
                _problem(row.row, "external_id", "duplicate_existing", "a customer has it already")
            )
        elif external in first_row:
            row.problems.append(
                _problem(
                    row.row,
                    "external_id",
                    "duplicate_in_file",
                    f"is in row {first_row[external]} already",
                )
            )
        else:
            first_row[external] = row.row


# -- the preview -----------------------------------------------------------------------------


def _out(item: CustomerImport, stored: _Stored) -> schemas.CustomerImport:
    problems = [p for r in stored.rows for p in r.problems]
    problems += [
        _problem(1, column, "invalid", "is not a column Portway knows; it is left out")
        for column in stored.unknown_columns
    ]
    problems.sort(key=lambda p: p.row)
    return schemas.CustomerImport(
        id=item.import_id,
        status=item.status,  # type: ignore[arg-type]
        file_name=item.file_name,
        rows=int(item.row_count),
        valid_rows=int(item.valid_count),
        problem_rows=int(item.row_count) - int(item.valid_count),
        problem_count=len(problems),
        problems=problems[:MAX_PROBLEMS_SHOWN],
        preview=[
            schemas.ImportedRow(row=r.row, ok=not r.problems, **r.values)
            for r in stored.rows[:PREVIEW_ROWS]
        ],
        to_write=int(item.to_write or 0),
        written=int(item.written or 0),
        created_at=rfc3339(item.created_at),
    )


def create(
    ctx: TenantContext, upload: Upload, file_name: str | None = None, *, clock: Clock = utcnow
) -> schemas.CustomerImport:
    """Read and check a file; nothing is written but the preview (kept 7 days) and its
    event (`customer.import_checked`)."""
    rows, unknown = _read(upload)
    _check(ctx, rows)
    now = clock()
    start = int(now.timestamp() * 1000)
    for offset, row in enumerate(rows):
        row.customer_id = new_id("cus", now_ms=start + offset)  # ids in the file's order
    import_id = new_id("imp")
    stored = _Stored(rows, unknown)
    key = CustomerImport.blob_key_for(ctx.tenant_id, import_id)
    blob_store().put(key, msgspec.json.encode(stored), "application/json")
    item = CustomerImport(
        ctx.tenant_id,
        import_id,
        file_name=file_name,
        status="previewed",
        row_count=len(rows),
        valid_count=sum(1 for r in rows if not r.problems),
        blob_key=key,
        created_at=now,
        created_by=ctx.actor,
        expires_at=now + KEPT_FOR,
    )
    with Transaction() as tx:
        tx.save(item, condition=CustomerImport.import_id.does_not_exist())
        events.record(
            tx,
            ctx,
            "customer.import_checked",
            import_id,
            object_type="customer_import",
            data={"rows": len(rows), "valid_rows": int(item.valid_count)},
            now=now,
        )
    return _out(item, stored)


def _load(ctx: TenantContext, import_id: str) -> tuple[CustomerImport, _Stored]:
    item = load_owned(CustomerImport, ctx, import_id, "import")
    blob = blob_store().get(item.blob_key)
    if blob is None:
        raise Conflict("This import's rows are gone; read the file again.")
    return item, msgspec.json.decode(blob.data, type=_Stored)


def get(ctx: TenantContext, import_id: str) -> schemas.CustomerImport:
    """An import: its preview and how far writing is."""
    return _out(*_load(ctx, import_id))


# -- writing ---------------------------------------------------------------------------------


def _confirmed(item: CustomerImport, stored: _Stored, mode: str) -> list[_Row]:
    if mode == "all" and int(item.valid_count) < int(item.row_count):
        bad = int(item.row_count) - int(item.valid_count)
        raise Invalid.field(
            "rows",
            f"{bad} row(s) have problems: correct the file, or write only the valid rows",
        )
    return [r for r in stored.rows if not r.problems]


def _start(ctx: TenantContext, item: CustomerImport, mode: str, count: int) -> None:
    if item.status == "previewed":
        try:
            item.update(
                actions=[
                    CustomerImport.status.set("writing"),
                    CustomerImport.mode.set(mode),
                    CustomerImport.to_write.set(count),
                ],
                condition=CustomerImport.status == "previewed",
            )
        except UpdateError as exc:  # a racing call started it: read it again
            if not condition_failed(exc):
                raise
            item.refresh(consistent_read=True)
    if item.mode != mode:
        raise Conflict(f"This import is being written with rows={item.mode}.")


def _write_slice(ctx: TenantContext, rows: list[_Row], import_id: str, clock: Clock) -> None:
    """Write the customers of `rows` not written yet, 99 and one event per transaction."""
    for start in range(0, len(rows), PER_TRANSACTION):
        part = rows[start : start + PER_TRANSACTION]
        there = batch_get([(Customer, ctx.tenant_id, r.customer_id) for r in part])
        missing = [r for r, found in zip(part, there, strict=True) if found is None]
        if not missing:
            continue
        now = clock()
        with Transaction() as tx:
            for row in missing:
                values: dict[str, Any] = {k: v for k, v in row.values.items() if v is not None}
                customer = Customer(
                    ctx.tenant_id,
                    row.customer_id,
                    created_at=now,
                    updated_at=now,
                    search_text=search_text_for(row.values["name"], row.values["external_id"]),
                    **values,
                )
                tx.save(customer, condition=Customer.customer_id.does_not_exist())
            events.record(
                tx,
                ctx,
                "customer.imported",
                import_id,
                object_type="customer_import",
                data={"customer_ids": [r.customer_id for r in missing]},
                now=now,
            )


def commit(
    ctx: TenantContext, import_id: str, data: schemas.ImportCommit, *, clock: Clock = utcnow
) -> schemas.CustomerImport:
    """Write the next slice of the confirmed rows (call again while `written < to_write`);
    a written import answers as it is. Writing a row twice never makes two customers."""
    item, stored = _load(ctx, import_id)
    if item.status == "written":
        return _out(item, stored)
    rows = _confirmed(item, stored, data.rows)
    _start(ctx, item, data.rows, len(rows))
    done = int(item.written or 0)
    upto = min(done + ROWS_PER_CALL, len(rows))
    try:
        _write_slice(ctx, rows[done:upto], import_id, clock)
    except ConditionsFailed:
        raise Conflict("This import is being written by another request; look again.") from None
    finished = upto == len(rows)
    actions: list[Action] = [
        CustomerImport.written.set(upto),
        CustomerImport.updated_at.set(clock()),
    ]
    if finished:
        actions.append(CustomerImport.status.set("written"))
    try:
        item.update(actions=actions, condition=CustomerImport.written == item.written)
    except UpdateError as exc:  # another request moved it on: answer as it is
        if not condition_failed(exc):
            raise
        item.refresh(consistent_read=True)
    return _out(item, stored)
