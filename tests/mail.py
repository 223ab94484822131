"""Reading the e-mails Portway wrote to the outbox folder (the stand-in for SES here)."""

from __future__ import annotations

import os
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


def outbox() -> Path:
    return Path(os.environ["PORTWAY_OUTBOX_DIR"])


def eml_files() -> set[Path]:
    return set(outbox().glob("*.eml")) if outbox().exists() else set()


class Outbox:
    """The e-mails written to the outbox folder since it was looked at."""

    def __init__(self) -> None:
        self.before = eml_files()

    def new(self) -> list[EmailMessage]:
        files = sorted(eml_files() - self.before)
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(f.read_bytes()) for f in files]

    def one(self) -> EmailMessage:
        messages = self.new()
        assert len(messages) == 1, [m["Subject"] for m in messages]
        return messages[0]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.new() if m["To"] == address]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def links_in(text: str) -> list[str]:
    return [str(link) for link in re.findall(r"https?://[^\s]+", text)]


def secret_after(link: str, name: str) -> str:
    """The secret a link carries in its fragment (`#token=...`, `#reset=...`)."""
    fragment = link.split("#", 1)[1]
    assert fragment.startswith(f"{name}="), link
    return fragment.removeprefix(f"{name}=")
