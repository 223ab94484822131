"""The page figures of `make bench`: reads per page view, pages rendered per second when a
template change reaches 100 portals (and only those), and the weight of every page.

Pages are published by the page consumer from the events stream, as in AWS: a change's
request stores none (that is checked), and the consumer is drained here after it.

Counts are exact (botocore events and a counting wrapper around the page store); the
rendering rate is a time, reported but never bounded, since the machine is noisy.
"""

from __future__ import annotations

import gzip
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from portway_ops import streams
from portway_ops.bench import counting

MAX_PAGE_BYTES = 30 * 1024
LANGUAGES = ("en", "de", "da")
PAGES_PER_PORTAL = 2  # the portal and its invitation page

Request = Callable[..., Any]


@dataclass
class StoreCounter:
    """Reads of the page store, and the keys written."""

    reads: int = 0
    written: list[str] = field(default_factory=list)


@contextmanager
def counting_store() -> Iterator[StoreCounter]:
    """Count the blob store's reads and record its writes inside the block."""
    from chalicelib.blobs import blob_store

    store = blob_store()
    counter = StoreCounter()
    get, put = store.get, store.put

    def counted_get(key: str) -> Any:
        counter.reads += 1
        return get(key)

    def recorded_put(key: str, data: bytes, content_type: str, served: Any = None) -> Any:
        counter.written.append(key)
        return put(key, data, content_type, served)

    setattr(store, "get", counted_get)  # noqa: B010 - on the instance, undone below
    setattr(store, "put", recorded_put)  # noqa: B010
    try:
        yield counter
    finally:
        delattr(store, "get")
        delattr(store, "put")


@dataclass(frozen=True)
class PageView:
    """What one page view cost."""

    name: str
    status: int
    dynamodb: int
    store_reads: int
    seconds: float = 0.0  # the handler's time in this process


def page_views(client: Any, path: str) -> list[PageView]:
    """A page view, and the same view revalidated with its ETag (304)."""
    views = []
    etag = None
    for name in ("page view", "page view, ETag matches"):
        headers: dict[str, str] = {"If-None-Match": etag} if etag else {}
        started = time.perf_counter()
        with counting() as calls, counting_store() as store:
            response = client.http.get(path, headers=headers)
        took = time.perf_counter() - started
        etag = response.headers.get("ETag")
        views.append(PageView(name, response.status_code, calls.total, store.reads, took))
    return views


@dataclass(frozen=True)
class Rendering:
    """One template change that shows in `affected` portals."""

    affected: int
    bystanders: int
    pages: int
    seconds: float  # the consumer's, from the answer until every page was stored
    only_affected: bool
    request_seconds: float
    pages_in_request: int  # the request stores none: the consumer does

    @property
    def pages_per_second(self) -> float:
        """Pages (one per portal and language) rendered and stored per second."""
        return self.pages / self.seconds if self.seconds else 0.0


def _portal(request: Request, name: str, template_id: str) -> str:
    customer = request("POST", "/v1/customers", {"name": name})["id"]
    body = {"template_id": template_id}
    return str(request("PUT", f"/v1/customers/{customer}/portal", body)["id"])


def page_consumer() -> streams.Consumers:
    """The page consumer over the events stream, from now on (drained by the caller)."""
    (pages,) = [s for s in streams.SUBSCRIPTIONS if s.name == "pages_consumer"]
    consumer = streams.Consumers.of([pages], backoff=(0.0, 0.0))
    consumer.skip_to_end()
    return consumer


def template_change(
    request: Request, consumer: streams.Consumers, portals: int = 100, bystanders: int = 10
) -> Rendering:
    """Change a template that `portals` portals use, beside `bystanders` on another one."""
    theme = request("POST", "/v1/themes", {"name": "Bench brand"})["id"]
    body = {"name": "Changed", "apps": ["equipment"], "theme_id": theme}
    changed = request("POST", "/v1/portal-templates", body)["id"]
    other = request("POST", "/v1/portal-templates", {"name": "Other", "apps": ["equipment"]})["id"]
    affected = {_portal(request, f"Affected {i}", changed) for i in range(portals)}
    untouched = {_portal(request, f"Bystander {i}", other) for i in range(bystanders)}
    consumer.drain()  # the setup's pages
    with counting_store() as during:
        started = time.perf_counter()
        request(
            "PATCH",
            f"/v1/portal-templates/{changed}?confirm=true",
            {"apps": ["equipment", "reports"]},
        )
        answered = time.perf_counter()
    with counting_store() as store:
        consumer.drain()
        seconds = time.perf_counter() - answered
    # The function's copies (`pages/...`); each has its CDN copy (`site/p/...`) beside it.
    stored = [key for key in store.written if key.startswith("pages/")]
    written = Counter(key.split("/")[3] for key in stored)
    pages = sum(1 for key in stored if not key.endswith("/default.html"))
    return Rendering(
        affected=portals,
        bystanders=bystanders,
        pages=pages,
        seconds=seconds,
        only_affected=set(written) == affected and not untouched & set(written),
        request_seconds=answered - started,
        pages_in_request=len(during.written),
    )


