"""GET /v1/themes/{id}/preview: a sample page in the theme."""

from __future__ import annotations

from tests.conftest import problem
from tests.samples import tiny_png


def _theme(api, **colors):
    return api.post("/v1/themes", {"name": "Preview", "colors": colors}).json_body


def test_preview_shows_the_theme_colours_as_css_custom_properties(api):
    theme = _theme(api, action_button="#aa0000", page_title="#003366")
    response = api.get(f"/v1/themes/{theme['id']}/preview")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html = response.body.decode()
    assert "--pw-action-button:#aa0000;" in html
    assert "--pw-page-title:#003366;" in html
    assert "Welcome to your portal" in html


def test_preview_speaks_german_and_danish_and_ignores_unknown_languages(api):
    theme = _theme(api)
    german = api.get(f"/v1/themes/{theme['id']}/preview?language=de").body.decode()
    danish = api.get(f"/v1/themes/{theme['id']}/preview?language=da").body.decode()
    assert 'lang="de"' in german
    assert "Willkommen in Ihrem Portal" in german
    assert "Velkommen til din portal" in danish
    for hostile in ("../../x", "xx", "%3Cscript%3E"):
        page = api.get(f"/v1/themes/{theme['id']}/preview?language={hostile}")
        assert page.status_code == 200
        assert 'lang="en"' in page.body.decode()


def test_dark_mode_changes_only_the_surround(api):
    theme = _theme(api)
    light = api.get(f"/v1/themes/{theme['id']}/preview?mode=light").body.decode()
    dark = api.get(f"/v1/themes/{theme['id']}/preview?mode=dark").body.decode()
    assert light != dark
    assert "#16181d" in dark
    assert problem(api.get(f"/v1/themes/{theme['id']}/preview?mode=neon"))["status"] == 422


def test_preview_shows_the_logo_with_its_size(api):
    theme = _theme(api)
    api.put(
        f"/v1/themes/{theme['id']}/logo?size=small",
        raw=tiny_png(),
        headers={"Content-Type": "image/png"},
    )
    logo_url = api.get(f"/v1/themes/{theme['id']}").json_body["logos"]["small"]["url"]
    html = api.get(f"/v1/themes/{theme['id']}/preview").body.decode()
    assert f'src="{logo_url}"' in html
    assert 'width="112" height="28"' in html


def test_theme_name_is_escaped_in_the_preview(api):
    theme = api.post("/v1/themes", {"name": "<script>alert(1)</script>"}).json_body
    html = api.get(f"/v1/themes/{theme['id']}/preview").body.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_preview_of_another_tenants_theme_is_404(api, other_api):
    theme = _theme(api)
    assert problem(other_api.get(f"/v1/themes/{theme['id']}/preview"))["status"] == 404
