"""The deployment, proven without an AWS account: `infra/package.sh` builds the stage's
package (Python 3.12/3.13, arm64), cfn-lint checks its templates, the whole stack is created
in moto's server mode (moto stands in for the AWS account), and API Gateway-shaped events,
stream records and a page view go through the packaged handler.

What moto does not create (CloudFront, WAF, SES, alarms, API stages) or runs through Docker
(stream mappings) is checked in the template itself. The packaged code runs from the zip's
own `app.py` and `chalicelib/`; its native libraries are aarch64, so the test machine's own
(x86_64) versions of the same packages stand in for them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import keyring
from portway_ops import keys as key_ops
from portway_ops import stack as stack_ops

ROOT = Path(__file__).resolve().parent.parent
STACK = "portway-prod"
REGION = "eu-central-1"
PARAMETERS = {
    "Stage": "prod",
    "TablePrefix": "portway-prod-",
    "DomainName": "portal.example.com",
    "MailFrom": "Portway <no-reply@example.com>",
    "MailIdentity": "example.com",
    "SecretParameterName": "/portway/prod/keys",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789",
}
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "out"
    done = subprocess.run(
        ["infra/package.sh", "prod", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SERVER_LOG: list[Path] = []


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server in a process of its own: the stand-in AWS account."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    SERVER_LOG.append(log)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    # Lambda functions are stored, never run by moto (that needs Docker): this test runs
    # them itself, each call in a fresh process.
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5)
    yield endpoint
    server.terminate()
    server.wait(10)


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _translated(package: Path, bucket: str) -> dict[str, Any]:
    """The SAM template as CloudFormation sees it after its transform (done here, offline),
    without what moto cannot create."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            raise AssertionError("the template names no managed policy")

    sam = json.loads((package / "sam.json").read_text())
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/deployment.zip"
    template: dict[str, Any] = transform(sam, PARAMETERS, NoManagedPolicies())
    return template


def _for_moto(template: dict[str, Any]) -> dict[str, Any]:
    resources = template["Resources"]
    skipped = (
        # moto cannot deploy an API body (Swagger 2), so it has no stage to deploy either.
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        # moto runs mapped functions through Docker: the test reads the stream itself.
        "AWS::Lambda::EventSourceMapping",
    )
    # moto does not make CloudFront's resources, and fails on what refers to them: they and
    # the bucket policy (which names the distribution) are checked in the template instead
    # (tests/test_infra.py).
    removed = [
        name
        for name, resource in resources.items()
        if resource["Type"] in skipped
        or resource["Type"].startswith("AWS::CloudFront::")
        or name == "BlobBucketPolicy"
    ]
    for name in removed:
        del resources[name]
    template["Outputs"] = {
        key: output
        for key, output in template.get("Outputs", {}).items()
        if not any(name in json.dumps(output) for name in removed)
    }
    return template


@pytest.fixture(scope="module")
def deployed(package: Path, aws: str) -> dict[str, Any]:
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.upload_file(str(package / "deployment.zip"), "artifacts", "deployment.zip")
    ssm = client(aws, "ssm")
    key_ops.init(PARAMETERS["SecretParameterName"], ssm)
    origin = keyring.origin_header(key_ops.read(PARAMETERS["SecretParameterName"], ssm))
    ORIGIN.append(origin)
    template = _for_moto(_translated(package, "artifacts"))
    cloudformation = client(aws, "cloudformation")
    try:
        _create(cloudformation, template, origin)
    except Exception as error:  # moto answers a template it cannot take with a 500 page
        raise AssertionError(SERVER_LOG[-1].read_text()[-4000:]) from error
    (described,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    return described


def _create(cloudformation: Any, template: dict[str, Any], origin: str) -> None:
    cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {**PARAMETERS, "OriginHeader": origin}.items()
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )


def _function(aws: str, logical_id: str) -> dict[str, Any]:
    resources = client(aws, "cloudformation").list_stack_resources(StackName=STACK)
    (physical,) = [
        r["PhysicalResourceId"]
        for r in resources["StackResourceSummaries"]
        if r["LogicalResourceId"] == logical_id
    ]
    return client(aws, "lambda").get_function(FunctionName=physical)


