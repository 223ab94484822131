"""The customer's side of a self-service link: the contract and what the provider lets the
customer see and do with it.

A view is three DynamoDB calls: the token (in `tenancy.authenticate_self_service`), one
batch read of the contract, the customer and the settings, and one query of the documents.
The contract's link epoch is checked on every call, so a withdrawn link stops at once.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Forbidden, Invalid, NotFound
from chalicelib.models import Contract, Customer, Document, SelfServiceSettings
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.services.billing import contracts, documents, pricing
from chalicelib.services.billing import self_service_settings as settings_service
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.services.platform.versioning import change_actions
from chalicelib.tenancy import SelfServiceContext, link_refused

_CONTACT_FIELDS = tuple(f for f in settings_service.FIELD_RULE if f != "email")


def _load(
    ctx: SelfServiceContext, *extra: tuple[Any, str, str | None]
) -> tuple[Contract, Customer, schemas.SelfServiceSettings, list[Any]]:
    contract, customer, settings_item, *more = batch_get(
        [
            (Contract, ctx.tenant_id, ctx.contract_id),
            (Customer, ctx.tenant_id, ctx.customer_id),
            (SelfServiceSettings, ctx.tenant_id, None),
            *extra,
        ]
    )
    if contract is None or customer is None:
        raise link_refused("This link is not valid.", "invalid")
    contract = cast(Contract, contract)
    if int(contract.link_epoch or 0) != ctx.epoch:
        raise link_refused("This link was withdrawn; ask for a new one.", "revoked")
    settings = settings_service.decode(cast("SelfServiceSettings | None", settings_item))
    return contract, cast(Customer, customer), settings, more


def _customer_values(customer: Customer) -> dict[str, Any]:
    contact = customer.contact.as_dict() if customer.contact is not None else {}  # type: ignore[no-untyped-call]
    values = {name: contact.get(name) for name in _CONTACT_FIELDS}
    values["email"] = customer.email
    if customer.contact is not None and customer.contact.address is not None:
        values["address"] = schemas.Address(**customer.contact.address.as_dict())  # type: ignore[no-untyped-call]
    if values.get("address_lines") is not None:
        values["address_lines"] = list(values["address_lines"])
    return values


def customer_out(customer: Customer, rules: schemas.FieldRules) -> schemas.SelfServiceCustomer:
    """The customer's data, without the fields the provider hides."""
    values = _customer_values(customer)
    shown = {
        field: values.get(field)
        for field, rule in settings_service.FIELD_RULE.items()
        if getattr(rules, rule) != "hidden"
    }
    return schemas.SelfServiceCustomer(
        id=customer.customer_id, name=customer.name, version=int(customer.version or 1), **shown
    )


def _permissions(settings: schemas.SelfServiceSettings, contract: Contract) -> schemas.Permissions:
    rules = settings.fields
    editable = settings.allow_contact_edit and settings.sections.customer.visible
    fields = [f for f, r in settings_service.FIELD_RULE.items() if getattr(rules, r) != "hidden"]
    return schemas.Permissions(
        edit_contact=editable,
        change_payment=settings.allow_payment_edit and settings.sections.payment.visible,
        cancel=settings.allow_cancellation and contract.end_at is None,
        editable_fields=fields if editable else [],
        required_fields=[
            f for f in fields if getattr(rules, settings_service.FIELD_RULE[f]) == "required"
        ],
    )


def _account(contract: Contract, now: Any) -> schemas.Account:
    figures = pricing.recurring(
        contract.price,
        (
            pricing.Line(c.price, int(c.quantity))
            for c in contract.components or []
            if c.kind != "metered"
        ),
        int(contract.discount_percent) if contract.discount_percent else None,
    )
    upcoming = contracts.next_period_start(contract.start_at, contract.billing_period, now)
    ended = contract.end_at is not None and upcoming >= contract.end_at
    return schemas.Account(
        recurring_total=str(figures.total),
        subtotal=str(figures.subtotal),
        discount_percent=figures.discount_percent or None,
        discount=str(figures.discount) if figures.discount_percent else None,
        currency=contract.currency,
        next_period_start=None if ended else rfc3339(upcoming),
    )


