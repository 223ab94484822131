"""Portal accounts (a customer's people), invitations to a portal, and the audit log."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class PortalUser(PortwayModel):
    """A person with access to one customer's portal. Range key `{customer_id}#{user_id}`:
    a portal's users are one query. Separate from provider API keys in every way.

    An account belongs to one portal (`portal_id`): when the portal is deleted and given
    again, the new portal has none of the old accounts. Raising `session_epoch` ends every
    session of the account at once (a password reset, a provider's reset)."""

    class Meta(metaclass=TableMeta):
        base_name = "portal-users"

    tenant_id = UnicodeAttribute(hash_key=True)
    user_key = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    portal_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()  # portal_admin | portal_user
    session_epoch = NumberAttribute(default=0)
    password_hash = UnicodeAttribute(null=True)  # None: signs in through SSO only
    sso_issuer = UnicodeAttribute(null=True)
    sso_subject = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    terms_accepted_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    @staticmethod
    def key_for(customer_id: str, user_id: str) -> str:
        """The range key of one portal user."""
        return f"{customer_id}#{user_id}"

    @staticmethod
    def prefix_for(customer_id: str) -> str:
        """The range key prefix of one portal's users."""
        return f"{customer_id}#"


class Invitation(PortwayModel):
    """A link that lets one person into a portal. Range key `{customer_id}#{invitation_id}`.

    The secret of the link is stored only as the digest of a `Token` (kind `invitation`),
    which carries everything accepting needs, so that acceptance is one read."""

    class Meta(metaclass=TableMeta):
        base_name = "invitations"

    tenant_id = UnicodeAttribute(hash_key=True)
    invitation_key = UnicodeAttribute(range_key=True)
    invitation_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    portal_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    status = UnicodeAttribute()  # open | used | revoked | replaced
    token_digest = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    used_by = UnicodeAttribute(null=True)

    @staticmethod
    def key_for(customer_id: str, invitation_id: str) -> str:
        """The range key of one invitation."""
        return f"{customer_id}#{invitation_id}"

    @staticmethod
    def prefix_for(customer_id: str) -> str:
        """The range key prefix of one customer's invitations."""
        return f"{customer_id}#"
