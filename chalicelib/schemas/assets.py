"""Assets, their telemetry events and their assignment to customers."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import UNSET, Meta, UnsetType

from chalicelib.errors import Invalid
from chalicelib.schemas.common import (
    STORABLE_NUMBER,
    Input,
    InputTimestamp,
    Name,
    Output,
    ShortText,
    Timestamp,
    Versioned,
)

AssetKind = Literal["machine", "vehicle", "trailer", "container", "gps_device", "tool", "other"]
Latitude = Annotated[float, Meta(ge=-90, le=90, extra_json_schema=STORABLE_NUMBER)]
Longitude = Annotated[float, Meta(ge=-180, le=180, extra_json_schema=STORABLE_NUMBER)]
Hours = Annotated[float, Meta(ge=0, le=1_000_000, extra_json_schema=STORABLE_NUMBER)]


class AssetCreate(Input):
    """A new asset."""

    name: Name
    serial_number: ShortText | None = None
    kind: AssetKind = "machine"


class AssetUpdate(Versioned):
    """Fields sent are changed; `null` clears `serial_number`."""

    name: Name | UnsetType = UNSET
    serial_number: ShortText | UnsetType | None = UNSET
    kind: AssetKind | UnsetType = UNSET


def _needs(field: str, other: str) -> dict[str, Any]:
    number = {"properties": {field: {"type": "number"}}, "required": [field]}
    return {"if": number, "then": {"properties": {other: {"type": "number"}}, "required": [other]}}


class AssetEventCreate(Input):
    """A telemetry report; `lat` and `lon` go together."""

    # Stated in the OpenAPI document too (merged into this schema by chalicelib/openapi.py).
    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [_needs("lat", "lon"), _needs("lon", "lat")]
    }

    time: InputTimestamp
    lat: Latitude | None = None
    lon: Longitude | None = None
    operating_hours: Hours | None = None
    status: ShortText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.lat is not None and self.lon is None:
            raise Invalid.field("lon", "give lon together with lat")
        if self.lon is not None and self.lat is None:
            raise Invalid.field("lat", "give lat together with lon")


class AssetEvent(Output):
    """A stored telemetry report."""

    id: str
    asset_id: str
    time: Timestamp
    lat: float | None
    lon: float | None
    operating_hours: float | None
    status: str | None
    received_at: Timestamp


class LastEvent(Output):
    """The newest report of an asset."""

    time: Timestamp
    lat: float | None
    lon: float | None
    operating_hours: float | None
    status: str | None


class Asset(Output):
    """An asset with its assignment and last reported state."""

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

    asset_ids: Annotated[
        list[ShortText], Meta(max_length=1000, extra_json_schema={"uniqueItems": True})
    ]
    business_unit_id: (
        Annotated[ShortText, Meta(description="Put every listed asset into this unit.")] | None
    ) = None

    def __post_init__(self) -> None:
        super().__post_init__()
        seen: set[str] = set()
        for index, asset_id in enumerate(self.asset_ids):
            if asset_id in seen:
                raise Invalid.field(f"asset_ids.{index}", "repeats an id listed before")
            seen.add(asset_id)


class Assignment(Output):
    """The assets a customer holds after an assignment."""

    customer_id: str
    items: list[Asset]
