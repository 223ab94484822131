"""An integrator's script against the Python client generated from the OpenAPI document.

tests/test_openapi_clients.py generates the client (openapi-python-client), type-checks this
file with mypy --strict and runs it. Answers come from an in-process transport: what is
checked here is the client, its requests and how it reads answers; the fuzz tests check that
the server keeps to the document.
"""

from __future__ import annotations

import io
import json

import httpx
from portway_client import AuthenticatedClient, Client
from portway_client.api.billing import upload_document
from portway_client.api.customers import create_customer
from portway_client.api.self_service import get_self_service_contract
from portway_client.api.sso import sso_login_form
from portway_client.models import (
    CustomerCreate,
    FieldError,
    InvitationAccept,
    Problem,
    SsoLoginFormBody,
)
from portway_client.types import File, Unset

PROBLEM = {
    "type": "urn:portway:problem:validation",
    "title": "Invalid input",
    "status": 422,
    "detail": "1 field(s) are invalid.",
    "errors": [{"field": "name", "message": "required", "code": "required"}],
}


def answer(request: httpx.Request) -> httpx.Response:
    """What the server would say, after checking what the client sent."""
    kind = request.headers.get("content-type")
    if request.url.path == "/sso/demo/jwt":
        assert kind == "application/x-www-form-urlencoded", kind
        assert request.content == b"jwt=eyJ.a.b&return_to=%2Fdone", request.content
        return httpx.Response(302, headers={"Location": "https://portal.example/#session=s"})
    if request.url.path.endswith("/documents"):
        assert (kind, request.content) == ("application/pdf", b"%PDF-1.7"), kind
    return httpx.Response(422, json=PROBLEM, headers={"Content-Type": "application/problem+json"})


def field_errors(problem: Problem) -> list[FieldError]:
    """The typed `errors` of a problem (none when it has none)."""
    return [] if isinstance(problem.errors, Unset) else problem.errors


def main() -> None:
    """Call a few operations the way an integrator would."""
    transport = httpx.MockTransport(answer)
    api = AuthenticatedClient(
        base_url="https://api.example", token="pwk_x", httpx_args={"transport": transport}
    )
    created = create_customer.sync(client=api, body=CustomerCreate(name="Nordbau GmbH"))
    assert isinstance(created, Problem), created
    first = field_errors(created)[0]
    assert (first.field, first.message) == ("name", "required"), first
    pdf = File(payload=io.BytesIO(b"%PDF-1.7"), mime_type="application/pdf")
    assert isinstance(upload_document.sync("con_1", client=api, body=pdf), Problem)
    # The self-service side of a name a provider route has too: its own operation.
    assert isinstance(get_self_service_contract.sync(client=api), Problem)
    public = Client(base_url="https://api.example", httpx_args={"transport": transport})
    form = SsoLoginFormBody(jwt="eyJ.a.b", return_to="/done")
    landing = sso_login_form.sync_detailed("demo", client=public, body=form)
    assert landing.status_code == 302, landing
    assert landing.headers["Location"].startswith("https://portal.example/#"), landing.headers
    terms = InvitationAccept(
        token="t", email="anna@nordbau.example", name="Anna", password="p" * 12, accept_terms=True
    )
    print(json.dumps(terms.to_dict()["accept_terms"]))


if __name__ == "__main__":
    main()
