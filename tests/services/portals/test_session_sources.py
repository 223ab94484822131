"""`sessions.confirm_sources`, rule by rule: a portal access token is answered only while
its session family is live, its account still belongs to the token's portal with the same
session epoch and role, its portal is the token's, its SSO registration is the token's, and
(for a preview) the API key behind it is not revoked. Each case changes one source only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from chalicelib.clock import utcnow
from chalicelib.errors import Unauthorized
from chalicelib.models import ApiKey, Portal, PortalUser, SsoIssuer, Token
from chalicelib.services.portals import sessions
from chalicelib.tenancy import PortalContext

NOW = utcnow()
CTX = PortalContext(
    tenant_id="ten_a",
    customer_id="cus_a",
    portal_id="prt_a",
    user_id="usr_a",
    user_key="cus_a#usr_a",
    role="portal_user",
    apps=frozenset({"equipment"}),
    session_id="ses_a",
    epoch=2,
)
SSO_CTX = replace(CTX, sso_issuer="https://erp.example", sso_registration="reg_a")
PREVIEW = replace(
    CTX, read_only=True, on_behalf_of="api_key:key_a", user_key="", session_id="", role="x"
)


def _portal(**changes: Any) -> Portal:
    fields = {"portal_id": "prt_a", "created_at": NOW, "updated_at": NOW, **changes}
    return Portal("ten_a", "cus_a", **fields)


def _family(**changes: Any) -> Token:
    fields = {"kind": "session", "tenant_id": "ten_a", "state": "live", "created_at": NOW}
    fields["expires_at"] = NOW + timedelta(days=1)
    return Token("digest", **{**fields, **changes})


def _user(**changes: Any) -> PortalUser:
    fields = {
        "user_id": "usr_a",
        "customer_id": "cus_a",
        "portal_id": "prt_a",
        "email": "a@example.com",
        "name": "A",
        "role": "portal_user",
        "session_epoch": 2,
        "created_at": NOW,
        **changes,
    }
    return PortalUser("ten_a", "cus_a#usr_a", **fields)


def _issuer(**changes: Any) -> SsoIssuer:
    fields = {
        "customer_id": "cus_a",
        "algorithm": "HS256",
        "audience": "portway:a",
        "registration_id": "reg_a",
        "created_at": NOW,
        **changes,
    }
    return SsoIssuer("ten_a", "https://erp.example", **fields)


def _key(**changes: Any) -> ApiKey:
    fields = {
        "name": "k",
        "digest": "-",
        "scopes": {"write"},
        "created_at": NOW,
        "created_by": "test",
        **changes,
    }
    return ApiKey("ten_a", "key_a", **fields)


def _confirm(ctx: PortalContext, items: list[Any]) -> None:
    checked = replace(ctx, sources=type(ctx.sources)())
    sessions.confirm_sources(checked, items, NOW)
    assert checked.sources.done


def test_a_session_with_all_its_sources_is_confirmed():
    _confirm(CTX, [_portal(), _family(), _user()])
    _confirm(SSO_CTX, [_portal(), _family(), _user(), _issuer()])
    _confirm(PREVIEW, [_portal(), _key()])


@pytest.mark.parametrize(
    "items",
    [
        [None, _family(), _user()],
        [_portal(portal_id="prt_new"), _family(), _user()],
        [_portal(), None, _user()],
        [_portal(), _family(state="revoked"), _user()],
        [_portal(), _family(state="spent"), _user()],
        [_portal(), _family(expires_at=NOW - timedelta(seconds=1)), _user()],
        [_portal(), _family(), None],
        [_portal(), _family(), _user(portal_id="prt_old")],
        [_portal(), _family(), _user(portal_id=None)],
        [_portal(), _family(), _user(session_epoch=3)],
        [_portal(), _family(), _user(role="portal_admin")],
    ],
    ids=[
        "portal-deleted",
        "portal-given-again",
        "family-missing",
        "signed-out",
        "family-not-live",
        "family-expired",
        "account-removed",
        "account-of-another-portal",
        "account-of-no-portal",
        "password-reset",
        "role-changed",
    ],
)
def test_a_session_whose_source_changed_is_401(items):
    with pytest.raises(Unauthorized) as ended:
        _confirm(CTX, items)
    assert "ended" in ended.value.detail


@pytest.mark.parametrize(
    "issuer",
    [
        None,
        _issuer(customer_id="cus_b"),
        _issuer(registration_id="reg_b"),
        _issuer(registration_id=None),
    ],
    ids=["removed", "moved-to-another-customer", "registered-again", "no-registration"],
)
def test_an_sso_session_whose_issuer_changed_is_401(issuer):
    with pytest.raises(Unauthorized):
        _confirm(SSO_CTX, [_portal(), _family(), _user(), issuer])


@pytest.mark.parametrize(
    ("ctx", "key"),
    [
        (PREVIEW, None),
        (PREVIEW, _key(revoked_at=NOW)),
        (replace(PREVIEW, on_behalf_of="api_key:key_b"), _key()),
        (replace(PREVIEW, on_behalf_of="staff:usr_a"), _key()),
    ],
    ids=["key-gone", "key-revoked", "another-key", "not-a-key"],
)
def test_a_preview_whose_key_is_revoked_or_other_is_401(ctx, key):
    with pytest.raises(Unauthorized):
        _confirm(ctx, [_portal(), key])


def test_the_sources_are_the_portal_family_account_and_issuer_or_key():
    keys = [(model.__name__, h, r) for model, h, r in sessions.source_keys(SSO_CTX)]
    assert keys == [
        ("Portal", "ten_a", "cus_a"),
        ("Token", Token.named_digest("session", "ses_a"), None),
        ("PortalUser", "ten_a", "cus_a#usr_a"),
        ("SsoIssuer", "ten_a", "https://erp.example"),
    ]
    preview = [(model.__name__, h, r) for model, h, r in sessions.source_keys(PREVIEW)]
    assert preview == [("Portal", "ten_a", "cus_a"), ("ApiKey", "ten_a", "key_a")]
