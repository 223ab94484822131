"""Files larger than a request may carry (Lambda's 6 MB, base64): the client PUTs them to the
store through a link made for exactly one type and size, then names the upload where the
file is taken; large downloads are a 303 to a short-lived link. On one machine the links
are the app's own (`/v1/blob-links`); in AWS, S3's presigned URLs."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from chalicelib import blob_links
from chalicelib.blobs import S3BlobStore, blob_store
from chalicelib.operations import MAX_UPLOAD_BYTES
from tests.conftest import problem
from tests.handlers.test_tickets import Desk

CSV = "text/csv"


def big_png(size: int) -> bytes:
    """A complete PNG of about `size` bytes (a large ancillary chunk)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff")
    filler = chunk(b"tEXt", b"Comment\x00" + b"x" * size)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + filler
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def _link_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _upload(api, data: bytes, content_type: str) -> str:
    made = api.post("/v1/uploads", {"content_type": content_type, "size": len(data)})
    assert made.status_code == 201, made.body
    link = made.json_body
    assert link["method"] == "PUT"
    assert link["headers"] == {"Content-Type": content_type}
    put = api.as_key(None).request(
        "PUT", _link_path(link["url"]), raw=data, headers={"Content-Type": content_type}
    )
    assert put.status_code == 204, put.body
    return link["upload_id"]


def _csv(rows: int) -> bytes:
    lines = "".join(f"Kunde {i};K-{i};kunde{i}@example.com;de\n" for i in range(rows))
    return ("Kundenname;Kundennummer;E-Mail;Sprache\n" + lines).encode()


def test_a_file_goes_to_the_store_first_and_is_taken_by_its_upload_id(api, tenant):
    data = _csv(50)
    upload_id = _upload(api, data, CSV)
    key = f"uploads/{tenant.id}/{upload_id}"
    assert blob_store().get(key).data == data
    checked = api.post("/v1/customer-imports", {"upload_id": upload_id})
    assert checked.status_code == 201, checked.body
    assert checked.json_body["rows"] == 50
    assert blob_store().get(key) is None  # used once, then gone
    again = api.post("/v1/customer-imports", {"upload_id": upload_id})
    assert again.status_code == 422
    assert problem(again)["errors"][0]["field"] == "upload_id"


def test_an_upload_is_only_its_tenants_and_only_of_an_accepted_type(api, other_api):
    upload_id = _upload(api, _csv(3), CSV)
    stolen = other_api.post("/v1/customer-imports", {"upload_id": upload_id})
    assert stolen.status_code == 422
    assert problem(stolen)["errors"][0]["code"] == "unknown"
    png = _upload(api, big_png(10), "image/png")
    wrong = api.post("/v1/customer-imports", {"upload_id": png})
    assert wrong.status_code == 415
    for bad in ({"upload_id": "../../pages/x"}, {"upload_id": 7}, {"upload_id": "upl_x\n"}):
        refused = api.post("/v1/customer-imports", bad)
        assert refused.status_code == 422, bad
        assert problem(refused)["errors"][0]["field"] == "upload_id"
    for other in ({}, [], {"rows": "all"}):  # JSON that names no upload is no file
        assert api.post("/v1/customer-imports", other).status_code == 415, other


def test_the_link_takes_exactly_its_type_and_size_and_only_until_it_expires(api):
    made = api.post("/v1/uploads", {"content_type": CSV, "size": 10}).json_body
    path = _link_path(made["url"])
    anonymous = api.as_key(None)
    short = anonymous.request("PUT", path, raw=b"123", headers={"Content-Type": CSV})
    assert short.status_code == 413
    other = anonymous.request("PUT", path, raw=b"0123456789", headers={"Content-Type": "image/png"})
    assert other.status_code == 415
    token = parse_qs(urlsplit(made["url"]).query)["token"][0]
    grant = blob_links.verify(token, "PUT")
    expired = blob_links.sign(
        blob_links.LinkGrant(grant.key, "PUT", CSV, int((datetime.now(UTC)).timestamp()) - 1, 10)
    )
    late = anonymous.request(
        "PUT", f"/v1/blob-links?token={expired}", raw=b"0123456789", headers={"Content-Type": CSV}
    )
    assert late.status_code == 404
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    forged = anonymous.request(
        "PUT", f"/v1/blob-links?token={tampered}", raw=b"0123456789", headers={"Content-Type": CSV}
    )
    assert forged.status_code == 404
    # An upload link never downloads.
    assert anonymous.get(path).status_code == 404


def test_the_request_says_how_to_send_a_file_too_large_for_it(api):
    too_big = api.post(
        "/v1/customer-imports", raw=b"x" * (MAX_UPLOAD_BYTES + 1), headers={"Content-Type": CSV}
    )
    assert too_big.status_code == 413
    assert problem(too_big)["reason"] == "use_upload"
    limit = api.post("/v1/uploads", {"content_type": CSV, "size": 26 * 1024 * 1024})
    assert limit.status_code == 422
    kind = api.post("/v1/uploads", {"content_type": "text/html", "size": 10})
    assert kind.status_code == 422


def test_a_large_attachment_goes_in_through_the_store_and_out_through_a_link(api):
    desk = Desk(api)
    ticket = desk.ticket()
    data = big_png(MAX_UPLOAD_BYTES + 1000)
    upload_id = _upload(api, data, "image/png")
    attached = api.post(
        f"/v1/tickets/{ticket['id']}/attachments?file_name=hydraulics.png",
        {"upload_id": upload_id},
    )
    assert attached.status_code == 201, attached.body
    answer = api.get(f"/v1/tickets/{ticket['id']}/attachments/{attached.json_body['id']}")
    assert answer.status_code == 303
    location = answer.headers["Location"]
    # (Chalice's local gateway, like API Gateway, wants the binary type in Accept.)
    downloaded = api.as_key(None).get(_link_path(location), headers={"Accept": "image/png"})
    assert downloaded.status_code == 200
    assert downloaded.body == data
    assert downloaded.headers["Content-Type"] == "image/png"
    assert "hydraulics.png" in downloaded.headers["Content-Disposition"]


def test_in_aws_the_links_are_s3s_presigned_urls_bound_to_type_and_length():
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(
            Bucket="blobs", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        store = S3BlobStore("blobs", s3)
        upload = urlsplit(store.upload_link("uploads/t/u", CSV, 10, timedelta(minutes=15)))
        query = parse_qs(upload.query)
        assert upload.path == "/uploads/t/u"
        assert "content-length" in query["X-Amz-SignedHeaders"][0]
        assert "content-type" in query["X-Amz-SignedHeaders"][0]
        assert query["X-Amz-Expires"] == ["900"]
        download = parse_qs(
            urlsplit(
                store.download_link(
                    "docs/a", "application/pdf", "Rechnung 1.pdf", timedelta(minutes=5)
                )
            ).query
        )
        assert download["response-content-disposition"][0].startswith("attachment;")
        assert download["X-Amz-Expires"] == ["300"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_token_for_one_method_is_refused_for_the_other(method):
    token = blob_links.sign(
        blob_links.LinkGrant("k", method, CSV, int(datetime.now(UTC).timestamp()) + 60, 1)
    )
    assert blob_links.verify(token, method) is not None
    assert blob_links.verify(token, "PUT" if method == "GET" else "GET") is None
