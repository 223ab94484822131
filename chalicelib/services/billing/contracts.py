"""Contracts: made by the provider or by a signup, cancelled at the next date the notice
period allows, and opened by their customer through time-limited self-service links.

What was bought is copied into the contract when it is signed, so later catalogue changes
leave signed contracts alone. A signup is checked field by field on the server (whatever
the page did) and then written in one transaction (customer, contract, coupon redemption,
its `contract.signed_up` event): it happens whole or not at all. Every change of a contract
records its event (`contract.created`, `contract.cancelled`, `contract.link_created`, ...) in
its own transaction; a link's event never holds the link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import msgspec

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow

if TYPE_CHECKING:
    from dateutil.relativedelta import relativedelta
from chalicelib.errors import Conflict, FieldError, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import (
    Component,
    Contract,
    Coupon,
    Customer,
    Plan,
    PlanVariant,
    SelfServiceSettings,
    Tenant,
    Token,
)
from chalicelib.models.billing import ContractComponent, Payment
from chalicelib.models.customers import Address, Contact
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.billing import pricing
from chalicelib.services.billing import self_service_settings as settings_service
from chalicelib.services.platform import events, ratelimit
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import (
    ConditionsFailed,
    Transaction,
    batch_get,
    load_owned,
)
from chalicelib.services.platform.tenants import OPERATOR, tenant_id_for_slug
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, Caller, TenantContext

_PERIOD = re.compile(r"^P([0-9]{1,3})([DWMY])$")


# -- periods ---------------------------------------------------------------------------------


def period(text: str) -> relativedelta:
    """P14D, P1M, P1Y ... as a calendar step."""
    from dateutil.relativedelta import relativedelta  # not needed to serve most requests

    match = _PERIOD.fullmatch(text)
    if match is None:
        raise ValueError(f"not a period: {text!r}")
    count, unit = int(match.group(1)), match.group(2)
    return relativedelta(
        days=count if unit == "D" else 0,
        weeks=count if unit == "W" else 0,
        months=count if unit == "M" else 0,
        years=count if unit == "Y" else 0,
    )


def _approx_days(step: relativedelta) -> float:
    return float(step.days + 7 * step.weeks + 30.44 * step.months + 365.25 * step.years)


def next_period_start(start: datetime, billing_period: str, at_or_after: datetime) -> datetime:
    """The first start of a billing period (start + k periods, k >= 1) not before the time."""
    step = period(billing_period)
    days = _approx_days(step)
    if days <= 0:  # P0D as a billing period: every moment is a boundary
        return max(start, at_or_after)
    k = max(1, int((at_or_after - start).days / days) - 1)
    while start + step * k < at_or_after:
        k += 1
    while k > 1 and start + step * (k - 1) >= at_or_after:
        k -= 1
    return start + step * k


def earliest_end(item: Contract, now: datetime) -> datetime:
    """The end of the contract if it is cancelled now: the end of the first billing period
    that closes after the notice period has passed."""
    return next_period_start(item.start_at, item.billing_period, now + period(item.notice_period))


def status_of(item: Contract, now: datetime) -> str:
    """active, cancelled (ends at end_at) or ended."""
    if item.end_at is None:
        return "active"
    return "cancelled" if item.end_at > now else "ended"


# -- shapes ----------------------------------------------------------------------------------


def mask_iban(iban: str) -> str:
    """`DE89 **** **** 3000`: the country, check digits and last four only."""
    compact = iban.replace(" ", "")
    return f"{compact[:4]} **** **** {compact[-4:]}"


def payment_out(payment: Payment | None) -> schemas.PaymentOut | None:
    """How the customer pays, with the account masked."""
    if payment is None:
        return None
    return schemas.PaymentOut(
        method=payment.method,
        iban_masked=mask_iban(payment.iban) if payment.iban else None,
        account_holder=payment.account_holder,
    )


def contract_out(item: Contract, now: datetime | None = None) -> schemas.Contract:
    """The API shape of a contract."""
    return schemas.Contract(
        id=item.contract_id,
        customer_id=item.customer_id,
        plan_id=item.plan_id,
        plan_variant_id=item.variant_id,
        plan_name=item.plan_name,
        variant_name=item.variant_name,
        currency=item.currency,
        price=item.price,
        billing_period=item.billing_period,
        notice_period=item.notice_period,
        components=[
            schemas.ContractComponent(
                component_id=c.component_id,
                name=c.name,
                kind=cast("schemas.ComponentKind", c.kind),
                quantity=int(c.quantity),
                price=c.price,
                unit=c.unit,
            )
            for c in item.components or []
        ],
        coupon_code=item.coupon_code,
        discount_percent=int(item.discount_percent) if item.discount_percent else None,
        payment=payment_out(item.payment),
        external_id=item.external_id,
        additional_data=dict(item.additional_data.as_dict()) if item.additional_data else None,  # type: ignore[no-untyped-call]
        status=cast("Any", status_of(item, now or utcnow())),
        start_at=rfc3339(item.start_at),
        end_at=rfc3339(item.end_at) if item.end_at else None,
        cancelled_at=rfc3339(item.cancelled_at) if item.cancelled_at else None,
        document_count=int(item.document_count or 0),
        created_at=rfc3339(item.created_at),
        version=int(item.version or 1),
    )


def load(ctx: TenantContext, contract_id: str) -> Contract:
    """The tenant's contract; 404 otherwise."""
    return load_owned(Contract, ctx, contract_id, "contract")


