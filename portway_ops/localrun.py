"""`make run`: DynamoDB Local with data on disk, tables, the demo tenant, the local server,
and beside it the consumers of the events stream (page publishing), as Lambda runs them in
AWS (`portway_ops.streams`).

Every piece of data (DynamoDB Local's files, the page store and other blobs, the outbox)
lives in the state folder (`.local/` unless PORTWAY_LOCAL_STATE says otherwise), and the
server reloads on code only (see `portway_ops.devserver`): a write never restarts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from chalicelib.settings import get_settings, reset_settings
from portway_ops import demo, devserver, dynamodb_local, streams

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def _state() -> Path:
    # Where DynamoDB Local keeps its data and the demo key lives (tests use their own).
    return Path(os.environ.get("PORTWAY_LOCAL_STATE", ROOT / ".local")).resolve()


def _use_local_folders(base: str) -> list[Path]:
    """Point blobs (the page store too) and the outbox into the state folder, unless the
    shell says otherwise, as absolute paths; returns every data folder."""
    state = _state()
    os.environ.setdefault("PORTWAY_BLOB_DIR", str(state / "blobs"))
    os.environ.setdefault("PORTWAY_OUTBOX_DIR", str(state / "outbox"))
    # The server's stage environment does not name it; pages and links must use this port.
    os.environ["PORTWAY_PUBLIC_BASE_URL"] = base
    reset_settings()
    settings = get_settings()
    return [state, Path(settings.blob_dir).resolve(), Path(settings.outbox_dir).resolve()]


def _ensure_dynamodb() -> subprocess.Popen[bytes] | None:
    endpoint = get_settings().dynamodb_endpoint or ""
    port = urlparse(endpoint).port or 8765
    if dynamodb_local.is_up(port):
        print(f"DynamoDB Local already answers on port {port}.")
        return None
    state = _state()
    print(f"Starting DynamoDB Local on port {port}, data in {state / 'dynamodb'} ...")
    return dynamodb_local.start(port, state / "dynamodb", state / "dynamodb.log")


def _reload() -> bool:
    # PORTWAY_LOCAL_RELOAD=0 serves without watching the code at all.
    return os.environ.get("PORTWAY_LOCAL_RELOAD", "1").lower() not in {"0", "false", "no"}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(port: int = 8000) -> int:
    """Start everything and serve until Ctrl-C (or SIGTERM): either stops what it started,
    DynamoDB Local included, at any moment."""
    from portway_ops.cli import main as portway

    signal.signal(signal.SIGTERM, _interrupt)  # the server later takes it over for itself

    base = f"http://localhost:{port}"
    data_folders = _use_local_folders(base)
    try:
        database = _ensure_dynamodb()
    except dynamodb_local.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stop_consumers = threading.Event()
    consumers: threading.Thread | None = None
    try:
        portway(["tables", "create"])
        # From the stream's checkpoint (its beginning the first time): no event is missed,
        # the demo's own included.
        consumers = threading.Thread(
            target=streams.supervise,
            args=(stop_consumers, _state() / "streams"),
            kwargs={"reload": _reload()},
            name="consumers",
            daemon=True,
        )
        consumers.start()
        tenant_id, key = demo.ensure_demo(_state() / "demo-api-key")
        person, password = demo.ensure_demo_person(tenant_id)
        demo.refresh_pages(tenant_id)  # the page templates may have changed since last run
        urls = demo.page_urls(tenant_id, base)
        page_lines = "".join(f"  Hosted page:    {url}\n" for url in urls)
        print(
            f"\nPortway runs at {base}\n"
            f"  API reference:  {base}/docs\n"
            f"  OpenAPI:        {base}/v1/openapi.json\n"
            f"  Demo tenant:    {tenant_id} (slug {demo.DEMO_SLUG})\n"
            f"  Console:        {base}/console\n"
            f"    sign in with  team {demo.DEMO_SLUG}, {person}, password '{password}'\n"
            f"  Demo API key:   {key}\n"
            f"{page_lines}\n"
            f"  curl -H 'Authorization: Bearer {key}' {base}/v1/customers\n\n"
            f"Stop with Ctrl-C; the data stays in {_state()} for the next run.\n",
            flush=True,
        )
        return devserver.serve(
            HOST, port, stage="local", project_dir=ROOT, reload=_reload(), ignore=data_folders
        )
    except KeyboardInterrupt:
        return 0
    finally:
        stop_consumers.set()
        if consumers is not None:
            consumers.join(timeout=40)
        if database is not None:
            database.terminate()
            database.wait(timeout=20)
