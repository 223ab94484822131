"""Portal accounts: signing in and out, refreshing, password resets, the administrator's
colleagues, the provider's view of a customer's people, previews, and what a deleted portal
takes with it.

An account belongs to one portal. Its address is unique in that portal only, so that one
customer's administrator can never block an address in anyone else's portal; the e-mail's
directory entry lists the address's accounts across the provider's portals for signing in
without naming the portal.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, cast

from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import Conflict, NotFound, Unauthorized
from chalicelib.models import (
    BusinessUnit,
    Customer,
    DirectoryEntry,
    Portal,
    PortalUser,
    Tenant,
    Token,
)
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform import events, passwords, ratelimit
from chalicelib.services.platform.outbound_mail import Suppressed, suppression_of
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction, batch_get
from chalicelib.services.platform.tenants import tenant_id_for_slug
from chalicelib.services.portals import account_mail, invitations, portals, sessions, sso
from chalicelib.services.portals.invitations import user_schema
from chalicelib.tenancy import Actor, Caller, PortalContext, TenantContext

_WRONG = "The e-mail address or the password is wrong."
# An address with more accounts than this among one provider's portals signs in from a
# portal's page (which names the portal).
MAX_ACCOUNTS_PER_ADDRESS = 10
RESET_TTL = timedelta(hours=1)
# Reset links asked for: per source address (429), and per account, from one source and
# from anywhere (silently: the answer must not tell whether the address is known, and an
# attacker elsewhere cannot use up the owner's own requests).
RESETS_PER_SOURCE = ratelimit.Limit("reset-source", 10, timedelta(minutes=15))
RESETS_PER_ACCOUNT_FROM_SOURCE = ratelimit.Limit("reset-account-source", 3, timedelta(hours=1))
RESETS_PER_ACCOUNT = ratelimit.Limit("reset-account", 20, timedelta(hours=1))


def session_of(pair: sessions.Pair) -> schemas.Session:
    """The answer that hands a new session to its person."""
    return schemas.Session(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token or "",
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=pair.expires_in,
    )


# -- finding accounts ------------------------------------------------------------------------


def _accounts(tenant_id: str | None, email: str, portal_id: str | None) -> list[PortalUser]:
    """The address's accounts in the tenant (in one portal, when named) whose portal is
    still the one they were made in."""
    if tenant_id is None:
        return []
    if portal_id is not None:
        keys = _login_keys(tenant_id, portal_id, email)
    else:
        keys = _email_keys(tenant_id, email)
    if not keys:
        return []
    found = batch_get([(PortalUser, tenant_id, k) for k in keys])
    users = [u for u in found if isinstance(u, PortalUser)]
    current = batch_get([(Portal, tenant_id, u.customer_id) for u in users])
    live = [
        u
        for u, p in zip(users, current, strict=True)
        if isinstance(p, Portal) and p.portal_id == u.portal_id and u.email == email
    ]
    return live[:MAX_ACCOUNTS_PER_ADDRESS]


def _login_keys(tenant_id: str, portal_id: str, email: str) -> list[str]:
    try:
        entry = DirectoryEntry.get(DirectoryEntry.login_key(tenant_id, portal_id, email))
    except DoesNotExist:
        return []
    return [entry.user_key] if entry.user_key else []


def _email_keys(tenant_id: str, email: str) -> list[str]:
    try:
        entry = DirectoryEntry.get(DirectoryEntry.email_key(tenant_id, email))
    except DoesNotExist:
        return []
    return sorted(entry.user_keys or ())[: 2 * MAX_ACCOUNTS_PER_ADDRESS]


def current_grant(user: PortalUser) -> sessions.Grant:
    """What a new session of this account may see: its portal and apps as they are now."""
    found = portals.current(user)
    if found is None:
        raise Unauthorized("This portal no longer exists.")
    return sessions.grant_for(user, found.portal.portal_id, found.apps, None)


# -- signing in ------------------------------------------------------------------------------


def sign_in(caller: Caller, data: schemas.SignIn, *, clock: Clock = utcnow) -> schemas.Session:
    """A portal user's password sign-in. Known and unknown e-mails get the same answer,
    after the same work (a password hash is checked either way). Failures slow the next
    attempt down (see `ratelimit`); they never lock the account."""
    email = data.email.lower()
    tenant_id = tenant_id_for_slug(data.tenant)
    account = f"{tenant_id or data.tenant}\0{email}"
    attempt = ratelimit.begin_sign_in(account, caller.source_ip)
    candidates = _accounts(tenant_id, email, data.portal)
    matches = [u for u in candidates if passwords.verify(u.password_hash, data.password)]
    if not candidates:
        passwords.verify(None, data.password)  # the same work for an unknown address
    if not matches:
        attempt.failed()
        raise Unauthorized(_WRONG)
    if len(matches) > 1:
        with Transaction() as tx:  # the password was right: its failures are forgotten
            attempt.forget(tx)
        raise Conflict(
            "This address has accounts in several portals with this password; sign in from "
            "your portal's page, or name the portal.",
            extra={"portals": sorted(u.portal_id or "" for u in matches)},
        )
    grant = current_grant(matches[0])
    pair = sessions.open_session(grant, method="password", clock=clock, also=attempt.forget)
    return session_of(pair)


def refresh(
    caller: Caller, data: schemas.RefreshRequest, *, clock: Clock = utcnow
) -> schemas.Session:
    """Spend a refresh token for a new pair."""

    def portal_of(user: PortalUser) -> tuple[str, list[str]]:
        found = portals.find(user)
        if found is None:
            raise Unauthorized("This portal no longer exists.")
        return found.portal.portal_id, found.apps

    return session_of(sessions.refresh(data.refresh_token, portal_of, clock=clock))


def sign_out(ctx: PortalContext) -> None:
    """Close the caller's session: its access and refresh tokens stop working."""
    if ctx.session_id and not ctx.read_only:
        sessions.sign_out(ctx)


