"""'Send me a new link' (issue 15, item 6): a self-service link that has expired asks for a
new one, which goes by e-mail to the contract's own address, in the customer's language. The
answer is always the same 202; a made-up, withdrawn or long-expired link sends nothing."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.schemas.billing import NewLinkRequest
from chalicelib.services.billing import contracts, mail
from chalicelib.tenancy import Caller
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.services.billing.test_self_service import new_link, parse, signed_up


def _ask(token: str, when, source: str = "203.0.113.7") -> None:
    mail.send_new_link(Caller(source), NewLinkRequest(token=token), clock=lambda: when)


def test_an_expired_link_brings_a_new_one_to_the_contracts_address(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    old = new_link(api, contract_id, validity_minutes=5)
    mails = Outbox()
    _ask(old["token"], parse(old["expires_at"]) + timedelta(days=3))
    (sent,) = mails.to("jana@nordfracht.example")
    (link,) = [u for u in links_in(text_of(sent)) if "#token=" in u]
    fresh = api.as_key(secret_after(link, "token"))
    assert fresh.get("/v1/self-service/contract").json_body["contract"]["id"] == contract_id
    assert contract_id in text_of(sent)
    events = api.get("/v1/events?type=contract.link_sent").json_body["items"]
    assert [e["object_id"] for e in events] == [contract_id]
    assert secret_after(link, "token") not in str(events)


def test_the_new_link_speaks_the_customers_language(api, anonymous, tenant, shop):
    from tests.services.billing.conftest import order

    body = order(shop)
    body["customer"]["email"] = "ole@kran.example"
    body["customer"]["language"] = "da"
    contract_id = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body).json_body["contract_id"]
    old = new_link(api, contract_id, validity_minutes=1)
    mails = Outbox()
    _ask(old["token"], parse(old["expires_at"]) + timedelta(hours=1))
    (sent,) = mails.to("ole@kran.example")
    assert "Dit nye link" in sent["Subject"]
    assert "/self-service?language=da#token=" in text_of(sent)


def test_the_answer_is_the_same_and_nothing_is_sent_for_links_that_cannot_renew(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    withdrawn = new_link(api, contract_id, validity_minutes=5)
    assert api.delete(f"/v1/contracts/{contract_id}/self-service-token").status_code == 204
    ancient = new_link(api, contract_id, validity_minutes=5)
    mails = Outbox()
    late = parse(ancient["expires_at"]) + contracts.RENEWABLE + timedelta(seconds=1)
    for token, when in (
        (withdrawn["token"], parse(withdrawn["expires_at"]) + timedelta(hours=1)),
        (ancient["token"], late),
        ("pws_made-up-token", parse(ancient["expires_at"])),
    ):
        _ask(token, when)
    assert mails.new() == []
    answer = anonymous.post("/v1/self-service/link-requests", {"token": "pws_made-up-token"})
    assert (answer.status_code, answer.body) == (202, b"")


def test_a_link_that_still_works_renews_too_and_asking_often_is_limited(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    live = new_link(api, contract_id)
    mails = Outbox()
    for _ in range(3):
        answer = anonymous.post("/v1/self-service/link-requests", {"token": live["token"]})
        assert answer.status_code == 202
    assert len(mails.to("jana@nordfracht.example")) == 3
    fourth = anonymous.post("/v1/self-service/link-requests", {"token": live["token"]})
    assert fourth.status_code == 429  # three new links per contract an hour
    assert len(mails.to("jana@nordfracht.example")) == 3
