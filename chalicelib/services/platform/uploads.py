"""Files larger than a request may carry: upload links into the store, the staged file taken
by its upload id, and the store's own links on one machine (S3's presigned URLs in AWS)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from chalicelib import blob_links, ids
from chalicelib.blobs import Blob, DirectoryBlobStore, blob_store
from chalicelib.errors import Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType
from chalicelib.models.base import upload_blob_key
from chalicelib.operations import MAX_STAGED_BYTES, Upload
from chalicelib.schemas import uploads as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.services.platform import events
from chalicelib.services.platform.storage import Transaction
from chalicelib.tenancy import TenantContext

LINK_LIFETIME = timedelta(minutes=15)
_UPLOAD_ID = re.compile(r"upl_[A-Za-z0-9_-]{20,64}")


def create(ctx: TenantContext, body: schemas.UploadCreate) -> schemas.UploadLink:
    """A link to PUT one file of exactly the declared type and size to, for 15 minutes
    (`upload.link_created`: who brought which file in)."""
    upload_id = ids.new_id("upl")
    link = blob_store().upload_link(
        upload_blob_key(ctx.tenant_id, upload_id), body.content_type, body.size, LINK_LIFETIME
    )
    with Transaction() as tx:
        events.record(
            tx,
            ctx,
            "upload.link_created",
            upload_id,
            object_type="upload",
            data={"content_type": body.content_type, "size": body.size},
        )
    return schemas.UploadLink(
        upload_id=upload_id,
        url=link,
        method="PUT",
        headers={"Content-Type": body.content_type},
        expires_at=rfc3339(datetime.now(UTC) + LINK_LIFETIME),
    )


def take(ctx: TenantContext, upload_id: object, accepted: tuple[str, ...]) -> Upload:
    """The file put through an upload link, named by its id: only the caller's tenant's,
    only while it is there (a day), only of an accepted type. The caller removes it once
    used (`Upload.staged_key`)."""
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise Invalid.field("upload_id", "give the id POST /v1/uploads answered", code="required")
    key = upload_blob_key(ctx.tenant_id, upload_id)
    blob = blob_store().get(key)
    if blob is None:
        raise Invalid.field(
            "upload_id", "no such upload: it was never finished, or it expired", code="unknown"
        )
    if blob.content_type not in accepted:
        raise UnsupportedMediaType(f"The uploaded file must be one of: {', '.join(accepted)}.")
    if not blob.data or len(blob.data) > MAX_STAGED_BYTES:
        raise PayloadTooLarge(f"A file may be at most {MAX_STAGED_BYTES // 1024 // 1024} MB.")
    return Upload(blob.data, blob.content_type, key)


def _local_store() -> DirectoryBlobStore:
    store = blob_store()
    if not isinstance(store, DirectoryBlobStore):  # in AWS the links are S3's own
        raise NotFound("No such object.")
    return store


def linked(token: str) -> tuple[blob_links.LinkGrant, Blob]:
    """The file a download link names (on one machine); 404 for anything else."""
    store = _local_store()
    grant = blob_links.verify(token, "GET")
    blob = store.get(grant.key) if grant is not None else None
    if grant is None or blob is None:
        raise NotFound("This link is not valid, or it expired.")
    return grant, blob


def put_linked(token: str, data: bytes, content_type: str) -> None:
    """Store what an upload link was made for: exactly its type and size (on one machine)."""
    store = _local_store()
    grant = blob_links.verify(token, "PUT")
    if grant is None:
        raise NotFound("This link is not valid, or it expired.")
    if content_type != grant.content_type:
        raise UnsupportedMediaType(f"This link takes {grant.content_type} only.")
    if len(data) != grant.size:
        raise PayloadTooLarge(f"This link takes exactly {grant.size} bytes.")
    store.put(grant.key, data, content_type)
