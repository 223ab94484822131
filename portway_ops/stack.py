"""The stage's stack around the tables: parameters, the functions' roles, settings,
concurrency and logs, the public function, mail, throttling, alarms and the dashboard.

Merged into what `chalice package` renders (`infra/template.json`, written by `portway infra
render`): Chalice makes the functions and the REST API; everything here is either a resource
of ours or a property of theirs that we set (merging replaces lists whole and merges
objects key by key).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The functions `chalice package` renders, and what each may use at once. The public
# function serves everything a customer's person or an anonymous visitor reaches (pages,
# portals, sign-in, signup, self-service, SSO); the provider's API and console have their own,
# so a flood of password guesses (argon2id, memory-hard) cannot starve the provider's team.
FUNCTIONS: dict[str, int] = {
    "APIHandler": 100,
    "PublicHandler": 100,
    "PagesConsumer": 10,
    "WebhooksConsumer": 10,
    "TicketsConsumer": 5,
    "WebhooksRetries": 2,
    "MailEvents": 2,
    "ExportsConsumer": 5,
}
API_FUNCTIONS = ("APIHandler", "PublicHandler")
CONSUMERS = ("PagesConsumer", "WebhooksConsumer", "TicketsConsumer", "ExportsConsumer")
PROVIDER_AUTH = frozenset({"api_key", "staff"})

# API Gateway's throttle for the whole stage, and a tighter one on each route that checks a
# password or makes an account (requests per second, all callers together; bursts twice
# that). These protect the functions, not the accounts: they are far above what people
# need, since one caller must not be able to hold everybody else's sign-in shut. Per
# address, the edge stack's WAF counts; per account, the app (chalicelib ratelimit).
STAGE_RATE = 500
SENSITIVE_RATE = 200
SENSITIVE_ROUTES = (
    ("/v1/team/sessions", "POST"),
    ("/v1/team/password-resets", "POST"),
    ("/v1/team/password-resets/confirm", "POST"),
    ("/v1/portal/sessions", "POST"),
    ("/v1/portal/password-resets", "POST"),
    ("/v1/portal/password-resets/confirm", "POST"),
    ("/v1/hosted/{slug}/signup", "POST"),
    ("/sso/{slug}/jwt", "POST"),
)

PARAMETERS: dict[str, Any] = {
    "Stage": {
        "Type": "String",
        "AllowedPattern": "^[a-z][a-z0-9]{1,15}$",
        "Description": "The stage's name (dev, prod): names the bucket, never changes.",
    },
    "DomainName": {
        "Type": "String",
        "AllowedPattern": r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z]{2,}$",
        "ConstraintDescription": "a host name such as portal.example.com",
        "Description": "The stage's one public host: every link Portway sends points here.",
    },
    "MailFrom": {
        "Type": "String",
        "MinLength": 6,
        "Description": 'The sender of every e-mail, e.g. "Portway <no-reply@example.com>".',
    },
    "MailIdentity": {
        "Type": "String",
        "MinLength": 3,
        "Description": "The SES identity (verified domain or address) the sender belongs to.",
    },
    "SecretParameterName": {
        "Type": "String",
        "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
        "Description": "The SSM SecureString holding the key ring (portway keys init).",
    },
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 90,
        "AllowedValues": [30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653],
        "Description": "How long the functions' logs are kept.",
    },
    "Tracing": {
        "Type": "String",
        "Default": "Active",
        "AllowedValues": ["Active", "PassThrough"],
        "Description": "X-Ray traces of the functions (Active), or none (PassThrough).",
    },
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Who gets the alarms by e-mail (empty: subscribe to the topic yourself).",
    },
}

PARAMETERS.update(
    {
        "CertificateArn": {
            "Type": "String",
            "AllowedPattern": "^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[a-f0-9-]+$",
            "ConstraintDescription": "an ACM certificate in us-east-1 (CloudFront's region)",
            "Description": "The certificate of DomainName, made in ACM in us-east-1.",
        },
        "OriginHeader": {
            "Type": "String",
            "NoEcho": True,
            "AllowedPattern": "^[0-9a-f]{64}$",
            "Description": "The CDN's proof of origin: `portway --stage STAGE keys origin-header`.",
        },
        "WebAclArn": {
            "Type": "String",
            "Default": "",
            "Description": "The edge stack's WAF web ACL (infra/edge.json, in us-east-1).",
        },
        "PriceClass": {
            "Type": "String",
            "Default": "PriceClass_100",
            "AllowedValues": ["PriceClass_100", "PriceClass_200", "PriceClass_All"],
            "Description": "CloudFront's edge locations: Europe and North America by default.",
        },
    }
)

CONDITIONS = {
    "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
    "HasWebAcl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebAclArn"}, ""]}]},
    "TracingOn": {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]},
}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def environment() -> dict[str, Any]:
    """What every function of ours reads from its environment (its settings)."""
    return {
        "PORTWAY_TABLE_PREFIX": {"Ref": "TablePrefix"},
        "PORTWAY_BLOB_BUCKET": {"Ref": "BlobBucket"},
        "PORTWAY_PUBLIC_BASE_URL": _sub("https://${DomainName}"),
        "PORTWAY_MAIL_FROM": {"Ref": "MailFrom"},
        "PORTWAY_MAIL_CONFIGURATION_SET": {"Ref": "MailConfigurationSet"},
        "PORTWAY_SECRET_PARAMETER": {"Ref": "SecretParameterName"},
        "POWERTOOLS_SERVICE_NAME": "portway",
        "POWERTOOLS_METRICS_NAMESPACE": "Portway",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": {"Fn::If": ["TracingOn", "false", "true"]},
        # Every request must come through the CDN (its origin header): API Gateway's own
        # address would skip the WAF and the viewer's address.
        "PORTWAY_REQUIRE_CDN": "true",
    }


def _statement(sid: str, actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _table_arns() -> list[Any]:
    arn = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TablePrefix}"
    return [_sub(arn + "*"), _sub(arn + "*/index/*")]


READS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class Access:
    """What one function's code does (never a Scan): its role allows that and no more."""

    def __init__(
        self,
        tables: tuple[str, ...],
        *,
        blobs: bool = False,
        mail: bool = False,
        keys: bool = False,
        stream: bool = False,
    ) -> None:
        self.tables, self.blobs, self.mail, self.keys = tables, blobs, mail, keys
        self.stream = stream  # a consumer of the events stream, with a dead-letter queue


