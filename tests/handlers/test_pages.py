"""Hosted pages: rendered into the page store on every change that shows, served from it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib.blobs import blob_store
from chalicelib.schemas.themes import MAX_ORIGINS
from chalicelib.services.pages import pages
from chalicelib.services.platform import tenants
from tests.conftest import Api, Tenant
from tests.samples import tiny_png

LANGUAGES = ("en", "de", "da")
NO_TENANT_SLUG = "no-such-tenant-0000"


# --- helpers ---------------------------------------------------------------------------------


class _Parsed(HTMLParser):
    """Tags with their attributes and the text of the inline <script> and <style> blocks."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []  # executable inline scripts (no type)
        self.styles: list[str] = []
        self.config: dict | None = None
        self._open: tuple[str, dict[str, str | None]] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = (tag, dict(attrs)) if tag in ("script", "style") else None

    def handle_data(self, data):
        if self._open is None:
            return
        tag, attrs = self._open
        if tag == "style":
            self.styles.append(data)
        elif attrs.get("id") == "pw-config":
            self.config = json.loads(data)
        elif "type" not in attrs:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._open = None


def _path(slug: str, page: str = "portal", **query: str) -> str:
    return f"/p/{slug}/{page}" + (f"?{urlencode(query)}" if query else "")


def _get(client: Api, slug: str, page: str = "portal", headers=None, **query: str):
    return client.get(_path(slug, page, **query), headers=headers)


def _html(response) -> str:
    return response.body.decode()


def _csp(response) -> dict[str, str]:
    directives = response.headers["Content-Security-Policy"].split(";")
    return {d.strip().split(" ", 1)[0]: d.strip().split(" ", 1)[1] for d in directives}


def _frame_ancestors(response) -> str:
    return _csp(response)["frame-ancestors"]


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _customer(api: Api, name: str = "Customer") -> str:
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    return created.json_body["id"]


def _portal(api: Api, body: dict | None = None) -> dict:
    """A new customer's portal; the answer's page_url reduced to path and query."""
    response = api.put(f"/v1/customers/{_customer(api)}/portal", body or {})
    assert response.status_code in (200, 201), response.body
    portal = response.json_body
    url = urlsplit(portal["page_url"])
    portal["page_path"] = f"{url.path}?{url.query}"
    return portal


def _theme(api: Api, **colors: str) -> dict:
    created = api.post("/v1/themes", {"name": "Brand", "colors": colors})
    assert created.status_code == 201, created.body
    return created.json_body


def _template(api: Api, **fields) -> dict:
    created = api.post(
        "/v1/portal-templates", {"name": "Standard", "apps": ["equipment"], **fields}
    )
    assert created.status_code == 201, created.body
    return created.json_body


def _set_origins(api: Api, origins: list[str]) -> None:
    response = api.put("/v1/settings/embedding", {"allowed_origins": origins})
    assert response.status_code == 200, response.body


@pytest.fixture
def written(monkeypatch) -> list[str]:
    """Keys of the pages written to the page store during the test."""
    store = blob_store()
    keys: list[str] = []
    put = store.put

    def recording_put(key, data, content_type, served=None):
        if key.startswith("pages/"):
            keys.append(key)
        return put(key, data, content_type, served)

    monkeypatch.setattr(store, "put", recording_put)
    return keys


def _variants(keys: list[str]) -> set[tuple[str, str]]:
    """(page, variant) of written page keys `pages/{slug}/{page}/{variant}/{language}.html`."""
    return {tuple(key.split("/")[2:4]) for key in keys}


@pytest.fixture
def german(backend: str) -> Tenant:
    created = tenants.create_tenant("Deutsche Vermietung", language="de")
    return Tenant(created.tenant.id, created.tenant.public_id, created.tenant.slug, created.api_key)


# --- headers, ETag, CSP ----------------------------------------------------------------------


