"""The portal API over HTTP: sign-in, refresh and sign-out, rate limits, what a portal user
sees (only the customer's assigned assets, their activity, the operating-hours report), the
portal's people, and the provider's read-only preview."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.models import Asset
from chalicelib.services.platform import session_families
from tests.conftest import problem
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import portal_session

PASSWORD = "a long and uncommon passphrase"
ALL_APPS = ["equipment", "activity", "reports"]


@pytest.fixture(autouse=True)
def _own_address(source_address: str) -> str:
    """Failed sign-ins of other tests must not rate-limit this one."""
    return source_address


# --- helpers --------------------------------------------------------------------------------


def _customer(api, name="Acme Construction", apps=ALL_APPS):
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    portal = api.put(f"/v1/customers/{created.json_body['id']}/portal", {"apps": apps})
    assert portal.status_code == 200, portal.body
    return created.json_body["id"], portal.json_body


def _asset(api, name="Excavator"):
    created = api.post("/v1/assets", {"name": name})
    assert created.status_code == 201, created.body
    return created.json_body["id"]


def _assign(api, customer_id, asset_ids, *, days_ago=2):
    """Assign the assets, as if `days_ago` days back (a customer sees only activity from
    its own time with an asset; the tests' events are from the last hours)."""
    put = api.put(f"/v1/customers/{customer_id}/assets", {"asset_ids": asset_ids})
    assert put.status_code == 200, put.body
    if days_ago:
        tenant_id = api.get("/v1/tenant").json_body["id"]
        since = datetime.now(UTC) - timedelta(days=days_ago)
        for asset_id in asset_ids:
            Asset.get(tenant_id, asset_id).update(actions=[Asset.assigned_at.set(since)])


def _event(api, asset_id, time, **fields):
    posted = api.post(f"/v1/assets/{asset_id}/events", {"time": _text(time), **fields})
    assert posted.status_code == 201, posted.body
    return posted.json_body


def _text(time):
    return time.isoformat().replace("+00:00", "Z")


def _person(api, customer_id, email="first@example.com"):
    """A portal user's session and an API client with its access token."""
    session = portal_session(api, customer_id, email)
    return session, api.as_key(session["access_token"])


def _sign_in(api, slug, email, password=PASSWORD):
    body = {"tenant": slug, "email": email, "password": password}
    return api.as_key(None).post("/v1/portal/sessions", body)


def _refresh(api, refresh_token):
    return api.as_key(None).post("/v1/portal/sessions/refresh", {"refresh_token": refresh_token})


def _status(response, status, kind):
    body = problem(response)
    assert body["status"] == status
    assert body["type"] == f"urn:portway:problem:{kind}"
    return body


def _unauthorized(response):
    return _status(response, 401, "unauthorized")


def _forbidden(response):
    return _status(response, 403, "forbidden")


def _not_found(response):
    return _status(response, 404, "not-found")


def _invalid(response, field):
    body = _status(response, 422, "validation")
    assert field in [e["field"] for e in body["errors"]], body
    return body


def _ids(response):
    assert response.status_code == 200, response.body
    return [item["id"] for item in response.json_body["items"]]


# --- signing in -----------------------------------------------------------------------------


def test_sign_in_answers_a_bearer_pair_whose_access_token_works(api, tenant):
    customer_id, _ = _customer(api)
    accepted, _ = _person(api, customer_id)

    signed_in = _sign_in(api, tenant.slug, "first@example.com")
    assert signed_in.status_code == 200, signed_in.body
    session = signed_in.json_body
    assert set(session) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] == 600
    assert session["refresh_token"].startswith("pwr_")
    assert session["access_token"] != accepted["access_token"]
    assert session["refresh_token"] != accepted["refresh_token"]

    me = api.as_key(session["access_token"]).get("/v1/portal/me")
    assert me.status_code == 200, me.body
    assert me.json_body["user"]["id"] == accepted["user"]["id"]


def test_sign_in_takes_the_email_in_any_case(api, tenant):
    customer_id, _ = _customer(api)
    _person(api, customer_id, "first@example.com")
    assert _sign_in(api, tenant.slug, "First@Example.COM").status_code == 200


