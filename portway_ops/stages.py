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


def use_stage(stage: str) -> None:
    """Point this process at a stage; variables already set in the shell win."""
    for name, value in stage_environment(stage).items():
        os.environ.setdefault(name, value)
    reset_settings()