def me(ctx: PortalContext) -> schemas.Me:
    """Who the caller is, in which customer's portal, with which apps and theme."""
    user_out = None  # a provider's preview has no account of its own
    if not ctx.read_only:
        try:
            user_out = user_schema(PortalUser.get(ctx.tenant_id, ctx.user_key))
        except DoesNotExist:
            raise Unauthorized("This account no longer exists.") from None
    found = portals.find(ctx)
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


# -- password resets -------------------------------------------------------------------------


def request_reset(caller: Caller, data: schemas.PasswordResetRequest) -> None:
    """E-mail a reset link to each of the address's accounts (in the named portal, or all);
    the answer never says whether there are any. Each link is stored with its event
    (`portal.password_reset_requested`, by `anonymous`); an unknown address stores and
    records nothing, which only the provider's event log shows, never the answer."""
    email = data.email.lower()
    ratelimit.spend(RESETS_PER_SOURCE, caller.source_ip)
    tenant_id = tenant_id_for_slug(data.tenant)
    account = f"{tenant_id or data.tenant}\0{email}"
    from_here = f"{account}\0{caller.source_ip}" if caller.source_ip else None
    if not ratelimit.within(RESETS_PER_ACCOUNT_FROM_SOURCE, from_here):
        return
    if not ratelimit.within(RESETS_PER_ACCOUNT, account):
        return
    for user in _accounts(tenant_id, email, data.portal):
        if user.password_hash is not None or user.sso_issuer is None:
            _send_reset(user)


def _send_reset(user: PortalUser, *, clock: Clock = utcnow) -> None:
    """Store a single-use reset link of the account (valid one hour) with its event, and
    e-mail it."""
    now = clock()
    with Transaction() as tx:
        secret = _reset_link(tx, user, int(user.session_epoch or 0), now)
        events.record(
            tx,
            Actor(user.tenant_id, "anonymous"),
            "portal.password_reset_requested",
            user.user_id,
            object_type="portal_user",
            customer_id=user.customer_id,
            data={"portal_id": user.portal_id},
            now=now,
        )
    # A suppressed address gets nothing, and the answer says nothing of it (as if sent).
    with suppress(Suppressed):
        _mail_reset(user, secret, now)


