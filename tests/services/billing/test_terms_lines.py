"""Terms lines in the page's language only (issue 15, items 1 and 6): a line the provider did
not write in a language says the page's own sentence around the translated link, never
another language's words; with no lines at all, the provider's terms and privacy addresses
still show, as information; the German order button says that ordering costs money."""

from __future__ import annotations

import re

from tests.services.billing.conftest import ORIGIN, SETTINGS


def _page(anonymous, tenant, shop, language: str) -> str:
    path = f"/p/{tenant.slug}/signup/{shop.variant['id']}?language={language}"
    answer = anonymous.get(path)
    assert answer.status_code == 200
    return answer.body.decode()


def _terms(html: str) -> str:
    block = re.search(r'<div class="terms".*?</div>', html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", block)).strip()


def test_a_line_missing_in_danish_is_the_pages_own_danish_sentence(api, anonymous, tenant, shop):
    # SETTINGS' lines: "I accept the {tac}." (en, de, mandatory), "Read our {dpp}." (en, de),
    # "See the {withdrawal}." (en only, mandatory).
    urls = {**SETTINGS["urls"], "withdrawal": f"{ORIGIN}/withdrawal"}
    assert api.put("/v1/settings/self-service", {**SETTINGS, "urls": urls}).status_code == 200
    danish = _terms(_page(anonymous, tenant, shop, "da"))
    assert danish == (
        "Jeg accepterer de gældende handelsbetingelser. "
        "Jeg har læst den gældende privatlivspolitik. "
        "Jeg er blevet oplyst om min fortrydelsesret."
    )
    html = _page(anonymous, tenant, shop, "da")
    assert f'href="{ORIGIN}/terms"' in html
    assert 'data-term="0"' in html  # still a checkbox the order must carry
    german = _terms(_page(anonymous, tenant, shop, "de"))
    assert german.startswith("Ich akzeptiere die AGB.")  # the provider's own German line
    assert "Ich habe die Widerrufsbelehrung gelesen." in german  # no German text: ours
    assert "See the" not in german


def test_without_lines_the_terms_and_privacy_addresses_still_show(api, anonymous, tenant, shop):
    saved = api.put("/v1/settings/self-service", {**SETTINGS, "terms_lines": []})
    assert saved.status_code == 200, saved.body
    html = _page(anonymous, tenant, shop, "de")
    assert _terms(html) == (
        "Mit Ihrer Bestellung akzeptieren Sie die AGB. "
        "Wie wir mit Ihren Daten umgehen: Datenschutzerklärung."
    )
    assert "data-term=" not in html  # information, nothing to tick
    assert f'href="{ORIGIN}/privacy"' in html


def test_the_german_order_button_says_it_costs_money(anonymous, tenant, shop):
    html = _page(anonymous, tenant, shop, "de")
    assert (
        '<button type="submit" class="action" id="order">Zahlungspflichtig bestellen</button>'
        in html
    )
