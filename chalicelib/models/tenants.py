"""Tenants (a provider's account) and the global directory of unique names."""

from __future__ import annotations

import hashlib

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class Tenant(PortwayModel):
    """A provider's account. Hash key: tenant_id (internal, never shown to partners)."""

    class Meta(metaclass=TableMeta):
        base_name = "tenants"

    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    public_id = UnicodeAttribute()
    default_language = UnicodeAttribute(default="en")
    allowed_origins = ListAttribute(of=UnicodeAttribute, null=True)
    default_template_id = UnicodeAttribute(null=True)
    # Owners and admins of the team must sign in with a second factor.
    require_second_factor = BooleanAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class DirectoryEntry(PortwayModel):
    """A globally unique name pointing at a tenant: its URL slug or its public id.

    Not tenant-owned: it is how a public page (`/p/{slug}`) or a partner (by public id)
    finds the tenant. Uniqueness is a conditional put on `key`.
    """

    class Meta(metaclass=TableMeta):
        base_name = "directory"

    key = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    # For a portal login (`login#...`, `sso#...`): whose it is.
    user_key = UnicodeAttribute(null=True)
    # For an e-mail's entry (`email#...`): the portal accounts of that address in the tenant.
    user_keys = UnicodeSetAttribute(null=True)

    @staticmethod
    def login_key(tenant_id: str, portal_id: str, email: str) -> str:
        """The directory key of a portal user's e-mail: unique within one portal, so that
        nobody in one customer's portal can hold an address for the others."""
        return f"login#{tenant_id}#{portal_id}#{email.lower()}"

    @staticmethod
    def email_key(tenant_id: str, email: str) -> str:
        """The directory key listing an address's portal accounts in a tenant (sign-in
        without naming the portal, password resets)."""
        return f"email#{tenant_id}#{email.lower()}"

    @staticmethod
    def sso_key(tenant_id: str, customer_id: str, issuer: str, subject: str) -> str:
        """The directory key of a user a partner platform signs in: (customer, issuer,
        subject), hashed, so that no parts can be made to read as others, and an issuer
        registered for another customer never reaches these users."""
        parts = hashlib.sha256(f"{customer_id}\0{issuer}\0{subject}".encode()).hexdigest()
        return f"sso#{tenant_id}#{parts}"

    @staticmethod
    def slug_key(slug: str) -> str:
        """The directory key of a slug."""
        return f"slug#{slug}"

    @staticmethod
    def public_id_key(public_id: str) -> str:
        """The directory key of a public tenant id."""
        return f"public#{public_id}"
