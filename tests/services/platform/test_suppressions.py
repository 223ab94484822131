"""Suppressed addresses: SES's reports read into suppressions (a permanent bounce or a
complaint, never a transient bounce), stored once however often SNS delivers a report, and
`deliver` sending nothing to them; SES mail carries the configuration set and the tenant."""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.models import Event, MailSuppression
from chalicelib.services.platform import outbound_mail, suppressions
from chalicelib.services.platform.outbound_mail import Mail, SesTransport, Suppressed
from chalicelib.settings import reset_settings
from tests.mail import Outbox

REGION = "eu-central-1"
TENANT = "ten_01JD8X0000000000000000TEST"


def address() -> str:
    """A new address: suppressions are global, and the tables live for the whole session."""
    return f"person-{secrets.token_hex(6)}@example.com"


def report(kind: str = "Bounce", tenant: str | None = TENANT, **part: Any) -> str:
    """An SES event as SNS carries it (the message's JSON)."""
    mail: dict[str, Any] = {"messageId": "0100018c-abc", "destination": ["x@example.com"]}
    if tenant is not None:
        mail["tags"] = {"ses:configuration-set": ["portway-prod-mail"], "tenant": [tenant]}
    body: dict[str, Any] = {"eventType": kind, "mail": mail}
    body[kind.lower()] = {
        "timestamp": "2026-11-22T10:00:00.000Z",
        "feedbackId": "0100018c-feedback",
        **part,
    }
    return json.dumps(body)


def bounce(to: str, kind: str = "Permanent", sub: str = "General", **kw: Any) -> str:
    recipients = [{"emailAddress": to, "action": "failed", "status": "5.1.1"}]
    return report("Bounce", bounceType=kind, bounceSubType=sub, bouncedRecipients=recipients, **kw)


def complaint(to: str, feedback: str | None = "abuse", **kw: Any) -> str:
    part: dict[str, Any] = {"complainedRecipients": [{"emailAddress": to}]}
    if feedback:
        part["complaintFeedbackType"] = feedback
    return report("Complaint", **part, **kw)


def store(message: str) -> list[MailSuppression | None]:
    return [suppressions.record(f) for f in suppressions.read_report(message)]


def events_of(tenant_id: str, type_: str) -> list[Event]:
    return [e for e in Event.query(tenant_id, consistent_read=True) if e.type == type_]


# -- reading SES's reports -------------------------------------------------------------------


def test_a_permanent_bounce_names_its_recipients_with_the_tenant_and_the_bounce_type():
    (finding,) = suppressions.read_report(bounce(" Jana@Example.COM ", sub="NoEmail"))
    assert finding.address == "jana@example.com"
    assert finding.reason == "bounce"
    assert finding.detail == "Permanent/NoEmail"
    assert finding.tenant_id == TENANT
    assert finding.feedback_id == "0100018c-feedback"
    assert finding.at is not None
    assert finding.at.isoformat() == "2026-11-22T10:00:00+00:00"


@pytest.mark.parametrize("kind", ["Transient", "Undetermined"])
def test_a_transient_or_undetermined_bounce_suppresses_nothing(kind):
    assert suppressions.read_report(bounce("jana@example.com", kind=kind, sub="General")) == []


def test_a_complaint_names_its_recipients_and_the_feedback_type():
    (finding,) = suppressions.read_report(complaint("jana@example.com"))
    assert (finding.reason, finding.detail) == ("complaint", "abuse")
    (without,) = suppressions.read_report(complaint("jana@example.com", feedback=None))
    assert without.detail is None


def test_other_events_suppress_nothing():
    assert suppressions.read_report(json.dumps({"eventType": "Delivery", "mail": {}})) == []


def test_a_report_without_a_tenant_tag_or_with_a_strange_one_names_no_tenant():
    (untagged,) = suppressions.read_report(bounce("a@example.com", tenant=None))
    assert untagged.tenant_id is None
    (strange,) = suppressions.read_report(
        report(
            "Bounce",
            tenant="../../etc",
            bounceType="Permanent",
            bouncedRecipients=[{"emailAddress": "a@example.com"}],
        )
    )
    assert strange.tenant_id is None


def test_a_recipient_that_is_no_address_is_passed_over():
    message = report(
        "Bounce",
        bounceType="Permanent",
        bouncedRecipients=[{"emailAddress": "no address"}, "x", {"emailAddress": "b@example.com"}],
    )
    assert [f.address for f in suppressions.read_report(message)] == ["b@example.com"]


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        json.dumps({"mail": {}}),
        json.dumps({"eventType": "Bounce"}),
        json.dumps({"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}}),
        json.dumps({"eventType": "Complaint", "complaint": {"complainedRecipients": "x"}}),
    ],
)
def test_a_message_that_is_no_ses_report_is_malformed(message):
    with pytest.raises(suppressions.Malformed):
        suppressions.read_report(message)


# -- storing ---------------------------------------------------------------------------------


