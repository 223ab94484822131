"""The billing catalogue (plans, variants, components, coupons), contracts, their documents,
and a tenant's self-service settings and e-mail templates."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortwayModel, TableMeta


def plan_key(tenant_id: str, plan_id: str) -> str:
    """The by_plan index key of one plan's variants or components."""
    return f"{tenant_id}#{plan_id}"


class VariantsByPlan(GlobalSecondaryIndex["PlanVariant"]):  # type: ignore[no-untyped-call]
    """A plan's variants: hash `{tenant_id}#{plan_id}`, all attributes (they are small)."""

    class Meta:
        index_name = "by_plan"
        projection = AllProjection()

    plan_key = UnicodeAttribute(hash_key=True)
    variant_id = UnicodeAttribute(range_key=True)


class ComponentsByPlan(GlobalSecondaryIndex["Component"]):  # type: ignore[no-untyped-call]
    """A plan's components: hash `{tenant_id}#{plan_id}`, all attributes."""

    class Meta:
        index_name = "by_plan"
        projection = AllProjection()

    plan_key = UnicodeAttribute(hash_key=True)
    component_id = UnicodeAttribute(range_key=True)


class Plan(PortwayModel):
    """A product family: its variants are what customers sign up for. Prices of its
    variants and components are in the plan's currency."""

    class Meta(metaclass=TableMeta):
        base_name = "plans"

    tenant_id = UnicodeAttribute(hash_key=True)
    plan_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    # Quantity components a contract must hold some of: component id -> {"min": n, "signup":
    # offered on the signup page}. Kept in the same transaction as each component write.
    minimums = MapAttribute[str, Any](default=dict)  # type: ignore[no-untyped-call]
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class PlanVariant(PortwayModel):
    """One way to buy a plan: price per billing period, notice period, whether the public
    signup page offers it. Looked up by its own id (signup links name only the variant)."""

    class Meta(metaclass=TableMeta):
        base_name = "plan-variants"

    tenant_id = UnicodeAttribute(hash_key=True)
    variant_id = UnicodeAttribute(range_key=True)
    plan_id = UnicodeAttribute()
    plan_key = UnicodeAttribute()
    name = UnicodeAttribute()
    price = UnicodeAttribute()  # a decimal as text ("19.90"): exact, never a float
    billing_period = UnicodeAttribute()  # P1M, P3M, P1Y, P14D ...
    notice_period = UnicodeAttribute()  # P0D, P14D, P1M ...
    allow_signup = BooleanAttribute(default=False)
    external_id = UnicodeAttribute(null=True)  # the provider's article number
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_plan = VariantsByPlan()


class Component(PortwayModel):
    """Something a contract adds to its plan: a quantity (seats), an on/off option, or a
    metered usage (shown on the signup page as price information only)."""

    class Meta(metaclass=TableMeta):
        base_name = "components"

    tenant_id = UnicodeAttribute(hash_key=True)
    component_id = UnicodeAttribute(range_key=True)
    plan_id = UnicodeAttribute()
    plan_key = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()  # quantity | on_off | metered
    price = UnicodeAttribute()  # per unit (quantity, metered) or per period (on_off)
    unit = UnicodeAttribute(null=True)
    min_quantity = NumberAttribute(default=0)
    max_quantity = NumberAttribute(default=1)
    show_in_signup = BooleanAttribute(default=False)
    show_as_price_info = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_plan = ComponentsByPlan()


class Coupon(PortwayModel):
    """A discount code. Range key: the code in upper case, so a code is unique per tenant
    and is found with one read."""

    class Meta(metaclass=TableMeta):
        base_name = "coupons"

    tenant_id = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)
    coupon_id = UnicodeAttribute()
    discount_percent = NumberAttribute()
    plan_variant_ids = ListAttribute(of=UnicodeAttribute, null=True)  # None: every variant
    valid_until = UTCDateTimeAttribute(null=True)
    max_redemptions = NumberAttribute(null=True)
    redemptions = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key_for(code: str) -> str:
        """Codes are compared without regard to case."""
        return code.upper()


