"""Addresses Portway no longer mails: SES's reports of bounces and complaints, read into
suppressions, and the provider's view of its own.

A permanent bounce (`bounceType` Permanent: the mailbox does not exist, or SES's own list
refuses it) and any complaint (the person marked our mail as spam) suppress the address;
transient and undetermined bounces do not (a full mailbox empties again). A suppression is
one item per address, global: the mailbox is gone, or the person refuses our mail, whichever
provider sends next, and SES rates the whole account by both. It names the tenant whose mail
bounced or drew the complaint (SES hands back the mail's `tenant` tag): that tenant hears of
it (`mail.suppressed`, to its webhooks and event list), lists it, and may lift a bounce.
Lifting deletes the item, so the address receives mail again, from every tenant; if it
bounces again it is suppressed again. A complaint is never lifted (409): only the person
can take it back, by writing to the provider from that address, and the provider then uses
whatever address the person gives.

Storing is idempotent: a report SNS delivers twice finds the address suppressed and changes
nothing, records nothing; a complaint about an address that bounced turns it into a
complaint (which is not lifted).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

import msgspec

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, NotFound
from chalicelib.ids import new_id
from chalicelib.models import MailSuppression
from chalicelib.models.mail import MAX_ADDRESS_LENGTH
from chalicelib.schemas.common import Output, Page, Timestamp, page_of, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.outbound_mail import TENANT_TAG, suppression_of
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.tenancy import Actor, TenantContext

_log = logging.getLogger("portway")

BOUNCE: Final = "bounce"
COMPLAINT: Final = "complaint"
# How the event log names SES, which reports what happened to a mail.
MAIL_PROVIDER = "mail_provider"
# What a tenant id looks like, as the tag carries it (anything else: no tenant known).
_TENANT_ID = re.compile(r"^ten_[0-9A-Z]{26}$")


class SuppressedAddress(Output):
    """An address Portway sends nothing to any more, because mail of yours to it bounced
    for good (`bounce`) or its owner marked it as spam (`complaint`)."""

    id: str
    address: str
    reason: Literal["bounce", "complaint"]
    detail: str | None
    suppressed_at: Timestamp


class Malformed(ValueError):
    """An SNS message that is no SES event report."""


class Finding(msgspec.Struct, frozen=True):
    """One address an SES report says to suppress."""

    address: str
    reason: str
    detail: str | None
    tenant_id: str | None
    feedback_id: str | None
    at: datetime | None


# -- reading SES's reports -------------------------------------------------------------------


def read_report(message: str, *, clock: Clock = utcnow) -> list[Finding]:
    """The addresses one SES event (the JSON of an SNS message) says to suppress: every
    recipient of a permanent bounce or a complaint, none for other events. `Malformed` when
    the message is no SES event."""
    try:
        report = json.loads(message)
    except (TypeError, ValueError):
        raise Malformed("not JSON") from None
    if not isinstance(report, dict):
        raise Malformed("not a JSON object")
    kind = report.get("eventType") or report.get("notificationType")
    if not isinstance(kind, str):
        raise Malformed("no eventType")
    if kind == "Bounce":
        return _bounce(report, clock)
    if kind == "Complaint":
        return _complaint(report, clock)
    return []  # deliveries, sends, opens: nothing to suppress


def _part(report: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    part = report.get(name)
    if not isinstance(part, dict):
        raise Malformed(f"no {name} object")
    return part


def _bounce(report: Mapping[str, Any], clock: Clock) -> list[Finding]:
    bounce = _part(report, "bounce")
    kind = bounce.get("bounceType")
    if kind != "Permanent":
        return []  # Transient, Undetermined: the address may work tomorrow
    sub = bounce.get("bounceSubType")
    detail = f"{kind}/{sub}" if isinstance(sub, str) and sub else str(kind)
    return _findings(report, bounce, "bouncedRecipients", BOUNCE, detail, clock)


def _complaint(report: Mapping[str, Any], clock: Clock) -> list[Finding]:
    complaint = _part(report, "complaint")
    feedback = complaint.get("complaintFeedbackType")
    detail = feedback if isinstance(feedback, str) and feedback else None
    return _findings(report, complaint, "complainedRecipients", COMPLAINT, detail, clock)


def _findings(
    report: Mapping[str, Any],
    part: Mapping[str, Any],
    recipients_key: str,
    reason: str,
    detail: str | None,
    clock: Clock,
) -> list[Finding]:
    recipients = part.get(recipients_key)
    if not isinstance(recipients, list):
        raise Malformed(f"no {recipients_key} list")
    feedback_id = part.get("feedbackId")
    tenant_id, at = _tenant_of(report), _time(part.get("timestamp")) or clock()
    found = []
    for recipient in recipients:
        address = _address(recipient)
        if address is None:
            _log.warning("mail events: a %s names a recipient that is no address", reason)
            continue
        found.append(
            Finding(
                address=address,
                reason=reason,
                detail=detail[:200] if detail else None,
                tenant_id=tenant_id,
                feedback_id=feedback_id[:200] if isinstance(feedback_id, str) else None,
                at=at,
            )
        )
    return found


def _address(recipient: object) -> str | None:
    value = recipient.get("emailAddress") if isinstance(recipient, dict) else None
    if not isinstance(value, str):
        return None
    address = MailSuppression.key_for(value)
    too_long = len(address) > MAX_ADDRESS_LENGTH
    if "@" not in address or too_long or any(c.isspace() for c in address):
        return None
    return address


def _tenant_of(report: Mapping[str, Any]) -> str | None:
    mail = report.get("mail")
    tags = mail.get("tags") if isinstance(mail, dict) else None
    values = tags.get(TENANT_TAG) if isinstance(tags, dict) else None
    value = values[0] if isinstance(values, list) and values else values
    return value if isinstance(value, str) and _TENANT_ID.match(value) else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- storing ---------------------------------------------------------------------------------


def record(finding: Finding, *, clock: Clock = utcnow) -> MailSuppression | None:
    """Suppress an address, and tell the tenant whose mail it was (`mail.suppressed`) in the
    same transaction; None when nothing changed (suppressed already: a repeated report)."""
    current = suppression_of(finding.address)
    if current is not None and not (current.reason == BOUNCE and finding.reason == COMPLAINT):
        return None
    now = clock()
    item = MailSuppression(
        MailSuppression.key_for(finding.address),
        suppression_id=current.suppression_id if current is not None else new_id("sup"),
        reason=finding.reason,
        detail=finding.detail,
        at=finding.at or now,
        tenant_id=finding.tenant_id or (current.tenant_id if current is not None else None),
        feedback_id=finding.feedback_id,
    )
    # As read: not there yet, or (a complaint replacing it) still a bounce.
    condition = (
        MailSuppression.address.does_not_exist()
        if current is None
        else MailSuppression.reason == BOUNCE
    )
    try:
        with Transaction() as tx:
            tx.save(item, condition=condition, label="suppression")
            if item.tenant_id is not None:
                events.record(
                    tx,
                    Actor(item.tenant_id, MAIL_PROVIDER),
                    "mail.suppressed",
                    item.suppression_id,
                    object_type="mail_suppression",
                    data={"address": item.address, "reason": item.reason, "detail": item.detail},
                    now=now,
                )
    except ConditionsFailed as exc:
        if "suppression" not in exc.labels:
            raise
        return None  # the same report, handled at this very moment
    return item


# -- the provider's view ---------------------------------------------------------------------


def to_schema(item: MailSuppression) -> SuppressedAddress:
    """The API shape of a suppression."""
    return SuppressedAddress(
        id=item.suppression_id,
        address=item.address,
        reason=COMPLAINT if item.reason == COMPLAINT else BOUNCE,
        detail=item.detail,
        suppressed_at=rfc3339(item.at),
    )


def list_suppressions(ctx: TenantContext, page: PageRequest) -> Page[SuppressedAddress]:
    """The addresses the tenant's mail got suppressed, newest first."""
    items, cursor = fetch_page(
        ctx,
        "mail_suppressions",
        page,
        lambda **kw: MailSuppression.by_tenant.query(ctx.tenant_id, scan_index_forward=False, **kw),
        index=type(MailSuppression.by_tenant),
    )
    return page_of(SuppressedAddress)(items=[to_schema(i) for i in items], next_cursor=cursor)


