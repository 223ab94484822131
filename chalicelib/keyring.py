"""The deployment's secret keys, each with an id: the active key signs, every key verifies.

What Portway signs or seals with a key carries that key's id (a cursor's middle part, an
access token's `kid` header, a sealed second factor's prefix, a webhook secret's salt), so
a new key can start signing while the previous one still verifies until it is retired.
Values from before key ids were made with the single `PORTWAY_SECRET_KEY`, whose id is `k0`.

Where the keys come from (read at a cold start, again every five minutes, and again when a
value names a key this process does not know, at most once a minute: a warm function learns
of a rotation from the first token signed under the new key, and of a retirement within
five minutes):
- `PORTWAY_SECRET_PARAMETER`: the name of an SSM Parameter Store SecureString holding the
  ring as JSON, `{"active": "2026-12", "keys": {"2026-12": "...", "2026-06": "..."}}`;
  `portway keys init|rotate|retire` write it (see docs/operations.md, "Keys");
- `PORTWAY_SECRET_KEYS`: the same JSON in the environment (local runs and tests);
- `PORTWAY_SECRET_KEY`: one key, id `k0` (local runs and tests).
"""

from __future__ import annotations

import hmac
import json
import re
import time
from collections.abc import Mapping

import msgspec

from chalicelib.settings import LOCAL_SECRET, Settings, get_settings

LEGACY_KEY_ID = "k0"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
MIN_SECRET_CHARS = 32


class KeyRingError(ValueError):
    """The configured keys cannot be used; the message names the setting."""


class KeyRing(msgspec.Struct, frozen=True):
    """Secret keys by id, and the id of the one that signs."""

    active: str
    keys: Mapping[str, bytes]

    def derive(self, purpose: str, key_id: str | None = None) -> bytes:
        """The key for one purpose (portal tokens, cursors, ...) from the key `key_id`
        (the active one when None); KeyError for an id that is not (or no longer) here."""
        secret = self.keys[key_id or self.active]
        return hmac.new(secret, f"portway {purpose}".encode(), "sha256").digest()

    def known(self, key_id: str) -> bool:
        """Whether a value signed under `key_id` can still be verified."""
        return key_id in self.keys


def parse(text: str, setting: str) -> KeyRing:
    """The ring written as JSON in `setting`; KeyRingError naming what is wrong."""
    try:
        data = json.loads(text)
    except ValueError:
        raise KeyRingError(f"{setting} is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise KeyRingError(f'{setting} must be {{"active": ID, "keys": {{ID: SECRET, ...}}}}')
    keys: dict[str, bytes] = {}
    for key_id, secret in data["keys"].items():
        if not KEY_ID.fullmatch(key_id):
            raise KeyRingError(f"{setting}: key id {key_id!r} is not 1-24 of A-Z a-z 0-9 _ -")
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_CHARS:
            raise KeyRingError(f"{setting}: key {key_id} is shorter than {MIN_SECRET_CHARS}")
        keys[key_id] = secret.encode()
    active = data.get("active")
    if active not in keys:
        raise KeyRingError(f"{setting}: the active key {active!r} is not among its keys")
    return KeyRing(active, keys)


def _read_parameter(name: str, region: str) -> str:
    import boto3  # Lambda has it; only stages that keep keys in SSM pay for the import

    client = boto3.client("ssm", region_name=region)
    answer = client.get_parameter(Name=name, WithDecryption=True)
    value: str = answer["Parameter"]["Value"]
    return value


def load(settings: Settings) -> KeyRing:
    """The ring the settings point at (SSM, the environment, or one key)."""
    if settings.secret_parameter:
        text = _read_parameter(settings.secret_parameter, settings.region)
        return parse(text, f"the SSM parameter {settings.secret_parameter}")
    if settings.secret_keys:
        return parse(settings.secret_keys, "PORTWAY_SECRET_KEYS")
    if settings.secret_key == LOCAL_SECRET and not settings.is_local:
        raise KeyRingError("PORTWAY_SECRET_PARAMETER must be set outside local stages")
    return KeyRing(LEGACY_KEY_ID, {LEGACY_KEY_ID: settings.secret_key.encode()})


# A ring read this long ago is read again at the next use: a rotation's new key starts
# signing, and a retired key stops verifying, in warm functions too, within five minutes.
MAX_AGE_SECONDS = 300.0
# An unknown key id makes the process read the ring again, at most this often.
RELOAD_INTERVAL_SECONDS = 60.0
_rings: dict[Settings, tuple[KeyRing, float]] = {}
_last_reload = [float("-inf")]


def keyring() -> KeyRing:
    """The process-wide ring for the current settings (read at the first use, then again
    when it is older than MAX_AGE_SECONDS)."""
    settings = get_settings()
    now = time.monotonic()
    found = _rings.get(settings)
    if found is None or now - found[1] > MAX_AGE_SECONDS:
        found = (load(settings), now)
        _rings[settings] = found
    return found[0]


def forget() -> None:
    """Read the ring again at the next use (tests; a process that knows it changed)."""
    _rings.clear()


def _reread() -> bool:
    """Read the ring again now, unless that was done less than a minute ago."""
    now = time.monotonic()
    if now - _last_reload[0] < RELOAD_INTERVAL_SECONDS:
        return False
    _last_reload[0] = now
    forget()
    return True


def verifying_key(purpose: str, key_id: str) -> bytes | None:
    """The key for `purpose` under `key_id`, reading the ring again (at most once a minute)
    when the id is unknown here; None for a key that is not, or no longer, in the ring."""
    ring = keyring()
    if not ring.known(key_id):
        if not _reread():
            return None
        ring = keyring()
        if not ring.known(key_id):
            return None
    return ring.derive(purpose, key_id)


ORIGIN_PURPOSE = "cdn origin header"


def origin_header(ring: KeyRing, key_id: str | None = None) -> str:
    """The value the CDN sends in `X-Portway-Origin` (a stack parameter, `portway keys
    origin-header`): proof that a request came through it, derived from a key of the ring."""
    return ring.derive(ORIGIN_PURPOSE, key_id).hex()


def from_the_cdn(value: str | None) -> bool:
    """Whether `value` is the origin header of any key in the ring (a rotation's overlap);
    a value that matches none makes the process read the ring again (at most once a minute),
    since the stack may send the header of a key this process has not read yet."""
    if not value:
        return False

    def matches() -> bool:
        ring = keyring()
        return any(
            hmac.compare_digest(value.encode(), origin_header(ring, key_id).encode())
            for key_id in ring.keys
        )

    return matches() or (_reread() and matches())


def new_ring(active: str, secret: str, previous: KeyRing | None = None) -> str:
    """The JSON of a ring where `active` signs and the previous ring's keys still verify."""
    keys = {k: v.decode() for k, v in (previous.keys.items() if previous else ())}
    keys[active] = secret
    text = json.dumps({"active": active, "keys": keys}, indent=1, sort_keys=True)
    parse(text, "the new ring")
    return text


def without(ring: KeyRing, key_id: str) -> str:
    """The JSON of the ring with `key_id` retired (never the active one)."""
    if key_id == ring.active:
        raise KeyRingError(f"{key_id} is the active key: rotate to a new key first")
    if key_id not in ring.keys:
        raise KeyRingError(f"{key_id} is not in the ring")
    keys = {k: v.decode() for k, v in ring.keys.items() if k != key_id}
    return json.dumps({"active": ring.active, "keys": keys}, indent=1, sort_keys=True)
