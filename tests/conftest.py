"""Shared fixtures: the two storage backends, tenants, an API client, call counting.

Every test that touches storage asks for `backend` (directly or through `api`), which
runs it twice: on moto (fast, in process) and on DynamoDB Local (AWS's emulator, the
real wire protocol and its stricter validation). Tests isolate themselves by creating
their own tenants, so one set of tables serves a whole session.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

os.environ.update(
    {
        "PORTWAY_STAGE": "test",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PORTWAY_SECRET_KEY": "test-secret-key-for-cursor-signing-only",
        "PORTWAY_BLOB_DIR": tempfile.mkdtemp(prefix="portway-blobs-"),
        # E-mails go to a folder of .eml files (SES stands in only where AWS is).
        "PORTWAY_OUTBOX_DIR": tempfile.mkdtemp(prefix="portway-outbox-"),
        # Cheap password hashing in tests only; production uses OWASP's argon2id minimum.
        "PORTWAY_ARGON2_MEMORY_KIB": "1024",
        "PORTWAY_ARGON2_TIME_COST": "1",
    }
)
os.environ.pop("AWS_PROFILE", None)

from chalice.config import Config
from chalice.local import LocalDevServer
from chalice.test import Client

from app import app
from chalicelib.services.platform import tenants
from chalicelib.settings import reset_settings
from portway_ops import dynamodb_local, streams
from portway_ops.bench import CallCounter, counting
from portway_ops.streams import events_table
from portway_ops.tables import create_tables

ROOT = Path(__file__).resolve().parent.parent


def deployed_env(stage: str = "prod", **extra: str) -> dict[str, str]:
    """The least environment a deployed stage starts with (Settings.from_env refuses less)."""
    return {
        "PORTWAY_STAGE": stage,
        "PORTWAY_PUBLIC_BASE_URL": "https://portal.example.com",
        "PORTWAY_MAIL_FROM": "Portway <no-reply@example.com>",
        "PORTWAY_SECRET_PARAMETER": f"/portway/{stage}/keys",
        **extra,
    }


def _configure(prefix: str, endpoint: str | None) -> None:
    os.environ["PORTWAY_TABLE_PREFIX"] = prefix
    if endpoint:
        os.environ["PORTWAY_DYNAMODB_ENDPOINT"] = endpoint
    else:
        os.environ.pop("PORTWAY_DYNAMODB_ENDPOINT", None)
    reset_settings()


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """A DynamoDB Local of this test session, in memory, on a free port."""
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


REGION = "eu-central-1"


@pytest.fixture(scope="module")
def moto_tables() -> Iterator[str]:
    """moto's in-process DynamoDB with every table, fresh for each test module: moto copies
    a table whole for every transaction, so its tables are kept small. (moto lets requests
    to DynamoDB Local's endpoint through, so both backends live side by side.)"""
    from moto import mock_aws

    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name="eu-central-1"), "moto-")
        yield "moto-"


@pytest.fixture(scope="session")
def dynamodb_local_tables(dynamodb_local_endpoint: str) -> str:
    """Every table on this session's DynamoDB Local."""
    client = boto3.client(
        "dynamodb", region_name="eu-central-1", endpoint_url=dynamodb_local_endpoint
    )
    create_tables(client, "ddb-")
    return "ddb-"


@pytest.fixture(scope="module", params=["moto", "dynamodb_local"])
def backend(request: pytest.FixtureRequest) -> str:
    """Tables on moto or on DynamoDB Local; the test runs once on each. DynamoDB Local stays
    up for the session, moto for the module, so moving between them costs little."""
    if request.param == "moto":
        _configure(request.getfixturevalue("moto_tables"), None)
    else:
        endpoint = request.getfixturevalue("dynamodb_local_endpoint")
        _configure(request.getfixturevalue("dynamodb_local_tables"), endpoint)
    return str(request.param)


@pytest.fixture(autouse=True)
def moto_events_kept_small(request: pytest.FixtureRequest) -> Iterator[None]:
    """moto copies every table a transaction touches, its stream included, and every change
    writes an event: a module's events table would grow with each test and make each
    transaction slower than the last (quadratic, gigabytes by the end of the suite). After
    each test on moto, its events and stream records are dropped; a test reads only its own
    (the stream's readers are made per test)."""
    on_moto = "backend" in request.fixturenames and request.getfixturevalue("backend") == "moto"
    yield
    if on_moto:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables.get(events_table())
        if table is not None:
            table.items.clear()
            if table.stream_shard is not None:
                table.stream_shard.items.clear()
        dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators.clear()


