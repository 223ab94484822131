"""Every provider route, called by a team member of each role (issue 13): a role reaches
exactly the routes whose scope it holds (`viewer` reads, `agent` reads and writes tickets,
`editor` writes, `admin` and `owner` administer), and a refusal is a 403 problem+json that
names the role. Routes are enumerated from the registry, so a new route is covered without
anyone remembering to add it.

The members sign in through the API as people do. The ids in the paths name nothing, so a
route that lets the role through answers 404 (or does what it does with a valid body); the
point is which routes refuse before anything is looked at.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app import app  # noqa: F401  (importing the app registers every operation)
from chalicelib.operations import OPERATIONS, Operation
from chalicelib.tenancy import ROLE_SCOPES, expand_scopes
from tests.conftest import Api, make_tenant, problem
from tests.mail import Outbox, links_in, secret_after, text_of
from tests.samples import call

ON_MOTO = pytest.mark.parametrize("backend", ["moto"], indirect=True)
PROVIDER_OPERATIONS = sorted(
    (o for o in OPERATIONS if o.auth == "api_key"), key=lambda o: (o.path, o.method)
)
ROLES = sorted(ROLE_SCOPES)
PASSWORD = "a long and uncommon passphrase"
# A tracking session derives from the API key that starts it and dies with it: a person's
# console has no use for one (it reads received shares with its own token).
API_KEY_ONLY = {("POST", "/v1/tracking/sessions")}


class _NoSuchObjects(dict):
    """Ids of every kind, none of which exists."""

    def __missing__(self, kind: str) -> str:
        return "x_none"

    def get(self, kind, default=None):
        return "x_none"


def _id(op: Operation) -> str:
    return f"{op.method} {op.path}"


@pytest.fixture(scope="module")
def people(backend, chalice_client) -> SimpleNamespace:
    """A tenant with one signed-in member of each role (its owner invited by the operator)."""
    from chalicelib.services.team import members
    from chalicelib.tenancy import Actor

    created = make_tenant("Role matrix")
    api = Api(chalice_client, created.key)
    tokens = {}
    for role in ROLES:
        email = f"{role}@example.com"
        if role == "owner":
            token = secret_after(
                members.invite_owner(Actor(created.id, "operator"), email), "invite"
            )
        else:
            mails = Outbox()
            assert api.post("/v1/team/members", {"email": email, "role": role}).status_code == 201
            (mail,) = mails.to(email)
            token = secret_after(links_in(text_of(mail))[0], "invite")
        joined = api.as_key(None).post(
            "/v1/team/invitations/accept", {"token": token, "name": role, "password": PASSWORD}
        )
        assert joined.status_code == 201, joined.body
        tokens[role] = joined.json_body["access_token"]
    return SimpleNamespace(api=api, tokens=tokens)


def test_every_role_is_tested_and_maps_to_scopes():
    assert ROLES == ["admin", "agent", "editor", "owner", "viewer"]
    assert expand_scopes(ROLE_SCOPES["viewer"]) == {"read"}
    assert "write" not in expand_scopes(ROLE_SCOPES["agent"])
    assert "admin" not in expand_scopes(ROLE_SCOPES["editor"])
    assert "admin" in expand_scopes(ROLE_SCOPES["admin"])


@ON_MOTO
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", PROVIDER_OPERATIONS, ids=_id)
def test_a_role_reaches_exactly_the_routes_its_scopes_allow(people, role, op):
    person = people.api.as_key(people.tokens[role])
    response = call(person, op.method, op.path, _NoSuchObjects())
    allowed = op.scope in expand_scopes(ROLE_SCOPES[role])
    if allowed and (op.method, op.path) in API_KEY_ONLY:
        assert response.status_code == 403, (role, _id(op), response.body)
        assert "Only an API key" in problem(response)["detail"]
    elif allowed:
        assert response.status_code not in (401, 403), (role, _id(op), response.body)
    else:
        assert response.status_code == 403, (role, _id(op), response.status_code, response.body)
        body = problem(response)
        assert body["reason"] == "role"
        assert body["role"] == role
