"""Portal templates: apps, theme, home page and sections; at most one is the default.

The default is a pointer on the tenant item, changed in the same transaction as the
templates' `is_default` flags and conditioned on the pointer read, so two racing requests
can never leave two defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.ids import new_id
from chalicelib.models import Portal, PortalTemplate, Tenant, Theme
from chalicelib.models.portal_templates import Section
from chalicelib.schemas import portal_templates as schemas
from chalicelib.schemas.common import Page, page_of, present, rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, load_owned
from chalicelib.services.platform.versioning import change_actions, check_version
from chalicelib.tenancy import TenantContext


def _sections_out(item: PortalTemplate) -> list[schemas.Section]:
    return [
        msgspec.convert(section.as_dict(), schemas.Section)  # type: ignore[no-untyped-call]
        for section in item.sections or []
    ]


def to_schema(item: PortalTemplate) -> schemas.PortalTemplate:
    """The API shape of a stored template."""
    return schemas.PortalTemplate(
        id=item.template_id,
        name=item.name,
        description=item.description,
        apps=list(item.apps),  # type: ignore[arg-type]
        theme_id=item.theme_id,
        home_page=cast("Any", item.home_page),
        sections=_sections_out(item),
        is_default=bool(item.is_default),
        created_at=rfc3339(item.created_at),
        updated_at=rfc3339(item.updated_at),
        version=int(item.version or 1),
    )


def stored_sections(sections: list[schemas.Section] | None) -> list[Section] | None:
    """Sections as stored (headings without the languages left out)."""
    if sections is None:
        return None
    return [
        Section(  # type: ignore[no-untyped-call]
            key=s.key,
            visible=s.visible,
            headings={k: v for k, v in msgspec.structs.asdict(s.headings).items() if v}
            if s.headings
            else None,
        )
        for s in sections
    ]


def _check_theme(ctx: TenantContext, theme_id: str | None) -> None:
    if theme_id is None:
        return
    try:
        Theme.get(ctx.tenant_id, theme_id, attributes_to_get=["theme_id"])
    except DoesNotExist:
        raise Invalid.field("theme_id", f"no theme {theme_id}") from None


def _move_theme_reference(
    tx: Transaction, ctx: TenantContext, old: str | None, new: str | None
) -> None:
    """Count the template on its new theme and off its old one, in the template's own
    transaction: a theme is deleted only while its count is 0, so a template can never be
    left pointing at a deleted theme, whichever request comes first."""
    if new and new != old:
        tx.update_unversioned(
            Theme(ctx.tenant_id, new),
            [Theme.template_count.add(1)],
            Theme.theme_id.exists(),
            label="theme",
        )
    if old and old != new:
        tx.update_unversioned(
            Theme(ctx.tenant_id, old),
            [Theme.template_count.add(-1)],
            Theme.theme_id.exists(),
            label="old_theme",
        )


def _conflict_or_invalid(exc: ConditionsFailed, theme_id: str | None) -> Exception:
    if "theme" in exc.labels:
        return Invalid.field("theme_id", f"no theme {theme_id}")
    return Conflict("The template or the default changed meanwhile; read and retry.")


def load(ctx: TenantContext, template_id: str) -> PortalTemplate:
    """The stored template; 404 when it is not the caller's tenant's."""
    return load_owned(PortalTemplate, ctx, template_id, "portal template")


def _tenant(ctx: TenantContext) -> Tenant:
    return Tenant.get(ctx.tenant_id, consistent_read=True)


def _make_default(tx: Transaction, ctx: TenantContext, tenant: Tenant, template_id: str) -> None:
    """Point the tenant at the template and clear the previous default, if another one."""
    previous = tenant.default_template_id
    unchanged = (
        Tenant.default_template_id.does_not_exist()
        if previous is None
        else Tenant.default_template_id == previous
    )
    tx.update_unversioned(
        tenant, [Tenant.default_template_id.set(template_id)], unchanged, label="tenant"
    )
    if previous and previous != template_id:
        tx.update_unversioned(
            PortalTemplate(ctx.tenant_id, previous),
            [PortalTemplate.is_default.set(False)],
            PortalTemplate.template_id.exists(),
            label="previous",
        )


def create(
    ctx: TenantContext, data: schemas.TemplateCreate, *, clock: Clock = utcnow
) -> schemas.PortalTemplate:
    """Create a template; with is_default it replaces the tenant's default."""
    _check_theme(ctx, data.theme_id)
    now = clock()
    item = PortalTemplate(
        ctx.tenant_id,
        new_id("tpl"),
        name=data.name,
        description=data.description,
        apps=list(data.apps),
        theme_id=data.theme_id,
        home_page=data.home_page,
        sections=stored_sections(data.sections),
        is_default=data.is_default,
        created_at=now,
        updated_at=now,
    )
    try:
        with Transaction() as tx:
            tx.save(item, condition=PortalTemplate.template_id.does_not_exist())
            _move_theme_reference(tx, ctx, None, data.theme_id)
            if data.is_default:
                _make_default(tx, ctx, _tenant(ctx), item.template_id)
            events.record(
                tx,
                ctx,
                "portal_template.created",
                item.template_id,
                data={"theme_id": data.theme_id, "is_default": data.is_default},
                now=now,
            )
    except ConditionsFailed as exc:
        raise _conflict_or_invalid(exc, data.theme_id) from None
    return to_schema(item)


