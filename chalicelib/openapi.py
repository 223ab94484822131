"""The OpenAPI 3.1 document, generated from the declared operations and their schemas."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from chalicelib.operations import IF_MATCH_PATTERN, OPERATIONS, Operation
from chalicelib.schemas.common import Problem
from chalicelib.schemas.sso import SsoLogin

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
# Self-service views share their names with provider views; operationIds must be unique, and
# the provider's are the ones integrators already call, so the self-service side is renamed.
_OPERATION_IDS = {
    ("GET", "/v1/self-service/contract"): "get_self_service_contract",
    ("PATCH", "/v1/self-service/customer"): "update_self_service_customer",
    ("GET", "/v1/self-service/documents/{document_id}"): "get_self_service_document",
}
# Views that read a form themselves (the router parses JSON only): the struct that names the
# form's fields, and the fields a successful request needs.
_FORMS: dict[tuple[str, str], tuple[type[msgspec.Struct], tuple[str, ...]]] = {
    ("POST", "/sso/{slug}/jwt"): (SsoLogin, ("jwt",)),
}
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# The store's own links on one machine (S3's presigned URLs in AWS): the signed token in the
# query names the file; a missing, forged or expired one is not found, and an upload that is
# not the type and size it was made for is refused.
_LINKS = {
    ("GET", "/v1/blob-links"): {404},
    ("PUT", "/v1/blob-links"): {404, 413, 415},
}
# `errors` items of a problem (errors.FieldError); `code` is reserved for stable message codes.
_FIELD_ERROR: dict[str, Any] = {
    "title": "FieldError",
    "description": "One invalid field: a dotted path (`asset_ids.3`) and what is wrong with it.",
    "type": "object",
    "properties": {
        "field": {"type": "string"},
        "message": {"type": "string"},
        "code": {
            "type": "string",
            "description": "A stable code of what is wrong: required, unknown, too_short, "
            "too_long, too_few, too_many, too_small, too_large, format, choice, type, "
            "common_password, password_is_email, wrong_password, terms, iban, coupon, "
            "coupon_used, range, minimum, repeated, invalid. Pages and the console say it in "
            "the person's language from the code; `message` is English for developers.",
        },
        "limit": {"type": "number", "description": "The length or bound the rule names."},
        "params": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "Numbers the code's sentence names: `low` and `high` of a range.",
        },
    },
    "required": ["field", "message"],
}


def _ref(model: type[msgspec.Struct] | str) -> dict[str, str]:
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": f"#/components/schemas/{name}"}


def operation_id(op: Operation) -> str:
    """The operation's id in the document: its view's name, unless that is taken."""
    return _OPERATION_IDS.get((op.method, op.path), op.name)


def _media_schema(content_type: str) -> dict[str, Any]:
    if content_type.startswith("text/"):
        return {"type": "string"}
    return {"type": "string", "format": "binary"}


def _form_schema(op: Operation) -> dict[str, Any] | None:
    """The form a view reads itself: its struct's fields as strings (a form has no null), and
    no others (the view reads a few fields at most)."""
    if (op.method, op.path) not in _FORMS:
        return None
    model, required = _FORMS[op.method, op.path]
    generated = msgspec.json.schema(model)["$defs"][model.__name__]
    properties = {
        name: next(s for s in schema.get("anyOf", [schema]) if s.get("type") != "null")
        for name, schema in generated["properties"].items()
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


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
        "operationId": operation_id(op),
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
        "staff": {401, 403, 409, 422, 503},
        "portal": {401, 403, 422, 503},
        "self_service": {401, 403, 422, 429, 503},
        "anonymous": {401, 409, 422, 429, 503},
        "public": {422},
    }[op.auth]
    if _PARAM.search(op.path):
        codes.add(404)
    codes |= _LINKS.get((op.method, op.path), set())
    if op.method != "GET":
        codes |= {409}
    if op.body is not None or op.upload:
        codes |= {400, 413, 415}
    responses: dict[str, Any] = {str(c): _problem(_PROBLEMS[c]) for c in sorted(codes)}
    if (op.method, op.path) in _FORMS:
        responses["400"] = _problem("Malformed request (the form cannot be read)")
    if 300 <= op.status < 400:
        responses[str(op.status)] = {
            "description": "Redirect: the browser goes on to Location",
            "headers": {
                "Location": {
                    "required": True,
                    "schema": {"type": "string", "format": "uri-reference"},
                }
            },
        }
    elif op.produces:
        responses[str(op.status)] = {
            "description": "OK",
            "content": {kind: {"schema": _media_schema(kind)} for kind in op.produces},
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
        "operationId": operation_id(op),
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
    elif op.auth == "staff":
        result["security"] = [{"staffToken": []}]
    elif op.scope:
        result["security"] = [{"apiKey": []}, {"staffToken": []}]
        result["description"] = (
            f"Requires an API key with the '{op.scope}' scope, or a team member whose role "
            "grants it."
        )
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
    form = _form_schema(op)
    if form is not None:
        result["requestBody"] = {
            "required": True,
            "content": {_FORM_CONTENT_TYPE: {"schema": form}},
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


_COMPONENTS = "#/components/schemas/"
_SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _schemas_in(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`schema` and every schema nested in it (references are not followed)."""
    yield schema
    for key in _SUBSCHEMA:
        if isinstance(schema.get(key), dict):
            yield from _schemas_in(schema[key])
    for key in _SUBSCHEMA_LISTS:
        for sub in schema.get(key, []):
            yield from _schemas_in(sub)
    for sub in schema.get("properties", {}).values():
        if isinstance(sub, dict):
            yield from _schemas_in(sub)


