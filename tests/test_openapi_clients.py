"""The OpenAPI document works with the tools integrators use.

It validates (openapi-spec-validator), a Python client generated from it (openapi-python-client)
passes mypy --strict with a short script that uses it and runs it, and TypeScript types
generated from it (openapi-typescript) compile with a short file that uses them (tsc). The
tools come from requirements-dev.txt and package.json (`make test` installs both); a missing
tool fails the test, it never skips. Generated code goes to a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from chalicelib import openapi

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "clients"
VENV_BIN = Path(sys.executable).parent
NODE_BIN = ROOT / "node_modules" / ".bin"
PACKAGE = "portway_client"
# Media types openapi-python-client reads as they are; any other one is a file to it.
_CLIENT_MEDIA = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _tool(path: Path) -> str:
    if not path.exists():
        pytest.fail(f"{path} is missing: `make test` installs it (pip / npm ci)")
    return str(path)


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    environment = {**os.environ, **(env or {})}
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=300, cwd=cwd, env=environment
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return output


def _media_types(doc: dict[str, Any]) -> set[str]:
    found = set()
    for item in doc["paths"].values():
        for operation in item.values():
            found |= set(operation.get("requestBody", {}).get("content", {}))
            for response in operation["responses"].values():
                found |= set(response.get("content", {}))
    return found


def _binary(media_type: str) -> bool:
    readable = media_type in _CLIENT_MEDIA or media_type.endswith("+json")
    # A CSV goes up as a file (a customer import), like an Excel workbook.
    return media_type == "text/csv" or not (readable or media_type.startswith("text/"))


@pytest.fixture(scope="module")
def document_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(openapi.document()))
    return path


def test_document_is_valid_openapi():
    validate(openapi.document())


def test_python_client_generates_whole_and_type_checks(document_file, tmp_path):
    # The client sends a PDF or an image as bytes with its own media type when told to treat
    # it as a file (octet-stream); JSON, forms and text it reads as they are.
    config = {
        "project_name_override": "portway-client",
        "package_name_override": PACKAGE,
        "post_hooks": [],
        "content_type_overrides": {
            kind: "application/octet-stream"
            for kind in _media_types(openapi.document())
            if _binary(kind)
        },
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    client = tmp_path / "client"
    generator = _tool(VENV_BIN / "openapi-python-client")
    output = _run(
        *(generator, "generate", "--path", str(document_file), "--output-path", str(client)),
        *("--config", str(tmp_path / "config.json"), "--fail-on-warning"),
    )
    assert "warning" not in output.lower(), output  # nothing left out of the client
    script = str(SCRIPTS / "use_python_client.py")
    mypy = [_tool(VENV_BIN / "mypy"), "--strict", "--config-file", "", "--python-version", "3.11"]
    _run(*mypy, "--cache-dir", str(tmp_path / "mypy"), script, env={"MYPYPATH": str(client)})
    printed = _run(sys.executable, script, env={"PYTHONPATH": str(client)}, cwd=tmp_path)
    assert printed.strip() == "true"


def test_typescript_types_generate_and_compile(document_file, tmp_path):
    generator = _tool(NODE_BIN / "openapi-typescript")
    _run(generator, str(document_file), "--output", str(tmp_path / "portway.ts"))
    shutil.copy(SCRIPTS / "use_types.ts", tmp_path)
    compiler = _tool(NODE_BIN / "tsc")
    options = ("--noEmit", "--strict", "--target", "es2022", "--module", "esnext")
    _run(compiler, *options, "--moduleResolution", "bundler", str(tmp_path / "use_types.ts"))
