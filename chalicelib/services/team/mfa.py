"""A team member's second factor: TOTP (RFC 6238, six digits, 30 seconds) with `pyotp`.

The secret is sealed with AES-GCM under a key derived from the deployment's secret (the
member's id is the associated data, so a sealed secret copied to another member opens for
nobody). A code works once: the member remembers the last time step used, and every use is
conditioned on a later step in the same transaction as what the code unlocks.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime

from pynamodb.expressions.condition import Condition

from chalicelib.models import TeamMember
from chalicelib.settings import get_settings

# One step either side: a phone clock a little off still works.
VALID_WINDOW = 1
STEP_SECONDS = 30
ISSUER = "Portway"


def seal(member_id: str, secret: str) -> str:
    """The secret, encrypted for storage on this member."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(get_settings().second_factor_key).encrypt(
        nonce, secret.encode(), member_id.encode()
    )
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(member_id: str, stored: str) -> str | None:
    """The secret of a stored seal, or None when it does not open (another member's, or
    sealed under another key)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(stored.encode())
        plain = AESGCM(get_settings().second_factor_key).decrypt(
            raw[:12], raw[12:], member_id.encode()
        )
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


def uri(secret: str, email: str, tenant_name: str) -> str:
    """The `otpauth://` URI an authenticator app reads (as a QR code)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=f"{ISSUER} {tenant_name}")


def step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to (within one step of now), or None when it is
    wrong."""
    import pyotp

    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if totp.verify(code, for_time=step * STEP_SECONDS, valid_window=0):
            return step
    return None


def fresh_step(member: TeamMember, code: str | None, now: datetime) -> int | None:
    """The step of a right code the member has not used yet, or None."""
    if not code or not member.totp_secret:
        return None
    secret = unseal(member.member_id, member.totp_secret)
    step = step_of(secret, code, now) if secret else None
    if step is None or step <= int(member.totp_last_step or -1):
        return None
    return step


def unused_step(step: int) -> Condition:
    """The condition that spends a step: no later or equal step was used before."""
    unused: Condition = TeamMember.totp_last_step.does_not_exist() | (
        TeamMember.totp_last_step < step
    )
    return unused
