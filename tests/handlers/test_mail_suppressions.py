"""Mail that bounces or draws a complaint (through SES, SNS and the `mail_events` function)
stops being sent: whoever typed the address hears 422 `mail_suppressed`, anonymous requests
look exactly as if the mail went, the ticket mails skip it, and the provider is told
(`mail.suppressed`), lists its suppressed addresses and lifts a bounce, never a complaint."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from chalicelib.handlers import mail_events
from chalicelib.schemas.billing import NewLinkRequest
from chalicelib.services.billing import mail as billing_mail
from chalicelib.tenancy import Caller
from tests.conftest import problem
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import portal_session, suppress_for

PASSWORD = "a long and uncommon passphrase"


def address(name: str = "person") -> str:
    """A new address: suppressions are global, and the tables live for the whole session."""
    return f"{name}-{secrets.token_hex(6)}@example.com"


def sns(*messages: str) -> dict[str, Any]:
    """What SNS hands the function: one record per message."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": secrets.token_hex(8),
                    "TopicArn": "arn:aws:sns:eu-central-1:123456789012:portway-MailEventsTopic",
                    "Message": message,
                },
            }
            for message in messages
        ]
    }


def ses_event(kind: str, to: str, tenant_id: str, **part: Any) -> str:
    """SES's event publishing JSON of a bounce or complaint of a mail tagged with the tenant."""
    recipients = "bouncedRecipients" if kind == "Bounce" else "complainedRecipients"
    return json.dumps(
        {
            "eventType": kind,
            "mail": {
                "timestamp": "2026-11-22T09:59:58.000Z",
                "messageId": secrets.token_hex(8),
                "tags": {"ses:configuration-set": ["portway-mail"], "tenant": [tenant_id]},
            },
            kind.lower(): {
                "timestamp": "2026-11-22T10:00:00.000Z",
                "feedbackId": secrets.token_hex(8),
                recipients: [{"emailAddress": to}],
                **part,
            },
        }
    )


def bounce(to: str, tenant_id: str, kind: str = "Permanent") -> str:
    return ses_event("Bounce", to, tenant_id, bounceType=kind, bounceSubType="General")


def complaint(to: str, tenant_id: str) -> str:
    return ses_event("Complaint", to, tenant_id, complaintFeedbackType="abuse")


def suppressed(api) -> list[dict[str, Any]]:
    answer = api.get("/v1/mail/suppressions")
    assert answer.status_code == 200, answer.body
    items: list[dict[str, Any]] = answer.json_body["items"]
    return items


def refused_on(answer, field: str) -> None:
    """A 422 whose one field error is `mail_suppressed` on `field`."""
    assert answer.status_code == 422, answer.body
    body = problem(answer)
    assert body["type"] == "urn:portway:problem:validation"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, "mail_suppressed")]


def _portal(api, name: str = "Nordbau GmbH") -> str:
    customer = api.post("/v1/customers", {"name": name}).json_body["id"]
    assert api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment"]}).status_code == 200
    return customer


# -- the function SES's reports reach --------------------------------------------------------


def test_a_permanent_bounce_and_a_complaint_suppress_a_transient_bounce_does_not(api, tenant):
    bounced, complained, full = address("bounced"), address("complained"), address("full")
    answer = mail_events.mail_events(
        sns(
            bounce(bounced, tenant.id),
            complaint(complained, tenant.id),
            bounce(full, tenant.id, kind="Transient"),
        ),
        None,
    )
    assert answer == {"suppressed": 2, "malformed": 0}
    listed = suppressed(api)
    assert [s["id"] for s in listed] == sorted((s["id"] for s in listed), reverse=True)
    assert sorted((s["address"], s["reason"], s["detail"]) for s in listed) == sorted(
        [(complained, "complaint", "abuse"), (bounced, "bounce", "Permanent/General")]
    )
    assert {s["suppressed_at"] for s in listed} == {"2026-11-22T10:00:00Z"}
    # The provider hears of it: the event list (and so its webhooks).
    told = api.get("/v1/events?type=mail.suppressed").json_body["items"]
    assert sorted((e["object_id"], e["data"]["address"]) for e in told) == sorted(
        (s["id"], s["address"]) for s in listed
    )
    assert {e["object_type"] for e in told} == {"mail_suppression"}


