"""Console sessions of team members: sign-in (password, then the second factor when the
member has one), refresh, sign-out, password resets, and the check every request makes that
the member and the session still are as the access token says.

An access token is a JWT like a portal user's (`credentials`), with the audience
`staff:{tenant}`, the member, role, session and session epoch; `mfa_due` marks a session of
an owner or admin whose tenant requires a second factor they have not set up yet: it reaches
`/v1/team/me` only. Refresh tokens rotate as portal ones do (`session_families`). A removed
member, a changed role or a raised epoch (password reset, second factor changed) ends every
session at its next request.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import msgspec
from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.credentials import ISSUER
from chalicelib.errors import Unauthorized
from chalicelib.ids import new_id
from chalicelib.models import TeamMember, Tenant, Token
from chalicelib.schemas import team as schemas
from chalicelib.services.platform import events, passwords, ratelimit
from chalicelib.services.platform import session_families as families
from chalicelib.services.platform.outbound_mail import Suppressed
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.services.platform.tenants import forget_slug, known_tenant_id, tenant_id_for_slug
from chalicelib.services.team import mfa, team_mail
from chalicelib.tenancy import Actor, Caller, TenantContext

ACCESS_TTL = timedelta(minutes=10)
RESET_TTL = timedelta(hours=1)
SECOND_FACTOR_ROLES = frozenset({"owner", "admin"})
_WRONG = "The e-mail address or the password is wrong."
_WRONG_CODE = "The code is wrong or was used already; enter the code your app shows now."
_ENDED = "This session has ended; sign in again."
_RESET_INVALID = "This link to set a password is not valid any more. Ask for a new one."
RESETS_PER_SOURCE = ratelimit.Limit("team-reset-source", 10, timedelta(minutes=15))
RESETS_PER_ACCOUNT = ratelimit.Limit("team-reset-account", 5, timedelta(hours=1))


class Grant(msgspec.Struct, frozen=True):
    """What a console session is for: who, with which role, from which epoch."""

    tenant_id: str
    member_id: str
    role: str
    epoch: int
    second_factor_due: bool = False


def second_factor_due(member: TeamMember, tenant: Tenant | None) -> bool:
    """Whether the tenant asks this member for a second factor they have not set up."""
    required = bool(tenant is not None and tenant.require_second_factor)
    return required and member.role in SECOND_FACTOR_ROLES and not member.totp_secret


def grant_of(member: TeamMember, tenant: Tenant | None) -> Grant:
    """The grant of a new session of the member, as they are now."""
    return Grant(
        tenant_id=member.tenant_id,
        member_id=member.member_id,
        role=member.role,
        epoch=int(member.session_epoch or 0),
        second_factor_due=second_factor_due(member, tenant),
    )


def _access_token(grant: Grant, session_id: str, now: datetime) -> str:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": f"{credentials.STAFF_AUDIENCE}:{grant.tenant_id}",
        "sub": grant.member_id,
        "role": grant.role,
        "sid": session_id,
        "sep": grant.epoch,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TTL).timestamp()),
        "jti": new_id("jti"),
    }
    if grant.second_factor_due:
        claims["mfa_due"] = True
    return credentials.sign_access(claims)


def _lineage(grant: Grant) -> dict[str, Any]:
    return {
        "tenant_id": grant.tenant_id,
        "subject_id": grant.member_id,
        "role": grant.role,
        "epoch": grant.epoch,
    }


def _session(grant: Grant, session_id: str, refresh: str, now: datetime) -> schemas.TeamSession:
    return schemas.TeamSession(
        access_token=_access_token(grant, session_id, now),
        refresh_token=refresh,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=int(ACCESS_TTL.total_seconds()),
        second_factor_required=grant.second_factor_due,
    )


def _by(member_id: str, tenant_id: str) -> Actor:
    return Actor(tenant_id, f"member:{member_id}")


def open_session(
    tx: Transaction, grant: Grant, now: datetime, *, method: str
) -> schemas.TeamSession:
    """Add a new session with its event (`team.signed_in`) to a transaction."""
    session_id, refresh = families.start(tx, families.TEAM, _lineage(grant), now)
    events.record(
        tx,
        _by(grant.member_id, grant.tenant_id),
        "team.signed_in",
        grant.member_id,
        object_type="member",
        data={"method": method},
        now=now,
    )
    return _session(grant, session_id, refresh, now)


# -- signing in ------------------------------------------------------------------------------


def sign_in(
    caller: Caller, data: schemas.TeamSignIn, *, clock: Clock = utcnow
) -> schemas.TeamSession:
    """A member's sign-in: password, then the code of their authenticator when they have
    one (401 with `mfa_required` until it is given). Known and unknown addresses get the same
    answer after the same work; failures (a wrong password or code) slow the next attempt
    down, they never lock the account."""
    now = clock()
    email = data.email.lower()
    attempt = ratelimit.begin_sign_in(f"team\0{data.tenant}\0{email}", caller.source_ip)
    member, tenant = _member_of(data.tenant, email)
    hashed = member.password_hash if member is not None and member.status == "active" else None
    if not passwords.verify(hashed, data.password) or member is None:
        attempt.failed()
        raise Unauthorized(_WRONG)
    step = None
    if member.totp_secret:
        if data.otp is None:
            # The password was right: no failure, and the same password with a code next.
            raise Unauthorized(
                "Enter the code of your authenticator app.", extra={"mfa_required": True}
            )
        step = mfa.fresh_step(member, data.otp, now)
        if step is None:
            attempt.failed()
            raise Unauthorized(_WRONG_CODE, extra={"mfa_required": True})
    grant = grant_of(member, tenant)
    try:
        with Transaction() as tx:
            attempt.forget(tx)
            if step is not None:
                tx.update_unversioned(member, mfa.spend(member, step), mfa.unused_step(step))
            session = open_session(tx, grant, now, method="password+totp" if step else "password")
    except ConditionsFailed:  # the same code, used a moment ago
        raise Unauthorized(_WRONG_CODE, extra={"mfa_required": True}) from None
    return session


def _member_of(slug: str, email: str) -> tuple[TeamMember | None, Tenant | None]:
    """The member with the address in the slug's tenant, and the tenant (one BatchGetItem
    when this process knows the slug)."""
    for _ in range(2):
        tenant_id = known_tenant_id(slug)
        if tenant_id is None:
            return None, None
        member, tenant = batch_get(
            [
                (TeamMember, tenant_id, TeamMember.member_id_for(tenant_id, email)),
                (Tenant, tenant_id, None),
            ]
        )
        if isinstance(tenant, Tenant) and tenant.slug == slug:
            return (member if isinstance(member, TeamMember) else None), tenant
        forget_slug(slug)  # remembered from before the tables were made again
    return None, None


def refresh(data: schemas.TeamRefreshRequest, *, clock: Clock = utcnow) -> schemas.TeamSession:
    """Spend a refresh token for a new pair, with the member's role as it is now."""
    now = clock()
    old = families.live_refresh(
        credentials.redeem(
            data.refresh_token, credentials.REFRESH_PREFIX, credentials.TEAM_REFRESH_KIND
        ),
        now,
    )
    for _ in range(2):
        families.refuse_reuse(families.TEAM, old, now)
        member, tenant = batch_get(
            [(TeamMember, old.tenant_id, old.subject_id or "-"), (Tenant, old.tenant_id, None)]
        )
        if not isinstance(member, TeamMember) or member.status != "active":
            raise Unauthorized(families.INVALID_REFRESH)
        if int(member.session_epoch or 0) != int(old.epoch or 0):
            raise Unauthorized(families.INVALID_REFRESH)
        grant = grant_of(member, tenant if isinstance(tenant, Tenant) else None)
        try:
            return _rotate(old, grant, now)
        except ConditionsFailed as exc:
            if "old" not in exc.labels:
                raise Unauthorized(families.INVALID_REFRESH) from None
        old = families.live_refresh(
            credentials.lookup(old.digest, credentials.TEAM_REFRESH_KIND), now
        )
    raise Unauthorized(families.INVALID_REFRESH)


