"""`make run`'s path end to end: DynamoDB Local, tables, demo tenant, the local server."""

from __future__ import annotations

import json
import os
import re
import urllib.request

from portway_ops.dynamodb_local import free_port
from tests.portway_ops.running import local_run


def _get(url: str, key: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def _console_sign_in(banner: str, port: int) -> str:
    """Sign in as the demo person the banner names; their access token."""
    found = re.search(r"sign in with\s+team (\S+), (\S+), password '([^']+)'", banner)
    assert found is not None, banner
    slug, email, password = found.groups()
    status, session = _post(
        f"http://127.0.0.1:{port}/v1/team/sessions",
        {"tenant": slug, "email": email, "password": password},
    )
    assert status == 200
    return str(session["access_token"])


def test_local_run_serves_the_seeded_demo_and_keeps_it(tmp_path):
    ddb_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PORTWAY_STAGE": "local",
        "PORTWAY_LOCAL_STATE": str(tmp_path),
        "PORTWAY_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{ddb_port}",
        "PORTWAY_TABLE_PREFIX": "run-",
    }
    process = local_run(env, port)
    try:
        banner = process.wait_for("Serving on")
        key = (tmp_path / "demo-api-key").read_text().strip()
        assert f"Demo API key:   {key}" in banner
        person = _console_sign_in(banner, port)
        assert _get(f"http://127.0.0.1:{port}/v1/team/me", person)[1]["member"]["role"] == "owner"
        status, body = _get(f"http://127.0.0.1:{port}/v1/customers", key)
        assert status == 200
        assert {c["name"] for c in body["items"]} >= {"Nordbau GmbH", "Nordbau Logistik"}
        assert _get(f"http://127.0.0.1:{port}/v1/openapi.json")[0] == 200
        # The banner names the signup page and a working self-service link.
        signup = re.search(r"(http://\S+/p/demo/signup/var_\w+)", banner)
        assert signup is not None, banner
        with urllib.request.urlopen(signup.group(1), timeout=10) as page:
            assert page.status == 200
            assert "Fleet Tracking" in page.read().decode()
        link = re.search(r"/p/demo/self-service\?language=de#token=(pws_\S+)", banner)
        assert link is not None, banner
        status, view = _get(f"http://127.0.0.1:{port}/v1/self-service/contract", link.group(1))
        assert status == 200
        assert view["contract"]["plan_name"] == "Fleet Tracking"
        assert [d["number"] for d in view["documents"]] == ["2026-0001"]
    finally:
        stopped = process.stop()
    assert stopped == 0  # Ctrl-C ends it cleanly
    assert (tmp_path / "dynamodb" / "shared-local-instance.db").exists()

    again = local_run(env, port)  # stopping and starting keeps the data and the key
    try:
        banner = again.wait_for("Serving on")
        assert (tmp_path / "demo-api-key").read_text().strip() == key
        _console_sign_in(banner, port)
        status, body = _get(f"http://127.0.0.1:{port}/v1/customers", key)
        assert status == 200
        assert len(body["items"]) == 3  # seeded once, not again
    finally:
        stopped = again.stop()
    assert stopped == 0
