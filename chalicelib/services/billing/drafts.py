"""A catalogue or settings change not saved yet, for the check that the hosted pages it
shows on still fit their size budget.

Billing does not render pages (the page publisher reacts to its events). The route that
saves such a change passes the check in (`check_pages`, the pages service's
`check_budget`); the service calls it with the draft once the change is validated and
before anything is written, so an over-budget change saves nothing.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from chalicelib.models import Component, Plan, PlanVariant
from chalicelib.schemas import billing as schemas
from chalicelib.tenancy import OfTenant


class PageDraft(msgspec.Struct, frozen=True):
    """The unsaved change: the pages it touches are rendered as if it were saved."""

    settings: schemas.SelfServiceSettings | None = None
    plan: Plan | None = None
    variant: PlanVariant | None = None
    component: Component | None = None


class PageCheck(Protocol):
    """What a route passes in to check a draft's pages."""

    def __call__(self, owner: OfTenant, draft: PageDraft, field: str) -> None:
        """Refuse (422 on `field`) a draft whose pages would be over their budget."""
