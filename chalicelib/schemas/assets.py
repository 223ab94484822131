"""Assets, their telemetry events and their assignment to customers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.schemas.common import (
    Input,
    InputTimestamp,
    Name,
    Output,
    ShortText,
    Timestamp,
    Versioned,
)

AssetKind = Literal["machine", "vehicle", "trailer", "container", "gps_device", "tool", "other"]
Status = ShortText


class AssetCreate(Input):
    name: Name
    serial_number: ShortText | None = None
    kind: AssetKind = "machine"


class AssetUpdate(Versioned):
    """Fields present are changed; `null` clears `serial_number`."""

    name: Name | None = None
    serial_number: ShortText | None = None
    kind: AssetKind | None = None


class Position(Input):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Position:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        return self


class AssetEventCreate(Position):
    time: InputTimestamp = Field(description="When the asset reported, RFC 3339 with offset.")
    operating_hours: float | None = Field(default=None, ge=0, le=1_000_000)
    status: Status | None = None


class AssetEvent(Output):
    id: str
    asset_id: str
    time: Timestamp
    lat: float | None
    lon: float | None
    operating_hours: float | None
    status: str | None
    received_at: Timestamp


class LastEvent(Output):
    time: Timestamp
    lat: float | None
    lon: float | None
    operating_hours: float | None
    status: str | None


class Asset(Output):
    id: str
    name: str
    serial_number: str | None
    kind: AssetKind
    customer_id: str | None
    business_unit_id: str | None
    last_event: LastEvent | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class AssignmentSet(Input):
    """The complete set of assets the customer holds after the call."""

    asset_ids: list[ShortText] = Field(max_length=100)
    business_unit_id: ShortText | None = Field(
        default=None, description="Put every listed asset into this business unit."
    )

    @model_validator(mode="after")
    def _unique(self) -> AssignmentSet:
        if len(set(self.asset_ids)) != len(self.asset_ids):
            raise ValueError("asset_ids must not repeat an id")
        return self


class Assignment(Output):
    customer_id: str
    items: list[Asset]
