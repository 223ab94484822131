"""The OpenAPI 3.1 document, generated from the declared operations and their schemas."""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec

from chalicelib.operations import IF_MATCH_PATTERN, OPERATIONS, Operation
from chalicelib.schemas.common import Problem

_PARAM = re.compile(r"{(\w+)}")
_PROBLEMS = {
    400: "Malformed request (body is not JSON)",
    401: "Missing or invalid credentials",
    403: "Not allowed: the key lacks the scope, the app is off, or a preview is read-only",
    404: "No such object for this tenant",
    409: "Conflict: stale version, in use, or already done",
    413: "Body too large",
    415: "Body is not application/json",
    422: "Invalid input, field by field",
    429: "Too many requests; see Retry-After",
    503: "Storage busy; retry after Retry-After",
}


def _ref(model: type[msgspec.Struct]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref(Problem)}},
    }


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"},
        }
        for name in _PARAM.findall(op.path)
    ]
    if op.paginated:
        params += [
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
            },
            {
                "name": "cursor",
                "in": "query",
                "schema": {"type": "string", "maxLength": 4096},
                "description": "next_cursor of the previous page",
            },
        ]
    if op.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
                "description": "Same key and body within 24 h: first answer again.",
            }
        )
    if op.query is not None:
        generated = msgspec.json.schema(op.query)
        properties = generated["$defs"][op.query.__name__].get("properties", {})
        required = set(generated["$defs"][op.query.__name__].get("required", []))
        params += [
            {"name": name, "in": "query", "required": name in required, "schema": schema}
            for name, schema in properties.items()
        ]
    if op.versioned:
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
                "description": 'The version the change is based on, e.g. "3".',
            }
        )
    return params


def _html_page(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _page_operation(op: Operation) -> dict[str, Any]:
    return {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "security": [],
        "responses": {
            "200": _html_page("The page, with its ETag and framing policy"),
            "304": {"description": "Not modified: the If-None-Match ETag is current"},
            "404": _html_page("No such page: the tenant's not-found page"),
            "500": _html_page("Something went wrong on our side"),
            "503": _html_page("The page store did not answer; try again shortly"),
        },
    }


def _responses(op: Operation) -> dict[str, Any]:
    codes = {
        "api_key": {401, 403, 422, 503},
        "portal": {401, 403, 422, 503},
        "self_service": {401, 403, 422, 429, 503},
        "anonymous": {401, 409, 422, 429, 503},
        "public": {422},
    }[op.auth]
    if _PARAM.search(op.path):
        codes.add(404)
    if op.method != "GET":
        codes |= {409}
    if op.body is not None or op.upload:
        codes |= {400, 413, 415}
    responses: dict[str, Any] = {str(c): _problem(_PROBLEMS[c]) for c in sorted(codes)}
    if op.produces:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {kind: {"schema": {"type": "string"}} for kind in op.produces},
        }
    elif op.response is None:
        responses[str(op.status)] = {"description": "Done"}
    else:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": _ref(op.response)}},
        }
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    if op.html_errors:
        return _page_operation(op)
    result: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    if op.auth in ("public", "anonymous"):
        result["security"] = []
    elif op.auth == "portal":
        result["security"] = [{"portalToken": []}]
    elif op.auth == "self_service":
        result["security"] = [{"selfServiceToken": []}]
    elif op.scope:
        result["description"] = f"Requires an API key with the '{op.scope}' scope."
    if op.upload:
        result["requestBody"] = {
            "required": True,
            "content": {
                kind: {"schema": {"type": "string", "format": "binary", "minLength": 1}}
                for kind in op.upload
            },
        }
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    return result


def _with_extras(base: type[msgspec.Struct]) -> list[Any]:
    """Struct classes (bodies and the structs inside them) that state cross-field rules."""
    found = []
    for sub in base.__subclasses__():
        if "__json_schema_extra__" in vars(sub):
            found.append(sub)
        found += _with_extras(sub)
    return found


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document (built once per process)."""
    models: list[type[msgspec.Struct]] = [Problem]
    for op in OPERATIONS:
        models += [m for m in (op.body, op.response) if m is not None]
    unique = list(dict.fromkeys(models))
    _, definitions = msgspec.json.schema_components(
        unique, ref_template="#/components/schemas/{name}"
    )
    for model in _with_extras(msgspec.Struct):  # rules across fields msgspec cannot derive
        if model.__name__ in definitions:
            definitions[model.__name__].update(model.__json_schema_extra__)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Portway API",
            "version": "1.0.0",
            "description": "Customer portals, hosted self-service pages and partner shares.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A Portway API key (pwk_...).",
                },
                "portalToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A portal user's access token (from a session).",
                },
                "selfServiceToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A contract's self-service token (pws_..., from a link).",
                },
            },
        },
        "security": [{"apiKey": []}],
        "paths": paths,
    }
