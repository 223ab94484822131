"""The e-mails tickets call for, sent by a consumer of the events stream (never on the
request path): the requester hears about public replies, status changes and decisions on
approval; a customer's approvers about tickets waiting for them; the team about tickets the
customer's people file and replies to tickets assigned to someone.

Every e-mail to a customer's person goes through that person's `Scope` (visibility.py), on
the ticket and the position read consistently when the e-mail is written: an internal
ticket, an internal position, a ticket in an excluded area or of another person (visibility
`own`) is never mailed, whatever the event says. E-mails are in the recipient's language
(the customer's, else the tenant's) and link into the portal or the console. A record the
stream hands over twice sends each e-mail once (a marker per event and recipient).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import msgspec
from pynamodb.exceptions import PutError

from chalicelib.errors import NotFound
from chalicelib.models import (
    Customer,
    Event,
    PortalUser,
    TeamMember,
    Tenant,
    Ticket,
    TicketEntry,
    TicketSetting,
)
from chalicelib.schemas.common import LANGUAGES
from chalicelib.services.platform.outbound_mail import (
    Mail,
    Suppressed,
    deliver,
    in_language,
    one_line,
)
from chalicelib.services.platform.storage import batch_get, condition_failed
from chalicelib.services.tickets import profiles, tickets
from chalicelib.services.tickets.visibility import Scope, Viewer
from chalicelib.settings import get_settings
from chalicelib.tenancy import MEMBER_ACTOR, PORTAL_ACTOR

TYPES = frozenset(
    {
        "ticket.created",
        "ticket.position_added",
        "ticket.status_changed",
        "ticket.approval_decided",
    }
)
# Team members told about a new ticket, when nobody is assigned.
_DESK_ROLES = ("owner", "admin", "agent")
MAX_TEAM_RECIPIENTS = 50
# How long a sent e-mail's marker is kept: longer than the stream keeps a record.
MARKER_DAYS = timedelta(days=3)

_SUBJECTS: dict[str, dict[str, str]] = {
    "reply": {
        "en": "{number}: a new reply from {provider}",
        "de": "{number}: neue Antwort von {provider}",
        "da": "{number}: nyt svar fra {provider}",
    },
    "status": {
        "en": "{number} is now {status}",
        "de": "{number} ist jetzt {status}",
        "da": "{number} er nu {status}",
    },
    "approval": {
        "en": "{number} waits for your approval",
        "de": "{number} wartet auf Ihre Freigabe",
        "da": "{number} venter på din godkendelse",
    },
    "decided": {
        "en": "{number} was {decision}",
        "de": "{number} wurde {decision}",
        "da": "{number} blev {decision}",
    },
    "new": {
        "en": "New ticket {number} from {customer}",
        "de": "Neues Ticket {number} von {customer}",
        "da": "Ny sag {number} fra {customer}",
    },
    "customer_reply": {
        "en": "{number}: {customer} replied",
        "de": "{number}: {customer} hat geantwortet",
        "da": "{number}: {customer} har svaret",
    },
}
_BODIES: dict[str, dict[str, str]] = {
    "reply": {
        "en": "Hello {name},\n\n{provider} replied to your ticket {number} ({title}):\n\n"
        "{text}\n\nRead and answer it in your portal:\n{url}",
        "de": "Guten Tag {name},\n\n{provider} hat auf Ihr Ticket {number} ({title}) "
        "geantwortet:\n\n{text}\n\nLesen und beantworten Sie es in Ihrem Portal:\n{url}",
        "da": "Hej {name},\n\n{provider} har svaret på din sag {number} ({title}):\n\n"
        "{text}\n\nLæs og besvar den i din portal:\n{url}",
    },
    "status": {
        "en": "Hello {name},\n\nyour ticket {number} ({title}) is now {status}.\n\n"
        "See it in your portal:\n{url}",
        "de": "Guten Tag {name},\n\nIhr Ticket {number} ({title}) ist jetzt {status}.\n\n"
        "Sie finden es in Ihrem Portal:\n{url}",
        "da": "Hej {name},\n\ndin sag {number} ({title}) er nu {status}.\n\n"
        "Se den i din portal:\n{url}",
    },
    "approval": {
        "en": "Hello {name},\n\nthe ticket {number} ({title}) needs your approval before "
        "{provider} starts work. Approve or reject it in your portal:\n{url}",
        "de": "Guten Tag {name},\n\ndas Ticket {number} ({title}) braucht Ihre Freigabe, "
        "bevor {provider} mit der Arbeit beginnt. Geben Sie es in Ihrem Portal frei oder "
        "lehnen Sie es ab:\n{url}",
        "da": "Hej {name},\n\nsagen {number} ({title}) skal godkendes af dig, før {provider} "
        "går i gang. Godkend eller afvis den i din portal:\n{url}",
    },
    "decided": {
        "en": "Hello {name},\n\nyour ticket {number} ({title}) was {decision}.\n\n"
        "See it in your portal:\n{url}",
        "de": "Guten Tag {name},\n\nIhr Ticket {number} ({title}) wurde {decision}.\n\n"
        "Sie finden es in Ihrem Portal:\n{url}",
        "da": "Hej {name},\n\ndin sag {number} ({title}) blev {decision}.\n\n"
        "Se den i din portal:\n{url}",
    },
    "new": {
        "en": "Hello {name},\n\n{customer} filed the ticket {number}: {title}\n\n"
        "Open it in the console:\n{url}",
        "de": "Guten Tag {name},\n\n{customer} hat das Ticket {number} angelegt: {title}\n\n"
        "Öffnen Sie es in der Konsole:\n{url}",
        "da": "Hej {name},\n\n{customer} har oprettet sagen {number}: {title}\n\n"
        "Åbn den i konsollen:\n{url}",
    },
    "customer_reply": {
        "en": "Hello {name},\n\n{customer} replied to {number} ({title}).\n\n"
        "Open it in the console:\n{url}",
        "de": "Guten Tag {name},\n\n{customer} hat auf {number} ({title}) geantwortet.\n\n"
        "Öffnen Sie es in der Konsole:\n{url}",
        "da": "Hej {name},\n\n{customer} har svaret på {number} ({title}).\n\n"
        "Åbn den i konsollen:\n{url}",
    },
}
STATUS_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "awaiting_approval": "awaiting approval",
        "rejected": "rejected",
        "open": "open",
        "in_progress": "in progress",
        "waiting_for_customer": "waiting for your answer",
        "resolved": "resolved",
        "closed": "closed",
    },
    "de": {
        "awaiting_approval": "wartet auf Freigabe",
        "rejected": "abgelehnt",
        "open": "offen",
        "in_progress": "in Bearbeitung",
        "waiting_for_customer": "wartet auf Ihre Antwort",
        "resolved": "gelöst",
        "closed": "geschlossen",
    },
    "da": {
        "awaiting_approval": "venter på godkendelse",
        "rejected": "afvist",
        "open": "åben",
        "in_progress": "under behandling",
        "waiting_for_customer": "venter på dit svar",
        "resolved": "løst",
        "closed": "lukket",
    },
}
_DECISIONS = {
    "en": {"approve": "approved", "reject": "rejected"},
    "de": {"approve": "freigegeben", "reject": "abgelehnt"},
    "da": {"approve": "godkendt", "reject": "afvist"},
}


class Notice(msgspec.Struct, frozen=True):
    """One e-mail about to be sent."""

    to: str
    kind: str
    language: str
    values: dict[str, str]


def notify(event: Event) -> int:
    """Send the e-mails one ticket event calls for; how many were sent."""
    if event.type not in TYPES or not event.object_id:
        return 0
    found = batch_get(
        [
            (Ticket, event.tenant_id, event.object_id),
            (Tenant, event.tenant_id, None),
        ]
    )
    ticket, tenant = found
    if not isinstance(ticket, Ticket) or not isinstance(tenant, Tenant):
        return 0  # deleted meanwhile: nothing to say
    notices = _notices(event, ticket, tenant)
    sent = 0
    for notice in notices:
        if _send_once(event, tenant, ticket, notice):
            sent += 1
    return sent


def _notices(event: Event, ticket: Ticket, tenant: Tenant) -> list[Notice]:
    data = dict(event.data or {})
    if event.type == "ticket.created":
        return _created(event, ticket, tenant)
    if event.type == "ticket.position_added":
        return _replied(event, ticket, tenant, data)
    if event.type == "ticket.status_changed":
        return _to_people(ticket, tenant, "status", _requester(ticket), status=str(data["status"]))
    if ticket.approval_by == f"{PORTAL_ACTOR}{ticket.requester_user_id}":
        return []  # the requester decided their own ticket
    decision = str(data.get("decision", ticket.approval_decision or ""))
    return _to_people(ticket, tenant, "decided", _requester(ticket), decision=decision)


def _created(event: Event, ticket: Ticket, tenant: Tenant) -> list[Notice]:
    """Approvers hear of a ticket waiting for them; the team of a ticket a customer's person
    filed (or the assignee of one a colleague filed)."""
    notices = []
    if ticket.status == "awaiting_approval":
        notices += _to_people(ticket, tenant, "approval", _approvers(ticket))
    if event.actor.startswith(PORTAL_ACTOR):
        notices += _to_team(ticket, tenant, "new", None)
    elif ticket.assignee_id and event.actor != f"{MEMBER_ACTOR}{ticket.assignee_id}":
        notices += _to_team(ticket, tenant, "new", ticket.assignee_id)
    return notices


def _replied(event: Event, ticket: Ticket, tenant: Tenant, data: dict[str, object]) -> list[Notice]:
    """The requester hears of a public reply by the team; the assignee of a reply by the
    customer's people."""
    if data.get("entry_internal"):
        return []
    if event.actor.startswith(PORTAL_ACTOR):
        return _to_team(ticket, tenant, "customer_reply", ticket.assignee_id or "")
    entry = _entry(ticket, str(data.get("entry_id", "")))
    if entry is None:
        return []
    return _to_people(ticket, tenant, "reply", _requester(ticket), entry=entry)