def get(ctx: TenantContext, contract_id: str) -> schemas.Contract:
    """One contract."""
    return contract_out(load(ctx, contract_id))


def list_contracts(ctx: TenantContext, page: PageRequest) -> Page[schemas.Contract]:
    """The tenant's contracts, oldest first."""
    items, cursor = fetch_page(
        ctx, "contracts", page, lambda **kw: Contract.query(ctx.tenant_id, **kw)
    )
    now = utcnow()
    return page_of(schemas.Contract)(
        items=[contract_out(i, now) for i in items], next_cursor=cursor
    )


# -- the order: components, coupon, payment, customer data -----------------------------------


def _component_lines(
    plan: Plan,
    orders: Sequence[schemas.ComponentOrder],
    found: Sequence[Component | None],
    *,
    signup: bool,
) -> tuple[list[ContractComponent], list[FieldError]]:
    plan_id = plan.plan_id
    lines, errors, seen = [], [], set()
    for index, (order, item) in enumerate(zip(orders, found, strict=True)):
        field = f"components.{index}"
        offered = item is not None and item.plan_id == plan_id and item.kind != "metered"
        if offered and signup:
            offered = bool(item.show_in_signup)  # type: ignore[union-attr]
        if item is None or not offered:
            errors.append(
                FieldError(f"{field}.component_id", "no such component to order here", "choice")
            )
            continue
        if order.component_id in seen:
            errors.append(FieldError(f"{field}.component_id", "ordered twice", "repeated"))
            continue
        seen.add(order.component_id)
        low, high = int(item.min_quantity), int(item.max_quantity)
        if not low <= order.quantity <= high:
            errors.append(
                FieldError(
                    f"{field}.quantity",
                    f"must be from {low} to {high}",
                    "range",
                    {"low": low, "high": high},
                )
            )
            continue
        if order.quantity:
            lines.append(
                ContractComponent(  # type: ignore[no-untyped-call]
                    component_id=item.component_id,
                    name=item.name,
                    kind=item.kind,
                    quantity=order.quantity,
                    price=item.price,
                    unit=item.unit,
                )
            )
    return lines, errors + _missing_minimums(plan, seen, signup=signup)


def _missing_minimums(plan: Plan, ordered: set[str], *, signup: bool) -> list[FieldError]:
    """Components a contract must hold some of (on the signup page: those it offers)."""
    minimums = plan.minimums.as_dict() if plan.minimums is not None else {}  # type: ignore[no-untyped-call]
    return [
        FieldError(
            "components",
            f"order at least {int(rule['min'])} of component {cid}",
            "minimum",
            {"low": int(rule["min"])},
        )
        for cid, rule in sorted(minimums.items())
        if cid not in ordered and (rule.get("signup") or not signup)
    ]


