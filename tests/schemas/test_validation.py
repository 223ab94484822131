"""What msgspec takes but nothing after it could keep is refused by `decode` on every schema:
times outside 0001-9999 in UTC, numbers DynamoDB cannot store, days that do not exist."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from msgspec import Meta, Struct

from chalicelib.errors import Invalid
from chalicelib.schemas.common import Date, Input, InputTimestamp
from chalicelib.schemas.validation import decode


class Point(Struct, forbid_unknown_fields=True, kw_only=True):
    x: float
    at: InputTimestamp | None = None


class Body(Input):
    size: float | None = None
    count: int | None = None
    day: Date | None = None
    points: list[Point] = msgspec.field(default_factory=list)
    by_name: dict[str, Annotated[float, Meta(ge=0)]] | None = None
    nested: Point | None = None


def _fields(data, schema=Body, **kw) -> list[str]:
    with pytest.raises(Invalid) as caught:
        decode(schema, data, **kw)
    assert all(e.message for e in caught.value.errors)
    return [e.field for e in caught.value.errors]


@pytest.mark.parametrize("number", [1e-320, 5e-324, 1e-131, -1e-200, 1e126, -1e300, 1.5e200])
def test_a_float_dynamodb_cannot_store_is_named(number):
    assert _fields({"size": number}) == ["size"]


@pytest.mark.parametrize(
    "number", [0.0, -0.0, 1e-130, -1e-130, 9.99e125, 1e125, 0.1, 123456.789, 1.7976e-100]
)
def test_a_float_dynamodb_stores_is_taken(number):
    assert decode(Body, {"size": number}).size == number


def test_integers_beyond_38_digits_or_the_range_are_named():
    assert decode(Body, {"count": 10**37}).count == 10**37
    assert decode(Body, {"count": 10**100}).count == 10**100  # one significant digit
    assert decode(Body, {"count": int("9" * 38)}).count == int("9" * 38)
    assert _fields({"count": int("1" * 39)}) == ["count"]
    assert _fields({"count": 10**126}) == ["count"]
    assert _fields({"count": -(10**126)}) == ["count"]


def test_numbers_and_times_inside_lists_dicts_and_structs_are_named_by_their_path():
    data = {
        "points": [{"x": 1.0}, {"x": 1e-300}, {"x": 2.0, "at": "0001-01-01T00:00:00+01:00"}],
        "by_name": {"ok": 1.0, "tiny": 1e-310},
        "nested": {"x": 1e130},
    }
    assert sorted(_fields(data)) == ["by_name.tiny", "nested.x", "points.1.x", "points.2.at"]


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "0000-00-00", "2025-02-29"])
def test_a_date_that_does_not_exist_is_named(day):
    assert _fields({"day": day}) == ["day"]


def test_a_real_date_is_kept_as_text():
    assert decode(Body, {"day": "2024-02-29"}).day == "2024-02-29"


def test_every_bad_field_is_named_when_another_field_fails_too():
    data = {"size": 1e-320, "day": "2026-02-30", "count": "three"}
    assert sorted(_fields(data)) == ["count", "day", "size"]


def test_query_errors_carry_the_prefix():
    class Query(Struct, kw_only=True):
        day: Date | None = None

    assert _fields({"day": "2026-02-30"}, Query, strict=False, prefix="query.") == ["query.day"]


def test_times_are_turned_into_utc_by_the_input_struct():
    class Timed(Input):
        at: InputTimestamp

    decoded = decode(Timed, {"at": "9999-12-31T09:59:59-14:00"})
    assert decoded.at.isoformat() == "9999-12-31T23:59:59+00:00"
    assert _fields({"at": "9999-12-31T23:59:59-14:00"}, Timed) == ["at"]


def test_a_date_inside_an_annotated_union_is_checked_too():
    class Wrapped(Input):
        day: Annotated[Date | None, Meta(description="A day, or nothing.")] = None

    assert decode(Wrapped, {"day": None}).day is None
    assert decode(Wrapped, {"day": "2024-02-29"}).day == "2024-02-29"
    assert _fields({"day": "2026-02-30"}, Wrapped) == ["day"]


def test_a_rule_across_fields_does_not_hide_an_unstorable_value():
    from chalicelib.schemas.assets import AssetEventCreate

    data = {"time": "2026-01-01T00:00:00Z", "lat": 1e-320}  # lat without lon, and too small
    assert sorted(_fields(data, AssetEventCreate)) == ["lat", "lon"]
