"""Portal passwords: argon2id hashes, a length rule and a check against common passwords.

No composition rules (NIST SP 800-63B, ASVS V6): at least 12 characters, at most 128, not one
of the passwords attackers try first, and not the account's own e-mail address.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.errors import Invalid
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON = Path(__file__).resolve().parents[2] / "data" / "common-passwords.txt"


@functools.cache
def _hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    from argon2 import PasswordHasher  # on first use, not in every cold start

    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher() -> PasswordHasher:
    """The argon2id hasher of the current settings."""
    settings = get_settings()
    return _hasher(settings.argon2_memory_kib, settings.argon2_time_cost)


@functools.cache
def _common() -> frozenset[str]:
    return frozenset(line.strip().lower() for line in _COMMON.read_text().splitlines() if line)


def check(password: str, email: str, field: str = "password") -> None:
    """Refuse a password that is too short, too long, common, or the e-mail itself."""
    if len(password) < MIN_LENGTH:
        raise Invalid.field(field, f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid.field(field, f"use at most {MAX_LENGTH} characters")
    folded = password.lower()
    if folded in _common() or len(set(folded)) < 4:
        raise Invalid.field(field, "is one of the passwords tried first by attackers")
    if folded in {email.lower(), email.lower().split("@")[0]}:
        raise Invalid.field(field, "must not be your e-mail address")


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    return hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """True when the password matches the stored hash. With no hash (an unknown e-mail) a
    dummy hash is checked, so that the answer takes as long as for a known one."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash_for(memory_kib: int, time_cost: int) -> str:
    return _hasher(memory_kib, time_cost).hash("not anyone's password at all")


def _dummy_hash() -> str:
    settings = get_settings()
    return _dummy_hash_for(settings.argon2_memory_kib, settings.argon2_time_cost)
