"""A portal user's own account: the name shown to colleagues and the provider, and the
password. Changing the password ends every other session of the account (the epoch rises)
and opens a new one for the person who changed it, in one transaction."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, Invalid, Unauthorized
from chalicelib.models import PortalUser
from chalicelib.schemas import portal_access as schemas
from chalicelib.services.platform import events, passwords, ratelimit
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.portals import sessions
from chalicelib.services.portals.invitations import user_schema
from chalicelib.services.portals.portal_accounts import current_grant, session_of
from chalicelib.tenancy import PortalContext

# Wrong current passwords, per account: guessing through a stolen session stays slow.
WRONG_PASSWORDS = ratelimit.Limit("portal-password-check", 5, timedelta(minutes=15))


def _account(ctx: PortalContext) -> PortalUser:
    ctx.require_writable()
    try:
        return PortalUser.get(ctx.tenant_id, ctx.user_key, consistent_read=True)
    except DoesNotExist:
        raise Unauthorized("This account no longer exists.") from None


def update(ctx: PortalContext, data: schemas.ProfileUpdate) -> schemas.PortalUser:
    """Change the caller's name (`portal.user_updated`)."""
    user = _account(ctx)
    try:
        with Transaction() as tx:
            tx.update(user, [PortalUser.name.set(data.name)], label="account")
            events.record(
                tx,
                ctx,
                "portal.user_updated",
                user.user_id,
                object_type="portal_user",
                customer_id=user.customer_id,
                data={"fields": ["name"]},
            )
    except ConditionsFailed:
        raise Conflict("Your account changed meanwhile; try again.") from None
    user.name = data.name
    return user_schema(user)


def change_password(
    ctx: PortalContext, data: schemas.PasswordChange, *, clock: Clock = utcnow
) -> schemas.Session:
    """Set a new password with the current one (`portal.password_changed`): every other
    session of the account ends; the answer is the caller's new session."""
    user = _account(ctx)
    if not user.password_hash:
        raise Conflict(
            "This account signs in through your company's platform; it has no password here.",
            extra={"reason": "sso_only"},
        )
    ratelimit.check(WRONG_PASSWORDS, user.user_id)
    if not passwords.verify(user.password_hash, data.current_password):
        ratelimit.fail(WRONG_PASSWORDS, user.user_id)
        raise Invalid.field("current_password", "is not your password", code="wrong_password")
    passwords.check(data.password, user.email)
    now = clock()
    epoch = int(user.session_epoch or 0)
    user.session_epoch = epoch + 1  # the new session lives from the epoch set here
    grant = current_grant(user)
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                user,
                [
                    PortalUser.password_hash.set(passwords.hash_password(data.password)),
                    PortalUser.password_changed_at.set(now),
                    PortalUser.session_epoch.set(epoch + 1),
                ],
                PortalUser.session_epoch == epoch,
            )
            pair = sessions.start(tx, grant, now)
            events.record(
                tx,
                ctx,
                "portal.password_changed",
                user.user_id,
                object_type="portal_user",
                customer_id=user.customer_id,
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("Your account changed meanwhile; sign in again.") from None
    return session_of(pair)
