"""The stack's mail resources: SES's configuration set and where its bounces and complaints
go: an SNS topic, and from it the `MailEvents` function (`chalicelib/handlers/mail_events.py`),
which suppresses the addresses (merged into infra/template.json by `portway infra render`).

The topic is encrypted with a key of our own: SES publishes only to a topic whose key lets it
(`kms:GenerateDataKey*`, `kms:Decrypt`), and the key AWS manages for SNS (`alias/aws/sns`)
has a policy nobody can change. SNS decrypts before it invokes the function."""

from __future__ import annotations

from typing import Any


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _key_policy() -> dict[str, Any]:
    """The account administers the key; SES uses it for this account's mail only."""
    account = _sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Account",
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "SesPublishes",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            },
        ],
    }


def resources() -> dict[str, Any]:
    """SES's configuration set (reputation metrics on), the topic its bounces and complaints
    go to (with its key), and the function's subscription to it."""
    return {
        "MailEventsKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": _sub("${AWS::StackName}: SES's bounces and complaints on SNS"),
                "EnableKeyRotation": True,
                "KeyPolicy": _key_policy(),
            },
        },
        "MailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": _sub("${AWS::StackName}-mail"),
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
            },
        },
        "MailEventsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["MailEventsKey", "Arn"]}},
        },
        # Only SES, for this account, may publish there: a report names addresses to stop
        # mailing and the tenant to tell, so nobody else in the account may make one up.
        "MailEventsTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "MailEventsTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OnlySes",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "MailEventsTopic"},
                            "Condition": {
                                "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        },
                        {
                            "Sid": "NobodyElse",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "MailEventsTopic"},
                            "Condition": {
                                "StringNotEqualsIfExists": {
                                    "aws:PrincipalServiceName": "ses.amazonaws.com"
                                }
                            },
                        },
                    ],
                },
            },
        },
        # Chalice renders `@blueprint.lambda_function(name="mail_events")` as `MailEvents`.
        "MailEventsSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "MailEventsTopic"},
                "Protocol": "lambda",
                "Endpoint": {"Fn::GetAtt": ["MailEvents", "Arn"]},
            },
        },
        "MailEventsInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "MailEvents"},
                "Action": "lambda:InvokeFunction",
                "Principal": "sns.amazonaws.com",
                "SourceArn": {"Ref": "MailEventsTopic"},
            },
        },
        "MailEventsDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": "MailConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": {"TopicARN": {"Ref": "MailEventsTopic"}},
                },
            },
        },
    }
