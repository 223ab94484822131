"""Invitation links into a portal, and the accounts they create.

A link's secret lives only in its URL fragment and as a digest (a `Token` that carries
everything accepting needs: tenant, customer, portal, apps, role, e-mail), so accepting is
one read and one transaction: the link is spent, the account, its e-mail and its first
session are created, and, for the portal's first person, the portal turns `active` with
them as administrator, all conditioned so that racing requests cannot do any of it twice.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib import credentials
from chalicelib.clock import Clock, utcnow
from chalicelib.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PortwayError,
    Unauthorized,
    Unavailable,
)
from chalicelib.ids import new_id
from chalicelib.models import (
    ApiKey,
    DirectoryEntry,
    Invitation,
    Portal,
    PortalTemplate,
    PortalUser,
    SelfServiceSettings,
    Tenant,
    Token,
)
from chalicelib.schemas import portal_access as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.fleet import customers
from chalicelib.services.platform import events, passwords, ratelimit
from chalicelib.services.platform.outbound_mail import Suppressed, in_language
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import ConditionsFailed, Transaction
from chalicelib.services.portals import account_mail, portals, sessions
from chalicelib.settings import get_settings
from chalicelib.tenancy import Actor, Caller, PortalContext, TenantContext

INVITES_PER_PORTAL = ratelimit.Limit("invites-portal", 50, timedelta(days=1))
INVITES_PER_ADDRESS = ratelimit.Limit("invites-address", 3, timedelta(days=1))
ADMIN, USER = "portal_admin", "portal_user"


def _url(slug: str, portal_id: str, secret: str) -> str:
    # The secret rides in the fragment: browsers never send it, so no log or Referer has it.
    base = get_settings().public_base_url
    return f"{base}/p/{slug}/invite?portal={portal_id}#token={secret}"


def _out(item: Invitation, now: datetime) -> schemas.Invitation:
    status = item.status
    if status == "open" and item.expires_at <= now:
        status = "expired"
    return schemas.Invitation(
        id=item.invitation_id,
        customer_id=item.customer_id,
        email=item.email,
        role=cast("Any", item.role),
        status=cast("Any", status),
        created_at=rfc3339(item.created_at),
        expires_at=rfc3339(item.expires_at),
    )


def _slot(tenant_id: str, customer_id: str, email: str | None) -> str:
    # One open link per person and portal: the slot names it, and every new link moves the
    # slot on under a condition, so two links made at once cannot both stay open.
    return Token.named_digest("invitation-slot", tenant_id, customer_id, email or "")


def _previous(tenant_id: str, customer_id: str, slot: str) -> tuple[str | None, Invitation | None]:
    try:
        current = Token.get(slot, consistent_read=True).subject_id
    except DoesNotExist:
        return None, None
    try:
        item = Invitation.get(
            tenant_id, Invitation.key_for(customer_id, current or ""), consistent_read=True
        )
    except DoesNotExist:
        return current, None
    return current, item


def _issue(
    by: TenantContext | PortalContext,
    portal: Portal,
    apps: list[str],
    email: str | None,
    role: str,
    days: int,
    now: datetime,
) -> schemas.InvitationCreated:
    """Store a new link; an open link for the same person is spent by it."""
    tenant_id, actor = by.tenant_id, by.actor
    secret = credentials.mint(credentials.INVITATION_PREFIX)
    token_digest = credentials.digest_of(secret)
    invitation_id = new_id("inv")
    expires = now + timedelta(days=days)
    item = Invitation(
        tenant_id,
        Invitation.key_for(portal.customer_id, invitation_id),
        invitation_id=invitation_id,
        customer_id=portal.customer_id,
        portal_id=portal.portal_id,
        email=email,
        role=role,
        status="open",
        token_digest=token_digest,
        created_by=actor,
        created_at=now,
        expires_at=expires,
    )
    token = Token(
        token_digest,
        kind=credentials.INVITATION_KIND,
        tenant_id=tenant_id,
        subject_id=invitation_id,
        customer_id=portal.customer_id,
        portal_id=portal.portal_id,
        template_id=portal.template_id,
        apps=list(apps),
        source_id=actor,  # a link works only while whoever made it still may
        email=email,
        role=role,
        state="open",
        created_at=now,
        expires_at=expires,
    )
    slot = _slot(tenant_id, portal.customer_id, email)
    current, previous = _previous(tenant_id, portal.customer_id, slot)
    try:
        with Transaction() as tx:
            tx.save(item, condition=Invitation.invitation_key.does_not_exist())
            tx.save(token, condition=Token.digest.does_not_exist())
            tx.update_unversioned(
                Token(slot),
                [
                    Token.subject_id.set(invitation_id),
                    Token.kind.set("invitation_slot"),
                    Token.tenant_id.set(tenant_id),
                    Token.created_at.set(now),
                ],
                Token.digest.does_not_exist() if current is None else Token.subject_id == current,
                label="slot",
            )
            replaced = None
            if previous is not None and previous.status == "open":
                replaced = previous.invitation_id
                tx.update_unversioned(
                    previous, [Invitation.status.set("replaced")], Invitation.status == "open"
                )
                tx.update_unversioned(
                    Token(previous.token_digest),
                    [Token.state.set("replaced")],
                    Token.state == "open",
                )
            events.record(
                tx,
                by,
                "portal.invitation_created",
                invitation_id,
                object_type="invitation",
                customer_id=portal.customer_id,
                data={
                    "portal_id": portal.portal_id,
                    "email": email,  # the address invited: what the event is about
                    "role": role,
                    "expires_at": rfc3339(expires),
                    "replaced": replaced,  # the open link this one spent
                },
                now=now,
            )
    except ConditionsFailed:
        raise Conflict(
            "Another link for this person was made or used at this moment; try again."
        ) from None
    slug = Tenant.get(tenant_id, attributes_to_get=["slug"]).slug
    return schemas.InvitationCreated(
        id=invitation_id,
        url=_url(slug, portal.portal_id, secret),
        email=email,
        role=cast("Any", role),
        expires_at=rfc3339(expires),
    )


def create(
    ctx: TenantContext, customer_id: str, data: schemas.InvitationCreate, *, clock: Clock = utcnow
) -> schemas.InvitationCreated:
    """A provider invites someone into a customer's portal: while nobody has taken the
    portal over, whoever accepts first becomes its administrator. With `send`, Portway
    e-mails the link to the address as well."""
    portal, apps, _ = portals.load_for_customer(ctx, customer_id)
    role = ADMIN if portal.status == "invited" else USER
    email = data.email.lower() if data.email else None
    created = _issue(ctx, portal, apps, email, role, data.expires_in_days, clock())
    if data.language:
        created.url = in_language(created.url, data.language)
    if data.send and email:
        _send(ctx, portal, created, inviter=None, language=data.language)
        created.sent_to = email
    return created


def invite_colleague(
    ctx: PortalContext, data: schemas.ColleagueInvite, *, clock: Clock = utcnow
) -> schemas.ColleagueInvitation:
    """The portal administrator invites a colleague (never another administrator). The link
    goes to the colleague's address only: nobody can take an address with a link that was
    not sent to it."""
    ctx.require_admin()
    found = portals.current(ctx)
    if found is None:
        raise NotFound("The portal no longer exists.")
    portal, apps, _ = found
    email = data.email.lower()
    # Portway sends these mails in the provider's name: never a relay for anyone's mail.
    ratelimit.spend(INVITES_PER_PORTAL, portal.portal_id)
    ratelimit.spend(INVITES_PER_ADDRESS, f"{portal.portal_id}\0{email}")
    created = _issue(ctx, portal, apps, email, USER, data.expires_in_days, clock())
    inviter = PortalUser.get(ctx.tenant_id, ctx.user_key, attributes_to_get=["name"]).name
    _send(ctx, portal, created, inviter=inviter, language=data.language)
    return schemas.ColleagueInvitation(
        id=created.id,
        email=email,
        role=created.role,
        expires_at=created.expires_at,
        sent_to=email,
    )


def _send(
    by: TenantContext | PortalContext,
    portal: Portal,
    created: schemas.InvitationCreated,
    *,
    inviter: str | None,
    language: str | None,
) -> None:
    """E-mail a new link to its address; a link that could not be sent is withdrawn (its
    creation was recorded, so is its withdrawal: `portal.invitation_revoked`, not sent)."""
    try:
        account_mail.send(
            "invitation",
            portal,
            to=created.email or "",
            link=created.url,
            expires=datetime.fromisoformat(created.expires_at.replace("Z", "+00:00")),
            inviter=inviter,
            language=language,
        )
    except (Unavailable, Suppressed):
        with suppress(PortwayError, PynamoDBException):
            _withdraw(by, portal.customer_id, created.id, utcnow(), reason="not_sent")
        raise


def list_invitations(
    ctx: TenantContext, customer_id: str, page: PageRequest, *, clock: Clock = utcnow
) -> Page[schemas.Invitation]:
    """A customer's invitations, oldest first (never their secrets), also those of a portal
    that was deleted."""
    customers.load(ctx, customer_id)
    prefix = Invitation.prefix_for(customer_id)
    items, cursor = fetch_page(
        ctx,
        f"invitations:{customer_id}",
        page,
        lambda **kw: Invitation.query(
            ctx.tenant_id, Invitation.invitation_key.startswith(prefix), **kw
        ),
    )
    now = clock()
    return page_of(schemas.Invitation)(items=[_out(i, now) for i in items], next_cursor=cursor)


def revoke(
    ctx: TenantContext, customer_id: str, invitation_id: str, *, clock: Clock = utcnow
) -> None:
    """Revoke an open link; it stops working at once."""
    try:
        item = Invitation.get(
            ctx.tenant_id, Invitation.key_for(customer_id, invitation_id), consistent_read=True
        )
    except DoesNotExist:
        raise NotFound(f"No invitation {invitation_id}.") from None
    if item.status != "open":
        raise Conflict(f"The invitation is {item.status} already.")
    try:
        _withdraw(ctx, customer_id, invitation_id, clock(), item=item, reason="revoked")
    except ConditionsFailed:
        raise Conflict("The invitation was used or revoked meanwhile.") from None


def _withdraw(
    by: TenantContext | PortalContext,
    customer_id: str,
    invitation_id: str,
    now: datetime,
    *,
    item: Invitation | None = None,
    reason: str | None,
) -> None:
    """Mark an open link revoked, with its token, in one transaction; with a reason, its
    event (`portal.invitation_revoked`) too. Without one it is part of a change recorded
    elsewhere (a deleted portal's links)."""
    tenant_id = by.tenant_id
    if item is None:
        item = Invitation.get(
            tenant_id, Invitation.key_for(customer_id, invitation_id), consistent_read=True
        )
    with Transaction() as tx:
        tx.update_unversioned(item, [Invitation.status.set("revoked")], Invitation.status == "open")
        tx.update_unversioned(
            Token(item.token_digest), [Token.state.set("revoked")], Token.state == "open"
        )
        if reason is not None:
            events.record(
                tx,
                by,
                "portal.invitation_revoked",
                invitation_id,
                object_type="invitation",
                customer_id=customer_id,
                data={"portal_id": item.portal_id, "reason": reason},
                now=now,
            )


def withdraw_open(ctx: TenantContext, customer_id: str, *, clock: Clock = utcnow) -> int:
    """Revoke every open link of a customer (its portal was deleted); how many. These
    transactions record no events: the request's one event is `portal.deleted`."""
    prefix = Invitation.prefix_for(customer_id)
    count = 0
    for item in Invitation.query(
        ctx.tenant_id,
        Invitation.invitation_key.startswith(prefix),
        filter_condition=Invitation.status == "open",
        consistent_read=True,
    ):
        with suppress(ConditionsFailed):  # used or revoked meanwhile: closed either way
            _withdraw(ctx, customer_id, item.invitation_id, clock(), item=item, reason=None)
            count += 1
    return count


_NOT_VALID = "This invitation link is not valid. Ask for a new one."


def _used() -> Conflict:
    return Conflict(
        "This invitation link was used already; sign in instead.", extra={"reason": "used"}
    )


_WITHDRAWN = "This invitation link has expired or was withdrawn. Ask for a new one."


def _link(caller: Caller, secret: str, now: datetime) -> Token:
    """The link's token, or the reason it cannot be used (failures count per address)."""
    token = credentials.redeem(secret, credentials.INVITATION_PREFIX, credentials.INVITATION_KIND)
    if token is None:
        ratelimit.fail(ratelimit.LINK_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(_NOT_VALID)
    if token.state == "used":
        raise _used()
    if token.state != "open" or not token.is_live(now):
        ratelimit.fail(ratelimit.LINK_PER_ADDRESS, caller.source_ip)
        raise Unauthorized(_WITHDRAWN)
    return token


def check(
    caller: Caller, data: schemas.InvitationCheck, *, clock: Clock = utcnow
) -> schemas.InvitationLink:
    """Whether a link can still be used, and the address it is for: the page asks when it
    opens, before anyone fills in a form (the same answers, and failure counts, as
    accepting)."""
    token = _link(caller, data.token, clock())
    terms = _terms_links(token.tenant_id)
    return schemas.InvitationLink(
        email=token.email,
        role=cast("Any", token.role or USER),
        expires_at=rfc3339(token.expires_at),
        terms_url=terms.tac,
        privacy_url=terms.dpp,
    )


class _TermsUrls(msgspec.Struct, frozen=True):
    tac: str | None = None
    dpp: str | None = None


class _TermsOfSettings(msgspec.Struct, frozen=True):
    urls: _TermsUrls = _TermsUrls()


def _terms_links(tenant_id: str) -> _TermsUrls:
    """The provider's terms and privacy addresses (its self-service settings' `tac` and
    `dpp`), which an account is created under."""
    try:
        item = SelfServiceSettings.get(tenant_id, attributes_to_get=["document"])
    except DoesNotExist:
        return _TermsUrls()
    return msgspec.json.decode(item.document, type=_TermsOfSettings).urls


def accept(
    caller: Caller, data: schemas.InvitationAccept, *, clock: Clock = utcnow
) -> schemas.AcceptedInvitation:
    """Create the account an invitation link allows, and sign it in."""
    now = clock()
    token = _link(caller, data.token, now)
    email = data.email.lower()
    if token.email and token.email != email:
        raise Forbidden("This invitation is for another e-mail address.")
    passwords.check(data.password, email)
    password_hash = passwords.hash_password(data.password)
    shown = _Shown(token.template_id, [str(a) for a in token.apps or []])
    role = token.role or USER
    for _ in range(_ATTEMPTS):
        try:
            return _create_account(token, email, data.name, password_hash, role, shown, now)
        except _PortalChanged:
            # The portal changed since the link was made (its apps, or someone became its
            # administrator a moment ago): look again and join it as it is now.
            found = portals.current(token)
            if found is None:
                # The portal this link was made for was deleted (perhaps given again).
                raise Unauthorized(_WITHDRAWN) from None
            shown = _Shown(found.portal.template_id, found.apps)
            if found.portal.status != "invited":
                role = USER
    raise Conflict("The portal is changing right now; try again.")


_ATTEMPTS = 3


class _Shown(msgspec.Struct, frozen=True):
    """What the portal showed when it was read: its template (or none) and its apps."""

    template_id: str | None
    apps: list[str]


class _PortalChanged(Exception):
    """The portal is not as the acceptance read it."""


def _create_account(
    token: Token,
    email: str,
    name: str,
    password_hash: str,
    role: str,
    shown: _Shown,
    now: datetime,
) -> schemas.AcceptedInvitation:
    tenant_id, customer_id = token.tenant_id, token.customer_id or ""
    portal_id = token.portal_id or ""
    user_id = new_id("usr")
    user = PortalUser(
        tenant_id,
        PortalUser.key_for(customer_id, user_id),
        user_id=user_id,
        customer_id=customer_id,
        portal_id=portal_id,
        email=email,
        name=name,
        role=role,
        session_epoch=0,
        password_hash=password_hash,
        password_changed_at=now,
        terms_accepted_at=now,
        created_at=now,
    )
    grant = sessions.grant_for(user, portal_id, shown.apps, None)
    try:
        with Transaction() as tx:
            tx.update_unversioned(
                token, [Token.state.set("used")], Token.state == "open", label="link"
            )
            add_account(tx, user, label="login")
            _join_portal(tx, tenant_id, customer_id, portal_id, user, role, shown)
            _creator_still_may(tx, token)
            tx.update_unversioned(
                Invitation(tenant_id, Invitation.key_for(customer_id, token.subject_id or "")),
                [Invitation.status.set("used"), Invitation.used_by.set(user_id)],
                Invitation.invitation_id.exists(),
            )
            pair = sessions.start(tx, grant, now)
            events.record(
                tx,
                Actor(tenant_id, f"portal_user:{user_id}"),
                "portal.invitation_accepted",
                token.subject_id,
                object_type="invitation",
                customer_id=customer_id,
                data={"portal_id": portal_id, "user_id": user_id, "role": role},
                now=now,
            )
    except ConditionsFailed as exc:
        if "link" in exc.labels:
            raise _spent(token) from None
        if "creator" in exc.labels:
            raise Unauthorized(_WITHDRAWN) from None
        if exc.labels & {"portal", "apps"}:
            raise _PortalChanged from None
        if "login" in exc.labels:
            raise Conflict(
                "There is an account with this e-mail in this portal already; sign in.",
                extra={"reason": "account_exists"},
            ) from None
        raise NotFound("The portal no longer exists.") from None
    return schemas.AcceptedInvitation(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token or "",
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=pair.expires_in,
        user=user_schema(user),
    )


def _spent(token: Token) -> Exception:
    """Why a link that was open a moment ago cannot be used now."""
    state = Token.get(token.digest, consistent_read=True).state
    if state == "used":
        return _used()
    return Unauthorized(_WITHDRAWN)


def _creator_still_may(tx: Transaction, token: Token) -> None:
    """Condition the acceptance on the link's maker: an API key not revoked since, or a
    portal administrator still administering this portal. Access derived from them dies
    with them, links included."""
    kind, _, maker = (token.source_id or "").partition(":")
    if kind == "api_key":
        live = ApiKey.key_id.exists() & ApiKey.revoked_at.does_not_exist()
        tx.check(ApiKey, token.tenant_id, maker, live, label="creator")
    elif kind == "portal_user":
        key = PortalUser.key_for(token.customer_id or "", maker)
        admin = (PortalUser.role == ADMIN) & (PortalUser.portal_id == token.portal_id)
        tx.check(PortalUser, token.tenant_id, key, admin, label="creator")


def add_account(tx: Transaction, user: PortalUser, *, label: str) -> None:
    """Store a new account with its sign-in name (unique in its portal: `label` fails when
    the address has an account there) and its entry in the address's list of accounts."""
    tx.save(user, condition=PortalUser.user_key.does_not_exist())
    login = DirectoryEntry(
        DirectoryEntry.login_key(user.tenant_id, user.portal_id or "", user.email),
        tenant_id=user.tenant_id,
        user_key=user.user_key,
    )
    tx.save(login, condition=DirectoryEntry.key.does_not_exist(), label=label)
    tx.update_unversioned(
        DirectoryEntry(DirectoryEntry.email_key(user.tenant_id, user.email)),
        [
            DirectoryEntry.tenant_id.set(user.tenant_id),
            DirectoryEntry.user_keys.add({user.user_key}),
        ],
    )


def _join_portal(
    tx: Transaction,
    tenant_id: str,
    customer_id: str,
    portal_id: str,
    user: PortalUser,
    role: str,
    shown: _Shown,
) -> None:
    """Condition the account on the portal being the one the link was made for, as read
    (its template or its own apps, and the template's apps), and make the first person its
    administrator."""
    same = Portal.portal_id == portal_id
    if shown.template_id:
        as_read = same & (Portal.template_id == shown.template_id)
        tx.check(
            PortalTemplate,
            tenant_id,
            shown.template_id,
            PortalTemplate.apps == shown.apps,
            label="apps",
        )
    else:
        as_read = same & Portal.template_id.does_not_exist() & (Portal.apps == shown.apps)
    if role != ADMIN:
        tx.check(Portal, tenant_id, customer_id, as_read, label="portal")
        return
    tx.update_unversioned(
        Portal(tenant_id, customer_id),
        [
            Portal.status.set("active"),
            Portal.admin_user_id.set(user.user_id),
            Portal.admin_name.set(user.name),
            Portal.admin_email.set(user.email),
            Portal.version.add(1),  # a provider's PUT based on the portal before this fails
        ],
        (Portal.status == "invited") & as_read,
        label="portal",
    )


def user_schema(user: PortalUser) -> schemas.PortalUser:
    """The API shape of a portal user."""
    return schemas.PortalUser(
        id=user.user_id,
        email=user.email,
        name=user.name,
        role=cast("Any", user.role),
        sso_issuer=user.sso_issuer,
        created_at=rfc3339(user.created_at),
    )
