"""A versioned edit and its domain event, written in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pynamodb.models import Model

from chalicelib.errors import Conflict
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.platform.versioning import change_actions

M = TypeVar("M", bound=Model)


def apply_recorded(
    item: M, changes: dict[str, Any], now: datetime, record: Callable[[Transaction], object]
) -> M:
    """Set (or, for None, remove) attributes, conditioned on the version read, with the
    event `record` adds to the same transaction; 409 when the item moved on meanwhile."""
    actions = change_actions(type(item), changes, now)
    try:
        with Transaction() as tx:
            tx.update(item, actions, label="item")  # PynamoDB adds `version = <read>`
            record(tx)
    except ConditionsFailed:
        raise Conflict(
            "The item was changed by someone else; read it again and reapply your change.",
            extra={"current_version": int(getattr(item, "version", 0) or 0)},
        ) from None
    # A transaction answers no item: apply what was written (the version is bumped already),
    # then round-trip so nested attributes read as they would from the table.
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = now  # type: ignore[attr-defined]
    item.deserialize(item.serialize())
    return item
