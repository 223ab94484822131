"""Lambda functions fed by the events table's stream (no routes).

Each is a plain `lambda_function`: its event source mapping, with its retries, bisection,
dead-letter queue and filter, is declared in our own infra (`portway_ops/tables.py`), since
the table and its stream are ours and Chalice's `on_dynamodb_record` would need the
stream's ARN at import and offers none of those settings. Lambda loads this module alone
(`chalicelib.handlers.consumers.pages_consumer`), not `app.py` and its routes. On one machine
`portway_ops.streams` calls the same functions with the same records.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.services.pages import consumer

blueprint = Blueprint(__name__)


@blueprint.lambda_function(name="pages_consumer")
def pages_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Render the pages a batch of events reaches; answer the first record that failed
    (Lambda's partial batch response), so the retry starts there."""
    return consumer.consume(event.get("Records", [])).response()