def test_portal_page_is_served_with_csp_etag_cache_and_safety_headers(anonymous, tenant):
    response = _get(anonymous, tenant.slug)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert re.fullmatch(r'"[0-9a-f]+"', response.headers["ETag"])
    csp = _csp(response)
    assert csp["default-src"] == "'none'"
    # The tenant's portal shows activity, whose track is a map: MapLibre's control icons are
    # data: images and its worker a file of our own.
    assert csp["img-src"] == "'self' data:"
    assert csp["worker-src"] == "'self'"
    assert csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "Customer portal" in _html(response)


def test_csp_hashes_are_those_of_the_inline_script_and_style(anonymous, tenant):
    response = _get(anonymous, tenant.slug)
    parsed = _Parsed(_html(response))
    assert parsed.scripts
    assert parsed.styles
    csp = _csp(response)
    # The page's own script inline by its hash; the shared page script from our origin.
    assert csp["script-src"].split() == [_sha256(s) for s in parsed.scripts] + ["'self'"]
    # The map's stylesheet comes from our origin too.
    assert csp["style-src"].split() == [_sha256(s) for s in parsed.styles] + ["'self'"]
    assert re.search(r'<script src="/page-assets/page-[0-9a-f]{12}\.js"></script>', _html(response))


def test_matching_if_none_match_is_304_with_the_same_csp_and_a_stale_one_is_200(anonymous, tenant):
    first = _get(anonymous, tenant.slug)
    etag = first.headers["ETag"]
    again = _get(anonymous, tenant.slug, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    listed = _get(anonymous, tenant.slug, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    stale = _get(anonymous, tenant.slug, headers={"If-None-Match": '"0123456789abcdef"'})
    assert stale.status_code == 200
    assert stale.body == first.body


def test_page_views_make_no_dynamodb_calls(api, tenant, ddb_calls, events_stream):
    portal = _portal(api)
    events_stream.drain()  # the pages are published; the views below read only the store
    anonymous = Api(api.client, None)
    ddb_calls.reset()
    assert anonymous.get(portal["page_path"]).status_code == 200
    assert _get(anonymous, tenant.slug, language="de").status_code == 200
    assert _get(anonymous, tenant.slug, "nothing").status_code == 404
    assert _get(anonymous, tenant.slug, portal="prt_unknown").status_code == 404
    assert _get(anonymous, NO_TENANT_SLUG).status_code == 404
    assert ddb_calls.total == 0, dict(ddb_calls.calls)


# --- frame-ancestors on every answer ---------------------------------------------------------


def _every_answer(client: Api, slug: str, portal_path: str) -> dict[str, object]:
    """One response of each kind the page route gives for a tenant."""
    return {
        "page": _get(client, slug),
        "portal page": client.get(portal_path),
        "tenant 404 (page name)": _get(client, slug, "nothing"),
        "tenant 404 (portal id)": _get(client, slug, portal="prt_doesnotexist"),
        "tenant 404 (bad portal id)": _get(client, slug, portal="bad!id/../x"),
    }


def _plain_answers(client: Api, slug: str) -> dict[str, object]:
    """Answers that are never the tenant's: unknown or invalid slug, invalid page name."""
    return {
        "unknown slug": _get(client, NO_TENANT_SLUG),
        "bad slug": client.get("/p/UPPER/portal"),
        "bad slug with portal": client.get("/p/UPPER/portal?portal=bad%21id"),
        "bad page name": client.get(f"/p/{slug}/a.b"),
    }


def test_every_page_answer_forbids_framing_before_embedding_is_set(api, anonymous, tenant):
    portal = _portal(api)
    answers = _every_answer(anonymous, tenant.slug, portal["page_path"])
    answers.update(_plain_answers(anonymous, tenant.slug))
    for name, response in answers.items():
        assert _frame_ancestors(response) == "'none'", name
    assert "origins" not in _Parsed(_html(answers["page"])).config  # the header says it


def test_allowed_origins_reach_every_page_and_the_404_page_and_clearing_them_forbids_framing(
    api, anonymous, tenant
):
    portal = _portal(api)
    origins = ["https://shop.example.com", "https://intranet.example.org:8443"]
    _set_origins(api, origins)
    for name, response in _every_answer(anonymous, tenant.slug, portal["page_path"]).items():
        assert response.status_code in (200, 404), name
        assert _frame_ancestors(response) == " ".join(origins), name
    for name, response in _plain_answers(anonymous, tenant.slug).items():
        assert response.status_code == 404, name
        assert _frame_ancestors(response) == "'none'", name

    later = _portal(api)
    assert _frame_ancestors(anonymous.get(later["page_path"])) == " ".join(origins)

    _set_origins(api, [])
    for name, response in _every_answer(anonymous, tenant.slug, portal["page_path"]).items():
        assert _frame_ancestors(response) == "'none'", name


def test_origins_of_one_tenant_do_not_reach_another_tenants_pages(api, anonymous, other_tenant):
    _set_origins(api, ["https://shop.example.com"])
    assert _frame_ancestors(_get(anonymous, other_tenant.slug)) == "'none'"


# --- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Customer portal"), ("de", "Kundenportal"), ("da", "Kundeportal")],
)
def test_language_picks_the_translated_page(anonymous, tenant, language, title):
    html = _html(_get(anonymous, tenant.slug, language=language))
    assert f'<html lang="{language}">' in html
    assert f"<h1>{title}</h1>" in html


@pytest.mark.parametrize("hostile", ["../../x", "DE", "<script>", "default", ""])
def test_unknown_or_hostile_language_gives_the_tenants_default(anonymous, german, hostile):
    response = _get(anonymous, german.slug, language=hostile)
    assert response.status_code == 200
    html = _html(response)
    assert '<html lang="de">' in html
    assert "Kundenportal" in html
    assert "<script>" not in html.split("<body>")[0]


def test_german_tenant_without_language_gets_german_and_can_ask_for_english(anonymous, german):
    assert "Kundenportal" in _html(_get(anonymous, german.slug))
    assert "Customer portal" in _html(_get(anonymous, german.slug, language="en"))


@pytest.mark.parametrize(
    ("accept", "title"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", "Kundeportal"),
        ("fr-FR, en-GB;q=0.7, de;q=0.9", "Kundenportal"),
        ("en-US", "Customer portal"),
        ("fr, es;q=0.5", "Kundenportal"),  # nothing we speak: the tenant's default
        ("da;q=0, en;q=0.1", "Customer portal"),  # q=0 means "not Danish"
    ],
)
def test_without_language_the_browsers_accept_language_picks_it(anonymous, german, accept, title):
    response = _get(anonymous, german.slug, headers={"Accept-Language": accept})
    assert f"<h1>{title}</h1>" in _html(response)
    assert response.headers["Vary"] == "Accept-Language"


def test_a_language_in_the_address_wins_over_the_browsers(anonymous, german):
    response = _get(anonymous, german.slug, language="da", headers={"Accept-Language": "en"})
    assert "<h1>Kundeportal</h1>" in _html(response)
    assert "Vary" not in response.headers
    hostile = _get(anonymous, german.slug, language="../x", headers={"Accept-Language": "da"})
    assert "<h1>Kundeportal</h1>" in _html(hostile)


def test_every_page_offers_the_other_languages(anonymous, tenant):
    html = _html(_get(anonymous, tenant.slug, language="de"))
    for code, name in (("en", "English"), ("de", "Deutsch"), ("da", "Dansk")):
        assert f'hreflang="{code}" lang="{code}"' in html
        assert f">{name}</a>" in html
    assert 'hreflang="de" lang="de" aria-current="true"' in html


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Page not found"), ("de", "Seite nicht gefunden"), ("da", "Siden blev ikke fundet")],
)
def test_unknown_page_name_is_the_tenants_translated_not_found_page(
    anonymous, tenant, language, text
):
    response = _get(anonymous, tenant.slug, "nothing", language=language)
    assert response.status_code == 404
    html = _html(response)
    assert text in html
    assert f'<html lang="{language}">' in html
    assert "Tenant A" in html


