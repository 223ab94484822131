"""The deployment template: rendered from the models into `infra/template.json`, merged
into Chalice's SAM output (`chalice package --merge-template`), and read by the local
setup to create the same tables, so AWS and a laptop cannot disagree.

The consumers of the events stream (`portway_ops.streams.SUBSCRIPTIONS`) are rendered here
too: per consumer an event source mapping on the events table's stream (filtered to its
event types, partial batch responses, bisection, bounded retries), an SQS dead-letter queue
for what keeps failing, an alarm on that queue, and the function's environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pynamodb.attributes import TTLAttribute

from chalicelib.models import TABLE_MODELS, Event, PortwayModel
from chalicelib.models.base import base_name
from chalicelib.operations import OPERATIONS
from portway_ops import mail_stack, stack
from portway_ops.streams import SUBSCRIPTIONS, Subscription

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "infra" / "template.json"


def _logical_id(model: type[PortwayModel]) -> str:
    words = base_name(model).replace("-", " ").title().replace(" ", "")
    return f"{words}Table"


def _ttl_attribute(model: type[PortwayModel]) -> str | None:
    for attr in model.get_attributes().values():
        if isinstance(attr, TTLAttribute):
            return attr.attr_name
    return None


def _hash_first(key_schema: Any) -> list[dict[str, str]]:
    # DynamoDB wants the HASH element first; PynamoDB lists keys in attribute order.
    return sorted(key_schema, key=lambda k: k["KeyType"] != "HASH")


def _table_resource(model: type[PortwayModel]) -> dict[str, Any]:
    schema = model._get_schema()
    props: dict[str, Any] = {
        "TableName": {"Fn::Sub": "${TablePrefix}" + base_name(model)},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda d: d["AttributeName"]
        ),
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if schema["global_secondary_indexes"]:
        props["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index["index_name"],
                "KeySchema": _hash_first(index["key_schema"]),
                "Projection": index["projection"],
            }
            for index in schema["global_secondary_indexes"]
        ]
    ttl = _ttl_attribute(model)
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        props["StreamSpecification"] = {"StreamViewType": stream}
    # Kept when the stack is deleted, and refused to DeleteTable calls; deleted only when the
    # stack's first creation fails, so that a retry finds no table in its way.
    props["DeletionProtectionEnabled"] = True
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "RetainExceptOnCreate",
        "UpdateReplacePolicy": "Retain",
        "Properties": props,
    }


# A parked batch waits this long for someone to replay it (SQS's longest).
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


def dead_letter_queue_id(subscription: Subscription) -> str:
    """The logical id of a consumer's dead-letter queue."""
    return f"{subscription.logical_id}DeadLetters"


def event_source_id(subscription: Subscription) -> str:
    """The logical id of a consumer's event source mapping."""
    return f"{subscription.logical_id}EventSource"


def dead_letter_queue_name(subscription: Subscription, prefix: str) -> str:
    """The queue's name for a table prefix (the IAM policies name it)."""
    return f"{prefix}{subscription.name.replace('_', '-')}-dead-letters"


def _consumer_resources(subscription: Subscription) -> dict[str, Any]:
    """The event source mapping of one consumer, its dead-letter queue and alarm, and its
    function's environment (merged into the function Chalice renders)."""
    queue = dead_letter_queue_id(subscription)
    pattern = json.dumps(subscription.filter_pattern(), sort_keys=True, separators=(",", ":"))
    return {
        queue: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": {"Fn::Sub": dead_letter_queue_name(subscription, "${TablePrefix}")},
                "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        f"{queue}Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": (
                    f"{subscription.name} parked events it kept failing on; the message names "
                    "the shard and sequence numbers: fix the cause, then replay them or "
                    "render the tenant's pages again (POST /v1/pages/render)."
                ),
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
                ],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            },
        },
        event_source_id(subscription): {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "FunctionName": {"Ref": subscription.logical_id},
                "EventSourceArn": {"Fn::GetAtt": [_logical_id(Event), "StreamArn"]},
                # From the stream's oldest record: events written before the mapping existed
                # are consumed too.
                "StartingPosition": "TRIM_HORIZON",
                "BatchSize": subscription.batch_size,
                "MaximumBatchingWindowInSeconds": 0,  # at once: a change's page is awaited
                # One batch per shard at a time: a tenant's events (its partition key) in order.
                "ParallelizationFactor": 1,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": subscription.retries,
                "MaximumRecordAgeInSeconds": subscription.max_record_age_seconds,
                "FilterCriteria": {"Filters": [{"Pattern": pattern}]},
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}},
            },
        },
    }