class ContractComponent(MapAttribute[str, object]):
    """A component as the contract bought it: name and price are kept as signed."""

    component_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    quantity = NumberAttribute()
    price = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)


class Payment(MapAttribute[str, object]):
    """How the customer pays: by invoice, or by SEPA direct debit from an account."""

    method = UnicodeAttribute()  # invoice | sepa_debit
    iban = UnicodeAttribute(null=True)
    account_holder = UnicodeAttribute(null=True)


class Contract(PortwayModel):
    """A customer's subscription to a plan variant. What was bought (plan and variant
    names, prices, periods) is copied in at signing: later catalogue changes do not change
    a signed contract, and the self-service view needs no catalogue read."""

    class Meta(metaclass=TableMeta):
        base_name = "contracts"

    tenant_id = UnicodeAttribute(hash_key=True)
    contract_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    plan_id = UnicodeAttribute()
    variant_id = UnicodeAttribute()
    plan_name = UnicodeAttribute()
    variant_name = UnicodeAttribute()
    currency = UnicodeAttribute()
    price = UnicodeAttribute()
    billing_period = UnicodeAttribute()
    notice_period = UnicodeAttribute()
    components = ListAttribute(of=ContractComponent, default=list)
    coupon_code = UnicodeAttribute(null=True)
    discount_percent = NumberAttribute(null=True)
    payment = Payment(null=True)  # type: ignore[no-untyped-call]
    external_id = UnicodeAttribute(null=True)
    additional_data = MapAttribute[str, str](null=True)  # type: ignore[no-untyped-call]
    source = UnicodeAttribute()  # signup | api
    start_at = UTCDateTimeAttribute()
    end_at = UTCDateTimeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    # Self-service links carry the epoch they were made in; revoking moves it on.
    link_epoch = NumberAttribute(default=0)
    document_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class Document(PortwayModel):
    """An invoice or credit note of a contract (the PDF is a blob). Range key
    `{contract_id}#{document_id}`: a contract's documents are one query, newest last."""

    class Meta(metaclass=TableMeta):
        base_name = "documents"

    tenant_id = UnicodeAttribute(hash_key=True)
    document_key = UnicodeAttribute(range_key=True)
    document_id = UnicodeAttribute()
    contract_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # invoice | credit_note
    number = UnicodeAttribute()
    issued_on = UnicodeAttribute()  # YYYY-MM-DD
    blob_key = UnicodeAttribute()
    size = NumberAttribute()
    pages = NumberAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def key_for(contract_id: str, document_id: str) -> str:
        """The range key of one document."""
        return f"{contract_id}#{document_id}"

    @staticmethod
    def prefix_for(contract_id: str) -> str:
        """The range key prefix of one contract's documents."""
        return f"{contract_id}#"

    @staticmethod
    def blob_key_for(tenant_id: str, contract_id: str, document_id: str) -> str:
        """Where the PDF lives in the blob store."""
        return f"documents/{tenant_id}/{contract_id}/{document_id}.pdf"


class SelfServiceSettings(PortwayModel):
    """How a tenant's signup and self-service pages behave and read: one item per tenant.
    The settings are one validated JSON document (`chalicelib.schemas.billing`), read and
    replaced whole."""

    class Meta(metaclass=TableMeta):
        base_name = "self-service-settings"

    tenant_id = UnicodeAttribute(hash_key=True)
    document = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class EmailTemplate(PortwayModel):
    """The text of one kind of e-mail (invoice, credit note, reminder) in one language.
    Range key `{kind}#{language}`."""

    class Meta(metaclass=TableMeta):
        base_name = "email-templates"

    tenant_id = UnicodeAttribute(hash_key=True)
    template_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    language = UnicodeAttribute()
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key_for(kind: str, language: str) -> str:
        """The range key of one template."""
        return f"{kind}#{language}"
