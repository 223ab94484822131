"""Invoices and credit notes: PDFs checked before anything is stored, downloaded by the
provider and, through a self-service link, by the customer, and by nobody else."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.operations import MAX_UPLOAD_BYTES
from portway_ops.pdf import simple_pdf
from tests.conftest import problem
from tests.samples import tiny_pdf, tiny_png

PDF = "application/pdf"


# -- helpers ---------------------------------------------------------------------------------


def pdf_of(catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF like tiny_pdf(), with more in its catalog, its page, or objects 6..."""
    return simple_pdf("Invoice", catalog=catalog, page=page, extra=extra)


def new_contract(api) -> str:
    """A contract made over the provider API; its id."""
    plan = api.post("/v1/plans", {"name": "Fleet Pro"}).json_body["id"]
    variant = api.post(f"/v1/plans/{plan}/variants", {"name": "Monthly", "price": "49.00"})
    customer = api.post("/v1/customers", {"name": "Nordfracht", "email": "jana@example.com"})
    answer = api.post(
        "/v1/contracts",
        {"customer_id": customer.json_body["id"], "plan_variant_id": variant.json_body["id"]},
    )
    assert answer.status_code == 201, answer.json_body
    return answer.json_body["id"]


@pytest.fixture
def contract_id(api) -> str:
    return new_contract(api)


def upload(api, contract_id: str, data: bytes, query: str = "?kind=invoice&number=R-1", **kw):
    headers = kw.pop("headers", {"Content-Type": PDF})
    return api.request(
        "POST", f"/v1/contracts/{contract_id}/documents{query}", raw=data, headers=headers
    )


