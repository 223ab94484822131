"""The self-service settings through the API: defaults, replacing them whole with a version,
their rules, who may change them, and the hosted pages that follow them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.services.platform import api_keys
from chalicelib.tenancy import Actor
from tests.conftest import problem
from tests.services.billing.conftest import ORIGIN, SETTINGS, make_shop, order

PATH = "/v1/settings/self-service"


def fields(response: Any) -> list[str]:
    """The fields a 422 answer names."""
    assert response.status_code == 422, response.body
    return [error["field"] for error in problem(response)["errors"]]


def settings(**changes: Any) -> dict[str, Any]:
    """SETTINGS with some top-level entries replaced."""
    body = copy.deepcopy(SETTINGS)
    body.update(changes)
    return body


def allow(api, *origins: str) -> None:
    answer = api.put("/v1/settings/embedding", {"allowed_origins": list(origins)})
    assert answer.status_code == 200, answer.body


def signup_page(anonymous, tenant, shop, language: str | None = None) -> str:
    query = f"?language={language}" if language else ""
    answer = anonymous.get(f"/p/{tenant.slug}/signup/{shop.variant['id']}{query}")
    assert answer.status_code == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/html")
    return str(answer.body.decode())


def self_service_page(anonymous, tenant, language: str | None = None) -> str:
    query = f"?language={language}" if language else ""
    answer = anonymous.get(f"/p/{tenant.slug}/self-service{query}")
    assert answer.status_code == 200, answer.body
    return str(answer.body.decode())


# -- reading and replacing -------------------------------------------------------------------


def test_the_defaults_until_settings_are_saved(api):
    answer = api.get(PATH)
    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert body["version"] == 0
    assert body["updated_at"] is None
    assert body["token_validity_minutes"] == 1440
    assert body["fields"]["email"] == "required"
    assert body["fields"]["birth_date"] == "hidden"
    assert body["signup"] == {"ask_coupon": False, "show_external_id": False, "ask_payment": True}
    assert body["terms_lines"] == []
    assert body["urls"]["success"] is None
    assert body["theme_id"] is None


def test_a_put_replaces_the_settings_whole_and_counts_the_version(api):
    allow(api, ORIGIN)
    first = api.put(PATH, SETTINGS)
    assert first.status_code == 200, first.body
    assert first.json_body["version"] == 1
    assert first.json_body["updated_at"] is not None
    assert first.json_body["urls"]["success"] == f"{ORIGIN}/thanks"
    assert first.json_body["fields"]["phone"] == "optional"
    assert first.json_body["fields"]["email"] == "required"  # left out: the default
    assert len(first.json_body["terms_lines"]) == 3
    assert api.get(PATH).json_body == first.json_body

    second = api.put(PATH, {"token_validity_minutes": 30})
    assert second.status_code == 200, second.body
    assert second.json_body["version"] == 2
    # replaced, not merged: what was left out is back to the defaults
    assert second.json_body["terms_lines"] == []
    assert second.json_body["urls"]["success"] is None
    assert second.json_body["signup"]["ask_coupon"] is False
    assert api.get(PATH).json_body == second.json_body


def test_a_put_based_on_a_stale_version_is_a_conflict(api):
    allow(api, ORIGIN)
    assert api.put(PATH, SETTINGS).json_body["version"] == 1
    assert api.put(PATH, SETTINGS, headers={"If-Match": '"1"'}).json_body["version"] == 2

    stale = api.put(PATH, {"token_validity_minutes": 5}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    problem(stale)
    kept = api.get(PATH).json_body
    assert (kept["version"], kept["token_validity_minutes"]) == (2, 60)

    fresh = api.put(PATH, {"token_validity_minutes": 5}, headers={"If-Match": "2"})
    assert fresh.status_code == 200, fresh.body
    assert fresh.json_body["version"] == 3


def test_a_put_based_on_the_defaults_after_someone_saved_is_a_conflict(api):
    assert api.get(PATH).json_body["version"] == 0
    assert api.put(PATH, {"token_validity_minutes": 30}).status_code == 200
    stale = api.put(PATH, {"token_validity_minutes": 5}, headers={"If-Match": '"0"'})
    assert stale.status_code == 409
    assert api.get(PATH).json_body["token_validity_minutes"] == 30


def test_a_version_the_settings_never_had_is_a_conflict(api):
    wrong = api.put(PATH, {"token_validity_minutes": 5}, headers={"If-Match": '"7"'})
    assert wrong.status_code == 409
    assert api.get(PATH).json_body["version"] == 0


def test_an_if_match_that_is_no_version_is_refused(api):
    assert fields(api.put(PATH, {}, headers={"If-Match": "yesterday"})) == ["If-Match"]


# -- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 10081, -5])
def test_token_validity_is_1_to_10080_minutes(api, minutes):
    assert fields(api.put(PATH, {"token_validity_minutes": minutes})) == ["token_validity_minutes"]
    assert api.get(PATH).json_body["version"] == 0


def test_token_validity_bounds_are_allowed(api):
    for minutes in (1, 10080):
        answer = api.put(PATH, {"token_validity_minutes": minutes})
        assert answer.status_code == 200, answer.body
        assert answer.json_body["token_validity_minutes"] == minutes


def test_success_and_error_urls_must_be_allowed_origins(api):
    allow(api, "https://other.example.com")
    both = api.put(PATH, settings())
    assert fields(both) == ["urls.success", "urls.error"]
    assert api.get(PATH).json_body["version"] == 0

    allow(api, ORIGIN)
    for url in (
        "https://shop.example.com.evil.example/thanks",
        "https://shop.example.com@evil.example/thanks",
        "https://evil.example/?next=https://shop.example.com",
    ):
        urls = {**SETTINGS["urls"], "success": url}
        assert fields(api.put(PATH, settings(urls=urls))) == ["urls.success"], url
    assert api.put(PATH, settings()).status_code == 200


def test_legal_urls_may_be_anywhere_but_must_be_https(api):
    urls = {"tac": "https://lawyer.example.org/agb", "dpp": "http://lawyer.example.org/dsgvo"}
    assert fields(api.put(PATH, {"urls": urls})) == ["urls.dpp"]
    urls["dpp"] = "https://lawyer.example.org/dsgvo"
    assert api.put(PATH, {"urls": urls}).status_code == 200


def test_an_unknown_placeholder_in_a_terms_line_is_refused(api):
    allow(api, ORIGIN)
    lines = [
        {"text": {"en": "I accept the {tac}."}, "mandatory": True},
        {"text": {"en": "Fine.", "de": "Siehe {foo}."}},
    ]
    assert fields(api.put(PATH, settings(terms_lines=lines))) == ["terms_lines.1.text.de"]


def test_at_most_five_terms_lines(api):
    allow(api, ORIGIN)
    line = {"text": {"en": "I accept the {tac}."}}
    assert fields(api.put(PATH, settings(terms_lines=[line] * 6))) == ["terms_lines"]
    assert api.put(PATH, settings(terms_lines=[line] * 5)).status_code == 200


def test_the_theme_must_be_one_of_the_tenants(api, other_api):
    assert fields(api.put(PATH, {"theme_id": "thm_missing"})) == ["theme_id"]
    theirs = other_api.post("/v1/themes", {"name": "Theirs"}).json_body
    assert fields(api.put(PATH, {"theme_id": theirs["id"]})) == ["theme_id"]
    mine = api.post("/v1/themes", {"name": "Mine"}).json_body
    answer = api.put(PATH, {"theme_id": mine["id"]})
    assert answer.status_code == 200, answer.body
    assert answer.json_body["theme_id"] == mine["id"]


def test_several_bad_settings_are_named_together(api):
    body = settings(
        terms_lines=[{"text": {"en": "Read {imprint}."}}],
        theme_id="thm_missing",
    )
    assert sorted(fields(api.put(PATH, body))) == [
        "terms_lines.0.text.en",
        "theme_id",
        "urls.error",
        "urls.success",
    ]


def test_unknown_settings_are_refused(api):
    unknown = api.put(PATH, {"fields": {"shoe_size": "required"}})
    assert fields(unknown) == ["fields"]
    assert "shoe_size" in problem(unknown)["errors"][0]["message"]
    assert fields(api.put(PATH, {"fields": {"email": "maybe"}})) == ["fields.email"]


# -- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("scopes", [["read"], ["read", "write"]])
def test_only_an_admin_key_reads_or_changes_the_settings(api, tenant, scopes):
    key = api_keys.issue(Actor(tenant.id, "test"), "limited", scopes).key
    limited = api.as_key(key)
    assert limited.get(PATH).status_code == 403
    refused = limited.put(PATH, {"token_validity_minutes": 5})
    assert refused.status_code == 403
    problem(refused)
    assert api.get(PATH).json_body["version"] == 0


def test_settings_need_credentials(anonymous):
    assert anonymous.get(PATH).status_code == 401
    assert anonymous.put(PATH, {}).status_code == 401


def test_each_tenant_has_its_own_settings(api, other_api):
    assert api.put(PATH, {"token_validity_minutes": 30}).status_code == 200
    theirs = other_api.get(PATH).json_body
    assert (theirs["version"], theirs["token_validity_minutes"]) == (0, 1440)


# -- the pages follow ------------------------------------------------------------------------


def test_the_self_service_page_exists_before_any_settings(anonymous, tenant):
    body = self_service_page(anonymous, tenant)
    for section in ("contract", "customer", "payment", "account", "documents"):
        assert f'data-section="{section}"' in body
    assert 'data-section="additional_data"' not in body  # hidden by default


def test_an_error_url_that_left_the_allowlist_leaves_the_signup_page(api, anonymous, tenant, shop):
    assert f"{ORIGIN}/sorry" in signup_page(anonymous, tenant, shop)
    allow(api, "https://www.example.org")
    assert f"{ORIGIN}/sorry" not in signup_page(anonymous, tenant, shop)
    allow(api, ORIGIN)
    assert f"{ORIGIN}/sorry" in signup_page(anonymous, tenant, shop)


def test_the_article_number_is_shown_only_when_asked_for(api, anonymous, tenant, shop):
    variant = f"/v1/plan-variants/{shop.variant['id']}"
    assert api.patch(variant, {"external_id": "FP-MONTHLY-7"}).status_code == 200
    assert "FP-MONTHLY-7" not in signup_page(anonymous, tenant, shop)
    options = {"ask_coupon": True, "ask_payment": True, "show_external_id": True}
    assert api.put(PATH, settings(signup=options)).status_code == 200
    assert "FP-MONTHLY-7" in signup_page(anonymous, tenant, shop)


def test_headings_appear_on_the_signup_page(api, anonymous, tenant, shop):
    headings = {
        "page_title": {"en": "Join the fleet", "de": "Werden Sie Teil der Flotte"},
        "customer": {"en": "About your company"},
        "metered_prices": {"en": "Pay as you drive"},
    }
    assert api.put(PATH, settings(headings=headings)).status_code == 200
    english = signup_page(anonymous, tenant, shop)
    assert "Join the fleet" in english
    assert "About your company" in english
    assert "Pay as you drive" in english
    german = signup_page(anonymous, tenant, shop, "de")
    assert "Werden Sie Teil der Flotte" in german
    assert "About your company" not in german

    assert api.put(PATH, settings()).status_code == 200
    assert "Join the fleet" not in signup_page(anonymous, tenant, shop)


def test_section_headings_and_visibility_appear_on_the_self_service_page(api, anonymous, tenant):
    sections = {
        "customer": {"headings": {"en": "Contact person", "de": "Ansprechpartner"}},
        "documents": {"visible": False},
    }
    answer = api.put(
        PATH, {"sections": sections, "headings": {"page_title": {"en": "My fleet contract"}}}
    )
    assert answer.status_code == 200, answer.body
    english = self_service_page(anonymous, tenant)
    assert "Contact person" in english
    assert "My fleet contract" in english
    assert 'data-section="documents"' not in english
    assert 'data-section="contract"' in english
    assert "Ansprechpartner" in self_service_page(anonymous, tenant, "de")

    assert api.put(PATH, {}).status_code == 200
    again = self_service_page(anonymous, tenant)
    assert "Contact person" not in again
    assert 'data-section="documents"' in again


def test_texts_of_the_settings_are_escaped_on_the_pages(api, anonymous, tenant, shop):
    lines = [{"text": {"en": "I accept the {tac} <img src=x onerror=alert(1)>."}}]
    headings = {"page_title": {"en": "</h1><script>alert(2)</script>"}}
    sections = {"customer": {"headings": {"en": "<b>Contact</b>"}}}
    body = settings(terms_lines=lines, headings=headings, sections=sections)
    assert api.put(PATH, body).status_code == 200
    signup = signup_page(anonymous, tenant, shop)
    assert "<img src=x" not in signup
    assert "&lt;img src=x onerror=alert(1)&gt;" in signup
    assert "<script>alert(2)" not in signup
    assert "&lt;/h1&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in signup
    portal = self_service_page(anonymous, tenant)
    assert "<b>Contact</b>" not in portal
    assert "&lt;b&gt;Contact&lt;/b&gt;" in portal


def test_hidden_fields_are_not_on_the_signup_page(api, anonymous, tenant, shop):
    body = signup_page(anonymous, tenant, shop)
    assert 'id="f-birth_date"' not in body
    assert 'id="f-vat_id"' not in body
    assert 'id="f-phone"' in body
    assert 'id="f-email"' in body

    rules = {"phone": "hidden", "birth_date": "required", "vat_id": "optional"}
    assert api.put(PATH, settings(fields=rules)).status_code == 200
    body = signup_page(anonymous, tenant, shop)
    assert 'id="f-phone"' not in body
    assert 'id="f-vat_id"' in body
    birth = body.split('id="f-birth_date"', 1)[1].split(">", 1)[0]
    assert " required" in birth


def test_the_coupon_and_payment_parts_follow_the_signup_options(api, anonymous, tenant, shop):
    body = signup_page(anonymous, tenant, shop)
    assert 'id="f-coupon_code"' in body
    assert 'id="pay-sepa"' in body
    options = {"ask_coupon": False, "ask_payment": False}
    assert api.put(PATH, settings(signup=options)).status_code == 200
    body = signup_page(anonymous, tenant, shop)
    assert 'id="f-coupon_code"' not in body
    assert 'id="pay-sepa"' not in body


def test_a_terms_line_without_its_url_is_neither_shown_nor_required(api, anonymous, tenant, shop):
    body = signup_page(anonymous, tenant, shop)
    assert 'data-term="0"' in body
    assert f'href="{ORIGIN}/terms"' in body
    assert "Read our" in body  # shown, not to be confirmed
    assert 'data-term="1"' not in body
    assert "See the" not in body
    assert 'data-term="2"' not in body

    done = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop, accepted_terms=[0]))
    assert done.status_code == 201, done.body
    no_such_line = anonymous.post(
        f"/v1/hosted/{tenant.slug}/signup", order(shop, accepted_terms=[0, 2])
    )
    assert fields(no_such_line) == ["accepted_terms"]


def test_a_terms_line_appears_and_is_required_once_its_url_is_set(api, anonymous, tenant, shop):
    urls = {**SETTINGS["urls"], "withdrawal": "https://lawyer.example.org/widerruf"}
    assert api.put(PATH, settings(urls=urls)).status_code == 200
    body = signup_page(anonymous, tenant, shop)
    assert 'data-term="2"' in body
    assert 'href="https://lawyer.example.org/widerruf"' in body

    missing = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    assert fields(missing) == ["accepted_terms.2"]
    done = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop, accepted_terms=[0, 2]))
    assert done.status_code == 201, done.body


def test_a_settings_change_renders_every_open_signup_page(api, anonymous, tenant):
    shop = make_shop(api)
    plan = api.post("/v1/plans", {"name": "Trailer Pro"}).json_body
    other = api.post(
        f"/v1/plans/{plan['id']}/variants",
        {"name": "Yearly", "price": "99.00", "allow_signup": True},
    ).json_body
    headings = {"page_title": {"en": "Order now, drive tomorrow"}}
    assert api.put(PATH, settings(headings=headings)).status_code == 200
    for variant_id in (shop.variant["id"], other["id"]):
        answer = anonymous.get(f"/p/{tenant.slug}/signup/{variant_id}")
        assert answer.status_code == 200
        assert "Order now, drive tomorrow" in answer.body.decode()
