"""Self-service links: made and withdrawn by the provider, opening one contract for its
customer, who sees what the provider shows and changes or cancels what it allows."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.errors import Unauthorized
from chalicelib.services.billing import contracts
from chalicelib.services.platform import ratelimit
from chalicelib.tenancy import authenticate_self_service
from tests.conftest import problem
from tests.samples import portal_session, tiny_pdf
from tests.services.billing.conftest import SETTINGS, order

PDF = {"Accept": "application/pdf"}


# -- helpers ---------------------------------------------------------------------------------


def signed_up(anonymous, tenant, shop, email: str = "jana@nordfracht.example") -> str:
    """A contract (and its customer) made by the public signup; its id."""
    body = order(shop)
    body["customer"]["email"] = email
    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body)
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["contract_id"]


def new_link(api, contract_id: str, **body: Any) -> dict[str, Any]:
    answer = api.post(f"/v1/contracts/{contract_id}/self-service-token", body)
    assert answer.status_code == 201, answer.json_body
    return answer.json_body


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def refused(answer) -> str:
    """The reason of a self-service 401."""
    assert answer.status_code == 401, answer.body
    return problem(answer)["reason"]


def put_settings(api, **changes: Any) -> None:
    answer = api.put("/v1/settings/self-service", {**SETTINGS, **changes})
    assert answer.status_code == 200, answer.json_body


def upload(api, contract_id: str, number: str = "R-1") -> dict[str, Any]:
    answer = api.request(
        "POST",
        f"/v1/contracts/{contract_id}/documents?kind=invoice&number={number}",
        raw=tiny_pdf(f"Invoice {number}"),
        headers={"Content-Type": "application/pdf"},
    )
    assert answer.status_code == 201, answer.json_body
    return answer.json_body


def provider_contract(api) -> str:
    """A contract made over the provider API (no signup page needed)."""
    plan = api.post("/v1/plans", {"name": "Other plan"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "9.90"})
    customer = api.post("/v1/customers", {"name": "Other", "email": "o@example.com"})
    answer = api.post(
        "/v1/contracts",
        {"customer_id": customer.json_body["id"], "plan_variant_id": variant.json_body["id"]},
    )
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["id"]


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clipped to the month's last day (Jan 31 + 1 = Feb 28)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _days(year, month)))


def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def expected_end_p1m_p1m(start: datetime, now: datetime) -> datetime:
    """Monthly billing, one month's notice: the first start + k months (k >= 1) that is at
    least one month after `now`."""
    k = 1
    while add_months(start, k) < add_months(now, 1):
        k += 1
    return add_months(start, k)


# -- making links ----------------------------------------------------------------------------


def test_a_link_carries_its_token_only_in_the_fragment_and_lasts_the_default_time(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    before = datetime.now(UTC)
    link = new_link(api, contract_id)
    after = datetime.now(UTC)
    assert set(link) == {"token", "url", "expires_at"}
    address, _, fragment = link["url"].partition("#")
    assert address.endswith(f"/p/{tenant.slug}/self-service")
    assert fragment == f"token={link['token']}"
    assert link["token"] not in address
    # SETTINGS make links last 60 minutes.
    expires = parse(link["expires_at"])
    assert before + timedelta(minutes=60) - timedelta(seconds=1) <= expires
    assert expires <= after + timedelta(minutes=60)


def test_a_link_lasts_the_minutes_asked_for_from_1_to_10080(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    for minutes in (1, 90, 10080):
        before = datetime.now(UTC)
        link = new_link(api, contract_id, validity_minutes=minutes)
        after = datetime.now(UTC)
        expires = parse(link["expires_at"])
        assert before + timedelta(minutes=minutes) - timedelta(seconds=1) <= expires, minutes
        assert expires <= after + timedelta(minutes=minutes), minutes
    for minutes in (0, 10081, -5):
        answer = api.post(
            f"/v1/contracts/{contract_id}/self-service-token", {"validity_minutes": minutes}
        )
        assert answer.status_code == 422, (minutes, answer.json_body)
        assert [e["field"] for e in problem(answer)["errors"]] == ["validity_minutes"]


def test_another_tenants_contract_gets_no_link(api, other_api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    answer = other_api.post(f"/v1/contracts/{contract_id}/self-service-token", {})
    assert answer.status_code == 404, answer.json_body
    assert other_api.delete(f"/v1/contracts/{contract_id}/self-service-token").status_code == 404
    assert api.post("/v1/contracts/con_nothing/self-service-token", {}).status_code == 404


# -- what the customer sees ------------------------------------------------------------------


def test_the_customer_sees_the_contract_data_payment_masked_and_hidden_fields_absent(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    document = upload(api, contract_id)
    link = new_link(api, contract_id)
    answer = api.as_key(link["token"]).get("/v1/self-service/contract")
    assert answer.status_code == 200, answer.json_body
    view = answer.json_body

    assert view["contract"]["id"] == contract_id
    assert view["contract"]["plan_name"] == "Fleet Pro"
    assert view["contract"]["status"] == "active"
    customer = view["customer"]
    assert customer["first_name"] == "Jana"
    assert customer["email"] == "jana@nordfracht.example"
    assert customer["phone"] == "+49 40 123456"
    assert "birth_date" not in customer
    assert "vat_id" not in customer
    assert view["payment"] == {
        "method": "sepa_debit",
        "iban_masked": "DE89 **** **** 3000",
        "account_holder": "Jana Berg",
    }
    assert "370400440532" not in answer.body.decode()
    # 49.00 + 3 seats x 5.00 + support 19.00 = 83.00, less 10 %.
    assert view["account"]["recurring_total"] == "74.70"
    assert view["account"]["currency"] == "EUR"
    assert [d["id"] for d in view["documents"]] == [document["id"]]
    assert view["permissions"]["edit_contact"] is True
    assert view["permissions"]["cancel"] is True
    assert "birth_date" not in view["permissions"]["editable_fields"]
    assert "vat_id" not in view["permissions"]["editable_fields"]
    assert {"first_name", "last_name", "email"} <= set(view["permissions"]["required_fields"])
    assert view["cancellation"]["possible"] is True
    stored_expiry = parse(view["expires_at"])
    assert parse(link["expires_at"]) == stored_expiry  # whole seconds, as stored
    assert "additional_data" not in view  # hidden unless the provider shows it


def test_the_customer_view_states_the_expiry_the_link_was_given_with(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    link = new_link(api, contract_id)
    if "." not in link["expires_at"]:  # made within a whole second's first millisecond
        link = new_link(api, contract_id)
    view = api.as_key(link["token"]).get("/v1/self-service/contract").json_body
    assert view["expires_at"] == link["expires_at"]


def test_the_customer_view_costs_at_most_3_dynamodb_calls(api, anonymous, tenant, shop, ddb_calls):
    contract_id = signed_up(anonymous, tenant, shop)
    upload(api, contract_id)
    customer = api.as_key(new_link(api, contract_id)["token"])
    ddb_calls.reset()
    answer = customer.get("/v1/self-service/contract")
    assert answer.status_code == 200, answer.json_body
    assert ddb_calls.total <= 3, dict(ddb_calls.calls)
    assert ddb_calls.calls["Scan"] == 0


def test_sections_the_provider_hides_are_absent(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    document = upload(api, contract_id)
    hidden = {"visible": False}
    put_settings(
        api,
        sections={
            "customer": hidden,
            "payment": hidden,
            "account": hidden,
            "documents": hidden,
            "contract": {"visible": True},
        },
    )
    customer = api.as_key(new_link(api, contract_id)["token"])
    view = customer.get("/v1/self-service/contract").json_body
    assert set(view) == {"permissions", "cancellation", "expires_at", "contract"}
    assert view["contract"]["id"] == contract_id
    assert "iban" not in json.dumps(view["contract"])
    # What is not shown cannot be fetched or changed either.
    answer = customer.get(f"/v1/self-service/documents/{document['id']}", headers=PDF)
    assert answer.status_code == 404
    answer = customer.patch("/v1/self-service/customer", {"phone": "+49 40 999"})
    assert answer.status_code == 403, answer.json_body

    put_settings(api, sections={"contract": hidden, "additional_data": {"visible": True}})
    view = customer.get("/v1/self-service/contract").json_body
    assert "contract" not in view
    assert {"customer", "payment", "account", "documents", "additional_data"} <= set(view)


# -- expiry and revocation -------------------------------------------------------------------


def test_a_link_works_until_it_expires_even_if_the_item_is_still_stored(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    link = new_link(api, contract_id, validity_minutes=5)
    expiry = parse(link["expires_at"])
    header = f"Bearer {link['token']}"

    ctx = authenticate_self_service(header, clock=lambda: expiry - timedelta(seconds=1))
    assert ctx.contract_id == contract_id

    # DynamoDB's TTL removes expired items up to 48 hours late: the read checks expiry.
    for late in (timedelta(seconds=1), timedelta(hours=47)):
        with pytest.raises(Unauthorized) as refusal:
            authenticate_self_service(header, clock=lambda late=late: expiry + late)
        assert refusal.value.extra == {"reason": "expired"}


def test_withdrawn_links_stop_at_once_and_a_new_link_works(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    other_id = signed_up(anonymous, tenant, shop, email="other@example.com")
    first = api.as_key(new_link(api, contract_id)["token"])
    second = api.as_key(new_link(api, contract_id)["token"])
    other = api.as_key(new_link(api, other_id)["token"])
    assert first.get("/v1/self-service/contract").status_code == 200

    assert api.delete(f"/v1/contracts/{contract_id}/self-service-token").status_code == 204

    for old in (first, second):
        assert refused(old.get("/v1/self-service/contract")) == "revoked"
        assert refused(old.post("/v1/self-service/cancel")) == "revoked"
        assert refused(old.patch("/v1/self-service/customer", {"phone": "+49 1"})) == "revoked"
    fresh = api.as_key(new_link(api, contract_id)["token"])
    assert fresh.get("/v1/self-service/contract").json_body["contract"]["id"] == contract_id
    # Another contract's links are not touched.
    assert other.get("/v1/self-service/contract").status_code == 200
    contract = api.get(f"/v1/contracts/{contract_id}").json_body
    assert contract["status"] == "active"


# -- one contract only -----------------------------------------------------------------------


def test_a_link_opens_its_own_contract_and_no_other(api, other_api, anonymous, tenant, shop):
    mine = signed_up(anonymous, tenant, shop)
    theirs = signed_up(anonymous, tenant, shop, email="someone@example.com")
    their_document = upload(api, theirs, "R-9")
    other_tenant_contract = provider_contract(other_api)
    other_tenant_document = upload(other_api, other_tenant_contract, "B-1")
    customer = api.as_key(new_link(api, mine)["token"])

    view = customer.get("/v1/self-service/contract").json_body
    assert view["contract"]["id"] == mine
    assert view["documents"] == []
    # The path names no contract; a query naming another one changes nothing.
    view = customer.get(f"/v1/self-service/contract?contract_id={theirs}").json_body
    assert view["contract"]["id"] == mine
    for document in (their_document, other_tenant_document):
        answer = customer.get(f"/v1/self-service/documents/{document['id']}", headers=PDF)
        assert answer.status_code == 404, answer.body
    # Its customer's data is what it changes, not the other contract's customer.
    customer.patch("/v1/self-service/customer", {"phone": "+49 40 555"})
    other = api.as_key(new_link(api, theirs)["token"])
    assert other.get("/v1/self-service/contract").json_body["customer"]["phone"] == "+49 40 123456"


def test_anything_but_a_live_self_service_token_is_401(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    assert api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["equipment"]}).status_code < 300
    portal_token = portal_session(api, customer_id)["access_token"]
    token = new_link(api, contract_id)["token"]
    wrong = [
        "garbage",
        "pws_" + "x" * 43,  # the shape of a link, but no such link
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        tenant.key,  # an API key
        portal_token,  # a portal session
    ]
    for secret in wrong:
        assert refused(api.as_key(secret).get("/v1/self-service/contract")) == "invalid", secret
    assert anonymous.get("/v1/self-service/contract").status_code == 401
    # and the link itself still works
    assert api.as_key(token).get("/v1/self-service/contract").status_code == 200


def test_wrong_links_from_one_address_are_counted_then_429(
    api, anonymous, tenant, shop, source_address, monkeypatch
):
    """Guessing is slowed per address (the router counts what `authenticate_self_service`
    calls invalid): thirty wrong links in a window, then 429. A missing header is no guess,
    and a real link is never slowed down."""
    contract_id = signed_up(anonymous, tenant, shop)
    # The counters' clock, in the middle of a 15-minute window: the test never crosses one.
    middle = datetime.now(UTC).replace(minute=7, second=30, microsecond=0)
    monkeypatch.setattr(ratelimit, "utcnow", lambda: middle)
    token = new_link(api, contract_id)["token"]
    for _ in range(3):
        assert anonymous.get("/v1/self-service/contract").status_code == 401
    for i in range(30):
        guess = api.as_key(f"pws_guess-{i:02d}-" + "x" * 34)
        assert refused(guess.get("/v1/self-service/contract")) == "invalid"
    limited = api.as_key("pws_guess-30-" + "x" * 34).get("/v1/self-service/contract")
    assert limited.status_code == 429, limited.body
    assert int(limited.headers["Retry-After"]) >= 1
    assert api.as_key(token).get("/v1/self-service/contract").status_code == 200


# -- contact data ----------------------------------------------------------------------------


def test_the_customer_changes_the_phone_number(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(new_link(api, contract_id)["token"])
    answer = customer.patch("/v1/self-service/customer", {"phone": "+49 40 987654"})
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["phone"] == "+49 40 987654"
    view = customer.get("/v1/self-service/contract").json_body
    assert view["customer"]["phone"] == "+49 40 987654"
    assert view["customer"]["first_name"] == "Jana"  # what was not sent stays
    assert view["customer"]["email"] == "jana@nordfracht.example"
    events = api.get("/v1/audit-events?limit=100").json_body["items"]
    changes = [e for e in events if e["action"] == "contract.customer_updated"]
    assert [(e["actor"], e["object_id"], e["customer_id"]) for e in changes] == [
        (f"self_service:{contract_id}", contract_id, view["customer"]["id"])
    ]


def test_a_phone_change_keeps_the_name_the_provider_gave(api, tenant, shop):
    put_settings(api, fields={"name": "optional", "phone": "optional"})
    contract_id = provider_contract(api)
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    customer = api.as_key(new_link(api, contract_id)["token"])
    answer = customer.patch("/v1/self-service/customer", {"phone": "+49 40 987654"})
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["phone"] == "+49 40 987654"
    assert api.get(f"/v1/customers/{customer_id}").json_body["name"] == "Other"


def test_the_provider_sees_the_phone_number_the_customer_changed(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    customer = api.as_key(new_link(api, contract_id)["token"])
    assert (
        customer.patch("/v1/self-service/customer", {"phone": "+49 40 987654"}).status_code == 200
    )
    contact = api.get(f"/v1/customers/{customer_id}").json_body["contact"]
    assert contact["phone"] == "+49 40 987654"
    assert contact["first_name"] == "Jana"  # what was not sent stays


def test_hidden_fields_cleared_required_ones_and_bad_values_are_422(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(new_link(api, contract_id)["token"])
    refusals = [
        ({"vat_id": "DE123456789"}, "vat_id"),  # hidden in SETTINGS
        ({"birth_date": "1990-01-01"}, "birth_date"),  # hidden in SETTINGS
        ({"email": None}, "email"),  # required
        ({"first_name": None}, "first_name"),  # required (name)
        ({"phone": "call me"}, "phone"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ]
    for body, field in refusals:
        answer = customer.patch("/v1/self-service/customer", body)
        assert answer.status_code == 422, (body, answer.json_body)
        assert field in [e["field"] for e in problem(answer)["errors"]], body
    view = customer.get("/v1/self-service/contract").json_body
    assert view["customer"]["email"] == "jana@nordfracht.example"
    assert view["customer"]["first_name"] == "Jana"
    assert view["customer"]["phone"] == "+49 40 123456"


def test_a_field_the_provider_hides_cannot_be_cleared_with_null(api, anonymous, tenant, shop):
    put_settings(api, fields={**SETTINGS["fields"], "birth_date": "optional"})
    body = order(shop)
    body["customer"]["birth_date"] = "1990-01-01"
    answer = anonymous.post(f"/v1/hosted/{tenant.slug}/signup", body)
    assert answer.status_code == 201, answer.json_body
    contract_id = answer.json_body["contract_id"]
    customer_id = api.get(f"/v1/contracts/{contract_id}").json_body["customer_id"]
    put_settings(api)  # birth_date and vat_id hidden again
    customer = api.as_key(new_link(api, contract_id)["token"])
    for sent in ({"birth_date": None}, {"vat_id": None}, {"phone": "+49 40 1", "birth_date": None}):
        answer = customer.patch("/v1/self-service/customer", sent)
        assert answer.status_code == 422, (sent, answer.json_body)
        hidden = [name for name in sent if name != "phone"]
        assert [e["field"] for e in problem(answer)["errors"]] == hidden
    contact = api.get(f"/v1/customers/{customer_id}").json_body["contact"]
    assert contact["birth_date"] == "1990-01-01"
    assert contact["phone"] == "+49 40 123456"


@pytest.mark.parametrize("day", ["2026-13-45", "2026-02-30", "0000-00-00"])
def test_a_birth_date_that_does_not_exist_is_422(api, anonymous, tenant, shop, day):
    put_settings(api, fields={**SETTINGS["fields"], "birth_date": "optional"})
    customer = api.as_key(new_link(api, signed_up(anonymous, tenant, shop))["token"])
    answer = customer.patch("/v1/self-service/customer", {"birth_date": day})
    assert answer.status_code == 422, answer.json_body
    assert [e["field"] for e in problem(answer)["errors"]] == ["birth_date"]
    assert customer.get("/v1/self-service/contract").json_body["customer"]["birth_date"] is None


def test_contact_data_cannot_be_changed_where_the_provider_does_not_allow_it(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    put_settings(api, allow_contact_edit=False)
    customer = api.as_key(new_link(api, contract_id)["token"])
    view = customer.get("/v1/self-service/contract").json_body
    assert view["permissions"]["edit_contact"] is False
    assert view["permissions"]["editable_fields"] == []
    answer = customer.patch("/v1/self-service/customer", {"phone": "+49 40 987654"})
    assert answer.status_code == 403, answer.json_body
    assert customer.get("/v1/self-service/contract").json_body["customer"]["phone"] == (
        "+49 40 123456"
    )


# -- cancellation ----------------------------------------------------------------------------


def test_the_customer_cancels_at_the_earliest_date_the_notice_period_allows(
    api, anonymous, tenant, shop
):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(new_link(api, contract_id)["token"])
    offered = customer.get("/v1/self-service/contract").json_body["cancellation"]

    answer = customer.post("/v1/self-service/cancel")
    assert answer.status_code == 200, answer.json_body
    cancelled = answer.json_body
    start, now = parse(cancelled["start_at"]), parse(cancelled["cancelled_at"])
    assert cancelled["billing_period"] == "P1M"
    assert cancelled["notice_period"] == "P1M"
    expected = expected_end_p1m_p1m(start, now)
    assert parse(cancelled["end_at"]) == expected
    assert cancelled["status"] == "cancelled"
    assert parse(offered["earliest_end"]) == expected

    provider = api.get(f"/v1/contracts/{contract_id}").json_body
    assert provider["status"] == "cancelled"
    assert parse(provider["end_at"]) == expected
    view = customer.get("/v1/self-service/contract").json_body
    assert view["permissions"]["cancel"] is False
    assert view["cancellation"] == {"possible": False, "earliest_end": None}

    again = customer.post("/v1/self-service/cancel")
    assert again.status_code == 409, again.json_body
    assert parse(api.get(f"/v1/contracts/{contract_id}").json_body["end_at"]) == expected


def test_a_cancellation_is_audited_as_the_self_service_link(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    customer = api.as_key(new_link(api, contract_id)["token"])
    assert customer.post("/v1/self-service/cancel").status_code == 200
    events = api.get("/v1/audit-events?limit=100").json_body["items"]
    cancels = [e for e in events if e["action"] == "contract.cancelled"]
    assert len(cancels) == 1, events
    assert cancels[0]["actor"] == f"self_service:{contract_id}"
    assert cancels[0]["object_id"] == contract_id


def test_cancellation_is_403_where_the_provider_does_not_allow_it(api, anonymous, tenant, shop):
    contract_id = signed_up(anonymous, tenant, shop)
    put_settings(api, allow_cancellation=False)
    customer = api.as_key(new_link(api, contract_id)["token"])
    view = customer.get("/v1/self-service/contract").json_body
    assert view["permissions"]["cancel"] is False
    assert view["cancellation"]["possible"] is False
    answer = customer.post("/v1/self-service/cancel")
    assert answer.status_code == 403, answer.json_body
    contract = api.get(f"/v1/contracts/{contract_id}").json_body
    assert (contract["status"], contract["end_at"]) == ("active", None)


# -- the calendar of periods -----------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _Contract:
    """What earliest_end reads of a contract."""

    def __init__(self, start: str, billing_period: str, notice_period: str) -> None:
        self.start_at = at(start)
        self.billing_period = billing_period
        self.notice_period = notice_period


@pytest.mark.parametrize(
    ("start", "period", "time", "expected"),
    [
        # k >= 1: the contract's own start is no period start to end at
        ("2026-01-15T10:00", "P1M", "2026-01-15T10:00", "2026-02-15T10:00"),
        ("2026-01-15T10:00", "P1M", "2025-12-01T00:00", "2026-02-15T10:00"),
        # a boundary itself is "not before the time"; a microsecond later is the next one
        ("2026-01-15T10:00", "P1M", "2026-03-15T10:00", "2026-03-15T10:00"),
        ("2026-01-15T10:00", "P1M", "2026-03-15T10:00:00.000001", "2026-04-15T10:00"),
        # month ends: anchored on the start, not carried from month to month
        ("2026-01-31T00:00", "P1M", "2026-02-01T00:00", "2026-02-28T00:00"),
        ("2026-01-31T00:00", "P1M", "2026-03-01T00:00", "2026-03-31T00:00"),
        ("2026-01-31T00:00", "P1M", "2026-04-01T00:00", "2026-04-30T00:00"),
        ("2026-01-31T00:00", "P1M", "2026-05-01T00:00", "2026-05-31T00:00"),
        ("2028-01-31T00:00", "P1M", "2028-02-01T00:00", "2028-02-29T00:00"),
        ("2024-02-29T00:00", "P1Y", "2024-03-01T00:00", "2025-02-28T00:00"),
        ("2024-02-29T00:00", "P1Y", "2027-06-01T00:00", "2028-02-29T00:00"),
        ("2026-01-01T00:00", "P14D", "2026-01-20T00:00", "2026-01-29T00:00"),
        ("2026-01-01T00:00", "P2W", "2026-01-15T00:00", "2026-01-15T00:00"),
        # far from the start, the step count is found without walking from k = 1
        ("2000-01-01T00:00", "P14D", "2030-01-01T00:00", "2030-01-05T00:00"),
    ],
)
def test_next_period_start(start, period, time, expected):
    assert contracts.next_period_start(at(start), period, at(time)) == at(expected)


@pytest.mark.parametrize(
    ("start", "billing", "notice", "now", "expected"),
    [
        # monthly, one month's notice: notice on March 10th reaches April 10th, so April 15th
        ("2026-01-15T00:00", "P1M", "P1M", "2026-03-10T00:00", "2026-04-15T00:00"),
        # exactly one month before a period ends is still in time
        ("2026-01-15T00:00", "P1M", "P1M", "2026-03-15T00:00", "2026-04-15T00:00"),
        ("2026-01-15T00:00", "P1M", "P1M", "2026-03-15T00:00:01", "2026-05-15T00:00"),
        # cancelled right after signing: the first month is short of a month's notice
        ("2026-01-15T00:00", "P1M", "P1M", "2026-01-15T00:00:01", "2026-03-15T00:00"),
        # month-end start: Jan 31 + months, clipped
        ("2026-01-31T00:00", "P1M", "P1M", "2026-01-31T12:00", "2026-03-31T00:00"),
        ("2026-01-31T00:00", "P1M", "P1M", "2026-03-28T00:00", "2026-04-30T00:00"),
        ("2026-01-31T00:00", "P1M", "P1M", "2026-03-31T00:00", "2026-04-30T00:00"),
        ("2026-01-31T00:00", "P1M", "P1M", "2026-03-31T00:00:01", "2026-05-31T00:00"),
        # yearly with three months' notice
        ("2025-06-01T00:00", "P1Y", "P3M", "2026-02-15T00:00", "2026-06-01T00:00"),
        ("2025-06-01T00:00", "P1Y", "P3M", "2026-03-01T00:00", "2026-06-01T00:00"),
        ("2025-06-01T00:00", "P1Y", "P3M", "2026-03-01T00:00:01", "2027-06-01T00:00"),
        ("2025-06-01T00:00", "P1Y", "P3M", "2026-04-01T00:00", "2027-06-01T00:00"),
        # fortnightly without notice: the end of the running fortnight
        ("2026-01-01T00:00", "P14D", "P0D", "2026-01-01T00:00", "2026-01-15T00:00"),
        ("2026-01-01T00:00", "P14D", "P0D", "2026-01-20T08:00", "2026-01-29T00:00"),
        ("2026-01-01T00:00", "P14D", "P0D", "2026-01-29T00:00", "2026-01-29T00:00"),
    ],
)
def test_earliest_end(start, billing, notice, now, expected):
    item = _Contract(start, billing, notice)
    assert contracts.earliest_end(item, at(now)) == at(expected)


def test_the_independent_month_arithmetic_agrees_with_the_product():
    start = at("2026-01-31T09:30")
    for day in range(0, 400, 7):
        now = start + timedelta(days=day, hours=3)
        item = _Contract("2026-01-31T09:30", "P1M", "P1M")
        assert contracts.earliest_end(item, now) == expected_end_p1m_p1m(start, now), now
