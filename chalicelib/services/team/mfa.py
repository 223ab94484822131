"""A team member's second factor: TOTP (RFC 6238, six digits, 30 seconds) with `pyotp`.

The secret is sealed with AES-GCM under a key derived from the deployment's active key
(the member's id is the associated data, so a sealed secret copied to another member opens
for nobody). The seal starts with that key's id; a seal under an older key is sealed again
under the active one the next time its code is used, so retiring a key after the rotation
overlap (docs/operations.md, "Keys") locks out only members who never signed in meanwhile.
A code works once: the member remembers the last time step used, and every use is
conditioned on a later step in the same transaction as what the code unlocks.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.keyring import LEGACY_KEY_ID, keyring, verifying_key
from chalicelib.models import TeamMember

# One step either side: a phone clock a little off still works.
VALID_WINDOW = 1
STEP_SECONDS = 30
ISSUER = "Portway"
PURPOSE = "team second factors"


def seal(member_id: str, secret: str) -> str:
    """The secret, encrypted for storage on this member: `key id:nonce and ciphertext`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.derive(PURPOSE)).encrypt(nonce, secret.encode(), member_id.encode())
    return f"{ring.active}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def _key_id(stored: str) -> str:
    key_id, colon, _ = stored.rpartition(":")
    return key_id if colon else LEGACY_KEY_ID  # sealed before key ids


def unseal(member_id: str, stored: str) -> str | None:
    """The secret of a stored seal, or None when it does not open (another member's, or
    sealed under a key that is not in the ring)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = verifying_key(PURPOSE, _key_id(stored))
    if key is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(stored.rpartition(":")[2].encode())
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], member_id.encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


def spend(member: TeamMember, step: int) -> list[Action]:
    """The updates that spend a used code's step, sealing the secret again under the
    active key when it was sealed under an older one."""
    actions: list[Action] = [TeamMember.totp_last_step.set(step)]
    stored = member.totp_secret
    if stored and _key_id(stored) != keyring().active:
        secret = unseal(member.member_id, stored)
        if secret is not None:
            actions.append(TeamMember.totp_secret.set(seal(member.member_id, secret)))
    return actions


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
