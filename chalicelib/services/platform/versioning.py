"""Optimistic locking: every update carries the version it read; a moved-on item is 409."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.errors import Conflict
from chalicelib.services.platform.storage import condition_failed

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


def apply_changes(item: M, changes: dict[str, Any], now: datetime) -> M:
    """Set (or, for None, remove) attributes; conditioned on the version read."""
    actions = change_actions(type(item), changes, now)
    try:
        item.update(actions=actions)  # PynamoDB adds `version = <read>` and increments it
    except UpdateError as exc:
        if condition_failed(exc):
            raise _stale(int(getattr(item, "version", 0) or 0)) from None
        raise
    return item
