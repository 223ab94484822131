"""A tenant's API keys: what the tenant may list and revoke (the digest lives in tokens)."""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute

from chalicelib.models.base import PortwayModel, TableMeta


class ApiKey(PortwayModel):
    """Hash key tenant_id, range key key_id: `key_...` for API keys, `trk_...` for the
    tracking page's sessions (short-lived keys an API key made, listed and revocable)."""

    class Meta(metaclass=TableMeta):
        base_name = "api-keys"

    tenant_id = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    digest = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    # A tracking session: the key that made it, and when it ends.
    parent_key_id = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)

    KEY_PREFIX: ClassVar[str] = "key_"
    TRACKING_PREFIX: ClassVar[str] = "trk_"
