"""E-mails to a contract's customer: templates per kind and language, a fresh self-service
link wherever a template asks for one, the outbox on one machine and SES in AWS."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.models import Customer
from chalicelib.services.billing import mail
from chalicelib.settings import get_settings, reset_settings
from tests.conftest import problem
from tests.mail import Outbox, outbox, text_of
from tests.samples import tiny_pdf

LINK = "http://localhost:8000/p/acme/self-service#token=pws_secret"
SENDER = "no-reply@portway.localhost"  # the address in PORTWAY_MAIL_FROM's default
REGION = "eu-central-1"


# -- helpers ---------------------------------------------------------------------------------


def link_in(text: str) -> str:
    found = re.findall(r"https?://[^\s]+/self-service[^\s]*", text)
    assert len(found) == 1, text
    return str(found[0])


def new_contract(api, **customer: Any) -> str:
    """A contract of a new customer (made over the provider API); its id."""
    plan = api.post("/v1/plans", {"name": "Fleet Pro"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "49.00"})
    body = {"name": "Nordfracht GmbH", "email": "jana@nordfracht.example", **customer}
    made = api.post("/v1/customers", {k: v for k, v in body.items() if v is not None})
    assert made.status_code == 201, made.json_body
    answer = api.post(
        "/v1/contracts",
        {"customer_id": made.json_body["id"], "plan_variant_id": variant.json_body["id"]},
    )
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["id"]


def upload(api, contract_id: str, kind: str = "invoice", number: str = "R-1") -> str:
    answer = api.request(
        "POST",
        f"/v1/contracts/{contract_id}/documents?kind={kind}&number={number}",
        raw=tiny_pdf(),
        headers={"Content-Type": "application/pdf"},
    )
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["id"]


def send(api, contract_id: str, **body: Any):
    return api.post(f"/v1/contracts/{contract_id}/emails", body)


# -- fill() ----------------------------------------------------------------------------------


def test_fill_puts_the_link_where_the_placeholder_is():
    assert mail.fill("Open {SelfServicePortalUrl} now", {}, LINK) == f"Open {LINK} now"


def test_fill_puts_the_language_before_the_links_fragment():
    text = mail.fill("Open {SelfServicePortalUrl}?language=en now", {}, LINK)
    assert text == "Open http://localhost:8000/p/acme/self-service?language=en#token=pws_secret now"


def test_fill_replaces_a_language_the_link_already_has():
    link = "http://localhost:8000/p/acme/self-service?language=de#token=pws_secret"
    text = mail.fill("{SelfServicePortalUrl}?language=da", {}, link)
    assert text == "http://localhost:8000/p/acme/self-service?language=da#token=pws_secret"


def test_fill_replaces_the_other_placeholders_once():
    values = {"CustomerName": "{ContractId} Jana", "ContractId": "con_1", "PlanName": "Pro"}
    text = mail.fill("Hi {CustomerName}, {PlanName} ({ContractId}) {Unknown}", values, None)
    # A value is not read as a template again; an unknown name stays as it is.
    assert text == "Hi {ContractId} Jana, Pro (con_1) {Unknown}"
    assert mail.fill("Link: {SelfServicePortalUrl}.", {}, None) == "Link: ."


# -- templates -------------------------------------------------------------------------------


def test_an_unsaved_template_is_portways_own_text(api):
    answer = api.get("/v1/email-templates/invoice/de")
    assert answer.status_code == 200, answer.json_body
    template = answer.json_body
    assert template["custom"] is False
    assert template["updated_at"] is None
    assert template["subject"] == "Ihre Rechnung {DocumentNumber} von {ProviderName}"
    assert "{SelfServicePortalUrl}" in template["body"]
    english = api.get("/v1/email-templates/reminder/en").json_body
    assert english["subject"] == "Payment reminder from {ProviderName}"


def test_a_saved_template_is_the_tenants_until_deleted(api, other_api):
    body = {"subject": "Rechnung {DocumentNumber}", "body": "Bitte: {SelfServicePortalUrl}"}
    answer = api.put("/v1/email-templates/invoice/de", body)
    assert answer.status_code == 200, answer.json_body
    saved = api.get("/v1/email-templates/invoice/de").json_body
    assert (saved["subject"], saved["body"], saved["custom"]) == (
        body["subject"],
        body["body"],
        True,
    )
    assert other_api.get("/v1/email-templates/invoice/de").json_body["custom"] is False
    assert api.delete("/v1/email-templates/invoice/de").status_code == 204
    assert api.get("/v1/email-templates/invoice/de").json_body["custom"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "Rechnung", "body": "Hallo {Kundenname}: {SelfServicePortalUrl}"}, "body"),
        ({"subject": "Rechnung {Number}", "body": "{SelfServicePortalUrl}"}, "subject"),
        ({"subject": "Hier: {SelfServicePortalUrl}", "body": "Hallo"}, "subject"),
    ],
)
def test_a_template_with_an_unknown_placeholder_or_the_link_in_the_subject_is_422(api, body, field):
    answer = api.put("/v1/email-templates/invoice/de", body)
    assert answer.status_code == 422, answer.json_body
    assert field in [e["field"] for e in problem(answer)["errors"]]
    assert api.get("/v1/email-templates/invoice/de").json_body["custom"] is False


@pytest.mark.parametrize("path", ["receipt/de", "invoice/xx", "invoice/DE", "Invoice/de"])
def test_an_unknown_kind_or_language_is_404(api, path):
    body = {"subject": "Rechnung", "body": "{SelfServicePortalUrl}"}
    assert api.put(f"/v1/email-templates/{path}", body).status_code == 404
    assert api.get(f"/v1/email-templates/{path}").status_code == 404
    assert api.delete(f"/v1/email-templates/{path}").status_code == 404


# -- sending ---------------------------------------------------------------------------------


def test_an_invoice_mail_goes_to_the_customer_in_its_language_with_a_working_link(api, tenant):
    contract_id = new_contract(api, language="de")
    document_id = upload(api, contract_id, number="R-2026-1")
    box = Outbox()
    answer = send(api, contract_id, kind="invoice", document_id=document_id)
    assert answer.status_code == 201, answer.json_body
    sent = answer.json_body
    assert (sent["to"], sent["language"], sent["transport"]) == (
        "jana@nordfracht.example",
        "de",
        "outbox",
    )
    assert sent["link_expires_at"] is not None

    message = box.one()
    assert message["To"] == "jana@nordfracht.example"
    assert message["Subject"] == "Ihre Rechnung R-2026-1 von Tenant A"
    assert sent["subject"] == message["Subject"]
    assert message["From"] == get_settings().mail_from
    text = text_of(message)
    assert "Guten Tag Nordfracht GmbH" in text
    link = link_in(text)
    address, _, fragment = link.partition("#")
    assert address.endswith(f"/p/{tenant.slug}/self-service")
    assert fragment.startswith("token=")

    customer = api.as_key(fragment.removeprefix("token="))
    view = customer.get("/v1/self-service/contract")
    assert view.status_code == 200, view.json_body
    assert view.json_body["contract"]["id"] == contract_id
    assert view.json_body["expires_at"][:19] == sent["link_expires_at"][:19]
    assert [d["number"] for d in view.json_body["documents"]] == ["R-2026-1"]


def test_the_language_given_wins_over_the_customers(api):
    contract_id = new_contract(api, language="de")
    box = Outbox()
    answer = send(api, contract_id, kind="reminder", language="da")
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["language"] == "da"
    assert box.one()["Subject"] == "Betalingspåmindelse fra Tenant A"


def test_a_customer_without_a_language_gets_the_tenants(api):
    contract_id = new_contract(api)
    box = Outbox()
    assert send(api, contract_id, kind="reminder").json_body["language"] == "en"
    assert box.one()["Subject"] == "Payment reminder from Tenant A"


def test_a_template_link_with_a_language_opens_the_page_in_it(api, tenant):
    template = {
        "subject": "Rechnung {DocumentNumber} für {CustomerName}",
        "body": "Hallo {CustomerName},\nhier: {SelfServicePortalUrl}?language=de\nDanke",
    }
    assert api.put("/v1/email-templates/invoice/de", template).status_code == 200
    contract_id = new_contract(api, language="de")
    document_id = upload(api, contract_id, number="R-9")
    box = Outbox()
    assert send(api, contract_id, kind="invoice", document_id=document_id).status_code == 201
    message = box.one()
    assert message["Subject"] == "Rechnung R-9 für Nordfracht GmbH"
    link = link_in(text_of(message))
    assert f"/p/{tenant.slug}/self-service?language=de#token=pws_" in link
    token = link.split("#token=", 1)[1]
    view = api.as_key(token).get("/v1/self-service/contract")
    assert view.status_code == 200, view.json_body
    assert view.json_body["contract"]["id"] == contract_id


def test_a_template_without_the_link_makes_no_link(api):
    template = {"subject": "Erinnerung", "body": "Bitte zahlen Sie, {CustomerName}."}
    assert api.put("/v1/email-templates/reminder/de", template).status_code == 200
    contract_id = new_contract(api, language="de")
    box = Outbox()
    answer = send(api, contract_id, kind="reminder")
    assert answer.json_body["link_expires_at"] is None
    assert "self-service" not in text_of(box.one())


def test_a_document_of_another_kind_or_contract_is_422_and_nothing_is_sent(api):
    contract_id = new_contract(api)
    credit_note = upload(api, contract_id, kind="credit_note", number="G-1")
    other_invoice = upload(api, new_contract(api), number="R-5")
    box = Outbox()
    for document_id in (credit_note, other_invoice, "doc_nothing"):
        answer = send(api, contract_id, kind="invoice", document_id=document_id)
        assert answer.status_code == 422, answer.json_body
        assert [e["field"] for e in problem(answer)["errors"]] == ["document_id"]
    assert box.new() == []
    # The right kind goes out.
    assert send(api, contract_id, kind="credit_note", document_id=credit_note).status_code == 201


def test_a_customer_without_an_email_needs_a_to_address(api):
    contract_id = new_contract(api, email=None)
    box = Outbox()
    answer = send(api, contract_id, kind="reminder")
    assert answer.status_code == 422, answer.json_body
    assert [e["field"] for e in problem(answer)["errors"]] == ["to"]
    assert box.new() == []
    answer = send(api, contract_id, kind="reminder", to="accounts@nordfracht.example")
    assert answer.status_code == 201, answer.json_body
    assert box.one()["To"] == "accounts@nordfracht.example"


def test_another_tenants_contract_is_404(api, other_api):
    contract_id = new_contract(api)
    box = Outbox()
    assert send(other_api, contract_id, kind="reminder").status_code == 404
    assert box.new() == []


def _contract_of_a_customer_named(api, name: str) -> str:
    """A contract whose customer's stored name is `name`: the API refuses control characters
    in names now, but names stored before (or by other means) must still be harmless."""
    contract_id = new_contract(api, name="Placeholder", language="en")
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    tenant_id = api.get("/v1/tenant").json_body["id"]
    Customer.get(tenant_id, customer_id).update(actions=[Customer.name.set(name)])
    return contract_id


@pytest.mark.parametrize("name", ["Evil\r\nBcc: victim@example.com", "Evil\nBcc: a@b.example"])
def test_a_line_break_in_the_customers_name_stays_in_the_subject(api, name):
    assert api.post("/v1/customers", {"name": name}).status_code == 422  # refused as input
    template = {"subject": "Reminder for {CustomerName}", "body": "{SelfServicePortalUrl}"}
    assert api.put("/v1/email-templates/reminder/en", template).status_code == 200
    contract_id = _contract_of_a_customer_named(api, name)
    box = Outbox()
    answer = send(api, contract_id, kind="reminder")
    assert answer.status_code == 201, answer.json_body
    message = box.one()
    assert message["Bcc"] is None
    assert message["To"] == "jana@nordfracht.example"
    subject = str(message["Subject"])
    assert re.fullmatch(r"Reminder for Evil[^\r\n]*", subject), subject
    assert answer.json_body["subject"] == str(message["Subject"])


@pytest.mark.parametrize("name", ["Evil\u2028Name", "Evil\x85Name", "Evil\x0bName"])
def test_a_unicode_line_break_in_the_customers_name_stays_in_the_subject(api, name):
    template = {"subject": "Reminder for {CustomerName}", "body": "{SelfServicePortalUrl}"}
    assert api.put("/v1/email-templates/reminder/en", template).status_code == 200
    contract_id = _contract_of_a_customer_named(api, name)
    box = Outbox()
    answer = send(api, contract_id, kind="reminder")
    assert answer.status_code == 201, answer.json_body
    assert str(box.one()["Subject"]).startswith("Reminder for Evil")


# -- SES -------------------------------------------------------------------------------------


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Settings from these environment variables (None: unset) inside the block only."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()


@pytest.fixture
def ses_stage() -> Iterator[None]:
    """PORTWAY_MAIL_TRANSPORT=ses for this test only."""
    with environment(PORTWAY_MAIL_TRANSPORT="ses"):
        yield


def ses_sent() -> list[Any]:
    """What moto's SES mock recorded (moto's internal API)."""
    from moto.backends import get_backend

    return list(get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def test_ses_transport_sends_a_text_mail():
    """Against moto's SES mock (mock_aws), not Amazon SES."""
    with mock_aws():
        client = boto3.client("sesv2", region_name=REGION)
        client.create_email_identity(EmailIdentity=SENDER)
        message_id = mail.SesTransport(client).send(
            mail.Mail(f"Portway <{SENDER}>", "jana@example.com", "Ihre Rechnung", "Grüße\nPortway")
        )
        assert message_id
        sent = [m for m in ses_sent() if m.id == message_id]
        assert len(sent) == 1
        assert sent[0].destinations == {"ToAddresses": ["jana@example.com"]}
        assert sent[0].subject == "Ihre Rechnung"
        assert sent[0].body == "Grüße\nPortway"
        quota = boto3.client("ses", region_name=REGION).get_send_quota()
        assert quota["SentLast24Hours"] >= 1


