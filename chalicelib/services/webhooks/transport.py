"""One HTTP POST to a checked webhook target: to the checked address, no redirects, short
timeouts, and only a short excerpt of the answer kept.

The connection goes to an address `addresses.check` approved (the host name is used only
for the Host header, SNI and certificate verification), so DNS is asked once per attempt.
A watchdog closes the socket when the whole exchange takes too long, so a receiver that
trickles its answer byte by byte cannot hold a worker.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable

import msgspec

from chalicelib.services.webhooks.addresses import Target

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
EXCERPT_BYTES = 1024
EXCERPT_CHARS = 200
USER_AGENT = "Portway-Webhooks/1 (+https://www.standardwebhooks.com/)"


class Outcome(msgspec.Struct, frozen=True):
    """What one attempt got: the status (None without an answer), why it failed, an excerpt
    of the answer's body, and how long it took."""

    status: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int | None

    @property
    def succeeded(self) -> bool:
        """A 2xx answer; anything else (3xx included) is a failed attempt."""
        return self.status is not None and 200 <= self.status < 300 and self.error is None


def _excerpt(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text[:EXCERPT_CHARS] or None


def _default_tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's authorities, host names checked."""
    return ssl.create_default_context()


# Tests replace this to trust their own authority.
tls_context: Callable[[], ssl.SSLContext] = _default_tls_context


def _read_excerpt(response: http.client.HTTPResponse) -> str | None:
    """The start of the answer's body; the status counts even if the body never comes."""
    try:
        return _excerpt(response.read(EXCERPT_BYTES))
    except (OSError, http.client.HTTPException, ValueError):
        return None


def _connect(target: Target) -> socket.socket:
    """A connection to the first checked address that answers (TLS for https)."""
    last: OSError | None = None
    for address in target.addresses:
        # A socket of the address's family, connected to it: nothing is resolved here.
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect((address, target.port))
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.settimeout(READ_TIMEOUT)
        if target.scheme != "https":
            return sock
        context = tls_context()
        try:
            return context.wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
    assert last is not None
    raise last


def _describe(exc: BaseException, timed_out: bool) -> str:
    if timed_out:
        return f"no complete answer within {TOTAL_TIMEOUT:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection closed without an answer"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out (connect {CONNECT_TIMEOUT:g} s, read {READ_TIMEOUT:g} s)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "the connection was reset"
    if isinstance(exc, http.client.HTTPException):
        return f"the answer is not HTTP ({type(exc).__name__})"
    return f"network error: {getattr(exc, 'strerror', None) or exc}"


def post(target: Target, headers: dict[str, str], body: bytes) -> Outcome:
    """POST `body` to the target; never follows a redirect, never raises for the network."""
    started = time.monotonic()
    state: dict[str, object] = {"timed_out": False}
    sock: socket.socket | None = None

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    def expire() -> None:
        state["timed_out"] = True
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    watchdog = threading.Timer(TOTAL_TIMEOUT, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        sock = _connect(target)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=READ_TIMEOUT)
        connection.sock = sock
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        status = response.status
        excerpt = _read_excerpt(response)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, _describe(exc, bool(state["timed_out"])), None, elapsed())
    finally:
        watchdog.cancel()
        if sock is not None:
            sock.close()
    error = None
    if 300 <= status < 400:
        location = (response.getheader("location") or "")[:200]
        error = f"redirect ({status}) to {location or 'nowhere'} not followed"
    elif not 200 <= status < 300:
        error = f"answered {status}"
    return Outcome(status, error, excerpt, elapsed())
