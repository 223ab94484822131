"""E-mails to a contract's customer (invoice, credit note, reminder), from the tenant's
templates per language, with a fresh self-service link wherever a template says
`{SelfServicePortalUrl}` (and `{SelfServicePortalUrl}?language=xx` opens the page in that
language).

Sent through SES in AWS; on one machine (and in tests) written as `.eml` files to the
outbox folder (`PORTWAY_OUTBOX_DIR`, `.local/outbox` by default). A sent e-mail records
`contract.email_sent` (kind, language, recipient) once it is handed over, in one transaction
with the link it holds; one that cannot be sent records nothing and stores no link.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast

from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import (
    Contract,
    Customer,
    Document,
    EmailTemplate,
    SelfServiceSettings,
    Tenant,
)
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import LANGUAGES, rfc3339
from chalicelib.services.billing import contracts
from chalicelib.services.billing import self_service_settings as settings_service
from chalicelib.services.platform import events, ratelimit
from chalicelib.services.platform.outbound_mail import (  # noqa: F401 - part of this module's API
    Mail,
    OutboxTransport,
    SesTransport,
    Suppressed,
    Transport,
    deliver,
    transport,
)
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, Caller, TenantContext

LINK = "SelfServicePortalUrl"
PLACEHOLDERS = (LINK, "CustomerName", "ContractId", "PlanName", "DocumentNumber", "ProviderName")
# `{SelfServicePortalUrl}`, optionally followed by `?language=xx` (which must end up before
# the link's `#token=`, not after it).
_LINK = re.compile(r"\{SelfServicePortalUrl\}(?:\?language=([a-z]{2})\b)?")
_ANY = re.compile(r"\{([A-Za-z]+)\}")

# Portway's own texts, used until the tenant saves its own.
BUILT_IN: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "invoice": (
            "Your invoice {DocumentNumber} from {ProviderName}",
            "Hello {CustomerName},\n\nyour invoice {DocumentNumber} for {PlanName} is ready. "
            "See it and your contract here:\n{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
        "credit_note": (
            "Your credit note {DocumentNumber} from {ProviderName}",
            "Hello {CustomerName},\n\nyour credit note {DocumentNumber} is ready:\n"
            "{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
        "reminder": (
            "Payment reminder from {ProviderName}",
            "Hello {CustomerName},\n\nan invoice of your contract {ContractId} is still open. "
            "See it here:\n{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
    },
    "de": {
        "invoice": (
            "Ihre Rechnung {DocumentNumber} von {ProviderName}",
            "Guten Tag {CustomerName},\n\nIhre Rechnung {DocumentNumber} für {PlanName} liegt "
            "bereit. Sie finden sie mit Ihrem Vertrag hier:\n{SelfServicePortalUrl}\n\n"
            "{ProviderName}",
        ),
        "credit_note": (
            "Ihre Gutschrift {DocumentNumber} von {ProviderName}",
            "Guten Tag {CustomerName},\n\nIhre Gutschrift {DocumentNumber} liegt bereit:\n"
            "{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
        "reminder": (
            "Zahlungserinnerung von {ProviderName}",
            "Guten Tag {CustomerName},\n\neine Rechnung zu Ihrem Vertrag {ContractId} ist noch "
            "offen. Details hier:\n{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
    },
    "da": {
        "invoice": (
            "Din faktura {DocumentNumber} fra {ProviderName}",
            "Hej {CustomerName},\n\ndin faktura {DocumentNumber} for {PlanName} er klar. "
            "Se den og din aftale her:\n{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
        "credit_note": (
            "Din kreditnota {DocumentNumber} fra {ProviderName}",
            "Hej {CustomerName},\n\ndin kreditnota {DocumentNumber} er klar:\n"
            "{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
        "reminder": (
            "Betalingspåmindelse fra {ProviderName}",
            "Hej {CustomerName},\n\nen faktura på din aftale {ContractId} er endnu ikke "
            "betalt. Se den her:\n{SelfServicePortalUrl}\n\n{ProviderName}",
        ),
    },
}


# -- templates -------------------------------------------------------------------------------


def _template_out(item: EmailTemplate) -> schemas.EmailTemplate:
    return schemas.EmailTemplate(
        kind=item.kind,  # type: ignore[arg-type]
        language=item.language,  # type: ignore[arg-type]
        subject=item.subject,
        body=item.body,
        custom=True,
        updated_at=rfc3339(item.updated_at),
    )


def _check_placeholders(data: schemas.EmailTemplateIn) -> None:
    errors = []
    for field in ("subject", "body"):
        unknown = sorted(set(_ANY.findall(getattr(data, field))) - set(PLACEHOLDERS))
        if unknown:
            errors.append(
                Invalid.field(
                    field,
                    f"unknown placeholder {{{unknown[0]}}}; use "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS),
                )
            )
    if LINK in data.subject:
        errors.append(Invalid.field("subject", "the self-service link belongs in the body"))
    if errors:
        raise Invalid(
            f"{len(errors)} field(s) are invalid.", errors=[e for err in errors for e in err.errors]
        )


def _check_path(kind: str, language: str) -> None:
    if kind not in ("invoice", "credit_note", "reminder"):
        raise NotFound(f"No e-mail kind {kind}; use invoice, credit_note or reminder.")
    if language not in LANGUAGES:
        raise NotFound(f"No language {language}.")


def put_template(
    ctx: TenantContext,
    kind: str,
    language: str,
    data: schemas.EmailTemplateIn,
    *,
    clock: Clock = utcnow,
) -> schemas.EmailTemplate:
    """Save the text of one kind of e-mail in one language."""
    _check_path(kind, language)
    _check_placeholders(data)
    now = clock()
    item = EmailTemplate(
        ctx.tenant_id,
        EmailTemplate.key_for(kind, language),
        kind=kind,
        language=language,
        subject=data.subject,
        body=data.body,
        updated_at=now,
    )
    with Transaction() as tx:
        tx.save(item)
        events.record(
            tx,
            ctx,
            "email_template.updated",
            template_id(kind, language),
            data={"kind": kind, "language": language},
            now=now,
        )
    return _template_out(item)


def template_id(kind: str, language: str) -> str:
    """How events name a template: `invoice/de`, as its path does."""
    return f"{kind}/{language}"


def _stored(tenant_id: str, kind: str, language: str) -> EmailTemplate | None:
    try:
        return EmailTemplate.get(
            tenant_id, EmailTemplate.key_for(kind, language), consistent_read=True
        )
    except DoesNotExist:
        return None


def get_template(ctx: TenantContext, kind: str, language: str) -> schemas.EmailTemplate:
    """The template of one kind and language: the tenant's, else Portway's own text."""
    _check_path(kind, language)
    item = _stored(ctx.tenant_id, kind, language)
    if item is not None:
        return _template_out(item)
    subject, body = _text(kind, language, None)
    return schemas.EmailTemplate(
        kind=kind,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
        subject=subject,
        body=body,
        custom=False,
        updated_at=None,
    )


def list_templates(ctx: TenantContext) -> list[schemas.EmailTemplate]:
    """Every saved template of the tenant (at most 3 kinds x 11 languages: one query)."""
    return [_template_out(i) for i in EmailTemplate.query(ctx.tenant_id, consistent_read=True)]


def delete_template(ctx: TenantContext, kind: str, language: str) -> None:
    """Go back to Portway's own text for this kind and language (done if already so: then
    nothing changed and nothing is recorded)."""
    _check_path(kind, language)
    item = EmailTemplate(ctx.tenant_id, EmailTemplate.key_for(kind, language))
    try:
        with Transaction() as tx:
            tx.delete(item, condition=EmailTemplate.template_key.exists(), label="template")
            events.record(
                tx,
                ctx,
                "email_template.deleted",
                template_id(kind, language),
                data={"kind": kind, "language": language},
            )
    except ConditionsFailed as exc:
        if "template" not in exc.labels:
            raise


# -- sending ---------------------------------------------------------------------------------


def _text(kind: str, language: str, stored: EmailTemplate | None) -> tuple[str, str]:
    if stored is not None:
        return stored.subject, stored.body
    texts = BUILT_IN.get(language) or BUILT_IN["en"]
    return texts[kind]


def fill(text: str, values: dict[str, str], link: str | None) -> str:
    """The template with its placeholders replaced; `{SelfServicePortalUrl}?language=xx`
    puts the language before the link's fragment."""

    def with_language(match: re.Match[str]) -> str:
        if link is None:
            return ""
        language = match.group(1)
        if not language:
            return link
        address, _, fragment = link.partition("#")
        address = re.sub(r"[?&]language=[a-z]{2}", "", address)
        joined = f"{address}{'&' if '?' in address else '?'}language={language}"
        return f"{joined}#{fragment}" if fragment else joined

    text = _LINK.sub(with_language, text)
    return _ANY.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def send(
    ctx: TenantContext, contract_id: str, data: schemas.EmailSend, *, clock: Clock = utcnow
) -> schemas.EmailSent:
    """Send an invoice, credit-note or reminder e-mail of a contract to its customer."""
    contract = contracts.load(ctx, contract_id)
    t = ctx.tenant_id
    document_key = Document.key_for(contract_id, data.document_id or "-")
    tenant, customer, document = batch_get(
        [(Tenant, t, None), (Customer, t, contract.customer_id), (Document, t, document_key)]
    )
    tenant, customer = cast(Tenant, tenant), cast(Customer, customer)
    if data.document_id is not None and document is None:
        raise Invalid.field("document_id", "no such document of this contract")
    document = cast("Document | None", document)
    if document is not None and data.kind != "reminder" and document.kind != data.kind:
        raise Invalid.field("document_id", f"the document is a {document.kind}, not a {data.kind}")
    to = data.to or customer.email
    if to is None:
        raise Invalid.field("to", "the customer has no e-mail address; give one")
    language = next(
        (x for x in (data.language, customer.language, tenant.default_language) if x in LANGUAGES),
        "en",
    )
    subject, body = _text(data.kind, language, _stored(t, data.kind, language))
    now = clock()
    email_id = new_id("eml")
    # Written once the e-mail is handed over: the link it holds and the event.
    tx = Transaction()
    link, expires = None, None
    if LINK in body:
        settings, _ = settings_service.load(ctx)
        _, link, expiry = contracts.issue_link(
            tenant, contract, settings.token_validity_minutes, now, tx=tx
        )
        expires = rfc3339(expiry)
    values = {
        "CustomerName": customer.name,
        "ContractId": contract.contract_id,
        "PlanName": f"{contract.plan_name} {contract.variant_name}",
        "DocumentNumber": document.number if document is not None else "",
        "ProviderName": tenant.name,
    }
    # A header is one line, whatever a name contains (any of Unicode's line breaks).
    subject = " ".join(fill(subject, values, None).replace("\t", " ").splitlines()).strip()
    mail = Mail(get_settings().mail_from, to, subject, fill(body, values, link), tenant_id=t)
    try:
        sender = deliver(mail, f"an e-mail of contract {contract_id}")
    except Suppressed as refused:  # the given address, or the customer's
        raise refused.on("to") from None
    sent = {"email_id": email_id, "kind": data.kind, "language": language, "to": to}
    if document is not None:
        sent["document_id"] = document.document_id
    events.record(
        tx,
        ctx,
        "contract.email_sent",
        contract_id,
        customer_id=contract.customer_id,
        data=sent,
        now=now,
    )
    tx.commit()
    return schemas.EmailSent(
        id=email_id,
        to=to,
        subject=subject,
        language=language,
        transport="ses" if sender.name == "ses" else "outbox",
        link_expires_at=expires,
    )