def test_a_permanent_bounce_suppresses_once_and_tells_the_tenant_once(backend, tenant):
    to = address()
    (stored,) = store(bounce(to.upper(), tenant=tenant.id))
    assert stored is not None
    found = outbound_mail.suppression_of(f"Someone <{to}>")
    assert found is not None
    assert (found.reason, found.detail, found.tenant_id) == (
        "bounce",
        "Permanent/General",
        tenant.id,
    )
    # SNS delivers the same report again: nothing changes, nothing more is recorded.
    assert store(bounce(to, tenant=tenant.id)) == [None]
    assert outbound_mail.suppression_of(to).attribute_values == found.attribute_values  # type: ignore[union-attr]
    (event,) = events_of(tenant.id, "mail.suppressed")
    assert event.actor == suppressions.MAIL_PROVIDER
    assert event.object_id == found.suppression_id
    assert event.data == {"address": to, "reason": "bounce", "detail": "Permanent/General"}


def test_a_transient_bounce_stores_nothing(backend, tenant):
    to = address()
    assert store(bounce(to, kind="Transient", tenant=tenant.id)) == []
    assert outbound_mail.suppression_of(to) is None
    assert events_of(tenant.id, "mail.suppressed") == []


def test_a_complaint_suppresses_and_turns_a_bounce_into_a_complaint(backend, tenant):
    bounced, complained = address(), address()
    (first,) = store(complaint(complained, tenant=tenant.id))
    assert first is not None
    assert first.reason == "complaint"
    assert store(complaint(complained, tenant=tenant.id)) == [None]
    (was,) = store(bounce(bounced, tenant=tenant.id))
    (now,) = store(complaint(bounced, tenant=tenant.id))
    assert was is not None
    assert now is not None
    assert (now.suppression_id, now.reason) == (was.suppression_id, "complaint")
    # A bounce reported after the complaint leaves it a complaint.
    assert store(bounce(bounced, tenant=tenant.id)) == [None]
    assert outbound_mail.suppression_of(bounced).reason == "complaint"  # type: ignore[union-attr]
    assert len(events_of(tenant.id, "mail.suppressed")) == 3


def test_an_address_whose_mail_named_no_tenant_is_suppressed_without_an_event(backend):
    to = address()
    (stored,) = store(bounce(to, tenant=None))
    assert stored is not None
    assert stored.tenant_id is None
    assert outbound_mail.suppression_of(to) is not None


# -- deliver ---------------------------------------------------------------------------------


def test_deliver_sends_nothing_to_a_suppressed_address_and_says_so(backend, tenant):
    to = address()
    store(bounce(to, tenant=tenant.id))
    box = Outbox()
    with pytest.raises(Suppressed) as refused:
        outbound_mail.deliver(
            Mail("no-reply@portway.localhost", to.upper(), "Hello", "Body", tenant.id), "a test"
        )
    assert box.new() == []
    (error,) = refused.value.errors
    assert (error.field, error.code) == ("email", "mail_suppressed")
    assert refused.value.on("to").errors[0].field == "to"
    # Any other address goes out as ever.
    outbound_mail.deliver(Mail("no-reply@portway.localhost", address(), "Hi", "Body"), "a test")
    assert len(box.new()) == 1


# -- SES -------------------------------------------------------------------------------------


def _stubbed(expected: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("sesv2", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response("send_email", {"MessageId": "m-1"}, expected)
    stubber.activate()
    return client, stubber


def _request(to: str, **extra: Any) -> dict[str, Any]:
    return {
        "FromEmailAddress": "Portway <no-reply@example.com>",
        "Destination": {"ToAddresses": [to]},
        "Content": {
            "Simple": {
                "Subject": {"Data": "Hallo", "Charset": "UTF-8"},
                "Body": {"Text": {"Data": "Text", "Charset": "UTF-8"}},
            }
        },
        **extra,
    }


def test_ses_mail_carries_the_configuration_set_and_the_tenant_tag():
    expected = _request(
        "jana@example.com",
        ConfigurationSetName="portway-prod-mail",
        EmailTags=[{"Name": "tenant", "Value": TENANT}],
    )
    client, stubber = _stubbed(expected)
    mail = Mail("Portway <no-reply@example.com>", "jana@example.com", "Hallo", "Text", TENANT)
    assert SesTransport(client, "portway-prod-mail").send(mail) == "m-1"
    stubber.assert_no_pending_responses()


def test_ses_mail_without_a_set_or_a_tenant_carries_neither():
    client, stubber = _stubbed(_request("jana@example.com"))
    mail = Mail("Portway <no-reply@example.com>", "jana@example.com", "Hallo", "Text")
    assert SesTransport(client).send(mail) == "m-1"
    stubber.assert_no_pending_responses()


def test_the_stage_sends_through_its_configuration_set(monkeypatch):
    monkeypatch.setenv("PORTWAY_MAIL_TRANSPORT", "ses")
    monkeypatch.setenv("PORTWAY_MAIL_CONFIGURATION_SET", "portway-prod-mail")
    reset_settings()
    try:
        chosen = outbound_mail.transport()
        assert isinstance(chosen, SesTransport)
        assert chosen.configuration_set == "portway-prod-mail"
        monkeypatch.setenv("PORTWAY_MAIL_CONFIGURATION_SET", "")
        reset_settings()
        unset = outbound_mail.transport()
        assert isinstance(unset, SesTransport)
        assert unset.configuration_set is None
    finally:
        monkeypatch.undo()
        reset_settings()
