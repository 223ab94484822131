"""Support tickets: the desk's settings, each customer's integration, tickets and their
positions, as the provider's API and the portal API send and answer them."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType, field

from chalicelib.schemas.common import (
    STORABLE_NUMBER,
    Input,
    InputTimestamp,
    Name,
    ObjectId,
    Output,
    Timestamp,
    Versioned,
)

# The languages a name may be given in besides the default `name`.
NameLanguage = Literal["en", "de", "da", "fr", "nl", "sv", "nb", "fi", "es", "it", "pl"]


class Names(Input):
    """An area's or type's name in other languages (the default `name` where one is left
    out)."""

    en: Name | None = None
    de: Name | None = None
    da: Name | None = None
    fr: Name | None = None
    nl: Name | None = None
    sv: Name | None = None
    nb: Name | None = None
    fi: Name | None = None
    es: Name | None = None
    it: Name | None = None
    pl: Name | None = None

    def as_dict(self) -> dict[str, str]:
        """The names given, by language."""
        return {k: v for k in self.__struct_fields__ if (v := getattr(self, k)) is not None}


Status = Literal[
    "awaiting_approval",
    "rejected",
    "open",
    "in_progress",
    "waiting_for_customer",
    "resolved",
    "closed",
]
TargetStatus = Literal["open", "in_progress", "waiting_for_customer", "resolved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Visibility = Literal["own", "customer"]
PositionKind = Literal["comment", "work", "material"]
Decision = Literal["approve", "reject"]
# Free text of a ticket or a position: many lines, but no control characters except line
# breaks and tabs (they end up in e-mails and exports).
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Title = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$",
    ),
]
Description = Annotated[str, Meta(max_length=20_000, pattern=_TEXT)]
PositionText = Annotated[str, Meta(min_length=1, max_length=20_000, pattern=_TEXT)]
TagDescription = Annotated[str, Meta(max_length=500, pattern=_TEXT)]
SearchText = Annotated[str, Meta(min_length=1, max_length=100)]

MAX_AREAS = 100
MAX_TYPES = 100
MAX_TAGS = 200
MAX_QUERIES = 50
MAX_RULES = 50
MAX_APPROVERS = 50
MAX_TICKET_ASSETS = 20
MAX_TICKET_TAGS = 20
MAX_BOARD_CUSTOMERS = 100
IdList = Annotated[list[ObjectId], Meta(max_length=100)]


# -- areas and ticket types ------------------------------------------------------------------


class NamedCreate(Input):
    """An area or a ticket type: its name, and optionally the name in other languages."""

    name: Name
    names: Names | None = None


class NamedUpdate(Versioned):
    """Rename an area or a ticket type."""

    name: Name | UnsetType = UNSET
    names: Names | UnsetType | None = UNSET


class Area(Output):
    """An area in which tickets are filed (Bereich)."""

    id: str
    name: str
    names: dict[str, str]
    created_at: Timestamp
    version: int


class TicketType(Output):
    """A kind of ticket (Ticketart)."""

    id: str
    name: str
    names: dict[str, str]
    created_at: Timestamp
    version: int


# -- a customer's integration ----------------------------------------------------------------


class AllowedType(Input):
    """A ticket type the customer's people may use, and whether an approver signs it off."""

    type_id: ObjectId
    requires_approval: bool = False


class SupportSettings(Input):
    """A customer's integration: whether it is active, where its people see and file
    tickets, which types they may use, whose tickets each person sees (`own`: the person's
    own; `customer`: all of the customer's), and who approves (portal user ids)."""

    active: bool
    areas: Annotated[list[ObjectId], Meta(max_length=MAX_AREAS)]
    ticket_types: Annotated[list[AllowedType], Meta(max_length=MAX_TYPES)]
    visibility: Visibility = "own"
    approvers: Annotated[list[ObjectId], Meta(max_length=MAX_APPROVERS)] = field(
        default_factory=list
    )
    version: Annotated[int, Meta(ge=1)] | None = None


class Support(Output):
    """A customer's integration as stored."""

    customer_id: str
    active: bool
    areas: list[str]
    ticket_types: list[AllowedTypeOut]
    visibility: Visibility
    approvers: list[str]
    version: int


class AllowedTypeOut(Output):
    """An allowed ticket type."""

    type_id: str
    requires_approval: bool


class TagCreate(Input):
    """A tag for this customer's tickets; `internal_only` hides it from the customer's
    people; with `area_id` it is offered in that area only."""

    name: Name
    description: TagDescription | None = None
    area_id: ObjectId | None = None
    internal_only: bool = False


