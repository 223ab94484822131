"""`portway keys`: the stage's key ring in SSM Parameter Store (a SecureString).

init    writes the first ring (refuses when one exists: a deploy never makes a new key)
rotate  adds a new key that signs from now on; every older key still verifies
retire  removes a key that no longer signs (docs/operations.md, "Keys": when it is safe)
show    the ids (each starts with the day it was made) and which one signs, never a secret
origin-header  the value the CDN sends to prove a request came through it
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import Any

from chalicelib import keyring


def parameter_name(stage: str) -> str:
    """Where the stage keeps its ring: PORTWAY_SECRET_PARAMETER, or `/portway/STAGE/keys`."""
    return os.environ.get("PORTWAY_SECRET_PARAMETER") or f"/portway/{stage}/keys"


def _client(region: str | None = None) -> Any:
    import boto3

    return boto3.client("ssm", region_name=region)


def _new_key_id(now: datetime) -> str:
    """The day it was made (so `show` tells the age) and a random part."""
    return f"{now:%Y%m%d}-{secrets.token_hex(2)}"


def _read(client: Any, name: str) -> keyring.KeyRing | None:
    try:
        value = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except client.exceptions.ParameterNotFound:
        return None
    return keyring.parse(value, f"the SSM parameter {name}")


def _write(client: Any, name: str, text: str, *, first: bool) -> None:
    client.put_parameter(
        Name=name,
        Value=text,
        Type="SecureString",
        Overwrite=not first,
        Description="Portway's key ring: the active key signs, every key verifies",
    )


def init(name: str, client: Any, now: datetime | None = None, current: str | None = None) -> str:
    """Write the first ring; the new key's id. KeyRingError when one exists. `current`: the
    single key a stage ran with before key rings (`PORTWAY_SECRET_KEY`), kept as `k0` so that
    what it made (second factors, webhook secrets) still opens and verifies."""
    if _read(client, name) is not None:
        raise keyring.KeyRingError(f"{name} exists already: use `portway keys rotate`")
    key_id = _new_key_id(now or datetime.now(UTC))
    previous = None
    if current:
        previous = keyring.parse(
            keyring.new_ring(keyring.LEGACY_KEY_ID, current), "PORTWAY_SECRET_KEY"
        )
    try:
        text = keyring.new_ring(key_id, secrets.token_urlsafe(48), previous)
        _write(client, name, text, first=True)
    except client.exceptions.ParameterAlreadyExists:
        raise keyring.KeyRingError(f"{name} exists already: use `portway keys rotate`") from None
    return key_id


def rotate(name: str, client: Any, now: datetime | None = None) -> str:
    """Add a new key that signs from now on; its id."""
    ring = _read(client, name)
    if ring is None:
        raise keyring.KeyRingError(f"{name} does not exist: use `portway keys init`")
    key_id = _new_key_id(now or datetime.now(UTC))
    _write(client, name, keyring.new_ring(key_id, secrets.token_urlsafe(48), ring), first=False)
    return key_id


def retire(name: str, client: Any, key_id: str) -> None:
    """Remove a key that no longer signs."""
    ring = _read(client, name)
    if ring is None:
        raise keyring.KeyRingError(f"{name} does not exist")
    _write(client, name, keyring.without(ring, key_id), first=False)


def read(name: str, client: Any) -> keyring.KeyRing:
    """The ring; KeyRingError when there is none."""
    ring = _read(client, name)
    if ring is None:
        raise keyring.KeyRingError(f"{name} does not exist: use `portway keys init`")
    return ring


def show(name: str, client: Any) -> list[str]:
    """One line per key: its id, and whether it signs."""
    ring = _read(client, name)
    if ring is None:
        raise keyring.KeyRingError(f"{name} does not exist: use `portway keys init`")
    return [
        f"{k}\t{'signs and verifies' if k == ring.active else 'verifies'}"
        for k in sorted(ring.keys)
    ]
