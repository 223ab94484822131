"""Assets (equipment, GPS devices) and their telemetry events."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortwayModel, TableMeta, key_time


class ByCustomer(GlobalSecondaryIndex["Asset"]):  # type: ignore[no-untyped-call]
    """Assets assigned to one customer: hash `{tenant_id}#{customer_id}`, sparse."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    asset_id = UnicodeAttribute(range_key=True)


class Asset(PortwayModel):
    """Hash key tenant_id, range key asset_id; carries its last reported state."""

    class Meta(metaclass=TableMeta):
        base_name = "assets"

    tenant_id = UnicodeAttribute(hash_key=True)
    asset_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    serial_number = UnicodeAttribute(null=True)
    # What a search matches: the name and serial number, lower-cased.
    search_text = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="machine")
    customer_id = UnicodeAttribute(null=True)
    business_unit_id = UnicodeAttribute(null=True)
    customer_key = UnicodeAttribute(null=True)
    # When the asset came to its current customer: the portal shows nothing older.
    assigned_at = UTCDateTimeAttribute(null=True)
    last_event_at = UTCDateTimeAttribute(null=True)
    last_lat = NumberAttribute(null=True)
    last_lon = NumberAttribute(null=True)
    operating_hours = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_customer = ByCustomer()

    @staticmethod
    def customer_key_for(tenant_id: str, customer_id: str) -> str:
        """The by_customer index key of one customer's assets."""
        return f"{tenant_id}#{customer_id}"


class AssetEvent(PortwayModel):
    """One telemetry report. Range key `{asset_id}#{time}#{event_id}`: one asset's history
    is a single query in time order. Old events expire through TTL."""

    class Meta(metaclass=TableMeta):
        base_name = "asset-events"

    tenant_id = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    time = UTCDateTimeAttribute()
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)
    operating_hours = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    received_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key_for(asset_id: str, time: datetime, event_id: str) -> str:
        """The range key of one event: asset, time, id. The time always has milliseconds
        (`2026-11-22T10:00:00.000Z`), so that keys sort as the times do."""
        return f"{asset_id}#{key_time(time)}#{event_id}"

    @staticmethod
    def prefix_for(asset_id: str) -> str:
        """The range key prefix of one asset's events."""
        return f"{asset_id}#"
