"""Portal templates over HTTP: apps, theme, home page, sections, and at most one default."""

from __future__ import annotations

import pytest

from tests.conftest import problem

BASE = "/v1/portal-templates"


def _template(api, name="Standard", **fields):
    body = {"name": name, "apps": ["equipment"], **fields}
    created = api.post(BASE, body)
    assert created.status_code == 201, created.body
    return created.json_body


def _theme(api, name="Brand"):
    created = api.post("/v1/themes", {"name": name})
    assert created.status_code == 201, created.body
    return created.json_body


def _listed(api):
    return api.get(f"{BASE}?limit=100").json_body["items"]


def _defaults(api):
    return [t["id"] for t in _listed(api) if t["is_default"]]


def _invalid(response, field):
    body = problem(response)
    assert body["status"] == 422
    fields = [e["field"] for e in body["errors"]]
    assert field in fields, body
    return body


# --- create, read, list, patch, delete -------------------------------------------------------


def test_create_answers_201_with_tpl_id_defaults_and_version_1(api):
    created = api.post(BASE, {"name": "Standard", "apps": ["equipment", "support"]})
    assert created.status_code == 201
    template = created.json_body
    assert template["id"].startswith("tpl_")
    assert template["name"] == "Standard"
    assert template["description"] is None
    assert template["apps"] == ["equipment", "support"]
    assert template["theme_id"] is None
    assert template["home_page"] == "overview"
    assert template["sections"] == []
    assert template["is_default"] is False
    assert template["version"] == 1
    assert template["created_at"].endswith("Z")
    assert template["updated_at"].endswith("Z")

    read = api.get(f"{BASE}/{template['id']}")
    assert read.status_code == 200
    assert read.json_body == template


def test_create_with_every_field_stores_each_of_them(api):
    theme = _theme(api)
    template = _template(
        api,
        name="Full",
        description="Everything a customer can get",
        apps=["equipment", "activity", "reports", "billing", "support", "tracking"],
        theme_id=theme["id"],
        home_page="map",
        sections=[{"key": "map"}, {"key": "documents", "visible": False}],
        is_default=True,
    )
    assert template["description"] == "Everything a customer can get"
    assert template["apps"] == [
        "equipment",
        "activity",
        "reports",
        "billing",
        "support",
        "tracking",
    ]
    assert template["theme_id"] == theme["id"]
    assert template["home_page"] == "map"
    assert [(s["key"], s["visible"]) for s in template["sections"]] == [
        ("map", True),
        ("documents", False),
    ]
    assert template["is_default"] is True
    assert api.get(f"{BASE}/{template['id']}").json_body == template


def test_list_shows_templates_oldest_first(api):
    ids = [_template(api, name=f"T{i}")["id"] for i in range(3)]
    listed = api.get(BASE)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json_body["items"]] == ids
    assert listed.json_body["next_cursor"] is None