@pytest.fixture
def events_stream(backend: str) -> streams.Consumers:
    """The events table's stream from this moment on, on the test's backend (moto's stream
    or DynamoDB Local's): `events_stream.drain()` hands every event recorded since to the
    consumers (page publishing), as their event sources do in AWS, with their filters,
    retries and parking of what keeps failing (`runner(name).parked`), without waiting
    between retries. A test that looks at what a change's consumers did drains first;
    `skip_to_end()` forgets what was recorded so far (a test's own setup)."""
    consumers = streams.Consumers.of(backoff=(0.0, 0.0), fresh_iterators=backend == "moto")
    consumers.skip_to_end()
    return consumers


@dataclass
class Tenant:
    id: str
    public_id: str
    slug: str
    key: str


def make_tenant(name: str = "Test Rental") -> Tenant:
    created = tenants.create_tenant(name)
    t = created.tenant
    return Tenant(t.id, t.public_id, t.slug, created.api_key)


@pytest.fixture
def tenant(backend: str, events_stream: streams.Consumers) -> Tenant:
    # After the stream's start: its pages are published by the first drain.
    return make_tenant("Tenant A")


@pytest.fixture
def other_tenant(backend: str, events_stream: streams.Consumers) -> Tenant:
    return make_tenant("Tenant B")


class Api:
    """Chalice's test client with JSON and an API key filled in.

    With the test's `events_stream`, a hosted page (`/p/...`) is read as a person reads it
    while `make run` serves: after the page consumer has handled every change made so far
    (the stream is drained first). Everything else is answered from what the request finds.
    """

    def __init__(
        self,
        client: Client,
        key: str | None,
        stream: streams.Consumers | None = None,
        *,
        settle_writes: bool = False,
    ) -> None:
        self.client = client
        self.key = key
        self.stream = stream
        # Browser tests: a change's pages are published before its answer is returned, so
        # a page opened next shows it.
        self.settle_writes = settle_writes

    def as_key(self, key: str | None) -> Api:
        return Api(self.client, key, self.stream, settle_writes=self.settle_writes)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if self.stream is not None and method in ("GET", "HEAD") and path.startswith("/p/"):
            self.stream.drain()
        all_headers = {"Content-Type": "application/json"}
        if self.key:
            all_headers["Authorization"] = f"Bearer {self.key}"
        all_headers.update(headers or {})
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.client.http.request(method, path, headers=all_headers, body=data)
        if self.settle_writes and self.stream is not None and method not in ("GET", "HEAD"):
            self.stream.drain()
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session")
def local_server() -> Iterator[str]:
    """The app behind the same HTTP server `chalice local` uses, on a free port."""
    port = dynamodb_local.free_port()
    server = LocalDevServer(app, Config.create(), "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A real headless Chromium (Debian's), driven by Playwright. Missing is a failure."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-sync",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield chromium
        chromium.close()


ARTIFACTS = ROOT / "test-artifacts"


def screenshot(page: Any, name: str) -> Path:
    """Save what the page shows where a person can look at it (test-artifacts/, ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def chalice_client() -> Iterator[Client]:
    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        yield client


@pytest.fixture
def api(chalice_client: Client, tenant: Tenant, events_stream: streams.Consumers) -> Api:
    """The API as tenant A's first (admin) key."""
    return Api(chalice_client, tenant.key, events_stream)


@pytest.fixture
def other_api(
    chalice_client: Client, other_tenant: Tenant, events_stream: streams.Consumers
) -> Api:
    """The API as tenant B."""
    return Api(chalice_client, other_tenant.key, events_stream)


@pytest.fixture
def anonymous(chalice_client: Client, request: pytest.FixtureRequest) -> Api:
    # On a backend, pages are read after the stream is drained (see `Api`).
    on_backend = "backend" in request.fixturenames
    return Api(
        chalice_client, None, request.getfixturevalue("events_stream") if on_backend else None
    )


@pytest.fixture(autouse=True)
def source_address(monkeypatch: pytest.MonkeyPatch) -> str:
    """An address of each test's own for every request through Chalice's test client and
    local server (which otherwise send all from 127.0.0.1): rate limits count per address,
    and other tests' counts must not reach this one, whatever order the tests run in."""
    from chalice.local import LambdaEventConverter

    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return address


@pytest.fixture
def ddb_calls(backend: str) -> Iterator[CallCounter]:
    """DynamoDB operations the test sends, by name (the bench's counter)."""
    with counting() as counter:
        yield counter


def problem(response: Any) -> dict[str, Any]:
    """The problem+json body of an error answer (asserting its content type)."""
    assert response.headers["Content-Type"] == "application/problem+json", response.body
    body: dict[str, Any] = json.loads(response.body)
    assert body["status"] == response.status_code
    return body


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the `portway` logger (Powertools, JSON lines) writes while the test runs."""
    from chalicelib import observability

    handler = observability.logger.registered_handler
    stream = io.StringIO()
    before = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(before)
