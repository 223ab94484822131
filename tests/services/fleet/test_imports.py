"""Importing customers from CSV and Excel files (issue 13): the preview names every problem
with its row before anything is written; writing is all the rows or exactly the valid ones,
and doing it again never makes a second customer. Files are made with a real writer
(openpyxl for Excel) and go through the HTTP API."""

from __future__ import annotations

import io
import threading

import pytest
from openpyxl import Workbook

from chalicelib.models import Customer, Event
from chalicelib.services.fleet import imports
from tests.conftest import problem

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(api, data: bytes, content_type: str = CSV, name: str = "kunden.csv"):
    return api.request(
        "POST",
        f"/v1/customer-imports?file_name={name}",
        raw=data,
        headers={"Content-Type": content_type},
    )


def _commit(api, import_id: str, rows: str = "all"):
    return api.post(f"/v1/customer-imports/{import_id}/commit", {"rows": rows})


def _names(api) -> list[str]:
    return sorted(c["name"] for c in api.get("/v1/customers?limit=100").json_body["items"])


def _by_row(preview: dict) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = {}
    for p in preview["problems"]:
        found.setdefault(p["row"], set()).add((p["field"], p["code"]))
    return found


def test_a_german_csv_is_previewed_then_written_once(api, tenant):
    data = (
        "\ufeffKundenname;Kundennummer;E-Mail;Sprache;Kundentyp\n"
        "Nordbau GmbH;K-1001;info@nordbau.example;DE;end_customer\n"
        '"Hafen; Kran & Co";K-1002;;da;\n'
    ).encode()
    checked = _upload(api, data)
    assert checked.status_code == 201, checked.body
    preview = checked.json_body
    assert (preview["rows"], preview["valid_rows"], preview["problem_count"]) == (2, 2, 0)
    assert preview["preview"][1]["name"] == "Hafen; Kran & Co"
    assert preview["preview"][0]["language"] == "de"
    assert _names(api) == []  # nothing written by a preview
    written = _commit(api, preview["id"])
    assert written.status_code == 200, written.body
    assert (written.json_body["status"], written.json_body["written"]) == ("written", 2)
    assert _names(api) == ["Hafen; Kran & Co", "Nordbau GmbH"]
    nordbau = next(
        c for c in api.get("/v1/customers").json_body["items"] if c["external_id"] == "K-1001"
    )
    assert (nordbau["email"], nordbau["language"]) == ("info@nordbau.example", "de")
    # Again: the same answer, no second customer.
    assert _commit(api, preview["id"]).json_body["written"] == 2
    assert len(_names(api)) == 2
    types = [e.type for e in Event.query(tenant.id, consistent_read=True)]
    assert types.count("customer.imported") == 1
    assert types.count("customer.import_checked") == 1


