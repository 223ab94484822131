"""The DynamoDB call counts `make bench` reports stay within PERFORMANCE.md's bounds:
one query per list page, never a scan, a handful of calls per request."""

from __future__ import annotations

from portway_ops.bench import measure


def test_every_endpoint_stays_within_its_call_bound(chalice_client, tenant):
    for scenario, calls, total in measure(chalice_client, tenant.key):
        assert calls["Scan"] == 0, scenario.name
        assert total <= scenario.max_calls, (scenario.name, dict(calls))
        if scenario.is_list:
            assert calls["Query"] == 1, (scenario.name, dict(calls))