def _coupon_errors(
    code: str | None, coupon: Coupon | None, variant_id: str, now: datetime
) -> list[FieldError]:
    if code is None:
        return []
    usable = (
        coupon is not None
        and (not coupon.plan_variant_ids or variant_id in coupon.plan_variant_ids)
        and (coupon.valid_until is None or coupon.valid_until > now)
        and (coupon.max_redemptions is None or coupon.redemptions < coupon.max_redemptions)
    )
    return (
        [] if usable else [FieldError("coupon_code", "not a valid coupon for this plan", "coupon")]
    )


def iban_valid(iban: str) -> bool:
    """ISO 13616 check digits (mod 97)."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def payment_of(data: schemas.PaymentData | None) -> tuple[Payment | None, list[FieldError]]:
    """The payment to store for what the customer gave, or the field errors."""
    if data is None:
        return None, []
    if data.method == "invoice":
        if data.sepa is not None:
            return None, [FieldError("payment.sepa", "only for sepa_debit")]
        return Payment(method="invoice"), []  # type: ignore[no-untyped-call]
    if data.sepa is None:
        return None, [FieldError("payment.sepa", "required for sepa_debit", "required")]
    if not iban_valid(data.sepa.iban):
        return None, [FieldError("payment.sepa.iban", "not a valid IBAN", "iban")]
    iban = data.sepa.iban.replace(" ", "").upper()
    return Payment(method="sepa_debit", iban=iban, account_holder=data.sepa.account_holder), []  # type: ignore[no-untyped-call]


def customer_errors(
    rules: schemas.FieldRules, values: dict[str, Any], *, prefix: str, partial: bool = False
) -> list[FieldError]:
    """Hidden fields must be absent, required ones present (in a partial update: not
    cleared). A partial update must not send a hidden field at all: `null` would clear it."""
    errors = []
    for field, rule_name in settings_service.FIELD_RULE.items():
        rule = getattr(rules, rule_name)
        sent = field in values
        value = values.get(field)
        if rule == "hidden" and sent and (partial or value is not None):
            errors.append(
                FieldError(prefix + field, "this field is not asked for; leave it out", "unknown")
            )
        elif rule == "required" and (value is None or value == []) and (sent or not partial):
            errors.append(FieldError(prefix + field, "required"))
    return errors


def display_name(contact: dict[str, Any], email: str | None) -> str:
    """How a customer made by a signup is named: company, else person, else e-mail."""
    person = " ".join(p for p in (contact.get("first_name"), contact.get("last_name")) if p)
    return contact.get("company") or person or email or "Customer"


def contact_item(values: dict[str, Any]) -> Contact:
    """The stored contact data of the customer's own data."""
    address = values.get("address")
    return Contact(  # type: ignore[no-untyped-call]
        company=values.get("company"),
        first_name=values.get("first_name"),
        last_name=values.get("last_name"),
        address=Address(**address) if address else None,  # type: ignore[no-untyped-call]
        address_lines=values.get("address_lines") or None,
        phone=values.get("phone"),
        vat_id=values.get("vat_id"),
        delivery_method=values.get("delivery_method"),
        birth_date=values.get("birth_date"),
    )


def _given(data: schemas.CustomerData) -> dict[str, Any]:
    return {
        name: value
        for name, value in msgspec.to_builtins(data).items()
        if value is not None and name != "language"
    }


# -- making a contract -----------------------------------------------------------------------


class _Order(msgspec.Struct, frozen=True):
    """A checked order, ready to be written."""

    variant: PlanVariant
    plan: Plan
    lines: list[ContractComponent]
    coupon: Coupon | None
    payment: Payment | None


