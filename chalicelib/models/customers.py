"""Customers of a tenant and their business units."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import PortwayModel, TableMeta


class Address(MapAttribute[str, object]):
    """A postal address."""

    street = UnicodeAttribute()
    postal_code = UnicodeAttribute()
    city = UnicodeAttribute()
    country = UnicodeAttribute()  # ISO 3166-1 alpha-2


class Contact(MapAttribute[str, object]):
    """What a customer tells about itself when it signs up or edits its data."""

    company = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    address = Address(null=True)  # type: ignore[no-untyped-call]
    address_lines = ListAttribute(of=UnicodeAttribute, null=True)
    phone = UnicodeAttribute(null=True)
    vat_id = UnicodeAttribute(null=True)
    delivery_method = UnicodeAttribute(null=True)  # email | post
    birth_date = UnicodeAttribute(null=True)  # YYYY-MM-DD


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
    # What a search matches: the name and external id, lower-cased (`search_text_for`).
    search_text = UnicodeAttribute(null=True)
    contact = Contact(null=True)  # type: ignore[no-untyped-call]
    asset_count = NumberAttribute(default=0)
    unit_count = NumberAttribute(default=0)
    contract_count = NumberAttribute(default=0)
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


class CustomerImport(PortwayModel):
    """A file of customers read and checked, waiting to be written (or written). The rows as
    read, each with its problems and the customer id it will get, are a blob (`blob_key`);
    `written` is how many of the rows to write are written, so that writing continues where it
    stopped and never writes a row twice."""

    class Meta(metaclass=TableMeta):
        base_name = "customer-imports"

    tenant_id = UnicodeAttribute(hash_key=True)
    import_id = UnicodeAttribute(range_key=True)
    file_name = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # previewed | writing | written
    mode = UnicodeAttribute(null=True)  # all | valid: which rows the person confirmed
    row_count = NumberAttribute()
    valid_count = NumberAttribute()
    to_write = NumberAttribute(default=0)
    written = NumberAttribute(default=0)
    blob_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    version = VersionAttribute()

    @staticmethod
    def blob_key_for(tenant_id: str, import_id: str) -> str:
        """Where the checked rows of an import are kept."""
        return f"imports/{tenant_id}/{import_id}.json"
