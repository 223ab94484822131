"""Pages for the CDN: each page is also stored as plain HTML with its headers as object
metadata at the key the CDN's viewer-request function makes of its address; a page whose
headers do not fit there is left to the function, which the CDN asks when the bucket has
no copy (origin failover), and which always answers with a page."""

from __future__ import annotations

from chalicelib.blobs import blob_store
from chalicelib.pages import store
from chalicelib.schemas.themes import MAX_ORIGINS
from tests.conftest import Api


def _portal(api: Api) -> str:
    return _customer_portal(api)[1]


def _customer_portal(api: Api) -> tuple[str, str]:
    customer = api.post("/v1/customers", {"name": "Hafen AG"}).json_body["id"]
    answer = api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]})
    assert answer.status_code in (200, 201), answer.body
    api.stream.drain()  # the page consumer publishes the pages
    return customer, str(answer.json_body["id"])


def _slug(api: Api) -> str:
    return str(api.get("/v1/tenant").json_body["slug"])


def test_a_page_is_stored_for_the_cdn_with_its_headers_as_metadata(api, anonymous):
    portal_id = _portal(api)
    slug = _slug(api)
    served = anonymous.get(f"/p/{slug}/portal?portal={portal_id}&language=de")
    assert served.status_code == 200
    copy = blob_store().get(store.site_key(slug, "portal", portal_id, "de"))
    assert copy is not None
    assert copy.data.decode() == served.body.decode()
    assert copy.content_type == store.PAGE_CONTENT_TYPE
    how = blob_store().served(store.site_key(slug, "portal", portal_id, "de"))
    assert how.cache_control == served.headers["Cache-Control"]
    assert how.metadata == {
        "content-security-policy": served.headers["Content-Security-Policy"],
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    # The tenant's default language has its copy under `default`.
    assert blob_store().get(store.site_key(slug, "portal", portal_id, store.DEFAULT))


def test_a_page_whose_headers_do_not_fit_is_left_to_the_function(api, anonymous):
    portal_id = _portal(api)
    slug = _slug(api)
    key = store.site_key(slug, "portal", portal_id, "en")
    assert blob_store().get(key) is not None
    long_origins = [f"https://{'a' * 60}{i}.shop.example.com" for i in range(MAX_ORIGINS)]
    answer = api.put("/v1/settings/embedding", {"allowed_origins": long_origins})
    assert answer.status_code == 200, answer.body
    api.stream.drain()
    assert blob_store().get(key) is None  # a stale copy would frame-deny those origins
    # The CDN then asks the function, which answers with every origin allowed.
    fallback = anonymous.get(f"/site/p/{slug}/portal/{portal_id}/en")
    assert fallback.status_code == 200
    policy = fallback.headers["Content-Security-Policy"]
    assert all(origin in policy for origin in long_origins)
    api.put("/v1/settings/embedding", {"allowed_origins": ["https://shop.example.com"]})
    api.stream.drain()
    assert blob_store().get(key) is not None


def test_the_function_answers_the_cdns_fallback_with_the_page_or_the_tenants_not_found(
    api, anonymous
):
    portal_id = _portal(api)
    slug = _slug(api)
    page = anonymous.get(f"/site/p/{slug}/portal/{portal_id}/da")
    assert page.status_code == 200
    assert 'lang="da"' in page.body.decode()
    default = anonymous.get(f"/site/p/{slug}/portal/{portal_id}/default")
    assert default.status_code == 200
    for path in (
        f"/site/p/{slug}/portal/prt_nope/en",
        f"/site/p/{slug}/nothing/_/en",
    ):
        missing = anonymous.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["Content-Type"].startswith("text/html")
        assert "frame-ancestors" in missing.headers["Content-Security-Policy"]
    unknown = anonymous.get("/site/p/no-such-tenant-0000/portal/_/en")
    assert unknown.status_code == 404
    assert "frame-ancestors 'none'" in unknown.headers["Content-Security-Policy"]


def test_a_deleted_portals_copies_go_with_it(api):
    customer, portal_id = _customer_portal(api)
    slug = _slug(api)
    assert api.delete(f"/v1/customers/{customer}/portal").status_code == 204
    api.stream.drain()
    for language in (*store.LANGUAGES, store.DEFAULT):
        assert blob_store().get(store.site_key(slug, "portal", portal_id, language)) is None


def test_a_logo_is_copied_for_the_cdn_and_goes_with_its_theme(api):
    from chalicelib.models import Theme
    from tests.samples import tiny_png

    slug = _slug(api)
    theme = api.post("/v1/themes", {"name": "Brand"}).json_body["id"]
    put = api.put(
        f"/v1/themes/{theme}/logo?size=small", raw=tiny_png(), headers={"Content-Type": "image/png"}
    )
    assert put.status_code == 200, put.body
    url = put.json_body["logos"]["small"]["url"]
    key = url.split("/", 3)[3] if url.startswith("http") else url.lstrip("/")
    copy = blob_store().get(key)
    assert copy is not None
    assert copy.data == tiny_png()
    how = blob_store().served(key)
    assert how.cache_control == "public, max-age=31536000, immutable"
    assert how.metadata["content-security-policy"].endswith("sandbox")
    assert how.metadata["cross-origin-resource-policy"] == "cross-origin"
    assert key == Theme.logo_copy_key(slug, theme, key)
    assert api.delete(f"/v1/themes/{theme}").status_code == 204
    assert blob_store().get(key) is None