def test_wrong_password_unknown_email_and_unknown_tenant_get_the_same_answer(api, tenant):
    customer_id, _ = _customer(api)
    _person(api, customer_id, "first@example.com")

    wrong_password = _sign_in(api, tenant.slug, "first@example.com", "not the passphrase at all")
    unknown_email = _sign_in(api, tenant.slug, "nobody@example.com")
    unknown_tenant = _sign_in(api, "no-such-rental-" + secrets.token_hex(4), "first@example.com")

    for response in (wrong_password, unknown_email, unknown_tenant):
        assert response.status_code == 401
        _unauthorized(response)
    assert wrong_password.body == unknown_email.body == unknown_tenant.body
    assert (
        wrong_password.headers.get("WWW-Authenticate")
        == unknown_email.headers.get("WWW-Authenticate")
        == unknown_tenant.headers.get("WWW-Authenticate")
    )


def test_a_user_of_another_tenant_cannot_sign_in_with_this_tenants_slug(
    api, other_api, tenant, other_tenant
):
    customer_id, _ = _customer(other_api)
    _person(other_api, customer_id, "elsewhere@example.com")
    assert _sign_in(api, other_tenant.slug, "elsewhere@example.com").status_code == 200
    _unauthorized(_sign_in(api, tenant.slug, "elsewhere@example.com"))


# --- refreshing and signing out -------------------------------------------------------------


def test_refresh_issues_a_new_pair_and_spends_the_old_refresh_token(api):
    customer_id, _ = _customer(api)
    first, _ = _person(api, customer_id)

    refreshed = _refresh(api, first["refresh_token"])
    assert refreshed.status_code == 200, refreshed.body
    second = refreshed.json_body
    assert second["token_type"] == "Bearer"
    assert second["expires_in"] == 600
    assert second["refresh_token"].startswith("pwr_")
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = api.as_key(second["access_token"]).get("/v1/portal/me")
    assert me.status_code == 200
    assert me.json_body["user"]["id"] == first["user"]["id"]

    # The new refresh token rotates on as well.
    third = _refresh(api, second["refresh_token"])
    assert third.status_code == 200, third.body


def test_presenting_a_spent_refresh_token_again_revokes_the_whole_family(api, tenant, monkeypatch):
    # Past the grace window in which a client's own concurrent refreshes are forgiven.
    monkeypatch.setattr(session_families, "REFRESH_GRACE", timedelta(0))
    customer_id, _ = _customer(api)
    first, _ = _person(api, customer_id)
    newest = _refresh(api, first["refresh_token"]).json_body["refresh_token"]
    # Another session of the same person (another device) is another family.
    elsewhere = _sign_in(api, tenant.slug, "first@example.com").json_body["refresh_token"]

    _unauthorized(_refresh(api, first["refresh_token"]))  # the replay
    _unauthorized(_refresh(api, newest))  # the family is closed: the newest token too
    _unauthorized(_refresh(api, first["refresh_token"]))

    still = _refresh(api, elsewhere)
    assert still.status_code == 200, still.body


def test_refresh_tokens_nobody_issued_are_401(api, tenant):
    customer_id, _ = _customer(api)
    session, _ = _person(api, customer_id)
    for secret in (
        "pwr_not-a-real-token",
        "pwr_" + secrets.token_urlsafe(32),
        tenant.key,  # an API key
        session["refresh_token"][:-2],
        "no-prefix-at-all",
    ):
        _unauthorized(_refresh(api, secret))
    # None of these closed the real session.
    assert _refresh(api, session["refresh_token"]).status_code == 200


def test_sign_out_answers_204_and_its_refresh_token_stops_working(api, tenant):
    customer_id, _ = _customer(api)
    session, person = _person(api, customer_id)
    other_session = _sign_in(api, tenant.slug, "first@example.com").json_body

    signed_out = person.delete("/v1/portal/sessions")
    assert signed_out.status_code == 204, signed_out.body

    _unauthorized(_refresh(api, session["refresh_token"]))
    # Only this session is closed.
    assert _refresh(api, other_session["refresh_token"]).status_code == 200


def test_sign_out_closes_the_family_of_a_refreshed_session(api):
    customer_id, _ = _customer(api)
    session, _ = _person(api, customer_id)
    refreshed = _refresh(api, session["refresh_token"]).json_body

    signed_out = api.as_key(refreshed["access_token"]).delete("/v1/portal/sessions")
    assert signed_out.status_code == 204

    _unauthorized(_refresh(api, refreshed["refresh_token"]))