def _contract(
    tenant_id: str,
    customer_id: str,
    order: _Order,
    now: datetime,
    *,
    source: str,
    external_id: str | None = None,
    additional_data: dict[str, str] | None = None,
) -> Contract:
    variant, plan = order.variant, order.plan
    return Contract(
        tenant_id,
        new_id("con"),
        customer_id=customer_id,
        plan_id=plan.plan_id,
        variant_id=variant.variant_id,
        plan_name=plan.name,
        variant_name=variant.name,
        currency=plan.currency,
        price=variant.price,
        billing_period=variant.billing_period,
        notice_period=variant.notice_period,
        components=order.lines,
        coupon_code=order.coupon.code if order.coupon else None,
        discount_percent=int(order.coupon.discount_percent) if order.coupon else None,
        payment=order.payment,
        external_id=external_id,
        additional_data=additional_data or None,
        source=source,
        start_at=now,
        link_epoch=0,
        document_count=0,
        created_at=now,
        updated_at=now,
    )


def _redeem(tx: Transaction, coupon: Coupon, now: datetime) -> None:
    condition = Coupon.code.exists()
    if coupon.max_redemptions is not None:
        condition &= Coupon.redemptions < coupon.max_redemptions
    if coupon.valid_until is not None:
        condition &= Coupon.valid_until > now
    tx.update(coupon, [Coupon.redemptions.add(1)], condition, label="coupon")


def _bought(item: Contract) -> dict[str, Any]:
    """What a contract's creation event says: the plan and variant bought."""
    return {"plan_id": item.plan_id, "plan_variant_id": item.variant_id}


def _coupon_gone() -> Invalid:
    return Invalid.field(
        "coupon_code", "this coupon was used up or withdrawn just now", code="coupon_used"
    )


def create(
    ctx: TenantContext, data: schemas.ContractCreate, *, clock: Clock = utcnow
) -> schemas.Contract:
    """A contract for an existing customer, made by the provider."""
    now = clock()
    t = ctx.tenant_id
    keys: list[tuple[Any, str, str | None]] = [
        (Customer, t, data.customer_id),
        (PlanVariant, t, data.plan_variant_id),
        (Coupon, t, Coupon.key_for(data.coupon_code or "-")),
        *((Component, t, o.component_id) for o in data.components),
    ]
    customer, variant, coupon, *components = batch_get(keys)
    errors = []
    if customer is None:
        errors.append(FieldError("customer_id", "no such customer"))
    if variant is None:
        raise Invalid.field("plan_variant_id", "no such plan variant")
    variant = cast(PlanVariant, variant)
    plan = Plan.get(t, variant.plan_id, consistent_read=True)
    lines, line_errors = _component_lines(
        plan, data.components, cast("list[Component | None]", components), signup=False
    )
    payment, payment_errors = payment_of(data.payment)
    coupon = cast("Coupon | None", coupon) if data.coupon_code else None
    errors += line_errors + payment_errors
    errors += _coupon_errors(data.coupon_code, coupon, variant.variant_id, now)
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    order = _Order(variant, plan, lines, coupon, payment)
    item = _contract(
        t,
        data.customer_id,
        order,
        now,
        source="api",
        external_id=data.external_id,
        additional_data=data.additional_data,
    )
    try:
        with Transaction() as tx:
            tx.save(item, condition=Contract.contract_id.does_not_exist())
            tx.update_unversioned(
                customer,  # type: ignore[arg-type]
                [Customer.contract_count.add(1)],
                Customer.customer_id.exists(),
                label="customer",
            )
            if coupon is not None:
                _redeem(tx, coupon, now)
            events.record(
                tx,
                ctx,
                "contract.created",
                item.contract_id,
                customer_id=data.customer_id,
                data=_bought(item),
                now=now,
            )
    except ConditionsFailed as exc:
        if "coupon" in exc.labels:
            raise _coupon_gone() from None
        raise Invalid.field("customer_id", "no such customer") from None
    return contract_out(item, now)