def _rotate(old: Token, grant: Grant, now: datetime) -> schemas.TeamSession:
    session_id = old.family_id or ""
    secret, item = families.refresh_item(
        families.TEAM, session_id, _lineage(grant), now, old.expires_at or now
    )
    with Transaction() as tx:
        families.spend(tx, families.TEAM, old, now)
        same = (TeamMember.session_epoch == grant.epoch) & (TeamMember.status == "active")
        tx.check(TeamMember, grant.tenant_id, grant.member_id, same, label="member")
        tx.save(item, condition=Token.digest.does_not_exist())
        events.record(
            tx,
            _by(grant.member_id, grant.tenant_id),
            "team.session_refreshed",
            grant.member_id,
            object_type="member",
            now=now,
        )
    return _session(grant, session_id, secret, now)


def sign_out(ctx: TenantContext) -> None:
    """Close the caller's session (`team.signed_out`); a session closed meanwhile records
    nothing more."""
    with suppress(ConditionsFailed), Transaction() as tx:
        families.close(tx, families.TEAM, ctx.session_id or "")
        events.record(tx, ctx, "team.signed_out", ctx.member_id, object_type="member")


# -- every request ---------------------------------------------------------------------------


def check_sources(ctx: TenantContext, *, clock: Clock = utcnow) -> None:
    """Read the member and the session (one BatchGetItem); 401 unless both are as the
    access token says: the member is still there, active, with this role and epoch, and the
    session was not closed."""
    member, family = batch_get(
        [
            (TeamMember, ctx.tenant_id, ctx.member_id or "-"),
            (Token, families.family_digest(families.TEAM, ctx.session_id or "-"), None),
        ]
    )
    ok = (
        isinstance(member, TeamMember)
        and member.status == "active"
        and member.role == ctx.role
        and int(member.session_epoch or 0) == ctx.epoch
        and families.is_live(families.TEAM, family, clock())
    )
    if not ok:
        raise Unauthorized(_ENDED, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


# -- password resets -------------------------------------------------------------------------


def request_reset(
    caller: Caller, data: schemas.TeamPasswordResetRequest, *, clock: Clock = utcnow
) -> None:
    """E-mail a reset link to the member with this address; the answer never says whether
    there is one. The link is stored with its event (`team.password_reset_requested`)."""
    email = data.email.lower()
    ratelimit.spend(RESETS_PER_SOURCE, caller.source_ip)
    tenant_id = tenant_id_for_slug(data.tenant)
    if tenant_id is None or not ratelimit.within(RESETS_PER_ACCOUNT, f"{tenant_id}\0{email}"):
        return
    member, tenant = batch_get(
        [
            (TeamMember, tenant_id, TeamMember.member_id_for(tenant_id, email)),
            (Tenant, tenant_id, None),
        ]
    )
    if not isinstance(member, TeamMember) or member.status != "active":
        return
    if not isinstance(tenant, Tenant):
        return
    now = clock()
    secret = credentials.mint(credentials.PASSWORD_RESET_PREFIX)
    with Transaction() as tx:
        tx.save(
            Token(
                credentials.digest_of(secret),
                kind=credentials.TEAM_PASSWORD_RESET_KIND,
                tenant_id=tenant_id,
                subject_id=member.member_id,
                epoch=int(member.session_epoch or 0),
                state="open",
                created_at=now,
                expires_at=now + RESET_TTL,
            ),
            condition=Token.digest.does_not_exist(),
        )
        events.record(
            tx,
            Actor(tenant_id, "anonymous"),
            "team.password_reset_requested",
            member.member_id,
            object_type="member",
            now=now,
        )
    # A suppressed address gets nothing, and the answer says nothing of it (as if sent).
    with suppress(Suppressed):
        team_mail.send(
            "password_reset",
            tenant,
            to=member.email,
            link=team_mail.console_link(f"reset={secret}"),
            expires=now + RESET_TTL,
            name=member.name or member.email,
        )


def redeem_link(
    caller: Caller, secret: str, prefix: str, kind: str, refused: str, now: datetime
) -> tuple[Token, TeamMember]:
    """An open, live team link (an invitation, a password reset) and the member it is for;
    401 with `refused` otherwise. A secret that is no link is a guess, counted per address."""
    token = credentials.redeem(secret, prefix, kind)
    if token is None or token.state != "open":
        ratelimit.fail(ratelimit.TEAM_LINK_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(refused)
    if not token.is_live(now):
        raise Unauthorized(refused)
    try:
        member = TeamMember.get(token.tenant_id, token.subject_id or "-", consistent_read=True)
    except DoesNotExist:
        raise Unauthorized(refused) from None
    return token, member


def confirm_reset(
    caller: Caller, data: schemas.TeamPasswordResetConfirm, *, clock: Clock = utcnow
) -> None:
    """Set a new password with a reset link: every session of the member ends
    (`team.password_reset`). No session starts here: the member signs in, with their second
    factor when they have one."""
    now = clock()
    token, member = redeem_link(
        caller,
        data.token,
        credentials.PASSWORD_RESET_PREFIX,
        credentials.TEAM_PASSWORD_RESET_KIND,
        _RESET_INVALID,
        now,
    )
    passwords.check(data.password, member.email)
    epoch = int(token.epoch or 0)
    try:
        with Transaction() as tx:
            tx.update_unversioned(token, [Token.state.set("used")], Token.state == "open")
            tx.update_unversioned(
                member,
                [
                    TeamMember.password_hash.set(passwords.hash_password(data.password)),
                    TeamMember.password_changed_at.set(now),
                    TeamMember.session_epoch.set(epoch + 1),
                ],
                (TeamMember.session_epoch == epoch) & (TeamMember.status == "active"),
            )
            events.record(
                tx,
                _by(member.member_id, member.tenant_id),
                "team.password_reset",
                member.member_id,
                object_type="member",
                now=now,
            )
    except ConditionsFailed:
        raise Unauthorized(_RESET_INVALID) from None