def test_sign_out_without_a_portal_token_is_401(api):
    _unauthorized(api.as_key(None).delete("/v1/portal/sessions"))
    _unauthorized(api.delete("/v1/portal/sessions"))  # an API key is not a portal session


# --- removed people -------------------------------------------------------------------------


def test_a_removed_user_can_neither_sign_in_nor_refresh(api, tenant):
    customer_id, _ = _customer(api)
    _, admin = _person(api, customer_id, "first@example.com")
    second, colleague = _person(api, customer_id, "second@example.com")
    assert _sign_in(api, tenant.slug, "second@example.com").status_code == 200
    wrong_password = _sign_in(api, tenant.slug, "first@example.com", "a wrong guess")

    removed = admin.delete(f"/v1/portal/users/{second['user']['id']}")
    assert removed.status_code == 204, removed.body

    signed_in = _sign_in(api, tenant.slug, "second@example.com")
    _unauthorized(signed_in)
    assert signed_in.body == wrong_password.body  # as if the address had never been known
    _unauthorized(_refresh(api, second["refresh_token"]))
    _unauthorized(colleague.get("/v1/portal/me"))
    assert second["user"]["id"] not in _ids(admin.get("/v1/portal/users"))


# --- me ---------------------------------------------------------------------------------


def test_me_describes_the_user_customer_portal_and_role(api):
    customer_id, portal = _customer(api, name="Acme Construction")
    session, person = _person(api, customer_id, "first@example.com")

    me = person.get("/v1/portal/me")
    assert me.status_code == 200, me.body
    body = me.json_body
    assert body["user"] == session["user"]
    assert body["user"]["email"] == "first@example.com"
    assert body["user"]["role"] == "portal_admin"
    assert body["customer"] == {"id": customer_id, "name": "Acme Construction"}
    assert body["portal"] == {"id": portal["id"], "apps": ALL_APPS, "theme_id": None}
    assert body["role"] == "portal_admin"
    assert body["read_only"] is False


def test_me_of_the_second_person_is_a_portal_user(api):
    customer_id, _ = _customer(api)
    _person(api, customer_id, "first@example.com")
    second, person = _person(api, customer_id, "second@example.com")
    body = person.get("/v1/portal/me").json_body
    assert body["role"] == "portal_user"
    assert body["user"]["id"] == second["user"]["id"]
    assert body["user"]["role"] == "portal_user"


def test_me_shows_the_portals_theme(api):
    theme = api.post("/v1/themes", {"name": "Brand"})
    assert theme.status_code == 201, theme.body
    customer = api.post("/v1/customers", {"name": "Themed"}).json_body
    put = api.put(
        f"/v1/customers/{customer['id']}/portal",
        {"apps": ["equipment"], "theme_id": theme.json_body["id"]},
    )
    assert put.status_code == 200, put.body
    _, person = _person(api, customer["id"])
    assert person.get("/v1/portal/me").json_body["portal"]["theme_id"] == theme.json_body["id"]


# --- assets -----------------------------------------------------------------------------


def test_assets_are_only_those_assigned_to_the_callers_customer(api):
    acme, _ = _customer(api, name="Acme")
    globex, _ = _customer(api, name="Globex")
    mine = [_asset(api, "Excavator"), _asset(api, "Crane")]
    theirs = _asset(api, "Dumper")
    nobodys = _asset(api, "Spare")
    _assign(api, acme, mine)
    _assign(api, globex, [theirs])
    _, acme_person = _person(api, acme, "a@acme.example")
    _, globex_person = _person(api, globex, "g@globex.example")

    assert sorted(_ids(acme_person.get("/v1/portal/assets"))) == sorted(mine)
    assert _ids(globex_person.get("/v1/portal/assets")) == [theirs]

    one = acme_person.get(f"/v1/portal/assets/{mine[0]}")
    assert one.status_code == 200, one.body
    assert one.json_body["id"] == mine[0]
    assert one.json_body["name"] == "Excavator"
    assert one.json_body["customer_id"] == acme

    for other in (theirs, nobodys, "ast_does_not_exist"):
        _not_found(acme_person.get(f"/v1/portal/assets/{other}"))
        _not_found(acme_person.get(f"/v1/portal/assets/{other}/events"))


