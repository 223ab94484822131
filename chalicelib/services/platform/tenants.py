"""Tenants: created by the operator (`portway tenant create`), read by their own keys."""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import cast

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import DirectoryEntry, Tenant
from chalicelib.schemas import tenants as schemas
from chalicelib.schemas.common import LANGUAGES, Language, rfc3339
from chalicelib.schemas.themes import Embedding, EmbeddingSettings
from chalicelib.services.platform import api_keys, events
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, TenantContext

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Words that would read as Portway's own pages if used as a tenant's slug.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "docs", "help", "p", "portal", "portway", "sso", "static", "www"}
)
_SLUG_ATTEMPTS = 5
# Who creates tenants: the operator, from the command line.
OPERATOR = "operator"


class NewTenant(msgspec.Struct, frozen=True):
    """A created tenant and the secret of its first API key (shown once)."""

    tenant: schemas.Tenant
    api_key_id: str
    api_key: str


def _out(item: Tenant) -> schemas.Tenant:
    return schemas.Tenant(
        id=item.tenant_id,
        public_id=item.public_id,
        slug=item.slug,
        name=item.name,
        default_language=cast("Language", item.default_language),
        created_at=rfc3339(item.created_at),
    )


def slugify(name: str) -> str:
    """A URL slug from a display name: `Müller Baumaschinen` -> `muller-baumaschinen`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "tenant"


def _check_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise Invalid.field("slug", "use 1 to 40 of a-z, 0-9 and '-', not at either end")
    if slug in RESERVED_SLUGS:
        raise Invalid.field("slug", f"'{slug}' is reserved")


def create_tenant(
    name: str, slug: str | None = None, language: str = "en", *, clock: Clock = utcnow
) -> NewTenant:
    """Create a tenant with a unique slug, a public id and a first admin API key."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Invalid.field("name", "give 1 to 200 characters")
    if language not in LANGUAGES:
        raise Invalid.field("language", f"one of {', '.join(LANGUAGES)}")
    if slug is not None:
        _check_slug(slug)
        return _create(name, slug, language, clock)
    base = slugify(name)
    if base in RESERVED_SLUGS:
        base = f"{base}-{secrets.token_hex(2)}"
    for attempt in range(_SLUG_ATTEMPTS):
        candidate = base if attempt == 0 else f"{base[:35]}-{secrets.token_hex(2)}"
        try:
            return _create(name, candidate, language, clock)
        except Conflict:
            continue
    raise Conflict(f"Could not find a free slug for '{name}'; pass one explicitly.")


def _create(name: str, slug: str, language: str, clock: Clock) -> NewTenant:
    now = clock()
    tenant = Tenant(
        new_id("ten"),
        name=name,
        slug=slug,
        public_id=new_id("pub"),
        default_language=language,
        created_at=now,
    )
    key, token, secret = api_keys.new_key_items(
        Actor(tenant.tenant_id, OPERATOR), "first key", list(api_keys.ALL_SCOPES), now
    )
    try:
        with Transaction() as tx:
            tx.save(tenant, condition=Tenant.tenant_id.does_not_exist())
            tx.save(
                DirectoryEntry(DirectoryEntry.slug_key(slug), tenant_id=tenant.tenant_id),
                condition=DirectoryEntry.key.does_not_exist(),
                label="slug",
            )
            tx.save(
                DirectoryEntry(
                    DirectoryEntry.public_id_key(tenant.public_id), tenant_id=tenant.tenant_id
                ),
                condition=DirectoryEntry.key.does_not_exist(),
            )
            tx.save(key)
            tx.save(token)
            events.record(
                tx,
                Actor(tenant.tenant_id, OPERATOR),
                "tenant.created",
                tenant.tenant_id,
                data={"slug": slug, "api_key_id": key.key_id},
                now=now,
            )
    except ConditionsFailed as exc:
        if "slug" in exc.labels:
            raise Conflict(f"The slug '{slug}' is taken.") from None
        raise
    return NewTenant(_out(tenant), key.key_id, secret)


def tenant_id_for_slug(slug: str) -> str | None:
    """The tenant behind a slug, if any (public pages route by slug)."""
    try:
        return DirectoryEntry.get(DirectoryEntry.slug_key(slug)).tenant_id
    except DoesNotExist:
        return None


# Slugs never change and tenants are never deleted: a process remembers the tenants of the
# slugs it has looked up. Whoever uses a remembered one checks the tenant it reads names the
# slug still (`forget_slug` when not), so a stale entry costs a read, never a wrong tenant.
_KNOWN_SLUGS: dict[tuple[str, str | None, str], str] = {}


def _slug_key(slug: str) -> tuple[str, str | None, str]:
    settings = get_settings()
    return (settings.table_prefix, settings.dynamodb_endpoint, slug)


def known_tenant_id(slug: str) -> str | None:
    """The tenant behind a slug, from this process's memory when it looked it up before."""
    key = _slug_key(slug)
    if key not in _KNOWN_SLUGS:
        tenant_id = tenant_id_for_slug(slug)
        if tenant_id is None:
            return None
        _KNOWN_SLUGS[key] = tenant_id
    return _KNOWN_SLUGS[key]


def forget_slug(slug: str) -> None:
    """Drop a remembered slug whose tenant did not name it."""
    _KNOWN_SLUGS.pop(_slug_key(slug), None)


def get(ctx: TenantContext) -> schemas.Tenant:
    """The caller's own tenant."""
    return _out(_load(ctx))


def _load(ctx: TenantContext) -> Tenant:
    try:
        return Tenant.get(ctx.tenant_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("The tenant no longer exists.") from None


def get_embedding(ctx: TenantContext) -> Embedding:
    """The origins allowed to frame the tenant's pages."""
    stored = cast("list[str] | None", _load(ctx).allowed_origins)
    return Embedding(allowed_origins=list(stored or []))


def set_embedding(ctx: TenantContext, data: EmbeddingSettings) -> Embedding:
    """Replace the origins allowed to frame the tenant's pages and receive redirects."""
    origins = data.allowed_origins  # unique: the schema refuses repeats
    with Transaction() as tx:
        # Last write wins: the whole list is replaced, whatever was read before.
        tx.update_unversioned(
            Tenant(ctx.tenant_id),
            [Tenant.allowed_origins.set(origins)],  # type: ignore[arg-type]
            Tenant.tenant_id.exists(),
        )
        events.record(
            tx, ctx, "tenant.embedding_updated", ctx.tenant_id, data={"allowed_origins": origins}
        )
    return Embedding(allowed_origins=origins)
