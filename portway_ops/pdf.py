"""Small, valid PDFs: the demo's invoice and the tests' uploads (a one-page PDF with a
cross-reference table, and any objects packed into compressed object streams)."""

from __future__ import annotations

import zlib


def simple_pdf(
    text: str = "Invoice 1",
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    extra: tuple[bytes, ...] = (),
) -> bytes:
    """One page with one line of text (objects, offsets and cross-reference table by hand);
    `catalog` and `page` add entries to those dictionaries, `extra` adds objects 6, 7, ..."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page + b" >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return bytes(out + trailer.encode())


def object_stream_pdf(
    objects: dict[int, bytes],
    *,
    compressed: tuple[int, ...] = (),
    unlisted: tuple[int, ...] = (),
) -> bytes:
    """A PDF 1.7 whose objects are `objects` (number to body, the catalog being 1), those in
    `compressed` packed into one Flate-compressed object stream and all indexed by a compressed
    cross-reference stream, as modern PDF writers save. Objects in `unlisted` are written but
    left out of the index (as a damaged or tampered file has them)."""
    packed = {number: index for index, number in enumerate(n for n in compressed if n in objects)}
    stream_number = max(objects) + 1
    xref_number = stream_number + 1
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, bytes] = {}
    for number, body in sorted(objects.items()):
        if number not in packed:
            entries[number] = b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    if packed:
        header, bodies = bytearray(), bytearray()
        for number, index in packed.items():
            header += f"{number} {len(bodies)} ".encode()
            bodies += objects[number] + b"\n"
            entries[number] = b"\x02" + stream_number.to_bytes(4, "big") + index.to_bytes(2, "big")
        data = zlib.compress(bytes(header + bodies))
        entries[stream_number] = b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
        out += (
            (
                f"{stream_number} 0 obj\n<< /Type /ObjStm /N {len(packed)} /First {len(header)} "
                f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n"
            ).encode()
            + data
            + b"\nendstream\nendobj\n"
        )
    entries[xref_number] = b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
    for number in unlisted:
        entries.pop(number, None)
    free = b"\x00\x00\x00\x00\x00\xff\xff"
    table = zlib.compress(b"".join(entries.get(n, free) for n in range(xref_number + 1)))
    start = len(out)
    out += (
        (
            f"{xref_number} 0 obj\n<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] /Root 1 0 R "
            f"/Filter /FlateDecode /Length {len(table)} >>\nstream\n"
        ).encode()
        + table
        + b"\nendstream\nendobj\n"
    )
    out += f"startxref\n{start}\n%%EOF\n".encode()
    return bytes(out)
