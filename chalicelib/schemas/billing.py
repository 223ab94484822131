"""The billing catalogue, contracts and their documents, self-service settings, e-mails."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import UNSET, Meta, Struct, UnsetType, field

from chalicelib.schemas.common import (
    LANGUAGES,
    Date,
    Email,
    Input,
    InputTimestamp,
    Language,
    Name,
    ObjectId,
    Output,
    ShortText,
    Timestamp,
    Versioned,
)

# Money is a decimal written as text: exact, and never more than cents.
Price = Annotated[
    str,
    Meta(
        max_length=10,
        pattern=r"^(0|[1-9][0-9]{0,6})(\.[0-9]{1,2})?$",
        description="A decimal amount such as 19.90 (at most 9999999.99).",
        examples=["19.90"],
    ),
]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217, such as EUR.")]
Period = Annotated[
    str,
    Meta(
        pattern=r"^P[0-9]{1,3}[DWMY]$",
        description="An ISO 8601 period of days, weeks, months or years: P14D, P1M, P1Y.",
        examples=["P1M"],
    ),
]
Quantity = Annotated[int, Meta(ge=0, le=1_000_000)]
ComponentKind = Literal["quantity", "on_off", "metered"]
CouponCode = Annotated[
    str, Meta(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
]
HttpsUrl = Annotated[
    str,
    Meta(
        max_length=2000,
        pattern=r"^https://[^\x00-\x20\x7f\"'<>\\]+$|^http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?(/[^\x00-\x20\x7f\"'<>\\]*)?$",
        description="An https URL (http only for localhost).",
    ),
]
Heading = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"[^\x00-\x20\x7f]")]
# Dict keys typed as a Literal are checked by msgspec; the JSON schema must say so too.
_LANGUAGE_KEYS = {"propertyNames": {"enum": list(LANGUAGES)}}
Translations = Annotated[
    dict[Language, Heading],
    Meta(
        description="Text per language (en, de, da, ...); missing ones use Portway's.",
        extra_json_schema=_LANGUAGE_KEYS,
    ),
]
Minutes = Annotated[
    int, Meta(ge=1, le=10080, description="Minutes the link stays valid (1 to 10080).")
]
Rule = Literal["optional", "required", "hidden"]
DocumentKind = Literal["invoice", "credit_note"]
EmailKind = Literal["invoice", "credit_note", "reminder"]


# -- catalogue -------------------------------------------------------------------------------


class PlanCreate(Input):
    """A product family; its variants and components are priced in its currency."""

    name: Name
    description: Annotated[str, Meta(max_length=2000)] | None = None
    currency: Currency = "EUR"


class PlanUpdate(Versioned):
    """Fields sent are changed (the currency stays)."""

    name: Name | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType | None = UNSET


class Plan(Output):
    """A plan (product family)."""

    id: str
    name: str
    description: str | None
    currency: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class VariantCreate(Input):
    """A way to buy the plan: price per billing period, notice period, signup switch."""

    name: Name
    price: Price
    billing_period: Period = "P1M"
    notice_period: Period = "P1M"
    allow_signup: bool = False
    external_id: ShortText | None = None


class VariantUpdate(Versioned):
    """Fields sent are changed; signed contracts keep what they signed."""

    name: Name | UnsetType = UNSET
    price: Price | UnsetType = UNSET
    billing_period: Period | UnsetType = UNSET
    notice_period: Period | UnsetType = UNSET
    allow_signup: bool | UnsetType = UNSET
    external_id: ShortText | UnsetType | None = UNSET


class Variant(Output):
    """A plan variant; `signup_url` is its public signup page when signup is allowed."""

    id: str
    plan_id: str
    name: str
    price: str
    currency: str
    billing_period: str
    notice_period: str
    allow_signup: bool
    external_id: str | None
    signup_url: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ComponentCreate(Input):
    """Something a contract adds to the plan: a quantity (`min_quantity` to
    `max_quantity`), an on/off option, or a metered usage (price per unit)."""

    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "description": "show_in_signup is for quantity and on_off components, "
        "show_as_price_info for metered ones; min_quantity is at most max_quantity.",
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "metered"}}},
                "then": {"properties": {"show_in_signup": {"const": False}}},
                "else": {"properties": {"show_as_price_info": {"const": False}}},
            }
        ],
    }

    plan_id: ObjectId
    name: Name
    kind: ComponentKind
    price: Price
    unit: ShortText | None = None
    min_quantity: Quantity = 0
    max_quantity: Quantity = 1
    show_in_signup: bool = False
    show_as_price_info: bool = False


class ComponentUpdate(Versioned):
    """Fields sent are changed (the plan and the kind stay)."""

    name: Name | UnsetType = UNSET
    price: Price | UnsetType = UNSET
    unit: ShortText | UnsetType | None = UNSET
    min_quantity: Quantity | UnsetType = UNSET
    max_quantity: Quantity | UnsetType = UNSET
    show_in_signup: bool | UnsetType = UNSET
    show_as_price_info: bool | UnsetType = UNSET


class Component(Output):
    """A component of a plan."""

    id: str
    plan_id: str
    name: str
    kind: ComponentKind
    price: str
    unit: str | None
    min_quantity: int
    max_quantity: int
    show_in_signup: bool
    show_as_price_info: bool
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class CouponCreate(Input):
    """A discount code (compared without regard to case), for all or some variants."""

    code: CouponCode
    discount_percent: Annotated[int, Meta(ge=1, le=100)]
    plan_variant_ids: Annotated[list[ObjectId], Meta(max_length=50)] | None = None
    valid_until: InputTimestamp | None = None
    max_redemptions: Annotated[int, Meta(ge=1, le=10_000_000)] | None = None


class Coupon(Output):
    """A coupon and how often it was redeemed."""

    id: str
    code: str
    discount_percent: int
    plan_variant_ids: list[str] | None
    valid_until: Timestamp | None
    max_redemptions: int | None
    redemptions: int
    created_at: Timestamp


# -- customers' own data ---------------------------------------------------------------------


class Address(Struct, forbid_unknown_fields=True, kw_only=True):
    """A postal address."""

    street: Name
    postal_code: Annotated[str, Meta(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")]
    city: Name
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]


Phone = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^\+?[0-9 ()/.-]{3,40}$")]
VatId = Annotated[str, Meta(min_length=4, max_length=20, pattern=r"^[A-Z]{2}[A-Za-z0-9]{2,18}$")]
AddressLine = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"[^\x00-\x20\x7f]")]
DeliveryMethod = Literal["email", "post"]


class CustomerData(Input):
    """The customer's own data: which fields are asked, required or hidden is the
    tenant's choice (`PUT /v1/settings/self-service`, `fields`)."""

    company: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    address: Address | None = None
    address_lines: Annotated[list[AddressLine], Meta(max_length=2)] | None = None
    phone: Phone | None = None
    vat_id: VatId | None = None
    delivery_method: DeliveryMethod | None = None
    birth_date: Date | None = None
    language: Language | None = None


