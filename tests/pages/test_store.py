"""The page store on its own: which keys a request may read, ETags, the stored form."""

from __future__ import annotations

import pytest

from chalicelib.blobs import Blob, etag_of
from chalicelib.pages import store


class Memory:
    """A blob store in a dict that remembers which keys were asked for."""

    def __init__(self, **pages: bytes) -> None:
        self.blobs = {
            key: Blob(data, store.PAGE_CONTENT_TYPE, etag_of(data)) for key, data in pages.items()
        }
        self.asked: list[str] = []

    def get(self, key: str) -> Blob | None:
        self.asked.append(key)
        return self.blobs.get(key)


HEADERS = {"Content-Security-Policy": "frame-ancestors https://a.example.com"}


def _stored(page: str, variant: str, language: str, html: str) -> dict[str, bytes]:
    return {store.page_key("acme", page, variant, language): store.encode(HEADERS, html)}


def _tenant_store() -> Memory:
    return Memory(
        **_stored("portal", "_", "de", "<p>de\nzwei</p>"),
        **_stored("portal", "_", "default", "<p>default</p>"),
        **_stored("not-found", "_", "default", "<p>missing</p>"),
        **_stored("not-found", "_", "de", "<p>fehlt</p>"),
    )


def test_a_stored_page_is_one_read_with_its_headers_and_etag():
    blobs = _tenant_store()
    page = store.find("acme", "portal", None, "de", blobs)
    assert blobs.asked == ["pages/acme/portal/_/de.html"]
    assert (page.status, page.html) == (200, "<p>de\nzwei</p>")
    assert page.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert page.headers["ETag"] == page.etag != ""


@pytest.mark.parametrize("language", [None, "xx", "DE", "../../x", "default", "de/../en"])
def test_unknown_language_reads_only_the_default_copy(language):
    blobs = _tenant_store()
    assert store.find("acme", "portal", None, language, blobs).html == "<p>default</p>"
    assert blobs.asked == ["pages/acme/portal/_/default.html"]


@pytest.mark.parametrize(
    ("page", "variant"),
    [
        ("../portal", None),
        ("portal/../x", None),
        ("other", None),
        ("portal", "../_"),
        ("portal", "a/b"),
        ("portal", ""),
        ("portal", "x" * 65),
    ],
)
def test_unknown_page_or_variant_never_reaches_a_key_and_gets_the_tenants_404(page, variant):
    blobs = _tenant_store()
    found = store.find("acme", page, variant, "de", blobs)
    assert (found.status, found.html) == (404, "<p>fehlt</p>")
    assert blobs.asked == ["pages/acme/not-found/_/de.html"]


@pytest.mark.parametrize("slug", ["ACME", "../acme", "acme/portal", "-acme", "a" * 41, ""])
def test_invalid_slug_reads_nothing_and_gets_a_page_nobody_may_frame(slug):
    blobs = _tenant_store()
    found = store.find(slug, "portal", None, "de", blobs)
    assert blobs.asked == []
    assert found.status == 404
    assert "frame-ancestors 'none'" in found.headers["Content-Security-Policy"]


def test_a_tenant_without_stored_pages_gets_the_plain_404():
    found = store.find("unknown", "portal", None, None, Memory())
    assert found.status == 404
    assert "frame-ancestors 'none'" in found.headers["Content-Security-Policy"]
    assert found.headers["Cache-Control"] == "no-store"


def test_unavailable_fallback_says_so_and_may_not_be_framed():
    found = store.fallback(503)
    assert found.status == 503
    assert "not available" in found.html
    assert "frame-ancestors 'none'" in found.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc"', True),
        ('"x", "abc"', True),
        ('W/"abc"', True),
        ("*", True),
        ('"abd"', False),
        ("abc", False),
        ("", False),
        (None, False),
    ],
)
def test_not_modified_compares_the_clients_etag_list(header, expected):
    page = store.StoredPage(200, {}, "", '"abc"')
    assert store.not_modified(page, header) is expected


def test_a_page_without_etag_is_never_not_modified():
    assert not store.not_modified(store.fallback(), "*")


def test_encode_and_decode_keep_headers_and_html():
    data = store.encode({"A": "b\nc"}, "<p>\nline</p>")
    page = store.decode(Blob(data, store.PAGE_CONTENT_TYPE, '"e"'), 404)
    assert page.headers == {"A": "b\nc", "ETag": '"e"'}
    assert (page.status, page.html, page.etag) == (404, "<p>\nline</p>", '"e"')


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", "de"),
        ("en-GB, da;q=0.95", "en"),
        ("da;q=0.5, de;q=0.5", "da"),  # equal weight: the browser's order
        ("fr, nb;q=0.9", None),
        ("*", None),
        ("", None),
        (None, None),
        ("de;q=abc, da;q=0.2", "da"),  # a weight that is not a number counts as 0
        ("DA", "da"),
        ("de;q=0", None),
        (",,;;q=,", None),
    ],
)
def test_preferred_language_of_accept_language(header, language):
    assert store.preferred_language(header) == language
