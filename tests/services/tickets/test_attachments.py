"""Ticket attachments: a file is what it claims (JPEG segments, PNG chunks, a PDF without
active content), and a file whose ticket change is refused is not kept."""

from __future__ import annotations

import pytest

from chalicelib.blobs import blob_store
from chalicelib.errors import Conflict, Invalid
from chalicelib.models import Ticket
from chalicelib.services.tickets import attachments, tickets
from tests.samples import tiny_png

# A 1x1 JPEG: SOI, APP0, DQT, SOF0, DHT, SOS, the scan, EOI.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b"
    "0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432"
    "ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0b"
    "ffda0008010100003f00d2cf20ffd9"
)


def test_a_whole_jpeg_is_kept_and_a_cut_or_false_one_is_refused():
    assert attachments.check(JPEG, "image/jpeg") == "image/jpeg"
    for data in (JPEG[:-2], JPEG[:20], b"\xff\xd8\xff" + b"\x00" * 40, tiny_png()):
        with pytest.raises(Invalid):
            attachments.check(data, "image/jpeg")
    with pytest.raises(Invalid):
        attachments.check(JPEG, "image/gif")


def test_a_file_whose_ticket_change_is_refused_is_not_kept(desk, tenant, monkeypatch):
    desk.integrate()
    created = desk.ticket()
    item = Ticket.get(tenant.id, created["id"], consistent_read=True)
    entry = attachments.store(
        desk.ctx(tenant), item, "leak.png", tiny_png(), "image/png", internal=True
    )
    assert blob_store().get(entry.blob_key) is not None

    def refused(*args, **kwargs):
        raise Conflict("The ticket changed meanwhile; read it again and retry.")

    monkeypatch.setattr(tickets, "add_entry", refused)
    with pytest.raises(Conflict):
        attachments.kept(desk.ctx(tenant), item, entry)
    assert blob_store().get(entry.blob_key) is None