def test_german_tenants_not_found_page_is_german_by_default(anonymous, german):
    response = _get(anonymous, german.slug, "nothing")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in _html(response)


def test_a_portal_id_under_another_tenants_slug_is_that_tenants_404(api, anonymous, other_tenant):
    portal = _portal(api)
    response = _get(anonymous, other_tenant.slug, portal=portal["id"])
    assert response.status_code == 404
    assert "Tenant B" in _html(response)


def test_unknown_slug_is_a_plain_404_that_nobody_may_frame(anonymous):
    for path in (_path(NO_TENANT_SLUG), "/p/UPPER/portal", _path(NO_TENANT_SLUG, "nothing")):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert "This page does not exist." in _html(response)
        assert _frame_ancestors(response) == "'none'"


# --- what re-renders when -------------------------------------------------------------------


def test_theme_change_re_renders_the_pages_that_use_it_and_only_those(
    api, anonymous, tenant, written, events_stream
):
    theme = _theme(api, primary="#123456")
    template = _template(api, theme_id=theme["id"], is_default=True)
    themed = _portal(api, {"template_id": template["id"]})
    own = _portal(api, {"apps": ["support"]})
    before = {
        "themed": anonymous.get(themed["page_path"]),
        "tenant": _get(anonymous, tenant.slug),
        "own": anonymous.get(own["page_path"]),
    }
    assert "--pw-primary:#123456;" in _html(before["themed"])
    assert "--pw-primary:#123456;" in _html(before["tenant"])

    written.clear()
    patched = api.patch(f"/v1/themes/{theme['id']}", {"colors": {"primary": "#654321"}})
    assert patched.status_code == 200, patched.body
    assert written == []  # the change answers; the page consumer renders its pages
    events_stream.drain()
    assert _variants(written) == {
        ("portal", themed["id"]),
        ("invite", themed["id"]),
        ("portal", "_"),
        ("not-found", "_"),
        ("self-service", "_"),  # hosted pages wear the default template's theme
        ("tracking", "_"),
    }

    after = {
        "themed": anonymous.get(themed["page_path"]),
        "tenant": _get(anonymous, tenant.slug),
        "own": anonymous.get(own["page_path"]),
    }
    for name in ("themed", "tenant"):
        assert "--pw-primary:#654321;" in _html(after[name]), name
        assert "#123456" not in _html(after[name]), name
        assert after[name].headers["ETag"] != before[name].headers["ETag"], name
    assert after["own"].headers["ETag"] == before["own"].headers["ETag"]
    assert after["own"].body == before["own"].body


