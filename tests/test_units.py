"""Small pure pieces: ids, times, settings, problem documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib import keyring as keyring_module
from chalicelib.errors import Invalid, NotFound, RateLimited, problem
from chalicelib.ids import digest, new_id, new_secret
from chalicelib.schemas.common import rfc3339
from chalicelib.settings import LOCAL_SECRET, ConfigurationError, Settings
from tests.conftest import deployed_env

DEPLOYED = deployed_env()


def test_ids_sort_by_creation_time_and_do_not_collide():
    earlier = new_id("cus", now_ms=1_700_000_000_000)
    later = new_id("cus", now_ms=1_700_000_000_001)
    assert earlier < later
    assert len({new_id("cus") for _ in range(1000)}) == 1000
    assert len(earlier) == len("cus_") + 26


def test_secrets_are_256_bit_and_stored_as_sha256():
    secret = new_secret("pwk")
    assert secret.startswith("pwk_")
    assert len(secret) >= 4 + 43
    assert len(digest(secret)) == 64
    assert digest(secret) != secret


def test_rfc3339_is_utc_with_z_and_milliseconds_only_when_present():
    assert rfc3339(datetime(2026, 11, 22, 10, 0, tzinfo=UTC)) == "2026-11-22T10:00:00Z"
    plus_two = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2026, 11, 22, 12, 0, 0, 250_000, tzinfo=plus_two)) == (
        "2026-11-22T10:00:00.250Z"
    )


def test_the_local_key_never_signs_outside_local_stages():
    local = Settings.from_env({"PORTWAY_STAGE": "local"})
    assert local.secret_key == LOCAL_SECRET
    assert keyring_module.load(local).active == keyring_module.LEGACY_KEY_ID
    with pytest.raises(ConfigurationError, match="PORTWAY_SECRET_PARAMETER"):
        Settings.from_env({**DEPLOYED, "PORTWAY_SECRET_PARAMETER": ""})


def test_local_stage_defaults_to_dynamodb_local_and_aws_stages_do_not():
    assert Settings.from_env({"PORTWAY_STAGE": "local"}).dynamodb_endpoint
    assert Settings.from_env(DEPLOYED).dynamodb_endpoint is None
    assert Settings.from_env(DEPLOYED).table_prefix == "portway-prod-"


def test_problem_documents_carry_type_title_status_detail_and_fields():
    status, headers, body = problem(Invalid.field("name", "required"))
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    assert body == {
        "type": "urn:portway:problem:validation",
        "title": "Invalid input",
        "status": 422,
        "detail": "name: required",
        "errors": [{"field": "name", "message": "required", "code": "required"}],
    }
    assert problem(NotFound("No customer x."))[2]["type"] == "urn:portway:problem:not-found"
    status, headers, _ = problem(RateLimited("slow down", retry_after_seconds=7))
    assert (status, headers["Retry-After"]) == (429, "7")


def test_menu_text_is_whichever_of_dark_or_white_reads_better():
    from chalicelib.branding import DARK_TEXT, LIGHT_TEXT, readable_text

    assert readable_text("#0f3d3e") == LIGHT_TEXT
    assert readable_text("#f5f5dc") == DARK_TEXT


@pytest.mark.parametrize(
    ("message", "code", "limit"),
    [
        ("required", "required", None),
        ("unknown field", "unknown", None),
        ("Expected `str` of length <= 200", "too_long", 200),
        ("Expected `str` of length >= 1", "required", 1),  # empty: left out
        ("Expected `str` of length >= 12", "too_short", 12),
        ("Expected `array` of length <= 50", "too_many", 50),
        ("Expected `int` >= 1", "too_small", 1),
        ("Expected `int` <= 10080", "too_large", 10080),
        ("Expected `str` matching regex '^[a-z]+$'", "format", None),
        ("Invalid enum value 'klingon'", "choice", None),
        ("Expected `str`, got `int`", "type", None),
        ("lists an app twice", "invalid", None),
    ],
)
def test_field_errors_carry_a_stable_code_and_the_limit_their_rule_names(message, code, limit):
    from chalicelib.errors import FieldError, Invalid, problem

    (entry,) = problem(Invalid("x", errors=[FieldError("f", message)]))[2]["errors"]
    assert (entry["code"], entry.get("limit")) == (code, limit)
    assert entry["message"] == message


def test_an_explicit_code_and_its_numbers_win_over_the_message():
    from chalicelib.errors import FieldError, Invalid, problem

    error = FieldError(
        "components.0.quantity", "must be from 1 to 5", "range", {"low": 1, "high": 5}
    )
    (entry,) = problem(Invalid("x", errors=[error]))[2]["errors"]
    assert entry == {
        "field": "components.0.quantity",
        "message": "must be from 1 to 5",
        "code": "range",
        "params": {"low": 1, "high": 5},
    }
