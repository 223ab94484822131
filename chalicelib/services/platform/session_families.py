"""Session families: what portal and console sessions share.

A session is a family item (live until signed out, revoked, or its time is up) and a chain
of refresh tokens (256-bit secrets stored as digests). Each refresh spends the token it
presents and issues the next of the same family. A spent token presented again was stolen or
replayed: its family is revoked. Inside a short grace window a spent token is a client racing
itself (a few tabs refreshing at once) and gets a pair of the same family, a few times only.
A session lasts `REFRESH_TTL` from its sign-in; refreshing never extends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import UpdateError

from chalicelib import credentials
from chalicelib.errors import Unauthorized
from chalicelib.ids import new_id
from chalicelib.models import Token
from chalicelib.services.platform.storage import Transaction, condition_failed

REFRESH_TTL = timedelta(days=30)
REFRESH_GRACE = timedelta(seconds=20)
GRACE_USES = 4
INVALID_REFRESH = "The refresh token is not valid; sign in again."


class Kinds(msgspec.Struct, frozen=True):
    """The `Token` kinds of one sort of session: its family item, its refresh tokens."""

    family: str
    refresh: str


PORTAL = Kinds("session", credentials.REFRESH_KIND)
TEAM = Kinds("team_session", credentials.TEAM_REFRESH_KIND)


def family_digest(kinds: Kinds, session_id: str) -> str:
    """Where a session's family item lives."""
    return Token.named_digest(kinds.family, session_id)


def refresh_item(
    kinds: Kinds, session_id: str, lineage: dict[str, Any], now: datetime, expires: datetime
) -> tuple[str, Token]:
    """A new refresh token of the family (unsaved) and its secret; `lineage` is what the
    session lives from (tenant, subject, epoch, ...), remembered by every token."""
    secret = credentials.mint(credentials.REFRESH_PREFIX)
    item = Token(
        credentials.digest_of(secret),
        kind=kinds.refresh,
        family_id=session_id,
        state="live",
        created_at=now,
        expires_at=expires,
        **lineage,
    )
    return secret, item


def start(tx: Transaction, kinds: Kinds, lineage: dict[str, Any], now: datetime) -> tuple[str, str]:
    """Add a new family and its first refresh token to a transaction: (session id, refresh
    secret)."""
    session_id = new_id("ses")
    family = Token(
        family_digest(kinds, session_id),
        kind=kinds.family,
        state="live",
        created_at=now,
        expires_at=now + REFRESH_TTL,
        **lineage,
    )
    secret, first = refresh_item(kinds, session_id, lineage, now, now + REFRESH_TTL)
    tx.save(family, condition=Token.digest.does_not_exist())
    tx.save(first, condition=Token.digest.does_not_exist())
    return session_id, secret


def live_refresh(token: Token | None, now: datetime) -> Token:
    """A redeemed refresh token, if it is live and of a family; else 401."""
    if token is None or not token.is_live(now) or token.family_id is None:
        raise Unauthorized(INVALID_REFRESH)
    return token


def refuse_reuse(kinds: Kinds, old: Token, now: datetime) -> None:
    """401 for a token that cannot be spent: one spent before the grace window (its family
    is revoked: someone holds a copy), or one revoked or replaced."""
    if old.state == "spent" and not (
        old.spent_at is not None and now - old.spent_at <= REFRESH_GRACE
    ):
        revoke(kinds, old.family_id or "")
        raise Unauthorized("The refresh token was used before; every session of it is closed.")
    if old.state not in ("live", "spent"):
        raise Unauthorized(INVALID_REFRESH)


def spend(tx: Transaction, kinds: Kinds, old: Token, now: datetime) -> None:
    """Add to a transaction: spend `old` (inside the grace window, count one more use of
    it), conditioned on its family being live. Labels: `old`, `family`."""
    if old.state == "live":
        spent = [Token.state.set("spent"), Token.spent_at.set(now)]
        tx.update_unversioned(old, spent, Token.state == "live", label="old")
    else:
        still = (Token.state == "spent") & (Token.spent_at >= now - REFRESH_GRACE)
        left = Token.hits.does_not_exist() | (Token.hits < GRACE_USES)
        tx.update_unversioned(old, [Token.hits.add(1)], still & left, label="old")
    live = (Token.state == "live") & (Token.expires_at > now)
    tx.check(Token, family_digest(kinds, old.family_id or ""), None, live, label="family")


def close(tx: Transaction, kinds: Kinds, session_id: str) -> None:
    """Add to a transaction: close a live session (condition: it is live)."""
    tx.update_unversioned(
        Token(family_digest(kinds, session_id)),
        [Token.state.set("revoked")],
        Token.state == "live",
    )


def revoke(kinds: Kinds, session_id: str) -> None:
    """Close a session now, whatever its state: none of its tokens work any more. A session
    whose item is gone already is closed either way."""
    try:
        Token(family_digest(kinds, session_id)).update(
            actions=[Token.state.set("revoked")], condition=Token.digest.exists()
        )
    except UpdateError as exc:
        if not condition_failed(exc):
            raise


def is_live(kinds: Kinds, family: object, now: datetime) -> bool:
    """Whether the family item read for a request (by its session's digest) is a family of
    this sort of session and still live."""
    return (
        isinstance(family, Token)
        and family.kind == kinds.family
        and family.state == "live"
        and family.is_live(now)
    )
