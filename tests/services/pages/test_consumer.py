"""Page publishing as a consumer of the events stream (chalicelib/services/pages/consumer.py).

Events are recorded here as a service records them (in a transaction, with
`events.record`) and reach the consumer through the real stream of each backend (moto's and
DynamoDB Local's), drained by the `events_stream` fixture, as Lambda's event source would
hand them over. What the consumer stores is compared with what today's direct call for the
same change stores: the same pages, no more, no fewer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client

from chalicelib.blobs import blob_store
from chalicelib.handlers import consumers as lambda_functions
from chalicelib.models import Event, PlanVariant, Portal, Theme, Token
from chalicelib.pages import store
from chalicelib.services.pages import consumer, pages
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import Actor
from portway_ops import streams

ROOT = Path(__file__).resolve().parents[3]
ACTOR = "api_key:key_consumer_test"
PAGES = "pages_consumer"


@dataclass
class Recorded:
    """What the page store was asked to do."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def keys(self) -> tuple[set[str], set[str]]:
        return set(self.written), set(self.removed)


@contextmanager
def recording(fail_after: int | None = None) -> Iterator[Recorded]:
    """Record the page store's writes and removals; with `fail_after`, the store breaks
    after that many writes (a consumer crashing midway)."""
    target = blob_store()
    seen = Recorded()
    put, delete = target.put, target.delete

    def recorded_put(key: str, data: bytes, content_type: str, served: Any = None) -> Any:
        if fail_after is not None and len(seen.written) >= fail_after:
            raise OSError("the page store is unreachable")
        seen.written.append(key)
        return put(key, data, content_type, served)

    def recorded_delete(key: str) -> None:
        seen.removed.append(key)
        delete(key)

    setattr(target, "put", recorded_put)  # noqa: B010 - on the instance, undone below
    setattr(target, "delete", recorded_delete)  # noqa: B010
    try:
        yield seen
    finally:
        delattr(target, "put")
        delattr(target, "delete")


def record(tenant_id: str, type_: str, object_id: str | None = None, **kw: Any) -> Event:
    """An event recorded as a service records it: in a transaction of its own."""
    with Transaction() as tx:
        return events.record(tx, Actor(tenant_id, ACTOR), type_, object_id, **kw)


@dataclass
class World:
    """A tenant with what pages are made of: themes, templates (one the default) with
    portals, a portal with its own look, plans with open and closed variants."""

    tenant_id: str
    slug: str
    theme: str  # used by the default template and by a portal of its own
    spare_theme: str  # used by nothing
    default_template: str
    other_template: str
    own_portal: tuple[str, str]  # customer id, portal id
    other_portal: tuple[str, str]
    plan: str
    open_variant: str
    closed_variant: str
    component: str


def _portal(api, body: dict[str, Any]) -> tuple[str, str]:
    customer = api.post("/v1/customers", {"name": "Customer"}).json_body["id"]
    answer = api.put(f"/v1/customers/{customer}/portal", body)
    assert answer.status_code == 200, answer.json_body
    return customer, answer.json_body["id"]


def make_world(api, tenant) -> World:
    theme = api.post("/v1/themes", {"name": "Brand"}).json_body["id"]
    spare = api.post("/v1/themes", {"name": "Spare"}).json_body["id"]
    default = api.post(
        "/v1/portal-templates",
        {"name": "Default", "apps": ["equipment"], "theme_id": theme, "is_default": True},
    ).json_body["id"]
    other = api.post("/v1/portal-templates", {"name": "Other", "apps": ["equipment"]}).json_body[
        "id"
    ]
    for _ in range(2):
        _portal(api, {"template_id": default})
    other_portal = _portal(api, {"template_id": other})
    own = _portal(api, {"apps": ["equipment", "activity"], "theme_id": theme})
    plan = api.post("/v1/plans", {"name": "Fleet", "currency": "EUR"}).json_body["id"]
    variant = {"price": "9.00", "billing_period": "P1M", "notice_period": "P1M"}
    open_variant = api.post(
        f"/v1/plans/{plan}/variants", {"name": "Open", "allow_signup": True, **variant}
    ).json_body["id"]
    closed = api.post(
        f"/v1/plans/{plan}/variants", {"name": "Closed", "allow_signup": False, **variant}
    ).json_body["id"]
    component = api.post(
        "/v1/components",
        {
            "plan_id": plan,
            "name": "Seats",
            "kind": "quantity",
            "price": "1.00",
            "unit": "seat",
            "min_quantity": 0,
            "max_quantity": 9,
            "show_in_signup": True,
        },
    ).json_body["id"]
    return World(
        tenant.id,
        tenant.slug,
        theme,
        spare,
        default,
        other,
        own,
        other_portal,
        plan,
        open_variant,
        closed,
        component,
    )


