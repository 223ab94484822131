"""The change pipeline's figures in `make bench`: how long a committed change takes to reach
its page through the local stream consumer (`portway_ops.streams`, as `make run` runs it,
against DynamoDB Local's stream), and how a template change reaching 1,000 portals goes
when the request only commits it and the consumer renders.

Times are reported, never bounded (the machine is noisy); what is checked is that every
change reached its page and that the 1,000 portals were all rendered.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from chalicelib.clock import utcnow
from chalicelib.ids import new_id
from chalicelib.tenancy import Actor
from portway_ops import streams

Request = Callable[..., Any]
ACTOR = "api_key:bench_pipeline"


@dataclass(frozen=True)
class Latency:
    """Commit-to-page times of `changes` changes made one after the other."""

    seconds: list[float]
    reached: int  # changes whose page showed the change

    def quantile(self, q: float) -> float:
        """The q-quantile (0.5, 0.99) of the times."""
        cuts = statistics.quantiles(self.seconds, n=100, method="inclusive")
        return cuts[round(q * 100) - 1] if q < 1 else max(self.seconds)


@dataclass(frozen=True)
class FanOut:
    """One template change that reaches `portals` portals."""

    portals: int
    request_seconds: float  # PATCH /v1/portal-templates/{id}?confirm=true, through the app
    pages_in_request: int  # pages the request stored itself (none: the consumer does)
    consumer_seconds: float  # from the answer until the consumer stored every page
    pages: int
    portals_rendered: int

    @property
    def pages_per_second(self) -> float:
        """Pages (one per portal, page and language) stored per second by the consumer."""
        return self.pages / self.consumer_seconds if self.consumer_seconds else 0.0


@dataclass(frozen=True)
class PipelineFigures:
    """Everything the pipeline part of the bench measured."""

    latency: Latency
    fan_out: FanOut

    def failures(self) -> list[str]:
        """What did not happen (times are never a failure)."""
        failed = []
        if self.latency.reached != len(self.latency.seconds):
            failed.append("a change did not reach its page through the stream")
        if self.fan_out.portals_rendered != self.fan_out.portals:
            failed.append("the template change did not reach every portal through the stream")
        if self.fan_out.pages_in_request:
            failed.append("the template change's request rendered pages itself")
        return failed


class _Consumer:
    """The page consumer reading DynamoDB Local's stream in a thread, as `make run` does;
    `wait(event_id)` returns when a batch holding that event was handled."""

    def __init__(self) -> None:
        self._done: dict[str, float] = {}
        self._changed = threading.Condition()
        # The page consumer only: `wait` must not return when webhooks had the event.
        (pages,) = [s for s in streams.SUBSCRIPTIONS if s.name == "pages_consumer"]
        self.consumers = streams.Consumers.of([pages], on_delivery=self._delivered)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.consumers.run, args=(self._stop,), daemon=True)

    def _delivered(self, records: Sequence[dict[str, Any]], failed: int | None) -> None:
        now = time.perf_counter()
        handled = records if failed is None else records[:failed]
        with self._changed:
            for record in handled:
                self._done[record["dynamodb"]["NewImage"]["event_id"]["S"]] = now
            self._changed.notify_all()

    def wait(self, event_id: str, seconds: float = 600) -> float:
        """When the consumer had handled the event (perf_counter)."""
        with self._changed:
            if not self._changed.wait_for(lambda: event_id in self._done, timeout=seconds):
                raise RuntimeError(f"the consumer did not handle {event_id} in {seconds} s")
            return self._done[event_id]

    @contextmanager
    def running(self, *, from_now: bool = True) -> Iterator[_Consumer]:
        """Consume in a thread: from now on, or from a `skip_to_end` made before."""
        if from_now:
            self.consumers.skip_to_end()
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=30)


def _theme_change(tenant_id: str, theme_id: str, color: str) -> str:
    """A theme colour changed with its event in one transaction, as the theme service does."""
    from chalicelib.models import Theme
    from chalicelib.services.platform import events
    from chalicelib.services.platform.storage import Transaction

    item = Theme.get(tenant_id, theme_id)
    with Transaction() as tx:
        tx.update(item, [cast(Any, Theme.colors)["primary"].set(color)])
        event = events.record(tx, Actor(tenant_id, ACTOR), "theme.updated", theme_id)
    return event.event_id


def change_to_page(request: Request, slug: str, tenant_id: str, changes: int = 50) -> Latency:
    """`changes` theme changes, one after the other, each timed from its commit until the
    consumer stored the page of the portal that shows the theme."""
    from chalicelib.blobs import blob_store
    from chalicelib.pages import store

    theme = request("POST", "/v1/themes", {"name": "Pipeline brand"})["id"]
    customer = request("POST", "/v1/customers", {"name": "Pipeline"})["id"]
    body = {"apps": ["equipment"], "theme_id": theme}
    portal = request("PUT", f"/v1/customers/{customer}/portal", body)["id"]
    key = store.page_key(slug, "portal", portal, "en")
    seconds, reached = [], 0
    with _Consumer().running() as consumer:
        for i in range(changes):
            color = f"#{i:06x}"
            event_id = _theme_change(tenant_id, theme, color)
            committed = time.perf_counter()
            seconds.append(consumer.wait(event_id) - committed)
            page = blob_store().get(key)
            reached += page is not None and color in page.data.decode()
    return Latency(seconds, reached)


def _seed_portals(tenant_id: str, template_id: str, count: int) -> None:
    """Portals of the template written straight into the table (the seed is not measured)."""
    from chalicelib.models import Portal, PortalTemplate

    now = utcnow()
    key = Portal.template_key_for(tenant_id, template_id)
    for _ in range(count):
        Portal(
            tenant_id,
            new_id("cus"),
            portal_id=new_id("prt"),
            template_id=template_id,
            template_key=key,
            created_at=now,
            updated_at=now,
        ).save()
    PortalTemplate(tenant_id, template_id).update(
        actions=[PortalTemplate.portal_count.set(count)], add_version_condition=False
    )


def _last_event(tenant_id: str, type_: str) -> str:
    """The id of the tenant's newest event of a type."""
    from chalicelib.models import Event

    for event in Event.query(tenant_id, scan_index_forward=False, consistent_read=True):
        if event.type == type_:
            return event.event_id
    raise RuntimeError(f"no {type_} event")