def test_assets_list_pages_through_every_assigned_asset_once(api):
    customer_id, _ = _customer(api)
    ids = [_asset(api, f"Asset {i}") for i in range(5)]
    _assign(api, customer_id, ids)
    _, person = _person(api, customer_id)
    seen, cursor = [], None
    for _ in range(10):
        page = person.get("/v1/portal/assets?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += _ids(page)
        cursor = page.json_body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


def test_another_tenants_asset_is_404(api, other_api):
    customer_id, _ = _customer(api)
    _assign(api, customer_id, [_asset(api)])
    foreign_customer = other_api.post("/v1/customers", {"name": "Foreign"}).json_body["id"]
    foreign = _asset(other_api, "Foreign asset")
    _assign(other_api, foreign_customer, [foreign])
    _, person = _person(api, customer_id)
    _not_found(person.get(f"/v1/portal/assets/{foreign}"))
    assert foreign not in _ids(person.get("/v1/portal/assets"))


def test_an_unassigned_asset_disappears_from_the_portal_at_once(api):
    customer_id, _ = _customer(api)
    kept, dropped = _asset(api, "Kept"), _asset(api, "Dropped")
    _assign(api, customer_id, [kept, dropped])
    _, person = _person(api, customer_id)
    assert sorted(_ids(person.get("/v1/portal/assets"))) == sorted([kept, dropped])
    assert person.get(f"/v1/portal/assets/{dropped}").status_code == 200

    _assign(api, customer_id, [kept])

    assert _ids(person.get("/v1/portal/assets")) == [kept]
    _not_found(person.get(f"/v1/portal/assets/{dropped}"))
    _not_found(person.get(f"/v1/portal/assets/{dropped}/events"))

    _assign(api, customer_id, [])
    assert _ids(person.get("/v1/portal/assets")) == []
    _not_found(person.get(f"/v1/portal/assets/{kept}"))


def test_an_asset_moved_to_another_customer_leaves_the_first_portal(api):
    acme, _ = _customer(api, name="Acme")
    globex, _ = _customer(api, name="Globex")
    asset = _asset(api)
    _assign(api, acme, [asset])
    _, acme_person = _person(api, acme, "a@acme.example")
    _, globex_person = _person(api, globex, "g@globex.example")
    assert _ids(acme_person.get("/v1/portal/assets")) == [asset]

    _assign(api, acme, [])
    _assign(api, globex, [asset])

    assert _ids(acme_person.get("/v1/portal/assets")) == []
    _not_found(acme_person.get(f"/v1/portal/assets/{asset}"))
    assert _ids(globex_person.get("/v1/portal/assets")) == [asset]


# --- events -----------------------------------------------------------------------------


def test_events_of_an_assigned_asset_are_listed_newest_first(api):
    customer_id, _ = _customer(api)
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    now = datetime.now(UTC).replace(microsecond=0)
    posted = [
        _event(api, asset, now - timedelta(minutes=30), operating_hours=100),
        _event(api, asset, now - timedelta(minutes=20), operating_hours=101.5, status="running"),
        _event(api, asset, now - timedelta(minutes=10), lat=55.68, lon=12.57),
    ]
    _, person = _person(api, customer_id)

    listed = person.get(f"/v1/portal/assets/{asset}/events")
    assert listed.status_code == 200, listed.body
    items = listed.json_body["items"]
    assert [e["id"] for e in items] == [e["id"] for e in reversed(posted)]
    assert items == list(reversed(posted))
    assert items[1]["operating_hours"] == 101.5
    assert items[1]["status"] == "running"
    assert (items[0]["lat"], items[0]["lon"]) == (55.68, 12.57)


def test_events_within_one_second_are_listed_newest_first(api):
    customer_id, _ = _customer(api)
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    second = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    older = _event(api, asset, second, operating_hours=1)
    newer = _event(api, asset, second + timedelta(milliseconds=500), operating_hours=2)
    _, person = _person(api, customer_id)
    listed = person.get(f"/v1/portal/assets/{asset}/events")
    assert [e["id"] for e in listed.json_body["items"]] == [newer["id"], older["id"]]


def test_events_of_an_asset_of_another_customer_are_404(api):
    acme, _ = _customer(api, name="Acme")
    globex, _ = _customer(api, name="Globex")
    theirs = _asset(api)
    _assign(api, globex, [theirs])
    _event(api, theirs, datetime.now(UTC) - timedelta(minutes=5), operating_hours=7)
    _, person = _person(api, acme)
    _not_found(person.get(f"/v1/portal/assets/{theirs}/events"))


# --- the operating-hours report ---------------------------------------------------------


def _report(person, start, end):
    return person.get(f"/v1/portal/reports/operating-hours?start={_query(start)}&end={_query(end)}")


def _query(time):
    return _text(time) if isinstance(time, datetime) else time


def test_report_gives_last_minus_first_reading_in_the_period_per_asset_and_in_total(api):
    acme, _ = _customer(api, name="Acme")
    globex, _ = _customer(api, name="Globex")
    excavator, crane, idle = _asset(api, "Excavator"), _asset(api, "Crane"), _asset(api, "Idle")
    theirs = _asset(api, "Theirs")
    _assign(api, acme, [excavator, crane, idle])
    _assign(api, globex, [theirs])
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(hours=3), now

    _event(api, excavator, now - timedelta(hours=4), operating_hours=50)  # before the period
    _event(api, excavator, now - timedelta(hours=2, minutes=30), operating_hours=100)
    _event(api, excavator, now - timedelta(hours=2), status="moving")  # no hours: not a reading
    _event(api, excavator, now - timedelta(hours=1), operating_hours=103.25)
    _event(api, excavator, now - timedelta(minutes=30), operating_hours=110.5)
    _event(api, crane, now - timedelta(hours=2), operating_hours=20)
    _event(api, crane, now - timedelta(hours=1), operating_hours=22.25)
    _event(api, theirs, now - timedelta(hours=1), operating_hours=999)
    _, person = _person(api, acme)

    report = _report(person, start, end)
    assert report.status_code == 200, report.body
    body = report.json_body
    assert body["start"] == _text(start)
    assert body["end"] == _text(end)
    rows = {row["asset_id"]: row for row in body["assets"]}
    assert set(rows) == {excavator, crane, idle}
    assert rows[excavator]["name"] == "Excavator"
    assert rows[excavator]["hours"] == 10.5
    assert rows[excavator]["first_reading_at"] == _text(now - timedelta(hours=2, minutes=30))
    assert rows[excavator]["last_reading_at"] == _text(now - timedelta(minutes=30))
    assert rows[crane]["hours"] == 2.25
    assert rows[idle] == {
        "asset_id": idle,
        "name": "Idle",
        "hours": None,
        "first_reading_at": None,
        "last_reading_at": None,
    }
    assert body["total_hours"] == 12.75


def test_report_takes_times_with_an_offset_and_answers_in_utc(api):
    customer_id, _ = _customer(api)
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    now = datetime.now(UTC).replace(microsecond=0)
    _event(api, asset, now - timedelta(hours=2), operating_hours=1)
    _event(api, asset, now - timedelta(hours=1), operating_hours=4)
    _, person = _person(api, customer_id)
    offset = timedelta(hours=2)
    start = (now - timedelta(hours=3)).astimezone(UTC).replace(tzinfo=None) + offset
    text = start.isoformat() + "%2B02:00"  # + in a query string is a space unless escaped
    report = person.get(f"/v1/portal/reports/operating-hours?start={text}&end={_text(now)}")
    assert report.status_code == 200, report.body
    assert report.json_body["start"] == _text(now - timedelta(hours=3))
    assert report.json_body["total_hours"] == 3


def test_report_counts_a_reading_with_milliseconds_just_after_the_start(api):
    customer_id, _ = _customer(api)
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    _event(api, asset, start + timedelta(milliseconds=500), operating_hours=100)
    _event(api, asset, start + timedelta(minutes=30), operating_hours=105)
    _, person = _person(api, customer_id)
    report = _report(person, start, start + timedelta(hours=1))
    assert report.status_code == 200, report.body
    assert report.json_body["assets"][0]["hours"] == 5


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", "query.end"),  # end before start
        ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z", "query.end"),  # an empty period
        ("2025-01-01T00:00:00Z", "2026-01-02T00:00:01Z", "query.end"),  # over 366 days
        ("yesterday", "2026-03-01T00:00:00Z", "query.start"),
        ("2026-03-01T00:00:00Z", "soon", "query.end"),
        ("2026-03-01T00:00:00", "2026-03-02T00:00:00", "query.start"),  # no offset
        ("2026-02-30T00:00:00Z", "2026-03-02T00:00:00Z", "query.start"),  # no such day
    ],
)
def test_report_with_a_bad_period_is_422(api, start, end, field):
    customer_id, _ = _customer(api)
    _, person = _person(api, customer_id)
    _invalid(_report(person, start, end), field)


