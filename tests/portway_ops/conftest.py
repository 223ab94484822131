"""Markers of the `portway_ops` tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "load: starts the real `make run` entry point and loads it with concurrent clients "
        "(about a minute; deselect with -m 'not load')",
    )
