"""Token: expiry is judged by the app (TTL deletes late or never), and idempotency
records live under a digest of tenant, caller and key."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.models import Token

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=24)


def _token(expires_at: datetime | None) -> Token:
    return Token(
        "d" * 64, kind="idempotency", tenant_id="ten_1", created_at=NOW, expires_at=expires_at
    )


def test_token_is_live_before_its_expiry():
    token = _token(EXPIRES)
    assert token.is_live(NOW)
    assert token.is_live(EXPIRES - timedelta(seconds=1))


@pytest.mark.parametrize(
    "late", [timedelta(seconds=1), timedelta(hours=47)], ids=["plus_1s", "plus_47h"]
)
def test_token_is_not_live_after_its_expiry_even_if_ttl_has_not_deleted_it(late):
    assert not _token(EXPIRES).is_live(EXPIRES + late)


def test_token_without_expiry_is_live_forever():
    token = _token(None)
    assert token.is_live(NOW)
    assert token.is_live(NOW + timedelta(days=3650))


def test_idempotency_digest_differs_by_tenant_actor_and_key():
    base = Token.idempotency_digest("ten_1", "api_key:key_1", "order-42")
    assert Token.idempotency_digest("ten_2", "api_key:key_1", "order-42") != base
    assert Token.idempotency_digest("ten_1", "api_key:key_2", "order-42") != base
    assert Token.idempotency_digest("ten_1", "api_key:key_1", "order-43") != base
    assert Token.idempotency_digest("ten_1", "api_key:key_1", "order-42") == base


def test_idempotency_digest_is_64_hex_chars_without_the_key():
    key = "my-secret-idempotency-key"
    value = Token.idempotency_digest("ten_1", "api_key:key_1", key)
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert key not in value
