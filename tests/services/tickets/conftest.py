"""A desk with one customer whose portal has the support app, for the ticket services'
tests (set up over the API, like a provider would)."""

from __future__ import annotations

import pytest

from tests.handlers.test_tickets import Desk


@pytest.fixture
def desk(api) -> Desk:
    return Desk(api)
