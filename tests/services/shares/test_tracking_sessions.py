"""Tracking sessions: a short-lived key in the fragment of the tracking page's address. It
reads the tenant's own devices and its received shares (logged as the page's reads) and sets
shipment numbers, nothing else; it ends on time; the page itself is served for embedding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app import app  # noqa: F401  (importing the app registers every operation)
from chalicelib.errors import Unauthorized
from chalicelib.operations import OPERATIONS
from chalicelib.services.platform import api_keys
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, authenticate_api_key
from tests.conftest import problem
from tests.services.shares.conftest import share

SESSIONS = "/v1/tracking/sessions"
SHIPMENT_NUMBER = "/v1/received-shares/{id}/assets/{asset_id}/shipment-number"


def _session(api, body=None) -> tuple[str, datetime, str]:
    """A new session: its key, its end, and its page's address."""
    answer = api.post(SESSIONS, body or {})
    assert answer.status_code == 201, answer.body
    assert set(answer.json_body) == {"id", "url", "expires_at"}
    url = answer.json_body["url"]
    key = url.rpartition("#session=")[2]
    return key, datetime.fromisoformat(answer.json_body["expires_at"]), url


def _base() -> str:
    return re.escape(get_settings().public_base_url)


def test_a_session_is_the_page_address_with_a_key_in_its_fragment(api, tenant):
    before = datetime.now(UTC)
    key, end, url = _session(api)
    after = datetime.now(UTC)
    assert re.fullmatch(rf"{_base()}/p/{tenant.slug}/tracking#session=pwk_[A-Za-z0-9_-]{{43}}", url)
    assert before + timedelta(minutes=30, seconds=-1) <= end <= after + timedelta(minutes=30)
    assert end.microsecond == 0

    other_key, _, german = _session(api, {"language": "de", "minutes": 60})
    pattern = rf"{_base()}/p/{tenant.slug}/tracking\?language=de#session=(pwk_[A-Za-z0-9_-]{{43}})"
    match = re.fullmatch(pattern, german)
    assert match
    assert match.group(1) == other_key != key
    for minutes in (5, 480):
        _, end, _ = _session(api, {"minutes": minutes})
        assert end <= datetime.now(UTC) + timedelta(minutes=minutes)
        assert end >= before + timedelta(minutes=minutes, seconds=-1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 4}, "minutes"),
        ({"minutes": 481}, "minutes"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": "30"}, "minutes"),
        ({"language": "fr"}, "language"),
        ({"language": "../de"}, "language"),
        ({"tenant": "other"}, "tenant"),
    ],
    ids=["4", "481", "0", "string", "unknown_language", "path_language", "unknown_field"],
)
def test_a_bad_session_request_is_422(api, body, field):
    answer = api.post(SESSIONS, body)
    refused = problem(answer)
    assert refused["status"] == 422, answer.body
    assert [e["field"] for e in refused["errors"]] == [field]


def test_a_read_only_key_cannot_start_a_session_but_a_write_key_can(api, tenant):
    reader = api.as_key(api_keys.issue(Actor(tenant.id, "test"), "r", ["read"]).key)
    body = problem(reader.post(SESSIONS, {}))
    assert body["status"] == 403
    assert "tracking" in body["detail"]
    writer = api.as_key(api_keys.issue(Actor(tenant.id, "test"), "w", ["write"]).key)
    _session(writer)


def test_the_session_reads_own_devices_and_received_shares_and_sets_shipment_numbers(carrier):
    granted = share(carrier, carrier.devices[:2])
    own = carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    assert own.status_code == 201, own.body
    key, _, _ = _session(carrier.partner, {"language": "de"})
    page = carrier.partner.as_key(key)

    assets = page.get("/v1/assets")
    assert assets.status_code == 200, assets.body
    assert [a["id"] for a in assets.json_body["items"]] == [own.json_body["id"]]
    received = page.get("/v1/received-shares")
    assert received.status_code == 200, received.body
    assert [s["id"] for s in received.json_body["items"]] == [granted["id"]]
    read = page.get(f"/v1/received-shares/{granted['id']}/assets")
    assert read.status_code == 200, read.body
    assert [a["id"] for a in read.json_body["items"]] == [d["id"] for d in carrier.devices[:2]]
    device = carrier.devices[0]["id"]
    number = page.put(
        f"/v1/received-shares/{granted['id']}/assets/{device}/shipment-number",
        {"shipment_number": "SN-4711"},
    )
    assert number.status_code == 200, number.body
    # An API key's read of the same share, for comparison.
    assert carrier.partner.get(f"/v1/received-shares/{granted['id']}/assets").status_code == 200

    log = carrier.api.get(f"/v1/shares/{granted['id']}/access-log").json_body["items"]
    by_channel = sorted((e["kind"], e["channel"], e["actor"][:12]) for e in log)
    assert by_channel == [
        ("read", "api", "api_key:key_"),
        ("read", "page", "api_key:trk_"),
        ("shipment_number", "page", "api_key:trk_"),
    ]
    page_actors = {e["actor"] for e in log if e["channel"] == "page"}
    assert len(page_actors) == 1
    assert page_actors.pop().startswith("api_key:trk_")
    # The partner's own copy of the log says the same.
    mine = page.get(f"/v1/received-shares/{granted['id']}/access-log").json_body["items"]
    assert [e["id"] for e in mine] == [e["id"] for e in log]


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "sample_1", path)