def get(ctx: TenantContext, template_id: str) -> schemas.PortalTemplate:
    """One template."""
    return to_schema(load(ctx, template_id))


def list_templates(ctx: TenantContext, page: PageRequest) -> Page[schemas.PortalTemplate]:
    """The tenant's templates, oldest first."""
    items, cursor = fetch_page(
        ctx, "portal_templates", page, lambda **kw: PortalTemplate.query(ctx.tenant_id, **kw)
    )
    return page_of(schemas.PortalTemplate)(items=[to_schema(i) for i in items], next_cursor=cursor)


# What portals show of their template: changing any of these changes live portals.
SHOWN_FIELDS = ("apps", "theme_id", "home_page", "sections")
AFFECTED_SHOWN = 100


def _shown_changes(item: PortalTemplate, changes: dict[str, Any]) -> list[str]:
    return _changed(item, changes, SHOWN_FIELDS)


def _changed(item: PortalTemplate, changes: dict[str, Any], names: Iterable[str]) -> list[str]:
    """Which of `names` the changes give another value than the stored one."""
    before = to_schema(item)
    return [
        name
        for name in names
        if name in changes and (changes[name] or None) != (getattr(before, name) or None)
    ]


def portals_of(ctx: TenantContext, template_id: str, limit: int) -> list[str]:
    """Ids of (up to `limit`) portals made from a template."""
    key = Portal.template_key_for(ctx.tenant_id, template_id)
    return [p.portal_id for p in Portal.by_template.query(key, limit=limit)]


def _affected(ctx: TenantContext, item: PortalTemplate, shown: list[str]) -> Conflict:
    count = int(item.portal_count or 0)
    return Conflict(
        f"{count} portals use this template, and the change ({', '.join(shown)}) shows in "
        "all of them. Send it again with ?confirm=true to change them all.",
        extra={
            "affected_count": count,
            "affected_portals": portals_of(ctx, item.template_id, AFFECTED_SHOWN),
        },
    )


def update(
    ctx: TenantContext,
    template_id: str,
    data: schemas.TemplateUpdate,
    *,
    if_match: int | None = None,
    confirm: bool = False,
    clock: Clock = utcnow,
) -> schemas.PortalTemplate:
    """Change the fields sent (checked again together with what is stored). A change that
    shows in live portals needs `confirm`; with it, those portals' pages are rendered."""
    item = load(ctx, template_id)
    check_version(item, data.version if if_match is None else if_match)
    changes = present(data)
    apps = changes.get("apps", list(item.apps))
    sections = changes["sections"] if "sections" in changes else _sections_out(item)
    schemas.check_apps_and_sections(apps, sections)
    if "theme_id" in changes:
        _check_theme(ctx, changes["theme_id"])
    # Asked only of a change that could be made: invalid input is 422 first.
    shown = _shown_changes(item, changes)
    if shown and item.portal_count and not confirm:
        raise _affected(ctx, item, shown)
    changed = _changed(item, changes, changes)
    if "sections" in changes:
        changes["sections"] = stored_sections(changes["sections"])
    now = clock()
    actions = change_actions(PortalTemplate, changes, now)
    try:
        with Transaction() as tx:
            tx.update(item, actions, label="template")
            if "theme_id" in changes:
                _move_theme_reference(tx, ctx, item.theme_id, changes["theme_id"])
            if changes.get("is_default") and not item.is_default:
                _make_default(tx, ctx, _tenant(ctx), template_id)
            elif changes.get("is_default") is False and item.is_default:
                tx.update_unversioned(
                    Tenant(ctx.tenant_id),
                    [Tenant.default_template_id.remove()],
                    Tenant.default_template_id == template_id,
                    label="tenant",
                )
            events.record(
                tx,
                ctx,
                "portal_template.updated",
                template_id,
                data={"changed": changed},
                now=now,
            )
    except ConditionsFailed as exc:
        raise _conflict_or_invalid(exc, changes.get("theme_id")) from None
    return to_schema(load(ctx, template_id))


def delete(ctx: TenantContext, template_id: str, *, if_match: int | None = None) -> None:
    """Delete a template; 409 while portals use it. Deleting the default leaves the tenant
    without one (new portals then get the built-in apps)."""
    item = load(ctx, template_id)
    check_version(item, if_match)
    unused = PortalTemplate.portal_count.does_not_exist() | (PortalTemplate.portal_count == 0)
    try:
        with Transaction() as tx:
            tx.delete(item, condition=unused, label="template")
            _move_theme_reference(tx, ctx, item.theme_id, None)
            if item.is_default:
                tx.update_unversioned(
                    Tenant(ctx.tenant_id),
                    [Tenant.default_template_id.remove()],
                    Tenant.default_template_id == template_id,
                    label="tenant",
                )
            events.record(
                tx,
                ctx,
                "portal_template.deleted",
                template_id,
                data={"theme_id": item.theme_id, "is_default": bool(item.is_default)},
            )
    except ConditionsFailed:
        held = portals_of(ctx, template_id, AFFECTED_SHOWN)
        if held:
            raise Conflict(
                f"Portals use template {template_id}; move them to another template first.",
                extra={"held_by": {"portal_ids": held}},
            ) from None
        raise Conflict("The template changed meanwhile; read and retry.") from None
