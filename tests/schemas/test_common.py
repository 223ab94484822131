"""Shared schema pieces: input times in UTC, within the years 0001-9999."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.errors import Invalid
from chalicelib.schemas.common import parse_input_time


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00+02:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("9999-12-31T09:59:59-14:00", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("0001-01-01T14:00:00+14:00", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_input_time_is_its_utc_value(text, utc):
    parsed = parse_input_time("query.start", text)
    assert parsed == utc
    assert parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T10:00:00-14:00"]
)
def test_input_time_whose_utc_value_leaves_0001_to_9999_is_422_on_its_field(text):
    with pytest.raises(Invalid) as caught:
        parse_input_time("query.end", text)
    assert [e.field for e in caught.value.errors] == ["query.end"]
    assert "0001" in caught.value.errors[0].message


@pytest.mark.parametrize(
    "text", ["2026-03-01T10:00:00", "2026-02-30T10:00:00Z", "yesterday", "", "2026-03-01"]
)
def test_input_time_without_offset_or_not_a_time_is_422_on_its_field(text):
    with pytest.raises(Invalid) as caught:
        parse_input_time("query.start", text)
    assert [e.field for e in caught.value.errors] == ["query.start"]
