"""Customers and business units."""

from __future__ import annotations

from pydantic import Field

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

CustomerType = ShortText


class CustomerCreate(Input):
    name: Name
    customer_type: CustomerType | None = Field(default=None, examples=["dealer", "end_customer"])
    external_id: ShortText | None = Field(default=None, description="Your id in your own system.")
    language: Language | None = None
    email: Email | None = None


class CustomerUpdate(Versioned):
    """Fields present are changed; `null` clears an optional field."""

    name: Name | None = None
    customer_type: CustomerType | None = None
    external_id: ShortText | None = None
    language: Language | None = None
    email: Email | None = None


class Customer(Output):
    id: str
    name: str
    customer_type: str | None
    external_id: str | None
    language: Language | None
    email: str | None
    asset_count: int
    business_unit_count: int
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class BusinessUnitCreate(Input):
    name: Name


class BusinessUnit(Output):
    id: str
    customer_id: str
    name: str
    created_at: Timestamp