EVERYTHING = (*READS, *WRITES, "dynamodb:ConditionCheckItem")
ACCESS = {
    "APIHandler": Access(EVERYTHING, blobs=True, mail=True, keys=True),
    "PublicHandler": Access(EVERYTHING, blobs=True, mail=True, keys=True),
    # Pages and the consumed-event markers; nothing else changes.
    "PagesConsumer": Access((*READS, "dynamodb:PutItem"), blobs=True, stream=True),
    # Deliveries and their log; webhook secrets are derived from the key ring.
    "WebhooksConsumer": Access(EVERYTHING, keys=True, stream=True),
    "TicketsConsumer": Access(EVERYTHING, mail=True, stream=True),
    "WebhooksRetries": Access(EVERYTHING, keys=True),
    # Excel protocols: reads the log, writes the export's progress and its file.
    "ExportsConsumer": Access((*READS, "dynamodb:UpdateItem"), blobs=True, stream=True),
    # SES's bounces and complaints (through SNS): the suppressed addresses and their events.
    "MailEvents": Access(EVERYTHING),
}


def _statements(name: str, access: Access, queue: str | None) -> list[dict[str, Any]]:
    arn = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:"
    found = [
        _statement(
            "Logs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [{"Fn::GetAtt": [f"{name}LogGroup", "Arn"]}],
        ),
        _statement("Tables", list(access.tables), _table_arns()),
        # X-Ray takes no resource names: its calls are allowed on `*`.
        _statement("Traces", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),
    ]
    if access.blobs:
        found.append(
            _statement(
                "Blobs",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                [_sub("${BlobBucket.Arn}/*")],
            )
        )
        # Without it S3 answers a missing key with 403, not 404.
        found.append(
            _statement("BlobsList", ["s3:ListBucket"], [{"Fn::GetAtt": ["BlobBucket", "Arn"]}])
        )
    if access.mail:
        found.append(
            _statement(
                "Mail",
                ["ses:SendEmail"],
                [
                    _sub(arn % "ses" + "identity/${MailIdentity}"),
                    _sub(arn % "ses" + "configuration-set/${MailConfigurationSet}"),
                ],
            )
        )
    if access.keys:
        found.append(
            _statement(
                "KeyRing",
                ["ssm:GetParameter"],
                [_sub(arn % "ssm" + "parameter${SecretParameterName}")],
            )
        )
    if access.stream:
        found.append(
            _statement(
                "EventsStream",
                [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                [{"Fn::GetAtt": ["EventsTable", "StreamArn"]}],
            )
        )
        found.append(
            _statement("DeadLetters", ["sqs:SendMessage"], [{"Fn::GetAtt": [queue, "Arn"]}])
        )
    return found


def _role(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "portway",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def roles(dead_letter_queues: dict[str, str]) -> dict[str, Any]:
    """One role per function (`dead_letter_queues`: each consumer's queue by function)."""
    return {
        f"{name}Role": _role(_statements(name, access, dead_letter_queues.get(name)))
        for name, access in ACCESS.items()
    }


def functions() -> dict[str, Any]:
    """The properties merged into each function Chalice renders, its log group, and the
    public function (the same package, another name and concurrency)."""
    resources: dict[str, Any] = {}
    for name, concurrency in FUNCTIONS.items():
        resources[name] = {
            "Properties": {
                "Role": {"Fn::GetAtt": [f"{name}Role", "Arn"]},
                "ReservedConcurrentExecutions": concurrency,
                "Tracing": {"Ref": "Tracing"},
                "Environment": {"Variables": environment()},
                "LoggingConfig": {"LogGroup": {"Ref": f"{name}LogGroup"}, "LogFormat": "Text"},
            }
        }
        resources[f"{name}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": _sub(f"/aws/lambda/${{AWS::StackName}}-{name}"),
                "RetentionInDays": {"Ref": "LogRetentionDays"},
            },
        }
    public = resources["PublicHandler"]["Properties"]
    # The code, runtime, handler and sizes are the API function's, copied by
    # `portway_ops.packaging` once Chalice has written them.
    public["Description"] = "Portway: pages, portals, sign-in, signup, self-service, SSO"
    resources["PublicHandler"]["Type"] = "AWS::Serverless::Function"
    resources["PublicHandlerInvokePermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": "PublicHandler"},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": _sub(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestAPI}/*"
            ),
        },
    }
    return resources


