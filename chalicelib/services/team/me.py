"""What a signed-in member does for themselves: who am I, my second factor; and the team's
sign-in settings.

Setting up TOTP takes two steps: a new secret (shown once, kept pending), then a code from
the app proving it holds it; only then does sign-in ask for codes. Turning the second factor
on or off ends the member's other sessions and starts a new one for the caller.
"""

from __future__ import annotations

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Forbidden, Invalid
from chalicelib.models import TeamMember, Tenant
from chalicelib.schemas import team as schemas
from chalicelib.services.platform import events, passwords
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.services.platform.versioning import update_recorded
from chalicelib.services.team import members, mfa, staff_sessions
from chalicelib.tenancy import TenantContext


def _person(ctx: TenantContext) -> tuple[TeamMember, Tenant]:
    if ctx.member_id is None:
        raise Forbidden("Only a person signed in to the console has this; an API key has not.")
    member, tenant = batch_get(
        [(TeamMember, ctx.tenant_id, ctx.member_id), (Tenant, ctx.tenant_id, None)]
    )
    if not isinstance(member, TeamMember) or not isinstance(tenant, Tenant):
        raise Forbidden("This account no longer exists.")
    return member, tenant


def me(ctx: TenantContext) -> schemas.TeamMe:
    """The signed-in member, their tenant and what their role may do."""
    member, tenant = _person(ctx)
    return schemas.TeamMe(
        member=members.member_out(member),
        tenant=tenant.slug,
        tenant_name=tenant.name,
        scopes=sorted(ctx.scopes),
        second_factor_required=staff_sessions.second_factor_due(member, tenant),
    )


def enrol_totp(ctx: TenantContext) -> schemas.TotpEnrolment:
    """A new authenticator secret, pending until `confirm_totp` (an earlier pending one is
    replaced; a second factor in use stays until the new one is confirmed)."""
    member, tenant = _person(ctx)
    secret = credentials.mint_totp_key()
    with Transaction() as tx:
        tx.update_unversioned(
            member,
            [TeamMember.totp_pending.set(mfa.seal(member.member_id, secret))],
            TeamMember.status == "active",
        )
        events.record(tx, ctx, "team.second_factor_started", member.member_id, object_type="member")
    return schemas.TotpEnrolment(
        secret=secret, otpauth_uri=mfa.uri(secret, member.email, tenant.name)
    )


def _renewed(member: TeamMember, tenant: Tenant) -> staff_sessions.Grant:
    """The grant of the caller's new session once the change is stored (a new epoch)."""
    member.session_epoch = int(member.session_epoch or 0) + 1
    return staff_sessions.grant_of(member, tenant)


def confirm_totp(
    ctx: TenantContext, data: schemas.TotpConfirm, *, clock: Clock = utcnow
) -> schemas.TeamSession:
    """Turn the pending secret on with a code from the app (`team.second_factor_enabled`).
    Every other session of the member ends; the caller gets a new one."""
    member, tenant = _person(ctx)
    now = clock()
    pending = mfa.unseal(member.member_id, member.totp_pending) if member.totp_pending else None
    if pending is None:
        raise Conflict("Start setting up the authenticator first.", extra={"reason": "no_pending"})
    step = mfa.step_of(pending, data.code, now)
    if step is None:
        raise Invalid.field("code", "is not the code the app shows now for this secret")
    epoch = int(member.session_epoch or 0)
    sealed = member.totp_pending
    member.totp_secret = sealed
    grant = _renewed(member, tenant)
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                member,
                [
                    TeamMember.totp_secret.set(sealed),
                    TeamMember.totp_pending.remove(),
                    TeamMember.totp_last_step.set(step),
                    TeamMember.session_epoch.set(epoch + 1),
                ],
                (TeamMember.totp_pending == sealed) & (TeamMember.session_epoch == epoch),
            )
            events.record(
                tx, ctx, "team.second_factor_enabled", member.member_id, object_type="member"
            )
            session = staff_sessions.open_session(tx, grant, now, method="second_factor")
    except ConditionsFailed:
        raise Conflict("The authenticator changed meanwhile; start again.") from None
    return session


def disable_totp(
    ctx: TenantContext, data: schemas.TotpDisable, *, clock: Clock = utcnow
) -> schemas.TeamSession:
    """Turn the second factor off, with the password (`team.second_factor_disabled`);
    refused while the team requires one of this member's role."""
    member, tenant = _person(ctx)
    now = clock()
    if not passwords.verify(member.password_hash, data.password):
        raise Invalid.field("password", "is not your password", code="wrong_password")
    if not member.totp_secret:
        raise Conflict("You have no second factor.", extra={"reason": "no_second_factor"})
    if tenant.require_second_factor and member.role in staff_sessions.SECOND_FACTOR_ROLES:
        raise Conflict(
            "Your team requires a second factor for owners and admins.",
            extra={"reason": "second_factor_required"},
        )
    epoch = int(member.session_epoch or 0)
    member.totp_secret = None
    grant = _renewed(member, tenant)
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                member,
                [
                    TeamMember.totp_secret.remove(),
                    TeamMember.totp_pending.remove(),
                    TeamMember.session_epoch.set(epoch + 1),
                ],
                TeamMember.session_epoch == epoch,
            )
            events.record(
                tx, ctx, "team.second_factor_disabled", member.member_id, object_type="member"
            )
            session = staff_sessions.open_session(tx, grant, now, method="second_factor")
    except ConditionsFailed:
        raise Conflict("Your account changed meanwhile; try again.") from None
    return session


# -- the team's settings ---------------------------------------------------------------------


def settings(ctx: TenantContext) -> schemas.TeamSettings:
    """How the team signs in."""
    tenant = Tenant.get(ctx.tenant_id, consistent_read=True)
    return schemas.TeamSettings(require_second_factor=bool(tenant.require_second_factor))


def update_settings(
    ctx: TenantContext, data: schemas.TeamSettingsUpdate, *, clock: Clock = utcnow
) -> schemas.TeamSettings:
    """Change how the team signs in (`team.settings_updated`). Owners and admins without a
    second factor are asked to set one up at their next sign-in or refresh."""
    tenant = Tenant.get(ctx.tenant_id, consistent_read=True)
    if bool(tenant.require_second_factor) == data.require_second_factor:
        return schemas.TeamSettings(require_second_factor=data.require_second_factor)
    changes = {"require_second_factor": data.require_second_factor}

    def record(tx: Transaction) -> None:
        events.record(
            tx, ctx, "team.settings_updated", ctx.tenant_id, object_type="tenant", data=changes
        )

    update_recorded(tenant, changes, clock(), record)
    return schemas.TeamSettings(require_second_factor=data.require_second_factor)