def _check_signup(
    data: schemas.Signup,
    settings: schemas.SelfServiceSettings,
    values: dict[str, Any],
    plan: Plan,
    variant: PlanVariant,
    coupon: Coupon | None,
    components: list[Component | None],
    now: datetime,
) -> tuple[list[ContractComponent], Payment | None]:
    """Every rule of the signup page, checked on the server: the lines and the payment,
    or 422 naming every field that breaks one."""
    errors = customer_errors(settings.fields, values, prefix="customer.")
    lines, line_errors = _component_lines(plan, data.components, components, signup=True)
    errors += line_errors
    if data.coupon_code is not None and not settings.signup.ask_coupon:
        errors.append(FieldError("coupon_code", "this signup page takes no coupon codes"))
    else:
        errors += _coupon_errors(data.coupon_code, coupon, variant.variant_id, now)
    missing = sorted(set(settings_service.mandatory_terms(settings)) - set(data.accepted_terms))
    errors += [
        FieldError(f"accepted_terms.{i}", "confirm this line to order", "terms") for i in missing
    ]
    unknown = set(data.accepted_terms) - set(settings_service.visible_terms(settings))
    errors += [FieldError("accepted_terms", f"there is no terms line {i}") for i in sorted(unknown)]
    payment, payment_errors = payment_of(data.payment)
    errors += payment_errors
    if settings.signup.ask_payment and data.payment is None:
        errors.append(FieldError("payment", "required"))
    if not settings.signup.ask_payment and data.payment is not None:
        errors.append(FieldError("payment", "this signup page does not ask for payment data"))
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    return lines, payment


SIGNUP_PER_ADDRESS = ratelimit.Limit("signup-address", 20, timedelta(hours=1))
# Quotes that try a coupon code, per address: the page asks once per code typed; guessing
# codes stays slow.
COUPON_TRIES_PER_ADDRESS = ratelimit.Limit("signup-coupon-address", 30, timedelta(minutes=15))


def quote(
    caller: Caller, slug: str, data: schemas.SignupQuoteRequest, *, clock: Clock = utcnow
) -> schemas.SignupQuote:
    """What an order on the signup page costs per period, by the rules and the arithmetic
    of the order itself: the same component and coupon checks (422 with the same field
    errors), and `pricing.recurring` for the sums. Nothing is written but the coupon tries'
    count."""
    if data.coupon_code is not None:
        ratelimit.spend(COUPON_TRIES_PER_ADDRESS, caller.source_ip)
    tenant_id = tenant_id_for_slug(slug)
    if tenant_id is None:
        raise NotFound("No such signup page.")
    t = tenant_id
    keys: list[tuple[Any, str, str | None]] = [
        (SelfServiceSettings, t, None),
        (PlanVariant, t, data.plan_variant_id),
        (Coupon, t, Coupon.key_for(data.coupon_code or "-")),
        *((Component, t, o.component_id) for o in data.components),
    ]
    settings_item, variant, coupon, *components = batch_get(keys)
    if variant is None or not variant.allow_signup:  # type: ignore[attr-defined]
        raise Invalid.field("plan_variant_id", "this plan variant is not open for signup")
    variant = cast(PlanVariant, variant)
    settings = settings_service.decode(cast("SelfServiceSettings | None", settings_item))
    plan = Plan.get(t, variant.plan_id, consistent_read=True)
    lines, errors = _component_lines(
        plan, data.components, cast("list[Component | None]", components), signup=True
    )
    usable = cast("Coupon | None", coupon) if data.coupon_code else None
    if data.coupon_code is not None and not settings.signup.ask_coupon:
        errors.append(FieldError("coupon_code", "this signup page takes no coupon codes"))
    else:
        errors += _coupon_errors(data.coupon_code, usable, variant.variant_id, clock())
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    figures = pricing.recurring(
        variant.price,
        (pricing.Line(line.price, int(line.quantity)) for line in lines),
        int(usable.discount_percent) if usable else None,
    )
    return schemas.SignupQuote(
        currency=plan.currency,
        price=str(variant.price),
        lines=[
            schemas.QuoteLine(
                component_id=line.component_id,
                quantity=int(line.quantity),
                amount=str(pricing.Line(line.price, int(line.quantity)).amount),
            )
            for line in lines
        ],
        subtotal=str(figures.subtotal),
        discount_percent=figures.discount_percent or None,
        discount=str(figures.discount) if figures.discount_percent else None,
        total=str(figures.total),
        coupon_code=usable.code if usable else None,
    )


# How events name whoever orders on a public signup page.
SIGNUP_ACTOR = "anonymous"


