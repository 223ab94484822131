"""Turning request data into schema structs, with every bad field named.

msgspec stops at the first error it meets. When a body fails, each of its fields is
checked again on its own against the field's declared type, so the answer lists every
bad, missing and unknown field at once rather than one per round trip.

Some values pass msgspec and still cannot be kept: a time whose UTC value leaves the years
0001-9999 (Python cannot hold it in UTC), a number DynamoDB cannot store (it keeps 38
significant digits, magnitudes from 1e-130 to 9.99e125, and 0), a day that does not exist.
Every decoded value is walked against its declared type for those, whatever the schema, so
no route can forget the rule.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, Union

import msgspec
from msgspec import UnsetType
from msgspec import inspect as mi

from chalicelib.errors import FieldError, Invalid
from chalicelib.schemas.common import TIME_RANGE_MESSAGE, as_utc

S = TypeVar("S")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def decode(schema: type[S], data: Any, *, strict: bool = True, prefix: str = "") -> S:
    """`data` as a `schema` struct; 422 naming every bad field otherwise."""
    try:
        value = msgspec.convert(data, schema, strict=strict)
    except msgspec.ValidationError as exc:
        errors = field_errors(schema, data, exc, strict=strict, prefix=prefix)
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors) from None
    except Invalid as exc:  # a rule across fields (`__post_init__`): name the others too
        named = {e.field for e in exc.errors}
        more = [e for e in _limits_per_field(schema, data, strict, prefix) if e.field not in named]
        errors = [*exc.errors, *more]
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors) from None
    errors = list(unstorable(value, _type_info(typing.cast(Any, schema)), prefix.rstrip(".")))
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    return value


def _split(exc: msgspec.ValidationError) -> tuple[str, str]:
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any text
    path = re.sub(r"\[(\d+)\]", r".\1", match["path"] or "").lstrip(".")
    return match["message"], path


@functools.cache
def _field_types(schema: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(schema, include_extras=True)
    return {name: _without_unset(hint) for name, hint in hints.items()}


def _without_unset(hint: Any) -> Any:
    # UnsetType marks "field left out"; a value that is present is checked without it.
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (Union, types.UnionType):
        kept = tuple(a for a in args if a is not UnsetType)
        return kept[0] if len(kept) == 1 else Union[kept]  # noqa: UP007 - built at runtime
    return hint


def field_errors(
    schema: Any, data: Any, exc: msgspec.ValidationError, *, strict: bool, prefix: str
) -> list[FieldError]:
    """One entry per unknown, missing or invalid field of `data`."""
    if not isinstance(data, dict):
        return [FieldError(prefix.rstrip(".") or "body", "expected a JSON object")]
    info = msgspec.inspect.type_info(schema)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = {f.encode_name: f for f in info.fields}
    errors = []
    if info.forbid_unknown_fields:
        errors += [FieldError(prefix + str(k), "unknown field") for k in data if k not in fields]
    declared = _field_types(schema)
    for name, field in fields.items():
        if name not in data:
            if field.required:
                errors.append(FieldError(prefix + name, "required"))
            continue
        try:
            value = msgspec.convert(data[name], declared[field.name], strict=strict)
        except msgspec.ValidationError as field_exc:
            message, sub_path = _split(field_exc)
            errors.append(FieldError(prefix + ".".join(filter(None, (name, sub_path))), message))
        else:
            errors += unstorable(value, field.type, prefix + name)
    if not errors:  # a rule across fields; msgspec's own message says which
        message, path = _split(exc)
        errors.append(FieldError(prefix + (path or "body"), message))
    return errors


def _limits_per_field(schema: Any, data: Any, strict: bool, prefix: str) -> list[FieldError]:
    """`unstorable` of every field of `data` that decodes on its own."""
    info = _type_info(schema)
    if not isinstance(data, dict) or not isinstance(info, mi.StructType):
        return []
    declared = _field_types(schema)
    errors: list[FieldError] = []
    for field in info.fields:
        if field.encode_name not in data:
            continue
        try:
            value = msgspec.convert(data[field.encode_name], declared[field.name], strict=strict)
        except msgspec.ValidationError:
            continue
        errors += unstorable(value, field.type, prefix + field.encode_name)
    return errors


# -- values msgspec takes but nothing after it can keep ----------------------------------------

# What DynamoDB stores of a number: 38 significant digits, 0, or a magnitude in this range.
MIN_NUMBER = Decimal("1e-130")
MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999e125")
NUMBER_DIGITS = 38
_NUMBER_MESSAGE = "cannot be stored: give 0 or a number from 1e-130 to 9.99e125 in magnitude"
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)


@functools.cache
def _type_info(schema: Any) -> mi.Type:
    return mi.type_info(schema)


def unstorable(value: Any, info: mi.Type, path: str) -> Iterator[FieldError]:
    """Errors for the parts of a decoded `value` (of declared type `info`) that cannot be
    kept: times outside 0001-9999 in UTC, numbers DynamoDB refuses, days that do not exist."""
    while isinstance(info, (mi.UnionType, mi.Metadata)):
        if isinstance(info, mi.Metadata):
            schema_format = (info.extra_json_schema or {}).get("format")
            if schema_format == "date" and isinstance(value, str) and not _is_day(value):
                yield FieldError(path or "body", "is not a real date (YYYY-MM-DD)")
            info = info.type
        else:
            member = _member(value, info.types)
            if member is None:  # None, or a value checked by itself below
                break
            info = member
    message = _leaf_problem(value)
    if message:
        yield FieldError(path or "body", message)
    for part, part_info, part_path in _parts(value, info, path):
        yield from unstorable(part, part_info, part_path)


def _parts(value: Any, info: mi.Type, path: str) -> Iterator[tuple[Any, mi.Type, str]]:
    """The fields, items or entries of a struct, sequence or mapping, with their types."""
    if isinstance(info, mi.StructType) and isinstance(value, msgspec.Struct):
        for field in info.fields:
            yield getattr(value, field.name), field.type, _at(path, field)
    elif isinstance(info, _SEQUENCES) and isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield item, info.item_type, _at(path, index)
    elif isinstance(info, mi.DictType) and isinstance(value, dict):
        for key, item in value.items():
            yield item, info.value_type, _at(path, key)


def _leaf_problem(value: Any) -> str | None:
    if isinstance(value, datetime):
        return TIME_RANGE_MESSAGE if as_utc(value) is None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_problem(value)
    return None


def _at(path: str, part: Any) -> str:
    name = part.encode_name if isinstance(part, mi.Field) else str(part)
    return f"{path}.{name}" if path else name


def _member(value: Any, members: tuple[mi.Type, ...]) -> mi.Type | None:
    """The member of a union that `value` was decoded as, where its parts or its format
    matter (numbers and times are checked by their value alone)."""
    for member in members:
        base = member.type if isinstance(member, mi.Metadata) else member
        if isinstance(base, mi.StructType):
            found = type(value) is base.cls
        elif isinstance(base, _SEQUENCES):
            found = isinstance(value, (list, tuple, set, frozenset))
        elif isinstance(base, mi.DictType):
            found = isinstance(value, dict)
        else:
            found = isinstance(base, mi.StrType) and isinstance(value, str)
        if found:
            return member
    return None


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _number_problem(value: int | float) -> str | None:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number.is_zero():
        return None
    # Exact operations only: abs() and normalize() would round to the context's 28 digits.
    if not MIN_NUMBER <= number.copy_abs() <= MAX_NUMBER:
        return _NUMBER_MESSAGE
    if len("".join(map(str, number.as_tuple().digits)).strip("0")) > NUMBER_DIGITS:
        return f"cannot be stored: give at most {NUMBER_DIGITS} significant digits"
    return None