class TagUpdate(Input):
    """Change a tag."""

    name: Name | UnsetType = UNSET
    description: TagDescription | UnsetType | None = UNSET
    area_id: ObjectId | UnsetType | None = UNSET
    internal_only: bool | UnsetType = UNSET


class Tag(Output):
    """A customer's tag."""

    id: str
    customer_id: str
    name: str
    description: str | None
    area_id: str | None
    internal_only: bool


class BoardFilter(Input):
    """Which tickets a board query shows; every part given must match."""

    statuses: Annotated[list[Status], Meta(max_length=7)] | None = None
    area_ids: IdList | None = None
    type_ids: IdList | None = None
    tag_ids: IdList | None = None
    text: SearchText | None = None


class BoardQueryCreate(Input):
    """A saved view of the ticket board for this customer's people."""

    name: Name
    filter: BoardFilter = field(default_factory=BoardFilter)


class BoardQueryUpdate(Input):
    """Change a board query."""

    name: Name | UnsetType = UNSET
    filter: BoardFilter | UnsetType = UNSET


class BoardQuery(Output):
    """A saved board query."""

    id: str
    customer_id: str
    name: str
    filter: BoardFilterOut


class BoardFilterOut(Output):
    """A board query's filter."""

    statuses: list[str] | None = None
    area_ids: list[str] | None = None
    type_ids: list[str] | None = None
    tag_ids: list[str] | None = None
    text: str | None = None


class ExclusionRuleCreate(Input):
    """Hide tickets from customers' people: a ticket matches when it is in one of the
    areas, of one of the types and carries one of the tags given (a part left out matches
    any ticket); at least one part is required."""

    name: Name
    area_ids: IdList | None = None
    type_ids: IdList | None = None
    tag_ids: IdList | None = None


class ExclusionRule(Output):
    """An exclusion rule (Ausschlussregel); `customer_id` is null for a cross-customer one."""

    id: str
    customer_id: str | None
    name: str
    area_ids: list[str]
    type_ids: list[str]
    tag_ids: list[str]


class PlanBoardCreate(Input):
    """A plan board shared with some customers: their tickets with a planned window."""

    name: Name
    customer_ids: Annotated[list[ObjectId], Meta(max_length=MAX_BOARD_CUSTOMERS)] = field(
        default_factory=list
    )


class PlanBoardUpdate(Versioned):
    """Change a plan board."""

    name: Name | UnsetType = UNSET
    customer_ids: Annotated[list[ObjectId], Meta(max_length=MAX_BOARD_CUSTOMERS)] | UnsetType = (
        UNSET
    )


class PlanBoard(Output):
    """A plan board."""

    id: str
    name: str
    customer_ids: list[str]
    created_at: Timestamp
    version: int


class PlannedTicket(Output):
    """A ticket on a plan board."""

    id: str
    number: str
    title: str
    status: str
    customer_id: str
    planned_start: Timestamp
    planned_end: Timestamp | None


# -- tickets ---------------------------------------------------------------------------------


class TicketCreate(Input):
    """A ticket filed by the provider's team."""

    customer_id: ObjectId
    area_id: ObjectId
    type_id: ObjectId
    title: Title
    description: Description = ""
    priority: Priority = "normal"
    internal: bool = False
    asset_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_ASSETS)] = field(
        default_factory=list
    )
    tag_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_TAGS)] = field(
        default_factory=list
    )
    assignee_id: ObjectId | None = None
    planned_start: InputTimestamp | None = None
    planned_end: InputTimestamp | None = None


class TicketUpdate(Versioned):
    """Change a ticket's fields (its status changes by transitions)."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    priority: Priority | UnsetType = UNSET
    internal: bool | UnsetType = UNSET
    area_id: ObjectId | UnsetType = UNSET
    type_id: ObjectId | UnsetType = UNSET
    asset_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_ASSETS)] | UnsetType = UNSET
    tag_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_TAGS)] | UnsetType = UNSET
    assignee_id: ObjectId | UnsetType | None = UNSET
    planned_start: InputTimestamp | UnsetType | None = UNSET
    planned_end: InputTimestamp | UnsetType | None = UNSET


class PortalTicketCreate(Input):
    """A ticket filed by a customer's person, in an area and of a type the customer may
    use, with tags the person may see."""

    area_id: ObjectId
    type_id: ObjectId
    title: Title
    description: Description = ""
    priority: Priority = "normal"
    asset_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_ASSETS)] = field(
        default_factory=list
    )
    tag_ids: Annotated[list[ObjectId], Meta(max_length=MAX_TICKET_TAGS)] = field(
        default_factory=list
    )


class Approval(Output):
    """How an approval was decided."""

    decision: Decision
    by: str
    at: Timestamp
    comment: str | None


class Ticket(Output):
    """A ticket as the provider's team sees it."""

    id: str
    number: str
    customer_id: str
    area_id: str
    type_id: str
    title: str
    description: str
    priority: Priority
    status: Status
    internal: bool
    asset_ids: list[str]
    tag_ids: list[str]
    assignee_id: str | None
    planned_start: Timestamp | None
    planned_end: Timestamp | None
    requester: str
    approval: Approval | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class PortalApproval(Output):
    """How an approval was decided, as a customer's person sees it."""

    decision: Decision
    by: Literal["you", "colleague", "provider"]
    at: Timestamp
    comment: str | None