def load(ctx: TenantContext, suppression_id: str) -> MailSuppression:
    """One of the tenant's suppressions, as stored now; 404 for another tenant's."""
    listed = list(
        MailSuppression.by_tenant.query(
            ctx.tenant_id, MailSuppression.suppression_id == suppression_id, limit=1
        )
    )
    # The index may lag behind a lift or a change: the item itself decides.
    item = suppression_of(listed[0].address) if listed else None
    if item is None or item.tenant_id != ctx.tenant_id or item.suppression_id != suppression_id:
        raise NotFound(f"No suppressed address {suppression_id}.")
    return item


def get(ctx: TenantContext, suppression_id: str) -> SuppressedAddress:
    """One of the tenant's suppressions."""
    return to_schema(load(ctx, suppression_id))


def lift(ctx: TenantContext, suppression_id: str, *, clock: Clock = utcnow) -> None:
    """Send to a bounced address again, for every tenant (`mail.suppression_lifted`); a
    complaint stays (409)."""
    item = load(ctx, suppression_id)
    if item.reason == COMPLAINT:
        raise Conflict(
            "The owner of this address marked our e-mail as spam: it stays suppressed. "
            "Use another address.",
            extra={"reason": COMPLAINT},
        )
    try:
        with Transaction() as tx:
            tx.delete(
                item,
                condition=(MailSuppression.suppression_id == suppression_id)
                & (MailSuppression.tenant_id == ctx.tenant_id)
                & (MailSuppression.reason == BOUNCE),
                label="suppression",
            )
            events.record(
                tx,
                ctx,
                "mail.suppression_lifted",
                suppression_id,
                object_type="mail_suppression",
                data={"address": item.address},
                now=clock(),
            )
    except ConditionsFailed as exc:
        if "suppression" not in exc.labels:
            raise
        raise Conflict("The address was reported again meanwhile; read it again.") from None
