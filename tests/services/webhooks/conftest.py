"""Webhook tests: a real receiver, short timeouts, the tenant's events, new endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.models import Event
from chalicelib.services.webhooks import delivery, transport
from tests.services.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def one_worker_on_moto(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attempts run one at a time on moto, whose store is not thread-safe (DynamoDB Local
    runs them in parallel, as DynamoDB would)."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("backend") == "moto":
        monkeypatch.setattr(delivery, "WORKERS", 1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def fast_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver that is slow gives up after half a second, not five."""
    monkeypatch.setattr(transport, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(transport, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 2.0)


def events_of(tenant_id: str, type_: str) -> list[Event]:
    """The tenant's events of one type, oldest first."""
    return [e for e in Event.query(tenant_id, consistent_read=True) if e.type == type_]


def add_endpoint(api, receiver: Receiver, events: list[str], host: str = "127.0.0.1") -> dict:
    """An endpoint of the tenant at a new path of the receiver, which trusts its secret."""
    url = receiver.endpoint(host)
    created = api.post("/v1/webhook-endpoints", {"url": url, "events": events})
    assert created.status_code == 201, created.body
    receiver.trust(url, created.json_body["secret"])
    return created.json_body
