"""Customer portals: one per customer, from a template or with its own apps and theme.

A portal counts itself on the template or theme it uses, in its own transaction, so
neither can be deleted while a portal shows it; its pages are rendered as soon as it is
stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.catalogue import BUILT_IN_APPS
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import Customer, Portal, PortalTemplate, Tenant, Theme
from chalicelib.schemas import portals as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.schemas.portal_templates import Section
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.platform.versioning import check_version
from chalicelib.services.portals.portal_templates import stored_sections
from chalicelib.settings import get_settings
from chalicelib.tenancy import OfCustomer, OfPortal, TenantContext


def _find(ctx: TenantContext, customer_id: str) -> Portal | None:
    try:
        return Portal.get(ctx.tenant_id, customer_id, consistent_read=True)
    except DoesNotExist:
        return None


def _load(ctx: TenantContext, customer_id: str) -> Portal:
    portal = _find(ctx, customer_id)
    if portal is None:
        raise NotFound(f"Customer {customer_id} has no portal.")
    return portal


def page_url(slug: str, portal_id: str) -> str:
    """Where the portal's page is served."""
    return f"{get_settings().public_base_url}/p/{slug}/portal?portal={portal_id}"


def _sections(stored: Any) -> list[Section]:
    return [msgspec.convert(s.as_dict(), Section) for s in stored or []]


