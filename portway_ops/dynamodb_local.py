"""DynamoDB Local: AWS's own emulator (a Java program), fetched once and started here.

It ships inside the npm package `amplify-dynamodb-simulator` (folder `emulator/`);
`npm pack` fetches the package without its dependencies. It is unpacked under
`.cache/dynamodb-local/`, which git ignores, so the second run installs nothing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_DIR = ROOT / ".cache" / "dynamodb-local"
NPM_PACKAGE = "amplify-dynamodb-simulator@2.9.30"
JAR = "DynamoDBLocal.jar"


class SetupError(RuntimeError):
    """Something the machine lacks, with what to do about it."""


def require_java() -> str:
    """The java executable, or a clear instruction to install one."""
    java = shutil.which("java")
    if java is None:
        raise SetupError(
            "DynamoDB Local needs Java 17 or newer. Install it, for example:\n"
            "  sudo apt-get install -y openjdk-17-jre-headless   (Debian/Ubuntu)\n"
            "  brew install openjdk@17                           (macOS)"
        )
    return java


def install(target: Path = INSTALL_DIR) -> Path:
    """Fetch and unpack DynamoDB Local unless it is there already; returns its folder."""
    if (target / JAR).exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("Fetching DynamoDB Local needs npm (Node.js). Install nodejs and npm.")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent", "--pack-destination", tmp],
            check=True,
            capture_output=True,
        )
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/emulator/")]
            tar.extractall(tmp, members=members, filter="data")
        staging = target.with_suffix(".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.move(str(Path(tmp) / "package" / "emulator"), staging)
        staging.rename(target)
    return target


def main() -> int:
    """`python -m portway_ops.dynamodb_local`: install it, or say what the machine lacks."""
    try:
        require_java()
        print(f"DynamoDB Local is in {install()}")
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def is_up(port: int) -> bool:
    """True when something answers DynamoDB's protocol on the port."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/eu-central-1/"
            "dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(
    port: int, data_dir: Path | None = None, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start DynamoDB Local on the port (in memory, or with its data in `data_dir`)."""
    java = require_java()
    home = install()
    storage = ["-inMemory"] if data_dir is None else ["-dbPath", str(data_dir)]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            java,
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / JAR),
            "-sharedDb",
            "-disableTelemetry",  # it would otherwise try to reach AWS from every start
            *storage,
            "-port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not is_up(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SetupError(f"DynamoDB Local did not start on port {port} (see {log_path}).")
        time.sleep(0.2)
    return process


if __name__ == "__main__":
    sys.exit(main())
