"""Files that go to the store first (larger than a request may carry), and links to files."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from chalicelib.operations import MAX_STAGED_BYTES
from chalicelib.schemas.common import Input, Output, Timestamp

# What may be sent this way: the types the upload endpoints take (documents, attachments,
# customer imports).
UploadType = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


class UploadCreate(Input):
    """The file's type and exact size in bytes: the link takes that file and nothing else."""

    content_type: UploadType
    size: Annotated[int, Meta(ge=1, le=MAX_STAGED_BYTES)]


class UploadLink(Output):
    """Where to PUT the file (with exactly this `Content-Type` and size), until `expires_at`;
    then send `{"upload_id": ...}` to the endpoint that takes the file, instead of the file."""

    upload_id: str
    url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: Timestamp
