"""The deployment template and the models agree, and nothing scans."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from chalicelib.models import TABLE_MODELS, AccessLogEntry, TicketEntry
from chalicelib.models.base import base_name
from portway_ops.tables import create_table_requests, load_template, render_text

ROOT = Path(__file__).resolve().parent.parent


def test_committed_template_is_what_the_models_render():
    assert (ROOT / "infra" / "template.json").read_text() == render_text()


def test_template_has_a_table_per_model_with_its_keys_indexes_and_ttl():
    requests = {r["TableName"]: r for r in create_table_requests(load_template(), "x-")}
    assert set(requests) == {"x-" + base_name(m) for m in TABLE_MODELS}
    for model in TABLE_MODELS:
        request = requests["x-" + base_name(model)]
        schema = model._get_schema()
        assert request["KeySchema"][0]["KeyType"] == "HASH"

        def pairs(keys):
            return sorted((k["AttributeName"], k["KeyType"]) for k in keys)

        assert pairs(request["KeySchema"]) == pairs(schema["key_schema"])
        indexes = {i["IndexName"] for i in request.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["index_name"] for i in schema["global_secondary_indexes"]}
    assert requests["x-tokens"]["_ttl"] == "expires_at"
    assert requests["x-asset-events"]["_ttl"] == "expires_at"


def test_every_tenant_owned_table_is_keyed_by_tenant():
    global_tables = {"directory", "tokens"}  # looked up by a unique name or a secret's digest
    # A share's log is written across shards, a ticket's entries are one partition per
    # ticket: their keys start with the tenant id.
    sharded = {"access-log", "ticket-entries"}
    for model in TABLE_MODELS:
        if base_name(model) not in global_tables | sharded:
            assert model._hash_keyname == "tenant_id", model.__name__
    assert AccessLogEntry.log_key_for("ten_1", "shr_1", 3) == "ten_1#shr_1#3"
    assert TicketEntry.ticket_key_for("ten_1", "tkt_1") == "ten_1#tkt_1"


def test_local_tables_are_created_from_the_template(backend):
    client = boto3.client("dynamodb", region_name="eu-central-1", endpoint_url=_endpoint())
    prefix = "moto-" if backend == "moto" else "ddb-"
    for request in create_table_requests(load_template(), prefix):
        described = client.describe_table(TableName=request["TableName"])["Table"]
        assert described["KeySchema"] == request["KeySchema"]
        ttl = client.describe_time_to_live(TableName=request["TableName"])
        status = ttl["TimeToLiveDescription"].get("TimeToLiveStatus")
        assert (status == "ENABLED") == bool(request["_ttl"])


def _endpoint() -> str | None:
    from chalicelib.settings import get_settings

    return get_settings().dynamodb_endpoint


def test_no_code_scans_and_the_iam_policies_do_not_allow_it():
    source = "\n".join(p.read_text() for p in (ROOT / "chalicelib").rglob("*.py"))
    assert not re.search(r"\.scan\(|\bScan\b|scan_index_forward=True", source)
    for policy in (ROOT / ".chalice").glob("policy-*.json"):
        actions = json.loads(policy.read_text())["Statement"][1]["Action"]
        assert "dynamodb:Scan" not in actions


def test_each_stream_consumer_has_an_event_source_with_retries_and_a_dead_letter_queue():
    from chalicelib.services.pages import consumer
    from portway_ops.streams import SUBSCRIPTIONS
    from portway_ops.tables import dead_letter_queue_id, event_source_id

    resources = load_template()["Resources"]
    assert "pages_consumer" in [s.name for s in SUBSCRIPTIONS]
    for subscription in SUBSCRIPTIONS:
        mapping = resources[event_source_id(subscription)]
        assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
        props = mapping["Properties"]
        # The function Chalice renders for @blueprint.lambda_function(name=...).
        assert props["FunctionName"] == {"Ref": subscription.logical_id}
        assert props["EventSourceArn"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
        assert props["StartingPosition"] == "TRIM_HORIZON"
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRetryAttempts"] == subscription.retries
        assert 0 < props["MaximumRecordAgeInSeconds"] <= 24 * 3600  # within the stream's day
        assert props["ParallelizationFactor"] == 1
        queue = dead_letter_queue_id(subscription)
        assert props["DestinationConfig"] == {
            "OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}
        }
        assert resources[queue]["Type"] == "AWS::SQS::Queue"
        assert resources[queue]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        alarm = resources[f"{queue}Alarm"]["Properties"]
        assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
        # Only the INSERTs of the types the consumer acts on are delivered.
        (only,) = props["FilterCriteria"]["Filters"]
        pattern = json.loads(only["Pattern"])
        assert pattern["eventName"] == ["INSERT"]
        if subscription.types is None:  # a consumer of every event
            assert pattern == {"eventName": ["INSERT"]}
        else:
            assert set(pattern["dynamodb"]["NewImage"]["type"]["S"]) == subscription.types
        assert len(only["Pattern"]) <= 4096  # Lambda's limit for one filter
        # The function gets the same settings as the API's.
        environment = resources[subscription.logical_id]["Properties"]["Environment"]
        assert environment == resources["APIHandler"]["Properties"]["Environment"]
    (pages,) = [s for s in SUBSCRIPTIONS if s.name == "pages_consumer"]
    assert pages.types == consumer.TYPES
    events_table = resources["EventsTable"]["Properties"]
    assert events_table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_the_consumer_runs_under_its_own_role_that_reads_the_stream_and_parks_failures():
    from portway_ops.streams import SUBSCRIPTIONS
    from portway_ops.tables import dead_letter_queue_id, dead_letter_queue_name

    (pages_consumer,) = [s for s in SUBSCRIPTIONS if s.name == "pages_consumer"]
    queue = load_template()["Resources"][dead_letter_queue_id(pages_consumer)]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${TablePrefix}pages-consumer-dead-letters"}
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        function = config["stages"][stage]["lambda_functions"]["pages_consumer"]
        assert function["lambda_timeout"] > 29  # not held to API Gateway's limit
        policy = json.loads((ROOT / ".chalice" / function["iam_policy_file"]).read_text())
        statements = {s["Sid"]: s for s in policy["Statement"]}
        stream = statements["PortwayEventsStream"]
        assert set(stream["Action"]) == {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        }
        assert stream["Resource"] == f"arn:aws:dynamodb:*:*:table/portway-{stage}-events/stream/*"
        dead_letters = statements["PortwayConsumerDeadLetters"]
        assert dead_letters["Action"] == ["sqs:SendMessage"]
        name = dead_letter_queue_name(pages_consumer, f"portway-{stage}-")
        assert dead_letters["Resource"] == f"arn:aws:sqs:*:*:{name}"
        # It writes pages and its consumed-event markers, and changes nothing else.
        assert set(statements["PortwayTables"]["Action"]) == {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
        }
        assert "ses:SendEmail" not in json.dumps(policy)
        # The API's own role does not read the stream.
        api_policy = (ROOT / ".chalice" / f"policy-{stage}.json").read_text()
        assert "GetRecords" not in api_policy