def _requester(ticket: Ticket) -> list[str]:
    return [ticket.requester_user_id] if ticket.requester_user_id else []


def _approvers(ticket: Ticket) -> list[str]:
    profile = profiles.decode_profile(
        batch_get([profiles.profile_key(ticket, ticket.customer_id)])[0]  # type: ignore[arg-type]
    )
    return list(profile.approvers)


def _entry(ticket: Ticket, entry_id: str) -> TicketEntry | None:
    try:
        return tickets.load_entry(ticket, entry_id)
    except NotFound:  # gone: nothing to mail
        return None


def _language(*candidates: str | None) -> str:
    return next((c for c in candidates if c in ("en", "de", "da")), "en")


def _to_people(
    ticket: Ticket,
    tenant: Tenant,
    kind: str,
    user_ids: list[str],
    *,
    entry: TicketEntry | None = None,
    status: str | None = None,
    decision: str | None = None,
) -> list[Notice]:
    """E-mails to the customer's people, each only if that person's scope sees the ticket
    (and the position) as they are now."""
    if not user_ids:
        return []
    people = batch_get(
        [
            *(
                (PortalUser, ticket.tenant_id, PortalUser.key_for(ticket.customer_id, u))
                for u in user_ids
            ),
            profiles.profile_key(ticket, ticket.customer_id),
            profiles.rules_key(ticket),
            (Customer, ticket.tenant_id, ticket.customer_id),
        ]
    )
    profile = profiles.decode_profile(people[-3])  # type: ignore[arg-type]
    rules = profiles.decode_rules(people[-2])  # type: ignore[arg-type]
    customer = people[-1]
    language = _language(
        getattr(customer, "language", None),
        tenant.default_language if tenant.default_language in LANGUAGES else None,
    )
    notices = []
    for person in people[: len(user_ids)]:
        if not isinstance(person, PortalUser):
            continue
        scope = Scope(Viewer(ticket.customer_id, person.user_id), profile, rules)
        if not scope.sees(ticket):
            continue
        if entry is not None and not scope.sees_entry(ticket, entry):
            continue
        if kind == "approval" and not scope.may_approve(ticket):
            continue
        values = _values(ticket, tenant, language, person.name)
        values["url"] = in_language(_portal_link(tenant, person, ticket), language)
        if entry is not None:
            values["text"] = entry.text or entry.file_name or ""
        if status is not None:
            values["status"] = STATUS_NAMES[language].get(status, status)
        if decision is not None:
            values["decision"] = _DECISIONS[language].get(decision, decision)
        notices.append(Notice(person.email, kind, language, values))
    return notices


