"""The team's members: inviting people by e-mail, their roles, removing them, and joining
with the invitation link.

A member's id comes from the tenant and the address (`TeamMember.member_id_for`), so an
address is one member of a tenant. An invitation is a single-use link valid for seven days,
e-mailed to the address and shown nowhere else (the operator's first owner link excepted):
a person proves the address by using it. Inviting again replaces the earlier link. Only an
owner gives or takes the owner role, and the last owner can be neither demoted nor removed.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Forbidden, NotFound, PortwayError, Unauthorized
from chalicelib.models import TeamMember, Tenant, Token
from chalicelib.schemas import team as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform import events, passwords
from chalicelib.services.platform.events import Acting
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.platform.versioning import check_version, update_recorded
from chalicelib.services.team import staff_sessions, team_mail
from chalicelib.tenancy import Actor, Caller, TenantContext

INVITATION_TTL = timedelta(days=7)
OWNER = "owner"
_LINK_INVALID = "This invitation is not valid any more. Ask for a new one."


def member_out(item: TeamMember) -> schemas.Member:
    """A member as the API shows them."""
    return schemas.Member(
        id=item.member_id,
        email=item.email,
        name=item.name or "",
        role=item.role,  # type: ignore[arg-type]
        status=item.status,  # type: ignore[arg-type]
        second_factor=bool(item.totp_secret),
        created_at=rfc3339(item.created_at),
        joined_at=rfc3339(item.joined_at) if item.joined_at else None,
    )


def load(ctx: TenantContext, member_id: str) -> TeamMember:
    """One member of the caller's team; 404 otherwise."""
    try:
        return TeamMember.get(ctx.tenant_id, member_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No member {member_id} in this team.") from None


def get(ctx: TenantContext, member_id: str) -> schemas.Member:
    """One member."""
    return member_out(load(ctx, member_id))


def list_members(ctx: TenantContext, page: PageRequest) -> Page[schemas.Member]:
    """The team, in id order, a page at a time."""
    items, cursor = fetch_page(
        ctx, "members", page, lambda **kw: TeamMember.query(ctx.tenant_id, **kw)
    )
    return page_of(schemas.Member)(items=[member_out(i) for i in items], next_cursor=cursor)


def _owners_only(ctx: TenantContext, *roles: str | None) -> None:
    # Data decides this, not the route: any admin manages the team, owners its owners.
    if OWNER in roles and OWNER not in ctx.scopes:
        raise Forbidden(
            "Only an owner gives, takes or removes the owner role.", extra={"reason": "role"}
        )


def _other_owners(ctx: TenantContext, member_id: str) -> int:
    owners = TeamMember.query(
        ctx.tenant_id,
        filter_condition=(TeamMember.role == OWNER) & (TeamMember.status == "active"),
        attributes_to_get=["member_id"],
        consistent_read=True,
    )
    return sum(1 for o in owners if o.member_id != member_id)


def _keep_an_owner(ctx: TenantContext, member: TeamMember) -> None:
    if (
        member.role == OWNER
        and member.status == "active"
        and not _other_owners(ctx, member.member_id)
    ):
        raise Conflict(
            "The team needs an owner: make someone else owner first.",
            extra={"reason": "last_owner"},
        )


# -- inviting --------------------------------------------------------------------------------


def _invitation(tx: Transaction, member: TeamMember, epoch: int, now: datetime) -> str:
    """Add a single-use invitation link of the member to a transaction; its secret."""
    secret = credentials.mint(credentials.INVITATION_PREFIX)
    tx.save(
        Token(
            credentials.digest_of(secret),
            kind=credentials.TEAM_INVITATION_KIND,
            tenant_id=member.tenant_id,
            subject_id=member.member_id,
            email=member.email,
            role=member.role,
            epoch=epoch,
            state="open",
            created_at=now,
            expires_at=now + INVITATION_TTL,
        ),
        condition=Token.digest.does_not_exist(),
    )
    return secret


def _store_invitation(
    by: Acting, email: str, name: str, role: str, now: datetime
) -> tuple[TeamMember, str]:
    """Store the member (new, or invited before: the earlier link stops working) and a new
    link with the event `team.member_invited`; 409 for an address already in the team."""
    member_id = TeamMember.member_id_for(by.tenant_id, email)
    try:
        member = TeamMember.get(by.tenant_id, member_id, consistent_read=True)
    except DoesNotExist:
        member = None
    if member is not None and member.status != "invited":
        raise Conflict(f"{email} is in the team already.", extra={"member_id": member_id})
    epoch = int(member.session_epoch or 0) + 1 if member is not None else 1
    item = TeamMember(
        by.tenant_id,
        member_id,
        email=email,
        name=name,
        role=role,
        status="invited",
        session_epoch=epoch,
        invited_by=by.actor,
        created_at=member.created_at if member is not None else now,
    )
    if member is not None:
        item.version = member.version
    with Transaction() as tx:
        if member is None:
            tx.save(item, condition=TeamMember.member_id.does_not_exist())
        else:
            tx.save(item, condition=TeamMember.status == "invited")
        secret = _invitation(tx, item, epoch, now)
        events.record(
            tx,
            by,
            "team.member_invited",
            member_id,
            object_type="member",
            data={"role": role, "again": member is not None},
            now=now,
        )
    return item, secret


def invite(
    ctx: TenantContext, data: schemas.MemberInvite, *, clock: Clock = utcnow
) -> schemas.Member:
    """Invite a person: the link goes to their address by e-mail (in the tenant's language)
    and nowhere else. A link that could not be sent is withdrawn, and so is a member who was
    new (`team.member_removed`, reason `not_sent`)."""
    _owners_only(ctx, data.role)
    now = clock()
    email = data.email.lower()
    tenant = Tenant.get(ctx.tenant_id)
    member, secret = _store_invitation(ctx, email, data.name or "", data.role, now)
    try:
        team_mail.send(
            "invitation",
            tenant,
            to=email,
            link=team_mail.console_link(f"invite={secret}"),
            expires=now + INVITATION_TTL,
            name=data.name or email,
            role=data.role,
            inviter=_name_of(ctx),
        )
    except PortwayError:
        with suppress(PortwayError, PynamoDBException):
            _withdraw(ctx, member)
        raise
    return member_out(member)


def _name_of(ctx: TenantContext) -> str | None:
    if ctx.member_id is None:
        return None
    with suppress(DoesNotExist):
        return TeamMember.get(ctx.tenant_id, ctx.member_id, attributes_to_get=["name"]).name or None
    return None


def _withdraw(ctx: TenantContext, member: TeamMember) -> None:
    with Transaction() as tx:
        tx.delete(member, condition=TeamMember.status == "invited")
        events.record(
            tx,
            ctx,
            "team.member_removed",
            member.member_id,
            object_type="member",
            data={"reason": "not_sent"},
        )


def invite_owner(by: Actor, email: str, *, clock: Clock = utcnow) -> str:
    """The operator's invitation of a new tenant's first owner: the link, for the operator
    to hand over (the tenant has nobody to send it yet)."""
    now = clock()
    _, secret = _store_invitation(by, email.lower(), "", OWNER, now)
    return team_mail.console_link(f"invite={secret}")


def accept(
    caller: Caller, data: schemas.TeamInvitationAccept, *, clock: Clock = utcnow
) -> schemas.TeamJoined:
    """Join the team with an invitation link: the member's name and password are set and
    their first session starts (`team.member_joined`). A used, replaced or expired link is
    401, and changes nothing."""
    now = clock()
    token, member = staff_sessions.redeem_link(
        caller,
        data.token,
        credentials.INVITATION_PREFIX,
        credentials.TEAM_INVITATION_KIND,
        _LINK_INVALID,
        now,
    )
    passwords.check(data.password, member.email)
    epoch = int(token.epoch or 0)
    if member.status != "invited" or int(member.session_epoch or 0) != epoch:
        raise Unauthorized(_LINK_INVALID)
    member.status, member.name, member.joined_at = "active", data.name, now
    tenant = Tenant.get(token.tenant_id)
    grant = staff_sessions.grant_of(member, tenant)
    try:
        with Transaction() as tx:
            tx.update_unversioned(token, [Token.state.set("used")], Token.state == "open")
            tx.update_unversioned(
                member,
                [
                    TeamMember.status.set("active"),
                    TeamMember.name.set(data.name),
                    TeamMember.password_hash.set(passwords.hash_password(data.password)),
                    TeamMember.password_changed_at.set(now),
                    TeamMember.joined_at.set(now),
                ],
                (TeamMember.status == "invited") & (TeamMember.session_epoch == epoch),
            )
            events.record(
                tx,
                Actor(member.tenant_id, f"member:{member.member_id}"),
                "team.member_joined",
                member.member_id,
                object_type="member",
                data={"role": member.role},
                now=now,
            )
            session = staff_sessions.open_session(tx, grant, now, method="invitation")
    except ConditionsFailed:
        raise Unauthorized(_LINK_INVALID) from None
    return schemas.TeamJoined(**_fields(session), member=member_out(member))


def _fields(session: schemas.TeamSession) -> dict[str, Any]:
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "token_type": session.token_type,
        "expires_in": session.expires_in,
        "second_factor_required": session.second_factor_required,
    }