def to_schema(item: Portal, template: PortalTemplate | None, slug: str) -> schemas.Portal:
    """The API shape: a template's portal shows the template's apps, theme and sections."""
    source: Any = template if item.template_id and template is not None else item
    return schemas.Portal(
        id=item.portal_id,
        customer_id=item.customer_id,
        template_id=item.template_id,
        apps=cast("Any", list(source.apps or BUILT_IN_APPS)),
        theme_id=source.theme_id,
        home_page=cast("Any", source.home_page or "overview"),
        sections=_sections(source.sections),
        status=cast("Any", item.status),
        admin=schemas.PortalAdmin(
            id=item.admin_user_id, name=item.admin_name or "", email=item.admin_email or ""
        )
        if item.admin_user_id
        else None,
        page_url=page_url(slug, item.portal_id),
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def _template(ctx: TenantContext, template_id: str | None) -> PortalTemplate | None:
    if template_id is None:
        return None
    try:
        return PortalTemplate.get(ctx.tenant_id, template_id, consistent_read=True)
    except DoesNotExist:
        return None


def _count(
    tx: Transaction,
    model: type[PortalTemplate] | type[Theme],
    tenant_id: str,
    old: str | None,
    new: str | None,
    label: str,
) -> None:
    """Move the portal's count from the old template (or theme) to the new one."""
    if new and new != old:
        tx.update_unversioned(
            model(tenant_id, new),
            [model.portal_count.add(1)],
            model.tenant_id.exists(),
            label=label,
        )
    if old and old != new:
        tx.update_unversioned(
            model(tenant_id, old),
            [model.portal_count.add(-1)],
            model.tenant_id.exists(),
            label=f"old_{label}",
        )


# What a PUT sets: an update's event names those it changed.
_PUT_FIELDS = ("template_id", "apps", "theme_id", "home_page", "sections")


def _shown(item: Portal, name: str) -> Any:
    value = getattr(item, name)
    if name == "sections":
        return [s.as_dict() for s in value or []] or None
    if name == "apps":
        return list(value) if value else None
    return value or None


def _record_put(
    tx: Transaction, ctx: TenantContext, existing: Portal | None, item: Portal, now: datetime
) -> None:
    """The PUT's event: the portal given (its first PUT) or changed (which fields)."""
    if existing is None:
        events.record(
            tx,
            ctx,
            "portal.created",
            item.portal_id,
            customer_id=item.customer_id,
            data={"template_id": item.template_id, "theme_id": item.theme_id},
            now=now,
        )
        return
    changed = [n for n in _PUT_FIELDS if _shown(existing, n) != _shown(item, n)]
    events.record(
        tx,
        ctx,
        "portal.updated",
        item.portal_id,
        customer_id=item.customer_id,
        data={"changed": changed},
        now=now,
    )


def put(
    ctx: TenantContext,
    customer_id: str,
    data: schemas.PortalPut,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Portal:
    """Give the customer its portal, or change what the portal shows."""
    existing = _find(ctx, customer_id)
    if existing is not None:
        check_version(existing, data.version if if_match is None else if_match)
    elif (data.version or if_match) is not None:
        raise NotFound(f"Customer {customer_id} has no portal to change yet.")
    tenant = Tenant.get(ctx.tenant_id, consistent_read=True)
    template_id = data.template_id
    if template_id is None and data.apps is None:
        template_id = tenant.default_template_id  # None: the built-in apps
    template = _template(ctx, template_id)
    if template_id is not None and template is None:
        raise Invalid.field("template_id", f"no portal template {template_id}")
    own_theme = None if template_id else data.theme_id
    now = clock()
    item = Portal(
        ctx.tenant_id,
        customer_id,
        portal_id=existing.portal_id if existing else new_id("prt"),
        template_id=template_id,
        template_key=Portal.template_key_for(ctx.tenant_id, template_id) if template_id else None,
        apps=None if template_id else list(data.apps or BUILT_IN_APPS),
        theme_id=own_theme,
        theme_key=Portal.theme_key_for(ctx.tenant_id, own_theme) if own_theme else None,
        home_page=None if template_id else data.home_page or "overview",
        sections=None if template_id else stored_sections(data.sections),
        status=existing.status if existing else "invited",
        admin_user_id=existing.admin_user_id if existing else None,
        admin_name=existing.admin_name if existing else None,
        admin_email=existing.admin_email if existing else None,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
    if existing is not None:
        item.version = existing.version
    try:
        with Transaction() as tx:
            tx.check(
                Customer,
                ctx.tenant_id,
                customer_id,
                Customer.customer_id.exists(),
                label="customer",
            )
            tx.save(item, label="portal")  # PynamoDB conditions the put on the version read
            old_template = existing.template_id if existing else None
            _count(tx, PortalTemplate, ctx.tenant_id, old_template, template_id, "template")
            old_theme = existing.theme_id if existing else None
            _count(tx, Theme, ctx.tenant_id, old_theme, own_theme, "theme")
            _record_put(tx, ctx, existing, item, now)
    except ConditionsFailed as exc:
        if "customer" in exc.labels:
            raise NotFound(f"No customer {customer_id}.") from None
        if "template" in exc.labels:
            raise Invalid.field("template_id", f"no portal template {template_id}") from None
        if "theme" in exc.labels:
            raise Invalid.field("theme_id", f"no theme {own_theme}") from None
        raise Conflict("The portal changed meanwhile; read it and retry.") from None
    return to_schema(item, template, tenant.slug)


def get(ctx: TenantContext, customer_id: str) -> schemas.Portal:
    """The customer's portal."""
    item = _load(ctx, customer_id)
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    return to_schema(item, _template(ctx, item.template_id), slug)


def delete(ctx: TenantContext, customer_id: str, *, if_match: int | None = None) -> Portal:
    """Take the customer's portal away; its pages go with it. The portal as it was (what
    was in it is ended by `portal_accounts.delete_portal`)."""
    item = _load(ctx, customer_id)
    check_version(item, if_match)
    try:
        with Transaction() as tx:
            tx.delete(item, label="portal")
            _count(tx, PortalTemplate, ctx.tenant_id, item.template_id, None, "template")
            _count(tx, Theme, ctx.tenant_id, item.theme_id, None, "theme")
            # The one event of the deletion: the links withdrawn and the accounts and
            # issuers deleted after it (`portal_accounts.delete_portal`) follow from it.
            events.record(
                tx,
                ctx,
                "portal.deleted",
                item.portal_id,
                customer_id=customer_id,
                data={"template_id": item.template_id, "theme_id": item.theme_id},
            )
    except ConditionsFailed:
        raise Conflict("The portal changed meanwhile; read it and retry.") from None
    return item


def portal_id_of(ctx: TenantContext, customer_id: str) -> str | None:
    """The id of the customer's portal, if it has one."""
    portal = _find(ctx, customer_id)
    return portal.portal_id if portal else None


class Shown(NamedTuple):
    """A portal and what it shows now: its template's apps and theme, or its own."""

    portal: Portal
    apps: list[str]
    theme_id: str | None


def find(owner: OfCustomer) -> Shown | None:
    """The customer's portal and what it shows now, or None."""
    return _looked_up(owner.tenant_id, owner.customer_id) if owner.customer_id else None


def _looked_up(tenant_id: str, customer_id: str) -> Shown | None:
    try:
        item = Portal.get(tenant_id, customer_id, consistent_read=True)
    except DoesNotExist:
        return None
    if not item.template_id:
        return Shown(item, [str(a) for a in item.apps or BUILT_IN_APPS], item.theme_id)
    try:
        template = PortalTemplate.get(
            tenant_id, item.template_id, attributes_to_get=["apps", "theme_id"]
        )
    except DoesNotExist:
        return Shown(item, [], None)
    return Shown(item, [str(a) for a in template.apps], template.theme_id)


def current(holder: OfPortal) -> Shown | None:
    """The customer's portal as it is now, if it is still the one the holder points at (not
    deleted, not given again since)."""
    found = find(holder)
    return found if found is not None and found.portal.portal_id == holder.portal_id else None


def load_for_customer(ctx: TenantContext, customer_id: str) -> Shown:
    """The customer's portal and what it shows; 404 when it has none."""
    found = _looked_up(ctx.tenant_id, customer_id)
    if found is None:
        raise NotFound(f"Customer {customer_id} has no portal; give it one first.")
    return found
