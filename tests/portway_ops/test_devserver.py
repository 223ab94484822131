"""The local server: secrets out of its log, reloads on code only and without a lost request,
bursts answered. The server tests run a tiny Chalice project of their own."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from portway_ops import devserver
from portway_ops.dynamodb_local import free_port
from tests.portway_ops.running import Running

TINY_APP = """
import os
import time

from chalice import Chalice

app = Chalice(app_name="tiny")
VERSION = {version}


@app.route("/")
def index():
    return {{"version": VERSION, "stage": os.environ.get("TINY_STAGE")}}


@app.route("/slow")
def slow():
    time.sleep(0.3)
    return {{"version": VERSION}}
"""


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            '"GET /sso/nordbau/jwt?jwt=eyJ.eyJ.sig&return_to=%2Fp HTTP/1.1" 302 -',
            '"GET /sso/nordbau/jwt?[redacted] HTTP/1.1" 302 -',
        ),
        ("GET /sso/nordbau/jwt?return_to=/x&jwt=a.b.c", "GET /sso/nordbau/jwt?[redacted]"),
        ("GET /p/d/invite?portal=p1&token=pwi_x", "GET /p/d/invite?portal=p1&token=[redacted]"),
        ("GET /x?refresh_token=r&limit=5", "GET /x?refresh_token=[redacted]&limit=5"),
        ("GET /x?api_key=k&Password=p", "GET /x?api_key=[redacted]&Password=[redacted]"),
        ("GET /x?id_token=t&code=c", "GET /x?id_token=[redacted]&code=[redacted]"),
        ("GET /v1/customers?limit=20&cursor=abc", "GET /v1/customers?limit=20&cursor=abc"),
        ("GET /p/demo/portal?portal=p1&language=de", "GET /p/demo/portal?portal=p1&language=de"),
    ],
)
def test_log_lines_lose_their_secrets(line, shown):
    assert devserver.redact(line) == shown


def test_only_code_is_watched(tmp_path):
    (tmp_path / "chalicelib" / "__pycache__").mkdir(parents=True)
    (tmp_path / ".chalice").mkdir()
    (tmp_path / "app.py").write_text("app = None\n")
    (tmp_path / ".chalice" / "config.json").write_text("{}")
    (tmp_path / "chalicelib" / "rules.py").write_text("X = 1\n")
    data = tmp_path / "chalicelib" / "data"  # a data folder pointed into the code, even
    data.mkdir()
    before = devserver.code_snapshot(tmp_path, ignore=[data, tmp_path / ".local"])
    assert {path.name for path in before} == {"app.py", "config.json", "rules.py"}

    for folder in (tmp_path / ".local" / "blobs", tmp_path / ".venv"):
        folder.mkdir(parents=True)
        (folder / "page.html").write_text("<p>")
    (data / "page.html").write_text("<p>")
    (tmp_path / "chalicelib" / "__pycache__" / "rules.pyc").write_bytes(b"\0")
    (tmp_path / "chalicelib" / ".rules.py.swp").write_text("")
    same = devserver.code_snapshot(tmp_path, ignore=[data, tmp_path / ".local"])
    assert devserver.changed(before, same) == []

    os.utime(tmp_path / "chalicelib" / "rules.py", ns=(1, 1))
    after = devserver.code_snapshot(tmp_path, ignore=[data])
    assert devserver.changed(before, after) == [tmp_path / "chalicelib" / "rules.py"]


def test_listen_backlog_takes_bursts():
    listener = devserver.listen("127.0.0.1", 0)
    try:
        # Nobody accepts: 200 connections still complete their handshake and wait.
        port = listener.getsockname()[1]
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(200)]
        for client in clients:
            client.connect()
        for client in clients:
            client.close()
    finally:
        listener.close()


def _project(folder: Path, version: int) -> Path:
    (folder / ".chalice").mkdir(parents=True, exist_ok=True)
    config = {
        "version": "2.0",
        "app_name": "tiny",
        "stages": {"local": {"environment_variables": {"TINY_STAGE": "local"}}},
    }
    (folder / ".chalice" / "config.json").write_text(json.dumps(config))
    _write_app(folder, version)
    return folder


def _write_app(folder: Path, version: int | str) -> None:
    path = folder / "app.py"
    path.write_text(TINY_APP.format(version=version))
    stamp = time.time_ns() + 10**9 * (int(version) if str(version).isdigit() else 99)
    os.utime(path, ns=(stamp, stamp))  # a new mtime even within one clock tick


def _wait_count(server: Running, text: str, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while server.output().count(text) < count:
        assert server.process.poll() is None, server.output()[-3000:]
        assert time.monotonic() < deadline, server.output()[-3000:]
        time.sleep(0.1)


class Hammer:
    """Clients that call the server without pause, counting versions and failures."""

    def __init__(self, port: int, clients: int) -> None:
        self.port = port
        self.errors: list[str] = []
        self.versions: list[int] = []
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)
        ]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, number: int) -> None:
        path = "/slow" if number % 2 else "/"
        while not self._stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = json.loads(response.read())
                self.statuses.append(response.status)
                self.versions.append(body["version"])
            except (OSError, http.client.HTTPException, ValueError) as error:
                self.errors.append(repr(error))
            finally:
                connection.close()


def test_code_changes_reload_without_a_lost_request_and_data_changes_reload_nothing(tmp_path):
    project = _project(tmp_path / "tiny", version=1)
    port = free_port()
    command = [sys.executable, "-m", "portway_ops.devserver", f"--project-dir={project}"]
    server = Running([*command, f"--port={port}"], {**os.environ}, cwd=project)
    try:
        server.wait_for("Serving on", seconds=60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/")
        assert json.loads(connection.getresponse().read()) == {"version": 1, "stage": "local"}
        connection.close()
        with Hammer(port, clients=8) as hammer:
            data = project / ".local" / "blobs"
            data.mkdir(parents=True)
            for n in range(5):  # data written under the project folder
                (data / f"page-{n}.html").write_text("<p>")
                time.sleep(0.3)
            assert "loading the app again" not in server.output()
            _write_app(project, 2)
            _wait_count(server, "Reloaded.", 1)
            _write_app(project, "(")  # a syntax error: the running code keeps serving
            _wait_count(server, "did not load", 1)
            time.sleep(0.5)
            _write_app(project, 3)
            _wait_count(server, "Reloaded.", 2)
            time.sleep(1.0)
    finally:
        code = server.stop()
    log = server.output()
    assert hammer.errors == [], (hammer.errors[:5], log[-3000:])
    assert set(hammer.statuses) == {200}
    assert set(hammer.versions) == {1, 2, 3}, log[-3000:]
    assert hammer.versions[-1] == 3
    assert log.count("loading the app again") == 3  # v2, the broken one, v3
    assert code == 0


def test_a_killed_supervisor_leaves_no_worker_on_the_port(tmp_path):
    project = _project(tmp_path / "tiny", version=1)
    port = free_port()
    command = [sys.executable, "-m", "portway_ops.devserver", f"--project-dir={project}"]
    server = Running([*command, f"--port={port}", "--no-reload"], {**os.environ}, cwd=project)
    try:
        server.wait_for("Serving on", seconds=60)
        assert "reload the app" not in server.output()
    finally:
        server.process.kill()  # the supervisor only, as `kill -9` would
        server.process.wait()
    deadline = time.monotonic() + 30  # the worker notices within a second; a loaded CI, later
    while True:
        try:
            socket.create_server(("127.0.0.1", port)).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the worker still holds the port"
            time.sleep(0.2)
