"""Sending one e-mail: through SES in AWS, as `.eml` files in an outbox folder on one
machine and in tests (`PORTWAY_OUTBOX_DIR`). Only the standard library at import time."""

from __future__ import annotations

import functools
import logging
import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from chalicelib.errors import Unavailable
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from email.message import EmailMessage

_log = logging.getLogger("portway")


class Mail(msgspec.Struct, frozen=True):
    """One plain-text e-mail."""

    sender: str
    to: str
    subject: str
    body: str


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
    """E-mails through Amazon SES (API v2)."""

    name = "ses"

    def __init__(self, client: object) -> None:
        self.client = client

    def send(self, mail: Mail) -> str:
        """Send a simple (text) message."""
        answer = self.client.send_email(  # type: ignore[attr-defined]
            FromEmailAddress=mail.sender,
            Destination={"ToAddresses": [mail.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": mail.body, "Charset": "UTF-8"}},
                }
            },
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
        return SesTransport(_ses_client(settings.region))
    return OutboxTransport(Path(settings.outbox_dir))


def deliver(mail: Mail, what: str) -> Transport:
    """Send `mail` through this stage's transport; 503 when it cannot be sent."""
    sender = transport()
    try:
        sender.send(mail)
    except Exception as exc:  # SES refusing or unreachable, a full disk: say so, retryable
        _log.exception("%s could not be sent", what)
        raise Unavailable("The e-mail could not be sent; try again shortly.") from exc
    return sender
