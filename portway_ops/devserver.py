"""The local server of `make run`: Chalice's local API Gateway, served without losing requests.

`chalice local` restarts itself whenever any file under the project folder changes (so every
write to DynamoDB Local's data, the page store or the outbox restarted it, and requests in
flight were refused or reset) and listens with socketserver's backlog of 5. This server:

- loads the app as `chalice local --stage local` does: `.chalice/config.json`, the stage's
  environment variables over the shell's, Chalice's own local gateway and request handler;
- holds one listening socket (backlog `LISTEN_BACKLOG`) in a supervising process for its whole
  life; a worker process runs the app and serves from that socket, so a connection that
  arrives while a worker starts waits in the backlog instead of being refused;
- reloads on code only (`app.py`, `chalicelib/`, `.chalice/config.json`): a new worker starts
  beside the old one and takes over once it is ready, the old one finishes what it holds.
  Code that fails to import leaves the old worker serving. Data never restarts anything;
- keeps secrets out of its request log: the query string of `/sso/` URLs and every parameter
  named like a token, key, password or secret are redacted.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from http.server import HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler

ROOT = Path(__file__).resolve().parent.parent
# Far above socketserver's 5: a burst of clients waits instead of being reset. The kernel
# caps it at net.core.somaxconn (4096 on current Linux).
LISTEN_BACKLOG = 1024
# How long a stopping worker waits for the requests it already accepted.
DRAIN_SECONDS = 10.0
# How long a worker may take to import the app.
START_SECONDS = 120.0
POLL_SECONDS = 1.0

_NAME = r"[^=&\s\"'#]*"
_SECRET_PARAM = re.compile(
    rf"(?i)([?&]{_NAME}(?:token|jwt|secret|password|passwd|key|session|signature|code|assertion)"
    rf"{_NAME}=)[^&\s\"'#]*"
)
_SSO_QUERY = re.compile(r"(/sso/[^?\s\"']*)\?[^\s\"']*")


def redact(text: str) -> str:
    """A log line without secrets: no query string after /sso/, no value of a secret-like
    parameter (`jwt`, `token`, `refresh_token`, `api_key`, `password`, ...)."""
    text = _SSO_QUERY.sub(r"\1?[redacted]", text)
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class DevHTTPServer(ThreadingMixIn, HTTPServer):
    """A thread per connection on a socket it was given, counting requests in progress so
    that it can stop without dropping any."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, listener: socket.socket, handler: Any) -> None:
        super().__init__(listener.getsockname()[:2], handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_name, self.server_port = listener.getsockname()[:2]
        self.stopping = False
        self._busy = 0
        self._idle = threading.Condition()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count the accepted connection as busy until its first request is answered."""
        self.begin()
        super().process_request(request, client_address)

    def begin(self) -> None:
        """A request (or a connection that will carry one) started."""
        with self._idle:
            self._busy += 1

    def done(self) -> None:
        """A request was answered (or its connection closed)."""
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def drain(self, seconds: float) -> bool:
        """Wait until every accepted request is answered; False if that took too long."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy <= 0, timeout=seconds)


class RequestHandler(ChaliceRequestHandler):
    """Chalice's handler, with a log that keeps secrets out and a count of what it holds."""

    _counted = True  # the server counted the connection when it accepted it

    def _server(self) -> DevHTTPServer:
        assert isinstance(self.server, DevHTTPServer)
        return self.server

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            self._server().done()

    def parse_request(self) -> bool:
        """A further request on a kept-alive connection counts as busy too."""
        if not self._counted:
            self._counted = True
            self._server().begin()
        parsed: bool = super().parse_request()
        return parsed

    def handle_one_request(self) -> None:
        """Answer one request; a stopping server closes the connection after it."""
        try:
            super().handle_one_request()
        finally:
            self._release()

    def end_headers(self) -> None:
        """Tell a kept-alive client to reconnect when this worker is being replaced."""
        if self._server().stopping:
            self.send_header("Connection", "close")
        super().end_headers()

    def finish(self) -> None:
        """Release a connection that closed before it sent a request."""
        self._release()
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """The request log of `http.server`, redacted."""
        # http.server's own escaping of control characters (a private table, 3.11.4+).
        message = redact(format % args).translate(getattr(self, "_control_char_table", {}))
        sys.stderr.write(f"{self.address_string()} - - [{self.log_date_time_string()}] {message}\n")


def listen(host: str, port: int) -> socket.socket:
    """The listening socket every worker serves from."""
    listener = socket.create_server((host, port), backlog=LISTEN_BACKLOG)
    listener.set_inheritable(True)
    return listener


def load_app(project_dir: Path, stage: str) -> tuple[Chalice, Config]:
    """The app and its config, loaded as `chalice local --stage <stage>` loads them."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes
    from chalice.local import CustomLocalChalice, LocalChalice

    os.chdir(project_dir)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    # The stage's variables overwrite the shell's, as with `chalice local`.
    config = CLIFactory(str(project_dir), environ=os.environ).create_config_obj(
        chalice_stage_name=stage
    )
    app = config.chalice_app
    validate_routes(app.routes)
    # What chalice.local.create_local_server does: `current_request` becomes per thread.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return app, config


def run_worker(listener_fd: int, ready_fd: int, project_dir: Path, stage: str) -> int:
    """Serve the app from an inherited socket until SIGTERM or SIGINT, then drain."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    listener = socket.socket(fileno=listener_fd)
    # Two workers share the socket while one replaces the other: a worker must never block
    # in accept() for a connection the other one took.
    listener.setblocking(False)
    app, config = load_app(project_dir, stage)
    handler = functools.partial(RequestHandler, app_object=app, config=config)
    server = DevHTTPServer(listener, handler)
    serving = threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True)
    serving.start()
    os.write(ready_fd, b"ready\n")
    os.close(ready_fd)
    # A signal may land in any thread, and then does not wake a main thread that waits
    # without a timeout: wake up now and then so that the handler runs. A worker whose
    # supervisor is gone (killed) stops too, rather than hold the port.
    parent = os.getppid()
    while not stop.wait(timeout=0.2) and os.getppid() == parent:
        pass
    server.stopping = True
    server.shutdown()  # accepts nothing more; the next worker or the backlog takes over
    server.drain(DRAIN_SECONDS)
    return 0


