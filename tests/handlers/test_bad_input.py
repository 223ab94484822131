"""Hostile or broken requests: each gets the right problem+json and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import problem


def _text(response):
    body = response.body
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")


def rejected(response, status, *fields):
    """The problem body of an error answer, checked for everything every error carries."""
    assert response.status_code == status, _text(response)
    body = problem(response)
    assert body["type"].startswith("urn:portway:problem:")
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert "Traceback" not in _text(response)
    assert 'File "' not in _text(response)
    if fields:
        assert sorted(e["field"] for e in body["errors"]) == sorted(fields), body
        assert all(e["message"] for e in body["errors"])
    return body


def assert_no_customers(api):
    listed = api.get("/v1/customers")
    assert listed.status_code == 200
    assert listed.json_body["items"] == []


# --- bodies that are not a JSON object ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{name:", 400),
        (b'{"name": "a"', 400),
        (b'{"name": NaN}', 400),
        (b'{"name": "a", "n": Infinity}', 400),
        (b'{"name": -Infinity}', 400),
        (b"\xff\xfe\x00", 400),
        (b"[]", 422),
        (b'[{"name": "a"}]', 422),
        (b'"Nordbau"', 422),
        (b"42", 422),
        (b"null", 422),
    ],
)
def test_body_that_is_not_a_json_object(api, raw, status):
    body = rejected(api.post("/v1/customers", raw=raw), status)
    if status == 400:
        assert body["type"] == "urn:portway:problem:bad-request"
    else:
        assert body["type"] == "urn:portway:problem:validation"
        assert [e["field"] for e in body["errors"]] == ["body"]
    assert_no_customers(api)


def test_malformed_json_is_400_on_patch_too(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    rejected(api.patch(f"/v1/customers/{customer['id']}", raw=b"{name:"), 400)
    rejected(api.patch(f"/v1/customers/{customer['id']}", raw=b'{"name": NaN}'), 400)
    rejected(api.patch(f"/v1/customers/{customer['id']}", raw=b"[]"), 422, "body")
    assert api.get(f"/v1/customers/{customer['id']}").json_body == customer


# --- wrong fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"name": 5}, ["name"]),
        ({"name": ["a"]}, ["name"]),
        ({"name": {"first": "a"}}, ["name"]),
        ({"name": None}, ["name"]),
        ({"name": True}, ["name"]),
        ({}, ["name"]),
        ({"name": "a", "colour": "red"}, ["colour"]),
        ({"name": 5, "colour": "red"}, ["name", "colour"]),
        ({"colour": "red", "size": "XL"}, ["name", "colour", "size"]),
        ({"name": "a", "language": "xx"}, ["language"]),
        ({"name": "a", "language": "DE "}, ["language"]),
        ({"name": "a", "email": "not-an-email"}, ["email"]),
        ({"name": "a", "email": "a@b"}, ["email"]),
        ({"name": "a", "email": "a b@c.example"}, ["email"]),
        ({"name": "x" * 201}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"name": "a", "external_id": "k" * 101}, ["external_id"]),
        ({"name": "x" * 201, "language": "xx", "email": "nope"}, ["name", "language", "email"]),
    ],
)
def test_invalid_fields_are_422_naming_each(api, payload, fields):
    body = rejected(api.post("/v1/customers", payload), 422, *fields)
    assert body["type"] == "urn:portway:problem:validation"
    assert len(body["errors"]) == len(fields)
    assert_no_customers(api)


def test_unknown_field_message(api):
    body = rejected(api.post("/v1/customers", {"name": "a", "colour": "red"}), 422, "colour")
    assert body["errors"] == [{"field": "colour", "message": "unknown field", "code": "unknown"}]
    assert_no_customers(api)


def test_longest_valid_name_is_accepted(api):
    assert api.post("/v1/customers", {"name": "x" * 200}).status_code == 201


def test_empty_body_is_missing_fields_not_malformed(api):
    rejected(api.post("/v1/customers", raw=b""), 422, "name")
    rejected(api.post("/v1/customers", raw=b"  \n"), 422, "name")
    assert_no_customers(api)


def test_invalid_patch_changes_nothing(api):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    path = f"/v1/customers/{customer['id']}"
    rejected(api.patch(path, {"name": 5}), 422, "name")
    rejected(api.patch(path, {"language": "xx", "colour": "red"}), 422, "language", "colour")
    rejected(api.patch(path, {"version": 0}), 422, "version")
    assert api.get(path).json_body == customer


# --- size and media type ---------------------------------------------------------------


def test_body_over_the_limit_is_413(api):
    raw = json.dumps({"name": "a", "external_id": "x" * 300_000}).encode()
    assert len(raw) > 262_144
    body = rejected(api.post("/v1/customers", raw=raw), 413)
    assert body["type"] == "urn:portway:problem:payload-too-large"
    assert_no_customers(api)


def test_body_over_the_limit_is_413_even_when_not_json(api):
    rejected(api.post("/v1/customers", raw=b"{" * 300_000), 413)
    rejected(
        api.post("/v1/customers", raw=b"x" * 300_000, headers={"Content-Type": "text/plain"}), 413
    )
    assert_no_customers(api)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ],
)
def test_json_body_with_other_content_type_is_415(api, content_type):
    body = rejected(
        api.post("/v1/customers", raw=b'{"name": "a"}', headers={"Content-Type": content_type}), 415
    )
    assert body["type"] == "urn:portway:problem:unsupported-media-type"
    assert_no_customers(api)


def test_json_content_type_with_charset_is_accepted(api):
    created = api.post(
        "/v1/customers",
        raw=b'{"name": "a"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201


# --- path ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    [
        "%2e%2e",
        "..",
        "a" * 500,
        "a" * 101,
        "%00",
        "a%20b",
        "%2F",
        "%ZZ",
        "%FF",
        "cus_%27%22%3C",
        "%C3%BC",
        "a:b",
        "%7B%7D",
    ],
)
def test_odd_path_ids_are_404_never_500(api, bad_id):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    for method, path in [
        ("GET", f"/v1/customers/{bad_id}"),
        ("PATCH", f"/v1/customers/{bad_id}"),
        ("DELETE", f"/v1/customers/{bad_id}"),
        ("GET", f"/v1/customers/{bad_id}/business-units"),
        ("POST", f"/v1/customers/{bad_id}/business-units"),
        ("GET", f"/v1/api-keys/{bad_id}"),
        ("DELETE", f"/v1/api-keys/{bad_id}"),
    ]:
        body = {"name": "X"} if method in ("PATCH", "POST") else None
        response = api.request(method, path, body)
        assert response.status_code == 404, (method, path, _text(response))
        rejected(response, 404)
    assert api.get("/v1/customers").json_body["items"] == [customer]


# --- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["k" * 256, "order 42", " ", "order\t42", "ordré-42"],
)
def test_bad_idempotency_key_is_422(api, key):
    body = rejected(
        api.post("/v1/customers", {"name": "A"}, headers={"Idempotency-Key": key}),
        422,
        "Idempotency-Key",
    )
    assert body["type"] == "urn:portway:problem:validation"
    assert_no_customers(api)


def test_longest_idempotency_key_is_accepted(api):
    created = api.post("/v1/customers", {"name": "A"}, headers={"Idempotency-Key": "k" * 255})
    assert created.status_code == 201


@pytest.mark.parametrize("if_match", ["abc", '"abc"', "-1", "1.5", "*" * 20, "1" * 13])
def test_bad_if_match_is_422(api, if_match):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    path = f"/v1/customers/{customer['id']}"
    body = rejected(api.patch(path, {"name": "B"}, headers={"If-Match": if_match}), 422, "If-Match")
    assert body["type"] == "urn:portway:problem:validation"
    rejected(api.delete(path, headers={"If-Match": if_match}), 422, "If-Match")
    assert api.get(path).json_body == customer


@pytest.mark.parametrize("if_match", ['"1"', "1", 'W/"1"'])
def test_good_if_match_forms_are_accepted(api, if_match):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    patched = api.patch(
        f"/v1/customers/{customer['id']}", {"name": "B"}, headers={"If-Match": if_match}
    )
    assert patched.status_code == 200
    assert patched.json_body["version"] == 2


# --- query strings ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["limit=-1", "limit=1e3", "limit=", "cursor=" + "x" * 5000])
def test_bad_list_query_is_422(api, query):
    body = rejected(api.get(f"/v1/customers?{query}"), 422)
    assert body["errors"][0]["field"].startswith("query.")


# --- the shape of every error ------------------------------------------------------------


def test_every_error_is_problem_json_without_internals(api, anonymous):
    customer = api.post("/v1/customers", {"name": "A"}).json_body
    reader = api.as_key(
        api.post("/v1/api-keys", {"name": "r", "scopes": ["read"]}).json_body["key"]
    )
    cases = [
        (anonymous.get("/v1/customers"), 401),
        (reader.post("/v1/customers", {"name": "B"}), 403),
        (api.get("/v1/customers/cus_nope"), 404),
        (api.post("/v1/customers", raw=b"{name:"), 400),
        (api.post("/v1/customers", {"name": 5}), 422),
        (api.post("/v1/customers", raw=b"x" * 300_000), 413),
        (
            api.post("/v1/customers", raw=b'{"name":"a"}', headers={"Content-Type": "text/plain"}),
            415,
        ),
        (api.patch(f"/v1/customers/{customer['id']}", {"name": "B", "version": 9}), 409),
    ]
    for response, status in cases:
        body = rejected(response, status)
        assert set(body) >= {"type", "title", "status", "detail"}
        assert response.headers.get("Cache-Control") == "no-store"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert [c["id"] for c in api.get("/v1/customers").json_body["items"]] == [customer["id"]]


# --- bodies that used to reach a 500 ------------------------------------------------


def test_deeply_nested_body_is_400(api):
    body = rejected(api.post("/v1/customers", raw=b"[" * 50_000), 400)
    assert "nests" in body["detail"]
    assert_no_customers(api)


def test_unpaired_surrogate_escape_is_400(api):
    rejected(api.post("/v1/customers", raw=b'{"name": "\\ud800"}'), 400)
    assert_no_customers(api)


def test_an_unexpected_error_still_answers_problem_json_without_details(api, monkeypatch):
    from chalicelib.services.fleet import customers

    def broken(*_args, **_kwargs):
        raise KeyError("internal detail that must not leak")

    monkeypatch.setattr(customers, "list_customers", broken)
    response = api.get("/v1/customers")
    rejected(response, 500)
    assert "internal detail" not in response.body.decode()
