"""Customers imported from a CSV or Excel file: the preview with every problem by row, and
writing the confirmed rows."""

from __future__ import annotations

from typing import Literal

from chalicelib.schemas.common import Input, Output, ShortText, Timestamp

ProblemCode = Literal[
    "required", "invalid", "formula", "encoding", "duplicate_in_file", "duplicate_existing"
]
ImportStatus = Literal["previewed", "writing", "written"]


class RowProblem(Output):
    """What is wrong with one cell: row 1 is the header, data starts at row 2."""

    row: int
    field: str
    code: ProblemCode
    message: str


class ImportedRow(Output):
    """A row as read, before it is written."""

    row: int
    name: str | None
    customer_type: str | None
    external_id: str | None
    language: str | None
    email: str | None
    ok: bool


class CustomerImport(Output):
    """A file read and checked: how many rows, which have problems (every problem, up to
    `MAX_PROBLEMS_SHOWN`, with `problem_count` saying how many in all), the first rows as
    read, and how far writing is."""

    id: str
    status: ImportStatus
    file_name: str | None
    rows: int
    valid_rows: int
    problem_rows: int
    problem_count: int
    problems: list[RowProblem]
    preview: list[ImportedRow]
    to_write: int
    written: int
    created_at: Timestamp


class ImportQuery(Input):
    """The file's name, for the person to recognise the import by."""

    file_name: ShortText | None = None


class ImportCommit(Input):
    """Which rows to write: `all` (refused while any row has a problem) or `valid` (the
    rows without problems, the others left out)."""

    rows: Literal["all", "valid"] = "all"
