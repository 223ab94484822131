"""Domain errors (pure Python) and the one place that turns them into problem+json.

Services raise these; the handler layer calls `problem()` and nothing else decides a
status code. Bodies follow RFC 9457 (`type`, `title`, `status`, `detail`), with
`errors: [{field, message}]` on validation failures.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field: a dotted path (`asset_ids.3`) and what is wrong with it.

    `code` is the stable name pages and the console translate (when None, it is derived from
    the message: `code_of`); `params` are the numbers the sentence names (`low`, `high`).
    """

    field: str
    message: str
    code: str | None = None
    params: dict[str, int | float] | None = None


class PortwayError(Exception):
    """Base of all domain errors; subclasses fix the status, type and title."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(PortwayError):
    """400: the request cannot be read (malformed JSON)."""

    status, slug, title = 400, "bad-request", "Malformed request"


class Unauthorized(PortwayError):
    """401: no credentials, or credentials that are not valid."""

    status, slug, title = 401, "unauthorized", "Missing or invalid credentials"


class Forbidden(PortwayError):
    """403: authenticated, but not allowed to do this."""

    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(PortwayError):
    """404: no such object for this tenant (also: another tenant's object)."""

    status, slug, title = 404, "not-found", "Not found"


class Conflict(PortwayError):
    """409: stale version, object in use, or already done."""

    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(PortwayError):
    """413: the body is over the size limit."""

    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(PortwayError):
    """415: the body is not JSON."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Invalid(PortwayError):
    """422: input that breaks the rules, field by field."""

    status, slug, title = 422, "validation", "Invalid input"

    @classmethod
    def field(
        cls,
        field: str,
        message: str,
        *,
        code: str | None = None,
        params: dict[str, int | float] | None = None,
    ) -> Invalid:
        """A validation error about a single field."""
        return cls(f"{field}: {message}", errors=[FieldError(field, message, code, params)])

    @classmethod
    def fields(cls, errors: list[FieldError]) -> Invalid:
        """A validation error about several fields at once."""
        return cls("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


class RateLimited(PortwayError):
    """429: too many requests; Retry-After says when to come back."""

    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class Unavailable(PortwayError):
    """503: storage is busy or unreachable; safe to retry."""

    status, slug, title = 503, "unavailable", "Temporarily unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


class InternalError(PortwayError):
    """500: a bug; the details go to the log, never to the caller."""

    status, slug, title = 500, "internal", "Internal error"


# Stable codes of field errors, by what the message says (msgspec's own words, or ours), so
# that pages and the console can say it in the person's language; `limit` is the number the
# rule names (a length, a bound).
_CODES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"^required$", "required"),
        (r"^unknown field$", "unknown"),
        (r"^Expected `(?:str|string)` of length >= (\d+)", "too_short"),
        (r"^Expected `(?:str|string)` of length <= (\d+)", "too_long"),
        (r"^Expected `(?:array|object)` of length >= (\d+)", "too_few"),
        (r"^Expected `(?:array|object)` of length <= (\d+)", "too_many"),
        (r"^Expected `(?:int|float|number)` >= (-?[\d.]+)", "too_small"),
        (r"^Expected `(?:int|float|number)` > (-?[\d.]+)", "too_small"),
        (r"^Expected `(?:int|float|number)` <= (-?[\d.]+)", "too_large"),
        (r"^Expected `(?:int|float|number)` < (-?[\d.]+)", "too_large"),
        (r"^Expected `str` matching regex", "format"),
        (r"^Invalid enum value", "choice"),
        (r"^Invalid (?:RFC 3339 encoded datetime|ISO 8601 date|datetime|date)", "format"),
        (r"^is not a real date", "format"),
        (r"^Expected `\w+`, got `\w+`$", "type"),
        (r"^expected a JSON object$", "type"),
        (r"^use at least (\d+) characters$", "too_short"),
        (r"^use at most (\d+) characters$", "too_long"),
        (r"^is one of the passwords tried first by attackers$", "common_password"),
        (r"^must not be your e-mail address$", "password_is_email"),
    )
)


def code_of(message: str) -> tuple[str, float | None]:
    """The stable code of a field error's message, and the number its rule names."""
    for pattern, code in _CODES:
        match = pattern.match(message)
        if match:
            number = match.group(1) if match.groups() else None
            return code, float(number) if number is not None else None
    return "invalid", None


def _field_error(error: FieldError) -> dict[str, Any]:
    code, limit = code_of(error.message)
    out: dict[str, Any] = {"field": error.field, "message": error.message, "code": code}
    if limit is not None:
        out["limit"] = int(limit) if limit.is_integer() else limit
    if code == "too_short" and limit == 1:
        out["code"] = "required"  # an empty text: the person left the field out
    if error.code is not None:
        out["code"] = error.code
    if error.params:
        out["params"] = dict(error.params)
    return out


def problem(error: PortwayError) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Map a domain error to (status, headers, problem+json body)."""
    body: dict[str, Any] = {
        "type": f"urn:portway:problem:{error.slug}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [_field_error(e) for e in error.errors]
    body.update(error.extra)
    headers = {"Content-Type": PROBLEM_CONTENT_TYPE, **error.headers}
    return error.status, headers, body
