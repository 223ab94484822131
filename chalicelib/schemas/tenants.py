"""Tenants and API keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.schemas.common import Input, Language, Name, Output, Timestamp

Scope = Literal["read", "write", "admin"]


class Tenant(Output):
    id: str
    public_id: str = Field(description="Give this to partners; it never grants access by itself.")
    slug: str = Field(description="Appears in hosted page URLs: /p/{slug}/...")
    name: str
    default_language: Language
    created_at: Timestamp


class ApiKeyCreate(Input):
    name: Name
    scopes: list[Scope] = Field(
        default_factory=lambda: list[Scope](("read", "write")),
        min_length=1,
        description="read: GET; write: read plus changes; admin: write plus API keys.",
    )


class ApiKey(Output):
    id: str
    name: str
    hint: str = Field(description="The first characters of the key, to recognise it.")
    scopes: list[Scope]
    created_at: Timestamp
    revoked_at: Timestamp | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret. Shown once; store it now.")
