"""Turning request data into schema structs, with every bad field named.

msgspec stops at the first error it meets. When a body fails, each of its fields is
checked again on its own against the field's declared type, so the answer lists every
bad, missing and unknown field at once rather than one per round trip.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from typing import Any, TypeVar, Union

import msgspec
from msgspec import UnsetType

from chalicelib.errors import FieldError, Invalid

S = TypeVar("S")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


def decode(schema: type[S], data: Any, *, strict: bool = True, prefix: str = "") -> S:
    """`data` as a `schema` struct; 422 naming every bad field otherwise."""
    try:
        return msgspec.convert(data, schema, strict=strict)
    except msgspec.ValidationError as exc:
        errors = field_errors(schema, data, exc, strict=strict, prefix=prefix)
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors) from None


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
            msgspec.convert(data[name], declared[field.name], strict=strict)
        except msgspec.ValidationError as field_exc:
            message, sub_path = _split(field_exc)
            errors.append(FieldError(prefix + ".".join(filter(None, (name, sub_path))), message))
    if not errors:  # a rule across fields; msgspec's own message says which
        message, path = _split(exc)
        errors.append(FieldError(prefix + (path or "body"), message))
    return errors