def _to_team(ticket: Ticket, tenant: Tenant, kind: str, member_id: str | None) -> list[Notice]:
    """E-mails to the team: one member (the assignee), or the desk's people when the ticket
    has nobody yet (`member_id` None); nobody for an empty `member_id`."""
    if member_id == "":
        return []
    if member_id is not None:
        found = batch_get([(TeamMember, ticket.tenant_id, member_id)])
        members = [m for m in found if isinstance(m, TeamMember)]
    else:
        members = [
            m for m in TeamMember.query(ticket.tenant_id, limit=500) if m.role in _DESK_ROLES
        ][:MAX_TEAM_RECIPIENTS]
    customer = batch_get([(Customer, ticket.tenant_id, ticket.customer_id)])[0]
    language = _language(tenant.default_language)
    link = f"{get_settings().public_base_url}/console#/tickets/{ticket.ticket_id}"
    notices = []
    for member in members:
        if member.status != "active":
            continue
        values = _values(ticket, tenant, language, member.name or member.email)
        values["customer"] = one_line(getattr(customer, "name", "") or ticket.customer_id)
        values["url"] = in_language(link, language)
        notices.append(Notice(member.email, kind, language, values))
    return notices


def _values(ticket: Ticket, tenant: Tenant, language: str, name: str) -> dict[str, str]:
    return {
        "provider": one_line(tenant.name),
        "number": tickets.number_text(int(ticket.number)),
        "title": one_line(ticket.title),
        "name": one_line(name),
        "language": language,
    }


