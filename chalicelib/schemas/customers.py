"""Customers and business units."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from chalicelib.schemas.common import (
    Email,
    Input,
    Language,
    Name,
    Output,
    ShortText,
    Timestamp,
    Versioned,
)

ExternalId = Annotated[ShortText, Meta(description="Your id of the customer in your system.")]


class CustomerCreate(Input):
    """A new customer."""

    name: Name
    customer_type: ShortText | None = None
    external_id: ExternalId | None = None
    language: Language | None = None
    email: Email | None = None


class CustomerUpdate(Versioned):
    """Fields sent are changed; `null` clears an optional field."""

    name: Name | UnsetType = UNSET
    customer_type: ShortText | UnsetType | None = UNSET
    external_id: ExternalId | UnsetType | None = UNSET
    language: Language | UnsetType | None = UNSET
    email: Email | UnsetType | None = UNSET


class PostalAddress(Output):
    """A postal address."""

    street: str
    postal_code: str
    city: str
    country: str


class Contact(Output):
    """What the customer told about itself (at signup, or on its self-service page)."""

    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address: PostalAddress | None = None
    address_lines: list[str] | None = None
    phone: str | None = None
    vat_id: str | None = None
    delivery_method: str | None = None
    birth_date: str | None = None


class Customer(Output):
    """A customer of the tenant."""

    id: str
    name: str
    customer_type: str | None
    external_id: str | None
    language: Language | None
    email: str | None
    contact: Contact | None
    asset_count: int
    business_unit_count: int
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class BusinessUnitCreate(Input):
    """A new business unit (shown as a group in the customer's portal)."""

    name: Name


class BusinessUnit(Output):
    """A business unit of a customer."""

    id: str
    customer_id: str
    name: str
    created_at: Timestamp
