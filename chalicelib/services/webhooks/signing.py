"""Signing secrets and the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), signed by the `standardwebhooks` library.

A secret is `whsec_` and the base64 of 32 bytes: an HMAC-SHA256 of a webhook key derived
from one of the deployment's keys (chalicelib.keyring) over tenant, endpoint and a random
salt stored on the endpoint. The salt starts with the id of the key it was made under, so a
key rotation changes no receiver's secret: an endpoint moves to the new key when its own
secret is rotated, and the old key stays in the ring until every endpoint has moved.
Nothing that signs is stored; a rotation picks a new salt and keeps the previous one for a
day, during which every delivery carries both signatures (space separated, as the
specification allows), so a receiver can switch secrets without losing a delivery.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from chalicelib.keyring import LEGACY_KEY_ID, keyring, verifying_key
from chalicelib.models import WebhookEndpoint

PURPOSE = "webhook signing secrets"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the specification's prefix, not a secret
PREVIOUS_SECRET_GRACE = timedelta(hours=24)


def new_salt() -> str:
    """A fresh salt for an endpoint's secret (256 bits), under the active key."""
    return f"{keyring().active}.{secrets.token_urlsafe(32)}"


class RetiredKey(RuntimeError):
    """An endpoint's secret was made under a key that is no longer in the ring."""


def _secret_for(tenant_id: str, endpoint_id: str, salt: str) -> str:
    """The signing secret of an endpoint with this salt, as a receiver configures it."""
    key_id, dot, _ = salt.partition(".")
    key_id = key_id if dot else LEGACY_KEY_ID  # salts from before key ids
    key = verifying_key(PURPOSE, key_id)
    if key is None:
        raise RetiredKey(f"endpoint {endpoint_id}: key {key_id} was retired; rotate its secret")
    mac = hmac.new(key, f"{tenant_id}\0{endpoint_id}\0{salt}".encode(), "sha256")
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
        # A previous secret under a retired key is left out: the receiver has the current one.
        with contextlib.suppress(RetiredKey):
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
