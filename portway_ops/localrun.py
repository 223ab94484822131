"""`make run`: DynamoDB Local with data on disk, tables, the demo tenant, `chalice local`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from chalicelib.settings import get_settings
from portway_ops import demo, dynamodb_local

ROOT = Path(__file__).resolve().parent.parent


def _state() -> Path:
    # Where DynamoDB Local keeps its data and the demo key lives (tests use their own).
    return Path(os.environ.get("PORTWAY_LOCAL_STATE", ROOT / ".local"))


def _ensure_dynamodb() -> subprocess.Popen[bytes] | None:
    endpoint = get_settings().dynamodb_endpoint or ""
    port = urlparse(endpoint).port or 8765
    if dynamodb_local.is_up(port):
        print(f"DynamoDB Local already answers on port {port}.")
        return None
    state = _state()
    print(f"Starting DynamoDB Local on port {port}, data in {state / 'dynamodb'} ...")
    return dynamodb_local.start(port, state / "dynamodb", state / "dynamodb.log")


def run(port: int = 8000) -> int:
    """Start everything and serve until Ctrl-C."""
    from portway_ops.cli import main as portway

    try:
        database = _ensure_dynamodb()
    except dynamodb_local.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        portway(["tables", "create"])
        tenant_id, key = demo.ensure_demo(_state() / "demo-api-key")
        base = f"http://localhost:{port}"
        demo.refresh_pages(tenant_id)  # the page templates may have changed since last run
        urls = demo.page_urls(tenant_id, base)
        page_lines = "".join(f"  Hosted page:    {url}\n" for url in urls)
        print(
            f"\nPortway runs at {base}\n"
            f"  API reference:  {base}/docs\n"
            f"  OpenAPI:        {base}/v1/openapi.json\n"
            f"  Demo tenant:    {tenant_id} (slug {demo.DEMO_SLUG})\n"
            f"  Demo API key:   {key}\n"
            f"{page_lines}\n"
            f"  curl -H 'Authorization: Bearer {key}' {base}/v1/customers\n\n"
            f"Stop with Ctrl-C; the data stays in {_state() / 'dynamodb'} for the next run.\n",
            flush=True,
        )
        chalice = Path(sys.executable).parent / "chalice"
        env = {**os.environ, "PORTWAY_PUBLIC_BASE_URL": base}
        return subprocess.call(
            [str(chalice), "local", "--stage", "local", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        if database is not None:
            database.terminate()
            database.wait(timeout=20)