def test_list_pages_through_every_template_once(api):
    ids = [_template(api, name=f"T{i}")["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        path = f"{BASE}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path)
        assert page.status_code == 200, page.body
        seen += [t["id"] for t in page.json_body["items"]]
        pages += 1
        cursor = page.json_body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


def test_list_limit_out_of_range_is_422(api):
    for bad in ("0", "101", "x"):
        _invalid(api.get(f"{BASE}?limit={bad}"), "query.limit")


def test_patch_changes_only_the_fields_sent_and_bumps_the_version(api):
    template = _template(
        api, description="Old", apps=["equipment", "tracking"], sections=[{"key": "map"}]
    )
    patched = api.patch(
        f"{BASE}/{template['id']}", {"name": "Renamed", "home_page": "map", "version": 1}
    )
    assert patched.status_code == 200, patched.body
    body = patched.json_body
    assert body["name"] == "Renamed"
    assert body["home_page"] == "map"
    assert body["version"] == 2
    # untouched fields stay
    assert body["description"] == "Old"
    assert body["apps"] == ["equipment", "tracking"]
    assert body["sections"] == template["sections"]
    assert body["created_at"] == template["created_at"]
    assert api.get(f"{BASE}/{template['id']}").json_body == body


def test_patch_apps_and_sections_together_are_checked_together(api):
    template = _template(api, apps=["equipment"])
    patched = api.patch(
        f"{BASE}/{template['id']}",
        {"apps": ["equipment", "tracking"], "sections": [{"key": "map"}]},
    )
    assert patched.status_code == 200, patched.body
    assert patched.json_body["apps"] == ["equipment", "tracking"]
    assert [s["key"] for s in patched.json_body["sections"]] == ["map"]


def test_patch_null_clears_description_and_theme(api):
    theme = _theme(api)
    template = _template(api, description="Something", theme_id=theme["id"])
    patched = api.patch(f"{BASE}/{template['id']}", {"description": None, "theme_id": None})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["description"] is None
    assert patched.json_body["theme_id"] is None
    assert patched.json_body["name"] == template["name"]
    assert api.get(f"{BASE}/{template['id']}").json_body == patched.json_body


def test_patch_sections_null_clears_them(api):
    template = _template(api, sections=[{"key": "equipment"}])
    patched = api.patch(f"{BASE}/{template['id']}", {"sections": None})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["sections"] == []


def test_patch_sets_a_theme(api):
    theme = _theme(api)
    template = _template(api)
    patched = api.patch(f"{BASE}/{template['id']}", {"theme_id": theme["id"]})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["theme_id"] == theme["id"]


def test_patch_with_stale_version_is_409_and_changes_nothing(api):
    template = _template(api, name="A")
    assert api.patch(f"{BASE}/{template['id']}", {"name": "B", "version": 1}).status_code == 200
    body = problem(api.patch(f"{BASE}/{template['id']}", {"name": "C", "version": 1}))
    assert body["status"] == 409
    assert body["current_version"] == 2
    header_stale = api.patch(f"{BASE}/{template['id']}", {"name": "C"}, headers={"If-Match": '"1"'})
    assert problem(header_stale)["status"] == 409
    stored = api.get(f"{BASE}/{template['id']}").json_body
    assert (stored["name"], stored["version"]) == ("B", 2)


def test_patch_name_or_apps_to_null_is_422(api):
    template = _template(api)
    _invalid(api.patch(f"{BASE}/{template['id']}", {"name": None}), "name")
    _invalid(api.patch(f"{BASE}/{template['id']}", {"apps": None}), "apps")
    assert api.get(f"{BASE}/{template['id']}").json_body == template


def test_delete_answers_204_then_the_template_is_404(api):
    template = _template(api)
    deleted = api.delete(f"{BASE}/{template['id']}")
    assert deleted.status_code == 204
    assert problem(api.get(f"{BASE}/{template['id']}"))["status"] == 404
    assert problem(api.delete(f"{BASE}/{template['id']}"))["status"] == 404
    assert problem(api.patch(f"{BASE}/{template['id']}", {"name": "X"}))["status"] == 404
    assert _listed(api) == []


def test_delete_with_stale_if_match_is_409_and_keeps_the_template(api):
    template = _template(api)
    api.patch(f"{BASE}/{template['id']}", {"name": "Again"})
    stale = api.delete(f"{BASE}/{template['id']}", headers={"If-Match": '"1"'})
    assert problem(stale)["status"] == 409
    assert api.get(f"{BASE}/{template['id']}").status_code == 200


def test_unknown_template_is_404(api):
    assert problem(api.get(f"{BASE}/tpl_nope"))["status"] == 404
    assert problem(api.patch(f"{BASE}/tpl_nope", {"name": "X"}))["status"] == 404
    assert problem(api.delete(f"{BASE}/tpl_nope"))["status"] == 404


def test_idempotency_key_replays_the_create_and_stores_one_template(api):
    headers = {"Idempotency-Key": "tpl-1"}
    body = {"name": "Once", "apps": ["equipment"]}
    first = api.post(BASE, body, headers=headers)
    again = api.post(BASE, body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    assert [t["id"] for t in _listed(api)] == [first.json_body["id"]]


# --- validation on create --------------------------------------------------------------------

LONG = "x" * 81

BAD_CREATES = {
    "unknown_app": ({"apps": ["equipment", "chat"]}, "apps.1"),
    "no_apps": ({"apps": []}, "apps"),
    "app_twice": ({"apps": ["equipment", "support", "equipment"]}, "apps"),
    "unknown_home_page": ({"home_page": "dashboard"}, "home_page"),
    "section_twice": (
        {"sections": [{"key": "equipment"}, {"key": "equipment", "visible": False}]},
        "sections",
    ),
    "visible_section_without_its_app": (
        {"apps": ["equipment"], "sections": [{"key": "equipment"}, {"key": "map"}]},
        "sections.1",
    ),
    "unknown_section": ({"sections": [{"key": "weather"}]}, "sections.0.key"),
    "heading_of_81_chars": (
        {"sections": [{"key": "equipment", "headings": {"en": LONG}}]},
        "sections.0.headings.en",
    ),
    "blank_heading": (
        {"sections": [{"key": "equipment", "headings": {"de": "   "}}]},
        "sections.0.headings.de",
    ),
    "empty_heading": (
        {"sections": [{"key": "equipment", "headings": {"da": ""}}]},
        "sections.0.headings.da",
    ),
    "unknown_heading_language": (
        {"sections": [{"key": "equipment", "headings": {"fr": "Matériel"}}]},
        "sections.0.headings",
    ),
    "unknown_field": ({"colour": "red"}, "colour"),
    "missing_name": ({"name": None}, "name"),
    "missing_apps": ({"apps": None}, "apps"),
    "unknown_theme": ({"theme_id": "thm_doesnotexist"}, "theme_id"),
}


def _without_none(body):
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("case", list(BAD_CREATES))
def test_bad_create_is_422_naming_the_field_and_stores_nothing(api, case):
    fields, field = BAD_CREATES[case]
    body = _without_none({"name": "Bad", "apps": ["equipment"], **fields})
    response = api.post(BASE, body)
    body = problem(response)
    assert body["status"] == 422
    names = [e["field"] for e in body["errors"]]
    if case == "unknown_heading_language":
        assert any(n.startswith(field) for n in names), body
    else:
        assert field in names, body
    assert _listed(api) == []


def test_create_naming_another_tenants_theme_is_422_and_stores_nothing(api, other_api):
    foreign = _theme(other_api, "Not yours")
    response = api.post(BASE, {"name": "T", "apps": ["equipment"], "theme_id": foreign["id"]})
    _invalid(response, "theme_id")
    assert _listed(api) == []
    assert _listed(other_api) == []


def test_failed_default_create_leaves_the_existing_default(api):
    current = _template(api, name="Current", is_default=True)
    response = api.post(BASE, {"name": "Bad", "apps": ["chat"], "is_default": True})
    assert problem(response)["status"] == 422
    assert _defaults(api) == [current["id"]]


# --- validation on patch ---------------------------------------------------------------------


def test_patch_sections_only_is_checked_against_the_stored_apps(api):
    template = _template(api, apps=["equipment"])
    response = api.patch(
        f"{BASE}/{template['id']}", {"sections": [{"key": "equipment"}, {"key": "map"}]}
    )
    _invalid(response, "sections.1")
    assert api.get(f"{BASE}/{template['id']}").json_body == template


def test_patch_apps_only_cannot_drop_an_app_a_visible_section_needs(api):
    template = _template(
        api, apps=["equipment", "tracking"], sections=[{"key": "equipment"}, {"key": "map"}]
    )
    response = api.patch(f"{BASE}/{template['id']}", {"apps": ["equipment"]})
    body = problem(response)
    assert body["status"] == 422
    assert {e["field"] for e in body["errors"]} & {"apps", "sections.1"}, body
    assert "tracking" in body["detail"] or any("tracking" in e["message"] for e in body["errors"])
    assert api.get(f"{BASE}/{template['id']}").json_body == template


def test_patch_apps_only_may_drop_an_app_whose_section_is_hidden(api):
    template = _template(
        api,
        apps=["equipment", "tracking"],
        sections=[{"key": "equipment"}, {"key": "map", "visible": False}],
    )
    patched = api.patch(f"{BASE}/{template['id']}", {"apps": ["equipment"]})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["apps"] == ["equipment"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"apps": ["chat"]}, "apps.0"),
        ({"apps": []}, "apps"),
        ({"apps": ["support", "support"]}, "apps"),
        ({"home_page": "dashboard"}, "home_page"),
        ({"sections": [{"key": "equipment"}, {"key": "equipment"}]}, "sections"),
        ({"sections": [{"key": "equipment", "headings": {"en": LONG}}]}, "sections.0.headings.en"),
        ({"sections": [{"key": "equipment", "headings": {"en": " "}}]}, "sections.0.headings.en"),
        ({"theme_id": "thm_doesnotexist"}, "theme_id"),
        ({"description": "x" * 1001}, "description"),
        ({"is_default": "yes"}, "is_default"),
        ({"is_default": None}, "is_default"),
        ({"home_page": None}, "home_page"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(api, change, field):
    template = _template(api)
    _invalid(api.patch(f"{BASE}/{template['id']}", change), field)
    assert api.get(f"{BASE}/{template['id']}").json_body == template


def test_patch_to_another_tenants_theme_is_422_and_changes_nothing(api, other_api):
    mine = _theme(api, "Mine")
    foreign = _theme(other_api, "Not yours")
    template = _template(api, theme_id=mine["id"])
    _invalid(api.patch(f"{BASE}/{template['id']}", {"theme_id": foreign["id"]}), "theme_id")
    assert api.get(f"{BASE}/{template['id']}").json_body == template


# --- sections and headings -------------------------------------------------------------------


def test_section_headings_per_language_round_trip(api):
    sections = [
        {
            "key": "equipment",
            "visible": True,
            "headings": {"en": "Your machines", "de": "Ihre Maschinen", "da": "Dine maskiner"},
        },
        {"key": "support", "visible": True, "headings": {"de": "Hilfe"}},
        {"key": "reports", "visible": False},
    ]
    template = _template(api, apps=["equipment", "support"], sections=sections)
    read = api.get(f"{BASE}/{template['id']}").json_body
    assert read == template
    out = {s["key"]: s for s in read["sections"]}
    assert [s["key"] for s in read["sections"]] == ["equipment", "support", "reports"]
    assert out["equipment"]["visible"] is True
    assert {k: out["equipment"]["headings"][k] for k in ("en", "de", "da")} == {
        "en": "Your machines",
        "de": "Ihre Maschinen",
        "da": "Dine maskiner",
    }
    assert out["support"]["headings"]["de"] == "Hilfe"
    assert out["support"]["headings"].get("en") is None
    assert out["support"]["headings"].get("da") is None
    assert out["reports"]["visible"] is False
    assert not out["reports"].get("headings")


def test_headings_of_80_chars_and_non_ascii_are_kept(api):
    heading = "Ü" + "x" * 78 + "ø"
    template = _template(
        api, sections=[{"key": "equipment", "headings": {"da": heading, "de": "Geräte"}}]
    )
    headings = api.get(f"{BASE}/{template['id']}").json_body["sections"][0]["headings"]
    assert headings["da"] == heading
    assert headings["de"] == "Geräte"


def test_invisible_sections_are_allowed_for_apps_not_enabled(api):
    template = _template(
        api,
        apps=["equipment"],
        sections=[
            {"key": "map", "visible": False},
            {"key": "documents", "visible": False, "headings": {"en": "Invoices"}},
            {"key": "support", "visible": False},
        ],
    )
    assert [(s["key"], s["visible"]) for s in template["sections"]] == [
        ("map", False),
        ("documents", False),
        ("support", False),
    ]
    patched = api.patch(
        f"{BASE}/{template['id']}", {"sections": [{"key": "activity", "visible": False}]}
    )
    assert patched.status_code == 200, patched.body
    assert [s["key"] for s in patched.json_body["sections"]] == ["activity"]


def test_patch_sections_replaces_headings(api):
    template = _template(
        api, sections=[{"key": "equipment", "headings": {"en": "Old", "de": "Alt"}}]
    )
    patched = api.patch(
        f"{BASE}/{template['id']}",
        {"sections": [{"key": "equipment", "headings": {"da": "Ny"}}]},
    )
    assert patched.status_code == 200, patched.body
    headings = patched.json_body["sections"][0]["headings"]
    assert headings["da"] == "Ny"
    assert headings.get("en") is None
    assert headings.get("de") is None
    assert api.get(f"{BASE}/{template['id']}").json_body == patched.json_body


# --- the default -----------------------------------------------------------------------------


def _is_default(api, template_id):
    return api.get(f"{BASE}/{template_id}").json_body["is_default"]


def test_at_most_one_template_is_the_default_throughout(api):
    a = _template(api, name="A", is_default=True)
    assert a["is_default"] is True
    assert _defaults(api) == [a["id"]]

    b = _template(api, name="B", is_default=True)
    assert b["is_default"] is True
    assert _is_default(api, a["id"]) is False
    assert _is_default(api, b["id"]) is True
    assert _defaults(api) == [b["id"]]

    plain = _template(api, name="Plain")
    assert plain["is_default"] is False
    assert _defaults(api) == [b["id"]]

    patched = api.patch(f"{BASE}/{a['id']}", {"is_default": True})
    assert patched.status_code == 200, patched.body
    assert patched.json_body["is_default"] is True
    assert _is_default(api, b["id"]) is False
    assert _defaults(api) == [a["id"]]

    again = api.patch(f"{BASE}/{a['id']}", {"is_default": True})
    assert again.status_code == 200, again.body
    assert _defaults(api) == [a["id"]]

    cleared = api.patch(f"{BASE}/{a['id']}", {"is_default": False})
    assert cleared.status_code == 200, cleared.body
    assert cleared.json_body["is_default"] is False
    assert _defaults(api) == []

    not_default = api.patch(f"{BASE}/{b['id']}", {"is_default": False})
    assert not_default.status_code == 200, not_default.body
    assert _defaults(api) == []

    made = api.patch(f"{BASE}/{b['id']}", {"is_default": True})
    assert made.status_code == 200, made.body
    assert _defaults(api) == [b["id"]]


def test_deleting_the_default_template_leaves_none(api):
    a = _template(api, name="A", is_default=True)
    b = _template(api, name="B")
    assert api.delete(f"{BASE}/{a['id']}").status_code == 204
    assert _defaults(api) == []
    assert _is_default(api, b["id"]) is False
    # a new default can be made afterwards, and is the only one
    made = api.patch(f"{BASE}/{b['id']}", {"is_default": True})
    assert made.status_code == 200, made.body
    assert _defaults(api) == [b["id"]]
    c = _template(api, name="C", is_default=True)
    assert _defaults(api) == [c["id"]]


def test_deleting_a_template_that_is_not_the_default_keeps_the_default(api):
    a = _template(api, name="A", is_default=True)
    b = _template(api, name="B")
    assert api.delete(f"{BASE}/{b['id']}").status_code == 204
    assert _defaults(api) == [a["id"]]
    c = _template(api, name="C", is_default=True)
    assert _defaults(api) == [c["id"]]


def test_patching_the_old_default_after_it_lost_the_flag_keeps_one_default(api):
    a = _template(api, name="A", is_default=True)
    b = _template(api, name="B", is_default=True)
    renamed = api.patch(f"{BASE}/{a['id']}", {"name": "A2"})
    assert renamed.status_code == 200, renamed.body
    assert renamed.json_body["is_default"] is False
    assert _defaults(api) == [b["id"]]


def test_defaults_of_two_tenants_are_independent(api, other_api):
    mine = _template(api, name="Mine", is_default=True)
    theirs = _template(other_api, name="Theirs", is_default=True)
    assert _defaults(api) == [mine["id"]]
    assert _defaults(other_api) == [theirs["id"]]
    assert api.delete(f"{BASE}/{mine['id']}").status_code == 204
    assert _defaults(other_api) == [theirs["id"]]


# --- themes in use ---------------------------------------------------------------------------


def test_a_theme_used_by_a_template_cannot_be_deleted_until_the_template_drops_it(api):
    theme = _theme(api)
    template = _template(api, theme_id=theme["id"])
    refused = api.delete(f"/v1/themes/{theme['id']}")
    body = problem(refused)
    assert body["status"] == 409
    assert body["held_by"]["template_ids"] == [template["id"]]
    assert api.get(f"/v1/themes/{theme['id']}").status_code == 200

    dropped = api.patch(f"{BASE}/{template['id']}", {"theme_id": None})
    assert dropped.status_code == 200, dropped.body
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 204
    assert api.get(f"/v1/themes/{theme['id']}").status_code == 404


def test_theme_delete_names_every_template_using_it(api):
    theme = _theme(api)
    other = _theme(api, "Other")
    users = [_template(api, name=f"U{i}", theme_id=theme["id"])["id"] for i in range(2)]
    _template(api, name="Elsewhere", theme_id=other["id"])
    _template(api, name="None")
    body = problem(api.delete(f"/v1/themes/{theme['id']}"))
    assert body["status"] == 409
    assert sorted(body["held_by"]["template_ids"]) == sorted(users)


def test_a_theme_freed_by_deleting_its_template_deletes(api):
    theme = _theme(api)
    template = _template(api, theme_id=theme["id"])
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 409
    assert api.delete(f"{BASE}/{template['id']}").status_code == 204
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 204


def test_a_deleted_theme_cannot_be_named_afterwards(api):
    theme = _theme(api)
    assert api.delete(f"/v1/themes/{theme['id']}").status_code == 204
    _invalid(
        api.post(BASE, {"name": "T", "apps": ["equipment"], "theme_id": theme["id"]}), "theme_id"
    )
    assert _listed(api) == []


# --- another tenant --------------------------------------------------------------------------


def test_another_tenant_cannot_read_change_or_delete_a_template(api, other_api):
    template = _template(api, name="Private", is_default=True)
    path = f"{BASE}/{template['id']}"
    assert problem(other_api.get(path))["status"] == 404
    assert problem(other_api.patch(path, {"name": "Stolen"}))["status"] == 404
    assert problem(other_api.patch(path, {"is_default": False}))["status"] == 404
    assert problem(other_api.delete(path))["status"] == 404
    assert _listed(other_api) == []
    assert _defaults(other_api) == []
    assert api.get(path).json_body == template
    assert _defaults(api) == [template["id"]]
