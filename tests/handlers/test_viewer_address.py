"""Behind the CDN, API Gateway sees an edge server's address: the viewer's comes in a header
the CDN's function sets, believed only beside the CDN's origin header (a value derived from
the key ring, a stack parameter). Rate limits count per viewer, never per edge server, and a
caller who reaches API Gateway directly cannot pick the address it is counted under."""

from __future__ import annotations

from types import SimpleNamespace

from chalicelib.handlers.router import _source_ip
from chalicelib.keyring import keyring, origin_header


def _request(headers: dict[str, str], source: str = "198.51.100.7") -> SimpleNamespace:
    return SimpleNamespace(
        headers={name.lower(): value for name, value in headers.items()},
        context={"identity": {"sourceIp": source}},
    )


def test_the_viewers_address_counts_when_the_request_came_through_the_cdn():
    request = _request(
        {
            "X-Portway-Viewer-Address": "203.0.113.50",
            "X-Portway-Origin": origin_header(keyring()),
        }
    )
    assert _source_ip(request) == "203.0.113.50"


def test_without_the_cdns_origin_header_the_claimed_address_is_ignored():
    claimed = {"X-Portway-Viewer-Address": "203.0.113.50"}
    assert _source_ip(_request(claimed)) == "198.51.100.7"
    wrong = {**claimed, "X-Portway-Origin": "0" * 64}
    assert _source_ip(_request(wrong)) == "198.51.100.7"
    assert _source_ip(_request({"X-Portway-Origin": origin_header(keyring())})) == "198.51.100.7"
    # X-Forwarded-For is never believed.
    assert _source_ip(_request({"X-Forwarded-For": "203.0.113.50"})) == "198.51.100.7"