def test_the_session_changes_nothing_else(carrier):
    share(carrier, carrier.devices[:1])
    carrier.partner.post("/v1/assets", {"name": "Eigener Sprinter", "kind": "gps_device"})
    key, _, _ = _session(carrier.partner)
    page = carrier.partner.as_key(key)
    before = {
        path: carrier.partner.get(path).json_body
        for path in (
            "/v1/assets",
            "/v1/customers",
            "/v1/api-keys",
            "/v1/received-shares",
            "/v1/settings/embedding",
        )
    }
    named = {
        ("POST", "/v1/customers"): {"name": "Acme"},
        ("POST", "/v1/assets"): {"name": "Truck", "kind": "gps_device"},
        ("POST", "/v1/api-keys"): {"name": "Mine", "scopes": ["admin"]},
        ("PUT", "/v1/settings/embedding"): {"allowed_origins": ["https://evil.example"]},
        ("DELETE", f"/v1/assets/{before['/v1/assets']['items'][0]['id']}"): None,
    }
    for (method, path), body in named.items():
        answer = page.request(method, path, body)
        assert problem(answer)["status"] == 403, (method, path, answer.body)
    allowed = {("PUT", SHIPMENT_NUMBER), ("POST", SESSIONS)}
    others = [
        o
        for o in OPERATIONS
        if o.auth == "api_key"
        and (o.method, o.path) not in allowed
        and (o.method != "GET" or o.scope != "read")
    ]
    assert len(others) > 20
    for op in others:
        answer = page.request(op.method, _concrete(op.path), {})
        body = problem(answer)
        assert body["status"] == 403, (op.method, op.path, answer.body)
        assert body["type"] == "urn:portway:problem:forbidden"
    after = {path: carrier.partner.get(path).json_body for path in before}
    assert after == before


def test_a_session_cannot_start_another_session(api):
    key, _, _ = _session(api)
    answer = api.as_key(key).post(SESSIONS, {"minutes": 480})
    assert problem(answer)["status"] == 403


def test_a_session_ends_on_time(api, tenant):
    key, end, _ = _session(api, {"minutes": 5})
    ctx = authenticate_api_key(f"Bearer {key}", clock=lambda: end - timedelta(seconds=1))
    assert ctx.tenant_id == tenant.id
    assert ctx.actor.startswith("api_key:trk_")
    assert ctx.scopes == frozenset({"read", "tracking", "tracking_session"})
    for late in (timedelta(0), timedelta(seconds=1), timedelta(hours=47)):
        with pytest.raises(Unauthorized):
            authenticate_api_key(f"Bearer {key}", clock=lambda late=late: end + late)
    assert api.as_key(key).get("/v1/assets").status_code == 200  # before its end


def test_a_revoked_share_stops_a_session_made_before(carrier):
    granted = share(carrier, carrier.devices[:1])
    key, _, _ = _session(carrier.partner)
    page = carrier.partner.as_key(key)
    path = f"/v1/received-shares/{granted['id']}/assets"
    assert page.get(path).status_code == 200
    assert carrier.api.delete(f"/v1/shares/{granted['id']}").status_code == 204
    assert problem(page.get(path))["status"] == 403
    number = page.put(
        f"{path}/{carrier.devices[0]['id']}/shipment-number", {"shipment_number": "SN-1"}
    )
    assert problem(number)["status"] == 403
    log = carrier.api.get(f"/v1/shares/{granted['id']}/access-log").json_body["items"]
    assert [(e["kind"], e["channel"]) for e in log] == [("read", "page")]


# -- the page ----------------------------------------------------------------------------------


def _frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    [value] = [p.strip() for p in policy.split(";") if p.strip().startswith("frame-ancestors ")]
    return value.removeprefix("frame-ancestors ")


@pytest.mark.parametrize("language", ["en", "de", "da"])
def test_the_tracking_page_is_served_for_embedding(api, anonymous, tenant, language):
    path = f"/p/{tenant.slug}/tracking?language={language}"
    plain = anonymous.get(path)
    assert plain.status_code == 200, plain.body
    assert _frame_ancestors(plain) == "'none'"

    origins = ["https://shop.example.com", "https://tms.example.org:8443"]
    put = api.put("/v1/settings/embedding", {"allowed_origins": origins})
    assert put.status_code == 200, put.body
    page = anonymous.get(path)
    assert page.status_code == 200, page.body
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert _frame_ancestors(page) == " ".join(origins)
    html = page.body.decode()
    assert f'<html lang="{language}"' in html
    assert "pwk_" not in html

    # The address a session gives is the same page.
    _, _, url = _session(api, {"language": language})
    served = anonymous.get(url.removeprefix(get_settings().public_base_url).split("#")[0])
    assert served.status_code == 200
    assert served.body == page.body


def test_an_unknown_language_falls_back_and_an_unknown_tenant_is_404(anonymous, tenant):
    page = anonymous.get(f"/p/{tenant.slug}/tracking?language=../../etc")
    assert page.status_code == 200, page.body
    assert '<html lang="en"' in page.body.decode()
    missing = anonymous.get("/p/no-such-tenant-slug/tracking")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/html")
