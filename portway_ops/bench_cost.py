"""The cost figures of `make bench`: what a million page views, partner reads, portal calls
and self-service visits cost in AWS, with the CDN in front and without it, from what the
bench measured (DynamoDB's consumed capacity as it reports it, the answers' bytes, the
handlers' time, the cold import) and AWS's list prices.

The prices are us-east-1's on-demand list prices (USD) as of 2026; other regions differ by a
few percent. Lambda's time here is the handler's time in this process against DynamoDB Local:
in Lambda, network round trips to DynamoDB add to it, so the duration share is a floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from portway_ops.bench_pages import PageView
from portway_ops.bench_portal import CountedCall

MILLION = 1_000_000
GB = 1_000_000_000

API_GATEWAY_REST = 3.50  # per million requests (the first 333 million a month)
LAMBDA_REQUEST = 0.20  # per million
LAMBDA_ARM_GB_SECOND = 0.0000133334
FUNCTION_GB = 1.0  # every function of ours has 1,024 MB (the pages consumer more)
DYNAMODB_READ_UNIT = 0.125  # per million read request units (on demand)
DYNAMODB_WRITE_UNIT = 0.625  # per million write request units
S3_GET = 0.40  # per million
CLOUDFRONT_HTTPS = 1.00  # per million requests (Europe, North America)
CLOUDFRONT_FUNCTION = 0.10  # per million invocations
TRANSFER_CDN = 0.085  # per GB out of CloudFront (first 10 TB)
TRANSFER_DIRECT = 0.09  # per GB out of API Gateway and Lambda to the internet
LOGS_INGESTED = 0.50  # per GB into CloudWatch Logs
LOG_LINE_BYTES = 450  # one "answered" JSON line with its keys
COLD_STARTS = 0.01  # share of invocations that start a new execution environment
CDN_HIT_RATIO = 0.9  # page views the edge answers from its cache (a page lives 60 s there)


@dataclass(frozen=True)
class Cost:
    """One kind of request: dollars per million, without and with the CDN in front."""

    name: str
    direct: float
    cdn: float
    note: str


def _lambda(seconds: float, cold_import: float) -> float:
    """Per million invocations: requests, and time billed by the millisecond."""
    billed = math.ceil(seconds * 1000) / 1000 + COLD_STARTS * cold_import
    return LAMBDA_REQUEST + billed * FUNCTION_GB * LAMBDA_ARM_GB_SECOND * MILLION


def _dynamodb(read_units: float, write_units: float) -> float:
    return read_units * DYNAMODB_READ_UNIT + write_units * DYNAMODB_WRITE_UNIT


def _logs() -> float:
    return LOG_LINE_BYTES / GB * LOGS_INGESTED * MILLION


def api_call(call: CountedCall, cold_import: float, gzip_ratio: float = 0.3) -> Cost:
    """A request the function answers, whether the CDN is in front or not."""
    reads, writes = call.units
    function = API_GATEWAY_REST + _lambda(call.seconds, cold_import) + _logs()
    data = _dynamodb(reads, writes)
    direct = function + data + call.size / GB * TRANSFER_DIRECT * MILLION
    # Through the CDN: its request and its function (the viewer's address), the answer
    # compressed at the edge; API Gateway and Lambda as before.
    edge = CLOUDFRONT_HTTPS + CLOUDFRONT_FUNCTION
    cdn = function + data + edge + call.size * gzip_ratio / GB * TRANSFER_CDN * MILLION
    note = f"{reads:.1f} RRU + {writes:.1f} WRU, {call.size:,} bytes, {call.seconds * 1000:.0f} ms"
    return Cost(call.name, direct, cdn, note)


def page_view(view: PageView, size: int, packed: int, cold_import: float) -> Cost:
    """A page view: the function reading the stored page, or the CDN (its cache, else the
    bucket) with no function at all."""
    direct = (
        API_GATEWAY_REST
        + _lambda(view.seconds, cold_import)
        + _logs()
        + S3_GET
        + size / GB * TRANSFER_DIRECT * MILLION
    )
    cdn = (
        CLOUDFRONT_HTTPS
        + 2 * CLOUDFRONT_FUNCTION  # viewer request and viewer response
        + (1 - CDN_HIT_RATIO) * S3_GET
        + packed / GB * TRANSFER_CDN * MILLION
    )
    note = f"{size:,} bytes ({packed:,} gzip), {view.dynamodb} DynamoDB calls"
    return Cost("page view (portal)", direct, cdn, note)


def report(costs: list[Cost]) -> None:
    """Print the cost table."""
    print(f"\n{'USD per million':<32}{'without CDN':>12}{'with CDN':>10}  measured")
    for cost in costs:
        print(f"{cost.name:<32}{cost.direct:>12.2f}{cost.cdn:>10.2f}  {cost.note}")
    print(
        f"(us-east-1 list prices; {COLD_STARTS:.0%} cold starts, {CDN_HIT_RATIO:.0%} of page "
        "views from the edge's cache; page views with the CDN run no function)"
    )
