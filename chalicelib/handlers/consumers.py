"""Lambda functions fed by the events table's stream (no routes).

Each is a plain `lambda_function`: its event source mapping, with its retries, bisection,
dead-letter queue and filter, is declared in our own infra (`portway_ops/tables.py`), since
the table and its stream are ours and Chalice's `on_dynamodb_record` would need the
stream's ARN at import and offers none of those settings. Lambda loads this module alone
(`chalicelib.handlers.consumers.pages_consumer`), not `app.py` and its routes. On one machine
`portway_ops.streams` calls the same functions with the same records.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib import observability
from chalicelib.models import Event
from chalicelib.services.pages import consumer

blueprint = Blueprint(__name__)
_log = logging.getLogger("portway")


@blueprint.lambda_function(name="pages_consumer")
@observability.invocation
def pages_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Render the pages a batch of events reaches; answer the first record that failed
    (Lambda's partial batch response), so the retry starts there."""
    return consumer.consume(event.get("Records", [])).response()


@blueprint.lambda_function(name="webhooks_consumer")
@observability.invocation
def webhooks_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Send every new event to the tenant's webhook endpoints that want it; answer the first
    record that failed, so the retry starts there (a retried event keeps its webhook-id)."""
    from chalicelib.services.webhooks.delivery import deliver  # the sender, here only

    for index, record in enumerate(event.get("Records", [])):
        try:
            deliver(Event.from_raw_data(record["dynamodb"]["NewImage"]))
        except Exception:  # retried by the mapping from this record on
            failed = [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]
            _log.exception("webhooks: event %d of the batch failed", index + 1)
            return {"batchItemFailures": failed}
    return {"batchItemFailures": []}


@blueprint.lambda_function(name="tickets_consumer")
@observability.invocation
def tickets_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Send the e-mails ticket events call for (each through the recipient's visibility);
    answer the first record that failed, so the retry starts there (an e-mail already sent
    for a record is not sent again)."""
    from chalicelib.services.tickets.notifications import notify  # the mailer, here only

    for index, record in enumerate(event.get("Records", [])):
        try:
            notify(Event.from_raw_data(record["dynamodb"]["NewImage"]))
        except Exception:  # retried by the mapping from this record on
            failed = [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]
            _log.exception("tickets: event %d of the batch failed", index + 1)
            return {"batchItemFailures": failed}
    return {"batchItemFailures": []}


@blueprint.lambda_function(name="exports_consumer")
@observability.invocation
def exports_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write the Excel protocols asked for (one a batch: a long log takes minutes). An
    export that fails is marked failed, for the person to ask again, never retried blindly."""
    from chalicelib.clock import utcnow
    from chalicelib.services.shares import exports  # the writer, here only

    for record in event.get("Records", []):
        asked = Event.from_raw_data(record["dynamodb"]["NewImage"])
        try:
            exports.run(asked)
        except Exception:
            _log.exception("export %s could not be written", asked.object_id)
            observability.count(observability.CONSUMER_FAILURES)
            exports.fail(asked, "the protocol could not be written; ask for it again", utcnow())
    return {"batchItemFailures": []}


@blueprint.schedule(Rate(1, unit=Rate.MINUTES), name="webhooks_retries")
def webhooks_retries(event: Any) -> None:
    """Send the deliveries whose retry is due (backoff for up to three days)."""
    from chalicelib.services.webhooks.delivery import run_due

    observability.invocation(lambda _event, _context: run_due())(event, None)