@pytest.fixture
def world(api, tenant, events_stream) -> World:
    made = make_world(api, tenant)
    events_stream.drain()  # the setup's own pages are published before the test begins
    return made


Case = tuple[str, Callable[[World], dict[str, Any]], Callable[[World], object] | None]

# Each event type that reaches pages (and a few that reach none), with the direct call
# that renders the same pages (None: the consumer renders nothing).
CASES: list[Case] = [
    (
        "tenant.created",
        lambda w: {"object_id": w.tenant_id},
        lambda w: pages.refresh_site(w.tenant_id),
    ),
    (
        "tenant.embedding_updated",
        lambda w: {"object_id": w.tenant_id, "data": {"allowed_origins": []}},
        lambda w: pages.refresh_site(w.tenant_id, with_portals=True),
    ),
    (  # POST /v1/pages/render renders in its request: the consumer does not do it again
        "tenant.pages_rendered",
        lambda w: {"object_id": w.tenant_id},
        None,
    ),
    (
        "settings.self_service_updated",
        lambda w: {"data": {"changed": ["fields"]}},
        lambda w: pages.refresh_hosted(w.tenant_id),
    ),
    (
        "theme.updated",
        lambda w: {"object_id": w.theme, "data": {"changed": ["colors"]}},
        lambda w: pages.refresh_theme(w.tenant_id, w.theme),
    ),
    (
        "theme.logo_uploaded",
        lambda w: {"object_id": w.theme, "data": {"size": "small"}},
        lambda w: pages.refresh_theme(w.tenant_id, w.theme),
    ),
    (
        "theme.updated",
        lambda w: {"object_id": w.spare_theme, "data": {"changed": ["name"]}},
        lambda w: pages.refresh_theme(w.tenant_id, w.spare_theme),
    ),
    (
        "plan.updated",
        lambda w: {"object_id": w.plan, "data": {"changed": ["name"]}},
        lambda w: pages.refresh_plan(w.tenant_id, w.plan),
    ),
    (
        "component.created",
        lambda w: {"object_id": w.component, "data": {"plan_id": w.plan, "kind": "quantity"}},
        lambda w: pages.refresh_plan(w.tenant_id, w.plan),
    ),
    (
        "component.updated",
        lambda w: {"object_id": w.component, "data": {"changed": ["price"]}},  # no plan named
        lambda w: pages.refresh_plan(w.tenant_id, w.plan),
    ),
    (
        "plan_variant.created",
        lambda w: {"object_id": w.open_variant, "data": {"plan_id": w.plan}},
        lambda w: pages.refresh_variant(w.tenant_id, PlanVariant.get(w.tenant_id, w.open_variant)),
    ),
    (
        "plan_variant.updated",
        lambda w: {"object_id": w.closed_variant, "data": {"changed": ["allow_signup"]}},
        lambda w: pages.refresh_variant(
            w.tenant_id, PlanVariant.get(w.tenant_id, w.closed_variant)
        ),
    ),
    (
        "portal.created",
        lambda w: {"object_id": w.own_portal[1], "customer_id": w.own_portal[0]},
        lambda w: pages.refresh_portal(w.tenant_id, Portal.get(w.tenant_id, w.own_portal[0])),
    ),
    (
        "portal.updated",
        lambda w: {"object_id": w.other_portal[1], "customer_id": w.other_portal[0]},
        lambda w: pages.refresh_portal(w.tenant_id, Portal.get(w.tenant_id, w.other_portal[0])),
    ),
    (
        "portal.deleted",
        lambda w: {"object_id": w.other_portal[1], "customer_id": w.other_portal[0]},
        lambda w: pages.remove_portal(w.slug, w.other_portal[1]),
    ),
    (
        "portal_template.created",
        lambda w: {"object_id": w.default_template, "data": {"is_default": True}},
        lambda w: pages.refresh_site(w.tenant_id),
    ),
    ("portal_template.created", lambda w: {"object_id": w.other_template, "data": {}}, None),
    (
        "portal_template.updated",
        lambda w: {"object_id": w.default_template, "data": {"changed": ["apps"]}},
        lambda w: pages.refresh_template(w.tenant_id, w.default_template, with_site=True),
    ),
    (
        "portal_template.updated",
        lambda w: {"object_id": w.other_template, "data": {"changed": ["sections", "name"]}},
        lambda w: pages.refresh_template(w.tenant_id, w.other_template, with_site=False),
    ),
    (
        "portal_template.updated",  # stopped being the default (or became it)
        lambda w: {"object_id": w.other_template, "data": {"changed": ["is_default"]}},
        lambda w: pages.refresh_template(w.tenant_id, w.other_template, with_site=True),
    ),
    (
        "portal_template.updated",
        lambda w: {"object_id": w.other_template, "data": {"changed": ["name", "description"]}},
        None,
    ),
    (
        "portal_template.deleted",
        lambda w: {"object_id": "tpl_gone", "data": {"is_default": True}},
        lambda w: pages.refresh_site(w.tenant_id),
    ),
    (
        "portal_template.deleted",
        lambda w: {"object_id": "tpl_gone", "data": {"is_default": False}},
        None,
    ),
    ("customer.updated", lambda w: {"object_id": "cus_1", "customer_id": "cus_1"}, None),
    ("share.read", lambda w: {"object_id": "shr_1"}, None),
]


