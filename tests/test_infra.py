"""The deployment template and the models agree, and nothing scans."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3

from chalicelib.models import TABLE_MODELS, AccessLogEntry
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
    # A share's log is written across shards: its key starts with the sender's tenant id.
    sharded = {"access-log"}
    for model in TABLE_MODELS:
        if base_name(model) not in global_tables | sharded:
            assert model._hash_keyname == "tenant_id", model.__name__
    assert AccessLogEntry.log_key_for("ten_1", "shr_1", 3) == "ten_1#shr_1#3"


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
