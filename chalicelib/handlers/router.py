"""The one wrapper every API view goes through.

It authenticates (the tenant comes from the API key only), checks the scope, parses and
validates the body and query against declared schemas, applies Idempotency-Key and
If-Match, calls the view, serializes its result, and maps domain errors to problem+json.
Chalice middleware does not see exceptions raised in REST views, so this is where the
mapping lives.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
from chalice.app import Blueprint, Request, Response
from pynamodb.exceptions import PynamoDBException

from chalicelib import observability
from chalicelib.blobs import blob_store
from chalicelib.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InternalError,
    Invalid,
    NotFound,
    PayloadTooLarge,
    PortwayError,
    Unauthorized,
    UnsupportedMediaType,
    problem,
)
from chalicelib.keyring import from_the_cdn
from chalicelib.operations import (
    IF_MATCH_PATTERN,
    MAX_UPLOAD_BYTES,
    OPERATIONS,
    Auth,
    Operation,
    Upload,
)
from chalicelib.schemas.common import ListQuery
from chalicelib.schemas.validation import decode
from chalicelib.services.platform import idempotency, ratelimit, uploads
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.platform.storage import ConditionsFailed, as_domain_error
from chalicelib.services.portals import sessions
from chalicelib.services.team import staff_sessions
from chalicelib.settings import get_settings
from chalicelib.tenancy import (
    LINK_INVALID,
    Caller,
    SelfServiceContext,
    TenantContext,
    authenticate_portal,
    authenticate_provider,
    authenticate_self_service,
    authenticate_staff,
)

_log = logging.getLogger("portway")

View = Callable[..., Any]
V = TypeVar("V", bound=View)

_PATH_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# A file's name with its extension (the console's bundles), where a route says so.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}\.[a-z]{1,8}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
_BASE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # JSON is never a page: nothing to load, nobody may frame it.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with the headers every API response carries."""
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        **_BASE_HEADERS,
        **(headers or {}),
    }
    text = "" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(body=text, status_code=status, headers=all_headers)


def problem_response(error: PortwayError) -> Response:
    """The problem+json answer for a domain error."""
    status, headers, body = problem(error)
    return json_response(status, body, headers)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _number(text: str) -> float | int:
    # JSON does not tell 1.0 from 1 (JSON Schema's "integer" accepts both); integral values
    # become ints so integer fields take them, and float fields take ints anyway.
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _json_body(request: Request) -> Any:
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"The body may be at most {get_settings().max_body_bytes} bytes.")
    if not raw.strip():
        return {}
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        data = json.loads(raw, parse_constant=_reject_constant, parse_float=_number)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("The body nests too deeply.") from None
    try:
        # \ud800-style escapes decode to text that is not Unicode and cannot be stored.
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise BadRequest("The body contains an unpaired surrogate escape.") from None
    return data


def media_type(request: Request) -> str:
    """The request's Content-Type without its parameters, in lower case."""
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def _upload(request: Request, accepted: tuple[str, ...], ctx: TenantContext | None) -> Upload:
    raw = request.raw_body or b""
    data = raw.encode() if isinstance(raw, str) else raw
    content_type = media_type(request)
    if content_type == "application/json" and ctx is not None:
        try:
            named = json.loads(data or b"{}")
        except ValueError:
            named = None
        if isinstance(named, dict) and "upload_id" in named:  # a file put in the store first
            return uploads.take(ctx, named["upload_id"], accepted)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            f"A file sent in the request may be at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB: "
            "put a larger one in the store first (POST /v1/uploads), then send its upload_id.",
            extra={"reason": "use_upload"},
        )
    if content_type not in accepted:
        raise UnsupportedMediaType(f"Send the body as one of: {', '.join(accepted)}.")
    if not data:
        raise Invalid.field("body", "is empty")
    return Upload(data, content_type)


DOWNLOAD_LINK_LIFETIME = timedelta(minutes=5)


def large_file(key: str, size: int, content_type: str, file_name: str) -> Response | None:
    """For a file larger than a response may carry (Lambda's 6 MB, base64): 303 to a link
    that downloads it straight from the store for five minutes; None for a smaller one."""
    if size <= MAX_UPLOAD_BYTES:
        return None
    link = blob_store().download_link(key, content_type, file_name, DOWNLOAD_LINK_LIFETIME)
    headers: dict[str, str | list[str]] = {"Location": link, **_BASE_HEADERS}
    return Response(body="", status_code=303, headers=headers)


def _if_match(request: Request) -> int | None:
    header = request.headers.get("if-match")
    if header is None:
        return None
    match = _IF_MATCH.match(header.strip())
    if not match:
        raise Invalid.field("If-Match", 'give the version, such as "3"')
    return int(match.group(1) or match.group(2))


def _source_ip(request: Request) -> str | None:
    """The caller's address: API Gateway's own, never X-Forwarded-For. Behind the CDN that
    is an edge server's, so the viewer's comes in `X-Portway-Viewer-Address` (set by the
    CDN's function, whatever the client sent), trusted only with the CDN's origin header."""
    headers = request.headers
    viewer: str | None = headers.get("x-portway-viewer-address")
    if viewer and from_the_cdn(headers.get("x-portway-origin")):
        return viewer
    identity = (request.context or {}).get("identity") or {}
    source: str | None = identity.get("sourceIp")
    return source