class CustomerDataUpdate(Input):
    """Contact data the customer changes; fields left out stay, `null` clears one."""

    company: Name | UnsetType | None = UNSET
    first_name: Name | UnsetType | None = UNSET
    last_name: Name | UnsetType | None = UNSET
    email: Email | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    address_lines: Annotated[list[AddressLine], Meta(max_length=2)] | UnsetType | None = UNSET
    phone: Phone | UnsetType | None = UNSET
    vat_id: VatId | UnsetType | None = UNSET
    delivery_method: DeliveryMethod | UnsetType | None = UNSET
    birth_date: Date | UnsetType | None = UNSET


class Iban(Struct, forbid_unknown_fields=True, kw_only=True):
    """A SEPA direct debit mandate's account."""

    iban: Annotated[
        str, Meta(min_length=15, max_length=42, pattern=r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$")
    ]
    account_holder: Name


class PaymentData(Input):
    """How the customer pays: by invoice, or by SEPA direct debit (`sepa` required, with
    an IBAN whose check digits are right)."""

    __json_schema_extra__: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "if": {"properties": {"method": {"const": "sepa_debit"}}},
                "then": {"required": ["sepa"], "properties": {"sepa": {"type": "object"}}},
                "else": {"properties": {"sepa": {"type": "null"}}},
            }
        ]
    }

    method: Literal["invoice", "sepa_debit"]
    sepa: Iban | None = None


# -- self-service settings -------------------------------------------------------------------


