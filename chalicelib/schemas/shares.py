"""Partner shares of tracking data, their access log, and tracking sessions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from msgspec import Meta, Struct

from chalicelib.errors import Invalid
from chalicelib.schemas.common import (
    Email,
    Input,
    InputTimestamp,
    Name,
    ObjectId,
    Output,
    Timestamp,
)

# The partner's shipment number is not checked against anything, but it is one line of
# printable text: no control characters, no line breaks of any kind.
ShipmentNumber = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$",
        description="Up to 64 characters on one line; stored and exported as text.",
    ),
]
MAX_SHARED_ASSETS = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class ShareCreate(Input):
    """Share some assets with a partner tenant (by its public id), optionally with one
    contact person there, until revoked or until `expires_at`."""

    partner_tenant_id: ObjectId
    name: Name
    asset_ids: Annotated[list[ObjectId], Meta(min_length=1, max_length=MAX_SHARED_ASSETS)]
    contact_email: Email | None = None
    expires_at: InputTimestamp | None = None


ShareStatus = Literal["active", "revoked", "expired"]


class Share(Output):
    """A share as its sender sees it."""

    id: str
    name: str
    partner_tenant_id: str
    contact_email: str | None
    asset_ids: list[str]
    status: ShareStatus
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    created_at: Timestamp


class ReceivedShare(Output):
    """A share as its partner sees it."""

    id: str
    name: str
    sender_tenant_id: str
    sender_name: str
    contact_email: str | None
    asset_count: int
    status: ShareStatus
    expires_at: Timestamp | None
    created_at: Timestamp


class Position(Output):
    """Where an asset last reported from, and when."""

    time: Timestamp
    lat: float | None
    lon: float | None
    status: str | None


class SharedAsset(Output):
    """A shared asset with its last position and the partner's shipment number."""

    id: str
    name: str
    kind: str
    serial_number: str | None
    last_position: Position | None
    shipment_number: str | None


class SharedAssets(Output):
    """The assets of a received share. This read is in the share's access log."""

    share_id: str
    items: list[SharedAsset]
    logged_as: str


class ShipmentNumberPut(Input):
    """The partner's shipment number for the transport a shared asset is on."""

    shipment_number: ShipmentNumber

    def __post_init__(self) -> None:
        # Checked before the surrounding spaces go: `$` lets a final line feed through.
        if _CONTROL.search(self.shipment_number):
            raise Invalid.field(
                "shipment_number", "one line of printable characters", code="format"
            )
        super().__post_init__()
        if not self.shipment_number:
            raise Invalid.field(
                "shipment_number", "give some characters, not only spaces", code="required"
            )


class ShipmentNumberSet(Output):
    """The shipment number as stored (and logged for the sender)."""

    share_id: str
    asset_id: str
    shipment_number: str


class LogAsset(Output):
    """An asset named in a log entry."""

    asset_id: str
    name: str
    shipment_number: str | None


class AccessLogEntry(Output):
    """One read of shared data, or one shipment number set."""

    id: str
    time: Timestamp
    kind: Literal["read", "shipment_number"]
    channel: Literal["api", "page"]
    actor: str
    share_id: str
    share_name: str
    sender_tenant_id: str
    partner_tenant_id: str
    contact_email: str | None
    assets: list[LogAsset]


class AccessLogQuery(Struct, kw_only=True):
    """`format=xlsx` asks for the Excel protocol (as does the Accept header)."""

    format: Literal["json", "xlsx"] = "json"


class TrackingSessionCreate(Input):
    """A short-lived session for the tracking page (30 minutes unless said otherwise)."""

    minutes: Annotated[int, Meta(ge=5, le=480)] = 30
    language: Literal["en", "de", "da"] | None = None


class TrackingSession(Output):
    """The tracking page's address with a session in its fragment; `id` revokes it
    (`DELETE /v1/tracking/sessions/{id}`)."""

    id: str
    url: str
    expires_at: Timestamp


class ProtocolExport(Output):
    """An Excel protocol being written: `rows_written` grows while `status` is `running`;
    once `done`, `download_url` fetches the file for five minutes (ask again for a fresh
    one) until `expires_at`."""

    id: str
    share_id: str
    status: Literal["queued", "running", "done", "failed"]
    rows_written: int
    file_name: str | None
    size: int | None
    download_url: str | None
    error: str | None
    created_at: Timestamp
    finished_at: str | None
    expires_at: Timestamp
