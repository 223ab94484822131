"""Racing requests: conditional writes and transactions let exactly one win.

Only on DynamoDB Local: moto's in-memory store is not thread-safe (it copies dicts other
threads are changing), so racing it tests moto, not Portway.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import Conflict, PortwayError
from chalicelib.schemas.assets import AssetCreate, AssignmentSet
from chalicelib.schemas.customers import CustomerCreate
from chalicelib.services import assets, assignments, customers, idempotency, tenants
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
