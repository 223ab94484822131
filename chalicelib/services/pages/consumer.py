"""Page publishing as a consumer of domain events.

A change records its event in its own transaction and answers at once; the events table's
stream brings the event here (in AWS through the `pages_consumer` Lambda function, on one
machine through `portway_ops.streams`, in tests through the `events_stream` fixture), and
this module renders the pages the event reaches, and only those: the same pages the change
used to render inside its request. Pages are rendered from the data as it is now, never
from the event's payload, so a late, repeated or reordered delivery never stores an older
page than the data says.

Delivery is at least once. An event whose pages are stored is remembered by its id (a
tokens item with a TTL, written with a condition), and a second delivery finds it and does
nothing. A consumer that fails midway remembers nothing: the retry renders from the
current data again, and the page ends up rendered; after the last retry the event source
parks the batch in a dead-letter queue (see `portway_ops.tables`), so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.clock import utcnow
from chalicelib.models import Component, Event, PlanVariant, Portal, PortalTemplate, Tenant, Token
from chalicelib.pages import store
from chalicelib.services.pages import pages

_log = logging.getLogger("portway")

CONSUMER = "pages"
# Long enough for every redelivery: the stream keeps records 24 hours, and a batch parked
# in the dead-letter queue (14 days) may be replayed until it leaves it.
REMEMBERED = timedelta(days=15)
_MARKER_KIND = "consumed_event"

# What portals show of their template (`portal_templates.SHOWN_FIELDS`), and the default
# flag that decides whether the tenant's own pages show it too.
_TEMPLATE_SHOWN = frozenset({"apps", "theme_id", "home_page", "sections", "is_default"})


class Work(msgspec.Struct, frozen=True):
    """Pages to render or take down, as a value: equal work in one batch is done once."""

    kind: str
    tenant_id: str
    target: str | None = None


def _site(event: Event) -> Work:
    return Work("site", event.tenant_id)


def _everything(event: Event) -> Work:
    return Work("everything", event.tenant_id)


def _hosted(event: Event) -> Work:
    return Work("hosted", event.tenant_id)


def _theme(event: Event) -> Work | None:
    return Work("theme", event.tenant_id, event.object_id) if event.object_id else None


def _data(event: Event) -> Mapping[str, Any]:
    data = event.data
    return data if isinstance(data, Mapping) else {}


def _plan(event: Event) -> Work | None:
    return Work("plan", event.tenant_id, event.object_id) if event.object_id else None


def _component_plan(event: Event) -> Work | None:
    plan_id = _data(event).get("plan_id")
    if not isinstance(plan_id, str) and event.object_id:
        try:  # an event that does not name its plan: the component still knows it
            plan_id = Component.get(event.tenant_id, event.object_id, consistent_read=True).plan_id
        except DoesNotExist:
            return None
    return Work("plan", event.tenant_id, plan_id) if isinstance(plan_id, str) else None


def _variant(event: Event) -> Work | None:
    return Work("variant", event.tenant_id, event.object_id) if event.object_id else None


def _portal(event: Event) -> Work | None:
    customer_id = event.customer_id or _data(event).get("customer_id")
    return Work("portal", event.tenant_id, customer_id) if isinstance(customer_id, str) else None


def _portal_removed(event: Event) -> Work | None:
    portal_id = _data(event).get("portal_id") or event.object_id
    if not isinstance(portal_id, str):
        return None
    return Work("portal_removed", event.tenant_id, portal_id)


def _template_created(event: Event) -> Work | None:
    is_default = _data(event).get("is_default")
    if is_default is False:
        return None  # no portal uses a new template yet, and the tenant's pages do not show it
    if is_default is True:
        return Work("site", event.tenant_id)
    return Work("site_if_default", event.tenant_id, event.object_id)


def _template_updated(event: Event) -> Work | None:
    if not event.object_id:
        return None
    changed = _data(event).get("changed")
    if isinstance(changed, list):
        if not _TEMPLATE_SHOWN.intersection(changed):
            return None  # a name or a description: no page shows it
        if "is_default" in changed:  # became or stopped being the default
            return Work("template_and_site", event.tenant_id, event.object_id)
        return Work("template", event.tenant_id, event.object_id)
    return Work("template_and_site", event.tenant_id, event.object_id)


def _template_deleted(event: Event) -> Work | None:
    # Only the default template shows on the tenant's own pages; a portal holds its
    # template, so a deleted one reaches no portal.
    return None if _data(event).get("is_default") is False else Work("site", event.tenant_id)


# Every event type that reaches a page, and what it reaches. Any other type reaches none
# (the event source does not even deliver it: its filter is made from these keys).
REACH: dict[str, Callable[[Event], Work | None]] = {
    "tenant.created": _site,
    "tenant.embedding_updated": _everything,
    "settings.self_service_updated": _hosted,
    "theme.updated": _theme,
    "theme.logo_uploaded": _theme,
    "plan.updated": _plan,
    "plan_variant.created": _variant,
    "plan_variant.updated": _variant,
    "component.created": _component_plan,
    "component.updated": _component_plan,
    "portal.created": _portal,
    "portal.updated": _portal,
    "portal.deleted": _portal_removed,
    "portal_template.created": _template_created,
    "portal_template.updated": _template_updated,
    "portal_template.deleted": _template_deleted,
}
TYPES = frozenset(REACH)


def reach(event: Event) -> Work | None:
    """The pages an event reaches, or None when it reaches none."""
    planned = REACH.get(event.type)
    return planned(event) if planned is not None else None


# -- doing the work --------------------------------------------------------------------------


def _portal_pages(tenant_id: str, customer_id: str) -> int:
    try:
        portal = Portal.get(tenant_id, customer_id, consistent_read=True)
    except DoesNotExist:
        return 0  # deleted since: its own event takes its pages down
    return pages.refresh_portal(tenant_id, portal)


def _portal_removed_pages(tenant_id: str, portal_id: str) -> int:
    slug = Tenant.get(tenant_id, consistent_read=True).slug
    pages.remove_portal(slug, portal_id)  # portal ids are never reused: nothing else has it
    return 0


def _variant_pages(tenant_id: str, variant_id: str) -> int:
    try:
        variant = PlanVariant.get(tenant_id, variant_id, consistent_read=True)
    except DoesNotExist:
        return 0
    pages.refresh_variant(tenant_id, variant)  # or takes it down when it stopped signups
    return len(store.LANGUAGES) if variant.allow_signup else 0


def _is_default(tenant_id: str, template_id: str) -> bool:
    tenant = Tenant.get(tenant_id, consistent_read=True)
    return bool(template_id) and tenant.default_template_id == template_id


def _template_pages(tenant_id: str, template_id: str, *, always_site: bool) -> int:
    try:
        PortalTemplate.get(tenant_id, template_id, consistent_read=True)
    except DoesNotExist:
        # Deleted since (it had no portals then): only the tenant's pages may show it.
        return pages.refresh_site(tenant_id) if always_site else 0
    with_site = always_site or _is_default(tenant_id, template_id)
    return pages.refresh_template(tenant_id, template_id, with_site=with_site)


_WORK: dict[str, Callable[[str, str], int]] = {
    "site": lambda t, _: pages.refresh_site(t),
    "everything": lambda t, _: pages.refresh_site(t, with_portals=True),
    "hosted": lambda t, _: pages.refresh_hosted(t),
    "theme": lambda t, target: pages.refresh_theme(t, target),
    "plan": lambda t, target: pages.refresh_plan(t, target),
    "variant": _variant_pages,
    "portal": _portal_pages,
    "portal_removed": _portal_removed_pages,
    "site_if_default": lambda t, target: pages.refresh_site(t) if _is_default(t, target) else 0,
    "template": lambda t, target: _template_pages(t, target, always_site=False),
    "template_and_site": lambda t, target: _template_pages(t, target, always_site=True),
}


def run(work: Work) -> int:
    """Do one piece of work; a tenant that no longer exists has no pages to render."""
    try:
        return _WORK[work.kind](work.tenant_id, work.target or "")
    except DoesNotExist:  # only the tenant is read without a fallback
        _log.info("tenant %s is gone: no pages to render", work.tenant_id)
        return 0


# -- remembering what was consumed -----------------------------------------------------------


def _marker_digest(event: Event) -> str:
    return Token.named_digest("consumed", CONSUMER, event.tenant_id, event.event_id)


def _consumed(events: Iterable[Event]) -> set[str]:
    """The digests of the events consumed already (one batch read)."""
    digests = {_marker_digest(e) for e in events}
    now = utcnow()
    return {
        marker.digest
        for marker in Token.batch_get(digests, consistent_read=True)
        if marker.kind == _MARKER_KIND and marker.is_live(now)
    }


def _remember(event: Event, now: datetime) -> None:
    marker = Token(
        _marker_digest(event),
        kind=_MARKER_KIND,
        tenant_id=event.tenant_id,
        subject_id=event.event_id,
        state=CONSUMER,
        created_at=now,
        expires_at=now + REMEMBERED,
    )
    try:
        marker.save(condition=Token.digest.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Another delivery of the same event finished first: its pages are stored.


# -- a batch of stream records ---------------------------------------------------------------


class _Pending(msgspec.Struct, frozen=True):
    index: int
    sequence: str
    event: Event
    work: Work


class Outcome(msgspec.Struct):
    """What one batch did: events consumed, seen before, pages written, the first failure."""

    consumed: list[str] = msgspec.field(default_factory=list)
    duplicates: list[str] = msgspec.field(default_factory=list)
    pages: int = 0
    failed: list[str] = msgspec.field(default_factory=list)
    first_failed_sequence: str | None = None

    def response(self) -> dict[str, list[dict[str, str]]]:
        """Lambda's partial batch response: the stream is retried from the first failure."""
        failures = [] if self.first_failed_sequence is None else [self.first_failed_sequence]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failures]}


