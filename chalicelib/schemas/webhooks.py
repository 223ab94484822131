"""Webhook endpoints, their signing secrets and their delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from chalicelib.schemas.common import Input, ObjectId, Output, Timestamp, Versioned

# Visible ASCII only: a host with other characters is given in its punycode form.
WebhookUrl = Annotated[
    str,
    Meta(
        min_length=9,
        max_length=2048,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[\x21-\x7e]+$",
        description="https, on a public address (checked when saved and at every delivery).",
        extra_json_schema={"format": "uri"},
    ),
]
# `share.read`, every type of an area (`portal.*`), or everything (`*`).
EventPattern = Annotated[
    str,
    Meta(
        max_length=100,
        pattern=r"^(?:\*|[a-z]+(?:_[a-z]+)*\.(?:\*|[a-z]+(?:_[a-z]+)*))$",
        description="An event type, `area.*` for every type of an area, or `*`.",
    ),
]
EventPatterns = Annotated[list[EventPattern], Meta(min_length=1, max_length=50)]
Description = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


class WebhookEndpointCreate(Input):
    """Where to send which events; the answer has the signing secret, once."""

    url: WebhookUrl
    events: EventPatterns
    description: Description | None = None


class WebhookEndpointUpdate(Versioned):
    """Fields left out stay as they are."""

    url: WebhookUrl | UnsetType = UNSET
    events: EventPatterns | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class WebhookEndpoint(Output):
    """A webhook endpoint as listed: never its secret."""

    id: str
    url: str
    events: list[str]
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class WebhookEndpointCreated(WebhookEndpoint):
    """A new endpoint with its signing secret (`whsec_...`): shown once, store it now."""

    secret: str


class WebhookSecret(Output):
    """A new signing secret, shown once. Until `previous_secret_expires_at` deliveries carry a
    signature with the previous secret too, so a receiver can switch without losing any."""

    id: str
    secret: str
    previous_secret_expires_at: Timestamp


class WebhookTestSent(Output):
    """The test event (type `webhook_endpoint.tested`): it goes to this endpoint only, with
    this `webhook-id`; its attempts appear in the endpoint's deliveries."""

    event_id: str
    webhook_id: str


class WebhookDelivery(Output):
    """One attempt to deliver one event: the answer, or why there was none, and when the
    next attempt is due (null when this was the last)."""

    event_id: str
    event_type: str
    webhook_id: str
    attempt: int
    time: Timestamp
    status: Literal["succeeded", "failed"]
    response_code: int | None
    error: str | None
    response_excerpt: str | None
    duration_ms: int | None
    next_retry_at: Timestamp | None


class DeliveryQuery(Struct, kw_only=True):
    """Which attempts: all of the endpoint's, or one event's."""

    event_id: ObjectId | None = None
