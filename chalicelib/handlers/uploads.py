"""Files larger than a request may carry: an upload link to the store, and the links the
store hands out on one machine (in AWS they are S3's presigned URLs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalice.app import Blueprint, Response

from chalicelib import blob_links, ids
from chalicelib.blobs import DirectoryBlobStore, blob_store
from chalicelib.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from chalicelib.handlers.router import Api, staged_key
from chalicelib.schemas import uploads as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="uploads")

UPLOAD_LINK_LIFETIME = timedelta(minutes=15)


@api.post("/v1/uploads", body=schemas.UploadCreate, response=schemas.UploadLink, status=201)
def create_upload(ctx: TenantContext, body: schemas.UploadCreate) -> schemas.UploadLink:
    """A link to PUT one file of up to 25 MB to, for 15 minutes; then give its `upload_id`
    (in a JSON body) to the endpoint that takes the file. The store forgets it after a day."""
    upload_id = ids.new_id("upl")
    link = blob_store().upload_link(
        staged_key(ctx.tenant_id, upload_id), body.content_type, body.size, UPLOAD_LINK_LIFETIME
    )
    return schemas.UploadLink(
        upload_id=upload_id,
        url=link,
        method="PUT",
        headers={"Content-Type": body.content_type},
        expires_at=rfc3339(datetime.now(UTC) + UPLOAD_LINK_LIFETIME),
    )


def _local_store() -> DirectoryBlobStore:
    store = blob_store()
    if not isinstance(store, DirectoryBlobStore):  # in AWS the links are S3's own
        raise NotFound("No such object.")
    return store


def _token() -> str:
    query = blueprint.current_request.query_params
    return str(query.get("token", "")) if query else ""


@api.get("/v1/blob-links", auth="public", produces=("application/octet-stream",))
def get_blob() -> Response:
    """A file through a download link (on one machine; S3 answers them in AWS)."""
    store = _local_store()
    grant = blob_links.verify(_token(), "GET")
    if grant is None:
        raise NotFound("This link is not valid, or it expired.")
    blob = store.get(grant.key)
    if blob is None:
        raise NotFound("No such object.")
    headers: dict[str, str | list[str]] = {
        "Content-Type": grant.content_type,
        "Content-Disposition": blob_links.disposition(grant.file_name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
        "Cache-Control": "private, no-store",
    }
    return Response(body=blob.data, status_code=200, headers=headers)


@api.put("/v1/blob-links", auth="public")
def put_blob() -> None:
    """A file through an upload link: exactly the type and size it was made for."""
    store = _local_store()
    request = blueprint.current_request
    grant = blob_links.verify(_token(), "PUT")
    if grant is None:
        raise NotFound("This link is not valid, or it expired.")
    raw = request.raw_body or b""
    data = raw.encode() if isinstance(raw, str) else raw
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != grant.content_type:
        raise UnsupportedMediaType(f"This link takes {grant.content_type} only.")
    if len(data) != grant.size:
        raise PayloadTooLarge(f"This link takes exactly {grant.size} bytes.")
    store.put(grant.key, data, content_type)
