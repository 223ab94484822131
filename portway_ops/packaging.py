"""The last step of `infra/package.sh`: complete the public function, then check that what
was packaged runs where it is going (Python 3.12 or 3.13, arm64).

Chalice renders one function for the whole app (`APIHandler`); the merge template adds
`PublicHandler` with its own role, concurrency and log group, and the REST API sends the
public routes to it (portway_ops.stack). What Chalice decides when it packages (runtime,
architecture, handler, code, sizes) is copied here, so the two never differ.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

COPIED = ("Runtime", "Architectures", "Handler", "CodeUri", "MemorySize", "Timeout")
RUNTIMES = ("python3.12", "python3.13")
ELF_MACHINE_AARCH64 = 183
_ABI_TAG = re.compile(r"\.cpython-(\d)(\d+)-([a-z0-9_]+)-linux-gnu\.so$")


def finish(template: Path) -> None:
    """Complete the public function in a packaged `sam.json`."""
    data = json.loads(template.read_text())
    resources = data["Resources"]
    source = resources["APIHandler"]["Properties"]
    target = resources["PublicHandler"]["Properties"]
    for name in COPIED:
        if name in source:
            target[name] = source[name]
    # The stage's own variables (PORTWAY_STAGE above all: without it the function would take
    # itself for a laptop's), then the stack's, as the merge gave them to the API function.
    variables = {
        **source.get("Environment", {}).get("Variables", {}),
        **target.get("Environment", {}).get("Variables", {}),
    }
    target["Environment"] = {"Variables": variables}
    template.write_text(json.dumps(data, indent=2) + "\n")


def _function_problems(resources: dict[str, Any]) -> tuple[list[str], str]:
    """What is wrong with the functions' settings, and their common runtime."""
    found: list[str] = []
    runtimes = set()
    for name, resource in sorted(resources.items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        stage = props.get("Environment", {}).get("Variables", {}).get("PORTWAY_STAGE")
        if stage in (None, "local", "test"):
            found.append(f"{name}: PORTWAY_STAGE is {stage!r}, not the stage packaged")
        runtimes.add(props.get("Runtime"))
        if props.get("Runtime") not in RUNTIMES:
            found.append(f"{name}: runtime {props.get('Runtime')}, not one of {RUNTIMES}")
        if props.get("Architectures") != ["arm64"]:
            found.append(f"{name}: architectures {props.get('Architectures')}, not arm64")
    if len(runtimes) != 1:
        found.append(f"the functions differ in runtime: {sorted(map(str, runtimes))}")
    return found, str(next(iter(runtimes), "") or "")


def _library_problems(archive: Path, version: str) -> list[str]:
    """Native libraries in the zip that are not aarch64 builds for `version`."""
    found: list[str] = []
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            if not info.filename.endswith(".so") and ".so." not in info.filename:
                continue
            head = opened.open(info).read(20)
            machine = int.from_bytes(head[18:20], "little") if head[:4] == b"\x7fELF" else None
            if machine != ELF_MACHINE_AARCH64:
                found.append(f"{info.filename}: not an aarch64 library (ELF machine {machine})")
            tag = _ABI_TAG.search(info.filename)
            if tag and f"python{tag[1]}.{tag[2]}" != version:
                found.append(f"{info.filename}: built for Python {tag[1]}.{tag[2]}, not {version}")
    return found


def problems(out: Path) -> list[str]:
    """What would keep the package from running on Lambda's arm64 Python 3.12/3.13."""
    resources = json.loads((out / "sam.json").read_text())["Resources"]
    found, version = _function_problems(resources)
    return found + _library_problems(out / "deployment.zip", version)


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    finish(folder / "sam.json")
    wrong = problems(folder)
    for line in wrong:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(1 if wrong else 0)
