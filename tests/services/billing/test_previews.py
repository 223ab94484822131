"""Previews of unsaved signup and self-service settings (issue 13): the page as the draft
would make it, at an unguessable address for ten minutes, framed by Portway's own origin only
and unable to send anything; the saved settings and the stored pages stay as they were."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import NotFound
from chalicelib.services.pages import pages
from tests.conftest import problem


def _preview(api, draft: dict, page: str = "signup", language: str = "de"):
    return api.post(f"/v1/settings/self-service/preview?page={page}&language={language}", draft)


def test_a_draft_shows_in_its_preview_before_anything_is_saved(api, anonymous):
    plan = api.post("/v1/plans", {"name": "Fleet Pro"}).json_body
    variant = api.post(
        f"/v1/plans/{plan['id']}/variants",
        {"name": "Monthly", "price": "49.00", "allow_signup": True},
    ).json_body
    slug = api.get("/v1/tenant").json_body["slug"]
    saved = api.get("/v1/settings/self-service").json_body
    assert saved["signup"]["ask_coupon"] is False
    draft = {"signup": {"ask_coupon": True}, "fields": {"phone": "required"}}
    made = _preview(api, draft)
    assert made.status_code == 201, made.body
    assert made.json_body["url"].startswith("/v1/page-previews/pwv_")
    shown = anonymous.get(made.json_body["url"], headers={"Accept": "text/html"})
    assert shown.status_code == 200
    html = shown.body.decode()
    assert 'id="f-coupon_code"' in html
    assert 'id="f-phone"' in html
    assert "Fleet Pro" in html
    csp = shown.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp
    assert "connect-src 'none'" in csp  # a preview cannot sign anybody up
    assert shown.headers["Cache-Control"] == "no-store"
    # Nothing saved: the settings and the published page are as they were.
    assert api.get("/v1/settings/self-service").json_body == saved
    published = anonymous.get(f"/p/{slug}/signup/{variant['id']}")
    assert published.status_code == 200
    assert 'id="f-coupon_code"' not in published.body.decode()


def test_the_self_service_page_previews_without_a_signup_page(api, anonymous):
    made = _preview(api, {"sections": {"documents": {"visible": False}}}, page="self_service")
    assert made.status_code == 201, made.body
    assert anonymous.get(made.json_body["url"]).status_code == 200
    none = _preview(api, {}, page="signup")
    assert none.status_code == 409
    assert problem(none)["reason"] == "no_signup_page"


def test_a_draft_the_api_would_refuse_is_422_and_previews_nothing(api):
    answer = _preview(api, {"token_validity_minutes": 0}, page="self_service")
    assert answer.status_code == 422
    assert [e["field"] for e in problem(answer)["errors"]] == ["token_validity_minutes"]
    # Pages are rendered in English, German and Danish only (found by the fuzzer: a 500).
    other = _preview(api, {}, page="self_service", language="es")
    assert other.status_code == 422
    assert [e["field"] for e in problem(other)["errors"]] == ["query.language"]


def test_a_preview_ends_after_ten_minutes_and_a_guess_is_not_found(api, anonymous):
    url = _preview(api, {}, page="self_service").json_body["url"]
    preview_id = url.rsplit("/", 1)[1]
    later = utcnow() + pages.PREVIEW_TTL + timedelta(seconds=1)
    with pytest.raises(NotFound):
        pages.stored_preview(preview_id, clock=lambda: later)
    for guess in ("pwv_" + "A" * 43, "pwk_" + "A" * 43, "x"):
        assert anonymous.get(f"/v1/page-previews/{guess}").status_code == 404