def test_theme_chosen_by_a_portal_itself_re_renders_that_portal(api, anonymous):
    theme = _theme(api, primary="#123456")
    portal = _portal(api, {"apps": ["equipment"], "theme_id": theme["id"]})
    api.patch(f"/v1/themes/{theme['id']}", {"colors": {"primary": "#0a0b0c"}})
    assert "--pw-primary:#0a0b0c;" in _html(anonymous.get(portal["page_path"]))


def test_template_change_needs_confirm_and_then_shows_in_its_portals(
    api, anonymous, written, events_stream
):
    template = _template(api)
    portal = _portal(api, {"template_id": template["id"]})
    _portal(api, {"apps": ["equipment"]})
    before = anonymous.get(portal["page_path"])
    assert 'data-app="equipment"' in _html(before)
    assert "Reports" not in _html(before)

    path = f"/v1/portal-templates/{template['id']}"
    written.clear()
    refused = api.patch(path, {"apps": ["equipment", "reports"]})
    assert refused.status_code == 409
    events_stream.drain()
    assert written == []
    assert json.loads(refused.body)["affected_portals"] == [portal["id"]]
    assert anonymous.get(portal["page_path"]).body == before.body

    written.clear()
    confirmed = api.patch(f"{path}?confirm=true", {"apps": ["equipment", "reports"]})
    assert confirmed.status_code == 200, confirmed.body
    events_stream.drain()
    assert _variants(written) == {("portal", portal["id"]), ("invite", portal["id"])}
    after = anonymous.get(portal["page_path"])
    assert '<a href="#reports" data-app="reports">Reports</a>' in _html(after)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_new_default_template_changes_the_tenants_own_page(api, anonymous, tenant):
    before = _get(anonymous, tenant.slug)
    assert 'data-app="reports"' not in _html(before)
    _template(api, apps=["reports"], is_default=True)
    after = _get(anonymous, tenant.slug)
    assert 'data-app="reports"' in _html(after)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_each_portal_is_served_at_its_page_url_until_it_is_deleted(api, anonymous, tenant):
    portal = _portal(api, {"apps": ["support"]})
    assert portal["page_path"] == f"/p/{tenant.slug}/portal?portal={portal['id']}"
    response = anonymous.get(portal["page_path"])
    assert response.status_code == 200
    assert _Parsed(_html(response)).config["portal"] == portal["id"]
    for language in LANGUAGES:
        assert (
            _get(anonymous, tenant.slug, portal=portal["id"], language=language).status_code == 200
        )

    assert api.delete(f"/v1/customers/{portal['customer_id']}/portal").status_code == 204
    gone = anonymous.get(portal["page_path"])
    assert gone.status_code == 404
    assert "Page not found" in _html(gone)
    for language in LANGUAGES:
        assert (
            _get(anonymous, tenant.slug, portal=portal["id"], language=language).status_code == 404
        )
    assert _get(anonymous, tenant.slug).status_code == 200