def view(ctx: SelfServiceContext, *, clock: Clock = utcnow) -> schemas.SelfServiceView:
    """The contract as its customer sees it."""
    now = clock()
    contract, customer, settings, _ = _load(ctx)
    sections = settings.sections
    out = schemas.SelfServiceView(
        permissions=_permissions(settings, contract),
        cancellation=schemas.Cancellation(
            possible=settings.allow_cancellation and contract.end_at is None,
            earliest_end=rfc3339(contracts.earliest_end(contract, now))
            if contract.end_at is None
            else None,
        ),
        expires_at=rfc3339(ctx.expires_at),
    )
    if sections.contract.visible:
        shown = contracts.contract_out(contract, now)
        # Payment and additional data are sections of their own.
        out.contract = msgspec.structs.replace(shown, payment=None, additional_data=None)
    if sections.customer.visible:
        out.customer = customer_out(customer, settings.fields)
    if sections.payment.visible:
        out.payment = contracts.payment_out(contract.payment)
    if sections.account.visible:
        out.account = _account(contract, now)
    if sections.additional_data.visible:
        out.additional_data = (
            dict(contract.additional_data.as_dict()) if contract.additional_data else None  # type: ignore[no-untyped-call]
        )
    if sections.documents.visible:
        out.documents = [documents.document_out(d) for d in documents.latest(ctx)]
    return out


def update_customer(
    ctx: SelfServiceContext, data: schemas.CustomerDataUpdate, *, clock: Clock = utcnow
) -> schemas.SelfServiceCustomer:
    """Change the customer's contact data, where the provider allows it."""
    contract, customer, settings, _ = _load(ctx)
    del contract
    permissions_editable = settings.allow_contact_edit and settings.sections.customer.visible
    if not permissions_editable:
        raise Forbidden("Contact data cannot be changed here; contact your provider.")
    sent = {
        name: msgspec.to_builtins(value)
        for name, value in msgspec.structs.asdict(data).items()
        if value is not msgspec.UNSET
    }
    errors = contracts.customer_errors(settings.fields, sent, prefix="", partial=True)
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    if not sent:
        return customer_out(customer, settings.fields)
    values = {
        k: (msgspec.to_builtins(v) if isinstance(v, msgspec.Struct) else v)
        for k, v in _customer_values(customer).items()
    }
    values.update(sent)
    changes: dict[str, Any] = {"contact": contracts.contact_item(values)}
    if sent.keys() & {"company", "first_name", "last_name"}:
        # The customer renamed itself; otherwise the name the provider knows it by stays.
        changes["name"] = contracts.display_name(values, values.get("email"))
    if "email" in sent:
        changes["email"] = sent["email"]
    now = clock()
    try:
        with Transaction() as tx:
            # PynamoDB conditions the update on the version read.
            tx.update(customer, change_actions(Customer, changes, now), label="customer")
            # The names of the fields sent, never their values (contact data).
            events.record(
                tx,
                ctx,
                "contract.customer_updated",
                ctx.contract_id,
                customer_id=ctx.customer_id,
                data={"changed": sorted(sent)},
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("Your data was changed meanwhile; reload the page.") from None
    for name, value in changes.items():
        setattr(customer, name, value)
    customer.updated_at = now
    return customer_out(customer, settings.fields)


def change_payment(
    ctx: SelfServiceContext, data: schemas.PaymentData, *, clock: Clock = utcnow
) -> schemas.PaymentOut:
    """Change how the contract is paid, where the provider allows it: an IBAN is checked by
    its check digits (the same rule as the signup), kept for the debit and shown masked."""
    contract, _, settings, _ = _load(ctx)
    if not (settings.allow_payment_edit and settings.sections.payment.visible):
        raise Forbidden("The payment method cannot be changed here; contact your provider.")
    payment, errors = contracts.payment_of(data)
    if errors or payment is None:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    now = clock()
    try:
        with Transaction() as tx:
            tx.update(
                contract,
                [Contract.payment.set(payment), Contract.updated_at.set(now)],
                label="contract",
            )
            # The method only: an account number is never part of an event.
            events.record(
                tx,
                ctx,
                "contract.payment_changed",
                ctx.contract_id,
                customer_id=ctx.customer_id,
                data={"method": data.method},
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("Your contract was changed meanwhile; reload the page.") from None
    out = contracts.payment_out(payment)
    assert out is not None  # a payment was given
    return out


def cancel(ctx: SelfServiceContext, *, clock: Clock = utcnow) -> schemas.Contract:
    """Cancel the contract at the next date the notice period allows, where allowed."""
    contract, _, settings, _ = _load(ctx)
    if not settings.allow_cancellation:
        raise Forbidden("The contract cannot be cancelled here; contact your provider.")
    now = clock()
    return contracts.contract_out(contracts.cancel(ctx, contract, now), now)


def document(ctx: SelfServiceContext, document_id: str) -> Document:
    """One of the contract's documents (its PDF: `documents.pdf`)."""
    _, _, settings, (item,) = _load(
        ctx, (Document, ctx.tenant_id, Document.key_for(ctx.contract_id, document_id))
    )
    if item is None or not settings.sections.documents.visible:
        raise NotFound(f"No document {document_id}.")
    found: Document = item
    return found
