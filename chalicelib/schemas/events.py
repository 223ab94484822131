"""Domain events as the API shows them (`GET /v1/events`)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from chalicelib.schemas.common import Output, Timestamp


class DomainEvent(Output):
    """One change: its type, who made it (and for whom), which object, when, what."""

    id: str
    type: str
    time: Timestamp
    actor: str
    on_behalf_of: str | None
    object_type: str
    object_id: str | None
    customer_id: str | None
    data: dict[str, Any]


class EventQuery(Struct, kw_only=True):
    """Which events: an exact type, or every type of an area (`portal.*`)."""

    type: (
        Annotated[
            str,
            Meta(max_length=100, pattern=r"^[a-z]+(?:_[a-z]+)*\.(?:\*|[a-z]+(?:_[a-z]+)*)$"),
        ]
        | None
    ) = None