def _check_ids(params: dict[str, str], *, files: bool = False) -> None:
    # An id no object can have is answered like one that does not exist.
    pattern = _FILE_NAME if files else _PATH_ID
    for value in params.values():
        if not pattern.fullmatch(value):
            raise NotFound("No such object.")


def _arguments(
    op: Operation,
    request: Request,
    params: dict[str, str],
    raw_body: Any,
    ctx: TenantContext | None = None,
) -> dict[str, Any]:
    """The view's keyword arguments: path ids, then what the operation declares."""
    kwargs: dict[str, Any] = dict(params)
    if op.body:
        kwargs["body"] = decode(op.body, raw_body)
    query_params = dict(request.query_params or {})
    if op.paginated:
        query = decode(ListQuery, query_params, strict=False, prefix="query.")
        kwargs["page"] = PageRequest(query.limit, query.cursor)
    if op.query:
        kwargs["query"] = decode(op.query, query_params, strict=False, prefix="query.")
    if op.upload:
        kwargs["upload"] = _upload(request, op.upload, ctx)
    if op.versioned:
        kwargs["if_match"] = _if_match(request)
    return kwargs


class Api:
    """Declares the routes of one blueprint and records them as operations."""

    def __init__(self, blueprint: Blueprint, tag: str) -> None:
        self.blueprint = blueprint
        self.tag = tag

    def get(self, path: str, **options: Any) -> Callable[[V], V]:
        """Declare a GET route."""
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[V], V]:
        """Declare a POST route."""
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[V], V]:
        """Declare a PUT route."""
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[V], V]:
        """Declare a PATCH route."""
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[V], V]:
        """Declare a DELETE route (answers 204)."""
        return self.route("DELETE", path, status=204, **options)

    def route(
        self,
        method: str,
        path: str,
        *,
        response: type[msgspec.Struct] | None = None,
        body: type[msgspec.Struct] | None = None,
        status: int = 200,
        auth: Auth = "api_key",
        scope: str | None = None,
        paginated: bool = False,
        query: type[msgspec.Struct] | None = None,
        upload: tuple[str, ...] = (),
        produces: tuple[str, ...] = (),
        idempotent: bool = False,
        versioned: bool = False,
        on_error: Callable[[PortwayError], Response] | None = None,
        tracking: bool = False,
        folds_session_check: bool = False,
        file_names: bool = False,
    ) -> Callable[[V], V]:
        """Declare a route: its schemas, status, scope and behaviours. `on_error` answers
        errors instead of problem+json (hosted pages answer with HTML and their CSP)."""

        def register(view: V) -> V:
            operation = Operation(
                method=method,
                path=path,
                name=view.__name__,
                summary=(view.__doc__ or view.__name__).strip().splitlines()[0],
                tag=self.tag,
                status=status,
                auth=auth,
                scope=None
                if auth != "api_key"
                else scope or ("read" if method == "GET" else "write"),
                body=body,
                response=response,
                paginated=paginated,
                query=query,
                upload=upload,
                produces=produces,
                idempotent=idempotent,
                versioned=versioned,
                html_errors=on_error is not None,
                tracking=tracking,
                folds_session_check=folds_session_check,
                file_names=file_names,
            )
            OPERATIONS.append(operation)
            handler = _Handler(self.blueprint, operation, view, on_error or problem_response)
            self.blueprint.route(
                path, methods=[method], content_types=["*/*"], name=operation.name
            )(handler)
            return view

        return register


