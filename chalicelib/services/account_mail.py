"""E-mails about portal accounts: an invitation link, a password reset link. In the
customer's language (German, Danish or English), from the provider's name; the link is the
only way the secret leaves Portway, so that a person proves an address by using it."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.services.outbound_mail import Mail, deliver
from chalicelib.settings import get_settings

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


@dataclass(frozen=True, slots=True)
class AccountMail:
    """What an account e-mail says: to whom, in which language, about which portal."""

    kind: str  # invitation | password_reset
    to: str
    language: str
    provider: str
    customer: str
    url: str
    expires: str  # already formatted for the reader (UTC)
    name: str = ""
    inviter: str = ""


def _one_line(text: str) -> str:
    # A header is one line, whatever a name contains (any of Unicode's line breaks).
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def send(message: AccountMail) -> None:
    """Send it (503 when the mail cannot be sent)."""
    texts = _TEXTS[message.kind]
    subject, body = texts.get(message.language) or texts["en"]
    values = {
        "provider": _one_line(message.provider),
        "customer": _one_line(message.customer),
        "inviter": _one_line(message.inviter or message.provider),
        "name": _one_line(message.name),
        "url": message.url,
        "expires": message.expires,
    }
    mail = Mail(
        get_settings().mail_from,
        message.to,
        _one_line(subject.format(**values)),
        body.format(**values),
    )
    deliver(mail, f"the {message.kind} e-mail")