def _escape(path: str) -> str:
    """A resource path as API Gateway's method settings name it: a slash, then the path with
    its slashes as `~1` (`/v1/x` is `/~1v1~1x`)."""
    return "/" + path.replace("~", "~0").replace("/", "~1")


def rest_api(routes: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """The REST API's name, throttling, and the public routes' integration with the public
    function (`routes`: path, method, how the route authenticates)."""
    uri = _sub(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${PublicHandler.Arn}/invocations"
    )
    paths: dict[str, Any] = {}
    for path, method, auth in routes:
        if auth not in PROVIDER_AUTH:
            integration = {"x-amazon-apigateway-integration": {"uri": uri}}
            paths.setdefault(path, {})[method.lower()] = integration
    throttles = [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": STAGE_RATE,
            "ThrottlingBurstLimit": 2 * STAGE_RATE,
            "MetricsEnabled": True,
        },
        *(
            {
                "ResourcePath": _escape(path),
                "HttpMethod": method,
                "ThrottlingRateLimit": SENSITIVE_RATE,
                "ThrottlingBurstLimit": 2 * SENSITIVE_RATE,
            }
            for path, method in SENSITIVE_ROUTES
        ),
    ]
    return {
        "RestAPI": {
            "Properties": {
                "Name": {"Ref": "AWS::StackName"},
                "MethodSettings": throttles,
                "DefinitionBody": {"paths": paths},
            }
        }
    }


