"""Webhooks: a tenant's endpoints, one message per (event, endpoint), one log row per attempt.

A message's `webhook_id` is fixed when it is made (derived from the event and the endpoint),
so every retry of it carries the same `webhook-id`. While a message waits for an attempt it
sits in the sparse `due` index (a few fixed shards, sorted by when it is due), which the
retry runner reads; a delivered or abandoned message leaves the index.
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from chalicelib.models.base import PortwayModel, TableMeta

# Shards of the `due` index: the runner asks each; messages spread over them by key.
DUE_SHARDS = 8


class WebhookEndpoint(PortwayModel):
    """Where a tenant wants events sent (https), which types, and the salt its signing secret
    is derived from. The secret itself is never stored: it is an HMAC of the deployment's
    key over tenant, endpoint and salt; a rotation keeps the previous salt for a while."""

    class Meta(metaclass=TableMeta):
        base_name = "webhook-endpoints"

    tenant_id = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute)
    description = UnicodeAttribute(null=True)
    secret_salt = UnicodeAttribute()
    previous_secret_salt = UnicodeAttribute(null=True)
    previous_secret_until = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class DueIndex(GlobalSecondaryIndex["WebhookMessage"]):  # type: ignore[no-untyped-call]
    """Messages waiting for an attempt (sparse): hash a shard, range when due."""

    class Meta:
        index_name = "due"
        projection = IncludeProjection(["attempts", "status"])

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class WebhookMessage(PortwayModel):
    """One event on its way to one endpoint: its signed body, its state, its attempts.

    `status`: `sending` (an attempt holds it until `due_at`, when another may take over),
    `pending` (the next attempt is due at `due_at`), `delivered`, or `failed` (gave up)."""

    class Meta(metaclass=TableMeta):
        base_name = "webhook-messages"

    tenant_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute()
    first_attempt_at = UTCDateTimeAttribute()
    due_shard = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)

    due = DueIndex()

    @staticmethod
    def key_for(endpoint_id: str, event_id: str) -> str:
        """The range key of one event's message to one endpoint."""
        return f"{endpoint_id}#{event_id}"

    @staticmethod
    def shard_for(tenant_id: str, message_key: str) -> str:
        """The `due` shard a message waits in (fixed per message)."""
        digest = hashlib.sha256(f"{tenant_id}\0{message_key}".encode()).digest()
        return str(digest[0] % DUE_SHARDS)

    @staticmethod
    def webhook_id_for(tenant_id: str, event_id: str, endpoint_id: str) -> str:
        """The `webhook-id` of one event sent to one endpoint: the same on every attempt,
        and known before the first (`msg_` and 32 hex digits)."""
        digest = hashlib.sha256(f"{tenant_id}\0{event_id}\0{endpoint_id}".encode())
        return "msg_" + digest.hexdigest()[:32]


class WebhookAttempt(PortwayModel):
    """One attempt to send a message (the delivery log), newest first per endpoint."""

    class Meta(metaclass=TableMeta):
        base_name = "webhook-attempts"

    tenant_id = UnicodeAttribute(hash_key=True)
    attempt_key = UnicodeAttribute(range_key=True)
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    attempt = NumberAttribute()
    at = UTCDateTimeAttribute()
    status = UnicodeAttribute()  # succeeded | failed
    response_code = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    response_excerpt = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    next_retry_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def key_for(endpoint_id: str, at_key: str, webhook_id: str, attempt: int) -> str:
        """The range key of one attempt: the endpoint's, in time order."""
        return f"{endpoint_id}#{at_key}#{webhook_id}#{attempt:03d}"

    @staticmethod
    def endpoint_prefix(endpoint_id: str) -> str:
        """The range key prefix of an endpoint's attempts."""
        return f"{endpoint_id}#"