def signup(
    caller: Caller, slug: str, data: schemas.Signup, *, clock: Clock = utcnow
) -> schemas.SignupDone:
    """An order from the public signup page: every rule checked again, then the customer
    and the contract are made in one transaction."""
    ratelimit.spend(SIGNUP_PER_ADDRESS, caller.source_ip)
    tenant_id = tenant_id_for_slug(slug)
    if tenant_id is None:
        raise NotFound("No such signup page.")
    now = clock()
    t = tenant_id
    keys: list[tuple[Any, str, str | None]] = [
        (Tenant, t, None),
        (SelfServiceSettings, t, None),
        (PlanVariant, t, data.plan_variant_id),
        (Coupon, t, Coupon.key_for(data.coupon_code or "-")),
        *((Component, t, o.component_id) for o in data.components),
    ]
    tenant, settings_item, variant, coupon, *components = batch_get(keys)
    if tenant is None:
        raise NotFound("No such signup page.")
    if variant is None or not variant.allow_signup:  # type: ignore[attr-defined]
        raise Invalid.field("plan_variant_id", "this plan variant is not open for signup")
    variant = cast(PlanVariant, variant)
    settings = settings_service.decode(cast("SelfServiceSettings | None", settings_item))
    values = _given(data.customer)
    coupon = cast("Coupon | None", coupon) if data.coupon_code else None
    plan = Plan.get(t, variant.plan_id, consistent_read=True)
    lines, payment = _check_signup(
        data,
        settings,
        values,
        plan,
        variant,
        coupon,
        cast("list[Component | None]", components),
        now,
    )
    email = values.get("email")
    customer = Customer(
        t,
        new_id("cus"),
        name=display_name(values, email),
        email=email,
        language=data.customer.language or data.language,
        contact=contact_item(values),
        contract_count=1,
        created_at=now,
        updated_at=now,
    )
    item = _contract(
        t, customer.customer_id, _Order(variant, plan, lines, coupon, payment), now, source="signup"
    )
    try:
        with Transaction() as tx:
            tx.check(
                PlanVariant,
                t,
                variant.variant_id,
                PlanVariant.allow_signup == True,  # noqa: E712 - a condition, not a test
                label="variant",
            )
            tx.save(customer, condition=Customer.customer_id.does_not_exist())
            tx.save(item, condition=Contract.contract_id.does_not_exist())
            if coupon is not None:
                _redeem(tx, coupon, now)
            # Nobody signed in: the event names no person (and no address, which is
            # personal data kept only by the rate limit).
            events.record(
                tx,
                Actor(t, SIGNUP_ACTOR),
                "contract.signed_up",
                item.contract_id,
                customer_id=customer.customer_id,
                data=_bought(item),
                now=now,
            )
    except ConditionsFailed as exc:
        if "coupon" in exc.labels:
            raise _coupon_gone() from None
        raise Invalid.field("plan_variant_id", "this plan variant is not open for signup") from None
    origins = [str(origin) for origin in cast(Tenant, tenant).allowed_origins or []]
    success = settings_service.allowed_redirect(settings.urls.success, origins)
    redirect = with_query(success, "contractId", item.contract_id) if success else None
    return schemas.SignupDone(contract_id=item.contract_id, redirect_url=redirect)


def with_query(url: str, name: str, value: str) -> str:
    """The URL with one more query parameter, placed before any fragment."""
    address, hash_mark, fragment = url.partition("#")
    joined = f"{address}{'&' if '?' in address else '?'}{name}={value}"
    return f"{joined}{hash_mark}{fragment}"


