"""The registry of API operations: what each route takes, answers and requires.

Handlers declare their routes through `chalicelib.handlers.router.Api`, which records an
`Operation` here; the OpenAPI document and the authorization-matrix test read it.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

# api_key: a provider's key; portal: a portal user's access token; anonymous: no
# credentials, but the view acts (sign in, accept a link) and learns the source address;
# public: no credentials, a plain read (documents, pages, logos); self_service: a
# contract's self-service token.
Auth = Literal["api_key", "staff", "portal", "anonymous", "public", "self_service"]
# `If-Match: "3"` (or W/"3", or 3): the version a change is based on.
IF_MATCH_PATTERN = r'^(?:W/)?(?:"(\d{1,12})"|(\d{1,12}))$'


class Operation(msgspec.Struct, frozen=True):
    """One method on one path."""

    method: str
    path: str
    name: str
    summary: str
    tag: str
    status: int
    auth: Auth
    scope: str | None
    body: type[Struct] | None
    response: type[Struct] | None
    paginated: bool
    query: type[Struct] | None
    upload: tuple[str, ...]
    produces: tuple[str, ...]
    idempotent: bool
    versioned: bool
    # Errors answered as HTML pages (hosted pages), not problem+json.
    html_errors: bool = False
    # Open to the tracking page's sessions (which may call nothing else).
    tracking: bool = False
    # A portal call that checks its session's sources in its own batch read, before it writes
    # anything (one call less); every other portal call has them checked before the view.
    folds_session_check: bool = False
    # Its path names a file (`main-4F2K.js`): an id with an extension.
    file_names: bool = False


class Upload(msgspec.Struct, frozen=True):
    """A file (an image, a PDF) with its content type: the request's raw body, or a file the
    client put in the store first (`POST /v1/uploads`), removed once the view has used it."""

    data: bytes
    content_type: str
    staged_key: str | None = None


# A body travels base64-encoded through API Gateway to Lambda, which takes at most 6 MB:
# 4 MiB is 5.6 MB encoded. Larger files go to the store first (`POST /v1/uploads`).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_STAGED_BYTES = 25 * 1024 * 1024

OPERATIONS: list[Operation] = []
