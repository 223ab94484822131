"""What every Portway table model shares: lazy table names and one DynamoDB client.

PynamoDB reads `Meta` attributes when it first connects. Here they are properties of
the `Meta` class (through `TableMeta`), computed from the settings at that moment, so a
test or the operator CLI can point the models at moto, DynamoDB Local or a stage
without re-importing anything. PynamoDB gives every model its own botocore client; we
hand all models one shared `Connection`, so a Lambda process creates one client.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, cast

from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import Index
from pynamodb.models import Model

from chalicelib.settings import get_settings

# Every table model, in definition order: infra rendering and local setup walk this.
TABLE_MODELS: list[type[PortwayModel]] = []

# DynamoDB Local wants credentials but checks none.
_LOCAL_CREDENTIAL = "local"


class TableMeta(type):
    """Metaclass of a model's `Meta`: table name, endpoint and region come from settings."""

    base_name: str
    # NEW_IMAGE for a table whose changes consumers read from its DynamoDB stream.
    stream_view_type: str | None = None

    @property
    def table_name(cls) -> str:
        """The stage's table name: prefix + base name."""
        return get_settings().table_prefix + cls.base_name

    @property
    def host(cls) -> str | None:
        """DynamoDB Local's URL, or None for AWS."""
        return get_settings().dynamodb_endpoint

    @property
    def region(cls) -> str:
        """The AWS region."""
        return get_settings().region

    @property
    def aws_access_key_id(cls) -> str | None:
        """Dummy credentials for DynamoDB Local; None means the usual chain."""
        return _LOCAL_CREDENTIAL if get_settings().dynamodb_endpoint else None

    @property
    def aws_secret_access_key(cls) -> str | None:
        """Dummy credentials for DynamoDB Local; None means the usual chain."""
        return _LOCAL_CREDENTIAL if get_settings().dynamodb_endpoint else None


@functools.cache
def _connection_for(host: str | None, region: str) -> Connection:
    local = _LOCAL_CREDENTIAL if host else None
    return Connection(
        region=region,
        host=host,
        max_retry_attempts=3,  # standard retry mode: throttling is retried with backoff
        aws_access_key_id=local,
        aws_secret_access_key=local,
    )


def connection() -> Connection:
    """The process-wide PynamoDB connection for the current settings."""
    settings = get_settings()
    return _connection_for(settings.dynamodb_endpoint, settings.region)


def base_name(model: type[Model]) -> str:
    """The stage-independent part of a model's table name (`customers`)."""
    return cast(TableMeta, model.Meta).base_name


class PortwayModel(Model):
    """Base of all table models: registers the table and shares the connection."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        TABLE_MODELS.append(cls)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        shared = connection()
        if table.connection is not shared:
            name = cls.Meta.table_name
            if name not in shared._tables:
                shared.add_meta_table(table.connection.get_meta_table(name))
            table.connection = shared
        return table

    @classmethod
    def key_names(cls, index: type[Index[Any]] | None = None) -> list[str]:
        """Attribute names that locate an item in the table, or in one of its indexes."""
        names = [cls._hash_keyname, cls._range_keyname]
        if index is not None:
            names += [
                attr.attr_name
                for attr in index.Meta.attributes.values()
                if attr.is_hash_key or attr.is_range_key
            ]
        return [name for name in dict.fromkeys(names) if name]


def key_time(time: datetime) -> str:
    """A time inside a sort key: UTC, always with milliseconds (`2026-11-22T10:00:00.000Z`),
    so that keys sort as the times do."""
    return time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def search_text_for(*parts: str | None) -> str:
    """What a list's search matches of an item: its words lower-cased, one per line."""
    return "\n".join(p.casefold() for p in parts if p)


def upload_blob_key(tenant_id: str, upload_id: str) -> str:
    """Where an upload link puts a tenant's file (`POST /v1/uploads`; the bucket forgets it
    after a day)."""
    return f"uploads/{tenant_id}/{upload_id}"