class UnreadableRecord(ValueError):
    """A stream record that is not an event (a bug: parked rather than skipped)."""


def event_of(record: Mapping[str, Any]) -> Event | None:
    """The event a stream record inserted, or None for anything else (a TTL removal)."""
    if record.get("eventName") != "INSERT":
        return None
    image = record.get("dynamodb", {}).get("NewImage")
    if not image:
        raise UnreadableRecord("an INSERT without its new image: the stream must be NEW_IMAGE")
    try:
        return Event.from_raw_data(dict(image))
    except Exception as exc:
        raise UnreadableRecord(f"not an event: {exc}") from exc


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", ""))


def _pending(records: Sequence[Mapping[str, Any]], outcome: Outcome) -> list[_Pending]:
    """The records whose event reaches pages; an unreadable one counts as failed."""
    found = []
    for index, record in enumerate(records):
        try:
            event = event_of(record)
            work = reach(event) if event is not None else None
        except Exception:
            _log.exception("stream record %s could not be read", _sequence(record))
            outcome.failed.append(_sequence(record))
            outcome.first_failed_sequence = outcome.first_failed_sequence or _sequence(record)
            break  # its retry starts here: what follows is delivered again after it
        if event is not None and work is not None:
            found.append(_Pending(index, _sequence(record), event, work))
    return found


