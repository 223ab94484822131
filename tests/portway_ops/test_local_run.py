"""`make run`'s path end to end: DynamoDB Local, tables, demo tenant, `chalice local`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portway_ops.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
PORTWAY = str(Path(sys.executable).parent / "portway")


def _get(url: str, key: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def _wait_for(process: subprocess.Popen, text: str, seconds: float = 90) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen:
        assert process.poll() is None, seen
        assert time.monotonic() < deadline, seen
        line = process.stdout.readline()
        seen += line
    return seen


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [PORTWAY, "local", "run", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_local_run_serves_the_seeded_demo_and_keeps_it(tmp_path):
    ddb_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PORTWAY_STAGE": "local",
        "PORTWAY_LOCAL_STATE": str(tmp_path),
        "PORTWAY_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{ddb_port}",
        "PORTWAY_TABLE_PREFIX": "run-",
    }
    process = _start(env, port)
    try:
        banner = _wait_for(process, "Serving on")
        key = (tmp_path / "demo-api-key").read_text().strip()
        assert f"Demo API key:   {key}" in banner
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
        _stop(process)
    assert (tmp_path / "dynamodb" / "shared-local-instance.db").exists()

    again = _start(env, port)  # stopping and starting keeps the data and the key
    try:
        _wait_for(again, "Serving on")
        assert (tmp_path / "demo-api-key").read_text().strip() == key
        status, body = _get(f"http://127.0.0.1:{port}/v1/customers", key)
        assert status == 200
        assert len(body["items"]) == 3  # seeded once, not again
    finally:
        _stop(again)