# -- the templates -----------------------------------------------------------------------


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "cfn-lint"), "--format", "parseable", "--", str(path)],
        capture_output=True,
        text=True,
    )


def test_the_packaged_templates_pass_cfn_lint(package, tmp_path):
    sam = _lint(package / "sam.json")
    assert sam.returncode == 0, sam.stdout
    translated = tmp_path / "translated.json"
    translated.write_text(json.dumps(_translated(package, "artifacts")))
    after = _lint(translated)
    assert after.returncode == 0, after.stdout


def test_the_package_runs_python_3_12_or_3_13_on_arm64(package):
    from portway_ops.packaging import problems

    assert problems(package) == []
    resources = json.loads((package / "sam.json").read_text())["Resources"]
    runtime = resources["APIHandler"]["Properties"]["Runtime"]
    assert runtime in ("python3.12", "python3.13")
    assert resources["PublicHandler"]["Properties"]["Runtime"] == runtime
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        names = archive.namelist()
    tag = runtime.removeprefix("python").replace(".", "")
    assert f"chalicelib/__pycache__/__init__.cpython-{tag}.pyc" in names  # precompiled
    assert any(name.endswith(".so") for name in names)


def test_the_public_routes_go_to_their_own_function(package):
    body = json.loads((package / "sam.json").read_text())["Resources"]["RestAPI"]["Properties"][
        "DefinitionBody"
    ]

    def target(path: str, method: str) -> str:
        uri = body["paths"][path][method]["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        return "PublicHandler" if "${PublicHandler.Arn}" in uri else "APIHandler"

    assert target("/v1/team/sessions", "post") == "PublicHandler"
    assert target("/p/{slug}/{page}", "get") == "PublicHandler"
    assert target("/v1/portal/me", "get") == "PublicHandler"
    assert target("/v1/customers", "get") == "APIHandler"
    assert target("/v1/team/members", "get") == "APIHandler"


# -- the stack in moto ---------------------------------------------------------------------


def test_the_whole_stack_comes_up_with_its_settings(deployed, aws):
    assert deployed["StackStatus"] == "CREATE_COMPLETE"
    tables = client(aws, "dynamodb").list_tables()["TableNames"]
    assert "portway-prod-events" in tables
    events = client(aws, "dynamodb").describe_table(TableName="portway-prod-events")["Table"]
    assert events["DeletionProtectionEnabled"] is True
    for logical_id, concurrency in stack_ops.FUNCTIONS.items():
        function = _function(aws, logical_id)
        settings = function["Configuration"]["Environment"]["Variables"]
        assert settings["PORTWAY_PUBLIC_BASE_URL"] == "https://portal.example.com"
        assert settings["PORTWAY_SECRET_PARAMETER"] == "/portway/prod/keys"
        assert settings["PORTWAY_MAIL_FROM"] == PARAMETERS["MailFrom"]
        assert settings["PORTWAY_TABLE_PREFIX"] == "portway-prod-"
        assert settings["PORTWAY_STAGE"] == "prod"  # the public function's too
        assert settings["PORTWAY_REQUIRE_CDN"] == "true"
        assert "PORTWAY_SECRET_KEY" not in settings  # no secret in the environment
        assert function["Concurrency"]["ReservedConcurrentExecutions"] == concurrency
    groups = client(aws, "logs").describe_log_groups()["logGroups"]
    assert {g["retentionInDays"] for g in groups if STACK in g["logGroupName"]} == {90}


# -- the packaged handler ------------------------------------------------------------------


@pytest.fixture(scope="module")
def packaged_code(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip's own app: app.py, chalicelib/ (templates and catalogues included)."""
    folder = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        for name in archive.namelist():
            if name == "app.py" or name.startswith("chalicelib/"):
                archive.extract(name, folder)
    return folder


def invoke(
    aws: str, code: Path, logical_id: str, handler: str, event: dict[str, Any], tmp: Path
) -> tuple[Any, list[dict[str, Any]]]:
    """One cold start of a deployed function with the event: its answer and its log lines."""
    settings = _function(aws, logical_id)["Configuration"]["Environment"]["Variables"]
    (tmp / "event.json").write_text(json.dumps(event))
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(code),
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": aws,
        **CREDENTIALS,
        **settings,
    }
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "lambda_runner.py"),
            handler,
            str(tmp / "event.json"),
            str(tmp / "answer.json"),
        ],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp / "answer.json").read_text())
    assert result["code"].startswith(str(code))  # the packaged code ran, not the checkout
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return result["answer"], lines


