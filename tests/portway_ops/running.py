"""A server as a subprocess of a test (`portway local run`, what `make run` calls, or the
bare dev server), its output kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PORTWAY = str(Path(sys.executable).parent / "portway")


class Running:
    """A running command; a thread reads its output all along (a full pipe would block
    the server's request log, and with it the server)."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        """Everything it printed so far."""
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, text: str, seconds: float = 90) -> str:
        """Its output up to the first line holding `text`; fails if it exits or takes long."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                seen = "".join(self._lines)
                if text in seen:
                    return seen
                assert self.process.poll() is None, seen
                assert time.monotonic() < deadline, seen
                self._changed.wait(timeout=0.5)

    def stop(self) -> int:
        """Ctrl-C, as a person would press it; its exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        self._reader.join(timeout=10)
        return code


def local_run(env: dict[str, str], port: int) -> Running:
    """`portway local run --port <port>`, as `make run` starts it."""
    return Running([PORTWAY, "local", "run", "--port", str(port)], env)
