"""Tenants and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from chalicelib.schemas.common import Input, Language, Name, Output, Timestamp

Scope = Literal["read", "write", "admin"]


class Tenant(Output):
    """The caller's tenant."""

    id: str
    public_id: Annotated[str, Meta(description="Give this to partners; it grants nothing.")]
    slug: Annotated[str, Meta(description="Appears in hosted page URLs: /p/{slug}/...")]
    name: str
    default_language: Language
    created_at: Timestamp


class ApiKeyCreate(Input):
    """read: GET requests; write: read plus changes; admin: write plus API keys."""

    name: Name
    scopes: Annotated[list[Scope], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["read", "write"]
    )


class ApiKey(Output):
    """An API key as listed: never its secret."""

    id: str
    name: str
    scopes: list[Scope]
    created_at: Timestamp
    revoked_at: Timestamp | None


class TrackingSessionEntry(Output):
    """A tracking page session as listed: the key that made it, when it ends (never its
    secret). It stops working when it is revoked, ends, or its key is revoked."""

    id: str
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp
    revoked_at: Timestamp | None
    active: bool


class ApiKeyCreated(ApiKey):
    """A new API key, with its secret: shown once, store it now."""

    key: str


class PagesRendered(Output):
    """How many pages (per language) were rendered and stored."""

    pages: int