def test_uploaded_logo_shows_on_the_portal_page_with_width_and_height(api, anonymous, tenant):
    theme = _theme(api)
    portal = _portal(api, {"apps": ["equipment"], "theme_id": theme["id"]})
    uploaded = api.put(
        f"/v1/themes/{theme['id']}/logo?size=large",
        raw=tiny_png(64, 16),
        headers={"Content-Type": "image/png"},
    )
    assert uploaded.status_code == 200, uploaded.body
    images = [a for t, a in _Parsed(_html(anonymous.get(portal["page_path"]))).tags if t == "img"]
    assert len(images) == 1
    assert images[0]["src"] == uploaded.json_body["logos"]["large"]["url"]
    assert images[0]["src"].startswith(f"/p/{tenant.slug}/logos/{theme['id']}/")
    assert (images[0]["width"], images[0]["height"]) == ("128", "32")
    assert anonymous.get(images[0]["src"], headers={"Accept": "image/png"}).status_code == 200


def test_every_page_is_small_and_loads_nothing_from_another_host(api, anonymous, tenant):
    theme = _theme(api)
    api.put(
        f"/v1/themes/{theme['id']}/logo?size=small",
        raw=tiny_png(),
        headers={"Content-Type": "image/png"},
    )
    template = _template(
        api, apps=["equipment", "activity", "reports", "support"], theme_id=theme["id"]
    )
    portal = _portal(api, {"template_id": template["id"]})
    _set_origins(api, ["https://shop.example.com"])
    for language in LANGUAGES:
        for response in (
            _get(anonymous, tenant.slug, language=language),
            _get(anonymous, tenant.slug, "nothing", language=language),
            _get(anonymous, tenant.slug, portal=portal["id"], language=language),
        ):
            assert len(response.body) <= 30 * 1024
            for tag, attrs in _Parsed(_html(response)).tags:
                for name in ("src", "href", "action"):
                    value = attrs.get(name) or ""
                    assert not re.match(r"^\s*([a-z][a-z0-9+.-]*:|//|\\\\)", value, re.I), value
                if tag == "img":
                    assert attrs.get("width"), attrs
                    assert attrs.get("height"), attrs