def test_every_event_renders_exactly_the_pages_its_direct_call_renders(world, events_stream):
    mismatches = []
    for type_, event_fields, direct in CASES:
        with recording() as expected:
            if direct is not None:
                direct(world)
        record(world.tenant_id, type_, **event_fields(world))
        with recording() as consumed:
            events_stream.drain()
        if consumed.keys() != expected.keys():
            mismatches.append((type_, event_fields(world), consumed.keys(), expected.keys()))
        assert not events_stream.runner(PAGES).parked, type_
    assert not mismatches, mismatches
    # The types the consumer takes are exactly those that reach pages, and its event
    # source is given no others.
    assert {c[0] for c in CASES if c[2] is not None} <= consumer.TYPES
    assert {"customer.updated", "share.read"}.isdisjoint(consumer.TYPES)


def test_a_real_change_and_its_event_reach_the_page_through_the_stream(world, events_stream):
    """A theme colour changed in a transaction with its event, as the theme service does:
    the portal pages show the new colour once the stream is drained, and not before."""
    item = Theme.get(world.tenant_id, world.theme)
    _customer, portal_id = world.own_portal
    key = store.page_key(world.slug, "portal", portal_id, "en")
    assert "#123456" not in blob_store().get(key).data.decode()
    with Transaction() as tx:
        tx.update(item, [Theme.colors["primary"].set("#123456")])
        events.record(tx, Actor(world.tenant_id, ACTOR), "theme.updated", world.theme)
    assert "#123456" not in blob_store().get(key).data.decode()  # nothing in the request
    with recording() as consumed:
        assert events_stream.drain() >= 1
    assert "#123456" in blob_store().get(key).data.decode()
    # Every portal that shows the theme, through its template or its own choice, and the
    # tenant's sign-in page (its default template shows the theme); no other portal.
    portals = {k.split("/")[3] for k in consumed.written if k.split("/")[2] == "portal"}
    assert portal_id in portals
    assert world.other_portal[1] not in portals
    assert store.TENANT_VARIANT in portals
    assert len(portals) == 4


