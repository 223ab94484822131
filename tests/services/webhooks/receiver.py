"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread (loopback is
allowed in the test stage) that checks every request's signature the way a receiver would,
with `standardwebhooks.Webhook(secret).verify(...)`, and answers as each test scripts it.

Each endpoint gets its own random path, so a request meant for another test's receiver
(a leftover retry finding this port) is answered 404 and not recorded.
"""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

OK = "ok"
FAIL_500 = "500"
CLOSE = "close"  # close the connection without answering
SLOW = "slow"  # answer only after the sender's read timeout
REDIRECT = "redirect"


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any = None  # what verify() returned, when a secret verified it
    verified_with: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """The server, the secrets per path, the scripted answers, and what arrived."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.secrets: dict[str, list[str]] = {}
        self.script: deque[str] = deque()
        self.received: list[Received] = []
        self.slow_seconds = 1.5
        self.redirect_to = "https://elsewhere.example/hook"
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:  # https, with the certificate the context holds
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.scheme = "http" if tls is None else "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def endpoint(self, host: str = "127.0.0.1") -> str:
        """A new path of this receiver, as a URL (secrets are added with `trust`)."""
        path = f"/hook/{secrets.token_hex(8)}"
        self.secrets[path] = []
        return f"{self.scheme}://{host}:{self.port}{path}"

    def trust(self, url: str, secret: str) -> None:
        """Verify requests to this URL's path with `secret` (several may be trusted)."""
        self.secrets["/" + url.split("/", 3)[3]].append(secret)

    def answer(self, *behaviours: str) -> None:
        """How to answer the next requests, in order (then OK)."""
        self.script.extend(behaviours)

    def for_path(self, url: str) -> list[Received]:
        path = "/" + url.split("/", 3)[3]
        return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        if request.path not in self.secrets:
            request.send_response(404)
            request.end_headers()
            return
        seen = Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body)
        for secret in self.secrets[request.path]:
            try:
                seen.payload = Webhook(secret).verify(body, dict(request.headers.items()))
            except WebhookVerificationError as exc:
                seen.error = str(exc)
            else:
                seen.verified_with.append(secret)
        with self._lock:
            self.received.append(seen)
            behaviour = self.script.popleft() if self.script else OK
        self._respond(request, behaviour)

    def _respond(self, request: BaseHTTPRequestHandler, behaviour: str) -> None:
        if behaviour == CLOSE:
            request.close_connection = True
            request.connection.close()
            return
        if behaviour == SLOW:
            time.sleep(self.slow_seconds)
        try:
            if behaviour == FAIL_500:
                request.send_response(500)
                body = b"receiver broke"
            elif behaviour == REDIRECT:
                request.send_response(302)
                request.send_header("Location", self.redirect_to)
                body = b""
            else:
                request.send_response(200)
                body = b'{"received":true}'
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the sender gave up waiting
