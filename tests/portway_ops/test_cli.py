"""`portway tenant create` from another process, against the same DynamoDB Local
(as a second terminal beside `make run` would)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from portway_ops.tables import create_tables

ROOT = Path(__file__).resolve().parent.parent.parent
PORTWAY = str(Path(sys.executable).parent / "portway")


@pytest.fixture(scope="module")
def cli_env(dynamodb_local_endpoint):
    client = boto3.client(
        "dynamodb", region_name="eu-central-1", endpoint_url=dynamodb_local_endpoint
    )
    create_tables(client, "cli-")
    env = {
        **os.environ,
        "PORTWAY_DYNAMODB_ENDPOINT": dynamodb_local_endpoint,
        "PORTWAY_TABLE_PREFIX": "cli-",
        "PORTWAY_STAGE": "local",
    }
    return env, client


def _portway(env, *args):
    return subprocess.run(
        [PORTWAY, *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


def test_tenant_create_prints_json_and_stores_only_the_digest(cli_env):
    env, client = cli_env
    result = _portway(env, "tenant", "create", "--name", "Müller Baumaschinen", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["slug"] == "muller-baumaschinen"
    assert out["api_key"].startswith("pwk_")
    assert out["public_id"].startswith("pub_")
    assert out["tenant_id"].startswith("ten_")
    tenant = client.get_item(TableName="cli-tenants", Key={"tenant_id": {"S": out["tenant_id"]}})
    assert tenant["Item"]["public_id"]["S"] == out["public_id"]
    digest = hashlib.sha256(out["api_key"].encode()).hexdigest()
    token = client.get_item(TableName="cli-tokens", Key={"digest": {"S": digest}})["Item"]
    assert token["tenant_id"]["S"] == out["tenant_id"]
    assert out["api_key"] not in json.dumps(token)


def test_tenant_create_prints_name_value_lines(cli_env):
    env, _ = cli_env
    result = _portway(env, "tenant", "create", "--name", "Line Rental", "--slug", "line-rental")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert set(lines) == {"tenant_id", "public_id", "slug", "name", "api_key_id", "api_key"}
    assert lines["slug"] == "line-rental"


def test_tenant_create_with_an_owner_prints_the_owners_invitation(cli_env):
    env, client = cli_env
    result = _portway(
        env,
        "tenant",
        "create",
        "--name",
        "Owned Rental",
        "--owner-email",
        "Olga@Example.com",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    link = out["owner_invitation"]
    assert "/console#invite=pwi_" in link
    secret = link.split("#invite=", 1)[1]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token = client.get_item(TableName="cli-tokens", Key={"digest": {"S": digest}})["Item"]
    assert token["kind"]["S"] == "team_invitation"
    assert token["role"]["S"] == "owner"
    assert token["email"]["S"] == "olga@example.com"
    assert secret not in json.dumps(token)


def test_taken_or_invalid_slug_is_refused_clearly(cli_env):
    env, _ = cli_env
    assert _portway(env, "tenant", "create", "--name", "A", "--slug", "dup-slug").returncode == 0
    taken = _portway(env, "tenant", "create", "--name", "B", "--slug", "dup-slug")
    assert taken.returncode == 1
    assert "taken" in taken.stderr
    bad = _portway(env, "tenant", "create", "--name", "C", "--slug", "Bad Slug!")
    assert bad.returncode == 1
    assert "slug" in bad.stderr


def test_same_name_twice_gets_a_second_slug(cli_env):
    env, _ = cli_env
    first = json.loads(_portway(env, "tenant", "create", "--name", "Twin", "--json").stdout)
    second = json.loads(_portway(env, "tenant", "create", "--name", "Twin", "--json").stdout)
    assert first["slug"] == "twin"
    assert second["slug"].startswith("twin-")
    assert second["slug"] != "twin"


def test_api_key_create_recovers_a_tenant_whose_keys_are_all_revoked(cli_env):
    env, client = cli_env
    made = json.loads(_portway(env, "tenant", "create", "--name", "Locked Out", "--json").stdout)
    old_digest = hashlib.sha256(made["api_key"].encode()).hexdigest()
    client.delete_item(TableName="cli-tokens", Key={"digest": {"S": old_digest}})  # revoked
    result = _portway(env, "api-key", "create", "--tenant", made["slug"], "--scopes", "admin")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    digest = hashlib.sha256(lines["api_key"].encode()).hexdigest()
    token = client.get_item(TableName="cli-tokens", Key={"digest": {"S": digest}})["Item"]
    assert token["tenant_id"]["S"] == made["tenant_id"]
    assert token["scopes"]["SS"] == ["admin"]
    unknown = _portway(env, "api-key", "create", "--tenant", "no-such-tenant")
    assert unknown.returncode == 1
    assert "no tenant" in unknown.stderr
