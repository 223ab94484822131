"""Blob storage: S3 in AWS, a directory on one machine (and in tests).

Logos, documents and rendered pages are blobs. Keys are built by the models; this module
only moves bytes.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import msgspec

from chalicelib.blob_links import LinkGrant, disposition, sign
from chalicelib.settings import get_settings


class Blob(msgspec.Struct, frozen=True):
    """Bytes with their content type and a strong ETag."""

    data: bytes
    content_type: str
    etag: str


class Served(msgspec.Struct, frozen=True):
    """How the CDN serves an object straight from the store: its `Cache-Control`, and the
    headers it carries as object metadata (`x-amz-meta-NAME`; a CloudFront Function turns
    them into response headers)."""

    cache_control: str
    metadata: dict[str, str]


def etag_of(data: bytes) -> str:
    """A strong ETag for the bytes (quoted, as HTTP wants it)."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


class BlobStore(Protocol):
    """Where blobs live."""

    def put(self, key: str, data: bytes, content_type: str, served: Served | None = None) -> Blob:
        """Store the bytes under the key, replacing what was there."""
        ...

    def get(self, key: str) -> Blob | None:
        """The blob under the key, or None."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob under the key, if there is one."""
        ...

    def download_link(self, key: str, content_type: str, file_name: str, expires: timedelta) -> str:
        """An address the client downloads the blob from directly, for a while."""
        ...

    def upload_link(self, key: str, content_type: str, size: int, expires: timedelta) -> str:
        """An address the client PUTs exactly `size` bytes of `content_type` to, for a
        while (the caller checks what arrived before using it)."""
        ...


def _replace_atomically(path: Path, data: bytes) -> None:
    # A partial file of its own per writer: two writers of one key never share one.
    partial = path.with_name(f"{path.name}.{secrets.token_hex(6)}.partial")
    partial.write_bytes(data)
    partial.replace(path)


class DirectoryBlobStore:
    """Blobs as files under a directory; the content type in a side file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str, served: Served | None = None) -> Blob:
        """Write the file atomically (write a temporary file, then rename); how a CDN would
        serve it in a side file of its own."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(path.with_name(path.name + ".type"), content_type.encode())
        if served is not None:
            _replace_atomically(path.with_name(path.name + ".served"), msgspec.json.encode(served))
        _replace_atomically(path, data)
        return Blob(data, content_type, etag_of(data))

    def download_link(self, key: str, content_type: str, file_name: str, expires: timedelta) -> str:
        """The app's own link (`/v1/blob-links`), signed with the key ring."""
        return _local_link(LinkGrant(key, "GET", content_type, _until(expires), 0, file_name))

    def upload_link(self, key: str, content_type: str, size: int, expires: timedelta) -> str:
        """The app's own link (`/v1/blob-links`), signed with the key ring."""
        return _local_link(LinkGrant(key, "PUT", content_type, _until(expires), size))

    def served(self, key: str) -> Served | None:
        """How the CDN would serve the file (tests and `make run` read it)."""
        side = self._path(key).with_name(self._path(key).name + ".served")
        return msgspec.json.decode(side.read_bytes(), type=Served) if side.is_file() else None

    def get(self, key: str) -> Blob | None:
        """Read the file, if there is one."""
        path = self._path(key)
        if not path.is_file():
            return None
        data = path.read_bytes()
        content_type = path.with_name(path.name + ".type").read_text()
        return Blob(data, content_type, etag_of(data))

    def delete(self, key: str) -> None:
        """Remove the file and its side file."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".type").unlink(missing_ok=True)
        path.with_name(path.name + ".served").unlink(missing_ok=True)


class S3BlobStore:
    """Blobs as objects in one bucket."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str, served: Served | None = None) -> Blob:
        """Upload the object (S3 replaces it whole: readers see old or new, never half)."""
        extra: dict[str, Any] = {}
        if served is not None:
            extra = {"CacheControl": served.cache_control, "Metadata": served.metadata}
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra
        )
        return Blob(data, content_type, etag_of(data))

    def get(self, key: str) -> Blob | None:
        """Download the object, if there is one."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        data = answer["Body"].read()
        return Blob(data, answer["ContentType"], etag_of(data))

    def delete(self, key: str) -> None:
        """Delete the object (a versioned bucket keeps the old version)."""
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_link(self, key: str, content_type: str, file_name: str, expires: timedelta) -> str:
        """A presigned GET that names the download and its type."""
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition(file_name),
        }
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=int(expires.total_seconds())
        )
        return url

    def upload_link(self, key: str, content_type: str, size: int, expires: timedelta) -> str:
        """A presigned PUT whose signature covers the type and the exact length: S3 refuses
        any other body."""
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size,
        }
        url: str = self.client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=int(expires.total_seconds())
        )
        return url


def _until(expires: timedelta) -> int:
    return int((datetime.now(UTC) + expires).timestamp())


def _local_link(grant: LinkGrant) -> str:
    from urllib.parse import quote

    base = get_settings().public_base_url
    return f"{base}/v1/blob-links?token={quote(sign(grant))}"


@functools.cache
def _store_for(bucket: str | None, directory: str, region: str) -> BlobStore:
    if bucket:
        import boto3  # only where S3 is used: Lambda has it, cold starts elsewhere skip it

        return S3BlobStore(bucket, boto3.client("s3", region_name=region))
    return DirectoryBlobStore(Path(directory))


def blob_store() -> BlobStore:
    """The process-wide blob store for the current settings."""
    settings = get_settings()
    if settings.blob_bucket is None and not settings.is_local:
        # An operator command against AWS would otherwise write pages to the laptop.
        raise RuntimeError("PORTWAY_BLOB_BUCKET must be set outside local stages")
    return _store_for(settings.blob_bucket, settings.blob_dir, settings.region)