def cancel(by: events.Acting, item: Contract, now: datetime) -> Contract:
    """End the contract at the next date its notice period allows; 409 when it already
    ends. `by` is the provider's context or the self-service link's: the event's actor."""
    if item.end_at is not None:
        raise Conflict(f"The contract already ends on {rfc3339(item.end_at)}.")
    end = earliest_end(item, now)
    try:
        with Transaction() as tx:
            tx.update(
                item,
                [
                    Contract.end_at.set(end),
                    Contract.cancelled_at.set(now),
                    Contract.cancelled_by.set(by.actor),
                    Contract.updated_at.set(now),
                ],
                Contract.end_at.does_not_exist(),
                label="contract",
            )
            events.record(
                tx,
                by,
                "contract.cancelled",
                item.contract_id,
                customer_id=item.customer_id,
                data={"end_at": rfc3339(end)},
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The contract was changed meanwhile; read it again.") from None
    item.end_at, item.cancelled_at, item.cancelled_by = end, now, by.actor
    item.version = int(item.version or 0) + 1
    return item


def cancel_by_provider(
    ctx: TenantContext, contract_id: str, *, clock: Clock = utcnow
) -> schemas.Contract:
    """Cancel on the customer's behalf, at the next date the notice period allows."""
    now = clock()
    return contract_out(cancel(ctx, load(ctx, contract_id), now), now)


# -- self-service links ----------------------------------------------------------------------


def link_url(slug: str, secret: str, language: str | None = None) -> str:
    """The self-service page with the token in the fragment (never sent to a server)."""
    query = f"?language={language}" if language else ""
    return f"{get_settings().public_base_url}/p/{slug}/self-service{query}#token={secret}"


# How long after its time a self-service link may still ask for a new one (by e-mail, to
# the contract's address).
RENEWABLE = timedelta(days=90)


def issue_link(
    tenant: Tenant,
    contract: Contract,
    minutes: int,
    now: datetime,
    language: str | None = None,
    *,
    by: events.Acting | None = None,
    tx: Transaction | None = None,
) -> tuple[str, str, datetime]:
    """A new link: (secret, url, expiry). Only the secret's digest is stored: in `tx` when
    given (whose change records its own event, such as an e-mail's), else at once with a
    `contract.link_created` event naming `by` (the operator when nobody is named)."""
    secret = credentials.mint(credentials.SELF_SERVICE_PREFIX)
    # Whole seconds: the expiry is stored as a TTL (epoch seconds), and the answer must say
    # the same time the check uses.
    expires = (now + timedelta(minutes=minutes)).replace(microsecond=0)
    token = Token(
        credentials.digest_of(secret),
        kind=credentials.SELF_SERVICE_KIND,
        tenant_id=tenant.tenant_id,
        subject_id=contract.contract_id,
        customer_id=contract.customer_id,
        epoch=int(contract.link_epoch or 0),
        created_at=now,
        valid_until=expires,
        expires_at=expires + RENEWABLE,
    )
    url = link_url(tenant.slug, secret, language)
    if tx is not None:
        tx.save(token, condition=Token.digest.does_not_exist())
        return secret, url, expires
    with Transaction() as own:
        own.save(token, condition=Token.digest.does_not_exist())
        # The expiry only: the link itself is a secret and never part of an event.
        events.record(
            own,
            by or Actor(tenant.tenant_id, OPERATOR),
            "contract.link_created",
            contract.contract_id,
            customer_id=contract.customer_id,
            data={"expires_at": rfc3339(expires)},
            now=now,
        )
    return secret, url, expires


def create_link(
    ctx: TenantContext, contract_id: str, data: schemas.TokenRequest, *, clock: Clock = utcnow
) -> schemas.SelfServiceLink:
    """A self-service link for one contract, valid for the given minutes (or the
    tenant's default)."""
    contract = load(ctx, contract_id)
    settings, _ = settings_service.load(ctx)
    tenant = Tenant.get(ctx.tenant_id, consistent_read=True)
    now = clock()
    minutes = data.validity_minutes or settings.token_validity_minutes
    secret, url, expires = issue_link(tenant, contract, minutes, now, data.language, by=ctx)
    return schemas.SelfServiceLink(token=secret, url=url, expires_at=rfc3339(expires))


def revoke_links(ctx: TenantContext, contract_id: str) -> None:
    """Withdraw every self-service link of the contract made so far; they stop at once."""
    contract = load(ctx, contract_id)
    with Transaction() as tx:
        tx.update_unversioned(contract, [Contract.link_epoch.add(1)], Contract.contract_id.exists())
        events.record(
            tx, ctx, "contract.links_withdrawn", contract_id, customer_id=contract.customer_id
        )