def _records(events_stream, type_: str, tenant_id: str, count: int = 1, **kw: Any) -> list[dict]:
    """`count` events recorded and read back from the stream as Lambda hands them over,
    without giving them to the consumer."""
    caught: list[dict] = []
    runner = events_stream.runner(PAGES)
    runner.handler = lambda event, context: caught.extend(event["Records"]) or {}
    for _ in range(count):
        record(tenant_id, type_, **kw)
    events_stream.drain()
    runner.handler = None
    return caught


def _as_delivered(event: Event, sequence: str = "1") -> dict[str, Any]:
    """A stream record of the event as Lambda hands it over."""
    return {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": sequence, "NewImage": event.serialize()},
    }


def test_the_same_record_twice_renders_once(world, events_stream):
    (delivered,) = _records(events_stream, "theme.updated", world.tenant_id, object_id=world.theme)
    assert "/stream/" in delivered["eventSourceARN"]  # as Lambda hands it over
    with recording() as first:
        answer = lambda_functions.pages_consumer({"Records": [delivered]}, None)
    assert answer == {"batchItemFailures": []}
    assert first.written
    with recording() as second:
        outcome = consumer.consume([delivered])
    assert second.written == []
    assert outcome.pages == 0
    event_id = delivered["dynamodb"]["NewImage"]["event_id"]["S"]
    assert outcome.duplicates == [event_id]
    assert outcome.consumed == []
    # Remembered by id, per consumer, with a TTL.
    marker = Token.get(Token.named_digest("consumed", "pages", world.tenant_id, event_id))
    assert marker.kind == "consumed_event"
    assert marker.subject_id == event_id
    assert marker.expires_at is not None


def test_events_of_one_batch_reaching_the_same_pages_render_them_once(world, events_stream):
    delivered = _records(
        events_stream, "theme.updated", world.tenant_id, count=3, object_id=world.theme
    )
    assert len(delivered) == 3
    with recording() as once:
        pages.refresh_theme(world.tenant_id, world.theme)
    with recording() as batch:
        outcome = consumer.consume(delivered)
    assert sorted(batch.written) == sorted(once.written)
    assert len(outcome.consumed) == 3


def test_a_consumer_crashing_midway_is_retried_and_the_page_ends_up_rendered(world, events_stream):
    customer, portal_id = world.own_portal
    keys = [
        store.page_key(world.slug, page, portal_id, language)
        for page in store.PORTAL_PAGES
        for language in store.LANGUAGES
    ]
    for key in keys:
        blob_store().delete(key)
    record(world.tenant_id, "portal.updated", portal_id, customer_id=customer)
    calls = []
    real = lambda_functions.pages_consumer

    def crashing_once(event: dict[str, Any], context: Any) -> Any:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            with recording(fail_after=1):  # one page stored, then the store fails
                return real(event, context)
        return real(event, context)

    events_stream.runner(PAGES).handler = crashing_once
    events_stream.drain()
    assert calls == [1, 1]  # failed, retried
    assert all(blob_store().get(key) is not None for key in keys)
    assert not events_stream.runner(PAGES).parked


def test_a_function_error_is_retried_from_the_failed_record_and_nothing_is_lost(
    world, events_stream
):
    """The function raises (a Lambda crash): the batch is bisected down to the record that
    keeps failing, which is parked after its retries; every other event is consumed."""
    poison = record(world.tenant_id, "theme.updated", world.theme)
    fine = [record(world.tenant_id, "plan.updated", world.plan) for _ in range(3)]
    handled: list[str] = []

    def flaky(event: dict[str, Any], context: Any) -> Any:
        ids = [r["dynamodb"]["NewImage"]["event_id"]["S"] for r in event["Records"]]
        if poison.event_id in ids:
            raise RuntimeError("a bug in one page")
        handled.extend(ids)
        return lambda_functions.pages_consumer(event, context)

    runner = events_stream.runner(PAGES)
    runner.handler = flaky
    events_stream.drain()
    assert handled == [e.event_id for e in fine]
    (parked,) = runner.parked
    assert parked.record["dynamodb"]["NewImage"]["event_id"]["S"] == poison.event_id
    assert parked.attempts == runner.subscription.retries + 1


