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
    # Looked up by a unique name, a secret's digest, or an e-mail address (for every tenant).
    global_tables = {"directory", "tokens", "mail-suppressions"}
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
    roles = [r for r in load_template()["Resources"].values() if r.get("Type") == "AWS::IAM::Role"]
    assert len(roles) >= 6
    assert "Scan" not in json.dumps(roles)


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


def _statements(role: str) -> dict[str, dict]:
    policy = load_template()["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_the_consumer_runs_under_its_own_role_that_reads_the_stream_and_parks_failures():
    from portway_ops.streams import SUBSCRIPTIONS
    from portway_ops.tables import dead_letter_queue_id

    (pages_consumer,) = [s for s in SUBSCRIPTIONS if s.name == "pages_consumer"]
    queue = load_template()["Resources"][dead_letter_queue_id(pages_consumer)]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${TablePrefix}pages-consumer-dead-letters"}
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in ("dev", "prod"):
        function = config["stages"][stage]["lambda_functions"]["pages_consumer"]
        assert function["lambda_timeout"] > 29  # not held to API Gateway's limit
        # The stack's own roles, not Chalice's; Graviton.
        assert config["stages"][stage]["manage_iam_role"] is False
        assert config["stages"][stage]["lambda_architecture"] == "arm64"
    statements = _statements("PagesConsumerRole")
    assert set(statements["EventsStream"]["Action"]) == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert statements["EventsStream"]["Resource"] == [{"Fn::GetAtt": ["EventsTable", "StreamArn"]}]
    assert statements["DeadLetters"] == {
        "Sid": "DeadLetters",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [{"Fn::GetAtt": [dead_letter_queue_id(pages_consumer), "Arn"]}],
    }
    # It writes pages and its consumed-event markers, and changes nothing else.
    assert set(statements["Tables"]["Action"]) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
    }
    assert "Mail" not in statements
    assert "KeyRing" not in statements
    # The API's own role does not read the stream, and every role names the tables by the
    # stack's prefix, never by a stage written into the policy.
    assert "EventsStream" not in _statements("APIHandlerRole")
    template = json.dumps(load_template()["Resources"])
    assert "portway-prod-" not in template
    assert "portway-dev-" not in template
    assert _statements("APIHandlerRole")["Tables"]["Resource"][0] == {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
        "${TablePrefix}*"
    }


def test_mail_and_keys_are_scoped_to_the_stacks_identity_and_parameter():
    statements = _statements("APIHandlerRole")
    assert statements["Mail"]["Action"] == ["ses:SendEmail"]
    assert all(
        "${MailIdentity}" in r["Fn::Sub"] or "${MailConfigurationSet}" in r["Fn::Sub"]
        for r in statements["Mail"]["Resource"]
    )
    assert statements["KeyRing"]["Action"] == ["ssm:GetParameter"]
    assert "${SecretParameterName}" in statements["KeyRing"]["Resource"][0]["Fn::Sub"]
    assert "*" not in json.dumps(statements["Mail"]["Resource"])


def test_tables_and_the_bucket_survive_a_stack_deletion_but_not_a_failed_first_creation():
    resources = load_template()["Resources"]
    for name, resource in resources.items():
        if resource.get("Type") in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"):
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
            assert resource["UpdateReplacePolicy"] == "Retain", name
        if resource.get("Type") == "AWS::DynamoDB::Table":
            assert resource["Properties"]["DeletionProtectionEnabled"] is True, name
    # Named by the stage, not the table prefix: a restore into new tables keeps its blobs.
    bucket = resources["BlobBucket"]["Properties"]["BucketName"]
    assert bucket == {"Fn::Sub": "portway-${Stage}-blobs-${AWS::AccountId}"}


def test_the_cdn_serves_pages_and_static_files_from_the_bucket_and_falls_back_to_the_api():
    resources = load_template()["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [{"Ref": "DomainName"}]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == {"Ref": "CertificateArn"}
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    assert origins["blobs"]["OriginAccessControlId"] == {"Fn::GetAtt": ["BlobOriginAccess", "Id"]}
    assert origins["api"]["OriginPath"] == "/api"
    assert origins["api"]["OriginCustomHeaders"] == [
        {"HeaderName": "X-Portway-Origin", "HeaderValue": {"Ref": "OriginHeader"}}
    ]
    (group,) = config["OriginGroups"]["Items"]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [403, 404]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["blobs", "api"]
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviors) == {"/p/*", "/page-assets/*", "/console*"}
    for behavior in behaviors.values():
        assert behavior["TargetOriginId"] == "blobs-then-api"
        assert behavior["Compress"] is True
        assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
        events = {f["EventType"]: f["FunctionARN"] for f in behavior["FunctionAssociations"]}
        assert events["viewer-response"] == {"Fn::GetAtt": ["PageResponseFunction", "FunctionARN"]}
    assert {f["EventType"] for f in behaviors["/p/*"]["FunctionAssociations"]} == {
        "viewer-request",
        "viewer-response",
    }
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "api"  # /v1/*, /sso/* and the rest
    assert "POST" in default["AllowedMethods"]
    # The functions' code is the tested files'.
    for name in ("page-request", "page-response", "api-request"):
        logical = "".join(part.title() for part in name.split("-")) + "Function"
        code = resources[logical]["Properties"]["FunctionCode"]
        assert code == (ROOT / "infra" / "cloudfront" / f"{name}.js").read_text()
    # The CDN reads the pages' copies and the published files, nothing else of the bucket.
    statements = resources["BlobBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    read = statements[0]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert [r["Fn::Sub"] for r in read["Resource"]] == [
        "${BlobBucket.Arn}/site/*",
        "${BlobBucket.Arn}/p/*",
        "${BlobBucket.Arn}/page-assets/*",
        "${BlobBucket.Arn}/console*",
    ]
    assert (
        "distribution/${Distribution}"
        in read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    )


def test_the_edge_stack_slows_down_password_guessing_signups_and_sso():
    from portway_ops import edge

    template = json.loads((ROOT / "infra" / "edge.json").read_text())
    assert (ROOT / "infra" / "edge.json").read_text() == edge.render_text()
    acl = template["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    for name in ("SignIn", "PasswordReset", "Signup", "SingleSignOn"):
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP"
        assert rules[name]["Action"] == {"Block": {}}
    searched = json.dumps(rules["SignIn"])
    assert "/v1/team/sessions" in searched
    assert "/v1/portal/sessions" in searched
    assert sorted(r["Priority"] for r in acl["Rules"]) == list(range(len(acl["Rules"])))


def test_the_throttled_routes_exist_and_no_throttle_can_shut_sign_in_for_everybody():
    from app import app
    from portway_ops import stack

    for path, method in stack.SENSITIVE_ROUTES:
        assert method in app.routes.get(path, {}), (path, method)
    assert stack.SENSITIVE_RATE >= 100  # all callers together: the WAF counts per address
    settings = load_template()["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    throttled = {s["ResourcePath"] for s in settings if s["ResourcePath"] != "/*"}
    assert "/~1sso~1{slug}~1jwt" in throttled
    assert "/~1v1~1team~1password-resets" in throttled
