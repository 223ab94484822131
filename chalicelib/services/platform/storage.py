"""Reading DynamoDB's answers: conditional failures, cancelled transactions, throttling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pynamodb.constants import KEY
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import NotFound, PortwayError, Unavailable
from chalicelib.models import connection
from chalicelib.tenancy import TenantContext

CONDITION_FAILED = "ConditionalCheckFailedException"
CONDITION_FAILED_REASON = "ConditionalCheckFailed"
TRANSACTION_CANCELED = "TransactionCanceledException"

# Errors botocore has already retried with backoff (standard retry mode) before we see them.
_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}


def condition_failed(exc: PynamoDBException) -> bool:
    """True when a single-item write failed its condition."""
    return exc.cause_response_code == CONDITION_FAILED


class ConditionsFailed(Exception):
    """A transaction was cancelled because the conditions of these labelled items failed."""

    def __init__(self, labels: set[str]) -> None:
        super().__init__(", ".join(sorted(labels)))
        self.labels = labels


class Transaction:
    """One TransactWriteItems on the shared connection: all items or none.

    PynamoDB sends condition checks, deletes, puts and updates in that order, whatever
    order they were added in; this wrapper remembers a label per item in the order sent,
    so a cancelled transaction says which labelled conditions failed.
    """

    def __init__(self) -> None:
        self._tx = TransactWrite(connection=connection())
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()

    def check(
        self,
        model: type[Model],
        hash_key: str,
        range_key: str | None,
        condition: Condition,
        *,
        label: str = "",
    ) -> None:
        """Add a condition check on an item that is not written."""
        self._tx.condition_check(model, hash_key, range_key, condition=condition)
        self._labels["check"].append(label)

    def delete(self, item: Model, condition: Condition | None = None, *, label: str = "") -> None:
        """Add a delete."""
        self._tx.delete(item, condition=condition)
        self._labels["delete"].append(label)

    def save(self, item: Model, condition: Condition | None = None, *, label: str = "") -> None:
        """Add a put."""
        self._tx.save(item, condition=condition)
        self._labels["put"].append(label)

    def update(
        self,
        item: Model,
        actions: list[Action],
        condition: Condition | None = None,
        *,
        label: str = "",
    ) -> None:
        """Add an update (PynamoDB adds the version condition)."""
        self._tx.update(item, actions=actions, condition=condition)
        self._labels["update"].append(label)

    def update_unversioned(
        self,
        item: Model,
        actions: Sequence[Action],
        condition: Condition | None = None,
        *,
        label: str = "",
    ) -> None:
        """An update that leaves the version alone (derived state such as telemetry, which
        must not make a user's pending edit look stale). PynamoDB always bumps the version
        of a versioned model, so the operation is built here from the item's key."""
        hash_key, range_key = item._get_hash_range_key_serialized_values()
        kwargs = item._get_connection().get_operation_kwargs(
            hash_key, range_key=range_key, key=KEY, actions=list(actions), condition=condition
        )
        self._tx._update_items.append(kwargs)
        self._labels["update"].append(label)

    def __len__(self) -> int:
        return sum(len(v) for v in self._labels.values())

    def commit(self) -> None:
        """Send the transaction; ConditionsFailed names the labels whose condition failed."""
        if not len(self):
            return
        try:
            self._tx._commit()
        except TransactWriteError as exc:
            order = [
                label
                for kind in ("check", "delete", "put", "update")
                for label in self._labels[kind]
            ]
            failed = {
                order[i]
                for i, reason in enumerate(exc.cancellation_reasons)
                if reason is not None and reason.code == CONDITION_FAILED_REASON
            }
            if failed:
                raise ConditionsFailed(failed) from exc
            raise


def as_domain_error(exc: PynamoDBException) -> PortwayError | None:
    """The domain error for a storage failure nobody handled, or None if it is a bug."""
    code = exc.cause_response_code
    reasons = exc.cancellation_reasons if isinstance(exc, TransactWriteError) else []
    if code in _TRANSIENT or any(r is not None and r.code in _TRANSIENT for r in reasons):
        return Unavailable("The data store is busy; try again shortly.")
    if code is None and exc.cause is not None and not hasattr(exc.cause, "response"):
        # No answer at all (connection refused or timed out, after retries).
        return Unavailable("The data store did not answer; try again shortly.")
    return None


M = TypeVar("M", bound=Model)

# BatchGetItem answers at most 100 keys per call.
MAX_BATCH_KEYS = 100


def batch_get(keys: Sequence[tuple[type[Model], str, str | None]]) -> list[Model | None]:
    """Items of several tables in consistent BatchGetItems (string keys only; one call per
    100 keys), in the order asked; None where an item does not exist. Keys DynamoDB leaves
    unprocessed (throttling) are asked again."""
    if len(keys) > MAX_BATCH_KEYS:
        return [
            item
            for start in range(0, len(keys), MAX_BATCH_KEYS)
            for item in batch_get(keys[start : start + MAX_BATCH_KEYS])
        ]
    wanted: dict[str, list[dict[str, dict[str, str]]]] = {}
    models: dict[str, type[Model]] = {}
    for model, hash_key, range_key in keys:
        table = str(model.Meta.table_name)
        key: dict[str, dict[str, str]] = {str(model._hash_keyname): {"S": hash_key}}
        if range_key is not None:
            key[str(model._range_keyname)] = {"S": range_key}
        if key not in wanted.setdefault(table, []):
            wanted[table].append(key)
        models[table] = model
    found: dict[tuple[str, str, str | None], Model] = {}
    request = {t: {"Keys": k, "ConsistentRead": True} for t, k in wanted.items()}
    client: Any = connection().client
    while request:
        answer = client.batch_get_item(RequestItems=request)
        for table, items in answer.get("Responses", {}).items():
            model = models[table]
            for raw in items:
                item = model.from_raw_data(raw)
                hash_value = raw[model._hash_keyname]["S"]
                range_value = raw[model._range_keyname]["S"] if model._range_keyname else None
                found[(table, hash_value, range_value)] = item
        request = answer.get("UnprocessedKeys") or {}
    return [found.get((m.Meta.table_name, h, r)) for m, h, r in keys]


def load_owned(model: type[M], ctx: TenantContext, key: str, what: str) -> M:
    """A tenant's item by its range key, read consistently; the same 404 for another
    tenant's item as for one that does not exist."""
    try:
        return model.get(ctx.tenant_id, key, consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No {what} {key}.") from None
