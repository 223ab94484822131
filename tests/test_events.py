"""Every change records exactly one domain event in its own transaction (issue 12): each
write route of the provider API, called with a valid sample, leaves one new event of the
tenant, typed `area.object_verb`, naming the caller; a refused change leaves none. Routes are
enumerated from the registry, so a new write route is covered without anyone remembering.
Portal, link and public routes are proven in the tests of their domains.
"""

from __future__ import annotations

import pytest

from app import app  # noqa: F401  (importing the app registers every operation)
from chalicelib.models import Event, ReceivedShare
from chalicelib.operations import OPERATIONS, Operation
from chalicelib.services.platform import api_keys, events
from chalicelib.tenancy import Actor
from tests.samples import call, kinds_for, make_objects

ON_MOTO = pytest.mark.parametrize("backend", ["moto"], indirect=True)
# Reads that change something: a partner's read of a share is logged (share.read).
READS_THAT_WRITE = {("GET", "/v1/received-shares/{id}/assets")}
DELETES_OF_SAVED = {("DELETE", "/v1/email-templates/{kind}/{language}")}
# A partner's own export of its reads is the partner's: recorded in its log, by its key.
PARTNERS_OWN = {("POST", "/v1/received-shares/{id}/access-log/exports")}
WRITE_OPERATIONS = sorted(
    (
        o
        for o in OPERATIONS
        if o.auth == "api_key" and (o.method != "GET" or (o.method, o.path) in READS_THAT_WRITE)
    ),
    key=lambda o: (o.path, o.method),
)


def _id(op: Operation) -> str:
    return f"{op.method} {op.path}"


def _events(*tenant_ids: str) -> list[Event]:
    return [e for t in tenant_ids for e in Event.query(t, consistent_read=True)]


def _tenants(tenant_id: str, ids: dict[str, str]) -> tuple[str, ...]:
    """The caller's tenant, and the sender's of the share it received: a partner's reads and
    writes are recorded in the sender's log, where the owner of the data reads them."""
    if "received_share" not in ids:
        return (tenant_id,)
    grant = ReceivedShare.get(tenant_id, ids["received_share"], consistent_read=True)
    return (tenant_id, grant.sender_tenant_id)


@pytest.fixture
def samples(api, request):
    op = request.node.callspec.params["op"]
    kinds, portal_user = kinds_for(op.method, op.path)
    return make_objects(api, assigned=False, portal_user=portal_user, kinds=kinds)


@ON_MOTO
@pytest.mark.parametrize("op", WRITE_OPERATIONS, ids=_id)
def test_every_write_route_records_exactly_one_event(api, tenant, samples, op):
    key = api_keys.issue(Actor(tenant.id, "test"), "events", ["admin"])
    if (op.method, op.path) in DELETES_OF_SAVED:  # deleting what was never saved changes nothing
        put = call(api.as_key(key.key), "PUT", op.path, samples)
        assert put.status_code < 300, put.body
    tenants = _tenants(tenant.id, samples)
    before = {e.event_id for e in _events(*tenants)}
    response = call(api.as_key(key.key), op.method, op.path, samples)
    assert response.status_code < 300, (_id(op), response.status_code, response.body)
    new = [e for e in _events(*tenants) if e.event_id not in before]
    assert len(new) == 1, (_id(op), [e.type for e in new])
    (event,) = new
    assert events.TYPE.match(event.type), event.type
    partners_own = (op.method, op.path) in PARTNERS_OWN
    if op.path.startswith("/v1/received-shares/") and not partners_own:
        # the sender's log names the partner's key
        assert event.actor.startswith("partner:"), event.actor
        assert event.data["partner_key"] in (f"api_key:{key.id}", f"tracking:{key.id}")
    else:
        assert event.tenant_id == tenant.id
        assert event.actor in (f"api_key:{key.id}", f"tracking:{key.id}"), event.actor


@ON_MOTO
def test_a_refused_change_records_no_event(api, tenant):
    before = len(_events(tenant.id))
    assert api.post("/v1/customers", {"name": ""}).status_code == 422
    unknown = "/v1/customers/cus_00000000000000000000000000"
    assert api.patch(unknown, {"name": "x"}).status_code == 404
    created = api.post("/v1/customers", {"name": "Acme"}).json_body
    stale = api.patch(f"/v1/customers/{created['id']}", {"name": "y"}, headers={"If-Match": '"9"'})
    assert stale.status_code == 409
    assert len(_events(tenant.id)) == before + 1  # the one creation only
