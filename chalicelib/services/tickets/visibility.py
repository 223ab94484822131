"""The one rule that decides what a customer's person sees of the desk.

Every channel that shows tickets to a customer's people goes through a `Scope`: the portal
API and the portal page (which uses the API), the e-mails the notifier sends, the exports
and the counts. A person sees a ticket when all of these hold:

- it is a ticket of the person's customer, and the customer's integration is active;
- it is not internal;
- its area is one the customer's people may use;
- no exclusion rule matches it, the customer's own or a cross-customer one;
- with visibility `own`, the person asked for it, or the person approves for the customer
  and it waits for approval or was decided by an approver; with `customer`, any person does.

Of a visible ticket, a person sees the positions and attachments that are not internal
and the tags that are the customer's and not internal-only. The decision is always `sees()`
on the item as read consistently: a filter on a stale index copy never decides.
"""

from __future__ import annotations

import msgspec

from chalicelib.models import Ticket, TicketEntry
from chalicelib.services.tickets.profiles import Profile, StoredFilter, TenantRules
from chalicelib.tenancy import PORTAL_ACTOR


class Viewer(msgspec.Struct, frozen=True):
    """A customer's person: whose tickets, and who."""

    customer_id: str
    user_id: str

    @property
    def actor(self) -> str:
        """How tickets name this person (requester, approver)."""
        return f"{PORTAL_ACTOR}{self.user_id}"


class Scope(msgspec.Struct, frozen=True):
    """What one person may see, from the customer's profile and the tenant's rules."""

    viewer: Viewer
    profile: Profile
    tenant_rules: TenantRules

    @property
    def active(self) -> bool:
        """False when the customer's integration is off: nothing is visible then."""
        return self.profile.active

    @property
    def approver(self) -> bool:
        """True when the person signs off the customer's tickets that need approval."""
        return self.viewer.user_id in self.profile.approvers

    def excluded(self, area_id: str, type_id: str, tag_ids: list[str]) -> bool:
        """True when an exclusion rule hides a ticket with these properties."""
        return any(
            rule.matches(area_id, type_id, tag_ids)
            for rule in (*self.profile.rules, *self.tenant_rules.rules)
        )

    def sees(self, ticket: Ticket) -> bool:
        """The rule: may this person see this ticket?"""
        if not self.active or ticket.customer_id != self.viewer.customer_id:
            return False
        if ticket.internal or ticket.area_id not in self.profile.areas:
            return False
        if self.excluded(ticket.area_id, ticket.type_id, list(ticket.tag_ids or [])):
            return False
        if self.profile.visibility == "customer":
            return True
        if ticket.requester_user_id == self.viewer.user_id:
            return True
        return self.approver and (
            ticket.status == "awaiting_approval" or ticket.approval_decision is not None
        )

    def sees_entry(self, ticket: Ticket, entry: TicketEntry) -> bool:
        """May this person see this position or attachment (of a ticket it sees)?"""
        return self.sees(ticket) and not entry.internal

    def shown_tags(self, tag_ids: list[str] | None) -> list[str]:
        """The tags of a ticket this person may see: the customer's, not internal-only."""
        visible = {t.id for t in self.profile.tags if not t.internal_only}
        return [t for t in tag_ids or [] if t in visible]

    def may_approve(self, ticket: Ticket) -> bool:
        """True when this person can decide the ticket's approval now."""
        return self.approver and self.sees(ticket) and ticket.status == "awaiting_approval"


def on_board(ticket: Ticket, board: StoredFilter, shown_tags: list[str]) -> bool:
    """True when a visible ticket is in a board query's view. Tags count only as the person
    sees them, so a board cannot reveal an internal-only tag by what it shows."""
    if board.statuses and ticket.status not in board.statuses:
        return False
    if board.area_ids and ticket.area_id not in board.area_ids:
        return False
    if board.type_ids and ticket.type_id not in board.type_ids:
        return False
    if board.tag_ids and not any(t in board.tag_ids for t in shown_tags):
        return False
    if board.text:
        return board.text.casefold() in (ticket.search_text or "")
    return True
