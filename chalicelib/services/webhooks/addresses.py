"""Where a webhook may go (SSRF rules): https to public addresses only.

A URL is checked when it is saved and again before every attempt: its host is resolved once,
every address it resolves to must be public, and the attempt then connects to one of those
checked addresses (never resolving a second time, so a name cannot point elsewhere between
the check and the connection). Refused: loopback, private, link-local, carrier-grade NAT,
multicast, unspecified and reserved addresses, IPv6 that carries one of those (IPv4-mapped,
6to4, Teredo, NAT64), and the cloud metadata addresses. Loopback (and plain http to it) is
allowed only where the settings allow it: the local and test stages.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import msgspec

from chalicelib.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# Instance metadata services: AWS (IPv4 and IPv6), ECS task metadata, Alibaba.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_URL_LENGTH = 2048
# At most this many of a name's addresses are tried when connecting.
MAX_ADDRESSES = 4


class Refused(Exception):
    """A URL or address webhooks may not reach; `reason` says why, for the delivery log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Target(msgspec.Struct, frozen=True):
    """A checked URL: where to connect (the checked addresses) and what to ask for."""

    scheme: str
    host: str  # as the Host header and TLS name: lower case, IPv6 without brackets
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        """The Host header: the port only when it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def classify(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address` (`"private address"`), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = classify(embedded)
            return f"{reason} (in IPv6 {address})" if reason else None
    checks: list[tuple[bool, str]] = [
        (address in METADATA, "cloud metadata address"),
        (address.is_loopback, "loopback address"),
        (address.is_unspecified, "unspecified address"),
        (address.is_link_local, "link-local address"),
        (address.is_multicast, "multicast address"),
        (address in _CARRIER_GRADE_NAT, "carrier-grade NAT address"),
        (address.is_private, "private address"),
        (address.is_reserved, "reserved address"),
        (not address.is_global, "address that is not public"),
    ]
    return next((reason for refused, reason in checks if refused), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _system_resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (TCP), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Refused(f"the host {host} does not resolve ({exc})") from None
    found = [str(info[4][0]).split("%", 1)[0] for info in infos]
    return list(dict.fromkeys(found))


# Tests replace this to make names resolve as they need (a rebinding name, a private one).
resolve: Resolver = _system_resolve


def parse(url: str, *, allow_loopback: bool | None = None) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of a URL webhooks may be sent to, before any resolution;
    Refused for anything else (no credentials in it, no fragment, https unless loopback may
    be used)."""
    loopback_allowed = _loopback_allowed(allow_loopback)
    if len(url) > MAX_URL_LENGTH or not url.isascii() or not url.isprintable() or " " in url:
        raise Refused("the URL must be at most 2048 visible ASCII characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"the URL cannot be read ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and loopback_allowed):
        raise Refused("the URL must use https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("the URL may not carry a user name or password")
    if parts.fragment or url.endswith("#"):
        raise Refused("the URL may not have a fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host or "\\" in parts.netloc:
        raise Refused("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _loopback_allowed(given: bool | None) -> bool:
    return get_settings().webhook_allow_loopback if given is None else given


def check(url: str, *, allow_loopback: bool | None = None) -> Target:
    """The URL as a target with its checked addresses; Refused with the reason otherwise.
    Resolves the host (an IP literal resolves to itself) exactly once."""
    loopback_allowed = _loopback_allowed(allow_loopback)
    scheme, host, port, path = parse(url, allow_loopback=loopback_allowed)
    addresses = list(resolve(host, port))
    if not addresses:
        raise Refused(f"the host {host} does not resolve")
    loopback = 0
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise Refused(f"the host {host} resolves to {text!r}, not an address") from None
        reason = classify(address)
        if reason == "loopback address" and loopback_allowed:
            loopback += 1
            continue
        if reason is not None:
            shown = "" if text == host else f" (the host {host} resolves to it)"
            raise Refused(f"{reason} {text}{shown}: webhooks go to public addresses only")
    if scheme == "http" and loopback < len(addresses):
        raise Refused("the URL must use https")
    return Target(scheme, host, port, path, tuple(addresses[:MAX_ADDRESSES]))