class FieldRules(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """For each customer field: optional, required or hidden (`name` is first and last)."""

    company: Rule = "optional"
    name: Rule = "required"
    email: Rule = "required"
    address: Rule = "optional"
    address_lines: Rule = "optional"
    phone: Rule = "optional"
    vat_id: Rule = "optional"
    delivery_method: Rule = "optional"
    birth_date: Rule = "hidden"


class SignupOptions(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """What the signup page asks and shows besides the customer's data."""

    ask_coupon: bool = False
    show_external_id: bool = False
    ask_payment: bool = True


class SignupHeadings(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Headings of the signup page, per language."""

    page_title: Translations | None = None
    order: Translations | None = None
    customer: Translations | None = None
    payment: Translations | None = None
    metered_prices: Translations | None = None


class Urls(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Where signups go (success gets `?contractId=`), and the texts terms lines link to.
    `success` and `error` must be on the tenant's embedding allowlist."""

    success: HttpsUrl | None = None
    error: HttpsUrl | None = None
    tac: HttpsUrl | None = None
    dpp: HttpsUrl | None = None
    withdrawal: HttpsUrl | None = None


class TermsLine(Struct, forbid_unknown_fields=True, kw_only=True):
    """One line above the order button. `{tac}`, `{dpp}` and `{withdrawal}` become links
    to those URLs; a line that names a URL which is not set is not shown."""

    text: Annotated[
        dict[Language, Annotated[str, Meta(min_length=1, max_length=500)]],
        Meta(min_length=1, extra_json_schema=_LANGUAGE_KEYS),
    ]
    mandatory: bool = False


class Section(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """One section of the self-service page: shown or not, with its heading per language."""

    visible: bool = True
    headings: Translations | None = None


class Sections(Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """The sections of the self-service page."""

    customer: Section = Section()
    payment: Section = Section()
    contract: Section = Section()
    account: Section = Section()
    documents: Section = Section()
    additional_data: Section = Section(visible=False)


class SelfServiceSettings(Input):
    """How the signup and self-service pages behave and read."""

    token_validity_minutes: Minutes = 1440
    fields: FieldRules = FieldRules()
    signup: SignupOptions = SignupOptions()
    headings: SignupHeadings = SignupHeadings()
    urls: Urls = Urls()
    terms_lines: Annotated[list[TermsLine], Meta(max_length=5)] = field(default_factory=list)
    allow_contact_edit: bool = True
    allow_cancellation: bool = False
    # The customer changes how it pays (SEPA direct debit or invoice) where the payment
    # section is shown.
    allow_payment_edit: bool = True
    sections: Sections = Sections()
    theme_id: ObjectId | None = None


class SelfServiceSettingsOut(SelfServiceSettings, kw_only=True):
    """The stored settings, with their version."""

    version: int
    updated_at: Timestamp | None


# -- contracts -------------------------------------------------------------------------------


class ComponentOrder(Struct, forbid_unknown_fields=True, kw_only=True):
    """How much of a component the contract takes (1 for an on/off component)."""

    component_id: ObjectId
    quantity: Annotated[int, Meta(ge=0, le=1_000_000)]


ComponentOrders = Annotated[list[ComponentOrder], Meta(max_length=50)]


class ContractCreate(Input):
    """A contract for an existing customer, made by the provider."""

    customer_id: ObjectId
    plan_variant_id: ObjectId
    components: ComponentOrders = field(default_factory=list)
    coupon_code: CouponCode | None = None
    payment: PaymentData | None = None
    external_id: ShortText | None = None
    additional_data: (
        Annotated[
            dict[
                Annotated[str, Meta(min_length=1, max_length=60)],
                Annotated[str, Meta(max_length=500)],
            ],
            Meta(max_length=20),
        ]
        | None
    ) = None


class ContractComponent(Output):
    """A component as the contract bought it."""

    component_id: str
    name: str
    kind: ComponentKind
    quantity: int
    price: str
    unit: str | None


class PaymentOut(Output):
    """How the customer pays; the account number is masked."""

    method: str
    iban_masked: str | None
    account_holder: str | None


class Contract(Output):
    """A contract: what was signed, and whether and when it ends."""

    id: str
    customer_id: str
    plan_id: str
    plan_variant_id: str
    plan_name: str
    variant_name: str
    currency: str
    price: str
    billing_period: str
    notice_period: str
    components: list[ContractComponent]
    coupon_code: str | None
    discount_percent: int | None
    payment: PaymentOut | None
    external_id: str | None
    additional_data: dict[str, str] | None
    status: Literal["active", "cancelled", "ended"]
    start_at: Timestamp
    end_at: Timestamp | None
    cancelled_at: Timestamp | None
    document_count: int
    created_at: Timestamp
    version: int


class TokenRequest(Input):
    """How long the link stays valid; the tenant's default when left out."""

    validity_minutes: Minutes | None = None
    language: Language | None = None


class PreviewQuery(Struct, kw_only=True):
    """Which page the preview shows (the signup page of the first variant open for signup,
    or the self-service page), in which language."""

    page: Literal["signup", "self_service"] = "self_service"
    # The languages pages are rendered in (chalicelib/pages/store.py).
    language: Literal["en", "de", "da"] = "en"


class PagePreview(Output):
    """Where the preview is (this origin only may frame it), and until when."""

    url: str
    expires_at: Timestamp


class SelfServiceLink(Output):
    """A self-service link: the token is in `url` (after `#`) and in `token`."""

    token: str
    url: str
    expires_at: Timestamp


class DocumentQuery(Struct, kw_only=True):
    """What the uploaded PDF is."""

    kind: DocumentKind = "invoice"
    number: (
        Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_./-]+$")] | None
    ) = None
    issued_on: Date | None = None


class Document(Output):
    """An invoice or credit note of a contract."""

    id: str
    contract_id: str
    kind: DocumentKind
    number: str
    issued_on: str
    size: int
    pages: int
    created_at: Timestamp


# -- the customer's side ---------------------------------------------------------------------


class SelfServiceCustomer(Output):
    """The customer's data as the tenant lets it be seen (hidden fields are absent)."""

    id: str
    name: str
    version: int
    company: str | UnsetType | None = UNSET
    first_name: str | UnsetType | None = UNSET
    last_name: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    address_lines: list[str] | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    vat_id: str | UnsetType | None = UNSET
    delivery_method: str | UnsetType | None = UNSET
    birth_date: str | UnsetType | None = UNSET


class Permissions(Output):
    """What the customer may do on the page."""

    edit_contact: bool
    cancel: bool
    editable_fields: list[str]
    required_fields: list[str]
    change_payment: bool = False


class Account(Output):
    """What the contract costs per period now, and when the next period starts."""

    recurring_total: str
    currency: str
    next_period_start: Timestamp | None
    # Before the coupon's discount, and the discount (none without a coupon).
    subtotal: str | None = None
    discount_percent: int | None = None
    discount: str | None = None


class Cancellation(Output):
    """When the contract would end if cancelled now."""

    possible: bool
    earliest_end: Timestamp | None


class SelfServiceView(Output):
    """The contract as its customer sees it: sections the provider hides are absent."""

    permissions: Permissions
    cancellation: Cancellation
    expires_at: Timestamp
    contract: Contract | UnsetType = UNSET
    customer: SelfServiceCustomer | UnsetType = UNSET
    payment: PaymentOut | UnsetType | None = UNSET
    account: Account | UnsetType = UNSET
    documents: list[Document] | UnsetType = UNSET
    additional_data: dict[str, str] | UnsetType | None = UNSET


class Signup(Input):
    """An order from the public signup page."""

    plan_variant_id: ObjectId
    customer: CustomerData
    components: ComponentOrders = field(default_factory=list)
    coupon_code: Annotated[str, Meta(max_length=40)] | None = None
    payment: PaymentData | None = None
    accepted_terms: Annotated[list[Annotated[int, Meta(ge=0, le=4)]], Meta(max_length=5)] = field(
        default_factory=list
    )
    language: Language | None = None


class SignupQuoteRequest(Input):
    """What the signup page's total is asked for: the variant, the components as ordered so
    far and the coupon code typed in."""

    plan_variant_id: ObjectId
    components: ComponentOrders = field(default_factory=list)
    coupon_code: Annotated[str, Meta(max_length=40)] | None = None


class QuoteLine(Output):
    """One ordered component's amount per period."""

    component_id: str
    quantity: int
    amount: str


class SignupQuote(Output):
    """What the order costs per period, computed as the contract will be: the plan's price,
    the components, the coupon's discount; 422 on a component or coupon the page cannot
    order (the same field errors as the order)."""

    currency: str
    price: str
    lines: list[QuoteLine]
    subtotal: str
    discount_percent: int | None
    discount: str | None
    total: str
    coupon_code: str | None


class NewLinkRequest(Input):
    """An expired self-service link's token, asking for a new link by e-mail."""

    token: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
    # The language of the page that asks (else the customer's): the e-mail's and the link's.
    language: Language | None = None


class SignupDone(Output):
    """The new contract and where to send the customer (`null`: stay on the page)."""

    contract_id: str
    redirect_url: str | None


# -- e-mails ---------------------------------------------------------------------------------


class EmailTemplateIn(Input):
    """The subject and text of one kind of e-mail in one language. Placeholders:
    {SelfServicePortalUrl} (a fresh self-service link; add ?language=xx for a language),
    {CustomerName}, {ContractId}, {PlanName}, {DocumentNumber}, {ProviderName}."""

    subject: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
    body: Annotated[str, Meta(min_length=1, max_length=20000)]


class EmailTemplate(Output):
    """One e-mail template: the tenant's own, or Portway's (`custom` false) until saved."""

    kind: EmailKind
    language: Language
    subject: str
    body: str
    custom: bool
    updated_at: Timestamp | None


class EmailSend(Input):
    """Send one e-mail of a contract to its customer."""

    kind: EmailKind
    document_id: ObjectId | None = None
    language: Language | None = None
    to: Email | None = None


class EmailSent(Output):
    """What was sent, to whom, and until when its self-service link works."""

    id: str
    to: str
    subject: str
    language: str
    transport: Literal["ses", "outbox"]
    link_expires_at: Timestamp | None