def _portway_metric(name: str) -> dict[str, Any]:
    """One of the app's own metrics (chalicelib/observability.py)."""
    return {
        "Namespace": "Portway",
        "MetricName": name,
        "Dimensions": [{"Name": "service", "Value": "portway"}],
    }


def _alarm(description: str, metric: dict[str, Any], threshold: float, **extra: Any) -> Any:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            "OKActions": [{"Ref": "AlarmTopic"}],
            **metric,
            **extra,
        },
    }


def alarms() -> dict[str, Any]:
    """What wakes someone: errors, throttles, a consumer falling behind, parked records,
    mail that bounces."""
    api = [
        {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}},
        {"Name": "Stage", "Value": "api"},
    ]
    found: dict[str, Any] = {
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "AlarmEmail"},
            },
        },
        "ServerErrorRateAlarm": _alarm(
            "More than 1% of API requests answered 5xx for 15 minutes.",
            {"Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Dimensions": api},
            0.01,
            Statistic="Average",
            EvaluationPeriods=3,
        ),
        "UnexpectedErrorsAlarm": _alarm(
            "A bug answered 500 (the log line with level ERROR has its trace).",
            _portway_metric("UnexpectedErrors"),
            1,
            Statistic="Sum",
        ),
        "ConsumerFailuresAlarm": _alarm(
            "Stream consumers failed on records again and again (retried, then parked).",
            _portway_metric("ConsumerFailures"),
            5,
            Statistic="Sum",
        ),
        "MailBounceRateAlarm": _alarm(
            "SES bounce rate at 4%: SES reviews the account at 5%.",
            {"Namespace": "AWS/SES", "MetricName": "Reputation.BounceRate"},
            0.04,
            Statistic="Maximum",
        ),
        "MailComplaintRateAlarm": _alarm(
            "SES complaint rate at 0.08%: SES reviews the account at 0.1%.",
            {"Namespace": "AWS/SES", "MetricName": "Reputation.ComplaintRate"},
            0.0008,
            Statistic="Maximum",
        ),
    }
    for name in FUNCTIONS:
        function = [{"Name": "FunctionName", "Value": {"Ref": name}}]
        found[f"{name}ThrottlesAlarm"] = _alarm(
            f"{name} was throttled: its reserved concurrency is used up.",
            {"Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": function},
            1,
            Statistic="Sum",
        )
    for name in CONSUMERS:
        function = [{"Name": "FunctionName", "Value": {"Ref": name}}]
        found[f"{name}IteratorAgeAlarm"] = _alarm(
            f"{name} is more than a minute behind the events stream.",
            {"Namespace": "AWS/Lambda", "MetricName": "IteratorAge", "Dimensions": function},
            60_000,
            Statistic="Maximum",
            EvaluationPeriods=3,
        )
    return found


def _widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "metrics": metrics,
            "stat": stat,
            "period": 300,
            "region": "${AWS::Region}",
        },
    }


def dashboard() -> dict[str, Any]:
    """One page with what the alarms watch, and the traffic around it."""
    api = ["ApiName", "${AWS::StackName}", "Stage", "api"]
    widgets = [
        _widget(
            "API requests and errors",
            [
                ["AWS/ApiGateway", "Count", *api],
                ["AWS/ApiGateway", "4XXError", *api],
                ["AWS/ApiGateway", "5XXError", *api],
            ],
            0,
            0,
            "Sum",
        ),
        _widget("API latency (p95)", [["AWS/ApiGateway", "Latency", *api]], 12, 0, "p95"),
        _widget(
            "Portway's own counts",
            [
                ["Portway", metric, "service", "portway"]
                for metric in ("UnexpectedErrors", "ServerErrors", "ConsumerFailures")
            ],
            0,
            6,
            "Sum",
        ),
        _widget(
            "Throttles",
            [["AWS/Lambda", "Throttles", "FunctionName", f"${{{name}}}"] for name in FUNCTIONS],
            12,
            6,
            "Sum",
        ),
        _widget(
            "Consumers behind the stream (ms)",
            [["AWS/Lambda", "IteratorAge", "FunctionName", f"${{{name}}}"] for name in CONSUMERS],
            0,
            12,
            "Maximum",
        ),
        _widget(
            "Mail reputation",
            [
                ["AWS/SES", "Reputation.BounceRate"],
                ["AWS/SES", "Reputation.ComplaintRate"],
            ],
            12,
            12,
            "Maximum",
        ),
    ]
    return {
        "Dashboard": {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": _sub("${AWS::StackName}"),
                "DashboardBody": _sub(json.dumps({"widgets": widgets}, separators=(",", ":"))),
            },
        }
    }