# -- a new link, asked for with an expired one ----------------------------------------------

_NEW_LINK: dict[str, tuple[str, str]] = {
    "en": (
        "Your new link to your contract with {ProviderName}",
        "Hello {CustomerName},\n\nhere is a new link to your contract {ContractId} "
        "({PlanName}):\n{SelfServicePortalUrl}\n\nIf you did not ask for it, you can "
        "ignore this e-mail.\n\n{ProviderName}",
    ),
    "de": (
        "Ihr neuer Link zu Ihrem Vertrag bei {ProviderName}",
        "Guten Tag {CustomerName},\n\nhier ist ein neuer Link zu Ihrem Vertrag "
        "{ContractId} ({PlanName}):\n{SelfServicePortalUrl}\n\nWenn Sie ihn nicht "
        "angefordert haben, können Sie diese E-Mail ignorieren.\n\n{ProviderName}",
    ),
    "da": (
        "Dit nye link til din aftale med {ProviderName}",
        "Hej {CustomerName},\n\nher er et nyt link til din aftale {ContractId} "
        "({PlanName}):\n{SelfServicePortalUrl}\n\nHvis du ikke har bedt om det, kan du "
        "se bort fra denne e-mail.\n\n{ProviderName}",
    ),
}
NEW_LINKS_PER_ADDRESS = ratelimit.Limit("self-service-renew-address", 10, timedelta(hours=1))
NEW_LINKS_PER_CONTRACT = ratelimit.Limit("self-service-renew-contract", 3, timedelta(hours=1))


