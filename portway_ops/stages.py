"""Run operator commands against a stage: its environment comes from .chalice/config.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib.settings import reset_settings

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def stage_environment(stage: str, config_path: Path = CONFIG) -> dict[str, str]:
    """The environment variables Chalice would give the stage's Lambda."""
    config = json.loads(config_path.read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"Unknown stage '{stage}'; known: {', '.join(config['stages'])}")
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def stack_environment(stack: str, function: str = "APIHandler") -> dict[str, str]:
    """The environment a deployed stack gives its API function (the operator's commands then
    use the stage's own tables, bucket, address, sender and keys)."""
    import boto3

    pages = boto3.client("cloudformation").get_paginator("list_stack_resources")
    (resource,) = [
        summary["PhysicalResourceId"]
        for page in pages.paginate(StackName=stack)
        for summary in page["StackResourceSummaries"]
        if summary["LogicalResourceId"] == function
    ]
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=resource)
    variables: dict[str, str] = configuration.get("Environment", {}).get("Variables", {})
    return variables


def use_stage(stage: str, stack: str | None = None) -> None:
    """Point this process at a stage (and its deployed stack's settings, when named);
    variables already set in the shell win."""
    environment = stage_environment(stage)
    if stack:
        environment.update(stack_environment(stack))
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    reset_settings()