class _Handler:
    """The callable Chalice invokes for one operation."""

    def __init__(
        self,
        blueprint: Blueprint,
        operation: Operation,
        view: View,
        on_error: Callable[[PortwayError], Response],
    ) -> None:
        self.blueprint = blueprint
        self.operation = operation
        self.view = view
        self.on_error = on_error
        self.__name__ = operation.name

    def __call__(self, **params: str) -> Response:
        try:
            return self._handle(self.blueprint.current_request, params)
        except PortwayError as error:
            return self.on_error(error)
        except ConditionsFailed:
            return self.on_error(Conflict("The data changed meanwhile; read it and retry."))
        except PynamoDBException as exc:
            mapped = as_domain_error(exc)
            if mapped is not None:
                return self.on_error(mapped)
            _log.exception("storage error in %s %s", self.operation.method, self.operation.path)
            observability.count(observability.UNEXPECTED_ERRORS)
        except Exception:  # the last resort: a bug must still answer problem+json, no details
            _log.exception("unhandled error in %s %s", self.operation.method, self.operation.path)
            observability.count(observability.UNEXPECTED_ERRORS)
        return self.on_error(InternalError("Something went wrong on our side."))

    def _handle(self, request: Request, params: dict[str, str]) -> Response:
        op = self.operation
        if get_settings().require_cdn and not from_the_cdn(request.headers.get("x-portway-origin")):
            raise Forbidden(
                f"Use {get_settings().public_base_url}: this address answers the CDN only.",
                extra={"reason": "not_through_cdn"},
            )
        if op.auth == "public":
            _check_ids(params, files=op.file_names)
            return self._respond(self.view(**params))
        if op.auth == "portal":
            return self._portal(request, params)
        if op.auth == "staff":
            ctx = authenticate_staff(request.headers.get("authorization"), _source_ip(request))
            observability.about_tenant(ctx.tenant_id)
            staff_sessions.check_sources(ctx)
            return self._respond(self.view(ctx, **self._kwargs(request, params)))
        if op.auth != "api_key":
            return self._respond(self.view(self._caller(request), **self._kwargs(request, params)))
        return self._provider(request, params)

    def _provider(self, request: Request, params: dict[str, str]) -> Response:
        """A call with an API key or a team member's token."""
        op = self.operation
        ctx = authenticate_provider(request.headers.get("authorization"), _source_ip(request))
        observability.about_tenant(ctx.tenant_id)
        if ctx.member_id is not None:
            staff_sessions.check_sources(ctx)  # the member and the session are still there
            if ctx.second_factor_due:
                raise Forbidden(
                    "Your team requires a second factor: set up your authenticator app first.",
                    extra={"reason": "second_factor_required"},
                )
        if ctx.is_tracking_session and not op.tracking:
            raise Forbidden("A tracking session reads devices and received shares, nothing else.")
        if op.scope:
            ctx.require(op.scope)
        _check_ids(params)
        raw_body = _json_body(request) if op.body else None
        kwargs = _arguments(op, request, params, raw_body, ctx)
        key = request.headers.get("idempotency-key") if op.idempotent else None
        if key is None:
            response = self._respond(self.view(ctx, **kwargs))
        else:
            response = self._idempotent(ctx, key, params, raw_body, kwargs)
        upload = kwargs.get("upload")
        if isinstance(upload, Upload) and upload.staged_key:
            # Used: the view stored what it keeps. A failed removal changes nothing for the
            # caller (the bucket forgets uploads after a day).
            try:
                blob_store().delete(upload.staged_key)
            except Exception:
                _log.exception("the used upload %s stays until it expires", upload.staged_key)
        return response

    def _portal(self, request: Request, params: dict[str, str]) -> Response:
        """A portal call: the session's sources are checked before the view runs, unless the
        view folds that check into its own batch read (which comes before anything it
        writes); either way nothing is answered from a session that ended."""
        ctx = authenticate_portal(request.headers.get("authorization"), _source_ip(request))
        observability.about_tenant(ctx.tenant_id)
        if self.operation.method != "GET":
            ctx.require_writable()
        if not self.operation.folds_session_check:
            sessions.check_sources(ctx)
        try:
            return self._respond(self.view(ctx, **self._kwargs(request, params)))
        finally:
            sessions.check_sources(ctx)  # nothing is answered from a session that ended

    def _caller(self, request: Request) -> Caller | SelfServiceContext:
        source_ip = _source_ip(request)
        if self.operation.auth == "anonymous":
            return Caller(source_ip)
        try:
            found = authenticate_self_service(request.headers.get("authorization"), source_ip)
        except Unauthorized as refusal:
            # A secret that is no link is a guess: counted per address (429 once too many).
            if refusal.extra.get("reason") == LINK_INVALID:
                ratelimit.fail(ratelimit.SELF_SERVICE_LINK_PER_ADDRESS, source_ip)
            raise
        observability.about_tenant(found.tenant_id)
        return found

    def _kwargs(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        _check_ids(params)
        raw_body = _json_body(request) if self.operation.body else None
        return _arguments(self.operation, request, params, raw_body)

    def _idempotent(
        self,
        ctx: TenantContext,
        key: str,
        params: dict[str, str],
        raw_body: Any,
        kwargs: dict[str, Any],
    ) -> Response:
        if not _IDEMPOTENCY_KEY.match(key):
            raise Invalid.field("Idempotency-Key", "give 1 to 255 visible ASCII characters")
        op = self.operation
        fingerprint = idempotency.fingerprint(op.method, op.path, [params, raw_body])
        stored = idempotency.begin(ctx, key, fingerprint)
        if stored is not None:
            return json_response(stored.status, stored.body, {"Idempotent-Replayed": "true"})
        try:
            response = self._respond(self.view(ctx, **kwargs))
        except PortwayError:
            # A domain error wrote nothing: the key may be used again. A storage failure
            # keeps the claim, since the write may have happened: a retry gets 409, never
            # a second object.
            with suppress(PynamoDBException):
                idempotency.release(ctx, key)
            raise
        idempotency.complete(ctx, key, response.status_code, json.loads(response.body or "null"))
        return response

    def _respond(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:  # nothing to say: done (204), or accepted for later (202)
            return json_response(202 if self.operation.status == 202 else 204, None)
        body = msgspec.to_builtins(result) if isinstance(result, msgspec.Struct) else result
        return json_response(self.operation.status, body)
