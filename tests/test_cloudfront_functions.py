"""The CDN's two CloudFront Functions (infra/cloudfront/), run by Node with CloudFront's
event shapes: page addresses become the keys the pages are stored under, and stored
headers come back out of the object metadata."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelib.pages import store

FUNCTIONS = Path(__file__).resolve().parent.parent / "infra" / "cloudfront"


def run(name: str, event: dict[str, Any]) -> dict[str, Any]:
    code = (FUNCTIONS / name).read_text()
    script = code + "\nprocess.stdout.write(JSON.stringify(handler(JSON.parse(process.argv[1]))));"
    done = subprocess.run(
        ["node", "-e", script, json.dumps(event)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def viewer_request(
    uri: str, query: dict[str, str] | None = None, accept_language: str | None = None
) -> dict[str, Any]:
    headers = {"host": {"value": "portal.example.com"}}
    if accept_language is not None:
        headers["accept-language"] = {"value": accept_language}
    request = {
        "method": "GET",
        "uri": uri,
        "querystring": {k: {"value": v} for k, v in (query or {}).items()},
        "headers": headers,
        "cookies": {},
    }
    return run("page-request.js", {"version": "1.0", "request": request})


@pytest.mark.parametrize(
    ("uri", "query", "accept", "key"),
    [
        (
            "/p/acme/portal",
            {"portal": "prt_1", "language": "de"},
            None,
            "/site/p/acme/portal/prt_1/de",
        ),
        (
            "/p/acme/portal",
            {"portal": "prt_1"},
            "da-DK,da;q=0.9,en;q=0.8",
            "/site/p/acme/portal/prt_1/da",
        ),
        (
            "/p/acme/portal",
            {"portal": "prt_1", "language": "fr"},
            "en-GB",
            "/site/p/acme/portal/prt_1/en",
        ),
        ("/p/acme/self-service", None, None, "/site/p/acme/self-service/_/default"),
        ("/p/acme/tracking", None, "fr, de;q=0", "/site/p/acme/tracking/_/default"),
        ("/p/acme/signup/var_7", {"language": "da"}, None, "/site/p/acme/signup/var_7/da"),
        (
            "/p/acme/invite",
            {"portal": "prt_2", "language": "en"},
            None,
            "/site/p/acme/invite/prt_2/en",
        ),
        ("/p/acme/anything", None, None, "/site/p/acme/anything/_/default"),
    ],
)
def test_a_page_address_becomes_the_key_of_its_stored_copy(uri, query, accept, key):
    request = viewer_request(uri, query, accept)
    assert request["uri"] == key
    assert request["querystring"] == {}  # the path alone is the cache key


@pytest.mark.parametrize(
    ("uri", "query"),
    [
        ("/p/ACME/portal", {"portal": "prt_1"}),  # no slug has capitals
        ("/p/acme/portal", {"portal": "../../documents/x"}),
        ("/p/acme/portal", {"portal": "x" * 65}),
        ("/p/acme/signup/var_1/extra", None),
        ("/v1/tenant", None),
        ("/p/acme/Portal", None),
    ],
)
def test_an_address_that_names_no_page_reaches_the_function_as_it_is(uri, query):
    request = viewer_request(uri, query)
    assert request["uri"] == uri


def test_a_logo_is_asked_for_as_png_so_api_gateway_answers_it_as_binary():
    request = viewer_request("/p/acme/logos/thm_1/logo-abc.png")
    assert request["uri"] == "/p/acme/logos/thm_1/logo-abc.png"
    assert request["headers"]["accept"] == {"value": "image/png"}


@pytest.mark.parametrize(
    "header",
    [
        "de-AT,de;q=0.9,en;q=0.8",
        "fr, da;q=0.4, en;q=0.4",
        "en;q=0, de;q=0.1",
        "xx, yy;q=1",
        "de;q=abc, da;q=0.2",
        "  DA  ,  en ",
        "",
    ],
)
def test_the_cdn_picks_the_same_language_as_the_function(header):
    expected = store.preferred_language(header) or "default"
    request = viewer_request("/p/acme/self-service", None, header)
    assert request["uri"].rsplit("/", 1)[1] == expected


def _response(headers: dict[str, str], status: int = 200) -> dict[str, Any]:
    event = {
        "version": "1.0",
        "request": {"method": "GET", "uri": "/site/p/acme/portal/prt_1/de", "headers": {}},
        "response": {
            "statusCode": status,
            "headers": {k: {"value": v} for k, v in headers.items()},
        },
    }
    return run("page-response.js", event)["headers"]


def test_a_stored_page_gets_its_headers_back_from_the_metadata_and_s3s_own_go():
    csp = "default-src 'none'; frame-ancestors https://shop.example.com"
    headers = _response(
        {
            "content-type": "text/html; charset=utf-8",
            "x-amz-meta-content-security-policy": csp,
            "x-amz-meta-referrer-policy": "no-referrer",
            "x-amz-meta-x-content-type-options": "nosniff",
            "x-amz-version-id": "abc",
            "x-amz-server-side-encryption": "AES256",
        }
    )
    assert headers["content-security-policy"] == {"value": csp}
    assert headers["referrer-policy"] == {"value": "no-referrer"}
    assert headers["x-content-type-options"] == {"value": "nosniff"}
    assert not [name for name in headers if name.startswith("x-amz-")]


def test_html_without_a_policy_may_not_be_framed_and_scripts_get_none():
    page = _response({"content-type": "text/html"}, 404)
    assert page["content-security-policy"] == {"value": store.NO_FRAMING}
    script = _response({"content-type": "text/javascript; charset=utf-8"})
    assert "content-security-policy" not in script
    assert script["x-content-type-options"] == {"value": "nosniff"}


def test_the_metadata_names_are_the_ones_the_page_store_writes():
    code = (FUNCTIONS / "page-response.js").read_text()
    names = set(re.findall(r"'x-amz-meta-([a-z-]+)'", code))
    from chalicelib.services.branding.themes import LOGO_HEADERS

    written = {name.lower() for name in (*store.SERVED_HEADERS, *LOGO_HEADERS)}
    assert names == written


def test_the_api_learns_the_viewers_address_from_cloudfront_never_from_the_client():
    request = {
        "method": "POST",
        "uri": "/v1/team/sessions",
        "querystring": {},
        "headers": {"x-portway-viewer-address": {"value": "10.0.0.1"}},  # the client's claim
        "cookies": {},
    }
    event = {"version": "1.0", "viewer": {"ip": "203.0.113.50"}, "request": request}
    passed = run("api-request.js", event)
    assert passed["headers"]["x-portway-viewer-address"] == {"value": "203.0.113.50"}
    assert passed["uri"] == "/v1/team/sessions"