def consume(records: Sequence[Mapping[str, Any]]) -> Outcome:
    """Render the pages a batch of stream records reaches (in stream order), each piece of
    work once however many events of the batch ask for it; remember the events done."""
    outcome = Outcome()
    pending = _pending(records, outcome)
    if not pending:
        return outcome
    seen = _consumed(p.event for p in pending)
    works: dict[Work, list[_Pending]] = {}
    for item in pending:
        if _marker_digest(item.event) in seen:
            outcome.duplicates.append(item.event.event_id)
        else:
            works.setdefault(item.work, []).append(item)
    failed: list[_Pending] = []
    for work, items in works.items():
        try:
            outcome.pages += run(work)
            now = utcnow()
            for item in items:
                _remember(item.event, now)
                outcome.consumed.append(item.event.event_id)
        except Exception:
            # Logged with the event ids; the event source retries from the first of them.
            ids = ", ".join(i.event.event_id for i in items)
            _log.exception("pages of %s (%s) were not rendered: %s", work.kind, work.target, ids)
            failed += items
    if failed:
        # Before any unreadable record (reading stopped there): the retry starts here.
        first = min(failed, key=lambda item: item.index)
        outcome.failed += [item.event.event_id for item in failed]
        outcome.first_failed_sequence = first.sequence
    return outcome
