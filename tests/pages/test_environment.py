"""The page environment: languages, catalogues, escaping."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from chalicelib.pages.environment import LANGUAGES, environment, pick_language

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS = ROOT / "chalicelib" / "translations"


@pytest.mark.parametrize(
    ("requested", "tenant_default", "expected"),
    [
        ("de", "en", "de"),
        ("da", "de", "da"),
        (None, "da", "da"),
        ("xx", "de", "de"),
        ("../../x", "da", "da"),
        ("de/../../etc/passwd", "en", "en"),
        ("xx", "yy", "en"),
        ("DE", "en", "en"),
    ],
)
def test_language_is_picked_from_the_allowlist_only(requested, tenant_default, expected):
    assert pick_language(requested, tenant_default) == expected


def _msgids(text: str) -> set[str]:
    return set(re.findall(r'^msgid "(.+)"$', text, re.MULTILINE))


def test_every_language_translates_every_string_of_the_templates(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(pot),
            "--no-location",
            "--sort-output",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = _msgids(pot.read_text())
    assert wanted, "no strings extracted from the templates"
    assert _msgids((TRANSLATIONS / "messages.pot").read_text()) == wanted, "run make i18n-update"
    for language in set(LANGUAGES) - {"en"}:
        po = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").read_text()
        assert _msgids(po) == wanted, language
        assert 'msgstr ""\n\n' not in po.split("\n\n", 1)[1] + "\n", f"untranslated in {language}"


def test_pages_render_in_german_and_danish():
    template = '{{ _("Equipment") }}'
    assert environment("de").from_string(template).render() == "Ausrüstung"
    assert environment("da").from_string(template).render() == "Udstyr"
    assert environment("en").from_string(template).render() == "Equipment"


def test_values_are_escaped_and_undefined_names_are_errors():
    env = environment("en")
    assert env.from_string("{{ v }}").render(v="</style><script>") == (
        "&lt;/style&gt;&lt;script&gt;"
    )
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
