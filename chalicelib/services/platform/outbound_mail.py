"""Sending one e-mail: through SES in AWS, as `.eml` files in an outbox folder on one
machine and in tests (`PORTWAY_OUTBOX_DIR`). Only the standard library at import time.

Through SES every mail carries the stage's configuration set (`PORTWAY_MAIL_CONFIGURATION_SET`)
and, when known, its tenant as the tag `tenant`: SES reports bounces and complaints to the
`mail_events` function (chalicelib/handlers/mail_events.py), which suppresses the address
(platform/suppressions.py) and tells the tenant (`mail.suppressed`).

`deliver` sends nothing to a suppressed address (one GetItem first) and raises `Suppressed`,
a 422 with the field error code `mail_suppressed`. Who sends what, and what they do then:

- Someone typed the address and waits for the answer: a 422 on the field they typed it in,
  and nothing of the attempt stays.
  - `team.members.invite` (POST /v1/team/members): on `email`; the invitation is withdrawn
    (`team.member_removed`, reason `not_sent`), as for any mail that could not be sent.
  - `portals.invitations.create` with `send` (POST /v1/customers/{id}/portal/invitations)
    and `invite_colleague` (POST /v1/portal/users, a portal administrator): on `email`; the
    link is withdrawn (`portal.invitation_revoked`, reason `not_sent`).
  - `billing.mail.send` (POST /v1/contracts/{id}/emails): on `to` (the given address or the
    customer's); no link is stored and nothing is recorded.
  - `portals.portal_accounts.reset_customer_user` (POST .../users/{user_id}/password-reset):
    on `email` (the person's address), checked before the password is removed, so that a
    reset whose link cannot go out changes nothing.
- Anyone may ask, without credentials: the answer is the one a sent mail gets, so that
  nobody learns whether an address has an account or is suppressed.
  - `team.staff_sessions.request_reset` (POST /v1/team/password-resets) and
    `portals.portal_accounts.request_reset` (POST /v1/portal/password-resets): 202; the
    link is stored as ever, and never sent.
  - `billing.mail.send_new_link` (POST /v1/self-service/link-requests): 202; no link is
    issued and `contract.link_sent` is not recorded.
  - Signup sends no confirmation mail today; one would belong here.
- Consumers of the events stream: `tickets.notifications` skips the address, logs it (by
  the suppression's id, never the address) and sends the event's other mails.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from chalicelib.errors import FieldError, Invalid, Unavailable
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from email.message import EmailMessage

    from chalicelib.models import MailSuppression

_log = logging.getLogger("portway")


# The SES message tag naming the tenant a mail is sent for; SES hands it back with a bounce
# or complaint. Tag values may hold only these characters (tenant ids do).
TENANT_TAG = "tenant"
_TAG_VALUE = re.compile(r"^[A-Za-z0-9_.@-]{1,256}$")
# The field error code of a suppressed address (the console and pages translate it).
SUPPRESSED_CODE = "mail_suppressed"


class Mail(msgspec.Struct, frozen=True):
    """One plain-text e-mail; `tenant_id` is whose mail it is, where known."""

    sender: str
    to: str
    subject: str
    body: str
    tenant_id: str | None = None


class Suppressed(Invalid):
    """422: the address bounced for good or complained, so Portway sends it nothing; the
    field error (code `mail_suppressed`) is on `field`, the field the address came in."""

    def __init__(self, address: str, field: str = "email") -> None:
        message = (
            "this address refuses our e-mails (they bounced, or its owner marked them as "
            "spam); use another address"
        )
        super().__init__(
            f"{field}: {message}", errors=[FieldError(field, message, SUPPRESSED_CODE)]
        )
        self.address = address

    def on(self, field: str) -> Suppressed:
        """The same refusal about another field of the request."""
        return Suppressed(self.address, field)


def one_line(text: str) -> str:
    """Text as one line: a header is one line, whatever a name contains (any of Unicode's
    line breaks)."""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def in_language(link: str, language: str) -> str:
    """The link opening its page in `language` (the query before the fragment)."""
    address, _, fragment = link.partition("#")
    joined = f"{address}{'&' if '?' in address else '?'}language={language}"
    return f"{joined}#{fragment}" if fragment else joined


class Transport(Protocol):
    """Where e-mails go."""

    name: str

    def send(self, mail: Mail) -> str:
        """Send the mail; its message id."""
        ...


def _message(mail: Mail) -> EmailMessage:
    from email.message import EmailMessage  # only when a mail is written
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=mail.sender.rsplit("@", 1)[-1])
    message.set_content(mail.body)
    return message


class OutboxTransport:
    """E-mails as .eml files in a folder: one machine's stand-in for SES."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mail: Mail) -> str:
        """Write the message atomically (a reader never sees half a file)."""
        message = _message(mail)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}.eml"
        partial = self.folder / (name + ".partial")
        partial.write_bytes(message.as_bytes())
        partial.replace(self.folder / name)
        return str(message["Message-ID"])


class SesTransport:
    """E-mails through Amazon SES (API v2), in the stage's configuration set."""

    name = "ses"

    def __init__(self, client: object, configuration_set: str | None = None) -> None:
        self.client = client
        self.configuration_set = configuration_set

    def send(self, mail: Mail) -> str:
        """Send a simple (text) message, tagged with its tenant where known."""
        extra: dict[str, Any] = {}
        if self.configuration_set:
            extra["ConfigurationSetName"] = self.configuration_set
        if mail.tenant_id and _TAG_VALUE.match(mail.tenant_id):
            extra["EmailTags"] = [{"Name": TENANT_TAG, "Value": mail.tenant_id}]
        answer = self.client.send_email(  # type: ignore[attr-defined]
            FromEmailAddress=mail.sender,
            Destination={"ToAddresses": [mail.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": mail.body, "Charset": "UTF-8"}},
                }
            },
            **extra,
        )
        return str(answer["MessageId"])


@functools.cache
def _ses_client(region: str) -> object:
    """One SES client per region and process."""
    import boto3  # only where SES is used

    return boto3.client("sesv2", region_name=region)


def transport() -> Transport:
    """The transport of this stage."""
    settings = get_settings()
    if settings.mail_transport == "ses":
        return SesTransport(_ses_client(settings.region), settings.mail_configuration_set)
    return OutboxTransport(Path(settings.outbox_dir))


def suppression_of(address: str) -> MailSuppression | None:
    """The suppression of an address, if it is suppressed (one consistent GetItem)."""
    from pynamodb.exceptions import DoesNotExist  # storage: only where mail goes

    from chalicelib.models import MailSuppression
    from chalicelib.models.mail import MAX_ADDRESS_LENGTH

    key = MailSuppression.key_for(address)
    if not key or len(key) > MAX_ADDRESS_LENGTH:
        return None
    try:
        return MailSuppression.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def deliver(mail: Mail, what: str) -> Transport:
    """Send `mail` through this stage's transport; `Suppressed` (422) when its address is
    suppressed, 503 when it cannot be sent."""
    found = suppression_of(mail.to)
    if found is not None:
        _log.info("%s not sent: its address is suppressed (%s)", what, found.suppression_id)
        raise Suppressed(mail.to)
    sender = transport()
    try:
        sender.send(mail)
    except Exception as exc:  # SES refusing or unreachable, a full disk: say so, retryable
        _log.exception("%s could not be sent", what)
        raise Unavailable("The e-mail could not be sent; try again shortly.") from exc
    return sender
