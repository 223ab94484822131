"""Files larger than a request may carry: an upload link to the store, and the links the
store hands out on one machine (in AWS they are S3's presigned URLs)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import blob_links
from chalicelib.handlers.router import Api, media_type
from chalicelib.schemas import uploads as schemas
from chalicelib.services.platform import uploads
from chalicelib.tenancy import TenantContext

blueprint = Blueprint(__name__)
api = Api(blueprint, tag="uploads")


@api.post(
    "/v1/uploads", body=schemas.UploadCreate, response=schemas.UploadLink, status=201
)  # upload.link_created
def create_upload(ctx: TenantContext, body: schemas.UploadCreate) -> schemas.UploadLink:
    """A link to PUT one file of up to 25 MB to, for 15 minutes; then give its `upload_id`
    (in a JSON body) to the endpoint that takes the file. The store forgets it after a day."""
    return uploads.create(ctx, body)


def _token() -> str:
    query = blueprint.current_request.query_params
    return str(query.get("token", "")) if query else ""


@api.get("/v1/blob-links", auth="public", produces=("application/octet-stream",))
def get_blob() -> Response:
    """A file through a download link (on one machine; S3 answers them in AWS)."""
    grant, blob = uploads.linked(_token())
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
    request = blueprint.current_request
    raw = request.raw_body or b""
    uploads.put_linked(_token(), raw.encode() if isinstance(raw, str) else raw, media_type(request))
