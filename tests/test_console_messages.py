"""The console's texts (console/src/messages/{en,de,da}.js): every key in English, German and
Danish, no language with a text the others lack, and every key the screens ask for exists."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from tests.conftest import ROOT

SOURCES = ROOT / "console" / "src"


def _catalogues() -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    assert node is not None, "node is missing (make test installs the npm packages with it)"
    script = (
        "Promise.all(process.argv.slice(1).map(f => import(f))).then(ms => process.stdout"
        ".write(JSON.stringify(ms.map(m => m.default))))"
    )
    languages = ["en", "de", "da"]
    files = [(SOURCES / "messages" / f"{language}.js").as_uri() for language in languages]
    out = subprocess.run(
        [node, "--no-warnings", "-e", script, *files],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return dict(zip(languages, json.loads(out.stdout), strict=True))


def test_every_text_exists_in_every_language():
    catalogues = _catalogues()
    assert set(catalogues) == {"en", "de", "da"}
    english = set(catalogues["en"])
    for language, texts in catalogues.items():
        assert set(texts) == english, (language, sorted(set(texts) ^ english))
        assert all(text.strip() for text in texts.values()), language
        placeholders = {k: set(re.findall(r"\{\w+\}", v)) for k, v in texts.items()}
        for key, text in catalogues["en"].items():
            assert placeholders[key] == set(re.findall(r"\{\w+\}", text)), (language, key)


def test_the_german_and_danish_texts_are_translated():
    catalogues = _catalogues()
    same = [
        key
        for key, text in catalogues["en"].items()
        if catalogues["de"][key] == text and catalogues["da"][key] == text and len(text) > 12
    ]
    assert same == []


def test_every_key_the_screens_use_exists():
    english = set(_catalogues()["en"])
    used: set[str] = set()
    for path in SOURCES.rglob("*.js"):
        used |= set(re.findall(r"\bt\(\s*\"([a-z0-9_.]+)\"", path.read_text()))
    assert used, "no t(...) calls found: the scan is broken"
    assert sorted(used - english) == []
