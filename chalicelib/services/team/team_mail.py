"""E-mails to the team: an invitation to the console, a password reset link. In the
tenant's language, naming the provider; the link is the only way the secret leaves Portway."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.models import Tenant
from chalicelib.schemas.common import LANGUAGES
from chalicelib.services.platform.outbound_mail import Mail, deliver, in_language, one_line
from chalicelib.settings import get_settings

# (subject, body) per kind and language; {placeholders} are filled by `send`.
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "invitation": {
        "en": (
            "{provider}: join the team in Portway",
            "Hello {name},\n\n{inviter} invites you to the team of {provider} in Portway, "
            "as {role}. Set your password with this link; it works once, until {expires}:"
            "\n\n{url}\n\nIf you did not expect this e-mail, you can ignore it.",
        ),
        "de": (
            "{provider}: Einladung ins Team in Portway",
            "Guten Tag {name},\n\n{inviter} lädt Sie in das Team von {provider} in Portway "
            "ein, mit der Rolle {role}. Legen Sie Ihr Passwort mit diesem Link fest; er gilt "
            "einmal, bis {expires}:\n\n{url}\n\nWenn Sie diese E-Mail nicht erwartet haben, "
            "können Sie sie ignorieren.",
        ),
        "da": (
            "{provider}: bliv en del af teamet i Portway",
            "Hej {name},\n\n{inviter} inviterer dig til teamet hos {provider} i Portway, med "
            "rollen {role}. Vælg din adgangskode med dette link; det virker én gang, indtil "
            "{expires}:\n\n{url}\n\nHvis du ikke ventede denne e-mail, kan du se bort fra den.",
        ),
    },
    "password_reset": {
        "en": (
            "{provider}: set a new password for Portway",
            "Hello {name},\n\na new password was asked for your Portway account at "
            "{provider}. Set it with this link; it works once, until {expires}:\n\n{url}\n\n"
            "If you did not ask for it, ignore this e-mail: your password stays as it is.",
        ),
        "de": (
            "{provider}: neues Passwort für Portway festlegen",
            "Guten Tag {name},\n\nfür Ihr Portway-Konto bei {provider} wurde ein neues "
            "Passwort angefordert. Legen Sie es mit diesem Link fest; er gilt einmal, bis "
            "{expires}:\n\n{url}\n\nWenn Sie es nicht angefordert haben, ignorieren Sie diese "
            "E-Mail: Ihr Passwort bleibt, wie es ist.",
        ),
        "da": (
            "{provider}: vælg en ny adgangskode til Portway",
            "Hej {name},\n\nder er bedt om en ny adgangskode til din Portway-konto hos "
            "{provider}. Vælg den med dette link; det virker én gang, indtil {expires}:\n\n"
            "{url}\n\nHvis det ikke var dig, kan du se bort fra denne e-mail: din adgangskode "
            "forbliver den samme.",
        ),
    },
}
# The roles as the e-mail names them.
_ROLES = {
    "en": {
        "owner": "owner",
        "admin": "administrator",
        "editor": "editor",
        "agent": "agent",
        "viewer": "viewer",
    },
    "de": {
        "owner": "Inhaber",
        "admin": "Administrator",
        "editor": "Bearbeiter",
        "agent": "Agent",
        "viewer": "Betrachter",
    },
    "da": {
        "owner": "ejer",
        "admin": "administrator",
        "editor": "redaktør",
        "agent": "agent",
        "viewer": "læser",
    },
}


def console_link(fragment: str) -> str:
    """The console's address with a secret in the fragment (never sent to a server)."""
    return f"{get_settings().public_base_url}/console#{fragment}"


def send(
    kind: str,
    tenant: Tenant,
    *,
    to: str,
    link: str,
    expires: datetime,
    name: str = "",
    role: str = "",
    inviter: str | None = None,
) -> None:
    """Send a team e-mail in the tenant's language, with the link opening the console in
    that language (503 when the mail cannot be sent)."""
    language = tenant.default_language if tenant.default_language in LANGUAGES else "en"
    subject, body = _TEXTS[kind].get(language) or _TEXTS[kind]["en"]
    values = {
        "provider": one_line(tenant.name),
        "inviter": one_line(inviter or tenant.name),
        "name": one_line(name),
        "role": _ROLES.get(language, _ROLES["en"]).get(role, role),
        "url": in_language(link, language),
        "expires": expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    mail = Mail(
        get_settings().mail_from,
        to,
        one_line(subject.format(**values)),
        body.format(**values),
        tenant_id=tenant.tenant_id,
    )
    deliver(mail, f"the team {kind} e-mail")