def _referenced(roots: list[dict[str, Any]], definitions: dict[str, Any]) -> set[str]:
    """The names of the components `roots` reach, directly or through other components."""
    found: set[str] = set()
    stack: list[Any] = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack += node
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.removeprefix(_COMPONENTS)
            if ref.startswith(_COMPONENTS) and name not in found:
                found.add(name)
                stack.append(definitions[name])
            stack += node.values()
    return found


def _without_optional_defaults(schema: dict[str, Any]) -> None:
    """Optional fields of a request schema state their default in words: openapi-typescript
    reads a `default` as "always present", which is true of answers but makes a client send
    the field. (`null` needs no words: a field left out is null.)"""
    for node in list(_schemas_in(schema)):
        required = set(node.get("required", []))
        for name, field in node.get("properties", {}).items():
            if name in required or not isinstance(field, dict) or "default" not in field:
                continue
            default = field.pop("default")
            if default is not None:
                words = f"Default: {json.dumps(default, ensure_ascii=False)}."
                field["description"] = " ".join(filter(None, (field.get("description"), words)))


def _fold_constants(schema: dict[str, Any]) -> None:
    """`allOf: [{properties: {x: {const: v}}}]` said as `x: {..., const: v}`: the same rule,
    in the form client generators read (they merge allOf members into the model)."""
    properties = schema.get("properties", {})
    kept = []
    for member in schema.get("allOf", []):
        inner = member.get("properties", {}) if set(member) == {"properties"} else {}
        if inner and all(set(s) == {"const"} and n in properties for n, s in inner.items()):
            for name, constant in inner.items():
                properties[name]["const"] = constant["const"]
        else:
            kept.append(member)
    if kept:
        schema["allOf"] = kept
    else:
        schema.pop("allOf", None)


def _typed_problem_errors(definitions: dict[str, Any]) -> None:
    """Problem `errors` items as the named FieldError schema (the struct says only str: str)."""
    errors = definitions[Problem.__name__]["properties"]["errors"]
    if "$ref" not in errors.get("items", {}):
        definitions["FieldError"] = copy.deepcopy(_FIELD_ERROR)
        errors["items"] = _ref("FieldError")


def _components() -> dict[str, Any]:
    """The component schemas of every body and answer, as clients can read them."""
    models: list[type[msgspec.Struct]] = [Problem]
    for op in OPERATIONS:
        models += [m for m in (op.body, op.response) if m is not None]
    unique = list(dict.fromkeys(models))
    _, definitions = msgspec.json.schema_components(unique, ref_template=_COMPONENTS + "{name}")
    for model in _with_extras(msgspec.Struct):  # rules across fields msgspec cannot derive
        if model.__name__ in definitions:
            definitions[model.__name__].update(model.__json_schema_extra__)
            _fold_constants(definitions[model.__name__])
    _typed_problem_errors(definitions)
    bodies = [_ref(op.body) for op in OPERATIONS if op.body is not None]
    for name in _referenced(bodies, definitions):
        _without_optional_defaults(definitions[name])
    return definitions


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document (built once per process)."""
    definitions = _components()
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
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A team member's console access token (from a session).",
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
