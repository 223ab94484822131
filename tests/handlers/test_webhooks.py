"""Webhook endpoints through the API: the secret shown once, every change with its one event,
bad URLs refused at save (422 naming `url` and why) and at delivery (the reason in the
delivery log), DNS rebinding defeated, and the request that causes an event never waiting
for its delivery. On moto and DynamoDB Local."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from chalicelib.services.webhooks import addresses
from chalicelib.services.webhooks.delivery import deliver, run_due
from chalicelib.settings import reset_settings
from tests.conftest import ROOT, problem
from tests.services.webhooks.conftest import add_endpoint, events_of
from tests.services.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def no_loopback(monkeypatch) -> Iterator[None]:
    """Settings as in AWS: loopback is refused like any address that is not public."""
    monkeypatch.setenv("PORTWAY_WEBHOOK_ALLOW_LOOPBACK", "false")
    reset_settings()
    yield
    monkeypatch.delenv("PORTWAY_WEBHOOK_ALLOW_LOOPBACK")
    reset_settings()


@pytest.fixture
def names(monkeypatch):
    """Host names resolving as the test says (a list per name, one answer per resolution,
    the last repeating), and every resolution asked."""
    table: dict[str, list[list[str]]] = {}
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in table:
            return addresses._system_resolve(host, port)
        answers = table[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    monkeypatch.setattr(addresses, "resolve", resolve)
    return table, asked


def _body(url: str, events: list[str] | None = None) -> dict:
    return {"url": url, "events": events or ["customer.*"]}


def test_an_endpoint_shows_its_secret_once_and_changes_with_its_version(api, receiver):
    url = receiver.endpoint()
    created = api.post(
        "/v1/webhook-endpoints",
        {"url": url, "events": ["portal.*", "share.read", "portal.*"], "description": "ERP"},
    )

    assert created.status_code == 201, created.body
    endpoint = created.json_body
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["events"] == ["portal.*", "share.read"]
    assert endpoint["version"] == 1
    shown = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json_body
    assert "secret" not in shown
    assert shown == {k: v for k, v in endpoint.items() if k != "secret"}
    listed = api.get("/v1/webhook-endpoints").json_body["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert endpoint["secret"] not in str(listed)

    changed = api.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}",
        {"events": ["*"], "description": None},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.body
    assert changed.json_body["events"] == ["*"]
    assert changed.json_body["description"] is None
    assert changed.json_body["version"] == 2
    stale = api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", {"events": ["x.y"], "version": 1})
    assert stale.status_code == 409
    assert problem(stale)["current_version"] == 2

    assert api.delete(f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 204
    assert api.get(f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 404
    assert api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").status_code == 404
    assert api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test").status_code == 404


def test_every_change_records_one_event_and_a_refused_one_none(api, tenant, receiver):
    actor = None
    url = receiver.endpoint()
    endpoint = api.post("/v1/webhook-endpoints", _body(url)).json_body
    endpoint_id = endpoint["id"]
    api.patch(f"/v1/webhook-endpoints/{endpoint_id}", {"description": "new"})
    api.post(f"/v1/webhook-endpoints/{endpoint_id}/secret")
    api.post(f"/v1/webhook-endpoints/{endpoint_id}/test")
    # Refused: a bad URL (422), a stale version (409), an unknown endpoint (404).
    assert api.post("/v1/webhook-endpoints", _body("https://10.0.0.1/x")).status_code == 422
    bad = api.patch(f"/v1/webhook-endpoints/{endpoint_id}", {"url": "http://10.0.0.1/x"})
    assert bad.status_code == 422
    stale = api.patch(f"/v1/webhook-endpoints/{endpoint_id}", {"description": "x", "version": 1})
    assert stale.status_code == 409
    assert api.post("/v1/webhook-endpoints/whe_none/test").status_code == 404
    assert api.delete(f"/v1/webhook-endpoints/{endpoint_id}").status_code == 204

    expected = {
        "webhook_endpoint.created": {"events": ["customer.*"]},
        "webhook_endpoint.updated": {"changed": ["description"]},
        "webhook_endpoint.secret_rotated": {},
        "webhook_endpoint.tested": {"test": True},
        "webhook_endpoint.deleted": {},
    }
    shown = api.get("/v1/events?type=webhook_endpoint.*").json_body["items"]
    assert sorted(e["type"] for e in shown) == sorted(expected)
    for event in shown:
        assert event["object_type"] == "webhook_endpoint"
        assert event["object_id"] == endpoint_id
        assert event["data"] == expected[event["type"]]
        assert event["actor"].startswith("api_key:")
        actor = actor or event["actor"]
        assert event["actor"] == actor
        assert endpoint["secret"] not in str(event)
        assert url not in str(event)  # the URL may carry the receiver's own token


BAD_URLS = {
    "http://hooks.example.com/portway": "the URL must use https",
    "https://localhost/portway": "loopback address",
    "https://10.0.0.1/portway": "private address 10.0.0.1",
    "https://169.254.169.254/latest/meta-data/": "cloud metadata address 169.254.169.254",
    "https://[::1]/portway": "loopback address ::1",
    "https://internal.example.com/portway": "private address 10.20.30.40",
}


@pytest.mark.parametrize(("url", "reason"), sorted(BAD_URLS.items()))
def test_bad_urls_are_refused_when_saved(api, tenant, no_loopback, names, url, reason):
    table, _ = names
    table["internal.example.com"] = [["10.20.30.40"]]
    table["hooks.example.com"] = [["93.184.215.14"]]

    created = api.post("/v1/webhook-endpoints", _body(url))

    assert created.status_code == 422, created.body
    (error,) = problem(created)["errors"]
    assert error["field"] == "url"
    assert reason in error["message"]
    assert api.get("/v1/webhook-endpoints").json_body["items"] == []
    # A URL changed later is checked again.
    table["good.example.com"] = [["93.184.215.14"]]
    good = api.post("/v1/webhook-endpoints", _body("https://good.example.com/x")).json_body
    patched = api.patch(f"/v1/webhook-endpoints/{good['id']}", {"url": url})
    assert patched.status_code == 422
    assert reason in problem(patched)["errors"][0]["message"]
    assert api.get(f"/v1/webhook-endpoints/{good['id']}").json_body["url"] == good["url"]
    assert [e.type for e in events_of(tenant.id, "webhook_endpoint.updated")] == []


def test_a_name_that_turns_private_is_refused_at_delivery_with_the_reason_logged(
    api, tenant, names, receiver
):
    table, _ = names
    # Public when saved, private when the delivery comes (DNS rebinding, or a changed record).
    table["hooks.example.com"] = [["93.184.215.14"], ["10.0.0.5"]]
    endpoint = api.post(
        "/v1/webhook-endpoints", _body("https://hooks.example.com/portway")
    ).json_body
    api.post("/v1/customers", {"name": "Nordbau"})
    (event,) = events_of(tenant.id, "customer.created")

    (result,) = deliver(event)

    assert not result.succeeded
    assert result.next_retry_at is not None
    (logged,) = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json_body["items"]
    assert logged["status"] == "failed"
    assert logged["response_code"] is None
    assert logged["error"] == (
        "refused: private address 10.0.0.5 (the host hooks.example.com resolves to it): "
        "webhooks go to public addresses only"
    )
    assert logged["next_retry_at"] is not None


def test_loopback_saved_in_a_test_stage_is_refused_at_delivery_where_it_is_not_allowed(
    api, tenant, receiver, monkeypatch
):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    api.post("/v1/customers", {"name": "Nordbau"})
    (event,) = events_of(tenant.id, "customer.created")
    monkeypatch.setenv("PORTWAY_WEBHOOK_ALLOW_LOOPBACK", "false")
    reset_settings()
    try:
        (result,) = deliver(event)
    finally:
        monkeypatch.delenv("PORTWAY_WEBHOOK_ALLOW_LOOPBACK")
        reset_settings()

    assert result.error == "refused: the URL must use https"
    assert receiver.received == []
    (logged,) = api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json_body["items"]
    assert logged["error"] == "refused: the URL must use https"


def test_a_delivery_connects_to_the_address_it_checked(api, tenant, names, receiver):
    table, asked = names
    # The name answers loopback (allowed in the test stage) once, then a private address:
    # the connection must go to the address that was checked, without asking again.
    table["rebind.example.com"] = [["127.0.0.1"], ["127.0.0.1"], ["10.0.0.9"]]
    url = receiver.endpoint("rebind.example.com")
    created = api.post("/v1/webhook-endpoints", _body(url)).json_body
    receiver.trust(url, created["secret"])
    api.post("/v1/customers", {"name": "Nordbau"})
    (event,) = events_of(tenant.id, "customer.created")
    asked.clear()

    (result,) = deliver(event)

    assert result.succeeded, result.error
    assert asked == ["rebind.example.com"]  # one resolution per attempt
    (seen,) = receiver.for_path(url)
    assert seen.headers["host"] == f"rebind.example.com:{receiver.port}"
    assert seen.verified_with
    # The next resolution would be private: a retry now would be refused, not sent there.
    assert addresses.resolve("rebind.example.com", 443) == ["10.0.0.9"]


def test_the_request_that_causes_an_event_does_not_wait_for_its_delivery(api, tenant, receiver):
    endpoint = add_endpoint(api, receiver, ["customer.created"])
    receiver.answer("slow")
    receiver.slow_seconds = 0.2

    created = api.post("/v1/customers", {"name": "Nordbau"})

    assert created.status_code == 201
    assert receiver.received == []  # sent by the consumer, after the answer
    assert api.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json_body["items"] == []
    (event,) = events_of(tenant.id, "customer.created")
    assert deliver(event)[0].succeeded
    assert [r for r in run_due() if r.tenant_id == tenant.id] == []


def test_a_tenant_has_at_most_twenty_endpoints(api, receiver):
    for _ in range(20):
        assert api.post("/v1/webhook-endpoints", _body(receiver.endpoint())).status_code == 201
    refused = api.post("/v1/webhook-endpoints", _body(receiver.endpoint()))
    assert refused.status_code == 409
    assert "at most 20" in problem(refused)["detail"]


@pytest.mark.parametrize(
    ("events", "field"),
    [([], "events"), (["Portal.*"], "events.0"), (["portal"], "events.0"), (["*.x"], "events.0")],
)
def test_event_patterns_are_types_areas_or_everything(api, receiver, events, field):
    answer = api.post("/v1/webhook-endpoints", {"url": receiver.endpoint(), "events": events})
    assert answer.status_code == 422
    assert problem(answer)["errors"][0]["field"] == field


def test_keys_without_admin_scope_cannot_see_endpoints(api, tenant, receiver):
    from chalicelib.services.platform import api_keys
    from chalicelib.tenancy import Actor

    add_endpoint(api, receiver, ["*"])
    write_key = api_keys.issue(Actor(tenant.id, "test"), "w", ["write"]).key
    answer = api.as_key(write_key).get("/v1/webhook-endpoints")
    assert answer.status_code == 403


def test_importing_the_app_does_not_import_the_signing_library():
    code = "import sys, app; print('standardwebhooks' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
