"""Every billing write records exactly one event in its own transaction: the catalogue
(plans, variants, components, coupons), contracts (made, signed up, cancelled), self-service
links, documents, e-mails, templates and settings. A refused change records none, a read
records none, and no event carries a secret or the contact data it changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.ids import digest
from chalicelib.models import Customer, Plan, Token
from chalicelib.services.billing import self_service
from chalicelib.services.platform import outbound_mail, versioning
from tests.mail import links_in, secret_after
from tests.samples import tiny_pdf
from tests.services.billing.conftest import SETTINGS, Shop, order

# -- helpers ---------------------------------------------------------------------------------


class Log:
    """The tenant's events since it was last looked at (at most 100 per look)."""

    def __init__(self, api) -> None:
        self.api = api
        self.seen = {e["id"] for e in self._all()}

    def _all(self) -> list[dict[str, Any]]:
        answer = self.api.get("/v1/events?limit=100")
        assert answer.status_code == 200, answer.json_body
        items: list[dict[str, Any]] = answer.json_body["items"]
        return items

    def new(self) -> list[dict[str, Any]]:
        items = [e for e in self._all() if e["id"] not in self.seen]
        self.seen |= {e["id"] for e in items}
        return items

    def one(self, type_: str, object_id: str | None) -> dict[str, Any]:
        """The one event the last request recorded: of this type, for this object, and no
        other event besides (nor in the older vocabulary)."""
        before = set(self.seen)
        new = self.new()
        assert [(e["type"], e["object_id"]) for e in new] == [(type_, object_id)], new
        listed = [e["id"] for e in of(self.api, type_) if e["id"] not in before]
        assert listed == [new[0]["id"]]
        return new[0]

    def none(self) -> None:
        assert self.new() == []


def of(api, type_: str) -> list[dict[str, Any]]:
    """`GET /v1/events?type=...`."""
    answer = api.get(f"/v1/events?type={type_}&limit=100")
    assert answer.status_code == 200, answer.json_body
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def key_actor(key: str) -> str:
    """How events name the API key `key`."""
    return f"api_key:{Token.get(digest(key)).subject_id}"


