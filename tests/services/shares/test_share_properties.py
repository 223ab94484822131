"""Property test: any sequence of share, read, shipment number, revoke, wait and read again
keeps the promises of a share (SECURITY.md, "Data never lost"):

- a read (or a shipment number) succeeds exactly while the share is active: never after
  its revocation, never after its end;
- every successful read and every shipment number set adds exactly one entry to the log,
  and a refused one adds none;
- the log is complete and in time order, the same on both sides;
- the partner only ever sees the devices that were shared, and nobody else sees anything;
- every successful request (share, revocation, repeated revocation, read, shipment number)
  records exactly one event in the sender's tenant, a refused one none, and each read's and
  shipment number's event names its log entry; the partner's tenant holds none.

The services are driven directly with a clock of the test's own, so expiry is exact and
each operation has its own millisecond (the log's order is then the operations' order).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from chalicelib.errors import Forbidden, Invalid, NotFound
from chalicelib.models import Event, ReceivedShare, Share
from chalicelib.schemas import assets as asset_schemas
from chalicelib.schemas import shares as schemas
from chalicelib.schemas.common import rfc3339
from chalicelib.schemas.validation import decode
from chalicelib.services.fleet import assets
from chalicelib.services.pages import pages
from chalicelib.services.platform import tenants
from chalicelib.services.platform.pagination import PageRequest
from chalicelib.services.shares import access_log, shares
from chalicelib.tenancy import TenantContext, expand_scopes

DEVICE_NAMES = ("Truck HH-CA 101", "=Anhänger 7", "@Trailer +1")
FORMULA_LIKE = [
    '=HYPERLINK("http://x")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(1)",
    "=1+1",
    "0012",
    "1e5",
    "http://evil.example/x",
    "Sendung Nr. 4711 \u2013 Köln",
    "📦 ZX-0042",
    "\u00a0non-breaking\u00a0",
]
# One line of printable text, as the API takes it (no control characters, no line or
# paragraph separators; surrogates cannot be stored).
LINE = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=64)


def _valid(text: str) -> bool:
    try:
        decode(schemas.ShipmentNumberPut, {"shipment_number": text})
    except Invalid:
        return False
    return True


SHIPMENT_NUMBERS = st.one_of(
    st.sampled_from(FORMULA_LIKE),
    LINE,
    st.builds(lambda a, b: (a + b)[:64], st.sampled_from(FORMULA_LIKE), LINE),
).filter(_valid)


# Which of the carrier's three shareable devices a share names, in its order.
PICKED = st.lists(st.sampled_from(range(3)), min_size=1, max_size=3, unique=True)
CONTACTS = st.none() | st.sampled_from(["dispo@shipper.example", "+1@shipper.example"])


@dataclass
class Expected:
    """What one share should be, and what its log should hold, oldest first."""

    devices: list[str]
    expires_at: datetime | None
    revoked: bool = False
    numbers: dict[str, str] = field(default_factory=dict)
    log: list[tuple[Any, ...]] = field(default_factory=list)
    # (type, time, actor, the partner's key): the share's events, oldest first.
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def active(self, now: datetime) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > now)


def _entry(item: Any) -> tuple[Any, ...]:
    return (
        item.kind,
        item.time,
        item.actor,
        item.channel,
        [(a.asset_id, a.name, a.shipment_number) for a in item.assets or []],
    )


class ShareLifecycle(RuleBasedStateMachine):
    """A carrier with three devices (and one it never shares), a partner, and the shares
    between them."""

    shares = Bundle("shares")  # not revoked (live, or past their end)
    revoked = Bundle("revoked")

    def __init__(self) -> None:
        super().__init__()
        # Two fresh organisations for each example (their hosted pages are not rendered:
        # see the test).
        sender = tenants.create_tenant("Carrier")
        partner = tenants.create_tenant("Shipper")
        self.sender_id = sender.tenant.id
        self.partner_id = partner.tenant.id
        self.partner_public_id = partner.tenant.public_id
        self.partner_actor = f"partner:{self.partner_public_id}"
        admin = expand_scopes({"admin"})
        self.sender = TenantContext(self.sender_id, "api_key:key_sender", admin)
        self.readers = {
            "api": TenantContext(self.partner_id, "api_key:key_partner", admin),
            # The tracking page's session: its own kind of key, logged as channel "page".
            "page": TenantContext(
                self.partner_id, "api_key:trk_page", expand_scopes(shares.TRACKING_SCOPES)
            ),
        }
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.devices = [
            assets.create(
                self.sender,
                asset_schemas.AssetCreate(name=name, kind="gps_device"),
                clock=self.clock,
            ).id
            for name in (*DEVICE_NAMES, "Never shared")
        ]
        self.names = dict(zip(self.devices, (*DEVICE_NAMES, "Never shared"), strict=True))
        self.expected: dict[str, Expected] = {}

    def clock(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        """A millisecond of its own for the next operation."""
        self.now += timedelta(milliseconds=1)
        return self.now

    # -- rules -------------------------------------------------------------------------------

    @rule(
        target=shares,
        picked=PICKED,
        # None (until revoked), already over (refused), or hours ahead: some waits reach
        # the end of some shares.
        expires_in=st.none() | st.sampled_from([-60, 0]) | st.integers(3600, 4 * 3600),
        contact=CONTACTS,
    )
    def create_share(self, picked: list[int], expires_in: int | None, contact: str | None) -> Any:
        now = self.tick()
        devices = [self.devices[i] for i in picked]
        expires_at = None if expires_in is None else now + timedelta(seconds=expires_in)
        data = schemas.ShareCreate(
            partner_tenant_id=self.partner_public_id,
            name="=1+1 Tour",
            asset_ids=devices,
            contact_email=contact,
            expires_at=expires_at,
        )
        if expires_at is not None and expires_at <= now:
            with pytest.raises(Invalid):
                shares.create(self.sender, data, clock=self.clock)
            return multiple()
        made = shares.create(self.sender, data, clock=self.clock)
        assert made.asset_ids == devices
        self.expected[made.id] = Expected(devices, expires_at)
        self.expected[made.id].events.append(("share.created", now, self.sender.actor, None))
        return made.id

    @initialize(
        target=shares,
        picked=PICKED,
        expires_in=st.none() | st.integers(3600, 4 * 3600),
        contact=CONTACTS,
    )
    def first_share(self, picked: list[int], expires_in: int | None, contact: str | None) -> Any:
        return self.create_share(picked, expires_in, contact)

    @rule(
        share_id=shares,
        channel=st.sampled_from(["api", "page"]),
        times=st.integers(1, 3),  # a partner polls
    )
    def read(self, share_id: str, channel: str, times: int) -> None:
        for _ in range(times):
            self._read(share_id, channel)

    @rule(share_id=revoked, channel=st.sampled_from(["api", "page"]))
    def read_after_revocation(self, share_id: str, channel: str) -> None:
        self._read(share_id, channel)

    @rule(share_id=shares, device=st.sampled_from(range(4)), number=SHIPMENT_NUMBERS)
    def set_shipment_number(self, share_id: str, device: int, number: str) -> None:
        self._set_number(share_id, device, number)

    @rule(share_id=revoked, device=st.sampled_from(range(4)), number=SHIPMENT_NUMBERS)
    def set_shipment_number_after_revocation(self, share_id: str, device: int, number: str) -> None:
        self._set_number(share_id, device, number)

    def _read(self, share_id: str, channel: str) -> None:
        now = self.tick()
        expected = self.expected[share_id]
        reader = self.readers[channel]
        if not expected.active(now):
            with pytest.raises(Forbidden):
                shares.read_assets(reader, share_id, clock=self.clock)
        else:
            result = shares.read_assets(reader, share_id, clock=self.clock)
            # Exactly the shared devices, never another of the carrier's.
            assert [i.id for i in result.items] == expected.devices
            assert [i.name for i in result.items] == [self.names[d] for d in expected.devices]
            assert [i.shipment_number for i in result.items] == [
                expected.numbers.get(d) for d in expected.devices
            ]
            expected.log.append(
                (
                    "read",
                    now,
                    reader.actor,
                    channel,
                    [(d, self.names[d], expected.numbers.get(d)) for d in expected.devices],
                )
            )
            expected.events.append(("share.read", now, self.partner_actor, reader.actor))

    def _set_number(self, share_id: str, device: int, number: str) -> None:
        now = self.tick()
        expected = self.expected[share_id]
        asset_id = self.devices[device]
        body = decode(schemas.ShipmentNumberPut, {"shipment_number": number})
        reader = self.readers["api"]
        if not expected.active(now):
            with pytest.raises(Forbidden):
                shares.set_shipment_number(reader, share_id, asset_id, body, clock=self.clock)
        elif asset_id not in expected.devices:
            with pytest.raises(NotFound):
                shares.set_shipment_number(reader, share_id, asset_id, body, clock=self.clock)
        else:
            done = shares.set_shipment_number(reader, share_id, asset_id, body, clock=self.clock)
            assert done.shipment_number == body.shipment_number
            expected.numbers[asset_id] = body.shipment_number
            expected.log.append(
                (
                    "shipment_number",
                    now,
                    reader.actor,
                    "api",
                    [(asset_id, self.names[asset_id], body.shipment_number)],
                )
            )
            expected.events.append(
                ("share.shipment_number_set", now, self.partner_actor, reader.actor)
            )

    @rule(target=revoked, share_id=consumes(shares))
    def revoke(self, share_id: str) -> str:
        now = self.tick()
        shares.revoke(self.sender, share_id, clock=self.clock)
        self.expected[share_id].revoked = True
        self.expected[share_id].events.append(("share.revoked", now, self.sender.actor, None))
        assert shares.get(self.sender, share_id).status == "revoked"
        assert shares.get_received(self.readers["api"], share_id).status == "revoked"
        return share_id

    @rule(share_id=revoked)
    def revoke_again(self, share_id: str) -> None:
        now = self.tick()
        shares.revoke(self.sender, share_id, clock=self.clock)  # nothing changes
        assert shares.get(self.sender, share_id).status == "revoked"
        # ... but the request is recorded, as every successful one.
        self.expected[share_id].events.append(("share.revoked", now, self.sender.actor, None))

    @rule(seconds=st.integers(1, 120) | st.integers(1800, 3 * 3600))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(share_id=shares)
    def nobody_else_reads(self, share_id: str) -> None:
        """The sender is not the partner: to it, the received share does not exist."""
        self.tick()
        with pytest.raises(NotFound):
            shares.read_assets(self.sender, share_id, clock=self.clock)
        with pytest.raises(NotFound):
            access_log.page(
                self.sender,
                shares.load_received(self.sender, share_id),
                PageRequest(),
            )

    def teardown(self) -> None:
        """The log of every share is exactly its successful operations, in the order they
        happened (so each success added one entry, each refusal none): as the service
        merges it for the sender, and as one JSON page shows it to the partner. The same
        for the sender's events of each share, each read and shipment number naming its
        entry; the partner's tenant has no event of a share."""
        recorded: dict[str | None, list[Event]] = defaultdict(list)
        for event in Event.query(self.sender_id, consistent_read=True):
            if event.type.startswith("share."):
                recorded[event.object_id].append(event)
        assert set(recorded) <= set(self.expected)
        partner_events = Event.query(self.partner_id, consistent_read=True)
        assert [e.type for e in partner_events if e.type.startswith("share.")] == []
        for share_id, expected in self.expected.items():
            sent = Share.get(self.sender_id, share_id, consistent_read=True)
            received = ReceivedShare.get(self.partner_id, share_id, consistent_read=True)
            assert [_entry(e) for e in access_log.entries(sent)] == expected.log
            page = access_log.page(self.readers["api"], received, PageRequest(limit=100))
            assert page.next_cursor is None
            assert [
                (
                    e.kind,
                    e.time,
                    e.actor,
                    e.channel,
                    [tuple(msgspec.structs.astuple(a)) for a in e.assets],
                )
                for e in page.items
            ] == [
                (kind, rfc3339(time), actor, channel, logged)
                for kind, time, actor, channel, logged in expected.log
            ]
            for entry in page.items:
                assert {a.asset_id for a in entry.assets} <= set(expected.devices)
                assert entry.partner_tenant_id == self.partner_public_id
            assert (sent.status == "revoked") == expected.revoked
            events = recorded[share_id]
            assert [
                (e.type, e.time, e.actor, (e.data or {}).get("partner_key")) for e in events
            ] == expected.events
            assert [
                e.data["access_log_entry_id"] for e in events if e.actor == self.partner_actor
            ] == [e.entry_id for e in access_log.entries(sent)]


@pytest.mark.parametrize("backend", ["moto"], indirect=True)
def test_any_sequence_of_share_read_revoke_keeps_the_log_true(backend, monkeypatch):
    # A new tenant's hosted pages (sign-in, not found) play no part in sharing; rendering
    # them for the two tenants of every example would be most of this test's time.
    monkeypatch.setattr(pages, "refresh_site", lambda *_, **__: 0)
    run_state_machine_as_test(
        ShareLifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
