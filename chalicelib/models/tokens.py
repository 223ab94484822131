"""Secrets' digests: API keys, idempotency records, invitations, sessions, rate counters."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.ids import digest
from chalicelib.models.base import PortwayModel, TableMeta


class Token(PortwayModel):
    """An item keyed by the SHA-256 digest of a secret, never the secret itself.

    DynamoDB deletes expired items up to two days late (and moto and DynamoDB Local
    never do), so readers must call `is_live()` rather than trust that an item exists.
    """

    class Meta(metaclass=TableMeta):
        base_name = "tokens"

    digest = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    subject_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    portal_id = UnicodeAttribute(null=True)
    template_id = UnicodeAttribute(null=True)
    apps = ListAttribute(of=UnicodeAttribute, null=True)
    family_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    hits = NumberAttribute(null=True)
    # A self-service link works while its contract's link epoch is still this one.
    epoch = NumberAttribute(null=True)
    scopes = UnicodeSetAttribute(null=True)
    state = UnicodeAttribute(null=True)
    # A refresh token: when it was spent (a second use within a moment is a race, not theft).
    spent_at = UTCDateTimeAttribute(null=True)
    # A backoff counter of failed sign-ins: when the last failure was.
    last_failure_at = UTCDateTimeAttribute(null=True)
    # What a derived secret lives from: the SSO registration of its user, or the API key
    # that made a tracking session. When that source goes, the secret stops working.
    issuer = UnicodeAttribute(null=True)
    source_id = UnicodeAttribute(null=True)
    fingerprint = UnicodeAttribute(null=True)
    response_status = NumberAttribute(null=True)
    response_body = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute(null=True)
    # When set, the secret works until then, while the item stays until `expires_at` for
    # what an expired secret may still ask (a self-service link: a new link by e-mail).
    valid_until = UTCDateTimeAttribute(null=True)

    @staticmethod
    def idempotency_digest(tenant_id: str, actor: str, key: str) -> str:
        """Where an idempotency record lives: per tenant, caller and key."""
        return digest(f"idempotency\0{tenant_id}\0{actor}\0{key}")

    @staticmethod
    def named_digest(*parts: str) -> str:
        """Where an item named by its parts lives (a session family, an invitation slot, a
        rate counter, a spent SSO jti): the digest of the parts, NUL-separated."""
        return digest("\0".join(parts))

    def is_live(self, now: datetime) -> bool:
        """True unless the secret has passed its time (whether or not TTL removed it)."""
        end = self.valid_until or self.expires_at
        return end is None or end > now