ORIGIN: list[str] = []  # the CDN's origin header of the stack (set when it is created)


def api_event(
    method: str,
    resource: str,
    path: str,
    *,
    through_cdn: bool = True,
    key: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the stage `api` sends it."""
    headers = {"Host": "abc123.execute-api.eu-central-1.amazonaws.com", "Accept": "*/*"}
    if through_cdn:  # what CloudFront adds: the proof of origin, the viewer's address
        headers["X-Portway-Origin"] = ORIGIN[0]
        headers["X-Portway-Viewer-Address"] = "203.0.113.9"
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params,
        "stageVariables": None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": f"req-{method}-{path}",
            "identity": {"sourceIp": "203.0.113.9"},
        },
    }


def _stream_records(aws: str) -> list[dict[str, Any]]:
    streams = client(aws, "dynamodbstreams")
    arn = client(aws, "dynamodb").describe_table(TableName="portway-prod-events")["Table"][
        "LatestStreamArn"
    ]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    for record in records:
        record["eventSourceARN"] = arn
        record["dynamodb"]["ApproximateCreationDateTime"] = (
            int(record["dynamodb"]["ApproximateCreationDateTime"].timestamp())
            if hasattr(record["dynamodb"].get("ApproximateCreationDateTime"), "timestamp")
            else 0
        )
    return records


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's event filter, as far as the template's patterns use it (exact values)."""
    if isinstance(pattern, list):
        return value in pattern
    return isinstance(value, dict) and all(
        _matches(inner, value.get(key)) for key, inner in pattern.items()
    )


def test_an_api_call_a_stream_record_and_a_page_view_through_the_packaged_handlers(
    deployed, aws, packaged_code, package, tmp_path
):
    # The operator's first tenant, created with the operator command against the stack.
    # The operator's shell: credentials and a region; every setting comes from the stack.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": aws,
        "AWS_DEFAULT_REGION": REGION,
    }
    created = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "portway"),
            "--stage",
            "prod",
            "--stack",
            STACK,
            "tenant",
            "create",
            "--name",
            "Nordwind Vermietung",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr[:3000]
    tenant = json.loads(created.stdout)
    key, slug = tenant["api_key"], tenant["slug"]

    # Around the CDN (straight to API Gateway's address): refused, whoever asks.
    around, _ = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event("GET", "/v1/tenant", "/v1/tenant", key=key, through_cdn=False),
        tmp_path,
    )
    assert around["statusCode"] == 403
    assert json.loads(around["body"])["reason"] == "not_through_cdn"

    # A sign-in through the public function: its own settings reach the stage's tables.
    refused, _ = invoke(
        aws,
        packaged_code,
        "PublicHandler",
        "app.app",
        api_event(
            "POST",
            "/v1/team/sessions",
            "/v1/team/sessions",
            body={"tenant": slug, "email": "nobody@example.com", "password": "not the one"},
        ),
        tmp_path,
    )
    assert refused["statusCode"] == 401, refused["body"]

    # An API call: the provider's function.
    answer, lines = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event("GET", "/v1/tenant", "/v1/tenant", key=key),
        tmp_path,
    )
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["name"] == "Nordwind Vermietung"
    (done,) = [line for line in lines if line.get("message") == "answered"]
    assert done["request_id"] == "req-GET-/v1/tenant"
    assert done["tenant_id"] == tenant["tenant_id"]
    assert done["status"] == 200
    assert key not in json.dumps(lines)

    customer = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event("POST", "/v1/customers", "/v1/customers", key=key, body={"name": "Hafen AG"}),
        tmp_path,
    )[0]
    assert customer["statusCode"] == 201, customer["body"]
    customer_id = json.loads(customer["body"])["id"]
    portal = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event(
            "PUT",
            "/v1/customers/{id}/portal",
            f"/v1/customers/{customer_id}/portal",
            key=key,
            body={"apps": ["equipment"]},
            params={"id": customer_id},
        ),
        tmp_path,
    )[0]
    assert portal["statusCode"] in (200, 201), portal["body"]
    portal_id = json.loads(portal["body"])["id"]

    # The stream's records, filtered as the deployed event source mapping filters them,
    # through the pages consumer.
    template = json.loads((package / "sam.json").read_text())["Resources"]
    (only,) = template["PagesConsumerEventSource"]["Properties"]["FilterCriteria"]["Filters"]
    pattern = json.loads(only["Pattern"])
    records = [r for r in _stream_records(aws) if _matches(pattern, r)]
    assert records
    answer, _ = invoke(
        aws,
        packaged_code,
        "PagesConsumer",
        "chalicelib.handlers.consumers.pages_consumer",
        {"Records": records},
        tmp_path,
    )
    assert answer == {"batchItemFailures": []}

    # A page view: the public function serves the portal's page from the bucket.
    answer, _ = invoke(
        aws,
        packaged_code,
        "PublicHandler",
        "app.app",
        api_event(
            "GET",
            "/p/{slug}/{page}",
            f"/p/{slug}/portal",
            query={"portal": portal_id, "language": "de"},
            params={"slug": slug, "page": "portal"},
        ),
        tmp_path,
    )
    assert answer["statusCode"] == 200, answer["body"][:500]
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    assert headers["content-type"].startswith("text/html")
    assert "frame-ancestors" in headers["content-security-policy"]
    assert "Hafen AG" in answer["body"] or 'lang="de"' in answer["body"]
    # The CDN's copy of the page, in the bucket with its headers as object metadata.
    bucket = _function(aws, "PublicHandler")["Configuration"]["Environment"]["Variables"][
        "PORTWAY_BLOB_BUCKET"
    ]
    copy = client(aws, "s3").head_object(Bucket=bucket, Key=f"site/p/{slug}/portal/{portal_id}/de")
    assert copy["ContentType"] == "text/html; charset=utf-8"
    assert copy["CacheControl"] == headers["cache-control"]
    assert copy["Metadata"]["content-security-policy"] == headers["content-security-policy"]

    # A file too large for a request: an upload link from the function, the file PUT to the
    # bucket (moto's S3) with exactly the type and size the link was made for, then named.
    data = b"Name;E-Mail\nNordbau GmbH;einkauf@nordbau.example\n"
    link, _ = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event(
            "POST",
            "/v1/uploads",
            "/v1/uploads",
            key=key,
            body={"content_type": "text/csv", "size": len(data)},
        ),
        tmp_path,
    )
    assert link["statusCode"] == 201, link["body"]
    upload = json.loads(link["body"])
    assert upload["url"].startswith(aws)  # S3's presigned URL (moto's, here)
    assert "X-Amz-Signature=" in upload["url"]
    put = urllib.request.Request(
        upload["url"], data=data, method="PUT", headers={"Content-Type": "text/csv"}
    )
    assert urllib.request.urlopen(put, timeout=10).status == 200
    imported, _ = invoke(
        aws,
        packaged_code,
        "APIHandler",
        "app.app",
        api_event(
            "POST",
            "/v1/customer-imports",
            "/v1/customer-imports",
            key=key,
            body={"upload_id": upload["upload_id"]},
        ),
        tmp_path,
    )
    assert imported["statusCode"] == 201, imported["body"]
    assert json.loads(imported["body"])["rows"] == 1