def code_snapshot(project_dir: Path, ignore: Iterable[Path] = ()) -> dict[Path, int]:
    """Modification times of what a code reload follows: app.py, chalicelib/, the config."""
    ignored = [path.resolve() for path in ignore]
    files = [project_dir / "app.py", project_dir / ".chalice" / "config.json"]
    chalicelib = project_dir / "chalicelib"
    if chalicelib.is_dir():
        files += [
            path
            for path in chalicelib.rglob("*")
            if "__pycache__" not in path.parts
            and not path.name.startswith(".")
            and not path.name.endswith("~")
        ]
    snapshot: dict[Path, int] = {}
    for path in files:
        if any(path.resolve().is_relative_to(folder) for folder in ignored):
            continue
        try:
            if path.is_file():
                snapshot[path] = path.stat().st_mtime_ns
        except OSError:
            continue  # removed while we looked
    return snapshot


def changed(before: dict[Path, int], after: dict[Path, int]) -> list[Path]:
    """The files added, removed or modified between two snapshots."""
    paths = before.keys() | after.keys()
    return sorted(path for path in paths if before.get(path) != after.get(path))


def _say(text: str) -> None:
    print(text, flush=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Let a worker answer what it accepted, then end it (at once on a second Ctrl-C)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=DRAIN_SECONDS + 5)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        process.wait()