# Logos, documents and rendered pages. Private: the app serves them, with its own headers.
# Named by the stage, not the table prefix: a restore into new tables keeps its blobs.
_BLOB_BUCKET = {
    "Type": "AWS::S3::Bucket",
    "DeletionPolicy": "RetainExceptOnCreate",
    "UpdateReplacePolicy": "Retain",
    "Properties": {
        "BucketName": {"Fn::Sub": "portway-${Stage}-blobs-${AWS::AccountId}"},
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        # Uploads wait a day to be used, exports are kept a week; replaced and deleted
        # objects stay restorable for 90 days (docs/operations.md, "Backup and restore").
        "LifecycleConfiguration": {
            "Rules": [
                {"Id": "uploads", "Status": "Enabled", "Prefix": "uploads/", "ExpirationInDays": 1},
                {"Id": "exports", "Status": "Enabled", "Prefix": "exports/", "ExpirationInDays": 7},
                {
                    "Id": "versions",
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                },
            ]
        },
        # The console's browser PUTs and GETs files through presigned links.
        "CorsConfiguration": {
            "CorsRules": [
                {
                    "AllowedOrigins": [{"Fn::Sub": "https://${DomainName}"}],
                    "AllowedMethods": ["GET", "PUT"],
                    "AllowedHeaders": ["content-type"],
                    "MaxAge": 3600,
                }
            ]
        },
    },
}


def render_template() -> dict[str, Any]:
    """The merge template: every table (from the models), the blob bucket, the consumers'
    event sources, and the stack around them (portway_ops.stack)."""
    from app import app

    routes = [
        (path, method, operation.auth)
        for operation in OPERATIONS
        for path, methods in app.routes.items()
        for method in methods
        if (operation.path, operation.method) == (path, method)
    ]
    consumers = {k: v for s in SUBSCRIPTIONS for k, v in _consumer_resources(s).items()}
    for resource in consumers.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            resource["Properties"]["AlarmActions"] = [{"Ref": "AlarmTopic"}]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Portway: tables, blobs, functions' settings, mail, alarms (generated "
        "by `portway infra render`).",
        "Parameters": {
            "TablePrefix": {
                "Type": "String",
                "AllowedPattern": "^[a-z0-9-]+-$",
                "Description": "Prefix of every table name, e.g. portway-prod-.",
            },
            **stack.PARAMETERS,
        },
        "Conditions": stack.CONDITIONS,
        "Resources": {
            **{_logical_id(m): _table_resource(m) for m in TABLE_MODELS},
            "BlobBucket": _BLOB_BUCKET,
            **consumers,
            **stack.roles({s.logical_id: dead_letter_queue_id(s) for s in SUBSCRIPTIONS}),
            **stack.functions(),
            **stack.rest_api(routes),
            **mail_stack.resources(),
            **stack.alarms(),
            **stack.dashboard(),
            **stack.cdn(),
        },
        "Outputs": stack.outputs(),
    }


def render_text() -> str:
    """The template as the text committed in `infra/tables.json`."""
    return json.dumps(render_template(), indent=2, sort_keys=True) + "\n"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The committed template."""
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def create_table_requests(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """`CreateTable` arguments (plus `_ttl`) for each table of a template, for one prefix."""
    requests = []
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        name = props["TableName"]["Fn::Sub"].replace("${TablePrefix}", prefix)
        request: dict[str, Any] = {
            "TableName": name,
            "BillingMode": props["BillingMode"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            view = props["StreamSpecification"]["StreamViewType"]
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
        request["_ttl"] = props.get("TimeToLiveSpecification", {}).get("AttributeName")
        requests.append(request)
    return requests


def create_tables(client: Any, prefix: str, template: dict[str, Any] | None = None) -> list[str]:
    """Create every missing table of the template (local setup and tests only)."""
    existing = set(client.list_tables()["TableNames"])
    created = []
    for request in create_table_requests(template or load_template(), prefix):
        ttl = request.pop("_ttl")
        if request["TableName"] in existing:
            continue
        client.create_table(**request)
        client.get_waiter("table_exists").wait(TableName=request["TableName"])
        if ttl:
            client.update_time_to_live(
                TableName=request["TableName"],
                TimeToLiveSpecification={"AttributeName": ttl, "Enabled": True},
            )
        created.append(request["TableName"])
    return created
