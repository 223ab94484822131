"""The provider's team: the people who use the console."""

from __future__ import annotations

import base64
import hashlib

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class TeamMember(PortwayModel):
    """A person of the tenant's team with one role (`owner`, `admin`, `editor`, `agent`,
    `viewer`). Separate from portal users in every way.

    The id is derived from the tenant and the address (`member_id_for`): signing in reads
    one item, and an address is one member of a tenant by the key alone. A member is
    `invited` until they accept the e-mailed link and set a password. Raising
    `session_epoch` ends every session of the member at once (a password reset, a change of
    role or second factor); removing the item ends them too."""

    class Meta(metaclass=TableMeta):
        base_name = "team-members"

    tenant_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute()
    status = UnicodeAttribute()  # invited | active
    session_epoch = NumberAttribute(default=0)
    password_hash = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    # TOTP: the secret sealed with the deployment's key (`services.team.mfa`); `totp_pending`
    # while enrolling, until the first code proves the authenticator has it.
    totp_secret = UnicodeAttribute(null=True)
    totp_pending = UnicodeAttribute(null=True)
    # The last 30-second step whose code was used: a code works once.
    totp_last_step = NumberAttribute(null=True)
    invited_by = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    joined_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def member_id_for(tenant_id: str, email: str) -> str:
        """The id of the tenant's member with this address (lower case)."""
        raw = hashlib.sha256(f"team\0{tenant_id}\0{email.lower()}".encode()).digest()[:15]
        return "mbr_" + base64.b32encode(raw).decode().lower()
