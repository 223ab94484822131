"""Racing calls on threads, for the concurrency tests (DynamoDB Local only: moto's store is
not thread-safe)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def race(fn: Callable[..., Any], args_list: Sequence[Sequence[Any]]) -> list[Any]:
    """Every outcome: the value returned, or the exception raised (of any kind)."""
    with ThreadPoolExecutor(max_workers=len(args_list)) as pool:
        futures = [pool.submit(fn, *args) for args in args_list]
    outcomes: list[Any] = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except Exception as error:  # what a loser raises is under test
            outcomes.append(error)
    return outcomes
