"""The page budget (30 KB of HTML, CSS and JS) is kept where data is saved: a save that would
make a signup or self-service page too big is a 422 saying why, and nothing is stored. A page
that is over budget anyway (stored before the rule) or fails to render never keeps the
tenant's other pages from being updated: a change of the embedding origins reaches every
page's frame-ancestors (issue 11, item 8)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.ids import new_id
from chalicelib.models import Component
from chalicelib.models.billing import plan_key
from chalicelib.pages import render
from chalicelib.schemas.themes import MAX_ORIGINS
from chalicelib.services.pages import pages
from tests.conftest import problem

BUDGET = pages.MAX_PAGE_BYTES
OLD, NEW = "https://old.example.com", "https://new.example.com"
LANGUAGES = ("en", "de", "da")


def _long_name(index: int) -> str:
    return f"Add-on {index:02d} " + "with a long descriptive name " * 7


def _set_origins(api, origins: list[str]):
    return api.put("/v1/settings/embedding", {"allowed_origins": origins})


def _shop(api, *, allow_signup: bool = True) -> dict:
    assert _set_origins(api, [OLD]).status_code == 200
    plan = api.post("/v1/plans", {"name": "Fleet"}).json_body
    variant = api.post(
        f"/v1/plans/{plan['id']}/variants",
        {"name": "Monthly", "price": "9.00", "allow_signup": allow_signup},
    )
    assert variant.status_code == 201, variant.body
    return {"plan": plan["id"], "variant": variant.json_body["id"]}


def _add_on(api, plan_id: str, index: int):
    return api.post(
        "/v1/components",
        {
            "plan_id": plan_id,
            "name": _long_name(index)[:200],
            "kind": "on_off",
            "price": "1.00",
            "show_in_signup": True,
        },
    )


def _component_names(api, plan_id: str) -> list[str]:
    listed = api.get(f"/v1/plans/{plan_id}/components?limit=100")
    assert listed.status_code == 200, listed.body
    return [c["name"] for c in listed.json_body["items"]]


def _page(anonymous, path: str, language: str = "en"):
    response = anonymous.get(f"{path}?language={language}")
    assert response.status_code == 200, response.body
    return response


def _frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors"))


def _fill_to_the_budget(api, plan_id: str) -> tuple[int, dict]:
    """Long add-ons until the signup page has no room for one more: how many went in, and
    the refusal of the next."""
    for index in range(80):
        created = _add_on(api, plan_id, index)
        if created.status_code != 201:
            return index, created
    raise AssertionError("80 long add-ons fit on one signup page")


def test_an_add_on_that_would_overfill_the_signup_page_is_422_and_not_stored(
    api, anonymous, tenant
):
    shop = _shop(api)
    fitted, refused = _fill_to_the_budget(api, shop["plan"])
    # Each add-on's name is 200 characters long: a shorter one takes less room.
    assert 5 < fitted < 40
    body = problem(refused)
    assert refused.status_code == 422, body
    assert [e["field"] for e in body["errors"]] == ["show_in_signup"]
    message = body["errors"][0]["message"]
    assert f"signup/{shop['variant']}" in message
    assert str(BUDGET) in message
    assert "components" in message
    assert len(_component_names(api, shop["plan"])) == fitted  # the refused one is not there
    for language in LANGUAGES:
        page = _page(anonymous, f"/p/{tenant.slug}/signup/{shop['variant']}", language)
        assert len(page.body) <= BUDGET
        assert _long_name(fitted - 1)[:200].strip() in page.body.decode()


def test_after_a_refused_add_on_every_later_page_update_of_the_tenant_works(api, anonymous, tenant):
    shop = _shop(api)
    portal = api.put(
        f"/v1/customers/{api.post('/v1/customers', {'name': 'C'}).json_body['id']}/portal", {}
    )
    assert portal.status_code in (200, 201), portal.body
    _fill_to_the_budget(api, shop["plan"])
    changed = _set_origins(api, [NEW])
    assert changed.status_code == 200, changed.body
    for path in (
        f"/p/{tenant.slug}/signup/{shop['variant']}",
        f"/p/{tenant.slug}/portal",
        f"/p/{tenant.slug}/self-service",
        f"/p/{tenant.slug}/tracking",
    ):
        assert _frame_ancestors(_page(anonymous, path)) == f"frame-ancestors {NEW}", path
    renamed = api.patch(f"/v1/plans/{shop['plan']}", {"name": "Fleet 2"})
    assert renamed.status_code == 200, renamed.body


def _stored_before_the_rule(tenant_id: str, plan_id: str, count: int) -> None:
    """Add-ons saved straight to the table, as data from before the budget was checked."""
    now = datetime.now(UTC)
    for index in range(count):
        Component(
            tenant_id,
            new_id("cmp"),
            plan_id=plan_id,
            plan_key=plan_key(tenant_id, plan_id),
            name=_long_name(index)[:200],
            kind="on_off",
            price="1.00",
            min_quantity=0,
            max_quantity=1,
            show_in_signup=True,
            show_as_price_info=False,
            created_at=now,
            updated_at=now,
        ).save()


def test_a_page_over_budget_from_older_data_does_not_block_an_origin_change(api, anonymous, tenant):
    shop = _shop(api)
    _stored_before_the_rule(tenant.id, shop["plan"], 60)
    changed = _set_origins(api, [NEW])
    assert changed.status_code == 200, changed.body
    signup = _page(anonymous, f"/p/{tenant.slug}/signup/{shop['variant']}")
    assert len(signup.body) > BUDGET  # too big, but current: no stale framing policy
    assert OLD not in signup.headers["Content-Security-Policy"]
    assert _frame_ancestors(signup) == f"frame-ancestors {NEW}"
    assert _frame_ancestors(_page(anonymous, f"/p/{tenant.slug}/portal")) == (
        f"frame-ancestors {NEW}"
    )
    # Saves that keep the page as it is, or make it smaller, still work.
    assert api.patch(f"/v1/plans/{shop['plan']}", {"name": "Fleet"}).status_code in (200, 422)
    assert api.post("/v1/pages/render").status_code == 200


def test_a_page_that_fails_to_render_does_not_keep_the_other_pages_stale(
    api, anonymous, tenant, events_stream, monkeypatch
):
    shop = _shop(api)
    events_stream.drain()
    working = render.render_page

    def broken_signup(template, language, **context):
        if template == "pages/signup.html":
            raise RuntimeError("a bug in the signup template")
        return working(template, language, **context)

    monkeypatch.setattr(render, "render_page", broken_signup)
    changed = _set_origins(api, [NEW])
    assert changed.status_code == 200  # saved with its event; the pages follow from the stream
    events_stream.drain()
    # The consumer stored every page it could, failed on the signup page, was retried and
    # then parked the event (in AWS: the dead-letter queue): kept, not lost.
    (parked,) = events_stream.runner("pages_consumer").parked
    assert parked.record["dynamodb"]["NewImage"]["type"]["S"] == "tenant.embedding_updated"
    assert api.get("/v1/settings/embedding").json_body["allowed_origins"] == [NEW]
    for path in (f"/p/{tenant.slug}/portal", f"/p/{tenant.slug}/self-service"):
        assert _frame_ancestors(_page(anonymous, path)) == f"frame-ancestors {NEW}", path
    monkeypatch.setattr(render, "render_page", working)
    assert api.post("/v1/pages/render").status_code == 200
    signup = _page(anonymous, f"/p/{tenant.slug}/signup/{shop['variant']}")
    assert _frame_ancestors(signup) == f"frame-ancestors {NEW}"


def test_a_plan_description_that_would_overfill_the_page_is_422_and_not_stored(api, anonymous):
    shop = _shop(api)
    fitted, _ = _fill_to_the_budget(api, shop["plan"])
    described = api.patch(f"/v1/plans/{shop['plan']}", {"description": "x" * 2000})
    assert described.status_code == 422, described.body
    assert [e["field"] for e in problem(described)["errors"]] == ["description"]
    plan = api.get(f"/v1/plans/{shop['plan']}").json_body
    assert plan["description"] is None
    assert plan["version"] == 1
    assert len(_component_names(api, shop["plan"])) == fitted


def test_opening_signup_for_an_overfull_plan_is_422_and_leaves_signup_closed(
    api, anonymous, tenant
):
    shop = _shop(api, allow_signup=False)
    for index in range(60):  # no signup page yet: nothing to overfill
        assert _add_on(api, shop["plan"], index).status_code == 201
    opened = api.patch(f"/v1/plan-variants/{shop['variant']}", {"allow_signup": True})
    assert opened.status_code == 422, opened.body
    assert [e["field"] for e in problem(opened)["errors"]] == ["allow_signup"]
    variant = api.get(f"/v1/plan-variants/{shop['variant']}").json_body
    assert variant["allow_signup"] is False
    assert variant["signup_url"] is None
    assert anonymous.get(f"/p/{tenant.slug}/signup/{shop['variant']}").status_code == 404
    created = api.post(
        f"/v1/plans/{shop['plan']}/variants",
        {"name": "Yearly", "price": "90.00", "allow_signup": True},
    )
    assert created.status_code == 422, created.body
    assert [
        v["name"] for v in api.get(f"/v1/plans/{shop['plan']}/variants").json_body["items"]
    ] == ["Monthly"]


def test_settings_that_would_overfill_a_signup_page_are_422_and_not_stored(api):
    shop = _shop(api)
    _fill_to_the_budget(api, shop["plan"])
    before = api.get("/v1/settings/self-service").json_body
    line = {"text": {lang: "y" * 500 for lang in LANGUAGES}, "mandatory": True}
    put = api.put("/v1/settings/self-service", {"terms_lines": [line] * 5})
    assert put.status_code == 422, put.body
    error = problem(put)["errors"][0]
    assert f"signup/{shop['variant']}" in error["message"]
    assert api.get("/v1/settings/self-service").json_body == before


def test_the_longest_origin_list_still_fits_a_signup_page_filled_to_the_budget(
    api, anonymous, tenant
):
    shop = _shop(api)
    _fill_to_the_budget(api, shop["plan"])
    host = "a" * (253 - len("https://00.example.com:65535"))
    origins = [f"https://{i:02d}{host}.example.com:65535" for i in range(MAX_ORIGINS)]
    changed = _set_origins(api, origins)
    assert changed.status_code == 200, changed.body
    for language in LANGUAGES:
        page = _page(anonymous, f"/p/{tenant.slug}/signup/{shop['variant']}", language)
        assert len(page.body) <= BUDGET
        assert _frame_ancestors(page) == "frame-ancestors " + " ".join(origins)