def test_report_of_exactly_366_days_is_allowed(api):
    customer_id, _ = _customer(api)
    _, person = _person(api, customer_id)
    report = _report(person, "2025-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    assert report.status_code == 200, report.body
    assert report.json_body == {
        "start": "2025-01-01T00:00:00Z",
        "end": "2026-01-02T00:00:00Z",
        "assets": [],
        "total_hours": 0,
    }


def test_report_without_a_period_is_422(api):
    customer_id, _ = _customer(api)
    _, person = _person(api, customer_id)
    _invalid(person.get("/v1/portal/reports/operating-hours"), "query.start")
    _invalid(
        person.get("/v1/portal/reports/operating-hours?start=2026-03-01T00:00:00Z"), "query.end"
    )


# --- apps -------------------------------------------------------------------------------


def test_routes_of_apps_the_portal_lacks_are_403(api):
    customer_id, _ = _customer(api, apps=["equipment"])
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    _, person = _person(api, customer_id)

    assert _ids(person.get("/v1/portal/assets")) == [asset]
    assert person.get(f"/v1/portal/assets/{asset}").status_code == 200
    body = _forbidden(person.get(f"/v1/portal/assets/{asset}/events"))
    assert "activity" in body["detail"]
    now = datetime.now(UTC).replace(microsecond=0)
    body = _forbidden(_report(person, now - timedelta(days=1), now))
    assert "reports" in body["detail"]


def test_equipment_routes_are_403_without_the_equipment_app(api):
    customer_id, _ = _customer(api, apps=["reports"])
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    _, person = _person(api, customer_id)
    assert "equipment" in _forbidden(person.get("/v1/portal/assets"))["detail"]
    _forbidden(person.get(f"/v1/portal/assets/{asset}"))
    now = datetime.now(UTC).replace(microsecond=0)
    assert _report(person, now - timedelta(days=1), now).status_code == 200


def test_the_tracking_apps_map_lists_the_equipment_without_the_equipment_app(api):
    customer_id, _ = _customer(api, apps=["tracking"])
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    _, person = _person(api, customer_id)
    assert _ids(person.get("/v1/portal/assets")) == [asset]  # the map's positions
    _forbidden(person.get(f"/v1/portal/assets/{asset}"))  # the equipment page is not there


def test_an_app_added_to_the_portal_reaches_the_next_access_token(api):
    customer_id, _ = _customer(api, apps=["equipment"])
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    session, person = _person(api, customer_id)
    _forbidden(person.get(f"/v1/portal/assets/{asset}/events"))

    put = api.put(f"/v1/customers/{customer_id}/portal", {"apps": ["equipment", "activity"]})
    assert put.status_code == 200, put.body

    refreshed = _refresh(api, session["refresh_token"]).json_body
    events = api.as_key(refreshed["access_token"]).get(f"/v1/portal/assets/{asset}/events")
    assert events.status_code == 200, events.body


# --- the portal's people ----------------------------------------------------------------


def test_the_admin_lists_the_portals_people(api):
    customer_id, _ = _customer(api)
    first, admin = _person(api, customer_id, "first@example.com")
    second, _ = _person(api, customer_id, "second@example.com")
    other_customer, _ = _customer(api, name="Other")
    outsider, _ = _person(api, other_customer, "outsider@example.com")

    listed = admin.get("/v1/portal/users")
    assert listed.status_code == 200, listed.body
    users = {u["id"]: u for u in listed.json_body["items"]}
    assert set(users) == {first["user"]["id"], second["user"]["id"]}
    assert users[first["user"]["id"]]["role"] == "portal_admin"
    assert users[second["user"]["id"]] == second["user"]
    assert users[second["user"]["id"]]["role"] == "portal_user"
    assert outsider["user"]["id"] not in users
    assert listed.json_body["next_cursor"] is None


def test_the_admin_invites_a_colleague_who_joins_as_a_portal_user(api, tenant):
    customer_id, _ = _customer(api)
    _, admin = _person(api, customer_id, "first@example.com")

    mails = Outbox()
    invited = admin.post("/v1/portal/users", {"email": "Colleague@Example.com"})
    assert invited.status_code == 201, invited.body
    body = invited.json_body
    # The link goes to the colleague's address only: the administrator never holds it.
    assert "url" not in body
    assert "pwi_" not in invited.body.decode()
    assert body["id"].startswith("inv_")
    assert body["email"] == body["sent_to"] == "colleague@example.com"
    assert body["role"] == "portal_user"
    (mail,) = mails.to("colleague@example.com")
    (link,) = [u for u in links_in(text_of(mail)) if "#token=" in u]

    accepted = api.as_key(None).post(
        "/v1/portal/invitations/accept",
        {
            "token": secret_after(link, "token"),
            "email": "colleague@example.com",
            "name": "Colleague",
            "password": PASSWORD,
            "accept_terms": True,
        },
    )
    assert accepted.status_code == 201, accepted.body
    assert accepted.json_body["user"]["role"] == "portal_user"
    assert accepted.json_body["user"]["id"] in _ids(admin.get("/v1/portal/users"))
    assert _sign_in(api, tenant.slug, "colleague@example.com").status_code == 200


def test_the_admin_removes_a_colleague(api):
    customer_id, _ = _customer(api)
    first, admin = _person(api, customer_id, "first@example.com")
    second, _ = _person(api, customer_id, "second@example.com")

    removed = admin.delete(f"/v1/portal/users/{second['user']['id']}")
    assert removed.status_code == 204, removed.body
    assert _ids(admin.get("/v1/portal/users")) == [first["user"]["id"]]
    _not_found(admin.delete(f"/v1/portal/users/{second['user']['id']}"))  # gone already


def test_a_portal_user_may_not_list_invite_or_remove_people(api):
    customer_id, _ = _customer(api)
    first, _ = _person(api, customer_id, "first@example.com")
    second, colleague = _person(api, customer_id, "second@example.com")
    third, _ = _person(api, customer_id, "third@example.com")

    _forbidden(colleague.get("/v1/portal/users"))
    _forbidden(colleague.post("/v1/portal/users", {"email": "someone@example.com"}))
    _forbidden(colleague.delete(f"/v1/portal/users/{third['user']['id']}"))
    _forbidden(colleague.delete(f"/v1/portal/users/{first['user']['id']}"))
    _forbidden(colleague.delete(f"/v1/portal/users/{second['user']['id']}"))


def test_the_admin_cannot_remove_themselves(api):
    customer_id, _ = _customer(api)
    first, admin = _person(api, customer_id, "first@example.com")
    _status(admin.delete(f"/v1/portal/users/{first['user']['id']}"), 409, "conflict")
    assert admin.get("/v1/portal/me").status_code == 200


def test_the_admin_cannot_remove_people_of_another_portal(api):
    acme, _ = _customer(api, name="Acme")
    globex, _ = _customer(api, name="Globex")
    _, admin = _person(api, acme, "a@acme.example")
    outsider, outsider_client = _person(api, globex, "g@globex.example")
    _not_found(admin.delete(f"/v1/portal/users/{outsider['user']['id']}"))
    _not_found(admin.delete("/v1/portal/users/usr_does_not_exist"))
    assert outsider_client.get("/v1/portal/me").status_code == 200


# --- the provider's preview -------------------------------------------------------------


def _preview(api, customer_id):
    started = api.post(f"/v1/customers/{customer_id}/portal/preview")
    assert started.status_code == 201, started.body
    return started.json_body, api.as_key(started.json_body["url"].split("#session=")[1])


def test_a_preview_answers_a_url_with_a_session_and_when_it_expires(api, tenant):
    customer_id, portal = _customer(api)
    before = datetime.now(UTC).replace(microsecond=0)
    body, _ = _preview(api, customer_id)
    assert set(body) == {"url", "expires_at"}
    assert f"/p/{tenant.slug}/" in body["url"]
    assert portal["id"] in body["url"]
    assert "#session=" in body["url"]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=29) <= expires <= before + timedelta(minutes=31)