def _wait_ready(read_fd: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        readable, _, _ = select.select([read_fd], [], [], 0.5)
        if readable:
            return os.read(read_fd, 16).startswith(b"ready")
        if process.poll() is not None:
            return False
    return False


class Supervisor:
    """Starts workers on one listening socket, replaces them when the code changes."""

    def __init__(
        self, listener: socket.socket, project_dir: Path, stage: str, ignore: Sequence[Path]
    ) -> None:
        self.listener = listener
        self.project_dir = project_dir
        self.stage = stage
        self.ignore = ignore
        self.worker: subprocess.Popen[bytes] | None = None

    def spawn(self) -> subprocess.Popen[bytes] | None:
        """A new worker that is ready to serve, or None if it could not load the app."""
        read_fd, write_fd = os.pipe()
        fd = self.listener.fileno()
        command = [
            sys.executable,
            "-m",
            "portway_ops.devserver",
            f"--worker-fd={fd}",
            f"--ready-fd={write_fd}",
            f"--project-dir={self.project_dir}",
            f"--stage={self.stage}",
        ]
        process = subprocess.Popen(command, pass_fds=(fd, write_fd), cwd=self.project_dir)
        os.close(write_fd)
        try:
            ready = _wait_ready(read_fd, process)
        except BaseException:  # Ctrl-C while it loads: it must not outlive us
            process.kill()
            process.wait()
            raise
        finally:
            os.close(read_fd)
        if not ready:
            _stop(process)
            return None
        return process

    def replace(self, reason: str) -> None:
        """Start a worker with the current code; the old one stops once the new one serves."""
        _say(f"{reason}: loading the app again ...")
        fresh = self.spawn()
        if fresh is None:
            still = "the previous code still serves" if self.worker else "nothing serves"
            _say(f"The app did not load (see above); {still}. Fix it and save again.")
            return
        old, self.worker = self.worker, fresh
        if old is not None:
            _stop(old)
        _say("Reloaded.")

    def watch(self, reload: bool) -> None:
        """Until interrupted: restart a worker that died, reload when code changes."""
        snapshot = code_snapshot(self.project_dir, self.ignore) if reload else {}
        while True:
            time.sleep(POLL_SECONDS)
            if self.worker is not None and self.worker.poll() is not None:
                code, self.worker = self.worker.returncode, None
                self.replace(f"The server process ended (exit code {code})")
            if not reload:
                continue
            latest = code_snapshot(self.project_dir, self.ignore)
            files = changed(snapshot, latest)
            if files:
                time.sleep(0.3)  # an editor or a checkout often writes several files
                snapshot = code_snapshot(self.project_dir, self.ignore)
                self.replace(f"Code changed ({_names(files, self.project_dir)})")

    def stop(self) -> None:
        """Stop the worker, letting it answer what it accepted."""
        if self.worker is not None:
            _stop(self.worker)
            self.worker = None


def _names(files: list[Path], project_dir: Path) -> str:
    shown = [str(path.relative_to(project_dir)) for path in files[:3]]
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return ", ".join(shown) + more


def serve(
    host: str,
    port: int,
    *,
    stage: str = "local",
    project_dir: Path = ROOT,
    reload: bool = True,
    ignore: Sequence[Path] = (),
) -> int:
    """Serve the app until Ctrl-C; with `reload`, load it again when its code changes.
    Nothing under `ignore` (the data folders) is ever watched."""
    try:
        listener = listen(host, port)
    except OSError as error:
        _say(f"error: cannot listen on {host}:{port} ({error.strerror}); is it running already?")
        return 1
    supervisor = Supervisor(listener, project_dir, stage, ignore)
    try:
        supervisor.worker = supervisor.spawn()
        if supervisor.worker is None:
            _say("error: the app did not load (see above).")
            return 1
        _say(f"Serving on http://{host}:{port}")
        if reload:
            _say("Code changes (app.py, chalicelib/, .chalice/config.json) reload the app.")
        supervisor.watch(reload)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
        listener.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m portway_ops.devserver`: serve a Chalice project (no DynamoDB, no demo)."""
    parser = argparse.ArgumentParser(prog="python -m portway_ops.devserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--no-reload", action="store_true")
    parser.add_argument("--worker-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    if args.worker_fd is not None:
        return run_worker(args.worker_fd, args.ready_fd, project_dir, args.stage)
    return serve(
        args.host, args.port, stage=args.stage, project_dir=project_dir, reload=not args.no_reload
    )


if __name__ == "__main__":
    sys.exit(main())
