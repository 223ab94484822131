"""Signing secrets and the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), signed by the `standardwebhooks` library.

A secret is `whsec_` and the base64 of 32 bytes: an HMAC-SHA256 of the deployment's webhook
key (`Settings.webhook_key`) over tenant, endpoint and a random salt stored on the endpoint.
Nothing that signs is stored; a rotation picks a new salt and keeps the previous one for a
day, during which every delivery carries both signatures (space separated, as the
specification allows), so a receiver can switch secrets without losing a delivery.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from chalicelib.models import WebhookEndpoint
from chalicelib.settings import get_settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - the specification's prefix, not a secret
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


def new_salt() -> str:
    """A fresh salt for an endpoint's secret (256 bits)."""
    return secrets.token_urlsafe(32)


def _secret_for(tenant_id: str, endpoint_id: str, salt: str) -> str:
    """The signing secret of an endpoint with this salt, as a receiver configures it."""
    mac = hmac.new(
        get_settings().webhook_key, f"{tenant_id}\0{endpoint_id}\0{salt}".encode(), "sha256"
    )
    return SECRET_PREFIX + base64.b64encode(mac.digest()).decode()


def current_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret now."""
    return _secret_for(endpoint.tenant_id, endpoint.endpoint_id, endpoint.secret_salt)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with: the current one, and the previous one while
    its grace period after a rotation lasts."""
    found = [current_secret(endpoint)]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret_salt and until is not None and until > now:
        found.append(
            _secret_for(endpoint.tenant_id, endpoint.endpoint_id, endpoint.previous_secret_salt)
        )
    return found


def headers(endpoint: WebhookEndpoint, webhook_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt: signed now, over id, time and body."""
    from standardwebhooks import Webhook  # on first delivery: cold starts skip it

    timestamp = now.astimezone(UTC).replace(microsecond=0)
    signatures = [
        Webhook(secret).sign(webhook_id, timestamp, body)
        for secret in signing_secrets(endpoint, now)
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
