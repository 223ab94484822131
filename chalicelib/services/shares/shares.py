"""Partner shares of tracking data: the only path from one tenant's data to another's.

A share is written twice in one transaction: on the sender's side (`Share`) and on the
partner's (`ReceivedShare`), so that the partner finds its grants in its own partition and a
revocation changes both at once. Every read of shared data goes through `read_assets`, which
checks the grant (consistently), writes the access-log entry, and only then reads the assets:
if the log cannot be written, nothing is read.

Every change records its event (`share.created`, `share.revoked`, `share.read`,
`share.shipment_number_set`) in its own transaction, always in the sender's tenant: the
share and its access log are the sender's. What the partner does is recorded like its
access-log entry: the actor is the partner organisation by its public id
(`partner:{public_id}`, never its internal tenant id), and the data names the partner's key
(`partner_key`, as the access log names it: `api_key:key_...` or a tracking session's
`api_key:trk_...`), so the sender sees which organisation did it and which of its keys to
ask about, and the partner's own event list holds nothing of the sender's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from pynamodb.exceptions import DoesNotExist

from chalicelib.clock import Clock, utcnow
from chalicelib.errors import FieldError, Forbidden, Invalid, NotFound
from chalicelib.ids import new_id
from chalicelib.models import AccessLogEntry, Asset, DirectoryEntry, ReceivedShare, Share, Tenant
from chalicelib.schemas import shares as schemas
from chalicelib.schemas.common import Page, page_of, rfc3339
from chalicelib.services.platform import api_keys, events
from chalicelib.services.platform.pagination import PageRequest, fetch_page
from chalicelib.services.platform.storage import (
    ConditionsFailed,
    Transaction,
    batch_get,
    load_owned,
)
from chalicelib.services.shares import access_log
from chalicelib.settings import get_settings
from chalicelib.tenancy import TRACKING_SESSION, Actor, TenantContext

# A tracking session is a short-lived key of its own: it reads, and sets shipment numbers.
TRACKING_SCOPES = {"read", "tracking", TRACKING_SESSION}


def _status(live: bool, status: str) -> schemas.ShareStatus:
    if status == "revoked":
        return "revoked"
    return "active" if live else "expired"


def share_out(item: Share, now: datetime) -> schemas.Share:
    """The sender's view of a share."""
    return schemas.Share(
        id=item.share_id,
        name=item.name,
        partner_tenant_id=item.partner_public_id,
        contact_email=item.contact_email,
        asset_ids=[str(a) for a in item.asset_ids],
        status=_status(item.is_live(now), item.status),
        expires_at=rfc3339(item.expires_at) if item.expires_at else None,
        revoked_at=rfc3339(item.revoked_at) if item.revoked_at else None,
        created_at=rfc3339(item.created_at),
    )


def received_out(item: ReceivedShare, now: datetime) -> schemas.ReceivedShare:
    """The partner's view of a share."""
    return schemas.ReceivedShare(
        id=item.share_id,
        name=item.name,
        sender_tenant_id=item.sender_public_id,
        sender_name=item.sender_name,
        contact_email=item.contact_email,
        asset_count=len(item.asset_ids),
        status=_status(item.is_live(now), item.status),
        expires_at=rfc3339(item.expires_at) if item.expires_at else None,
        created_at=rfc3339(item.created_at),
    )


def _partner(ctx: TenantContext, public_id: str) -> Tenant:
    try:
        entry = DirectoryEntry.get(DirectoryEntry.public_id_key(public_id), consistent_read=True)
    except DoesNotExist:
        raise Invalid.field("partner_tenant_id", "no organisation has this public id") from None
    if entry.tenant_id == ctx.tenant_id:
        raise Invalid.field("partner_tenant_id", "a share goes to another organisation")
    return Tenant.get(entry.tenant_id, consistent_read=True)


def create(
    ctx: TenantContext, data: schemas.ShareCreate, *, clock: Clock = utcnow
) -> schemas.Share:
    """Share assets of the caller's tenant with a partner tenant."""
    now = clock()
    errors = []
    if data.expires_at is not None and data.expires_at <= now:
        errors.append(FieldError("expires_at", "must be in the future"))
    if len(set(data.asset_ids)) != len(data.asset_ids):
        errors.append(FieldError("asset_ids", "names an asset twice"))
    found = batch_get(
        [(Tenant, ctx.tenant_id, None), *((Asset, ctx.tenant_id, a) for a in data.asset_ids)]
    )
    sender, assets = cast(Tenant, found[0]), cast("list[Asset | None]", found[1:])
    errors += [
        FieldError(f"asset_ids.{i}", "no such asset") for i, a in enumerate(assets) if a is None
    ]
    if errors:
        raise Invalid(f"{len(errors)} field(s) are invalid.", errors=errors)
    partner = _partner(ctx, data.partner_tenant_id)
    share_id = new_id("shr")
    common: dict[str, Any] = {
        "partner_public_id": partner.public_id,
        "sender_public_id": sender.public_id,
        "contact_email": data.contact_email,
        "name": data.name,
        "asset_ids": list(data.asset_ids),
        "expires_at": data.expires_at,
        "created_at": now,
    }
    share = Share(
        ctx.tenant_id,
        share_id,
        partner_tenant_id=partner.tenant_id,
        created_by=ctx.actor,
        **common,
    )
    received = ReceivedShare(
        partner.tenant_id,
        share_id,
        sender_tenant_id=ctx.tenant_id,
        sender_name=sender.name,
        asset_names={a.asset_id: a.name for a in assets if a is not None},
        shipment_numbers={},
        **common,
    )
    with Transaction() as tx:
        tx.save(share, condition=Share.share_id.does_not_exist())
        tx.save(received, condition=ReceivedShare.share_id.does_not_exist())
        events.record(
            tx,
            ctx,
            "share.created",
            share_id,
            data={
                "partner_tenant_id": partner.public_id,
                "asset_ids": list(data.asset_ids),
                "expires_at": rfc3339(data.expires_at) if data.expires_at else None,
            },
            now=now,
        )
    return share_out(share, now)


