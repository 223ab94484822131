"""The DynamoDB call counts `make bench` reports stay within PERFORMANCE.md's bounds:
one query per list page, never a scan, a handful of calls per request."""

from __future__ import annotations

from portway_ops.bench import measure, requester
from portway_ops.bench_pages import measure_pages
from portway_ops.bench_portal import measure_portal
from portway_ops.bench_self_service import measure_self_service
from portway_ops.bench_tickets import measure_scale, measure_tickets


def test_every_endpoint_stays_within_its_call_bound(chalice_client, tenant):
    for scenario, calls, total in measure(chalice_client, tenant.key):
        assert calls["Scan"] == 0, scenario.name
        assert total <= scenario.max_calls, (scenario.name, dict(calls))
        if scenario.is_list:
            assert calls["Query"] == 1, (scenario.name, dict(calls))


def test_page_views_read_one_stored_page_and_a_template_change_renders_only_its_portals(
    chalice_client, tenant
):
    request = requester(chalice_client, tenant.key)
    figures = measure_pages(chalice_client, request, tenant.slug, tenant.id, portals=5)
    assert figures.failures() == []
    assert [(v.status, v.dynamodb, v.store_reads) for v in figures.views] == [
        (200, 0, 1),
        (304, 0, 1),
    ]
    assert figures.rendering.pages == 5 * 2 * 3


def test_portal_asset_list_and_invitation_acceptance_stay_within_their_bounds(
    chalice_client, tenant
):
    results = measure_portal(chalice_client, requester(chalice_client, tenant.key))
    assert [(r.name, r.ok) for r in results] == [
        ("accept an invitation", True),
        ("GET /v1/portal/assets", True),
    ], [(r.name, r.status, dict(r.calls)) for r in results]


def test_signup_and_the_self_service_view_stay_within_their_bounds(chalice_client, tenant):
    results = measure_self_service(chalice_client, tenant.key, tenant.slug)
    assert [(r.name, r.ok) for r in results] == [
        ("signup quote (with a coupon)", True),
        ("signup", True),
        ("GET /v1/self-service/contract", True),
    ], [(r.name, r.status, dict(r.calls)) for r in results]
    quote = results[0].calls
    assert (quote["UpdateItem"], quote["BatchGetItem"], quote["GetItem"]) == (1, 1, 2)
    view = results[2].calls
    assert (view["GetItem"], view["BatchGetItem"], view["Query"]) == (1, 1, 1)


def test_a_ticket_is_filed_and_a_board_page_listed_within_their_bounds(chalice_client, tenant):
    results = measure_tickets(chalice_client, requester(chalice_client, tenant.key))
    assert [(r.name, r.ok) for r in results] == [
        ("POST /v1/portal/tickets", True),
        ("GET /v1/portal/tickets", True),
    ], [(r.name, r.status, dict(r.calls)) for r in results]


def test_a_large_tenants_board_page_costs_what_a_small_ones_does(
    chalice_client, tenant, other_tenant
):
    # `make bench` stores 100,000 tickets across 1,000 customers; here fewer, same rule.
    figure = measure_scale(
        chalice_client,
        requester(chalice_client, tenant.key),
        tenant.id,
        requester(chalice_client, other_tenant.key),
        other_tenant.id,
        large_tickets=2_000,
        large_customers=40,
    )
    assert figure.ok, figure
    assert figure.large_shown == 25