def _portal_link(tenant: Tenant, person: PortalUser, ticket: Ticket) -> str:
    base = f"{get_settings().public_base_url}/p/{tenant.slug}/portal"
    query = f"?portal={person.portal_id}" if person.portal_id else ""
    return f"{base}{query}#ticket={ticket.ticket_id}"


def _marker(event: Event, notice: Notice) -> TicketSetting:
    recipient = hashlib.sha256(notice.to.casefold().encode()).hexdigest()[:16]
    return TicketSetting(
        event.tenant_id, TicketSetting.sent_key(event.event_id, notice.kind, recipient)
    )


def _send_once(event: Event, tenant: Tenant, ticket: Ticket, notice: Notice) -> bool:
    """Send one e-mail unless it was sent for this event before (a retried record)."""
    marker = _marker(event, notice)
    if batch_get([(TicketSetting, marker.tenant_id, marker.setting_key)])[0] is not None:
        return False
    subject = _SUBJECTS[notice.kind][notice.language].format(**notice.values)
    body = _BODIES[notice.kind][notice.language].format(**notice.values)
    mail = Mail(
        get_settings().mail_from, notice.to, one_line(subject), body, tenant_id=event.tenant_id
    )
    try:
        deliver(mail, f"the ticket {notice.kind} e-mail")
    except Suppressed:  # logged by `deliver` (by the suppression's id); the others still go
        return False
    marker.created_at = event.time
    marker.expires_at = event.time + MARKER_DAYS
    try:
        marker.save(condition=TicketSetting.setting_key.does_not_exist())
    except PutError as exc:  # written by a parallel delivery: sent twice at worst
        if not condition_failed(exc):
            raise
    return True
