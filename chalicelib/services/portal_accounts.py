"""Portal accounts: signing in and out, refreshing, and the administrator's colleagues."""

from __future__ import annotations

from typing import Any, cast

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, NotFound, Unauthorized
from chalicelib.models import DirectoryEntry, PortalUser, Tenant
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.services import audit, passwords, portals, ratelimit, sessions
from chalicelib.services.invitations import user_schema
from chalicelib.services.storage import ConditionsFailed, Transaction
from chalicelib.services.tenants import tenant_id_for_slug
from chalicelib.tenancy import Caller, PortalContext, TenantContext

_WRONG = "The e-mail address or the password is wrong."


def _session(pair: sessions.Pair) -> schemas.Session:
    return schemas.Session(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token or "",
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=pair.expires_in,
    )


def _user_by_email(tenant_id: str | None, email: str) -> PortalUser | None:
    if tenant_id is None:
        return None
    try:
        entry = DirectoryEntry.get(DirectoryEntry.login_key(tenant_id, email))
        return PortalUser.get(tenant_id, entry.user_key, consistent_read=True)
    except DoesNotExist:
        return None


def grant_for(user: PortalUser) -> sessions.Grant:
    """What a session of this user may see: the portal and its apps as they are now."""
    found = portals.find(user.tenant_id, user.customer_id)
    if found is None:
        raise Unauthorized("This portal no longer exists.")
    portal, apps, _ = found
    return sessions.Grant(
        tenant_id=user.tenant_id,
        customer_id=user.customer_id,
        portal_id=portal.portal_id,
        user_id=user.user_id,
        user_key=user.user_key,
        role=user.role,
        apps=tuple(apps),
    )


def sign_in(caller: Caller, data: schemas.SignIn, *, clock: Clock = utcnow) -> schemas.Session:
    """A portal user's password sign-in. Known and unknown e-mails get the same answer,
    after the same work (a password hash is checked either way)."""
    email = data.email.lower()
    tenant_id = tenant_id_for_slug(data.tenant)
    account = f"{tenant_id}:{email}"
    ratelimit.check(ratelimit.LOGIN_PER_ADDRESS, caller.source_ip)
    ratelimit.check(ratelimit.LOGIN_PER_ACCOUNT, account)
    user = _user_by_email(tenant_id, email)
    if not passwords.verify(user.password_hash if user else None, data.password) or user is None:
        ratelimit.fail(ratelimit.LOGIN_PER_ACCOUNT, account)
        ratelimit.fail(ratelimit.LOGIN_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(_WRONG)
    return _session(sessions.open_session(grant_for(user), clock=clock))


def refresh(
    caller: Caller, data: schemas.RefreshRequest, *, clock: Clock = utcnow
) -> schemas.Session:
    """Spend a refresh token for a new pair."""

    def portal_of(tenant_id: str, customer_id: str) -> tuple[str, list[str]]:
        found = portals.find(tenant_id, customer_id)
        if found is None:
            raise Unauthorized("This portal no longer exists.")
        return found.portal.portal_id, found.apps

    return _session(sessions.refresh(data.refresh_token, portal_of, clock=clock))


def sign_out(ctx: PortalContext) -> None:
    """Close the caller's session: its refresh tokens stop working."""
    if ctx.session_id and not ctx.read_only:
        sessions.revoke_family(ctx.session_id)


def me(ctx: PortalContext) -> schemas.Me:
    """Who the caller is, in which customer's portal, with which apps and theme."""
    from chalicelib.models import BusinessUnit, Customer

    user_out = None  # a provider's preview has no account of its own
    if not ctx.read_only:
        try:
            user_out = user_schema(PortalUser.get(ctx.tenant_id, ctx.user_key))
        except DoesNotExist:
            raise Unauthorized("This account no longer exists.") from None
    found = portals.find(ctx.tenant_id, ctx.customer_id)
    if found is None:
        raise Unauthorized("This portal no longer exists.")
    portal, apps, theme_id = found
    customer = Customer.get(ctx.tenant_id, ctx.customer_id, attributes_to_get=["name"])
    units = BusinessUnit.query(
        ctx.tenant_id, BusinessUnit.unit_key.startswith(BusinessUnit.prefix_for(ctx.customer_id))
    )
    return schemas.Me(
        user=user_out,
        customer=schemas.MeCustomer(id=ctx.customer_id, name=customer.name),
        portal=schemas.MePortal(id=portal.portal_id, apps=apps, theme_id=theme_id),
        groups=[schemas.Group(id=u.unit_id, name=u.name) for u in units],
        role=cast("Any", ctx.role),
        read_only=ctx.read_only,
    )


def list_users(ctx: PortalContext) -> list[schemas.PortalUser]:
    """The portal's people (for its administrator)."""
    ctx.require_admin()
    prefix = PortalUser.prefix_for(ctx.customer_id)
    return [
        user_schema(u)
        for u in PortalUser.query(
            ctx.tenant_id, PortalUser.user_key.startswith(prefix), consistent_read=True
        )
    ]


def remove_user(ctx: PortalContext, user_id: str, *, clock: Clock = utcnow) -> None:
    """The administrator removes a colleague: the account and its sign-in go at once."""
    ctx.require_admin()
    if user_id == ctx.user_id:
        raise Conflict("The administrator cannot remove themselves.")
    key = PortalUser.key_for(ctx.customer_id, user_id)
    try:
        user = PortalUser.get(ctx.tenant_id, key, consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No portal user {user_id}.") from None
    try:
        with Transaction() as tx:
            tx.delete(user, label="user")
            tx.delete(DirectoryEntry(DirectoryEntry.login_key(ctx.tenant_id, user.email)))
            if user.sso_issuer and user.sso_subject:
                sso = DirectoryEntry.sso_key(ctx.tenant_id, user.sso_issuer, user.sso_subject)
                tx.delete(DirectoryEntry(sso))
            audit.record(
                tx,
                audit.event(
                    ctx.tenant_id,
                    ctx.actor,
                    "portal_user.remove",
                    "portal_user",
                    user_id,
                    customer_id=ctx.customer_id,
                    now=clock(),
                ),
            )
    except ConditionsFailed:
        raise Conflict("The user changed meanwhile; try again.") from None


def start_preview(
    ctx: TenantContext, customer_id: str, *, clock: Clock = utcnow
) -> schemas.Preview:
    """A read-only portal session as the customer, carrying the provider as its actor. Only
    an API key can start one, so a preview can never start another."""
    ctx.require("write")
    portal, apps, _ = portals.load_for_customer(ctx, customer_id)
    now = clock()
    grant = sessions.Grant(
        tenant_id=ctx.tenant_id,
        customer_id=customer_id,
        portal_id=portal.portal_id,
        user_id=f"preview:{ctx.actor}",
        user_key="",
        role="portal_admin",  # sees everything the portal offers; may change nothing
        apps=tuple(apps),
        read_only=True,
        on_behalf_of=ctx.actor,
    )
    pair = sessions.preview(grant, clock=clock)
    audit.write(
        audit.event(
            ctx.tenant_id,
            ctx.actor,
            "portal.preview",
            "portal",
            portal.portal_id,
            customer_id=customer_id,
            now=now,
        )
    )
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    url = f"{portals.page_url(slug, portal.portal_id)}#session={pair.access_token}"
    return schemas.Preview(url=url, expires_at=rfc3339(now + sessions.PREVIEW_TTL))
