"""The page store: rendered hosted pages with the headers they are served with.

A page view reads one blob and answers with it; nothing here imports Jinja2 or touches
DynamoDB. A stored page is one line of JSON (its response headers, including the CSP with
the tenant's `frame-ancestors` and the hashes of its inline style and script), a newline,
then the HTML. Keeping the headers inside the blob makes a view one read in both stores
(S3 object metadata would cap the tenant's origin list at 2 KB).

Keys: `pages/{slug}/{page}/{variant}/{language}.html`, where the variant is a portal id or
`_` for the tenant's own page, and `default.html` holds the tenant's default language.

In AWS the CDN serves pages without the function: each page is also stored as plain HTML
under `site/p/{slug}/{page}/{variant}/{language}`, its CSP and other headers as object
metadata, which a CloudFront Function turns back into headers (infra/cloudfront/). S3 caps
an object's metadata at 2 KB; a page whose headers do not fit (a tenant with many long
origins) is not stored there, so the CDN falls back to the function for it, which answers
from the form above with every header.
"""

from __future__ import annotations

import json
import re

import msgspec

from chalicelib.blobs import Blob, BlobStore, Served, blob_store

# The languages pages are rendered in (the first is the fallback of last resort).
LANGUAGES = ("en", "de", "da")
PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
DEFAULT = "default"
TENANT_VARIANT = "_"
NOT_FOUND_PAGE = "not-found"
# Pages a URL may name. Anything else is answered by the tenant's not-found page; a
# requested name never reaches a key unless it is on this list.
PAGES = frozenset({"portal", "invite", "signup", "self-service", "tracking"})
# Pages of one portal (the variant is the portal id).
PORTAL_PAGES = ("portal", "invite")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_VARIANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Sent with every page-route answer of a tenant we do not know, or when nothing is stored.
NO_FRAMING = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_FALLBACK_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    "</head><body><p>{text}</p></body></html>"
)


class StoredPage(msgspec.Struct, frozen=True):
    """A page as served: status, headers, HTML and its ETag."""

    status: int
    headers: dict[str, str | list[str]]
    html: str
    etag: str


def page_key(slug: str, page: str, variant: str, language: str) -> str:
    """The blob key of one rendered page in one language (or `default`)."""
    return f"pages/{slug}/{page}/{variant}/{language}.html"


def site_key(slug: str, page: str, variant: str, language: str) -> str:
    """The key the CDN reads a page from (the path its viewer-request function makes)."""
    return f"site/p/{slug}/{page}/{variant}/{language}"


# S3 counts the names and values of an object's user metadata, at most 2 KB in all.
METADATA_BYTES = 2048
# Headers the CDN sets from metadata (the viewer-response function's list); Content-Type and
# Cache-Control are S3's own.
SERVED_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def served(headers: dict[str, str]) -> Served | None:
    """How the CDN serves a page with these headers, or None when they do not fit in S3's
    metadata."""
    metadata = {name.lower(): headers[name] for name in SERVED_HEADERS if name in headers}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > METADATA_BYTES or not all(v.isascii() for v in metadata.values()):
        return None
    return Served(headers.get("Cache-Control", "no-store"), metadata)


def preview_key(preview_id: str) -> str:
    """The blob key of a page preview (a draft's page, kept for minutes)."""
    return f"previews/{preview_id}.html"


def encode(headers: dict[str, str], html: str) -> bytes:
    """The stored form: the headers as one JSON line, then the HTML."""
    return json.dumps(headers, separators=(",", ":")).encode() + b"\n" + html.encode()


def decode(blob: Blob, status: int = 200) -> StoredPage:
    """A stored page back from its blob."""
    head, _, body = blob.data.partition(b"\n")
    headers: dict[str, str | list[str]] = json.loads(head)
    return StoredPage(status, {**headers, "ETag": blob.etag}, body.decode(), blob.etag)


def fallback(status: int = 404) -> StoredPage:
    """A plain page for a tenant we do not know, or when the store failed: not framable."""
    headers: dict[str, str | list[str]] = {
        "Content-Type": PAGE_CONTENT_TYPE,
        "Content-Security-Policy": NO_FRAMING,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if status == 404:
        html = _FALLBACK_HTML.format(title="Not found", text="This page does not exist.")
    else:
        html = _FALLBACK_HTML.format(
            title="Not available", text="This page is not available just now; try again shortly."
        )
    return StoredPage(status, headers, html, "")


def preferred_language(accept_language: str | None) -> str | None:
    """The language we speak that the browser's `Accept-Language` ranks highest (`da,
    en;q=0.8` -> `da`), or None. Only the primary subtag counts (`de-AT` is `de`); `q=0`
    means "not this one"; on equal weight the browser's order wins."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, index, primary))
    return min(ranked)[2] if ranked else None


def _language_or_default(language: str | None) -> str:
    # Compared with the allowlist only: an unknown or hostile value means the default.
    return language if language in LANGUAGES else DEFAULT


def find(
    slug: str,
    page: str,
    variant: str | None,
    language: str | None,
    store: BlobStore | None = None,
) -> StoredPage:
    """The stored page for a request, else the tenant's not-found page (404), else a
    plain 404 that may not be framed. One read when the page exists."""
    store = store or blob_store()
    if not _SLUG.fullmatch(slug):
        return fallback()
    chosen = _language_or_default(language)
    # `_` names the tenant's own page in the store; as a portal id it names nothing.
    known_variant = variant is None or (
        variant != TENANT_VARIANT and _VARIANT.fullmatch(variant) is not None
    )
    if page in PAGES and known_variant:
        blob = store.get(page_key(slug, page, variant or TENANT_VARIANT, chosen))
        if blob is not None:
            return decode(blob)
    blob = store.get(page_key(slug, NOT_FOUND_PAGE, TENANT_VARIANT, chosen))
    return decode(blob, 404) if blob is not None else fallback()


def not_modified(page: StoredPage, if_none_match: str | None) -> bool:
    """True when the client's ETag list names this page's ETag."""
    if not if_none_match or not page.etag:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or page.etag in tags or f"W/{page.etag}" in tags