def send_new_link(caller: Caller, data: schemas.NewLinkRequest, *, clock: Clock = utcnow) -> None:
    """E-mail a fresh self-service link to the contract's own address, asked for with a link
    that has expired (up to `contracts.RENEWABLE` after its time). The answer is the same
    whatever happens: a link that is unknown, withdrawn by the provider, or of a customer
    without an e-mail address sends nothing (`contract.link_sent` records what was sent)."""
    ratelimit.spend(NEW_LINKS_PER_ADDRESS, caller.source_ip)
    token = credentials.redeem(
        data.token, credentials.SELF_SERVICE_PREFIX, credentials.SELF_SERVICE_KIND
    )
    now = clock()
    if token is None or token.expires_at is None or token.expires_at <= now:
        return
    t, contract_id = token.tenant_id, str(token.subject_id)
    tenant, contract, customer, settings_item = batch_get(
        [
            (Tenant, t, None),
            (Contract, t, contract_id),
            (Customer, t, str(token.customer_id)),
            (SelfServiceSettings, t, None),
        ]
    )
    contract, customer = cast("Contract | None", contract), cast("Customer | None", customer)
    if tenant is None or contract is None or customer is None or not customer.email:
        return
    if int(contract.link_epoch or 0) != int(token.epoch or 0):
        return  # the provider withdrew the contract's links: no new one from an old one
    ratelimit.spend(NEW_LINKS_PER_CONTRACT, contract_id)
    tenant = cast(Tenant, tenant)
    settings = settings_service.decode(cast("SelfServiceSettings | None", settings_item))
    language = next(
        (x for x in (data.language, customer.language, tenant.default_language) if x in LANGUAGES),
        "en",
    )
    tx = Transaction()
    _, link, expiry = contracts.issue_link(
        tenant, contract, settings.token_validity_minutes, now, language, tx=tx
    )
    subject, body = _NEW_LINK.get(language) or _NEW_LINK["en"]
    values = {
        "CustomerName": customer.name,
        "ContractId": contract.contract_id,
        "PlanName": f"{contract.plan_name} {contract.variant_name}",
        "ProviderName": tenant.name,
    }
    subject = " ".join(fill(subject, values, None).replace("\t", " ").splitlines()).strip()
    mail = Mail(
        get_settings().mail_from, customer.email, subject, fill(body, values, link), tenant_id=t
    )
    try:
        deliver(mail, f"a new link of contract {contract_id}")
    except Suppressed:
        return  # as if sent: the answer is the same whatever happens (no link, no event)
    events.record(
        tx,
        Actor(t, f"self_service:{contract_id}"),
        "contract.link_sent",
        contract_id,
        customer_id=contract.customer_id,
        data={"expires_at": rfc3339(expiry), "language": language},
        now=now,
    )
    tx.commit()
