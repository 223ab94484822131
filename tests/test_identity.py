"""Identity in one place (issue 12, item 5), read from the source: routes declare scopes and
services trust them; every caller is authenticated in `chalicelib/tenancy.py`; every secret
format is minted, digested and redeemed in `chalicelib/credentials.py`; services take the
caller's context (or the stored item they act on), never a bare tenant id. Each scan names the
offenders by file and line; each is also shown a made-up offender, so a scan that finds
nothing cannot pass by accident.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib import credentials

ROOT = Path(__file__).resolve().parents[1]
# What Lambda runs: the app's wiring and chalicelib.
DEPLOYED = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
SERVICES = ROOT / "chalicelib" / "services"
TENANCY = "chalicelib/tenancy.py"
CREDENTIALS = "chalicelib/credentials.py"
IDS = "chalicelib/ids.py"
# Keys items named by their parts (a session family, a rate counter): no secret's digest.
NAMED_DIGESTS = "chalicelib/models/tokens.py"
# The page consumer publishes for the tenant an event names; nobody is calling.
PUBLISHER = "chalicelib/services/pages/pages.py"
PREFIXES = ("pwk", "pwr", "pwi", "pwp", "pws", "pwv")

Scan = Callable[[str, str], list[str]]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _called(node: ast.expr) -> str | None:
    """The name a call is made by: `f(...)` and `x.f(...)` are both `f`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _on_ids(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and _called(node.value) == "ids"


# -- the scans: each takes a module's source and its path, and names its offenders ----------


def scope_checks(source: str, rel: str) -> list[str]:
    """Calls of `.require(...)`: a scope checked again where the route declared it."""
    return [
        f"{rel}:{node.lineno}: calls .require(...)"
        for node in ast.walk(ast.parse(source, rel))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "require"
    ]


def authenticators(source: str, rel: str) -> list[str]:
    """Functions named `authenticate*` outside tenancy."""
    if rel == TENANCY:
        return []
    return [
        f"{rel}:{node.lineno}: defines {node.name}"
        for node in ast.walk(ast.parse(source, rel))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("authenticate")
    ]


def _prefix_literal(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(node.value == p or node.value.startswith(p + "_") for p in PREFIXES)
    )


def _secret_calls(node: ast.Call) -> str | None:
    name = _called(node.func)
    if name == "new_secret":
        return "mints with new_secret(...)"
    if name == "digest" and _on_ids(node.func):
        return "digests with ids.digest(...)"
    first = node.args[0] if node.args else None
    if (
        name == "get"
        and isinstance(first, ast.Call)
        and _called(first.func) in ("digest", "digest_of")
    ):
        return "redeems with .get(digest(...))"
    return None


def _ids_imports(node: ast.ImportFrom, rel: str) -> list[str]:
    if node.module != "chalicelib.ids":
        return []
    allowed = {"new_id"} | ({"digest"} if rel == NAMED_DIGESTS else set())
    return [a.name for a in node.names if a.name not in allowed]


def secret_handling(source: str, rel: str) -> list[str]:
    """Secret prefixes, minting, digesting and redeeming outside credentials (and ids)."""
    if rel in (CREDENTIALS, IDS):
        return []
    found = []
    for node in ast.walk(ast.parse(source, rel)):
        if _prefix_literal(node):
            assert isinstance(node, ast.Constant)
            found.append(f"{rel}:{node.lineno}: spells the secret prefix {node.value!r}")
        elif isinstance(node, ast.Call) and (what := _secret_calls(node)):
            found.append(f"{rel}:{node.lineno}: {what}")
        elif isinstance(node, ast.ImportFrom) and (names := _ids_imports(node, rel)):
            found.append(f"{rel}:{node.lineno}: imports {', '.join(names)} from chalicelib.ids")
    return found


def bare_tenant_ids(source: str, rel: str) -> list[str]:
    """Public functions of a service that take a `tenant_id`: whoever calls them could name
    any tenant. The page publisher's `refresh_*` act for an event's tenant, with no caller."""
    found = []
    for node in ast.parse(source, rel).body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name[0] == "_":
            continue
        if rel == PUBLISHER and node.name.startswith("refresh_"):
            continue
        params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if any(p.arg == "tenant_id" for p in params):
            found.append(f"{rel}:{node.lineno}: {node.name}() takes a bare tenant_id")
    return found


def _offenders(scan: Scan, paths: list[Path]) -> list[str]:
    return [hit for path in paths for hit in scan(path.read_text(), _rel(path))]


# -- the code as it is -----------------------------------------------------------------------


def test_no_service_checks_a_scope_the_route_declared():
    services = sorted(SERVICES.rglob("*.py"))
    assert len(services) > 20
    offenders = _offenders(scope_checks, services)
    assert not offenders, "routes declare scopes, services trust them:\n" + "\n".join(offenders)


def test_every_caller_is_authenticated_in_tenancy():
    offenders = _offenders(authenticators, DEPLOYED)
    assert not offenders, f"authenticate in {TENANCY} only:\n" + "\n".join(offenders)
    tenancy = ast.parse((ROOT / TENANCY).read_text())
    defined = {n.name for n in tenancy.body if isinstance(n, ast.FunctionDef)}
    assert {
        "authenticate_api_key",
        "authenticate_portal",
        "authenticate_self_service",
    } <= defined


def test_secret_formats_are_minted_digested_and_redeemed_in_credentials_only():
    offenders = _offenders(secret_handling, DEPLOYED)
    assert not offenders, f"secrets are handled in {CREDENTIALS} only:\n" + "\n".join(offenders)


def test_services_take_a_context_never_a_bare_tenant_id():
    offenders = _offenders(bare_tenant_ids, sorted(SERVICES.rglob("*.py")))
    assert not offenders, "pass the caller's context:\n" + "\n".join(offenders)


def test_credentials_declare_every_prefix_it_scans_for():
    declared = {
        credentials.API_KEY_PREFIX,
        credentials.REFRESH_PREFIX,
        credentials.INVITATION_PREFIX,
        credentials.PASSWORD_RESET_PREFIX,
        credentials.SELF_SERVICE_PREFIX,
        credentials.PREVIEW_PREFIX,
    }
    assert declared == set(PREFIXES)


# -- the scans find what they look for -------------------------------------------------------

OFFENDING = [
    (bare_tenant_ids, "chalicelib/services/x.py", "def load(tenant_id, key):\n    pass\n", 1),
    (bare_tenant_ids, "chalicelib/services/x.py", "\ndef f(ctx, *, tenant_id=None): ...\n", 2),
    (bare_tenant_ids, PUBLISHER, "def check_budget(tenant_id, draft): ...\n", 1),
    (scope_checks, "chalicelib/services/x.py", "def f(ctx):\n    ctx.require('write')\n", 2),
    (authenticators, "chalicelib/services/x.py", "def authenticate(a):\n    pass\n", 1),
    (authenticators, "chalicelib/handlers/x.py", "class A:\n    def authenticate_x(s): ...\n", 2),
    (secret_handling, "chalicelib/services/x.py", "\nPREFIX = 'pws'\n", 2),
    (secret_handling, "chalicelib/services/x.py", "x = f'pwk_{y}'\n", 1),
    (secret_handling, "chalicelib/services/x.py", "s = ids.new_secret(p)\n", 1),
    (secret_handling, "chalicelib/services/x.py", "s = new_secret(p)\n", 1),
    (secret_handling, "chalicelib/services/x.py", "d = ids.digest(s)\n", 1),
    (
        secret_handling,
        "chalicelib/services/x.py",
        "t = Token.get(digest(s), consistent_read=True)\n",
        1,
    ),
    (secret_handling, "chalicelib/tenancy.py", "t = Token.get(credentials.digest_of(s))\n", 1),
    (secret_handling, "chalicelib/services/x.py", "from chalicelib.ids import digest\n", 1),
    (
        secret_handling,
        "chalicelib/services/x.py",
        "from chalicelib.ids import new_id, new_secret\n",
        1,
    ),
]


@pytest.mark.parametrize(("scan", "rel", "source", "line"), OFFENDING)
def test_a_scan_names_an_offender_by_file_and_line(scan: Scan, rel, source, line):
    found = scan(source, rel)
    assert len(found) == 1, found
    assert found[0].startswith(f"{rel}:{line}: ")


ALLOWED = [
    (bare_tenant_ids, "chalicelib/services/x.py", "def _get(tenant_id): ...\ndef g(ctx): ...\n"),
    (bare_tenant_ids, PUBLISHER, "def refresh_site(tenant_id): ...\n"),
    (scope_checks, "chalicelib/services/x.py", "ctx.require_app('equipment')\n"),
    (authenticators, TENANCY, "def authenticate_api_key(a):\n    pass\n"),
    (secret_handling, CREDENTIALS, "API_KEY_PREFIX = 'pwk'\ns = ids.new_secret('pwk')\n"),
    (
        secret_handling,
        "chalicelib/services/x.py",
        "s = credentials.mint(credentials.API_KEY_PREFIX)\n",
    ),
    (secret_handling, "chalicelib/services/x.py", "t = Token.get(slot, consistent_read=True)\n"),
    (secret_handling, "chalicelib/services/x.py", "d = rule.digest(key, now)\nc = 'pw-config'\n"),
    (secret_handling, NAMED_DIGESTS, "from chalicelib.ids import digest\n"),
]


@pytest.mark.parametrize(("scan", "rel", "source"), ALLOWED)
def test_a_scan_lets_the_allowed_pass(scan: Scan, rel, source):
    assert scan(source, rel) == []