def test_ses_refuses_an_unverified_sender():
    """Against moto's SES mock (mock_aws): SES sends only from verified identities."""
    with mock_aws():
        client = boto3.client("sesv2", region_name=REGION)
        with pytest.raises(client.exceptions.ClientError):
            mail.SesTransport(client).send(
                mail.Mail("someone@unverified.example", "jana@example.com", "Hi", "Body")
            )


def test_the_ses_setting_selects_ses_and_the_default_the_outbox(ses_stage):
    transport = mail.transport()
    assert isinstance(transport, mail.SesTransport)
    assert transport.name == "ses"
    with environment(PORTWAY_MAIL_TRANSPORT=None):
        local = mail.transport()
    assert isinstance(local, mail.OutboxTransport)
    assert local.folder == outbox()


def test_with_ses_selected_an_invoice_mail_goes_through_ses(api, ses_stage):
    """Against moto's SES mock (mock_aws), not Amazon SES."""
    buyer = f"ses-{secrets.token_hex(6)}@example.com"  # moto's SES may hold earlier mails
    contract_id = new_contract(api, language="en", email=buyer)
    document_id = upload(api, contract_id, number="R-SES")
    box = Outbox()
    with mock_aws():
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
        answer = send(api, contract_id, kind="invoice", document_id=document_id)
        assert answer.status_code == 201, answer.json_body
        assert answer.json_body["transport"] == "ses"
        sent = [m for m in ses_sent() if m.destinations["ToAddresses"] == [answer.json_body["to"]]]
    assert len(sent) == 1
    assert sent[0].subject == "Your invoice R-SES from Tenant A"
    token = link_in(sent[0].body).split("#token=", 1)[1]
    assert api.as_key(token).get("/v1/self-service/contract").status_code == 200
    assert box.new() == []


def test_a_mail_ses_refuses_is_503_to_retry(api, ses_stage):
    """Against moto's SES mock (mock_aws): the sender is not a verified identity there."""
    contract_id = new_contract(api, language="en")
    sender = f"billing-{secrets.token_hex(6)}@unverified.example"
    with environment(PORTWAY_MAIL_FROM=sender), mock_aws():
        answer = send(api, contract_id, kind="reminder")
        assert answer.status_code == 503, answer.json_body
        assert answer.headers["Retry-After"]
        assert [m for m in ses_sent() if m.source == sender] == []
