"""Logs, metrics and their keys: Powertools for AWS Lambda, configured once.

Every module logs through `logging.getLogger("portway...")`; Powertools' Logger owns the
`portway` logger and writes each line as one JSON object with the keys of the request it
belongs to: `request_id` (API Gateway's), `function_request_id` (Lambda's), `route` (the
route's template, never the path: paths can hold self-service tokens), `method`, `tenant_id`
once the caller is known, and on the request's last line `status` and `duration_ms`.
Headers, query strings and bodies are never logged.

Metrics go out in CloudWatch's embedded metric format (namespace `Portway`), flushed at the
end of each invocation: `UnexpectedErrors` (a bug answered with a 500; Lambda's own Errors
metric cannot see it, the function returned), `ServerErrors` (any 5xx answered),
`ConsumerFailures` (a stream record a consumer could not handle).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Portway"
SERVICE = "portway"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# X-Ray when the stack turns it on (its `Tracing` parameter): a subsegment per DynamoDB, S3,
# SES or SSM call, annotated with the route and the tenant. Off, the X-Ray SDK is never
# imported (it adds about 15 ms to a cold start; docs/operations.md).
TRACING = bool(os.environ.get("LAMBDA_TASK_ROOT")) and os.environ.get(
    "POWERTOOLS_TRACE_DISABLED", "true"
).lower() not in ("true", "1")
tracer = Tracer(service=SERVICE, patch_modules=("botocore",)) if TRACING else None


def annotate(name: str, value: str) -> None:
    """Name something about this invocation in its trace (when tracing is on)."""
    if tracer is not None:
        tracer.put_annotation(name, value)


UNEXPECTED_ERRORS = "UnexpectedErrors"
SERVER_ERRORS = "ServerErrors"
CONSUMER_FAILURES = "ConsumerFailures"


def count(name: str, value: int = 1) -> None:
    """Add to a metric of this invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Write this invocation's metrics, if it has any (Powertools warns about none)."""
    if metrics.metric_set:
        metrics.flush_metrics()


def about_tenant(tenant_id: str) -> None:
    """From here on, this request's lines (and its trace) name the tenant."""
    logger.thread_safe_append_keys(tenant_id=tenant_id)
    annotate("tenant_id", tenant_id)


def http_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for every HTTP request: keys on, one line with the outcome, the
    invocation's metrics out, keys off (a warm function serves the next request clean)."""
    started = time.perf_counter()
    context = event.context or {}
    lambda_context = getattr(event, "lambda_context", None)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        request_id=context.get("requestId"),
        function_request_id=getattr(lambda_context, "aws_request_id", None),
        route=context.get("resourcePath"),
        method=event.method,
    )
    annotate("route", str(context.get("resourcePath")))
    status = 500
    try:
        response = get_response(event)
        status = response.status_code
        return response
    finally:
        if status >= 500:
            count(SERVER_ERRORS)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info("answered", extra={"status": status, "duration_ms": duration_ms})
        flush()
        logger.thread_safe_clear_keys()


def invocation(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Wrap a Lambda function fed by a stream or a schedule: fresh keys, the batch's failed
    records counted, the metrics out."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(
            function_request_id=getattr(context, "aws_request_id", None),
            function=handler.__name__,
        )
        try:
            answer = handler(event, context)
            failed = len(answer.get("batchItemFailures", [])) if isinstance(answer, dict) else 0
            if failed:
                count(CONSUMER_FAILURES, failed)
            return answer
        except Exception:
            count(CONSUMER_FAILURES)
            raise
        finally:
            flush()
            logger.thread_safe_clear_keys()

    return run
