"""The site's own addresses: `/` sends people to the API reference, `/favicon.ico` is an
icon (both used to be API Gateway's "Missing Authentication Token" 403)."""

from __future__ import annotations

import struct

from tests.conftest import Api

BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def test_root_redirects_to_the_api_reference(chalice_client):
    response = Api(chalice_client, None).get("/")
    assert response.status_code == 302, response.body
    assert response.headers["Location"] == "/docs"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    followed = Api(chalice_client, None).get(response.headers["Location"])
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")


def test_root_needs_no_credentials_and_ignores_bad_ones(chalice_client):
    response = Api(chalice_client, "not-a-key").get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/docs"


def test_favicon_is_a_small_png_cached_for_long(chalice_client):
    response = Api(chalice_client, None).get("/favicon.ico", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "public" in cache
    assert int(cache.split("max-age=")[1].split(",")[0]) >= 30 * 24 * 3600
    data = response.body
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 2048
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (32, 32)


def test_favicon_passes_the_logo_check():
    # The same structural check uploaded logos pass: a complete PNG with every CRC right.
    from chalicelib.handlers.docs import _favicon
    from chalicelib.services.branding.images import check_png

    assert (check_png(_favicon()).width, check_png(_favicon()).height) == (32, 32)
