"""The site's own addresses: `/` sends people to the console, `/favicon.ico` is an icon (both
used to be API Gateway's "Missing Authentication Token" 403); the console's files are served
with a strict CSP, its bundles cached by content hash."""

from __future__ import annotations

import re
import struct

from tests.conftest import Api

BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def test_root_redirects_to_the_console(chalice_client):
    response = Api(chalice_client, None).get("/")
    assert response.status_code == 302, response.body
    assert response.headers["Location"] == "/console"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    followed = Api(chalice_client, None).get(response.headers["Location"])
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")


def test_root_needs_no_credentials_and_ignores_bad_ones(chalice_client):
    response = Api(chalice_client, "not-a-key").get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console"


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


def test_the_console_is_served_with_a_strict_csp_and_hashed_bundles(chalice_client):
    page = Api(chalice_client, None).get("/console", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.body
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["Cache-Control"] == "no-cache"
    html = page.body.decode()
    assert "<script>" not in html  # nothing inline
    scripts = re.findall(r'src="(/console/assets/main-[A-Z0-9]+\.js)"', html)
    assert len(scripts) == 1
    bundle = Api(chalice_client, None).get(scripts[0], headers={"Accept": "text/javascript"})
    assert bundle.status_code == 200
    assert bundle.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in bundle.headers["Cache-Control"]
    assert len(bundle.body) < 150 * 1024  # the first screen's JavaScript, before compression


def test_console_files_outside_the_build_are_not_found(chalice_client):
    for name in ["..%2F..%2Fapp.py", "index.html", "main.js.map", "x.py"]:
        answer = Api(chalice_client, None).get(f"/console/assets/{name}")
        assert answer.status_code == 404, name
