"""A restore brings tables and blobs back to the same moment: the tables through
point-in-time recovery into staged tables, copied into the stack's new ones (events last),
the bucket's objects to the versions they had then."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from portway_ops import restore
from portway_ops.tables import create_tables

REGION = "eu-central-1"


@pytest.fixture
def aws():
    with mock_aws():
        yield


def test_the_bucket_goes_back_to_the_versions_it_had_then(aws):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="blobs", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="blobs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="blobs", Key="logos/a.png", Body=b"logo v1")
    s3.put_object(Bucket="blobs", Key="documents/invoice.pdf", Body=b"invoice")
    s3.put_object(Bucket="blobs", Key="documents/kept.pdf", Body=b"kept")
    time.sleep(1.1)
    moment = datetime.now(UTC)
    time.sleep(1.1)
    s3.put_object(Bucket="blobs", Key="logos/a.png", Body=b"logo v2")  # changed later
    s3.delete_object(Bucket="blobs", Key="documents/invoice.pdf")  # deleted later
    s3.put_object(Bucket="blobs", Key="documents/new.pdf", Body=b"made later")

    counts = restore.restore_blobs(s3, "blobs", moment)

    assert counts == {"restored": 2, "removed": 1, "unchanged": 1}
    body = s3.get_object(Bucket="blobs", Key="logos/a.png")["Body"].read()
    assert body == b"logo v1"
    assert s3.get_object(Bucket="blobs", Key="documents/invoice.pdf")["Body"].read() == b"invoice"
    assert s3.get_object(Bucket="blobs", Key="documents/kept.pdf")["Body"].read() == b"kept"
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="blobs", Key="documents/new.pdf")
    # Nothing is lost on the way: the later versions are still there.
    versions = s3.list_object_versions(Bucket="blobs", Prefix="logos/a.png")["Versions"]
    assert len(versions) == 3
    # Restoring to the same moment again changes nothing.
    assert restore.restore_blobs(s3, "blobs", moment)["restored"] == 0


def test_tables_are_restored_into_staged_tables_and_copied_with_the_events_last(aws):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_tables(dynamodb, "portway-prod-")
    dynamodb.put_item(
        TableName="portway-prod-tenants",
        Item={"tenant_id": {"S": "ten_1"}, "name": {"S": "Nordwind"}},
    )
    for i in range(30):  # more than one batch
        dynamodb.put_item(
            TableName="portway-prod-events",
            Item={"tenant_id": {"S": "ten_1"}, "event_key": {"S": f"evt#{i:02d}"}},
        )
    staged = restore.restore_tables(
        dynamodb, "portway-prod-", "portway-prod-r1-", datetime.now(UTC)
    )
    assert "portway-prod-r1-tenants" in staged
    create_tables(dynamodb, "portway-prod-2-")  # what the stack's redeploy makes
    writes: list[str] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.BatchWriteItem",
        lambda params, **_: writes.extend(params["RequestItems"]),
    )

    copied = restore.copy_tables(dynamodb, "portway-prod-r1-", "portway-prod-2-")

    assert copied["tenants"] == 1
    assert copied["events"] == 30
    item = dynamodb.get_item(TableName="portway-prod-2-tenants", Key={"tenant_id": {"S": "ten_1"}})
    assert item["Item"]["name"] == {"S": "Nordwind"}
    assert writes[-1] == "portway-prod-2-events"
    assert "portway-prod-2-events" not in writes[: writes.index("portway-prod-2-tenants") + 1]