def list_shares(ctx: TenantContext, page: PageRequest) -> Page[schemas.Share]:
    """The shares the caller's tenant granted, oldest first."""
    items, cursor = fetch_page(ctx, "shares", page, lambda **kw: Share.query(ctx.tenant_id, **kw))
    now = utcnow()
    return page_of(schemas.Share)(items=[share_out(i, now) for i in items], next_cursor=cursor)


def load(ctx: TenantContext, share_id: str) -> Share:
    """A share the caller's tenant granted; 404 otherwise."""
    return load_owned(Share, ctx, share_id, "share")


def get(ctx: TenantContext, share_id: str) -> schemas.Share:
    """One granted share."""
    return share_out(load(ctx, share_id), utcnow())


def revoke(ctx: TenantContext, share_id: str, *, clock: Clock = utcnow) -> None:
    """Revoke a share: both sides change in one transaction with its event, and the next
    read fails. Revoking a revoked share changes nothing and still answers, and records, as
    a revocation (one event per successful request, as for keys and sessions)."""
    share = load(ctx, share_id)
    now = clock()
    if share.status != "revoked":
        received = ReceivedShare(share.partner_tenant_id, share_id)
        try:
            with Transaction() as tx:
                tx.update(
                    share,
                    [Share.status.set("revoked"), Share.revoked_at.set(now)],
                    label="share",
                )
                tx.update_unversioned(
                    received,
                    [ReceivedShare.status.set("revoked"), ReceivedShare.revoked_at.set(now)],
                    ReceivedShare.share_id.exists(),
                )
                _revoked(tx, ctx, share, now)
            return
        except ConditionsFailed:  # revoked by a concurrent request: the same outcome
            if load(ctx, share_id).status != "revoked":
                raise
    with Transaction() as tx:
        _revoked(tx, ctx, share, now)


def _revoked(tx: Transaction, ctx: TenantContext, share: Share, now: datetime) -> None:
    events.record(
        tx,
        ctx,
        "share.revoked",
        share.share_id,
        data={"partner_tenant_id": share.partner_public_id},
        now=now,
    )


# -- the partner's side ----------------------------------------------------------------------


def list_received(ctx: TenantContext, page: PageRequest) -> Page[schemas.ReceivedShare]:
    """The shares granted to the caller's tenant, oldest first (revoked ones included)."""
    items, cursor = fetch_page(
        ctx, "received_shares", page, lambda **kw: ReceivedShare.query(ctx.tenant_id, **kw)
    )
    now = utcnow()
    return page_of(schemas.ReceivedShare)(
        items=[received_out(i, now) for i in items], next_cursor=cursor
    )


def load_received(ctx: TenantContext, share_id: str) -> ReceivedShare:
    """A share granted to the caller's tenant (consistent read); 404 otherwise."""
    return load_owned(ReceivedShare, ctx, share_id, "share")


def get_received(ctx: TenantContext, share_id: str) -> schemas.ReceivedShare:
    """One received share."""
    return received_out(load_received(ctx, share_id), utcnow())


def _live_grant(ctx: TenantContext, share_id: str, now: datetime) -> ReceivedShare:
    grant = load_received(ctx, share_id)
    if grant.status == "revoked":
        raise Forbidden("This share was revoked by its sender.")
    if not grant.is_live(now):
        raise Forbidden("This share has ended.")
    return grant


def _partner_acting(grant: ReceivedShare) -> Actor:
    """The partner as the sender's events name it: in the sender's tenant (like the
    access-log entry), by the partner's public id."""
    return Actor(grant.sender_tenant_id, f"partner:{grant.partner_public_id}")


def _partner_data(
    ctx: TenantContext, grant: ReceivedShare, entry: AccessLogEntry
) -> dict[str, Any]:
    """What every event of the partner's says: who (organisation and key), how, and the
    access-log entry that holds the details."""
    return {
        "partner_tenant_id": grant.partner_public_id,
        "partner_key": ctx.actor,
        "channel": entry.channel,
        "access_log_entry_id": entry.entry_id,
    }


