"""The team figures of `make bench`: DynamoDB calls of a console sign-in (PERFORMANCE.md: one
read and one write, the session, besides the rate counter) and of a request with a staff
token, and the weight of the console's JavaScript (at most 150 KB before compression)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from portway_ops.bench import counting
from portway_ops.bench_portal import CountedCall

PASSWORD = "bench passphrase of a decent length"  # noqa: S105 - a bench account
CONSOLE = Path(__file__).resolve().parents[1] / "static_pages" / "console"
CONSOLE_JS_BOUND = 150 * 1024
# A sign-in's rate counter: its counters read (BatchGetItem) and its turn taken (one
# TransactWriteItems), before the password is checked.
RATE_COUNTER = Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def measure_sign_in(client: Any, tenant_id: str, slug: str) -> list[CountedCall]:
    """A member joins, signs in once (the process learns the slug), then signs in again
    and lists customers with the session."""
    from chalicelib.services.team import members
    from chalicelib.tenancy import Actor

    link = members.invite_owner(Actor(tenant_id, "operator"), "bench-owner@example.com")
    headers = {"Content-Type": "application/json"}
    accept = {"token": link.split("#invite=")[1], "name": "Bench", "password": PASSWORD}
    client.http.post("/v1/team/invitations/accept", headers=headers, body=json.dumps(accept))
    body = json.dumps({"tenant": slug, "email": "bench-owner@example.com", "password": PASSWORD})
    client.http.post("/v1/team/sessions", headers=headers, body=body)
    with counting() as sign_in_calls:
        signed_in = client.http.post("/v1/team/sessions", headers=headers, body=body)
    token = json.loads(signed_in.body)["access_token"]
    with counting() as list_calls:
        listed = client.http.get("/v1/customers", headers={"Authorization": f"Bearer {token}"})
    return [
        CountedCall(
            "console sign-in",
            signed_in.status_code,
            Counter(sign_in_calls.calls),
            "1 read + 1 write + counter",
            lambda status, calls: (
                status == 200
                and calls - RATE_COUNTER == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})
            ),
        ),
        CountedCall(
            "GET /v1/customers (staff)",
            listed.status_code,
            Counter(list_calls.calls),
            "session check + 1 query",
            lambda status, calls: (
                status == 200 and calls == Counter({"BatchGetItem": 1, "Query": 1})
            ),
        ),
    ]


def console_weight() -> tuple[int, int, int]:
    """Bytes of JavaScript the console's first screen loads (the entry, its static imports,
    the largest language), of all its JavaScript, and of its CSS, as built (before
    compression)."""
    manifest = json.loads((CONSOLE / "manifest.json").read_text())
    every = sum(o["bytes"] for o in manifest["outputs"] if o["file"].endswith(".js"))
    css = sum(o["bytes"] for o in manifest["outputs"] if o["file"].endswith(".css"))
    return int(manifest["first_screen_js_bytes"]), every, css


def report_console() -> bool:
    """Print the console's weight; True within the bound."""
    first, every, css = console_weight()
    ok = first <= CONSOLE_JS_BOUND
    print(
        f"\nconsole first screen: JavaScript {first / 1024:.1f} KB (bound "
        f"{CONSOLE_JS_BOUND // 1024} KB; every screen together {every / 1024:.1f} KB), "
        f"CSS {css / 1024:.1f} KB{'' if ok else '  FAIL'}"
    )
    return ok