class PortalPlanBoard(Output):
    """A plan board shared with the person's company."""

    id: str
    name: str


class PortalPlanBoardView(Output):
    """A plan board with the company's planned tickets the person sees; `complete` is false
    when the company has more tickets than one request reads."""

    board: PortalPlanBoard
    tickets: list[PlannedTicket]
    complete: bool


class PortalTicket(Output):
    """A ticket as a customer's person sees it: no internal flag, no assignee, only the tags
    the person may see, and whether the person can approve it now."""

    id: str
    number: str
    area_id: str
    type_id: str
    title: str
    description: str
    priority: Priority
    status: Status
    asset_ids: list[str]
    tag_ids: list[str]
    planned_start: Timestamp | None
    planned_end: Timestamp | None
    mine: bool
    can_approve: bool
    approval: PortalApproval | None
    created_at: Timestamp
    updated_at: Timestamp


class Transition(Input):
    """Move a ticket to another status."""

    to: TargetStatus


class TicketDecision(Input):
    """Approve or reject a ticket that awaits approval."""

    decision: Decision
    comment: Annotated[str, Meta(max_length=2000, pattern=_TEXT)] | None = None


class PositionCreate(Input):
    """A position by the provider's team: internal unless `internal` is false."""

    text: PositionText
    kind: PositionKind = "comment"
    internal: bool = True
    quantity: (
        Annotated[float, Meta(ge=0, le=1_000_000, extra_json_schema=STORABLE_NUMBER)] | None
    ) = None
    unit: Annotated[str, Meta(min_length=1, max_length=20)] | None = None


class PortalPositionCreate(Input):
    """A reply by a customer's person: always public."""

    text: PositionText


class TicketPosition(Output):
    """A position or an attachment of a ticket."""

    id: str
    kind: str
    internal: bool
    text: str | None
    quantity: float | None
    unit: str | None
    file_name: str | None
    content_type: str | None
    size: int | None
    author: str
    author_name: str | None
    created_at: Timestamp


class PortalPosition(Output):
    """A public position as a customer's person sees it."""

    id: str
    kind: str
    text: str | None
    quantity: float | None
    unit: str | None
    file_name: str | None
    content_type: str | None
    size: int | None
    author_name: str | None
    from_provider: bool
    created_at: Timestamp


class TicketQuery(Struct, kw_only=True):
    """Filters of the provider's ticket list."""

    customer_id: ObjectId | None = None
    status: Status | None = None
    area_id: ObjectId | None = None
    type_id: ObjectId | None = None
    tag_id: ObjectId | None = None
    assignee_id: ObjectId | None = None
    q: SearchText | None = None


class PortalTicketQuery(Struct, kw_only=True):
    """The portal's ticket list: one board query's view, or a text search."""

    board: ObjectId | None = None
    q: SearchText | None = None


class AttachmentQuery(Struct, kw_only=True):
    """An attachment's name and whether customers see it."""

    file_name: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    internal: bool = True


class NamedOption(Output):
    """An area or type offered to a customer's person, named in the person's language."""

    id: str
    name: str


class TypeOption(NamedOption):
    """A ticket type offered to a customer's person."""

    requires_approval: bool


class TagOption(Output):
    """A tag a customer's person may set."""

    id: str
    name: str
    description: str | None
    area_id: str | None


class TicketOptions(Output):
    """What a customer's person may file tickets with."""

    areas: list[NamedOption]
    ticket_types: list[TypeOption]
    tags: list[TagOption]
    visibility: Visibility
    approver: bool


class TicketCounts(Output):
    """How many tickets a customer's person sees, by status; `complete` is false when the
    company has more tickets than one request reads (the counts are of those read)."""

    total: int
    by_status: dict[str, int]
    complete: bool


class OptionsQuery(Struct, kw_only=True):
    """The language names are wanted in (the provider's default name otherwise)."""

    language: NameLanguage | None = None