def listed(api, contract_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/v1/contracts/{contract_id}/documents")
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["items"]


def stored_blobs() -> int:
    return sum(1 for p in Path(os.environ["PORTWAY_BLOB_DIR"]).rglob("*") if p.is_file())


def assert_nothing_stored(api, contract_id: str, blobs_before: int) -> None:
    assert listed(api, contract_id) == []
    assert api.get(f"/v1/contracts/{contract_id}").json_body["document_count"] == 0
    assert stored_blobs() == blobs_before


# -- uploads ---------------------------------------------------------------------------------


def test_a_pdf_upload_is_201_and_listed(api, contract_id):
    data = tiny_pdf("Invoice R-1")
    answer = upload(api, contract_id, data, "?kind=invoice&number=R-1&issued_on=2026-07-01")
    assert answer.status_code == 201, answer.json_body
    document = answer.json_body
    assert document["pages"] == 1
    assert document["kind"] == "invoice"
    assert document["number"] == "R-1"
    assert document["issued_on"] == "2026-07-01"
    assert document["size"] == len(data)
    assert document["contract_id"] == contract_id
    assert listed(api, contract_id) == [document]
    assert api.get(f"/v1/contracts/{contract_id}").json_body["document_count"] == 1

    credit = upload(api, contract_id, tiny_pdf("Credit"), "?kind=credit_note&number=G-1")
    assert credit.status_code == 201, credit.json_body
    assert [d["kind"] for d in listed(api, contract_id)] == ["invoice", "credit_note"]


REFUSED = {
    "png": tiny_png(),
    "text": b"Invoice R-1: 49.00 EUR, thank you!\n",
    "html": b"<html><script>alert(1)</script></html>",
    "truncated": tiny_pdf()[: len(tiny_pdf()) // 2],
    "truncated with an end marker": tiny_pdf()[:200] + b"\n%%EOF\n",
    "only a header": b"%PDF-1.7\n%%EOF\n",
    "javascript in the names": pdf_of(
        b"/Names << /JavaScript 6 0 R >>",
        extra=(b"<< /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>] >>",),
    ),
    "javascript on open": pdf_of(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
    "javascript on open, indirect": pdf_of(
        b"/OpenAction 6 0 R", extra=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)
    ),
    "javascript on open, names escaped": pdf_of(
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"
    ),
    "a launch action": pdf_of(b"/OpenAction << /S /Launch /F (calc.exe) >>"),
    "an embedded file": pdf_of(b"/Names << /EmbeddedFiles 6 0 R >>", extra=(b"<< /Names [] >>",)),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_anything_but_a_harmless_pdf_is_422_and_nothing_is_stored(api, contract_id, name):
    before = stored_blobs()
    answer = upload(api, contract_id, REFUSED[name])
    assert answer.status_code == 422, answer.json_body
    assert [e["field"] for e in problem(answer)["errors"]] == ["body"]
    assert_nothing_stored(api, contract_id, before)


def test_the_pdf_builder_of_these_tests_makes_pdfs_that_pass(api, contract_id):
    answer = upload(api, contract_id, pdf_of())
    assert answer.status_code == 201, answer.json_body


ESCAPED_ACTIVE = {
    # JavaScript that runs when the page opens, with its names written as #-escapes (a PDF
    # reader reads /J#61vaScript as /JavaScript).
    "page open action": pdf_of(page=b"/AA << /O << /S /J#61vaScript /J#53 (app.alert(1)) >> >>"),
    "launch action": pdf_of(b"/OpenAction << /S /L#61unch /F (calc.exe) >>"),
}


@pytest.mark.parametrize("name", list(ESCAPED_ACTIVE))
def test_active_content_with_escaped_names_is_422(api, contract_id, name):
    before = stored_blobs()
    answer = upload(api, contract_id, ESCAPED_ACTIVE[name])
    assert answer.status_code == 422, answer.json_body
    assert_nothing_stored(api, contract_id, before)


def test_an_empty_body_is_422(api, contract_id):
    before = stored_blobs()
    answer = upload(api, contract_id, b"")
    assert answer.status_code == 422, answer.body
    assert_nothing_stored(api, contract_id, before)


def test_another_content_type_is_415(api, contract_id):
    before = stored_blobs()
    for content_type in ("image/png", "application/json", "text/plain", "application/x-pdf"):
        answer = upload(api, contract_id, tiny_pdf(), headers={"Content-Type": content_type})
        assert answer.status_code == 415, (content_type, answer.body)
    assert_nothing_stored(api, contract_id, before)


def test_an_unknown_kind_or_a_bad_number_is_422(api, contract_id):
    before = stored_blobs()
    for query in ("?kind=receipt&number=R-1", "?kind=INVOICE", "?kind=invoice&number=R%201"):
        answer = upload(api, contract_id, tiny_pdf(), query)
        assert answer.status_code == 422, (query, answer.body)
        assert problem(answer)["errors"][0]["field"].startswith("query."), answer.body
    assert_nothing_stored(api, contract_id, before)


def test_an_upload_over_the_limit_is_413(api, contract_id):
    before = stored_blobs()
    data = tiny_pdf()
    padded = data[:9] + b"%" + b"x" * (MAX_UPLOAD_BYTES - len(data)) + b"\n" + data[9:]
    assert len(padded) > MAX_UPLOAD_BYTES
    answer = upload(api, contract_id, padded)
    assert answer.status_code == 413, answer.body
    assert_nothing_stored(api, contract_id, before)


def test_an_upload_to_an_unknown_or_foreign_contract_is_404(api, other_api, contract_id):
    assert upload(other_api, contract_id, tiny_pdf()).status_code == 404
    assert upload(api, "con_nothing", tiny_pdf()).status_code == 404
    assert listed(api, contract_id) == []


# -- downloads -------------------------------------------------------------------------------


def test_the_download_is_the_exact_bytes_as_an_attachment(api, contract_id):
    data = tiny_pdf("Invoice 2026/07-0001")
    document = upload(api, contract_id, data, "?kind=invoice&number=2026/07-0001").json_body
    answer = api.get(
        f"/v1/contracts/{contract_id}/documents/{document['id']}", headers={"Accept": PDF}
    )
    assert answer.status_code == 200, answer.body
    assert answer.body == data
    assert answer.headers["Content-Type"] == PDF
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    # The number's slash cannot make a path: the name is sanitised.
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="invoice-2026_07-0001.pdf"'
    )


def test_a_number_that_looks_like_a_path_makes_a_plain_file_name(api, contract_id):
    document = upload(api, contract_id, tiny_pdf(), "?kind=credit_note&number=../../etc/passwd")
    assert document.status_code == 201, document.json_body
    answer = api.get(
        f"/v1/contracts/{contract_id}/documents/{document.json_body['id']}",
        headers={"Accept": PDF},
    )
    disposition = answer.headers["Content-Disposition"]
    name = disposition.split('filename="', 1)[1].rstrip('"')
    assert disposition.startswith("attachment;")
    assert re.fullmatch(r"credit-note-[A-Za-z0-9._-]+\.pdf", name), name


def test_the_customer_downloads_the_same_bytes_with_the_link(api, contract_id):
    data = tiny_pdf("Invoice R-7")
    document = upload(api, contract_id, data, "?kind=invoice&number=R-7").json_body
    token = api.post(f"/v1/contracts/{contract_id}/self-service-token", {}).json_body["token"]
    customer = api.as_key(token)
    view = customer.get("/v1/self-service/contract").json_body
    assert [d["id"] for d in view["documents"]] == [document["id"]]
    answer = customer.get(f"/v1/self-service/documents/{document['id']}", headers={"Accept": PDF})
    assert answer.status_code == 200, answer.body
    assert answer.body == data
    assert answer.headers["Content-Type"] == PDF
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="invoice-R-7.pdf"'


def test_nobody_else_gets_the_document(api, other_api, anonymous, contract_id):
    document = upload(api, contract_id, tiny_pdf()).json_body
    path = f"/v1/contracts/{contract_id}/documents/{document['id']}"
    accept = {"Accept": PDF}
    assert other_api.get(path, headers=accept).status_code == 404
    assert other_api.get(f"/v1/contracts/{contract_id}/documents").status_code == 404
    assert anonymous.get(path, headers=accept).status_code == 401
    # Another contract of the same tenant does not reach it either.
    second = new_contract(api)
    wrong = f"/v1/contracts/{second}/documents/{document['id']}"
    assert api.get(wrong, headers=accept).status_code == 404
    token = api.post(f"/v1/contracts/{second}/self-service-token", {}).json_body["token"]
    answer = api.as_key(token).get(f"/v1/self-service/documents/{document['id']}", headers=accept)
    assert answer.status_code == 404
    assert (
        api.get(f"/v1/contracts/{contract_id}/documents/doc_nothing", headers=accept).status_code
        == 404
    )