def test_a_preview_sees_the_portal_read_only_and_without_a_user(api):
    customer_id, portal = _customer(api, name="Acme Construction")
    asset = _asset(api)
    _assign(api, customer_id, [asset])
    _event(api, asset, datetime.now(UTC) - timedelta(minutes=5), operating_hours=3)
    first, _ = _person(api, customer_id)
    _, preview = _preview(api, customer_id)

    me = preview.get("/v1/portal/me")
    assert me.status_code == 200, me.body
    assert me.json_body["user"] is None
    assert me.json_body["read_only"] is True
    assert me.json_body["customer"] == {"id": customer_id, "name": "Acme Construction"}
    assert me.json_body["portal"] == {"id": portal["id"], "apps": ALL_APPS, "theme_id": None}

    assert _ids(preview.get("/v1/portal/assets")) == [asset]
    assert preview.get(f"/v1/portal/assets/{asset}").status_code == 200
    assert len(_ids(preview.get(f"/v1/portal/assets/{asset}/events"))) == 1
    now = datetime.now(UTC).replace(microsecond=0)
    assert _report(preview, now - timedelta(hours=1), now).status_code == 200
    assert _ids(preview.get("/v1/portal/users")) == [first["user"]["id"]]


def test_a_preview_may_change_nothing(api):
    customer_id, _ = _customer(api)
    first, _ = _person(api, customer_id, "first@example.com")
    second, _ = _person(api, customer_id, "second@example.com")
    _, preview = _preview(api, customer_id)

    _forbidden(preview.post("/v1/portal/users", {"email": "someone@example.com"}))
    _forbidden(preview.delete(f"/v1/portal/users/{second['user']['id']}"))
    _forbidden(preview.delete(f"/v1/portal/users/{first['user']['id']}"))
    _forbidden(preview.delete("/v1/portal/sessions"))

    assert sorted(_ids(preview.get("/v1/portal/users"))) == sorted(
        [first["user"]["id"], second["user"]["id"]]
    )