# CloudFront's managed policies (their ids are fixed by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
FUNCTIONS_FOLDER = Path(__file__).resolve().parent.parent / "infra" / "cloudfront"
# What the bucket gives the CDN: the pages' and logos' copies and the published static files
# (at the keys of their addresses: portway_ops.assets); never documents, imports or
# attachments (the function hands those out, large ones by presigned links).
CDN_PREFIXES = ("site/", "p/", "page-assets/", "console")


def _cloudfront_function(name: str, comment: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": _sub(f"${{AWS::StackName}}-{name}"),
            "AutoPublish": True,
            "FunctionCode": (FUNCTIONS_FOLDER / f"{name}.js").read_text(),
            "FunctionConfig": {"Comment": comment, "Runtime": "cloudfront-js-2.0"},
        },
    }


def _behavior(pattern: str | None, origin: str, cache: Any, **extra: Any) -> dict[str, Any]:
    behavior = {
        "TargetOriginId": origin,
        "ViewerProtocolPolicy": "redirect-to-https",
        "Compress": True,
        "CachePolicyId": cache,
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        **extra,
    }
    if pattern is not None:
        behavior["PathPattern"] = pattern
    return behavior


def _on(event: str, function: str) -> dict[str, Any]:
    return {"EventType": event, "FunctionARN": {"Fn::GetAtt": [function, "FunctionARN"]}}


