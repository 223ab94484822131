"""Customers of a tenant and their business units."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class Customer(PortwayModel):
    """Hash key tenant_id, range key customer_id (time-ordered, so lists are by age)."""

    class Meta(metaclass=TableMeta):
        base_name = "customers"

    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    customer_type = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    asset_count = NumberAttribute(default=0)
    unit_count = NumberAttribute(default=0)
    # XOR of the assigned asset ids' digests: tells whether the (eventually consistent)
    # by_customer index already shows every assignment. See services/assignments.py.
    assignment_digest = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class BusinessUnit(PortwayModel):
    """A customer's business unit. Range key `{customer_id}#{unit_id}`: one query per customer."""

    class Meta(metaclass=TableMeta):
        base_name = "business-units"

    tenant_id = UnicodeAttribute(hash_key=True)
    unit_key = UnicodeAttribute(range_key=True)
    unit_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key_for(customer_id: str, unit_id: str) -> str:
        """The range key of one business unit."""
        return f"{customer_id}#{unit_id}"

    @staticmethod
    def prefix_for(customer_id: str) -> str:
        """The range key prefix of one customer's business units."""
        return f"{customer_id}#"
