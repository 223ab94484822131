"""Domain events: what changed, written in the same transaction as the change.

The audit log is a view of this table; its DynamoDB stream feeds the consumers (page
publishing, webhooks). Range key `{time}#{event_id}`: a tenant's events are one query per
page, newest first.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import PortwayModel, TableMeta, key_time


class Event(PortwayModel):
    """One domain event: its type (`area.object_verb`), who did it (and on whose behalf),
    which object of which customer, and a minimal payload."""

    class Meta(metaclass=TableMeta):
        base_name = "events"
        stream_view_type = "NEW_IMAGE"  # the consumers read the new event from the stream

    tenant_id = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    time = UTCDateTimeAttribute()
    actor = UnicodeAttribute()  # api_key:..., portal_user:..., sso:..., operator:..., anonymous
    on_behalf_of = UnicodeAttribute(null=True)  # the provider behind a preview session
    object_type = UnicodeAttribute()
    object_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)

    @staticmethod
    def key_for(time: datetime, event_id: str) -> str:
        """The range key of one event: time, then id."""
        return f"{key_time(time)}#{event_id}"