def test_a_preview_cannot_start_another_preview(api):
    customer_id, _ = _customer(api)
    _, preview = _preview(api, customer_id)
    _unauthorized(preview.post(f"/v1/customers/{customer_id}/portal/preview"))
    _unauthorized(preview.get("/v1/customers"))


def test_a_preview_is_in_the_audit_log_with_the_api_key_as_actor(api):
    customer_id, portal = _customer(api)
    keys = api.get("/v1/api-keys").json_body["items"]
    assert len(keys) == 1
    _preview(api, customer_id)

    events = api.get("/v1/audit-events?limit=100")
    assert events.status_code == 200, events.body
    previews = [e for e in events.json_body["items"] if e["action"] == "portal.previewed"]
    assert len(previews) == 1
    event = previews[0]
    assert event["actor"] == f"api_key:{keys[0]['id']}"
    assert event["object_type"] == "portal"
    assert event["object_id"] == portal["id"]
    assert event["customer_id"] == customer_id


def test_a_read_only_key_cannot_start_a_preview(api):
    customer_id, _ = _customer(api)
    created = api.post("/v1/api-keys", {"name": "Reader", "scopes": ["read"]})
    assert created.status_code == 201, created.body
    reader = api.as_key(created.json_body["key"])
    _forbidden(reader.post(f"/v1/customers/{customer_id}/portal/preview"))
    previews = [
        e
        for e in api.get("/v1/audit-events?limit=100").json_body["items"]
        if e["action"] == "portal.previewed"
    ]
    assert previews == []


def test_a_preview_of_a_customer_without_a_portal_or_of_another_tenant_is_404(api, other_api):
    bare = api.post("/v1/customers", {"name": "No portal"}).json_body["id"]
    _not_found(api.post(f"/v1/customers/{bare}/portal/preview"))
    foreign, _ = _customer(other_api)
    _not_found(api.post(f"/v1/customers/{foreign}/portal/preview"))
    _unauthorized(api.as_key(None).post(f"/v1/customers/{foreign}/portal/preview"))
