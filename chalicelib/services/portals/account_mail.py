"""E-mails about portal accounts: an invitation link, a password reset link. In the
customer's language (German, Danish or English), from the provider's name; the link is the
only way the secret leaves Portway, so that a person proves an address by using it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from chalicelib.models import Customer, Tenant
from chalicelib.schemas.common import LANGUAGES
from chalicelib.services.platform.outbound_mail import Mail, deliver, in_language, one_line
from chalicelib.services.platform.storage import batch_get
from chalicelib.settings import get_settings
from chalicelib.tenancy import OfCustomer

# (subject, body) per kind and language; {placeholders} are filled by `send`.
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "invitation": {
        "en": (
            "{provider}: your access to the customer portal of {customer}",
            "Hello,\n\n{inviter} invites you to the customer portal of {customer} at "
            "{provider}. Create your account with this link; it works once, until {expires}:"
            "\n\n{url}\n\nIf you did not expect this e-mail, you can ignore it.\n\n{provider}",
        ),
        "de": (
            "{provider}: Ihr Zugang zum Kundenportal von {customer}",
            "Guten Tag,\n\n{inviter} lädt Sie in das Kundenportal von {customer} bei "
            "{provider} ein. Legen Sie Ihr Konto mit diesem Link an; er gilt einmal, bis "
            "{expires}:\n\n{url}\n\nWenn Sie diese E-Mail nicht erwartet haben, können Sie "
            "sie ignorieren.\n\n{provider}",
        ),
        "da": (
            "{provider}: din adgang til kundeportalen for {customer}",
            "Hej,\n\n{inviter} inviterer dig til kundeportalen for {customer} hos "
            "{provider}. Opret din konto med dette link; det virker én gang, indtil "
            "{expires}:\n\n{url}\n\nHvis du ikke ventede denne e-mail, kan du se bort fra "
            "den.\n\n{provider}",
        ),
    },
    "password_reset": {
        "en": (
            "{provider}: set a new password",
            "Hello {name},\n\na new password was asked for your account in the customer "
            "portal of {customer} at {provider}. Set it with this link; it works once, until "
            "{expires}:\n\n{url}\n\nIf you did not ask for it, ignore this e-mail.\n\n"
            "{provider}",
        ),
        "de": (
            "{provider}: neues Passwort festlegen",
            "Guten Tag {name},\n\nfür Ihr Konto im Kundenportal von {customer} bei "
            "{provider} wurde ein neues Passwort angefordert. Legen Sie es mit diesem Link "
            "fest; er gilt einmal, bis {expires}:\n\n{url}\n\nWenn Sie es nicht angefordert "
            "haben, ignorieren Sie diese E-Mail.\n\n{provider}",
        ),
        "da": (
            "{provider}: vælg en ny adgangskode",
            "Hej {name},\n\nder er bedt om en ny adgangskode til din konto i kundeportalen "
            "for {customer} hos {provider}. Vælg den med dette link; det virker én gang, "
            "indtil {expires}:\n\n{url}\n\nHvis det ikke var dig, kan du se bort fra denne "
            "e-mail.\n\n{provider}",
        ),
    },
}


def language_of(tenant: Tenant, customer: Customer | None) -> str:
    """The language a customer's people read: the customer's, else the tenant's."""
    for language in (customer.language if customer else None, tenant.default_language):
        if language in LANGUAGES:
            return str(language)
    return "en"


def send(
    kind: str,
    about: OfCustomer,
    *,
    to: str,
    link: str,
    expires: datetime,
    name: str = "",
    inviter: str | None = None,
    language: str | None = None,
) -> None:
    """Send an account e-mail about a customer's portal (`about`: the portal, or the account
    it is for), in `language` or else its people's, with the link opening the page in that
    language (503 when the mail cannot be sent)."""
    tenant_id, customer_id = about.tenant_id, about.customer_id
    tenant, customer = batch_get([(Tenant, tenant_id, None), (Customer, tenant_id, customer_id)])
    tenant, customer = cast(Tenant, tenant), cast("Customer | None", customer)
    language = language if language in LANGUAGES else language_of(tenant, customer)
    texts = _TEXTS[kind]
    subject, body = texts.get(language) or texts["en"]
    values = {
        "provider": one_line(tenant.name),
        "customer": one_line(customer.name if customer else ""),
        "inviter": one_line(inviter or tenant.name),
        "name": one_line(name),
        "url": in_language(link, language),
        "expires": expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    mail = Mail(
        get_settings().mail_from,
        to,
        one_line(subject.format(**values)),
        body.format(**values),
        tenant_id=tenant_id,
    )
    deliver(mail, f"the {kind} e-mail")