def test_a_repeated_sns_delivery_changes_nothing_twice(api, tenant):
    to = address()
    message = bounce(to, tenant.id)
    assert mail_events.mail_events(sns(message), None)["suppressed"] == 1
    before = suppressed(api)
    assert mail_events.mail_events(sns(message, message), None)["suppressed"] == 0
    assert suppressed(api) == before
    assert len(api.get("/v1/events?type=mail.suppressed").json_body["items"]) == 1


def _metrics(out: str) -> dict[str, float]:
    """The metrics of the embedded-metric-format documents printed to stdout."""
    found: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[metric["Name"]]
                found[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return found


def test_a_malformed_message_is_logged_and_counted_and_the_batch_goes_on(
    api, tenant, logged, capsys
):
    to = address()
    batch = sns("not json at all", json.dumps({"eventType": "Bounce"}), bounce(to, tenant.id))
    batch["Records"].insert(0, {"EventSource": "aws:sns"})  # no Sns at all
    assert mail_events.mail_events(batch, None) == {"suppressed": 1, "malformed": 3}
    assert [s["address"] for s in suppressed(api)] == [to]
    assert _metrics(capsys.readouterr().out) == {"ConsumerFailures": 3}
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    warnings = [line for line in lines if line["level"] == "WARNING"]
    assert len(warnings) == 3
    assert {line["function"] for line in warnings} == {"mail_events"}


# -- someone typed the address: 422 ---------------------------------------------------------


def test_a_portal_invitation_sent_to_a_suppressed_address_is_422_and_withdrawn(api, tenant):
    to = address()
    suppress_for(tenant.id, address=to)
    customer = _portal(api)
    mails = Outbox()
    answer = api.post(
        f"/v1/customers/{customer}/portal/invitations", {"email": to.upper(), "send": True}
    )
    refused_on(answer, "email")
    assert mails.new() == []
    (listed,) = api.get(f"/v1/customers/{customer}/portal/invitations").json_body["items"]
    assert listed["status"] == "revoked"
    # A link to copy (not sent) is made as ever.
    assert (
        api.post(f"/v1/customers/{customer}/portal/invitations", {"email": to}).status_code == 201
    )


def test_a_portal_administrator_inviting_a_suppressed_colleague_is_422(api, tenant):
    customer = _portal(api)
    admin = portal_session(api, customer, address("admin"))
    to = address("colleague")
    suppress_for(tenant.id, reason="complaint", address=to)
    mails = Outbox()
    answer = api.as_key(admin["access_token"]).post("/v1/portal/users", {"email": to})
    refused_on(answer, "email")
    assert mails.new() == []


def test_a_team_invitation_to_a_suppressed_address_is_422_and_nobody_is_added(api, tenant):
    to = address("member")
    suppress_for(tenant.id, address=to)
    mails = Outbox()
    refused_on(api.post("/v1/team/members", {"email": to, "role": "viewer"}), "email")
    assert mails.new() == []
    members = api.get("/v1/team/members").json_body["items"]
    assert to not in [m["email"] for m in members]


def test_a_contract_mail_to_a_suppressed_address_is_422_on_to(api, tenant):
    to = address("buyer")
    contract_id = _contract(api, to)
    suppress_for(tenant.id, address=to)
    mails = Outbox()
    refused_on(api.post(f"/v1/contracts/{contract_id}/emails", {"kind": "reminder"}), "to")
    refused_on(
        api.post(f"/v1/contracts/{contract_id}/emails", {"kind": "reminder", "to": to}), "to"
    )
    assert mails.new() == []
    assert api.get("/v1/events?type=contract.email_sent").json_body["items"] == []
    other = address("accounting")
    sent = api.post(f"/v1/contracts/{contract_id}/emails", {"kind": "reminder", "to": other})
    assert sent.status_code == 201, sent.body
    assert len(mails.to(other)) == 1


def test_a_providers_reset_for_a_suppressed_person_is_422_and_changes_nothing(api, tenant):
    customer = _portal(api)
    to = address()
    person = portal_session(api, customer, to)
    suppress_for(tenant.id, address=to)
    user_id = person["user"]["id"]
    answer = api.post(f"/v1/customers/{customer}/portal/users/{user_id}/password-reset")
    refused_on(answer, "email")
    assert api.as_key(person["access_token"]).get("/v1/portal/me").status_code == 200
    assert _portal_sign_in(api, to).status_code == 200


# -- anyone may ask: it looks as if sent -----------------------------------------------------


def _portal_sign_in(api, email: str):
    slug = api.get("/v1/tenant").json_body["slug"]
    return api.as_key(None).post(
        "/v1/portal/sessions", {"tenant": slug, "email": email, "password": PASSWORD}
    )


def test_a_portal_password_reset_to_a_suppressed_address_looks_like_a_sent_one(api, tenant):
    customer = _portal(api)
    sent_to, refused_to = address("sent"), address("refused")
    portal_session(api, customer, sent_to)
    portal_session(api, customer, refused_to)
    suppress_for(tenant.id, address=refused_to)
    slug = api.get("/v1/tenant").json_body["slug"]
    mails = Outbox()
    answers = [
        api.as_key(None).post("/v1/portal/password-resets", {"tenant": slug, "email": email})
        for email in (sent_to, refused_to, address("unknown"))
    ]
    assert [(a.status_code, a.body) for a in answers] == [(202, b"")] * 3
    assert [m["To"] for m in mails.new()] == [sent_to]
    # The account is as it was: its password still works.
    assert _portal_sign_in(api, refused_to).status_code == 200


def _member(api, email: str) -> None:
    mails = Outbox()
    assert api.post("/v1/team/members", {"email": email, "role": "viewer"}).status_code == 201
    (invitation,) = mails.to(email)
    token = secret_after(links_in(text_of(invitation))[0], "invite")
    joined = api.as_key(None).post(
        "/v1/team/invitations/accept", {"token": token, "name": "Member", "password": PASSWORD}
    )
    assert joined.status_code == 201, joined.body


def test_a_team_password_reset_to_a_suppressed_address_looks_like_a_sent_one(api, tenant):
    sent_to, refused_to = address("sent"), address("refused")
    _member(api, sent_to)
    _member(api, refused_to)
    suppress_for(tenant.id, reason="complaint", address=refused_to)
    mails = Outbox()
    answers = [
        api.as_key(None).post("/v1/team/password-resets", {"tenant": tenant.slug, "email": email})
        for email in (sent_to, refused_to, address("unknown"))
    ]
    assert len({(a.status_code, a.body) for a in answers}) == 1
    assert answers[0].status_code == 202
    assert [m["To"] for m in mails.new()] == [sent_to]


def _contract(api, email: str) -> str:
    plan = api.post("/v1/plans", {"name": "Fleet Pro"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "49.00"})
    customer = api.post("/v1/customers", {"name": "Nordfracht GmbH", "email": email})
    made = api.post(
        "/v1/contracts",
        {"customer_id": customer.json_body["id"], "plan_variant_id": variant.json_body["id"]},
    )
    assert made.status_code == 201, made.body
    return str(made.json_body["id"])


def test_asking_for_a_new_self_service_link_for_a_suppressed_address_sends_nothing(api, tenant):
    to = address("buyer")
    contract_id = _contract(api, to)
    link = api.post(f"/v1/contracts/{contract_id}/self-service-token", {"validity_minutes": 5})
    assert link.status_code == 201, link.body
    suppress_for(tenant.id, address=to)
    later = datetime.fromisoformat(link.json_body["expires_at"].replace("Z", "+00:00"))
    mails = Outbox()
    billing_mail.send_new_link(
        Caller("203.0.113.9"),
        NewLinkRequest(token=link.json_body["token"]),
        clock=lambda: later + timedelta(hours=1),
    )
    assert mails.new() == []
    assert api.get("/v1/events?type=contract.link_sent").json_body["items"] == []


# -- the ticket mails skip it ----------------------------------------------------------------


def test_a_ticket_mail_to_a_suppressed_requester_is_skipped_and_the_consumer_goes_on(
    api, tenant, events_stream
):
    customer = api.post("/v1/customers", {"name": "Bau GmbH"}).json_body["id"]
    api.put(f"/v1/customers/{customer}/portal", {"apps": ["equipment", "support"]})
    area = api.post("/v1/ticket-areas", {"name": "Service"}).json_body["id"]
    kind = api.post("/v1/ticket-types", {"name": "Repair"}).json_body["id"]
    to = address("requester")
    person = portal_session(api, customer, to)
    integrated = api.put(
        f"/v1/customers/{customer}/support",
        {"active": True, "areas": [area], "ticket_types": [{"type_id": kind}], "visibility": "own"},
    )
    assert integrated.status_code == 200, integrated.body
    ticket = api.as_key(person["access_token"]).post(
        "/v1/portal/tickets", {"area_id": area, "type_id": kind, "title": "Leak"}
    )
    assert ticket.status_code == 201, ticket.body
    events_stream.drain()
    suppress_for(tenant.id, address=to)
    mails = Outbox()
    moved = api.post(f"/v1/tickets/{ticket.json_body['id']}/transitions", {"to": "resolved"})
    assert moved.status_code == 200, moved.body
    events_stream.drain()
    assert mails.to(to) == []
    assert events_stream.runner("tickets_consumer").parked == []


# -- the provider's list, and lifting --------------------------------------------------------


def test_the_list_shows_only_the_tenants_own_and_another_tenant_neither_reads_nor_lifts(
    api, other_api, tenant
):
    mine = suppress_for(tenant.id)
    assert [s["id"] for s in suppressed(api)] == [mine]
    assert suppressed(other_api) == []
    for answer in (
        other_api.get(f"/v1/mail/suppressions/{mine}"),
        other_api.delete(f"/v1/mail/suppressions/{mine}"),
    ):
        assert answer.status_code == 404, answer.body
    assert api.get(f"/v1/mail/suppressions/{mine}").json_body["id"] == mine


def test_the_list_pages_newest_first(api, tenant):
    ids = sorted((suppress_for(tenant.id) for _ in range(3)), reverse=True)
    first = api.get("/v1/mail/suppressions?limit=2").json_body
    assert [s["id"] for s in first["items"]] == ids[:2]
    rest = api.get(f"/v1/mail/suppressions?limit=2&cursor={first['next_cursor']}").json_body
    assert [s["id"] for s in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None


def test_a_bounce_is_lifted_for_everyone_and_a_complaint_never(api, tenant):
    to, spam = address("bounced"), address("complained")
    bounce_id = suppress_for(tenant.id, address=to)
    complaint_id = suppress_for(tenant.id, reason="complaint", address=spam)
    refused = api.delete(f"/v1/mail/suppressions/{complaint_id}")
    assert refused.status_code == 409, refused.body
    assert problem(refused)["reason"] == "complaint"
    assert api.delete(f"/v1/mail/suppressions/{bounce_id}").status_code == 204
    assert [s["id"] for s in suppressed(api)] == [complaint_id]
    assert api.delete(f"/v1/mail/suppressions/{bounce_id}").status_code == 404
    (lifted,) = api.get("/v1/events?type=mail.suppression_lifted").json_body["items"]
    assert (lifted["object_id"], lifted["data"]) == (bounce_id, {"address": to})
    # Mail goes to the address again.
    mails = Outbox()
    invited = api.post(
        f"/v1/customers/{_portal(api)}/portal/invitations", {"email": to, "send": True}
    )
    assert invited.status_code == 201, invited.body
    assert len(mails.to(to)) == 1