# -- changing and removing -------------------------------------------------------------------


def update(
    ctx: TenantContext,
    member_id: str,
    data: schemas.MemberUpdate,
    *,
    if_match: int | None = None,
    clock: Clock = utcnow,
) -> schemas.Member:
    """Change a member's name or role (`team.member_updated`). A new role reaches the
    member's sessions at once: their next request asks them to refresh."""
    member = load(ctx, member_id)
    check_version(member, if_match)
    changes: dict[str, Any] = {}
    if data.name is not None and data.name != member.name:
        changes["name"] = data.name
    if data.role is not None and data.role != member.role:
        _owners_only(ctx, data.role, member.role)
        if member.role == OWNER:
            _keep_an_owner(ctx, member)
        changes["role"] = data.role
    if not changes:
        return member_out(member)

    def record(tx: Transaction) -> None:
        events.record(tx, ctx, "team.member_updated", member_id, object_type="member", data=changes)

    return member_out(update_recorded(member, changes, clock(), record))


def remove(ctx: TenantContext, member_id: str) -> None:
    """Remove a member: every session of theirs ends at its next request
    (`team.member_removed`)."""
    member = load(ctx, member_id)
    _owners_only(ctx, member.role)
    _keep_an_owner(ctx, member)
    try:
        with Transaction() as tx:
            tx.delete(member, condition=TeamMember.version == member.version)
            events.record(
                tx,
                ctx,
                "team.member_removed",
                member_id,
                object_type="member",
                data={"role": member.role, "reason": "removed"},
            )
    except ConditionsFailed:
        raise Conflict("The member changed meanwhile; read it and retry.") from None
