"""Optimistic locking: every update carries the version it read; a moved-on item is 409."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.errors import Conflict
from chalicelib.services.platform.storage import ConditionsFailed, Transaction

M = TypeVar("M", bound=Model)


def _stale(current: int) -> Conflict:
    return Conflict(
        "The item was changed by someone else; read it again and reapply your change.",
        extra={"current_version": current},
    )


def check_version(item: Model, expected: int | None) -> None:
    """Refuse when the caller based its change on another version than the stored one."""
    current = int(getattr(item, "version", None) or 0)
    if expected is not None and expected != current:
        raise _stale(current)


def change_actions(model: type[Model], changes: dict[str, Any], now: datetime) -> list[Action]:
    """Update actions that set (or, for None, remove) attributes and stamp `updated_at`."""
    actions = [
        getattr(model, name).remove() if value is None else getattr(model, name).set(value)
        for name, value in changes.items()
    ]
    actions.append(model.updated_at.set(now))  # type: ignore[attr-defined]
    return actions


def update_recorded(
    item: M,
    changes: dict[str, Any],
    now: datetime,
    record: Callable[[Transaction], object],
    reload: Callable[[], Model] | None = None,
) -> M:
    """Set (or, for None, remove) attributes, conditioned on the version read, with the
    change's event (`record` adds it) in the same transaction. 409 when the item moved on
    meanwhile, with the version it is at now (read again through `reload`, if given)."""
    try:
        with Transaction() as tx:
            # PynamoDB adds `version = <read>` and bumps the version.
            tx.update(item, change_actions(type(item), changes, now), label="item")
            record(tx)
    except ConditionsFailed:
        read = int(getattr(item, "version", None) or 0)
        if reload is not None:
            check_version(reload(), read)
        raise _stale(read) from None
    # A transaction answers no item: apply what was written (the version is bumped already)
    # and round-trip, so nested attributes read as they would from the table.
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = now  # type: ignore[attr-defined]
    item.deserialize(item.serialize())
    return item