def test_a_page_that_keeps_failing_is_parked_and_later_events_still_render(
    world, events_stream, monkeypatch
):
    def broken(tenant_id: str, theme_id: str) -> int:
        raise pages.PagesNotUpdated("the template has a bug")

    monkeypatch.setattr(pages, "refresh_theme", broken)
    broken_event = record(world.tenant_id, "theme.updated", world.theme)
    later = record(world.tenant_id, "plan.updated", world.plan)
    with recording() as consumed:
        events_stream.drain()
    (parked,) = events_stream.runner(PAGES).parked
    assert parked.record["dynamodb"]["NewImage"]["event_id"]["S"] == broken_event.event_id
    assert any("/signup/" in key for key in consumed.written)  # the later event's pages
    # Only the consumed event is remembered: the parked one can be replayed.
    digest = Token.named_digest("consumed", "pages", world.tenant_id, later.event_id)
    assert Token.get(digest).subject_id == later.event_id
    with pytest.raises(Token.DoesNotExist):
        Token.get(Token.named_digest("consumed", "pages", world.tenant_id, broken_event.event_id))


def test_an_event_that_reaches_no_page_does_nothing(world, events_stream, ddb_calls):
    delivered: list[Any] = []
    events_stream.runner(PAGES).on_delivery = lambda records, failed: delivered.append(records)
    record(world.tenant_id, "customer.updated", "cus_1", customer_id="cus_1")
    with recording() as consumed:
        events_stream.drain()
    assert delivered == []  # the event source's filter does not even hand it over
    # And given it anyway: no read, no write, no page.
    raw = _as_delivered(record(world.tenant_id, "share.read", "shr_1"))
    ddb_calls.reset()
    with recording() as given:
        assert consumer.consume([raw]).consumed == []
    assert ddb_calls.total == 0
    assert consumed.written == given.written == []
    assert given.removed == []


def test_records_that_are_no_new_events_are_passed_over(world):
    removal = {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "1", "Keys": {}}}
    assert consumer.consume([removal]).response() == {"batchItemFailures": []}
    broken = {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "2", "NewImage": {}}}
    assert consumer.consume([broken]).response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}


def test_an_event_of_a_tenant_that_is_gone_renders_nothing(backend, events_stream):
    record("ten_gone", "tenant.embedding_updated", "ten_gone")
    with recording() as consumed:
        events_stream.drain()
    assert consumed.written == []
    assert not events_stream.runner(PAGES).parked


def test_the_lambda_function_answers_a_partial_batch_response_through_chalice(world, events_stream):
    delivered = _records(events_stream, "plan.updated", world.tenant_id, object_id=world.plan)
    app = Chalice("consumers-test")
    app.register_blueprint(lambda_functions.blueprint)
    broken = {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "9", "NewImage": {}}}
    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        answer = client.lambda_.invoke(PAGES, {"Records": [*delivered, broken]})
    assert answer.payload == {"batchItemFailures": [{"itemIdentifier": "9"}]}


def test_the_subscription_filters_what_the_consumer_reaches():
    (pages_subscription,) = [s for s in streams.SUBSCRIPTIONS if s.name == PAGES]
    assert pages_subscription.types == consumer.TYPES
    assert pages_subscription.function() is lambda_functions.pages_consumer


def test_the_theme_services_own_event_reaches_the_pages_through_the_stream(
    world, api, events_stream
):
    """Through the API: the theme service records theme.updated with its change, and the
    consumer renders the portals that show the theme from it (the request still renders
    them too until phase 2)."""
    answer = api.patch(f"/v1/themes/{world.theme}", {"colors": {"primary": "#0f0e0d"}})
    assert answer.status_code == 200, answer.json_body
    handled: list[list[str]] = []
    events_stream.runner(PAGES).on_delivery = lambda records, failed: handled.append(
        [r["dynamodb"]["NewImage"]["type"]["S"] for r in records]
    )
    with recording() as consumed:
        events_stream.drain()
    assert handled == [["theme.updated"]]
    key = store.page_key(world.slug, "portal", world.own_portal[1], "en")
    assert key in consumed.written
    assert "#0f0e0d" in blob_store().get(key).data.decode()