def test_largest_allowed_content_still_renders_pages_under_30_kb(
    backend, chalice_client, events_stream
):
    created = tenants.create_tenant('&"<' * 66 + "x")
    api = Api(chalice_client, created.api_key, events_stream)
    slug = created.tenant.slug
    heading = '&"<>' * 20
    sections = [
        {"key": key, "headings": {"en": heading, "de": heading, "da": heading}}
        for key in ("equipment", "activity", "map", "reports", "documents", "support")
    ]
    apps = ["equipment", "activity", "reports", "billing", "support", "tracking"]
    template = _template(api, apps=apps, sections=sections, is_default=True)
    portal = _portal(api, {"template_id": template["id"]})
    host = "a" * (253 - len("https://00.example.com:65535"))
    origins = [f"https://{i:02d}{host}.example.com:65535" for i in range(MAX_ORIGINS)]
    assert max(len(o) for o in origins) == 253
    _set_origins(api, origins)
    for language in LANGUAGES:
        for response in (
            _get(api, slug, language=language),
            _get(api, slug, portal=portal["id"], language=language),
        ):
            assert response.status_code == 200
            # The HTML with its inline style and script, and the shared page script.
            assert pages.weight(_html(response)) <= 30 * 1024
            assert pages.weight(_html(response)) > len(response.body) + 4000
            assert _frame_ancestors(response) == " ".join(origins)


def test_names_and_headings_are_escaped_and_add_no_script(backend, chalice_client, anonymous):
    created = tenants.create_tenant("<img src=x onerror=alert(1)></script>")
    api = Api(chalice_client, created.api_key)
    hostile = "</script><script>alert(1)</script>"
    sections = [{"key": "equipment", "headings": {"en": hostile}}]
    template = _template(api, sections=sections, is_default=True)
    _portal(api, {"template_id": template["id"]})
    response = _get(anonymous, created.tenant.slug, language="en")
    html = _html(response)
    assert "<img" not in html
    assert hostile not in html
    parsed = _Parsed(html)
    assert len(parsed.scripts) == 1  # the portal's own script (the shared one is a file)
    assert _csp(response)["script-src"].split() == [_sha256(s) for s in parsed.scripts] + ["'self'"]


def test_theme_colours_reach_the_page_only_as_css_custom_properties(api, anonymous):
    theme = _theme(api, primary="#abcdef", menu="#102030")
    portal = _portal(api, {"apps": ["equipment"], "theme_id": theme["id"]})
    html = _html(anonymous.get(portal["page_path"]))
    assert "--pw-primary:#abcdef;" in html
    assert "--pw-menu:#102030;" in html
    # Nowhere but in custom properties (the dark scheme keeps a link colour that reads).
    for color in ("#abcdef", "#102030"):
        assert html.count(color) == len(re.findall(rf"--pw-[a-z-]+:{color}[;}}]", html)) >= 1


# --- POST /v1/pages/render -------------------------------------------------------------------


def test_render_all_pages_answers_the_count_and_keeps_pages_served(api, anonymous, tenant):
    portal = _portal(api)
    response = api.post("/v1/pages/render")
    assert response.status_code == 200, response.body
    # tenant page, 404 page, self-service page, tracking page, a portal's page and
    # invitation page; 3 languages each (no plan variant is open for signup yet)
    assert response.json_body == {"pages": 18}
    assert anonymous.get(portal["page_path"]).status_code == 200
    assert _get(anonymous, tenant.slug).status_code == 200


def test_render_all_pages_needs_admin_scope(api, anonymous):
    key = api.post("/v1/api-keys", {"name": "writer", "scopes": ["read", "write"]}).json_body
    writer = api.as_key(key["key"])
    assert writer.post("/v1/pages/render").status_code == 403
    assert anonymous.post("/v1/pages/render").status_code == 401


def test_internal_variant_name_is_not_a_portal_id(anonymous, tenant):
    assert _get(anonymous, tenant.slug, portal="_").status_code == 404


def test_invitation_page_is_a_link_page_never_cached_nor_referred(api, anonymous, tenant):
    portal = _portal(api)
    response = _get(anonymous, tenant.slug, page="invite", portal=portal["id"], language="de")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Legen Sie Ihr Konto an" in _html(response)
    assert _get(anonymous, tenant.slug, page="invite").status_code == 404  # needs a portal