def page_weights(client: Any, paths: dict[str, str]) -> dict[str, tuple[int, int]]:
    """The largest weight of each page over its languages: its HTML and the scripts it loads
    at once (the shared page script), raw and gzip-compressed as each file is served."""
    from chalicelib.services.pages.pages import loaded_scripts, weight

    weights = {}
    for name, path in paths.items():
        separator = "&" if "?" in path else "?"
        sizes = []
        for language in LANGUAGES:
            html = client.http.get(f"{path}{separator}language={language}").body.decode()
            files = [html.encode(), *loaded_scripts(html)]
            sizes.append((weight(html), sum(len(gzip.compress(f, 9)) for f in files)))
        weights[name] = max(sizes)
    return weights


@dataclass(frozen=True)
class PageFigures:
    """Everything the page part of the bench measured."""

    views: list[PageView]
    rendering: Rendering
    weights: dict[str, tuple[int, int]]

    def failures(self) -> list[str]:
        """The bounds that do not hold."""
        failed = [
            v.name for v in self.views if v.dynamodb != 0 or v.store_reads != 1 or v.status >= 400
        ]
        if self.rendering.pages_in_request:
            failed.append("template change's request stored pages itself")
        if not self.rendering.only_affected:
            failed.append("template change wrote pages of portals it does not reach")
        if self.rendering.pages != self.rendering.affected * PAGES_PER_PORTAL * len(LANGUAGES):
            failed.append("template change did not render every affected page")
        failed += [name for name, (size, _) in self.weights.items() if size > MAX_PAGE_BYTES]
        return failed


def measure_pages(
    client: Any,
    request: Request,
    slug: str,
    tenant_id: str,
    portals: int = 100,
    consumer: streams.Consumers | None = None,
) -> PageFigures:
    """Page views, a template change reaching `portals` portals, and page weights (with
    the page consumer given, or one of its own)."""
    from chalicelib.services.pages import pages

    consumer = consumer or page_consumer()
    pages.refresh_site(tenant_id)  # the tenant's own pages, as its creation's event made them
    rendering = template_change(request, consumer, portals)
    customer = request("POST", "/v1/customers", {"name": "Viewer"})["id"]
    portal = request("PUT", f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    consumer.drain()
    portal_path = f"/p/{slug}/portal?portal={portal['id']}"
    plan = request("POST", "/v1/plans", {"name": "Fleet"})
    variant = request(
        "POST",
        f"/v1/plans/{plan['id']}/variants",
        {"name": "Monthly", "price": "9.00", "allow_signup": True},
    )
    consumer.drain()
    weights = page_weights(
        client,
        {
            "portal sign-in (tenant)": f"/p/{slug}/portal",
            "portal (customer)": portal_path,
            "invitation": portal_path.replace("/portal?", "/invite?"),
            "not found": f"/p/{slug}/missing",
            "signup": f"/p/{slug}/signup/{variant['id']}",
            "self-service": f"/p/{slug}/self-service",
            "tracking": f"/p/{slug}/tracking",
        },
    )
    return PageFigures(page_views(client, portal_path), rendering, weights)


def report(figures: PageFigures) -> None:
    """Print the page figures as a table."""
    print(f"\n{'page view':<28}{'status':>7}{'DynamoDB':>10}{'store reads':>13}  bound 0 / 1")
    for view in figures.views:
        print(f"{view.name:<28}{view.status:>7}{view.dynamodb:>10}{view.store_reads:>13}")
    r = figures.rendering
    print(
        f"\ntemplate change reaching {r.affected} portals ({r.bystanders} others on another "
        f"template): the request answered in {r.request_seconds * 1000:.0f} ms having stored "
        f"{r.pages_in_request} pages; the consumer then stored {r.pages} pages in "
        f"{r.seconds:.2f} s = {r.pages_per_second:.0f} pages/s; "
        f"only the affected portals' pages written: {'yes' if r.only_affected else 'NO'}"
    )
    print(f"\n{'page weight (largest language)':<34}{'bytes':>8}{'gzip':>8}{'bound':>8}")
    for name, (size, packed) in figures.weights.items():
        print(f"{name:<34}{size:>8}{packed:>8}{MAX_PAGE_BYTES:>8}")
    from chalicelib.pages import maps

    print("\nthe map, loaded only where a map is shown (bytes, gzip):")
    for role, (size, packed) in maps.sizes().items():
        print(f"  {role:<32}{size:>10}{packed:>10}")
