"""Racing requests: conditional writes and transactions let exactly one win.

Only on DynamoDB Local: moto's in-memory store is not thread-safe (it copies dicts other
threads are changing), so racing it tests moto, not Portway.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import Conflict, NotFound, PortwayError
from chalicelib.models import Asset, AssetEvent, BusinessUnit
from chalicelib.schemas.assets import AssetCreate, AssetEventCreate, AssignmentSet
from chalicelib.schemas.customers import BusinessUnitCreate, CustomerCreate, CustomerUpdate
from chalicelib.services.fleet import assets, assignments, customers
from chalicelib.services.platform import idempotency, tenants
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.platform.storage import ConditionsFailed
from chalicelib.tenancy import TenantContext, authenticate_api_key

RACERS = 20
pytestmark = pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)


def _race(fn, args_list):
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        futures = [pool.submit(fn, *args) for args in args_list]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except PortwayError as error:
            outcomes.append(error)
    return outcomes


@pytest.fixture
def ctx(tenant) -> TenantContext:
    return authenticate_api_key(f"Bearer {tenant.key}")


def test_one_idempotency_key_is_claimed_by_exactly_one_racer(ctx):
    fingerprint = idempotency.fingerprint("POST", "/v1/customers", {"name": "x"})
    outcomes = _race(idempotency.begin, [(ctx, "race-key", fingerprint)] * RACERS)
    claimed = [o for o in outcomes if o is None]
    assert len(claimed) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o is not None)


def test_one_slug_goes_to_exactly_one_tenant(backend):
    outcomes = _race(
        tenants.create_tenant, [("Racer", "race-" + backend.replace("_", "-"))] * RACERS
    )
    winners = [o for o in outcomes if isinstance(o, tenants.NewTenant)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o not in winners)


def test_an_asset_is_assigned_to_exactly_one_of_two_racing_customers(ctx):
    asset = assets.create(ctx, AssetCreate(name="Contested"))
    rivals = [customers.create(ctx, CustomerCreate(name=f"Rival {i}")) for i in range(2)]
    calls = [(ctx, rivals[i % 2].id, AssignmentSet(asset_ids=[asset.id])) for i in range(10)]
    _race(assignments.set_customer_assets, calls)
    holder = assets.get(ctx, asset.id).customer_id
    assert holder in {r.id for r in rivals}
    counts = {r.id: customers.get(ctx, r.id).asset_count for r in rivals}
    assert counts == {r.id: int(r.id == holder) for r in rivals}


def test_concurrent_patches_based_on_one_version_let_exactly_one_win(ctx):
    customer = customers.create(ctx, CustomerCreate(name="Original"))
    calls = [(ctx, customer.id, CustomerUpdate(name=f"Editor {i}", version=1)) for i in range(10)]
    outcomes = _race(customers.update, calls)
    winners = [o for o in outcomes if not isinstance(o, PortwayError)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if o not in winners)
    stored = customers.get(ctx, customer.id)
    assert (stored.name, stored.version) == (winners[0].name, 2)


def test_telemetry_racing_a_delete_does_not_bring_the_asset_back(ctx):
    asset = assets.create(ctx, AssetCreate(name="Going away"))
    stale = assets.load(ctx, asset.id)  # what a report read just before the delete
    assets.delete(ctx, asset.id)
    report = AssetEventCreate(time=datetime.now(UTC), lat=1.0, lon=2.0)
    event = assets._new_event(ctx, asset.id, report, datetime.now(UTC), timedelta(days=1))
    with pytest.raises(ConditionsFailed):
        assets._store_event(stale, event, report, ctx)
    with pytest.raises(NotFound):
        assets.get(ctx, asset.id)
    assert list(Asset.query(ctx.tenant_id, Asset.asset_id == asset.id)) == []
    assert list(AssetEvent.query(ctx.tenant_id, AssetEvent.event_key.startswith(asset.id))) == []


def test_reports_and_a_delete_racing_leave_no_stub_asset(ctx):
    asset = assets.create(ctx, AssetCreate(name="Busy"))
    report = AssetEventCreate(time=datetime.now(UTC), lat=1.0, lon=2.0)
    calls = [(ctx, asset.id, report) for _ in range(RACERS - 1)]
    _race(
        lambda *args: assets.add_event(*args) if args else assets.delete(ctx, asset.id),
        [*calls, ()],
    )
    remaining = list(Asset.query(ctx.tenant_id, Asset.asset_id == asset.id))
    assert all(item.name == "Busy" for item in remaining)  # whole, or gone: never a stub


def test_deleting_a_customer_while_units_are_added_leaves_no_orphan_unit(ctx):
    customer = customers.create(ctx, CustomerCreate(name="Short-lived"))
    adds = [(ctx, customer.id, BusinessUnitCreate(name=f"Unit {i}")) for i in range(RACERS - 1)]
    outcomes = _race(
        lambda *args: (
            customers.add_business_unit(*args) if args else customers.delete(ctx, customer.id)
        ),
        [*adds, ()],
    )
    try:
        customers.get(ctx, customer.id)
    except NotFound:
        orphans = list(
            BusinessUnit.query(ctx.tenant_id, BusinessUnit.unit_key.startswith(customer.id))
        )
        assert orphans == [], outcomes
    else:
        units = customers.list_business_units(ctx, customer.id, PageRequest(100))
        assert len(units.items) == customers.get(ctx, customer.id).business_unit_count
