"""Support tickets: the desk's settings (areas, ticket types, each customer's integration,
exclusion rules, plan boards), the tickets and their entries (positions, attachments).

A customer's person sees tickets through one rule (services/tickets/visibility.py). What
that rule needs is kept in two items read in one batch: the customer's support profile and
the tenant's cross-customer exclusion rules.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortwayModel, TableMeta


class TicketSetting(PortwayModel):
    """One of the desk's settings. Range keys: `area#{id}`, `type#{id}`, `board#{id}` (plan
    boards), `profile#{customer_id}` (a customer's integration with its tags, board queries
    and exclusion rules), `rules` (the cross-customer exclusion rules), `counter` (the
    next ticket number) and `sent#...` (an e-mail the notifier sent, expiring)."""

    class Meta(metaclass=TableMeta):
        base_name = "ticket-settings"

    tenant_id = UnicodeAttribute(hash_key=True)
    setting_key = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    # Areas and types: the name in other languages ({"de": ..., "da": ...}).
    names = MapAttribute[str, str](null=True)  # type: ignore[no-untyped-call]
    # A profile (integration, tags, board queries, rules) or the cross-customer rules, as
    # JSON of their structs in services/tickets/profiles.py: one read decides visibility.
    document = UnicodeAttribute(null=True)
    # A plan board's customers.
    customer_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    # The counter: the number the next ticket gets.
    next_number = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    # Markers of e-mails sent (`sent#{event_id}#...`) expire; settings do not.
    expires_at = TTLAttribute(null=True)
    version = VersionAttribute()

    AREA = "area#"
    TYPE = "type#"
    BOARD = "board#"
    PROFILE = "profile#"
    RULES = "rules"
    COUNTER = "counter"

    @staticmethod
    def key_of(prefix: str, item_id: str) -> str:
        """The range key of an area, a type or a plan board (`prefix` is AREA, TYPE, BOARD)."""
        return f"{prefix}{item_id}"

    @property
    def item_id(self) -> str:
        """The id of an area, a type, a plan board or a profile's customer, from its key."""
        return self.setting_key.split("#", 1)[-1]

    def names_by_language(self) -> dict[str, str]:
        """An area's or type's names in other languages."""
        if self.names is None:
            return {}
        return {str(k): str(v) for k, v in self.names.as_dict().items()}  # type: ignore[no-untyped-call]

    @staticmethod
    def sent_key(event_id: str, kind: str, recipient: str) -> str:
        """The range key of the marker of one e-mail the notifier sent."""
        return f"sent#{event_id}#{kind}#{recipient}"

    @staticmethod
    def profile_key(customer_id: str) -> str:
        """The range key of a customer's support profile."""
        return f"profile#{customer_id}"


class ByCustomer(GlobalSecondaryIndex["Ticket"]):  # type: ignore[no-untyped-call]
    """One customer's tickets, oldest first: hash `{tenant_id}#{customer_id}`."""

    class Meta:
        index_name = "by_customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)


class Ticket(PortwayModel):
    """Hash key tenant_id, range key ticket_id (time-ordered). `number` is the tenant's
    running number (shown as `T-1042`)."""

    class Meta(metaclass=TableMeta):
        base_name = "tickets"

    tenant_id = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(range_key=True)
    customer_key = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    number = NumberAttribute()
    area_id = UnicodeAttribute()
    type_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    priority = UnicodeAttribute(default="normal")  # low | normal | high | urgent
    status = UnicodeAttribute()
    internal = BooleanAttribute(default=False)
    asset_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    tag_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    assignee_id = UnicodeAttribute(null=True)
    planned_start = UTCDateTimeAttribute(null=True)
    planned_end = UTCDateTimeAttribute(null=True)
    # Who asked: `portal_user:{id}` or a provider's actor; the portal user id separately, so
    # that visibility `own` is one key comparison.
    requester = UnicodeAttribute()
    requester_user_id = UnicodeAttribute(null=True)
    # The approval of a type that needs one: approve | reject, by whom, when, why.
    approval_decision = UnicodeAttribute(null=True)
    approval_by = UnicodeAttribute(null=True)
    approval_at = UTCDateTimeAttribute(null=True)
    approval_comment = UnicodeAttribute(null=True)
    # What a search matches: number, title and description, lower-cased.
    search_text = UnicodeAttribute(null=True)
    public_entry_count = NumberAttribute(default=0)
    entry_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    by_customer = ByCustomer()

    @staticmethod
    def customer_key_for(tenant_id: str, customer_id: str) -> str:
        """The by_customer index key of one customer's tickets."""
        return f"{tenant_id}#{customer_id}"


class TicketEntry(PortwayModel):
    """A position (comment, work, material) or an attachment of one ticket. Hash key
    `{tenant_id}#{ticket_id}`, range key `entry_id` (time-ordered): one query reads a
    ticket's history."""

    class Meta(metaclass=TableMeta):
        base_name = "ticket-entries"

    ticket_key = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # comment | work | material | attachment
    internal = BooleanAttribute()
    text = UnicodeAttribute(null=True)
    quantity = NumberAttribute(null=True)
    unit = UnicodeAttribute(null=True)
    # Attachments: the file as stored (blob key, name, content type, size).
    file_name = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    blob_key = UnicodeAttribute(null=True)
    author = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def ticket_key_for(tenant_id: str, ticket_id: str) -> str:
        """The partition of one ticket's entries."""
        return f"{tenant_id}#{ticket_id}"

    @staticmethod
    def blob_key_for(tenant_id: str, ticket_id: str, entry_id: str) -> str:
        """Where an attachment's file is kept."""
        return f"tickets/{tenant_id}/{ticket_id}/{entry_id}"
