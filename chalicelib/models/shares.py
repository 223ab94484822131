"""Partner shares of tracking data: the grant on the sender's side, its mirror on the
partner's side, and the access log both of them read."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta, key_time

# Writes to one share's log are spread over this many partition keys, so that one very
# busy share cannot overload one DynamoDB partition (about 1,000 writes a second each).
# Kept on the share when it is made: readers query exactly that many partitions.
LOG_SHARDS = 4


class Share(PortwayModel):
    """A grant of some assets to a partner tenant (optionally one contact person there),
    until revoked or until `expires_at`. Hash key: the sender."""

    class Meta(metaclass=TableMeta):
        base_name = "shares"

    tenant_id = UnicodeAttribute(hash_key=True)
    share_id = UnicodeAttribute(range_key=True)
    partner_tenant_id = UnicodeAttribute()
    partner_public_id = UnicodeAttribute()
    sender_public_id = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    asset_ids = ListAttribute(of=UnicodeAttribute)
    status = UnicodeAttribute(default="active")  # active | revoked
    expires_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    log_shards = NumberAttribute(default=LOG_SHARDS)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    def is_live(self, now: datetime) -> bool:
        """Active and not past its end."""
        return self.status == "active" and (self.expires_at is None or self.expires_at > now)


class ReceivedShare(PortwayModel):
    """The partner's side of a share: written in the same transaction as the share, so the
    partner reads its grants from its own partition (one consistent read), and revoking
    changes both at once. Shipment numbers the partner attaches live here, per asset."""

    class Meta(metaclass=TableMeta):
        base_name = "received-shares"

    tenant_id = UnicodeAttribute(hash_key=True)  # the partner
    share_id = UnicodeAttribute(range_key=True)
    sender_tenant_id = UnicodeAttribute()
    sender_public_id = UnicodeAttribute()
    sender_name = UnicodeAttribute()
    partner_public_id = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    asset_ids = ListAttribute(of=UnicodeAttribute)
    # The assets' names when they were shared: what the log records without reading them.
    asset_names = MapAttribute[str, str](default=dict)  # type: ignore[no-untyped-call]
    status = UnicodeAttribute(default="active")
    expires_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    log_shards = NumberAttribute(default=LOG_SHARDS)
    shipment_numbers = MapAttribute[str, str](default=dict)  # type: ignore[no-untyped-call]
    created_at = UTCDateTimeAttribute()

    def is_live(self, now: datetime) -> bool:
        """Active and not past its end."""
        return self.status == "active" and (self.expires_at is None or self.expires_at > now)


class LoggedAsset(MapAttribute[str, object]):
    """One asset a logged read returned, as it was called then."""

    asset_id = UnicodeAttribute()
    name = UnicodeAttribute()
    shipment_number = UnicodeAttribute(null=True)


class AccessLogEntry(PortwayModel):
    """One read of shared data (or one shipment number set), written before the data is
    returned. Hash key `{sender_tenant_id}#{share_id}#{shard}`, range `{time}#{entry_id}`:
    a share's log is LOG_SHARDS queries merged by time."""

    class Meta(metaclass=TableMeta):
        base_name = "access-log"

    log_key = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    time = UTCDateTimeAttribute()
    kind = UnicodeAttribute()  # read | shipment_number
    channel = UnicodeAttribute()  # api | page
    actor = UnicodeAttribute()
    share_id = UnicodeAttribute()
    share_name = UnicodeAttribute()
    sender_public_id = UnicodeAttribute()
    partner_public_id = UnicodeAttribute()
    contact_email = UnicodeAttribute(null=True)
    assets = ListAttribute(of=LoggedAsset)

    @staticmethod
    def log_key_for(sender_tenant_id: str, share_id: str, shard: int) -> str:
        """The partition of one shard of one share's log."""
        return f"{sender_tenant_id}#{share_id}#{shard}"

    @staticmethod
    def key_for(time: datetime, entry_id: str) -> str:
        """The range key of one entry: time, then id."""
        return f"{key_time(time)}#{entry_id}"


class ProtocolExport(PortwayModel):
    """An Excel protocol of a share's log, written by the exports consumer into the blob
    store and handed out by short-lived links; `rows_written` shows its progress. Kept a
    week (TTL), like the file. Hash key: the tenant that asked (sender or partner)."""

    class Meta(metaclass=TableMeta):
        base_name = "exports"

    tenant_id = UnicodeAttribute(hash_key=True)
    export_id = UnicodeAttribute(range_key=True)
    share_id = UnicodeAttribute()
    side = UnicodeAttribute()  # sender | partner: which of the tenant's shares it names
    status = UnicodeAttribute()  # queued | running | done | failed
    rows_written = NumberAttribute(default=0)
    file_name = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()

    @staticmethod
    def blob_key_for(tenant_id: str, export_id: str) -> str:
        """Where the export's file is kept."""
        return f"exports/{tenant_id}/{export_id}.xlsx"
