"""Shared schema pieces: strict input models, RFC 3339 times, pages.

Models build their validators on first use (`defer_build`), not at import: a Lambda cold
start pays only for the schemas its first request needs.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Annotated, Generic, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    create_model,
)

LANGUAGES = ("en", "de", "da", "fr", "nl", "sv", "nb", "fi", "es", "it", "pl")
Language = Literal["en", "de", "da", "fr", "nl", "sv", "nb", "fi", "es", "it", "pl"]


def rfc3339(value: datetime) -> str:
    """`2026-11-22T10:00:00Z`, with milliseconds only when there are any."""
    value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Timestamp = Annotated[datetime, PlainSerializer(rfc3339, return_type=str)]
InputTimestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]

Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")]


class Input(BaseModel):
    """A request body: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Output(BaseModel):
    """A response body."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Versioned(Input):
    """An update that may carry the version it was based on (optimistic locking)."""

    version: int | None = Field(default=None, ge=1, description="Version the change is based on.")


class ListQuery(BaseModel):
    """Query parameters of every list endpoint."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=4096)


T = TypeVar("T", bound=BaseModel)


class Page(Output, Generic[T]):
    """One page of a list; pass `next_cursor` back as `?cursor=` for the next."""

    items: list[T]
    next_cursor: str | None


@functools.cache
def page_of(item: type[T]) -> type[Page[T]]:
    """The page schema of `item`, named `{Item}Page`.

    Parametrizing the generic (`Page[Customer]`) costs pydantic ~30 ms at import, a cold
    start's worth; a plain subclass made here costs well under one.
    """
    model = create_model(
        f"{item.__name__}Page",
        __base__=Page,
        __doc__=f"One page of {item.__name__} items; pass `next_cursor` back as `?cursor=`.",
        items=(list[item], ...),  # type: ignore[valid-type]
    )
    return cast("type[Page[T]]", model)


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(defer_build=True)

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
