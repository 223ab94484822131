"""The customer changes how it pays on the self-service page (issue 15, item 6): an IBAN
with wrong check digits is refused field by field, the account is kept for the debit and
shown masked, the event never holds it, and the provider can turn the change off."""

from __future__ import annotations

import pytest

from tests.conftest import problem
from tests.services.billing.conftest import SETTINGS
from tests.services.billing.test_self_service import new_link, signed_up

NEW_IBAN = "DK50 0040 0440 1162 43"


def _customer(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    return contract_id, api.as_key(new_link(api, contract_id)["token"])


def test_the_customer_switches_to_another_account_and_sees_it_masked(api, anonymous, tenant, shop):
    contract_id, me = _customer(api, anonymous, tenant, shop)
    assert me.get("/v1/self-service/contract").json_body["permissions"]["change_payment"] is True
    sepa = {"iban": NEW_IBAN.lower(), "account_holder": "Ole Kran"}
    changed = me.put("/v1/self-service/payment", {"method": "sepa_debit", "sepa": sepa})
    assert changed.status_code == 200, changed.body
    assert changed.json_body == {
        "method": "sepa_debit",
        "iban_masked": "DK50 **** **** 6243",
        "account_holder": "Ole Kran",
    }
    shown = api.get(f"/v1/contracts/{contract_id}").json_body["payment"]
    assert shown == changed.json_body
    events = api.get("/v1/events?type=contract.payment_changed").json_body["items"]
    assert [e["data"] for e in events] == [{"method": "sepa_debit"}]
    assert "0440" not in str(events)
    back = me.put("/v1/self-service/payment", {"method": "invoice"})
    assert back.json_body == {"method": "invoice", "iban_masked": None, "account_holder": None}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {
                "method": "sepa_debit",
                "sepa": {"iban": "DE89 3704 0044 0532 0130 01", "account_holder": "X"},
            },
            [("payment.sepa.iban", "iban")],
        ),
        ({"method": "sepa_debit"}, [("payment.sepa", "required")]),
        ({"method": "cheque"}, [("method", "choice")]),
    ],
)
def test_a_bad_account_is_refused_and_nothing_changes(api, anonymous, tenant, shop, body, errors):
    contract_id, me = _customer(api, anonymous, tenant, shop)
    before = api.get(f"/v1/contracts/{contract_id}").json_body["payment"]
    answer = me.put("/v1/self-service/payment", body)
    assert answer.status_code == 422, answer.body
    found = [(e["field"], e["code"]) for e in problem(answer)["errors"]]
    assert found == errors
    assert api.get(f"/v1/contracts/{contract_id}").json_body["payment"] == before


def test_the_provider_turns_the_change_off(api, anonymous, tenant, shop):
    contract_id, me = _customer(api, anonymous, tenant, shop)
    assert (
        api.put("/v1/settings/self-service", {**SETTINGS, "allow_payment_edit": False}).status_code
        == 200
    )
    assert me.get("/v1/self-service/contract").json_body["permissions"]["change_payment"] is False
    answer = me.put("/v1/self-service/payment", {"method": "invoice"})
    assert answer.status_code == 403
    assert api.get(f"/v1/contracts/{contract_id}").json_body["payment"]["method"] == "sepa_debit"


def test_a_withdrawn_link_changes_nothing(api, anonymous, tenant, shop):
    contract_id, me = _customer(api, anonymous, tenant, shop)
    assert api.delete(f"/v1/contracts/{contract_id}/self-service-token").status_code == 204
    answer = me.put("/v1/self-service/payment", {"method": "invoice"})
    assert (answer.status_code, problem(answer)["reason"]) == (401, "revoked")