def _reset_link(tx: Transaction, user: PortalUser, epoch: int, now: datetime) -> str:
    """Add a single-use reset link of the account (valid one hour, for the session epoch
    it will be used at) to a transaction; its secret."""
    secret = credentials.mint(credentials.PASSWORD_RESET_PREFIX)
    token = Token(
        credentials.digest_of(secret),
        kind=credentials.PASSWORD_RESET_KIND,
        tenant_id=user.tenant_id,
        subject_id=user.user_key,
        customer_id=user.customer_id,
        portal_id=user.portal_id,
        epoch=epoch,
        state="open",
        created_at=now,
        expires_at=now + RESET_TTL,
    )
    tx.save(token, condition=Token.digest.does_not_exist())
    return secret


def _mail_reset(user: PortalUser, secret: str, now: datetime) -> None:
    """E-mail a stored reset link to the account's address."""
    slug = Tenant.get(user.tenant_id, attributes_to_get=["slug"]).slug
    account_mail.send(
        "password_reset",
        user,
        to=user.email,
        link=f"{portals.page_url(slug, user.portal_id or '')}#reset={secret}",
        expires=now + RESET_TTL,
        name=user.name,
    )


_RESET_INVALID = "This link to set a password is not valid any more. Ask for a new one."


def confirm_reset(
    caller: Caller, data: schemas.PasswordResetConfirm, *, clock: Clock = utcnow
) -> schemas.Session:
    """Set a new password with a reset link; every other session of the account ends, and
    a new one starts in the same transaction (its event is `portal.password_reset`)."""
    now = clock()
    token = _reset_token(caller, data.token, now)
    elsewhere = (data.portal is not None and data.portal != token.portal_id) or (
        data.tenant is not None and tenant_id_for_slug(data.tenant) != token.tenant_id
    )
    if elsewhere:  # a link of another provider or portal, opened on this one's page
        ratelimit.fail(ratelimit.LINK_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(_RESET_INVALID)
    try:
        user = PortalUser.get(token.tenant_id, token.subject_id or "", consistent_read=True)
    except DoesNotExist:
        raise Unauthorized(_RESET_INVALID) from None
    passwords.check(data.password, user.email)
    epoch = int(token.epoch or 0)
    user.session_epoch = epoch + 1  # the new session lives from the epoch set here
    grant = current_grant(user)
    try:
        with Transaction() as tx:
            tx.update_unversioned(token, [Token.state.set("used")], Token.state == "open")
            tx.update_unversioned(
                user,
                [
                    PortalUser.password_hash.set(passwords.hash_password(data.password)),
                    PortalUser.password_changed_at.set(now),
                    PortalUser.session_epoch.set(epoch + 1),
                ],
                (PortalUser.session_epoch == epoch) & (PortalUser.portal_id == token.portal_id),
            )
            pair = sessions.start(tx, grant, now)
            events.record(
                tx,
                Actor(user.tenant_id, f"portal_user:{user.user_id}"),
                "portal.password_reset",
                user.user_id,
                object_type="portal_user",
                customer_id=user.customer_id,
                data={"portal_id": user.portal_id, "via": "link"},  # a new password set
                now=now,
            )
    except ConditionsFailed:
        raise Unauthorized(_RESET_INVALID) from None
    return session_of(pair)


def _reset_token(caller: Caller, secret: str, now: datetime) -> Token:
    token = credentials.redeem(
        secret, credentials.PASSWORD_RESET_PREFIX, credentials.PASSWORD_RESET_KIND
    )
    if token is None or token.state != "open":
        ratelimit.fail(ratelimit.LINK_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(_RESET_INVALID)
    if not token.is_live(now):
        raise Unauthorized(_RESET_INVALID)
    return token


# -- the administrator's colleagues ----------------------------------------------------------


def _people(tenant_id: str, customer_id: str, portal_id: str, **kwargs: Any) -> Any:
    """The accounts of one portal (a query over the customer's, filtered by portal)."""
    return PortalUser.query(
        tenant_id,
        PortalUser.user_key.startswith(PortalUser.prefix_for(customer_id)),
        filter_condition=PortalUser.portal_id == portal_id,
        **kwargs,
    )


def list_users(ctx: PortalContext) -> list[schemas.PortalUser]:
    """The portal's people (for its administrator)."""
    ctx.require_admin()
    people = _people(ctx.tenant_id, ctx.customer_id, ctx.portal_id, consistent_read=True)
    return [user_schema(u) for u in people]


def remove_user(ctx: PortalContext, user_id: str, *, clock: Clock = utcnow) -> None:
    """The administrator removes a colleague: the account and its sessions go at once."""
    ctx.require_admin()
    if user_id == ctx.user_id:
        raise Conflict("The administrator cannot remove themselves.")
    user = _load_user(ctx.tenant_id, ctx.customer_id, user_id, ctx.portal_id)
    _remove(user, ctx, clock())


def _load_user(tenant_id: str, customer_id: str, user_id: str, portal_id: str) -> PortalUser:
    key = PortalUser.key_for(customer_id, user_id)
    try:
        user = PortalUser.get(tenant_id, key, consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No portal user {user_id}.") from None
    if user.portal_id != portal_id:
        raise NotFound(f"No portal user {user_id}.")
    return user


def _remove(user: PortalUser, by: PortalContext | TenantContext, now: datetime) -> None:
    """Delete an account, its sign-in names and its place in its address's list; a removed
    administrator leaves the portal open for a new one (the next accepted provider link)."""
    try:
        with Transaction() as tx:
            forget_account(tx, user)
            if user.role == invitations.ADMIN:
                tx.update_unversioned(
                    Portal(user.tenant_id, user.customer_id),
                    [
                        Portal.status.set("invited"),
                        Portal.admin_user_id.remove(),
                        Portal.admin_name.remove(),
                        Portal.admin_email.remove(),
                        Portal.version.add(1),
                    ],
                    Portal.admin_user_id == user.user_id,
                )
            events.record(
                tx,
                by,
                "portal.user_removed",
                user.user_id,
                object_type="portal_user",
                customer_id=user.customer_id,
                data={"portal_id": user.portal_id, "role": user.role},
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The user changed meanwhile; try again.") from None


def forget_account(tx: Transaction, user: PortalUser) -> None:
    """Add the deletes of an account and its directory entries to a transaction."""
    tenant_id = user.tenant_id
    tx.delete(user, label="user")
    if user.sso_issuer and user.sso_subject:  # known by its issuer, not by its address
        key = DirectoryEntry.sso_key(tenant_id, user.customer_id, user.sso_issuer, user.sso_subject)
        tx.delete(DirectoryEntry(key))
        return
    login = DirectoryEntry.login_key(tenant_id, user.portal_id or "", user.email)
    tx.delete(DirectoryEntry(login))
    tx.update_unversioned(
        DirectoryEntry(DirectoryEntry.email_key(tenant_id, user.email)),
        [
            DirectoryEntry.user_keys.delete({user.user_key}),
            DirectoryEntry.tenant_id.set(tenant_id),
        ],
    )


# -- the provider's view of a customer's people ----------------------------------------------


def list_customer_users(
    ctx: TenantContext, customer_id: str, page: PageRequest
) -> Page[schemas.PortalUser]:
    """The people of the customer's portal, oldest first."""
    portal = portals.load_for_customer(ctx, customer_id).portal
    items, cursor = fetch_page(
        ctx,
        f"portal_users:{portal.portal_id}",
        page,
        lambda **kw: _people(ctx.tenant_id, customer_id, portal.portal_id, **kw),
    )
    return page_of(schemas.PortalUser)(items=[user_schema(u) for u in items], next_cursor=cursor)


def remove_customer_user(
    ctx: TenantContext, customer_id: str, user_id: str, *, clock: Clock = utcnow
) -> None:
    """The provider removes one of a customer's people (the administrator too)."""
    portal = portals.load_for_customer(ctx, customer_id).portal
    _remove(_load_user(ctx.tenant_id, customer_id, user_id, portal.portal_id), ctx, clock())


def reset_customer_user(
    ctx: TenantContext, customer_id: str, user_id: str, *, clock: Clock = utcnow
) -> schemas.PasswordResetSent:
    """The provider resets a person's password: the old password and every session stop
    working at once, and a link to set a new password (stored in the same transaction)
    goes to the person's address."""
    portal = portals.load_for_customer(ctx, customer_id).portal
    user = _load_user(ctx.tenant_id, customer_id, user_id, portal.portal_id)
    if user.password_hash is None and user.sso_issuer:
        raise Conflict("This person signs in through SSO and has no password to reset.")
    if suppression_of(user.email) is not None:  # before the password goes: nothing changes
        raise Suppressed(user.email)
    now = clock()
    read = int(user.session_epoch or 0)
    epoch = read + 1
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                user,
                [
                    PortalUser.password_hash.remove(),
                    PortalUser.session_epoch.set(epoch),
                    PortalUser.password_changed_at.set(now),
                ],
                # As read: a password set meanwhile (a newer epoch) is not silently kept.
                PortalUser.session_epoch == read,
            )
            secret = _reset_link(tx, user, epoch, now)
            events.record(
                tx,
                ctx,
                "portal.password_reset",
                user_id,
                object_type="portal_user",
                customer_id=customer_id,
                data={"portal_id": user.portal_id, "via": "provider"},  # removed, a link sent
                now=now,
            )
    except ConditionsFailed:
        raise Conflict("The person changed their password just now; reset again.") from None
    _mail_reset(user, secret, now)
    return schemas.PasswordResetSent(sent_to=user.email)


# -- previews --------------------------------------------------------------------------------


def start_preview(
    ctx: TenantContext, customer_id: str, *, clock: Clock = utcnow
) -> schemas.Preview:
    """A read-only portal session as the customer, carrying the provider as its actor. Only
    an API key or a team member can start one, so a preview can never start another; it ends
    when the key is revoked, the member removed, or the portal deleted."""
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
    with Transaction() as tx:  # the preview stores nothing: its event is the write
        events.record(
            tx,
            ctx,
            "portal.previewed",
            portal.portal_id,
            customer_id=customer_id,
            data={"expires_at": rfc3339(now + sessions.PREVIEW_TTL)},
            now=now,
        )
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    url = f"{portals.page_url(slug, portal.portal_id)}#session={pair.access_token}"
    return schemas.Preview(url=url, expires_at=rfc3339(now + sessions.PREVIEW_TTL))


# -- a portal taken away ---------------------------------------------------------------------

# Accounts deleted per transaction (each is up to four items).
_ACCOUNTS_PER_TRANSACTION = 20


def delete_portal(ctx: TenantContext, customer_id: str, *, if_match: int | None = None) -> None:
    """Take the customer's portal away, and everything in it: its sessions end at once (the
    portal's id is part of every session), its open links are withdrawn, its accounts and
    SSO issuers are deleted. A portal given again later starts empty. The request's one
    event is `portal.deleted`, in the portal's own transaction; the clean-up after it
    records none (the event says all of it goes)."""
    portal = portals.delete(ctx, customer_id, if_match=if_match)
    invitations.withdraw_open(ctx, customer_id)
    sso.forget_customer(ctx, customer_id)
    users = list(_people(ctx.tenant_id, customer_id, portal.portal_id, consistent_read=True))
    for start in range(0, len(users), _ACCOUNTS_PER_TRANSACTION):
        batch = users[start : start + _ACCOUNTS_PER_TRANSACTION]
        try:
            with Transaction() as tx:
                for user in batch:
                    forget_account(tx, user)
        except ConditionsFailed:  # one changed meanwhile: the others go one by one
            for user in batch:
                # One changed again stays behind, unreachable: it names the old portal.
                with suppress(ConditionsFailed), Transaction() as tx:
                    forget_account(tx, user)