def channel_of(ctx: TenantContext) -> str:
    """`page` for the tracking page's sessions, `api` for API keys."""
    return "page" if ctx.is_tracking_session else "api"


def _position(item: Asset) -> schemas.Position | None:
    if item.last_event_at is None:
        return None
    return schemas.Position(
        time=rfc3339(item.last_event_at), lat=item.last_lat, lon=item.last_lon, status=item.status
    )


def read_assets(
    ctx: TenantContext, share_id: str, *, clock: Clock = utcnow
) -> schemas.SharedAssets:
    """The shared assets with their last positions. The grant is read (1), the log entry
    and the `share.read` event written (1 TransactWriteItems), and only then the assets are
    read (1); a failed log write fails the read."""
    now = clock()
    grant = _live_grant(ctx, share_id, now)
    names = grant.asset_names.as_dict() if grant.asset_names else {}  # type: ignore[no-untyped-call]
    numbers = grant.shipment_numbers.as_dict() if grant.shipment_numbers else {}  # type: ignore[no-untyped-call]
    asset_ids = [str(a) for a in grant.asset_ids]
    entry = access_log.new_entry(
        grant,
        kind="read",
        channel=channel_of(ctx),
        actor=ctx.actor,
        assets=[(a, names.get(a, a), numbers.get(a)) for a in asset_ids],
        now=now,
    )
    with Transaction() as tx:  # any failure propagates: no entry, no read
        access_log.record(tx, entry)
        events.record(
            tx,
            _partner_acting(grant),
            "share.read",
            share_id,
            data={**_partner_data(ctx, grant, entry), "asset_ids": asset_ids},
            now=now,
        )
    found = batch_get([(Asset, grant.sender_tenant_id, a) for a in asset_ids])
    items = [
        schemas.SharedAsset(
            id=item.asset_id,
            name=item.name,
            kind=item.kind,
            serial_number=item.serial_number,
            last_position=_position(item),
            shipment_number=numbers.get(item.asset_id),
        )
        for item in cast("list[Asset | None]", found)
        if item is not None
    ]
    return schemas.SharedAssets(share_id=share_id, items=items, logged_as=entry.entry_id)


def set_shipment_number(
    ctx: TenantContext,
    share_id: str,
    asset_id: str,
    data: schemas.ShipmentNumberPut,
    *,
    clock: Clock = utcnow,
) -> schemas.ShipmentNumberSet:
    """Attach the partner's shipment number to a shared asset; the sender sees it in the
    log (and may revoke the share on misuse)."""
    now = clock()
    grant = _live_grant(ctx, share_id, now)
    if asset_id not in [str(a) for a in grant.asset_ids]:
        raise NotFound(f"No asset {asset_id} in this share.")
    names = grant.asset_names.as_dict() if grant.asset_names else {}  # type: ignore[no-untyped-call]
    entry = access_log.new_entry(
        grant,
        kind="shipment_number",
        channel=channel_of(ctx),
        actor=ctx.actor,
        assets=[(asset_id, names.get(asset_id, asset_id), data.shipment_number)],
        now=now,
    )
    numbers = cast(Any, ReceivedShare.shipment_numbers)
    with Transaction() as tx:
        tx.update_unversioned(
            grant,
            [numbers[asset_id].set(data.shipment_number)],
            (ReceivedShare.status == "active"),
        )
        access_log.record(tx, entry)
        events.record(
            tx,
            _partner_acting(grant),
            "share.shipment_number_set",
            share_id,
            data={
                **_partner_data(ctx, grant, entry),
                "asset_id": asset_id,
                "shipment_number": data.shipment_number,
            },
            now=now,
        )
    return schemas.ShipmentNumberSet(
        share_id=share_id, asset_id=asset_id, shipment_number=data.shipment_number
    )


# -- tracking sessions -----------------------------------------------------------------------


def tracking_session(
    ctx: TenantContext, data: schemas.TrackingSessionCreate, *, clock: Clock = utcnow
) -> schemas.TrackingSession:
    """A short-lived key for the tracking page, in the fragment of the page's address: it
    reads the tenant's own assets and its received shares, and sets shipment numbers. It is
    listed and revocable, and ends with the key that made it."""
    if ctx.is_tracking_session:  # a session never makes the next one: it ends
        raise Forbidden("A tracking session cannot start another.")
    now = clock()
    expires = (now + timedelta(minutes=data.minutes)).replace(microsecond=0)
    session_id, secret = api_keys.start_tracking_session(ctx, TRACKING_SCOPES, expires, clock=clock)
    slug = Tenant.get(ctx.tenant_id, attributes_to_get=["slug"]).slug
    query = f"?language={data.language}" if data.language else ""
    url = f"{get_settings().public_base_url}/p/{slug}/tracking{query}#session={secret}"
    return schemas.TrackingSession(id=session_id, url=url, expires_at=rfc3339(expires))
