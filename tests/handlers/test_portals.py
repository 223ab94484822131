"""Customer portals over HTTP: one per customer, from a template or with its own apps, counted
on the template and theme it uses so neither (nor the customer) goes while the portal shows it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import problem

TEMPLATES = "/v1/portal-templates"
BUILT_IN_APPS = ["equipment", "activity"]


def _customer(api, name="Nordbau GmbH"):
    created = api.post("/v1/customers", {"name": name})
    assert created.status_code == 201, created.body
    return created.json_body["id"]


def _template(api, name="Standard", **fields):
    body = {"name": name, "apps": ["equipment"], **fields}
    created = api.post(TEMPLATES, body)
    assert created.status_code == 201, created.body
    return created.json_body


def _theme(api, name="Brand"):
    created = api.post("/v1/themes", {"name": name})
    assert created.status_code == 201, created.body
    return created.json_body


def _path(customer_id):
    return f"/v1/customers/{customer_id}/portal"


def _put(api, customer_id, body, **kw):
    response = api.put(_path(customer_id), body, **kw)
    assert response.status_code == 200, response.body
    return response.json_body


def _read(api, customer_id):
    response = api.get(_path(customer_id))
    assert response.status_code == 200, response.body
    return response.json_body


def _absent(api, customer_id):
    assert problem(api.get(_path(customer_id)))["status"] == 404


def _invalid(response, field):
    body = problem(response)
    assert body["status"] == 422
    assert field in [e["field"] for e in body["errors"]], body
    return body


def _status(response, status):
    body = problem(response)
    assert body["status"] == status, body
    return body


def _template_deletes(api, template_id):
    return api.delete(f"{TEMPLATES}/{template_id}").status_code == 204


def _theme_deletes(api, theme_id):
    return api.delete(f"/v1/themes/{theme_id}").status_code == 204


# --- create and read -------------------------------------------------------------------------


def test_put_with_a_template_answers_200_with_the_templates_look(api, tenant):
    theme = _theme(api)
    template = _template(
        api,
        apps=["equipment", "tracking"],
        theme_id=theme["id"],
        home_page="map",
        sections=[{"key": "map"}],
    )
    customer_id = _customer(api)
    response = api.put(_path(customer_id), {"template_id": template["id"]})
    assert response.status_code == 200, response.body
    portal = response.json_body
    assert portal["id"].startswith("prt_")
    assert portal["customer_id"] == customer_id
    assert portal["template_id"] == template["id"]
    assert portal["apps"] == ["equipment", "tracking"]
    assert portal["theme_id"] == theme["id"]
    assert portal["home_page"] == "map"
    assert portal["sections"] == template["sections"]
    assert portal["status"] == "invited"
    assert portal["page_url"].endswith(f"/p/{tenant.slug}/portal?portal={portal['id']}")
    assert portal["created_at"].endswith("Z")
    assert portal["updated_at"].endswith("Z")
    assert portal["version"] == 1
    assert _read(api, customer_id) == portal


def test_put_with_own_apps_and_theme_stores_them_without_a_template(api):
    theme = _theme(api)
    customer_id = _customer(api)
    portal = _put(
        api,
        customer_id,
        {
            "apps": ["equipment", "support"],
            "theme_id": theme["id"],
            "home_page": "equipment",
            "sections": [{"key": "support", "headings": {"de": "Hilfe"}}],
        },
    )
    assert portal["template_id"] is None
    assert portal["apps"] == ["equipment", "support"]
    assert portal["theme_id"] == theme["id"]
    assert portal["home_page"] == "equipment"
    assert [(s["key"], s["visible"]) for s in portal["sections"]] == [("support", True)]
    assert portal["sections"][0]["headings"]["de"] == "Hilfe"
    assert portal["status"] == "invited"
    assert _read(api, customer_id) == portal


def test_put_with_own_apps_only_gets_the_overview_and_no_theme(api):
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"apps": ["billing"]})
    assert (portal["template_id"], portal["apps"], portal["theme_id"]) == (None, ["billing"], None)
    assert (portal["home_page"], portal["sections"]) == ("overview", [])


def test_put_without_body_uses_the_default_template(api):
    _template(api, name="Other", apps=["support"])
    default = _template(api, name="Default", apps=["equipment", "reports"], is_default=True)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {})
    assert portal["template_id"] == default["id"]
    assert portal["apps"] == ["equipment", "reports"]
    assert _read(api, customer_id) == portal


def test_put_without_body_and_without_default_gets_the_built_in_apps(api):
    _template(api, name="Not the default", apps=["support"])
    customer_id = _customer(api)
    portal = _put(api, customer_id, {})
    assert portal["template_id"] is None
    assert portal["apps"] == BUILT_IN_APPS
    assert portal["theme_id"] is None
    assert portal["home_page"] == "overview"
    assert portal["sections"] == []
    assert _read(api, customer_id) == portal


def test_get_without_a_portal_is_404(api):
    _absent(api, _customer(api))


def test_a_template_portal_shows_the_templates_changes_live(api):
    theme = _theme(api)
    template = _template(api, apps=["equipment"])
    customer_id = _customer(api)
    before = _put(api, customer_id, {"template_id": template["id"]})
    change = {"apps": ["equipment", "billing"], "theme_id": theme["id"], "home_page": "reports"}
    patched = api.patch(f"{TEMPLATES}/{template['id']}?confirm=true", change)
    assert patched.status_code == 200, patched.body
    after = _read(api, customer_id)
    assert after["apps"] == ["equipment", "billing"]
    assert after["theme_id"] == theme["id"]
    assert after["home_page"] == "reports"
    assert after["version"] == before["version"]


# --- change -----------------------------------------------------------------------------------


def test_put_again_changes_the_portal_and_keeps_id_created_at_and_status(api):
    template = _template(api)
    customer_id = _customer(api)
    first = _put(api, customer_id, {"template_id": template["id"]})
    second = _put(api, customer_id, {"apps": ["support"], "version": 1})
    assert second["template_id"] is None
    assert second["apps"] == ["support"]
    assert second["id"] == first["id"]
    assert second["created_at"] == first["created_at"]
    assert second["status"] == first["status"] == "invited"
    assert second["page_url"] == first["page_url"]
    assert second["version"] == 2
    assert _read(api, customer_id) == second


def test_put_with_the_current_if_match_changes_the_portal(api):
    customer_id = _customer(api)
    _put(api, customer_id, {"apps": ["equipment"]})
    changed = _put(api, customer_id, {"apps": ["billing"]}, headers={"If-Match": '"1"'})
    assert (changed["apps"], changed["version"]) == (["billing"], 2)


def test_put_with_a_stale_version_is_409_and_changes_nothing(api):
    customer_id = _customer(api)
    _put(api, customer_id, {"apps": ["equipment"]})
    current = _put(api, customer_id, {"apps": ["support"]})
    body = _status(api.put(_path(customer_id), {"apps": ["billing"], "version": 1}), 409)
    assert body["current_version"] == 2
    assert _read(api, customer_id) == current


def test_put_with_a_stale_if_match_is_409_and_changes_nothing(api):
    template = _template(api)
    customer_id = _customer(api)
    _put(api, customer_id, {"apps": ["equipment"]})
    current = _put(api, customer_id, {"apps": ["support"]})
    stale = {"If-Match": '"1"'}
    _status(api.put(_path(customer_id), {"template_id": template["id"]}, headers=stale), 409)
    assert _read(api, customer_id) == current
    assert _template_deletes(api, template["id"])  # the refused PUT counted nothing


# --- delete ------------------------------------------------------------------------------------


def test_delete_answers_204_then_the_portal_is_404(api):
    customer_id = _customer(api)
    _put(api, customer_id, {})
    deleted = api.delete(_path(customer_id))
    assert deleted.status_code == 204
    _absent(api, customer_id)
    _status(api.delete(_path(customer_id)), 404)


def test_delete_with_a_stale_if_match_is_409_and_keeps_the_portal(api):
    customer_id = _customer(api)
    _put(api, customer_id, {"apps": ["equipment"]})
    current = _put(api, customer_id, {"apps": ["support"]})
    _status(api.delete(_path(customer_id), headers={"If-Match": '"1"'}), 409)
    assert _read(api, customer_id) == current


def test_put_with_a_version_for_a_customer_without_a_portal_is_404_and_stores_nothing(api):
    customer_id = _customer(api)
    _status(api.put(_path(customer_id), {"apps": ["equipment"], "version": 1}), 404)
    _status(api.put(_path(customer_id), {}, headers={"If-Match": '"1"'}), 404)
    _absent(api, customer_id)


def test_the_portals_page_is_served_at_its_page_url_until_the_portal_is_deleted(api):
    template = _template(api)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"template_id": template["id"]})
    url = urlsplit(portal["page_url"])
    page = api.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert api.delete(_path(customer_id)).status_code == 204
    assert api.get(f"{url.path}?{url.query}").status_code == 404


def test_a_portal_put_after_delete_is_a_new_one(api):
    customer_id = _customer(api)
    first = _put(api, customer_id, {})
    assert api.delete(_path(customer_id)).status_code == 204
    again = _put(api, customer_id, {})
    assert again["id"] != first["id"]
    assert again["version"] == 1


# --- bad input ---------------------------------------------------------------------------------

BAD_PUTS = {
    "template_id_with_apps": ({"template_id": "TEMPLATE", "apps": ["equipment"]}, "apps"),
    "template_id_with_theme_id": ({"template_id": "TEMPLATE", "theme_id": "THEME"}, "theme_id"),
    "theme_id_without_apps": ({"theme_id": "THEME"}, "apps"),
    "home_page_without_apps": ({"home_page": "map"}, "apps"),
    "sections_without_apps": ({"sections": [{"key": "equipment"}]}, "apps"),
    "unknown_app": ({"apps": ["equipment", "chat"]}, "apps.1"),
    "no_apps": ({"apps": []}, "apps"),
    "app_twice": ({"apps": ["equipment", "equipment"]}, "apps"),
    "unknown_home_page": ({"apps": ["equipment"], "home_page": "dashboard"}, "home_page"),
    "unknown_template": ({"template_id": "tpl_doesnotexist"}, "template_id"),
    "another_tenants_template": ({"template_id": "FOREIGN_TEMPLATE"}, "template_id"),
    "unknown_theme": ({"apps": ["equipment"], "theme_id": "thm_doesnotexist"}, "theme_id"),
    "another_tenants_theme": ({"apps": ["equipment"], "theme_id": "FOREIGN_THEME"}, "theme_id"),
    "visible_section_of_an_app_not_enabled": (
        {"apps": ["equipment"], "sections": [{"key": "equipment"}, {"key": "map"}]},
        "sections.1",
    ),
    "section_twice": (
        {"apps": ["equipment"], "sections": [{"key": "equipment"}, {"key": "equipment"}]},
        "sections",
    ),
    "heading_of_81_chars": (
        {"apps": ["equipment"], "sections": [{"key": "equipment", "headings": {"en": "x" * 81}}]},
        "sections.0.headings.en",
    ),
    "unknown_field": ({"apps": ["equipment"], "colour": "red"}, "colour"),
}


def _filled(body, mine, foreign):
    names = {
        "TEMPLATE": mine["template"],
        "THEME": mine["theme"],
        "FOREIGN_TEMPLATE": foreign["template"],
        "FOREIGN_THEME": foreign["theme"],
    }
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


@pytest.fixture
def references(api, other_api):
    """A template and a theme of this tenant and of the other one, for the bad bodies."""
    mine = {"template": _template(api)["id"], "theme": _theme(api)["id"]}
    foreign = {"template": _template(other_api)["id"], "theme": _theme(other_api)["id"]}
    return mine, foreign


def _nothing_counted(api, other_api, mine, foreign):
    assert _template_deletes(api, mine["template"])
    assert _theme_deletes(api, mine["theme"])
    assert _template_deletes(other_api, foreign["template"])
    assert _theme_deletes(other_api, foreign["theme"])


@pytest.mark.parametrize("case", list(BAD_PUTS))
def test_bad_put_is_422_naming_the_field_and_stores_nothing(api, other_api, references, case):
    body, field = BAD_PUTS[case]
    customer_id = _customer(api)
    _invalid(api.put(_path(customer_id), _filled(body, *references)), field)
    _absent(api, customer_id)
    _nothing_counted(api, other_api, *references)


@pytest.mark.parametrize("case", list(BAD_PUTS))
def test_bad_put_on_an_existing_portal_is_422_and_changes_nothing(api, other_api, references, case):
    body, field = BAD_PUTS[case]
    customer_id = _customer(api)
    current = _put(api, customer_id, {"apps": ["support"]})
    _invalid(api.put(_path(customer_id), _filled(body, *references)), field)
    assert _read(api, customer_id) == current
    _nothing_counted(api, other_api, *references)


# --- tenancy -----------------------------------------------------------------------------------


def test_another_tenant_cannot_put_read_or_delete_a_customers_portal(api, other_api):
    template = _template(api)
    theirs = _template(other_api, name="Theirs")
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"template_id": template["id"]})
    path = _path(customer_id)
    _status(other_api.get(path), 404)
    _status(other_api.put(path, {}), 404)
    _status(other_api.put(path, {"template_id": theirs["id"]}), 404)
    _status(other_api.put(path, {"apps": ["support"], "version": 1}), 404)
    _status(other_api.delete(path), 404)
    assert _read(api, customer_id) == portal
    assert _template_deletes(other_api, theirs["id"])  # their refused PUT counted nothing


def test_put_for_a_customer_that_does_not_exist_is_404_and_stores_nothing(api):
    template = _template(api)
    theme = _theme(api)
    path = _path("cus_doesnotexist")
    _status(api.put(path, {}), 404)
    _status(api.put(path, {"template_id": template["id"]}), 404)
    _status(api.put(path, {"apps": ["equipment"], "theme_id": theme["id"]}), 404)
    _absent(api, "cus_doesnotexist")
    assert _template_deletes(api, template["id"])
    assert _theme_deletes(api, theme["id"])


def test_put_for_a_deleted_customer_is_404(api):
    customer_id = _customer(api)
    assert api.delete(f"/v1/customers/{customer_id}").status_code == 204
    _status(api.put(_path(customer_id), {}), 404)
    _absent(api, customer_id)


# --- what a portal holds -----------------------------------------------------------------------


def test_a_template_used_by_a_portal_cannot_be_deleted_until_the_portal_goes(api):
    template = _template(api)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"template_id": template["id"]})
    body = _status(api.delete(f"{TEMPLATES}/{template['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [portal["id"]]
    # counting the portal does not make the template's version stale
    assert api.get(f"{TEMPLATES}/{template['id']}").json_body == template
    assert api.delete(_path(customer_id)).status_code == 204
    assert _template_deletes(api, template["id"])


def test_the_default_template_used_by_a_portal_from_an_empty_put_is_held(api):
    default = _template(api, is_default=True)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {})
    body = _status(api.delete(f"{TEMPLATES}/{default['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [portal["id"]]


def test_template_delete_names_every_portal_using_it_until_the_last_goes(api):
    template = _template(api)
    customers = [_customer(api, f"C{i}") for i in range(2)]
    ids = [_put(api, c, {"template_id": template["id"]})["id"] for c in customers]
    body = _status(api.delete(f"{TEMPLATES}/{template['id']}"), 409)
    assert sorted(body["held_by"]["portal_ids"]) == sorted(ids)
    assert api.delete(_path(customers[0])).status_code == 204
    body = _status(api.delete(f"{TEMPLATES}/{template['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [ids[1]]
    assert api.delete(_path(customers[1])).status_code == 204
    assert _template_deletes(api, template["id"])


def test_putting_the_same_template_again_counts_the_portal_once(api):
    template = _template(api)
    customer_id = _customer(api)
    for _ in range(3):
        _put(api, customer_id, {"template_id": template["id"]})
    assert api.delete(_path(customer_id)).status_code == 204
    assert _template_deletes(api, template["id"])


def test_moving_a_portal_to_another_template_frees_the_first(api):
    a = _template(api, name="A")
    b = _template(api, name="B", apps=["support"])
    customer_id = _customer(api)
    _put(api, customer_id, {"template_id": a["id"]})
    moved = _put(api, customer_id, {"template_id": b["id"]})
    assert (moved["template_id"], moved["apps"]) == (b["id"], ["support"])
    assert _template_deletes(api, a["id"])
    body = _status(api.delete(f"{TEMPLATES}/{b['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [moved["id"]]


def test_moving_a_portal_from_a_template_to_own_apps_frees_the_template(api):
    template = _template(api)
    customer_id = _customer(api)
    _put(api, customer_id, {"template_id": template["id"]})
    _put(api, customer_id, {"apps": ["equipment"]})
    assert _template_deletes(api, template["id"])


def test_a_theme_used_directly_by_a_portal_cannot_be_deleted_until_the_portal_goes(api):
    theme = _theme(api)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"apps": ["equipment"], "theme_id": theme["id"]})
    body = _status(api.delete(f"/v1/themes/{theme['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [portal["id"]]
    assert api.get(f"/v1/themes/{theme['id']}").json_body["version"] == theme["version"]
    assert api.delete(_path(customer_id)).status_code == 204
    assert _theme_deletes(api, theme["id"])


def test_moving_a_portal_off_its_theme_frees_the_theme(api):
    old, new = _theme(api, "Old"), _theme(api, "New")
    template = _template(api)
    customer_id = _customer(api)
    _put(api, customer_id, {"apps": ["equipment"], "theme_id": old["id"]})
    _put(api, customer_id, {"apps": ["equipment"], "theme_id": old["id"]})  # counted once
    portal = _put(api, customer_id, {"apps": ["equipment"], "theme_id": new["id"]})
    assert _theme_deletes(api, old["id"])
    body = _status(api.delete(f"/v1/themes/{new['id']}"), 409)
    assert body["held_by"]["portal_ids"] == [portal["id"]]
    _put(api, customer_id, {"template_id": template["id"]})
    assert _theme_deletes(api, new["id"])


def test_a_template_portal_does_not_hold_the_templates_theme_itself(api):
    theme = _theme(api)
    template = _template(api, theme_id=theme["id"])
    _put(api, _customer(api), {"template_id": template["id"]})
    body = _status(api.delete(f"/v1/themes/{theme['id']}"), 409)
    assert body["held_by"]["template_ids"] == [template["id"]]
    assert body["held_by"]["portal_ids"] == []


def test_a_customer_with_a_portal_cannot_be_deleted_until_the_portal_goes(api):
    customer_id = _customer(api)
    portal = _put(api, customer_id, {})
    body = _status(api.delete(f"/v1/customers/{customer_id}"), 409)
    assert body["held_by"]["portal_ids"] == [portal["id"]]
    assert api.get(f"/v1/customers/{customer_id}").status_code == 200
    assert _read(api, customer_id) == portal
    assert api.delete(_path(customer_id)).status_code == 204
    assert api.delete(f"/v1/customers/{customer_id}").status_code == 204


# --- changing a template that portals use ------------------------------------------------------

SHOWN_CHANGES = {
    "apps": {"apps": ["equipment", "support"]},
    "theme_id": {"theme_id": "THEME"},
    "home_page": {"home_page": "equipment"},
    "sections": {"sections": [{"key": "equipment", "visible": False}]},
}


@pytest.mark.parametrize("field", list(SHOWN_CHANGES))
def test_template_change_shown_in_portals_is_409_with_the_portals_and_changes_nothing(api, field):
    theme = _theme(api)
    template = _template(api)
    customer_id = _customer(api)
    portal = _put(api, customer_id, {"template_id": template["id"]})
    change = {k: theme["id"] if v == "THEME" else v for k, v in SHOWN_CHANGES[field].items()}
    body = _status(api.patch(f"{TEMPLATES}/{template['id']}", change), 409)
    assert body["affected_count"] == 1
    assert body["affected_portals"] == [portal["id"]]
    assert api.get(f"{TEMPLATES}/{template['id']}").json_body == template
    assert _read(api, customer_id) == portal
    assert _theme_deletes(api, theme["id"])  # the refused change did not count the theme


def test_template_change_with_confirm_changes_the_template_and_its_portals(api):
    theme = _theme(api)
    template = _template(api)
    customer_id = _customer(api)
    _put(api, customer_id, {"template_id": template["id"]})
    change = {"apps": ["equipment", "support"], "theme_id": theme["id"], "home_page": "equipment"}
    patched = api.patch(f"{TEMPLATES}/{template['id']}?confirm=true", change)
    assert patched.status_code == 200, patched.body
    stored = api.get(f"{TEMPLATES}/{template['id']}").json_body
    assert (stored["apps"], stored["theme_id"], stored["home_page"]) == (
        ["equipment", "support"],
        theme["id"],
        "equipment",
    )
    assert stored["version"] == 2
    portal = _read(api, customer_id)
    assert (portal["apps"], portal["theme_id"]) == (["equipment", "support"], theme["id"])


def test_template_affected_portals_lists_every_portal_using_it(api):
    template = _template(api)
    body = {"template_id": template["id"]}
    ids = [_put(api, _customer(api, f"C{i}"), body)["id"] for i in range(3)]
    _put(api, _customer(api, "Elsewhere"), {"apps": ["equipment"]})
    body = _status(api.patch(f"{TEMPLATES}/{template['id']}", {"home_page": "map"}), 409)
    assert body["affected_count"] == 3
    assert sorted(body["affected_portals"]) == sorted(ids)


def test_renaming_a_template_used_by_portals_needs_no_confirm(api):
    template = _template(api)
    _put(api, _customer(api), {"template_id": template["id"]})
    patched = api.patch(f"{TEMPLATES}/{template['id']}", {"name": "Renamed", "description": "New"})
    assert patched.status_code == 200, patched.body
    assert (patched.json_body["name"], patched.json_body["description"]) == ("Renamed", "New")


def test_sending_the_templates_shown_fields_back_unchanged_needs_no_confirm(api):
    theme = _theme(api)
    template = _template(
        api,
        apps=["equipment", "support"],
        theme_id=theme["id"],
        sections=[
            {"key": "support", "headings": {"de": "Hilfe"}},
            {"key": "map", "visible": False},
        ],
    )
    _put(api, _customer(api), {"template_id": template["id"]})
    as_read = {k: template[k] for k in ("apps", "theme_id", "home_page", "sections")}
    patched = api.patch(f"{TEMPLATES}/{template['id']}", {**as_read, "name": "Renamed"})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["name"] == "Renamed"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"theme_id": "thm_doesnotexist"}, "theme_id"),
        ({"sections": [{"key": "map"}]}, "sections.0"),
    ],
)
def test_an_invalid_change_to_a_template_portals_use_is_422_without_asking_to_confirm(
    api, change, field
):
    template = _template(api)
    _put(api, _customer(api), {"template_id": template["id"]})
    _invalid(api.patch(f"{TEMPLATES}/{template['id']}", change), field)


def test_a_template_no_portal_uses_any_more_changes_without_confirm(api):
    template = _template(api)
    customer_id = _customer(api)
    _put(api, customer_id, {"template_id": template["id"]})
    assert api.patch(f"{TEMPLATES}/{template['id']}", {"home_page": "map"}).status_code == 409
    _put(api, customer_id, {"apps": ["equipment"]})
    patched = api.patch(f"{TEMPLATES}/{template['id']}", {"home_page": "equipment"})
    assert patched.status_code == 200, patched.body


# --- scopes ------------------------------------------------------------------------------------


def test_read_key_can_read_a_portal_but_not_put_or_delete_it(api):
    created = api.post("/v1/api-keys", {"name": "reader", "scopes": ["read"]})
    assert created.status_code == 201, created.body
    reader = api.as_key(created.json_body["key"])
    customer_id = _customer(api)
    other_id = _customer(api, "No portal")
    portal = _put(api, customer_id, {})
    assert reader.get(_path(customer_id)).json_body == portal
    _status(reader.put(_path(customer_id), {"apps": ["support"]}), 403)
    _status(reader.put(_path(other_id), {}), 403)
    _status(reader.delete(_path(customer_id)), 403)
    assert _read(api, customer_id) == portal
    _absent(api, other_id)
