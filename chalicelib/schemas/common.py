"""Shared schema pieces: strict input structs, RFC 3339 times, dates, pages, problems."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.errors import Invalid

LANGUAGES = ("en", "de", "da", "fr", "nl", "sv", "nb", "fi", "es", "it", "pl")
Language = Literal["en", "de", "da", "fr", "nl", "sv", "nb", "fi", "es", "it", "pl"]


def rfc3339(value: datetime) -> str:
    """`2026-11-22T10:00:00Z`, with milliseconds only when there are any."""
    value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond >= 1000 else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# Times leave the API as RFC 3339 UTC strings (made by `rfc3339`) ...
Timestamp = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
# ... and enter it as RFC 3339 with an offset, turned into UTC by the struct. Whatever the
# offset, the UTC value must lie within 0001-9999 (checked by `validation.decode`).
InputTimestamp = Annotated[datetime, Meta(tz=True, description="RFC 3339 with an offset.")]
# A calendar day as text. The pattern says the shape; `validation.decode` checks the day is
# real (no 2026-02-30, no 0000-00-00) for every string declared with format "date".
Date = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="YYYY-MM-DD",
        extra_json_schema={"format": "date"},
    ),
]
TIME_RANGE_MESSAGE = "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in UTC"
# DynamoDB stores no number between -1e-130 and 1e-130 but 0 (`validation.decode` refuses
# them whatever the schema); a number field says so in the OpenAPI document with this.
STORABLE_NUMBER: dict[str, Any] = {
    "not": {"exclusiveMinimum": -1e-130, "exclusiveMaximum": 1e-130, "not": {"const": 0}}
}


def as_utc(value: datetime) -> datetime | None:
    """`value` in UTC, or None when its UTC value falls outside the years 0001-9999."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_input_time(field: str, text: str) -> datetime:
    """An RFC 3339 time with an offset (from a query string) in UTC; 422 on `field`
    when it is not one, or when its UTC value leaves the years 0001-9999."""
    try:
        value = msgspec.convert(text, InputTimestamp)
    except msgspec.ValidationError:
        raise Invalid.field(field, "give an RFC 3339 time with a UTC offset") from None
    utc = as_utc(value)
    if utc is None:
        raise Invalid.field(field, TIME_RANGE_MESSAGE)
    return utc


# Patterns use explicit ranges, never \s or \S: they mean different things in Python and in
# the ECMAScript regexes of JSON Schema, and the OpenAPI document must say what is enforced.
# Of an address, what a mail header carries unquoted: no spaces, controls or the characters
# RFC 5322 gives a meaning in headers (a `;` or `:` would turn the address into a group).
_MAILBOX = r"[^@\x00-\x20\x7f-\x9f\u2028\u2029<>\"'(),:;\[\\\]]+"
# One line of text: no control characters (a NUL or line break in a name ends up in e-mail
# headers, file names and logs), and at least one visible character.
_LINE = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=_LINE)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100, pattern=_LINE)]
Email = Annotated[str, Meta(max_length=254, pattern=f"^{_MAILBOX}@{_MAILBOX}\\.{_MAILBOX}$")]
# A reference to another object by its id.
ObjectId = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Version = Annotated[int, Meta(ge=1, description="The version the change is based on.")]


_ASCII_SPACE = " \t\r\n\x0b\x0c"


class Input(Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields are an error; text loses surrounding ASCII spaces;
    times are turned into UTC."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.strip(_ASCII_SPACE))
            elif isinstance(value, datetime):
                # One outside 0001-9999 in UTC stays as sent: `validation.decode` refuses it.
                setattr(self, name, as_utc(value) or value)


class Output(Struct, kw_only=True):
    """A response body."""


class Versioned(Input):
    """An update: fields left out stay as they are; `version` guards against lost updates."""

    version: Version | None = None


def present(update: Input) -> dict[str, Any]:
    """The fields an update actually sent (`null` included), without `version`."""
    return {
        name: getattr(update, name)
        for name in update.__struct_fields__
        if name != "version" and getattr(update, name) is not UNSET
    }


class ListQuery(Struct, kw_only=True):
    """Query parameters of every list endpoint (others are ignored)."""

    limit: Annotated[int, Meta(ge=1, le=100)] = 25
    cursor: Annotated[str, Meta(max_length=4096)] | None = None


class SearchQuery(Struct, kw_only=True):
    """A list's search: items whose name (or number) contains the text, in any case."""

    q: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


T = TypeVar("T")


class Page(Output, Generic[T]):
    """One page of a list; pass `next_cursor` back as `?cursor=` for the next."""

    items: list[T]
    next_cursor: str | None


@functools.cache
def page_of(item: type[T]) -> type[Page[T]]:
    """The page schema of `item`, named `{Item}Page` in the OpenAPI document.

    A concrete struct per item type (rather than `Page[Item]`) gives the OpenAPI
    document plain names; `Page` stays the type services are annotated with.
    """
    fields = [("items", list[item]), ("next_cursor", str | None)]  # type: ignore[valid-type]
    page = msgspec.defstruct(f"{item.__name__}Page", fields, bases=(Output,), kw_only=True)
    return cast("type[Page[T]]", page)


class Problem(Output):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | UnsetType = UNSET
