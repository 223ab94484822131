"""A provider's website for the browser tests: pages served from a port (an origin) of its
own, so that Portway's pages are framed cross-origin, as they are in real life."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


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
