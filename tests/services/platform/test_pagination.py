"""Cursor pagination: signed cursors bound to tenant and list, one Query per page, and
no empty trailing page."""

from __future__ import annotations

import pytest

from chalicelib.errors import Invalid
from chalicelib.models import Customer
from chalicelib.schemas.customers import CustomerCreate
from chalicelib.services.fleet import customers
from chalicelib.services.platform.pagination import (
    PageRequest,
    decode_cursor,
    encode_cursor,
    fetch_page,
    raw_key,
)
from chalicelib.tenancy import authenticate_api_key
from tests.conftest import problem

LIST = "customers"


@pytest.fixture
def ctx(tenant):
    return authenticate_api_key(f"Bearer {tenant.key}")


@pytest.fixture
def other_ctx(other_tenant):
    return authenticate_api_key(f"Bearer {other_tenant.key}")


def _create(ctx, count: int) -> list[str]:
    return [customers.create(ctx, CustomerCreate(name=f"C{i}")).id for i in range(count)]


def _query(ctx):
    return lambda **kw: Customer.query(ctx.tenant_id, **kw)


def _first_key(ctx):
    _create(ctx, 1)
    item = next(iter(Customer.query(ctx.tenant_id, limit=1)))
    return raw_key(item)


def _flip(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


# --- cursors ------------------------------------------------------------------------


def test_cursor_round_trips_to_the_same_key(ctx):
    key = _first_key(ctx)
    cursor = encode_cursor(ctx, LIST, key)
    assert decode_cursor(ctx, LIST, cursor) == key


def test_no_cursor_decodes_to_none(ctx):
    assert decode_cursor(ctx, LIST, None) is None


def _assert_cursor_invalid(ctx, list_name: str, cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(ctx, list_name, cursor)
    assert caught.value.status == 422
    assert [e.field for e in caught.value.errors] == ["cursor"]


def test_cursor_of_another_tenant_is_invalid(ctx, other_ctx):
    cursor = encode_cursor(ctx, LIST, _first_key(ctx))
    _assert_cursor_invalid(other_ctx, LIST, cursor)


def test_cursor_of_another_list_is_invalid(ctx):
    cursor = encode_cursor(ctx, LIST, _first_key(ctx))
    _assert_cursor_invalid(ctx, "assets", cursor)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_cursor_with_a_flipped_payload_character_is_invalid(ctx, where):
    cursor = encode_cursor(ctx, LIST, _first_key(ctx))
    payload, _, signature = cursor.partition(".")
    index = {"start": 0, "middle": len(payload) // 2, "end": len(payload) - 1}[where]
    _assert_cursor_invalid(ctx, LIST, f"{_flip(payload, index)}.{signature}")


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_cursor_with_a_flipped_signature_character_is_invalid(ctx, where):
    cursor = encode_cursor(ctx, LIST, _first_key(ctx))
    payload, _, signature = cursor.partition(".")
    index = {"start": 0, "middle": len(signature) // 2, "end": len(signature) - 1}[where]
    _assert_cursor_invalid(ctx, LIST, f"{payload}.{_flip(signature, index)}")


def test_cursor_without_a_dot_is_invalid(ctx):
    cursor = encode_cursor(ctx, LIST, _first_key(ctx))
    _assert_cursor_invalid(ctx, LIST, cursor.replace(".", ""))
    _assert_cursor_invalid(ctx, LIST, cursor.partition(".")[0])


@pytest.mark.parametrize(
    "garbage", ["", ".", "garbage", "a.b.c", "ü.ü", "abc.é", "%00.%00"], ids=repr
)
def test_garbage_cursor_is_invalid_never_an_unexpected_error(ctx, garbage):
    _assert_cursor_invalid(ctx, LIST, garbage)


def test_non_ascii_cursor_over_http_is_422_not_500(api):
    response = api.get("/v1/customers?cursor=abc.%C3%A9")
    body = problem(response)
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["cursor"]


# --- pages --------------------------------------------------------------------------


def test_fetch_page_makes_exactly_one_query_per_page(ctx, ddb_calls):
    ids = _create(ctx, 5)
    ddb_calls.reset()
    items, cursor = fetch_page(ctx, LIST, PageRequest(limit=2), _query(ctx))
    assert dict(ddb_calls.calls) == {"Query": 1}
    assert [i.customer_id for i in items] == ids[:2]
    assert cursor is not None

    ddb_calls.reset()
    items, cursor = fetch_page(ctx, LIST, PageRequest(limit=2, cursor=cursor), _query(ctx))
    assert dict(ddb_calls.calls) == {"Query": 1}
    assert [i.customer_id for i in items] == ids[2:4]
    assert cursor is not None

    ddb_calls.reset()
    items, cursor = fetch_page(ctx, LIST, PageRequest(limit=2, cursor=cursor), _query(ctx))
    assert dict(ddb_calls.calls) == {"Query": 1}
    assert [i.customer_id for i in items] == ids[4:]
    assert cursor is None


@pytest.mark.parametrize("limit", [1, 3])
def test_exactly_full_last_page_has_no_cursor_and_no_empty_page_follows(ctx, ddb_calls, limit):
    ids = _create(ctx, 2 * limit)
    pages, seen, cursor = [], [], None
    while True:
        ddb_calls.reset()
        items, cursor = fetch_page(ctx, LIST, PageRequest(limit=limit, cursor=cursor), _query(ctx))
        assert ddb_calls.calls["Query"] == 1
        pages.append(len(items))
        seen += [i.customer_id for i in items]
        if cursor is None:
            break
        assert len(pages) < 5, "paging does not end"
    assert pages == [limit, limit]
    assert seen == ids


def test_empty_list_is_one_empty_page_without_cursor(ctx, ddb_calls):
    ddb_calls.reset()
    items, cursor = fetch_page(ctx, LIST, PageRequest(limit=2), _query(ctx))
    assert (items, cursor) == ([], None)
    assert dict(ddb_calls.calls) == {"Query": 1}
