"""A tenant's self-service settings: token validity, customer field rules, signup options,
headings, redirect and legal URLs, terms lines, portal switches and sections.

Stored as one validated JSON document per tenant; a tenant that never saved any has the
defaults. Success and error URLs must be on the tenant's embedding allowlist, when saved
and again when used (the allowlist may have changed since). A save records
`settings.self_service_updated`, naming the top-level settings that changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid
from chalicelib.models import SelfServiceSettings, Tenant, Theme
from chalicelib.schemas import billing as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.services.billing.drafts import PageCheck, PageDraft
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.platform.versioning import check_version
from chalicelib.tenancy import OfTenant, TenantContext

DEFAULTS = schemas.SelfServiceSettings()
PLACEHOLDERS = ("tac", "dpp", "withdrawal")
_PLACEHOLDER = re.compile(r"\{(tac|dpp|withdrawal)\}")
# Fields of the customer's data and the setting (`fields.*`) that rules each.
FIELD_RULE = {
    "company": "company",
    "first_name": "name",
    "last_name": "name",
    "email": "email",
    "address": "address",
    "address_lines": "address_lines",
    "phone": "phone",
    "vat_id": "vat_id",
    "delivery_method": "delivery_method",
    "birth_date": "birth_date",
}


def decode(item: SelfServiceSettings | None) -> schemas.SelfServiceSettings:
    """The settings of a stored item (None: the defaults)."""
    if item is None:
        return DEFAULTS
    return msgspec.json.decode(item.document, type=schemas.SelfServiceSettings)


def load(owner: OfTenant) -> tuple[schemas.SelfServiceSettings, SelfServiceSettings | None]:
    """The tenant's settings and the item they came from (None: never saved)."""
    try:
        item = SelfServiceSettings.get(owner.tenant_id, consistent_read=True)
    except DoesNotExist:
        return DEFAULTS, None
    return decode(item), item


def _out(
    settings: schemas.SelfServiceSettings, item: SelfServiceSettings | None
) -> schemas.SelfServiceSettingsOut:
    fields = msgspec.structs.asdict(settings)
    return schemas.SelfServiceSettingsOut(
        **fields,
        version=int(item.version) if item is not None and item.version else 0,
        updated_at=rfc3339(item.updated_at) if item is not None else None,
    )


def get(ctx: TenantContext) -> schemas.SelfServiceSettingsOut:
    """The caller's settings (the defaults until saved)."""
    return _out(*load(ctx))


def origin_of(url: str) -> str:
    """`https://shop.example.com` of `https://shop.example.com/thanks?x=1`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_redirect(url: str | None, origins: Iterable[str]) -> str | None:
    """The URL if its origin is on the allowlist, else None (the caller's default)."""
    if url is None:
        return None
    return url if origin_of(url) in {o.lower() for o in origins} else None


def visible_terms(settings: schemas.SelfServiceSettings) -> list[int]:
    """Indices of the terms lines that are shown: those whose placeholders all have URLs."""
    urls = settings.urls
    return [
        index
        for index, line in enumerate(settings.terms_lines)
        if all(
            getattr(urls, name)
            for text in line.text.values()
            for name in _PLACEHOLDER.findall(text)
        )
    ]


def mandatory_terms(settings: schemas.SelfServiceSettings) -> list[int]:
    """Indices of the shown terms lines that must be confirmed."""
    return [i for i in visible_terms(settings) if settings.terms_lines[i].mandatory]


def _check(ctx: TenantContext, data: schemas.SelfServiceSettings) -> None:
    tenant = Tenant.get(ctx.tenant_id, consistent_read=True)
    origins = [str(origin) for origin in tenant.allowed_origins or []]
    errors = []
    for name in ("success", "error"):
        url = getattr(data.urls, name)
        if url is not None and allowed_redirect(url, origins) is None:
            errors.append(
                Invalid.field(
                    f"urls.{name}",
                    f"{origin_of(url)} is not an allowed origin; add it with "
                    "PUT /v1/settings/embedding first",
                )
            )
    for index, line in enumerate(data.terms_lines):
        for language, text in line.text.items():
            unknown = set(re.findall(r"\{([^{}]*)\}", text)) - set(PLACEHOLDERS)
            if unknown:
                errors.append(
                    Invalid.field(
                        f"terms_lines.{index}.text.{language}",
                        f"unknown placeholder {{{sorted(unknown)[0]}}}; "
                        "use {tac}, {dpp} or {withdrawal}",
                    )
                )
    if data.theme_id is not None:
        try:
            Theme.get(ctx.tenant_id, data.theme_id, consistent_read=True)
        except DoesNotExist:
            errors.append(Invalid.field("theme_id", "no such theme"))
    if errors:
        raise Invalid(
            f"{len(errors)} field(s) are invalid.", errors=[e for err in errors for e in err.errors]
        )


def put(
    ctx: TenantContext,
    data: schemas.SelfServiceSettings,
    *,
    check_pages: PageCheck,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.SelfServiceSettingsOut:
    """Replace the settings whole; the page consumer renders the signup and self-service
    pages again."""
    _check(ctx, data)
    # The signup and self-service pages as these settings would make them: none too big.
    check_pages(ctx, PageDraft(settings=data), "body")
    before, item = load(ctx)
    if item is not None:
        check_version(item, if_match)
    elif if_match not in (None, 0):  # never saved: the defaults are version 0
        raise Conflict(
            "The settings were never saved; they are at version 0.",
            extra={"current_version": 0},
        )
    now: datetime = clock()
    document = msgspec.json.encode(data).decode()
    saved = SelfServiceSettings(ctx.tenant_id, document=document, updated_at=now)
    if item is not None:
        saved.version = item.version
    changed = [
        field.name
        for field in msgspec.structs.fields(data)
        if getattr(before, field.name) != getattr(data, field.name)
    ]
    try:
        with Transaction() as tx:
            # PynamoDB conditions the put on the version read (or on there being no item yet).
            tx.save(saved, label="settings")
            events.record(
                tx,
                ctx,
                "settings.self_service_updated",
                data={"changed": changed},
                now=now,
            )
    except ConditionsFailed as exc:
        if "settings" not in exc.labels:
            raise
        raise Conflict(
            "The settings were changed by someone else; read them again and reapply your change."
        ) from None
    return _out(data, saved)
