"""Every setting Portway reads, read once per process from the environment.

Chalice sets a stage's `environment_variables` (`.chalice/config.json`) before the
handler runs; its test client sets them only while a call runs. Nothing here is read
at import time, so tests can set the environment first and call `reset_settings()`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import msgspec

# A key that is fine for a laptop and refused anywhere else (see `cursor_key`).
LOCAL_SECRET = "local-only-secret-do-not-deploy"  # noqa: S105
# Where `make run` starts DynamoDB Local. Not in .chalice/config.json on purpose: `chalice
# local` overwrites the environment with the stage's variables, and tests point it elsewhere.
LOCAL_DYNAMODB_ENDPOINT = "http://127.0.0.1:8765"


class Settings(msgspec.Struct, frozen=True):
    """The configuration of one stage."""

    stage: str
    table_prefix: str
    dynamodb_endpoint: str | None
    region: str
    secret_key: str
    # The key ring (chalicelib.keyring): a SecureString's name in SSM, or its JSON here.
    secret_parameter: str | None
    secret_keys: str | None
    public_base_url: str
    debug: bool
    max_body_bytes: int
    event_retention_days: int
    blob_bucket: str | None
    blob_dir: str
    argon2_memory_kib: int
    argon2_time_cost: int
    mail_transport: str
    mail_from: str
    # SES's configuration set (its bounces and complaints reach the `mail_events` function).
    mail_configuration_set: str | None
    outbox_dir: str
    # Webhooks may target loopback addresses (a receiver on this machine, over http too):
    # only ever in the local and test stages, whatever the environment says.
    webhook_allow_loopback: bool
    # The hosted pages' map tiles: a PMTiles archive (https://..., on S3 through CloudFront,
    # which must answer Range requests and allow the pages' origin by CORS). None: the base
    # map built into static_pages/map/ and served from our own origin.
    map_tiles_url: str | None
    # Behind the CDN in AWS: a request without the CDN's origin header is refused (it went
    # around the WAF, and its address would be the caller's claim).
    require_cdn: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from environment variables, with local defaults."""
        stage = env.get("PORTWAY_STAGE", "local")
        # (`chalice package` imports the app only to read its routes: nothing runs there.)
        if stage not in {"local", "test"} and not env.get("AWS_CHALICE_CLI_MODE"):
            _check_deployed(env)
        return cls(
            stage=stage,
            table_prefix=env.get("PORTWAY_TABLE_PREFIX", f"portway-{stage}-"),
            dynamodb_endpoint=env.get("PORTWAY_DYNAMODB_ENDPOINT")
            or (LOCAL_DYNAMODB_ENDPOINT if stage == "local" else None),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-central-1",
            secret_key=env.get("PORTWAY_SECRET_KEY", LOCAL_SECRET),
            secret_parameter=env.get("PORTWAY_SECRET_PARAMETER") or None,
            secret_keys=env.get("PORTWAY_SECRET_KEYS") or None,
            public_base_url=env.get("PORTWAY_PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/"),
            debug=env.get("PORTWAY_DEBUG", "false").lower() == "true",
            max_body_bytes=int(env.get("PORTWAY_MAX_BODY_BYTES", str(256 * 1024))),
            event_retention_days=int(env.get("PORTWAY_EVENT_RETENTION_DAYS", "400")),
            blob_bucket=env.get("PORTWAY_BLOB_BUCKET") or None,
            blob_dir=env.get("PORTWAY_BLOB_DIR", ".local/blobs"),
            # OWASP's argon2id minimum (19 MiB, 2 passes); tests lower it for speed only.
            argon2_memory_kib=int(env.get("PORTWAY_ARGON2_MEMORY_KIB", "19456")),
            argon2_time_cost=int(env.get("PORTWAY_ARGON2_TIME_COST", "2")),
            # SES in AWS; an outbox folder of .eml files on one machine and in tests.
            mail_transport=env.get(
                "PORTWAY_MAIL_TRANSPORT", "outbox" if stage in {"local", "test"} else "ses"
            ),
            mail_from=env.get("PORTWAY_MAIL_FROM", "Portway <no-reply@portway.localhost>"),
            mail_configuration_set=env.get("PORTWAY_MAIL_CONFIGURATION_SET") or None,
            outbox_dir=env.get("PORTWAY_OUTBOX_DIR", ".local/outbox"),
            webhook_allow_loopback=stage in {"local", "test"}
            and env.get("PORTWAY_WEBHOOK_ALLOW_LOOPBACK", "true").lower() == "true",
            map_tiles_url=_tiles_url(env.get("PORTWAY_MAP_TILES_URL", "").strip(), stage),
            require_cdn=stage not in {"local", "test"}
            and env.get("PORTWAY_REQUIRE_CDN", "false").lower() == "true",
        )

    @property
    def is_local(self) -> bool:
        """True when running against DynamoDB Local (or in tests)."""
        return self.stage in {"local", "test"}


class ConfigurationError(RuntimeError):
    """A deployed stage lacks a setting it cannot run without; the message names it."""


def _check_deployed(env: Mapping[str, str]) -> None:
    """Refuse to start a deployed stage that would send people to localhost, mail from an
    unverified sender or sign with the local key."""
    required = ("PORTWAY_PUBLIC_BASE_URL", "PORTWAY_MAIL_FROM")
    missing = [name for name in required if not env.get(name)]
    if not any(env.get(n) for n in ("PORTWAY_SECRET_PARAMETER", "PORTWAY_SECRET_KEYS")) and (
        env.get("PORTWAY_SECRET_KEY", LOCAL_SECRET) == LOCAL_SECRET
    ):
        missing.append("PORTWAY_SECRET_PARAMETER")
    if missing:
        raise ConfigurationError(
            f"stage {env.get('PORTWAY_STAGE')} cannot start without " + ", ".join(missing)
        )
    url = env["PORTWAY_PUBLIC_BASE_URL"]
    host = url.removeprefix("https://").split("/", 1)[0].split(":", 1)[0]
    if not url.startswith("https://") or host in {"", "localhost", "127.0.0.1", "[::1]"}:
        raise ConfigurationError(
            f"PORTWAY_PUBLIC_BASE_URL must be the stage's https address, not {url!r}"
        )


def _tiles_url(value: str, stage: str) -> str | None:
    """An https address of a `.pmtiles` archive (http only in local and test stages), a path
    on our origin, or nothing; anything else stops the process at once, not a page later."""
    if not value:
        return None
    schemes = ("https://", "http://") if stage in {"local", "test"} else ("https://",)
    valid = (value.startswith(schemes) and "/" in value.split("://", 1)[1]) or (
        value.startswith("/") and not value.startswith("//")
    )
    if (
        not valid
        or not value.split("?", 1)[0].endswith(".pmtiles")
        or any(c in value for c in " \"'<>;")
    ):
        raise ValueError(
            f"PORTWAY_MAP_TILES_URL must be an https URL of a .pmtiles file: {value!r}"
        )
    return value


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    return Settings.from_env(os.environ)


def reset_settings() -> None:
    """Forget the cached settings (tests and the operator CLI change the environment)."""
    get_settings.cache_clear()
