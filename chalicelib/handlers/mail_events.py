"""Mail that bounces or draws a complaint: the Lambda function SES's reports reach (through
the SNS topic `MailEventsTopic`, subscribed in `portway_ops/mail_stack.py`), and the
provider's list of its suppressed addresses.

The function is a plain `lambda_function` (Chalice names it `MailEvents`); Lambda loads this
module for it. SNS invokes it asynchronously, one message at a time, and retries it when it
raises: a message that is no SES report is logged and counted (`ConsumerFailures`) and
passed over, so it never blocks the others; a storage failure raises, and the retry finds
what was stored already (storing is idempotent).
"""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint

from chalicelib import observability
from chalicelib.handlers.router import Api
from chalicelib.schemas.common import Page, page_of
from chalicelib.services.platform import suppressions
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.platform.suppressions import SuppressedAddress
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="mail")
_log = logging.getLogger("portway")


@blueprint.lambda_function(name="mail_events")
@observability.invocation
def mail_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Suppress the addresses SES's bounce and complaint reports name, and tell their
    tenants; how many were suppressed and how many messages were no report."""
    suppressed = malformed = 0
    for index, record in enumerate(event.get("Records") or []):
        try:
            findings = suppressions.read_report(record["Sns"]["Message"])
        except (KeyError, TypeError, suppressions.Malformed) as exc:
            malformed += 1
            observability.count(observability.CONSUMER_FAILURES)
            _log.warning("mail events: message %d is no SES report (%s)", index + 1, exc)
            continue
        for finding in findings:
            if suppressions.record(finding) is not None:
                suppressed += 1
    return {"suppressed": suppressed, "malformed": malformed}


@api.get(
    "/v1/mail/suppressions",
    response=page_of(SuppressedAddress),
    paginated=True,
)
def list_mail_suppressions(ctx: TenantContext, page: PageRequest) -> Page[SuppressedAddress]:
    """List the addresses your mail got suppressed, newest first.

    A permanent bounce or a complaint: Portway sends them nothing, for any provider."""
    return suppressions.list_suppressions(ctx, page)


@api.get("/v1/mail/suppressions/{id}", response=SuppressedAddress)
def get_mail_suppression(ctx: TenantContext, id: str) -> SuppressedAddress:
    """One of your suppressed addresses."""
    return suppressions.get(ctx, id)


@api.delete("/v1/mail/suppressions/{id}")
def lift_mail_suppression(ctx: TenantContext, id: str) -> None:
    """Lift the suppression of a bounced address, for every provider.

    If it bounces again, it is suppressed again; an address that complained stays (409)."""
    suppressions.lift(ctx, id)