def test_every_problem_is_listed_with_its_row_and_all_writes_nothing(api):
    api.post("/v1/customers", {"name": "Existing", "external_id": "K-7"})
    data = b"".join(
        [
            b"name,external_id,email,language\n",
            b"Good one,K-1,good@example.com,en\n",  # row 2
            b",K-2,nameless@example.com,\n",  # row 3: no name
            b'=HYPERLINK("http://evil.example"),K-3,,\n',  # row 4: a formula
            b"Bad mail,K-4,not a mail,\n",  # row 5
            b"Twice,K-1,,\n",  # row 6: K-1 again
            b"Already there,K-7,,\n",  # row 7: a customer has K-7
            "M\u00fcller,K-8,,\n".encode("latin-1"),  # row 8: not UTF-8
            b"Bad language,K-9,,klingon\n",  # row 9
            b"@SUM(1+1),K-10,,\n",  # row 10: a formula too
            b"Also good,K-11,,da\n",  # row 11
        ]
    )
    preview = _upload(api, data).json_body
    assert _by_row(preview) == {
        3: {("name", "required")},
        4: {("name", "formula")},
        5: {("email", "invalid")},
        6: {("external_id", "duplicate_in_file")},
        7: {("external_id", "duplicate_existing")},
        8: {("row", "encoding")},
        9: {("language", "invalid")},
        10: {("name", "formula")},
    }
    assert (preview["rows"], preview["valid_rows"], preview["problem_rows"]) == (10, 2, 8)
    refused = _commit(api, preview["id"], "all")
    assert refused.status_code == 422
    assert [e["field"] for e in problem(refused)["errors"]] == ["rows"]
    assert _names(api) == ["Existing"]
    # The person confirms the valid rows: exactly those are written.
    written = _commit(api, preview["id"], "valid").json_body
    assert (written["to_write"], written["written"]) == (2, 2)
    assert _names(api) == ["Also good", "Existing", "Good one"]
    # Having written the valid rows, asking for all of them is a conflict, not a second write.
    assert _commit(api, preview["id"], "all").status_code in (200, 409)
    assert len(_names(api)) == 3


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_file_is_read_with_numbers_as_text_and_formulas_refused(api):
    data = _xlsx(
        [
            ["Navn", "Kundenummer", "Sprog"],
            ["Fjord Byg ApS", 1001, "da"],
            ["=1+1", 1002, "da"],
            ["Sjælland Maskiner", 1003.0, None],
        ]
    )
    preview = _upload(api, data, XLSX, "kunder.xlsx").json_body
    assert [r["external_id"] for r in preview["preview"]] == ["1001", "1002", "1003"]
    assert _by_row(preview) == {3: {("name", "formula")}}
    written = _commit(api, preview["id"], "valid").json_body
    assert written["written"] == 2
    assert _names(api) == ["Fjord Byg ApS", "Sjælland Maskiner"]


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [
        (b"", CSV, "body"),
        (b"just,some,columns\n1,2,3\n", CSV, "body"),  # no name column
        (b"name\n", CSV, "body"),  # no rows
        (b"PK\x03\x04 not really a workbook", XLSX, "body"),
    ],
)
def test_a_file_that_cannot_be_read_is_422_and_stores_nothing(
    api, tenant, data, content_type, field
):
    answer = _upload(api, data, content_type)
    assert answer.status_code == 422, answer.body
    assert [e["field"] for e in problem(answer)["errors"]] == [field]
    assert not [e for e in Event.query(tenant.id) if e.type.startswith("customer.import")]


def test_a_file_of_another_type_is_415(api):
    assert _upload(api, b"{}", "application/json").status_code == 415


def test_more_rows_than_allowed_is_422(api, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    data = ("name\n" + "".join(f"C{i}\n" for i in range(4))).encode()
    answer = _upload(api, data)
    assert answer.status_code == 422
    assert "split the file" in problem(answer)["errors"][0]["message"]


# Two requests at once: on DynamoDB Local only (moto is not safe for threads).
@pytest.mark.parametrize("backend", ["dynamodb_local"], indirect=True)
def test_writing_goes_on_in_slices_and_two_requests_at_once_make_no_duplicates(
    api, tenant, monkeypatch
):
    monkeypatch.setattr(imports, "ROWS_PER_CALL", 150)
    data = ("name;external_id\n" + "".join(f"Kunde {i};E-{i}\n" for i in range(400))).encode()
    preview = _upload(api, data).json_body
    first = _commit(api, preview["id"]).json_body
    assert (first["status"], first["written"], first["to_write"]) == ("writing", 150, 400)
    answers: list[int] = []

    def commit() -> None:
        answers.append(_commit(api, preview["id"]).status_code)

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) <= {200, 409}
    while (state := _commit(api, preview["id"]).json_body)["status"] != "written":
        pass
    assert state["written"] == 400
    stored = list(Customer.query(tenant.id, consistent_read=True))
    assert len(stored) == 400
    assert len({c.external_id for c in stored}) == 400
    # In the file's order, as lists are by age.
    assert [c.external_id for c in stored] == [f"E-{i}" for i in range(400)]


def test_another_tenants_import_is_not_found(api, other_api):
    preview = _upload(api, b"name\nMine\n").json_body
    assert other_api.get(f"/v1/customer-imports/{preview['id']}").status_code == 404
    assert _commit(other_api, preview["id"]).status_code == 404
    assert _names(other_api) == []