def fan_out(request: Request, tenant_id: str, portals: int = 1000) -> FanOut:
    """A template change reaching `portals` portals, made through the app: how long the
    request takes (it commits the change with its event and answers), and how long the
    page consumer then takes to store every portal's pages from the stream."""
    from portway_ops.bench_pages import counting_store

    body = {"name": "Fleet", "apps": ["equipment"]}
    template = request("POST", "/v1/portal-templates", body)["id"]
    _seed_portals(tenant_id, template, portals)
    consumer = _Consumer()
    consumer.consumers.skip_to_end()  # the request's event is the first it will read
    with counting_store() as during:
        started = time.perf_counter()
        path = f"/v1/portal-templates/{template}?confirm=true"
        request("PATCH", path, {"apps": ["equipment", "reports"]})
        answered = time.perf_counter()
    event_id = _last_event(tenant_id, "portal_template.updated")
    with consumer.running(from_now=False), counting_store() as store:
        done = consumer.wait(event_id)
    keys = [key.split("/") for key in store.written if not key.endswith("/default.html")]
    rendered = {parts[3] for parts in keys if parts[2] == "portal"}
    return FanOut(
        portals=portals,
        request_seconds=answered - started,
        pages_in_request=len(during.written),
        consumer_seconds=done - answered,
        pages=len(keys),
        portals_rendered=len(rendered),
    )


def measure_pipeline(
    request: Request, slug: str, tenant_id: str, *, changes: int = 50, portals: int = 1000
) -> PipelineFigures:
    """Both measurements, on one tenant."""
    return PipelineFigures(
        change_to_page(request, slug, tenant_id, changes), fan_out(request, tenant_id, portals)
    )


def report(figures: PipelineFigures) -> None:
    """Print the pipeline figures."""
    latency, fan = figures.latency, figures.fan_out
    ms = [s * 1000 for s in latency.seconds]
    print(
        f"\nchange -> page through the local stream consumer ({len(ms)} theme changes, one "
        f"after the other): p50 {latency.quantile(0.5) * 1000:.0f} ms, "
        f"p99 {latency.quantile(0.99) * 1000:.0f} ms, max {max(ms):.0f} ms; "
        f"pages showing their change: {latency.reached}/{len(ms)}"
    )
    print(
        f"template change reaching {fan.portals} portals (PATCH through the app): answered "
        f"in {fan.request_seconds * 1000:.0f} ms having stored {fan.pages_in_request} pages; "
        f"the consumer then stored {fan.pages} pages ({fan.portals_rendered} portals) in "
        f"{fan.consumer_seconds:.1f} s = {fan.pages_per_second:.0f} pages/s"
    )