def created(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 201, answer.json_body
    body: dict[str, Any] = answer.json_body
    return body


def new_contract(api, shop: Shop) -> dict[str, Any]:
    """A contract of a new customer, made over the provider API."""
    customer = created(api.post("/v1/customers", {"name": "Nordfracht", "email": "j@n.example"}))
    body = {
        "customer_id": customer["id"],
        "plan_variant_id": shop.variant["id"],
        "components": [{"component_id": shop.seats["id"], "quantity": 1}],
    }
    return created(api.post("/v1/contracts", body))


def signed_up(anonymous, tenant, shop: Shop) -> str:
    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    return str(created(answer)["contract_id"])


def link(api, contract_id: str) -> str:
    answer = api.post(f"/v1/contracts/{contract_id}/self-service-token", {})
    return str(created(answer)["token"])


def assert_provider(event: dict[str, Any], tenant, customer_id: str | None = None) -> None:
    assert (event["actor"], event["on_behalf_of"], event["customer_id"]) == (
        key_actor(tenant.key),
        None,
        customer_id,
    )


# -- the catalogue ---------------------------------------------------------------------------


def test_a_plan_records_created_and_updated_with_the_fields_sent(api, tenant):
    log = Log(api)
    plan = created(api.post("/v1/plans", {"name": "Fleet Pro", "currency": "EUR"}))
    event = log.one("plan.created", plan["id"])
    assert_provider(event, tenant)
    assert event["object_type"] == "plan"
    assert event["data"] == {"name": "Fleet Pro", "currency": "EUR"}

    answer = api.patch(f"/v1/plans/{plan['id']}", {"name": "Fleet Max", "description": "All"})
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["version"] == 2
    event = log.one("plan.updated", plan["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"changed": ["description", "name"]}

    stale = api.patch(f"/v1/plans/{plan['id']}", {"name": "Old"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409, stale.json_body
    assert api.patch(f"/v1/plans/{plan['id']}", {"name": None}).status_code == 422
    log.none()


def test_a_plan_changed_between_read_and_write_is_409_and_records_nothing(
    api, tenant, monkeypatch: pytest.MonkeyPatch
):
    plan = created(api.post("/v1/plans", {"name": "Fleet Pro"}))
    log = Log(api)
    real = versioning.change_actions

    def meanwhile(model: Any, changes: dict[str, Any], now: Any) -> Any:
        # Someone else saves the plan after this request read it.
        Plan.get(tenant.id, plan["id"]).update(actions=[Plan.description.set("theirs")])
        return real(model, changes, now)

    monkeypatch.setattr(versioning, "change_actions", meanwhile)
    answer = api.patch(f"/v1/plans/{plan['id']}", {"name": "Mine"})
    assert answer.status_code == 409, answer.json_body
    assert answer.json_body["current_version"] == 2
    log.none()
    monkeypatch.undo()
    assert api.get(f"/v1/plans/{plan['id']}").json_body["name"] == "Fleet Pro"


def test_a_variant_records_created_and_updated(api, tenant):
    plan = created(api.post("/v1/plans", {"name": "Fleet Pro"}))
    log = Log(api)
    body = {"name": "Monthly", "price": "49.00", "allow_signup": True}
    variant = created(api.post(f"/v1/plans/{plan['id']}/variants", body))
    event = log.one("plan_variant.created", variant["id"])
    assert_provider(event, tenant)
    assert event["object_type"] == "plan_variant"
    assert event["data"] == {"plan_id": plan["id"], "allow_signup": True}

    answer = api.patch(f"/v1/plan-variants/{variant['id']}", {"price": "59.00"})
    assert answer.status_code == 200, answer.json_body
    assert (answer.json_body["price"], answer.json_body["version"]) == ("59.00", 2)
    event = log.one("plan_variant.updated", variant["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"plan_id": plan["id"], "changed": ["price"]}
    assert api.get(f"/v1/plan-variants/{variant['id']}").json_body["version"] == 2

    assert api.patch(f"/v1/plan-variants/{variant['id']}", {"name": None}).status_code == 422
    stale = api.patch(
        f"/v1/plan-variants/{variant['id']}", {"price": "1.00"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 409, stale.json_body
    assert api.post("/v1/plans/pln_missing/variants", body).status_code == 404
    log.none()


def test_a_component_records_created_and_updated(api, tenant):
    plan = created(api.post("/v1/plans", {"name": "Fleet Pro"}))
    log = Log(api)
    body = {"plan_id": plan["id"], "name": "Seats", "kind": "quantity", "price": "5.00"}
    component = created(api.post("/v1/components", {**body, "max_quantity": 9}))
    event = log.one("component.created", component["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"plan_id": plan["id"], "kind": "quantity"}

    answer = api.patch(f"/v1/components/{component['id']}", {"max_quantity": 20, "unit": None})
    assert answer.status_code == 200, answer.json_body
    event = log.one("component.updated", component["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"plan_id": plan["id"], "changed": ["max_quantity", "unit"]}

    refused = api.patch(f"/v1/components/{component['id']}", {"show_as_price_info": True})
    assert refused.status_code == 422, refused.json_body
    metered = {**body, "kind": "metered", "show_in_signup": True}
    assert api.post("/v1/components", metered).status_code == 422
    log.none()


def test_a_coupon_records_created_and_deleted_once(api, tenant):
    log = Log(api)
    coupon = created(api.post("/v1/coupons", {"code": "Welcome10", "discount_percent": 10}))
    event = log.one("coupon.created", coupon["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"code": "WELCOME10", "discount_percent": 10}

    taken = api.post("/v1/coupons", {"code": "welcome10", "discount_percent": 20})
    assert taken.status_code == 409, taken.json_body
    log.none()

    assert api.delete("/v1/coupons/welcome10").status_code == 204
    event = log.one("coupon.deleted", coupon["id"])
    assert_provider(event, tenant)
    assert event["data"] == {"code": "WELCOME10"}
    assert api.delete("/v1/coupons/welcome10").status_code == 404
    log.none()


def test_a_replayed_create_records_nothing_more(api, tenant):
    log = Log(api)
    once = {"Idempotency-Key": "coupon-spring"}
    body = {"code": "SPRING", "discount_percent": 15}
    coupon = created(api.post("/v1/coupons", body, headers=once))
    replayed = created(api.post("/v1/coupons", body, headers=once))
    assert replayed["id"] == coupon["id"]
    log.one("coupon.created", coupon["id"])


# -- contracts -------------------------------------------------------------------------------


def test_a_provider_contract_records_created_with_what_was_bought(api, tenant, shop):
    log = Log(api)
    contract = new_contract(api, shop)
    new = log.new()
    # The customer the helper made first, then the contract.
    assert [e["type"] for e in new if e["type"].startswith("contract.")] == ["contract.created"]
    [event] = [e for e in new if e["type"] == "contract.created"]
    assert event["object_id"] == contract["id"]
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {"plan_id": shop.plan["id"], "plan_variant_id": shop.variant["id"]}
    assert [e["object_id"] for e in of(api, "contract.created")] == [contract["id"]]

    body = {"customer_id": "cus_missing", "plan_variant_id": shop.variant["id"]}
    assert api.post("/v1/contracts", body).status_code == 422
    log.none()


def test_a_signup_records_signed_up_by_nobody_named(api, anonymous, tenant, shop, source_address):
    log = Log(api)
    refused = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop, accepted_terms=[]))
    assert refused.status_code == 422, refused.json_body
    log.none()

    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", order(shop))
    contract_id = created(answer)["contract_id"]
    event = log.one("contract.signed_up", contract_id)
    contract = api.get(f"/v1/contracts/{contract_id}").json_body
    assert (event["actor"], event["on_behalf_of"]) == ("anonymous", None)
    assert event["customer_id"] == contract["customer_id"]
    assert event["object_type"] == "contract"
    assert event["data"] == {"plan_id": shop.plan["id"], "plan_variant_id": shop.variant["id"]}
    text = json.dumps(event)
    for personal in (source_address, "jana@nordfracht.example", "DE89", "Berg"):
        assert personal not in text


def test_a_cancellation_records_cancelled_by_the_provider_once(api, tenant, shop):
    contract = new_contract(api, shop)
    log = Log(api)
    answer = api.post(f"/v1/contracts/{contract['id']}/cancel")
    assert answer.status_code == 200, answer.json_body
    event = log.one("contract.cancelled", contract["id"])
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {"end_at": answer.json_body["end_at"]}

    assert api.post(f"/v1/contracts/{contract['id']}/cancel").status_code == 409
    log.none()


def test_a_cancellation_on_the_self_service_page_names_the_link(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(link(api, contract_id))
    api.put("/v1/settings/self-service", {**SETTINGS, "allow_cancellation": False})
    log = Log(api)
    assert customer.post("/v1/self-service/cancel").status_code == 403
    log.none()

    api.put("/v1/settings/self-service", SETTINGS)
    log = Log(api)
    answer = customer.post("/v1/self-service/cancel")
    assert answer.status_code == 200, answer.json_body
    event = log.one("contract.cancelled", contract_id)
    assert (event["actor"], event["on_behalf_of"]) == (f"self_service:{contract_id}", None)
    assert event["customer_id"] == answer.json_body["customer_id"]
    assert event["data"] == {"end_at": answer.json_body["end_at"]}
    assert customer.post("/v1/self-service/cancel").status_code == 409
    log.none()


# -- self-service links ----------------------------------------------------------------------


def test_a_link_records_link_created_without_the_link(api, tenant, shop):
    contract = new_contract(api, shop)
    log = Log(api)
    answer = api.post(
        f"/v1/contracts/{contract['id']}/self-service-token", {"validity_minutes": 30}
    )
    made = created(answer)
    event = log.one("contract.link_created", contract["id"])
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {"expires_at": made["expires_at"]}
    text = json.dumps(event)
    assert made["token"] not in text
    assert digest(made["token"]) not in text

    too_long = {"validity_minutes": 10081}
    refused = api.post(f"/v1/contracts/{contract['id']}/self-service-token", too_long)
    assert refused.status_code == 422, refused.json_body
    assert api.post("/v1/contracts/con_missing/self-service-token", {}).status_code == 404
    log.none()


def test_withdrawing_links_records_links_withdrawn(api, tenant, shop):
    contract = new_contract(api, shop)
    token = link(api, contract["id"])
    log = Log(api)
    assert api.delete(f"/v1/contracts/{contract['id']}/self-service-token").status_code == 204
    event = log.one("contract.links_withdrawn", contract["id"])
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {}
    assert api.as_key(token).get("/v1/self-service/contract").status_code == 401
    assert api.delete("/v1/contracts/con_missing/self-service-token").status_code == 404
    log.none()


def test_the_customer_changing_contact_data_records_the_field_names_only(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(link(api, contract_id))
    log = Log(api)
    hidden = customer.patch("/v1/self-service/customer", {"vat_id": "DE123456789"})
    assert hidden.status_code == 422, hidden.json_body
    log.none()

    change = {"phone": "+49 40 987654", "email": "einkauf@nordfracht.example"}
    answer = customer.patch("/v1/self-service/customer", change)
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["phone"] == "+49 40 987654"
    assert answer.json_body["version"] == 2
    event = log.one("contract.customer_updated", contract_id)
    assert (event["actor"], event["on_behalf_of"]) == (f"self_service:{contract_id}", None)
    assert event["customer_id"] == answer.json_body["id"]
    assert event["data"] == {"changed": ["email", "phone"]}
    text = json.dumps(event)
    assert "987654" not in text
    assert "einkauf@" not in text

    assert customer.patch("/v1/self-service/customer", {}).status_code == 200
    log.none()  # nothing sent, nothing changed
    api.put("/v1/settings/self-service", {**SETTINGS, "allow_contact_edit": False})
    log = Log(api)
    assert customer.patch("/v1/self-service/customer", change).status_code == 403
    log.none()


def test_contact_data_changed_meanwhile_is_409_and_records_nothing(
    api, anonymous, tenant, shop, monkeypatch: pytest.MonkeyPatch
):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(link(api, contract_id))
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    real = self_service.change_actions

    def meanwhile(model: Any, changes: dict[str, Any], now: Any) -> Any:
        # The provider renames the customer after this request read it.
        Customer.get(tenant.id, customer_id).update(actions=[Customer.name.set("Theirs")])
        return real(model, changes, now)

    monkeypatch.setattr(self_service, "change_actions", meanwhile)
    log = Log(api)
    answer = customer.patch("/v1/self-service/customer", {"phone": "+49 40 1"})
    assert answer.status_code == 409, answer.json_body
    log.none()


# -- documents and e-mails -------------------------------------------------------------------


def test_an_upload_records_document_uploaded(api, tenant, shop):
    contract = new_contract(api, shop)
    log = Log(api)
    path = f"/v1/contracts/{contract['id']}/documents?kind=invoice&number=R-7"
    pdf = {"Content-Type": "application/pdf"}
    document = created(api.request("POST", path, raw=tiny_pdf("Invoice R-7"), headers=pdf))
    event = log.one("contract.document_uploaded", contract["id"])
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {"document_id": document["id"], "kind": "invoice", "number": "R-7"}

    refused = api.request("POST", path, raw=b"%PDF-1.4 not really", headers=pdf)
    assert refused.status_code == 422, refused.json_body
    log.none()


def test_an_email_records_email_sent_with_kind_language_and_recipient(api, tenant, shop):
    contract = new_contract(api, shop)
    log = Log(api)
    body = {"kind": "reminder", "language": "de", "to": "buchhaltung@nordfracht.example"}
    sent = created(api.post(f"/v1/contracts/{contract['id']}/emails", body))
    assert sent["link_expires_at"] is not None
    event = log.one("contract.email_sent", contract["id"])
    assert_provider(event, tenant, contract["customer_id"])
    assert event["data"] == {
        "email_id": sent["id"],
        "kind": "reminder",
        "language": "de",
        "to": "buchhaltung@nordfracht.example",
    }
    assert "token" not in json.dumps(event)

    unknown = {"kind": "invoice", "document_id": "doc_missing"}
    refused = api.post(f"/v1/contracts/{contract['id']}/emails", unknown)
    assert refused.status_code == 422, refused.json_body
    log.none()


def test_an_email_that_cannot_be_sent_records_nothing_and_stores_no_link(
    api, tenant, shop, monkeypatch: pytest.MonkeyPatch
):
    contract = new_contract(api, shop)
    tried: list[Any] = []

    class Refusing:
        name = "outbox"

        def send(self, mail: Any) -> str:
            tried.append(mail)
            raise OSError("disk full")

    monkeypatch.setattr(outbound_mail, "transport", lambda: Refusing())
    log = Log(api)
    answer = api.post(f"/v1/contracts/{contract['id']}/emails", {"kind": "reminder"})
    assert answer.status_code == 503, answer.json_body
    log.none()
    [mail] = tried
    token = secret_after(links_in(mail.body)[0], "token")
    assert api.as_key(token).get("/v1/self-service/contract").status_code == 401


# -- settings and templates ------------------------------------------------------------------


def test_saving_settings_records_the_settings_that_changed(api, tenant):
    log = Log(api)
    answer = api.put("/v1/settings/self-service", {"token_validity_minutes": 90})
    assert answer.status_code == 200, answer.json_body
    event = log.one("settings.self_service_updated", None)
    assert_provider(event, tenant)
    assert (event["object_type"], event["data"]) == (
        "settings",
        {"changed": ["token_validity_minutes"]},
    )

    again = api.put(
        "/v1/settings/self-service",
        {"token_validity_minutes": 90, "allow_cancellation": True, "allow_contact_edit": False},
        headers={"If-Match": '"1"'},
    )
    assert again.status_code == 200, again.json_body
    event = log.one("settings.self_service_updated", None)
    assert event["data"] == {"changed": ["allow_contact_edit", "allow_cancellation"]}

    stale = api.put("/v1/settings/self-service", {}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409, stale.json_body
    wrong = api.put("/v1/settings/self-service", {"urls": {"success": "https://evil.example/"}})
    assert wrong.status_code == 422, wrong.json_body
    log.none()


def test_email_templates_record_updated_and_deleted(api, tenant):
    log = Log(api)
    body = {"subject": "Rechnung {DocumentNumber}", "body": "Hallo {CustomerName}"}
    assert api.put("/v1/email-templates/invoice/de", body).status_code == 200
    event = log.one("email_template.updated", "invoice/de")
    assert_provider(event, tenant)
    assert (event["object_type"], event["data"]) == (
        "email_template",
        {"kind": "invoice", "language": "de"},
    )
    refused = api.put("/v1/email-templates/invoice/de", {**body, "body": "{Nonsense}"})
    assert refused.status_code == 422, refused.json_body
    log.none()

    assert api.delete("/v1/email-templates/invoice/de").status_code == 204
    event = log.one("email_template.deleted", "invoice/de")
    assert_provider(event, tenant)
    assert event["data"] == {"kind": "invoice", "language": "de"}
    # Already Portway's own text: nothing changes, nothing is recorded.
    assert api.delete("/v1/email-templates/invoice/de").status_code == 204
    log.none()


# -- reads -----------------------------------------------------------------------------------


def test_reads_record_nothing(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(link(api, contract_id))
    path = f"/v1/contracts/{contract_id}/documents?kind=invoice"
    pdf = {"Content-Type": "application/pdf"}
    document = created(api.request("POST", path, raw=tiny_pdf(), headers=pdf))
    log = Log(api)
    reads = [
        "/v1/plans",
        f"/v1/plans/{shop.plan['id']}",
        f"/v1/plans/{shop.plan['id']}/variants",
        f"/v1/plans/{shop.plan['id']}/components",
        f"/v1/plan-variants/{shop.variant['id']}",
        f"/v1/components/{shop.seats['id']}",
        "/v1/coupons",
        "/v1/coupons/welcome10",
        "/v1/contracts",
        f"/v1/contracts/{contract_id}",
        f"/v1/contracts/{contract_id}/documents",
        "/v1/settings/self-service",
        "/v1/email-templates",
        "/v1/email-templates/invoice/en",
    ]
    for read in reads:
        assert api.get(read).status_code == 200, read
    download = api.get(
        f"/v1/contracts/{contract_id}/documents/{document['id']}",
        headers={"Accept": "application/pdf"},
    )
    assert download.status_code == 200
    assert customer.get("/v1/self-service/contract").status_code == 200
    own = customer.get(
        f"/v1/self-service/documents/{document['id']}", headers={"Accept": "application/pdf"}
    )
    assert own.status_code == 200
    log.none()