def cdn() -> dict[str, Any]:
    """One domain per stage: pages and static files from the bucket (no function per page
    view), everything else from the API; a page the bucket has no copy of comes from the
    function (origin failover on 403/404), so no answer is ever a bare S3 error."""
    api_domain = _sub("${RestAPI}.execute-api.${AWS::Region}.amazonaws.com")
    pages_response = _on("viewer-response", "PageResponseFunction")
    distribution = {
        "Aliases": [{"Ref": "DomainName"}],
        "Enabled": True,
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": {"Ref": "PriceClass"},
        "Comment": _sub("Portway ${Stage}"),
        "ViewerCertificate": {
            "AcmCertificateArn": {"Ref": "CertificateArn"},
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
        "WebACLId": {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]},
        "Origins": [
            {
                "Id": "blobs",
                "DomainName": {"Fn::GetAtt": ["BlobBucket", "RegionalDomainName"]},
                "OriginAccessControlId": {"Fn::GetAtt": ["BlobOriginAccess", "Id"]},
                "S3OriginConfig": {"OriginAccessIdentity": ""},
            },
            {
                "Id": "api",
                "DomainName": api_domain,
                "OriginPath": "/api",
                "CustomOriginConfig": {
                    "OriginProtocolPolicy": "https-only",
                    "OriginSSLProtocols": ["TLSv1.2"],
                },
                "OriginCustomHeaders": [
                    {"HeaderName": "X-Portway-Origin", "HeaderValue": {"Ref": "OriginHeader"}}
                ],
            },
        ],
        "OriginGroups": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "blobs-then-api",
                    "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [403, 404]}},
                    "Members": {
                        "Quantity": 2,
                        "Items": [{"OriginId": "blobs"}, {"OriginId": "api"}],
                    },
                }
            ],
        },
        "DefaultCacheBehavior": _behavior(
            None,
            "api",
            CACHING_DISABLED,
            AllowedMethods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
            OriginRequestPolicyId={"Ref": "ApiOriginRequestPolicy"},
            FunctionAssociations=[_on("viewer-request", "ApiRequestFunction")],
        ),
        "CacheBehaviors": [
            _behavior(
                "/p/*",
                "blobs-then-api",
                {"Ref": "PagesCachePolicy"},
                OriginRequestPolicyId={"Ref": "PagesOriginRequestPolicy"},
                FunctionAssociations=[
                    _on("viewer-request", "PageRequestFunction"),
                    pages_response,
                ],
            ),
            _behavior(
                "/page-assets/*",
                "blobs-then-api",
                CACHING_OPTIMIZED,
                FunctionAssociations=[pages_response],
            ),
            _behavior(
                "/console*",
                "blobs-then-api",
                CACHING_OPTIMIZED,
                FunctionAssociations=[pages_response],
            ),
        ],
    }
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheCdnReadsPagesAndStaticFiles",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": [_sub(f"${{BlobBucket.Arn}}/{prefix}*") for prefix in CDN_PREFIXES],
                "Condition": {
                    "StringEquals": {
                        "AWS:SourceArn": _sub(
                            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                            "distribution/${Distribution}"
                        )
                    }
                },
            },
            {
                "Sid": "OnlyTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    {"Fn::GetAtt": ["BlobBucket", "Arn"]},
                    _sub("${BlobBucket.Arn}/*"),
                ],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    return {
        "Distribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {"DistributionConfig": distribution},
        },
        "BlobOriginAccess": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": _sub("${AWS::StackName}-blobs"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "BlobBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "BlobBucket"}, "PolicyDocument": bucket_policy},
        },
        "PageRequestFunction": _cloudfront_function(
            "page-request", "Page addresses to the keys of their stored copies"
        ),
        "PageResponseFunction": _cloudfront_function(
            "page-response", "Stored headers (object metadata) back onto the response"
        ),
        "ApiRequestFunction": _cloudfront_function(
            "api-request", "The viewer's address for the API's rate limits"
        ),
        # The path is the key (the viewer-request function puts language and variant in it):
        # a minute at the edge, as the pages' own Cache-Control says.
        "PagesCachePolicy": {
            "Type": "AWS::CloudFront::CachePolicy",
            "Properties": {
                "CachePolicyConfig": {
                    "Name": _sub("${AWS::StackName}-pages"),
                    "MinTTL": 0,
                    "DefaultTTL": 60,
                    "MaxTTL": 31536000,
                    "ParametersInCacheKeyAndForwardedToOrigin": {
                        "EnableAcceptEncodingGzip": True,
                        "EnableAcceptEncodingBrotli": True,
                        "CookiesConfig": {"CookieBehavior": "none"},
                        "HeadersConfig": {"HeaderBehavior": "none"},
                        "QueryStringsConfig": {"QueryStringBehavior": "none"},
                    },
                }
            },
        },
        # A logo the function serves is asked for as image/png (the page-request function).
        "PagesOriginRequestPolicy": {
            "Type": "AWS::CloudFront::OriginRequestPolicy",
            "Properties": {
                "OriginRequestPolicyConfig": {
                    "Name": _sub("${AWS::StackName}-pages"),
                    "CookiesConfig": {"CookieBehavior": "none"},
                    "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": ["accept"]},
                    "QueryStringsConfig": {"QueryStringBehavior": "none"},
                }
            },
        },
        # Everything but Host (API Gateway wants its own).
        "ApiOriginRequestPolicy": {
            "Type": "AWS::CloudFront::OriginRequestPolicy",
            "Properties": {
                "OriginRequestPolicyConfig": {
                    "Name": _sub("${AWS::StackName}-api"),
                    "CookiesConfig": {"CookieBehavior": "all"},
                    "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": ["host"]},
                    "QueryStringsConfig": {"QueryStringBehavior": "all"},
                }
            },
        },
    }


def outputs() -> dict[str, Any]:
    """What the operator commands and the release steps need to know of the stack."""
    return {
        "BlobBucketName": {"Value": {"Ref": "BlobBucket"}},
        "PublicBaseUrl": {"Value": _sub("https://${DomainName}")},
        # Point DomainName here (a CNAME, or a Route 53 alias).
        "DistributionDomainName": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
        "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
        "MailEventsTopicArn": {"Value": {"Ref": "MailEventsTopic"}},
    }
