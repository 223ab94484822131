"""A provider's website for the browser tests: pages served from a port (an origin) of its
own, so that Portway's pages are framed cross-origin, as they are in real life.

Wait with `page.wait_for_function("() => ...")` or a locator's `expect(...)`, never with a
bare expression string: Playwright polls a bare expression by evaluating the string in the
page, which the hosted pages' CSP (no `unsafe-eval`) refuses as soon as the first check is
false."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portway_ops import streams
from tests.conftest import Api


class Website(ThreadingHTTPServer):
    """Pages by path; any other path gets `default`."""

    pages: dict[str, str]
    default: str

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:{port}`."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _PageHandler(BaseHTTPRequestHandler):
    server: Website

    def do_GET(self) -> None:
        page = self.server.pages.get(self.path.split("?")[0], self.server.default)
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def website() -> Iterator[Website]:
    """The provider's website; tests set its pages."""
    server = Website(("127.0.0.1", 0), _PageHandler)
    server.pages, server.default = {}, ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def stream_consumers(request: pytest.FixtureRequest) -> Iterator[None]:
    """The consumers of the events stream beside the local server while the test runs, as
    `make run` runs them: a change made in the browser (or by the test's setup) reaches its
    pages a moment later, and a page polls or reloads like a person would."""
    if "backend" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("backend")
    consumers = streams.Consumers.of(backoff=(0.05, 1.0))
    consumers.skip_to_end()  # before the test's tenant is made: its pages are published
    stop = threading.Event()
    thread = threading.Thread(target=consumers.run, args=(stop, 0.02), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def api(api: Api) -> Api:
    """Tenant A's key; each change's pages are published before it answers."""
    api.settle_writes = True
    return api


@pytest.fixture
def other_api(other_api: Api) -> Api:
    """Tenant B's key; each change's pages are published before it answers."""
    other_api.settle_writes = True
    return other_api


@pytest.fixture
def person(browser):
    """A person at a desktop browser (1100 px, English) who has not signed in yet; the test
    fails on any script error or anything the CSP refused."""
    # axe-core is put in by the test (the console's CSP rightly refuses any other script).
    context = browser.new_context(
        viewport={"width": 1100, "height": 800}, locale="en-GB", bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # What the console's CSP refuses (an inline style or script) shows as a console error.
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def phone(browser):
    """A person on a phone (390 px); the test fails on any script error of the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []
