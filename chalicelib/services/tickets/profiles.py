"""What decides a customer's view of the desk, kept as two documents: the customer's
support profile (the integration with its tags, board queries and exclusion rules) and the
tenant's cross-customer exclusion rules. Both are read in one batch wherever a customer's
person reaches tickets, and changed by read-modify-write guarded by their version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar

import msgspec

from chalicelib.errors import Conflict
from chalicelib.models import TicketSetting
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.tenancy import OfTenant

# A profile changed by two people at once is read again and changed again, this often.
_ATTEMPTS = 5


class StoredType(msgspec.Struct, frozen=True):
    """A ticket type the customer may use."""

    type_id: str
    requires_approval: bool = False


class StoredTag(msgspec.Struct, frozen=True):
    """One of the customer's tags."""

    id: str
    name: str
    description: str | None = None
    area_id: str | None = None
    internal_only: bool = False


class StoredFilter(msgspec.Struct, frozen=True, omit_defaults=True):
    """A board query's filter: every part given must match."""

    statuses: list[str] | None = None
    area_ids: list[str] | None = None
    type_ids: list[str] | None = None
    tag_ids: list[str] | None = None
    text: str | None = None


class StoredQuery(msgspec.Struct, frozen=True):
    """A saved board query."""

    id: str
    name: str
    filter: StoredFilter = StoredFilter()


class StoredRule(msgspec.Struct, frozen=True):
    """An exclusion rule: a ticket matches when every part given matches (its area is one of
    `area_ids`, its type one of `type_ids`, one of its tags one of `tag_ids`)."""

    id: str
    name: str
    area_ids: list[str] = []
    type_ids: list[str] = []
    tag_ids: list[str] = []

    def matches(self, area_id: str, type_id: str, tag_ids: list[str]) -> bool:
        """True when a ticket with these properties is hidden by this rule."""
        return (
            (not self.area_ids or area_id in self.area_ids)
            and (not self.type_ids or type_id in self.type_ids)
            and (not self.tag_ids or any(t in self.tag_ids for t in tag_ids))
        )


class Profile(msgspec.Struct, frozen=True):
    """A customer's integration. Absent means inactive with nothing allowed."""

    active: bool = False
    areas: list[str] = []
    ticket_types: list[StoredType] = []
    visibility: Literal["own", "customer"] = "own"
    approvers: list[str] = []
    tags: list[StoredTag] = []
    queries: list[StoredQuery] = []
    rules: list[StoredRule] = []

    def allowed_type(self, type_id: str) -> StoredType | None:
        """The customer's terms for a ticket type, or None when it may not use it."""
        return next((t for t in self.ticket_types if t.type_id == type_id), None)

    def tag(self, tag_id: str) -> StoredTag | None:
        """One of the customer's tags."""
        return next((t for t in self.tags if t.id == tag_id), None)


class TenantRules(msgspec.Struct, frozen=True):
    """The exclusion rules that hold for every customer."""

    rules: list[StoredRule] = []


def decode_profile(item: TicketSetting | None) -> Profile:
    """The profile an item holds (an inactive, empty one when there is none)."""
    if item is None or not item.document:
        return Profile()
    return msgspec.json.decode(item.document, type=Profile)


def decode_rules(item: TicketSetting | None) -> TenantRules:
    """The cross-customer rules an item holds."""
    if item is None or not item.document:
        return TenantRules()
    return msgspec.json.decode(item.document, type=TenantRules)


def profile_key(of: OfTenant, customer_id: str) -> tuple[type[TicketSetting], str, str]:
    """The batch-read key of a customer's profile."""
    return (TicketSetting, of.tenant_id, TicketSetting.profile_key(customer_id))


def rules_key(of: OfTenant) -> tuple[type[TicketSetting], str, str]:
    """The batch-read key of the cross-customer rules."""
    return (TicketSetting, of.tenant_id, TicketSetting.RULES)


def _load(tenant_id: str, key: str) -> TicketSetting:
    try:
        return TicketSetting.get(tenant_id, key, consistent_read=True)
    except TicketSetting.DoesNotExist:
        return TicketSetting(tenant_id, key)


T = TypeVar("T", bound=msgspec.Struct)


def change_document(
    of: OfTenant,
    key: str,
    kind: type[T],
    change: Callable[[T], T],
    record: Callable[[Transaction, T], object],
    now: datetime,
    expected: int | None = None,
) -> tuple[T, int]:
    """Read a document, apply `change` (which raises to refuse), write it back if nobody
    wrote it meanwhile (else read and apply again), with the change's event. With
    `expected` (the version the caller's change is based on), a document at another version
    is a 409 and nothing is retried. Returns the document written and its version."""
    for _ in range(_ATTEMPTS):
        item = _load(of.tenant_id, key)
        if expected is not None and int(item.version or 0) != expected:
            raise _stale(int(item.version or 0))
        before = msgspec.json.decode(item.document, type=kind) if item.document else kind()
        after = change(before)
        item.document = msgspec.json.encode(after).decode()
        item.updated_at = now
        if item.created_at is None:
            item.created_at = now
        try:
            with Transaction() as tx:
                tx.save(item, label="document")  # PynamoDB conditions on the version read
                record(tx, after)
        except ConditionsFailed:
            if expected is not None:
                raise _stale(int(_load(of.tenant_id, key).version or 0)) from None
            continue
        return after, int(item.version or 1)
    raise Conflict("The support settings are being changed by someone else; try again.")


def _stale(current: int) -> Conflict:
    return Conflict(
        "The support settings were changed by someone else; read them again.",
        extra={"current_version": current},
    )
