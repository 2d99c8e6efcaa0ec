"""Typed settings: lotse.toml (path in LOTSE_CONFIG, default ./lotse.toml) + environment.

Environment variables win over the file; secrets (bot tokens) come only from the
environment so that a settings file can be shared without leaking them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


class ConfigError(Exception):
    """Settings that cannot be used; the message says which file and key."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    db: Path = Path("lotse.db")
    knowledge: Path = BUNDLED_KNOWLEDGE


ENVIRONMENT = {"LOTSE_DB": "db", "LOTSE_KNOWLEDGE": "knowledge"}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    config_path = Path(env.get("LOTSE_CONFIG", "lotse.toml"))
    values: dict[str, Any] = {}
    if config_path.is_file():
        try:
            values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: {exc}") from exc
    elif "LOTSE_CONFIG" in env:
        raise ConfigError(f"{config_path}: no such settings file (LOTSE_CONFIG)")
    for variable, key in ENVIRONMENT.items():
        if env.get(variable):
            values[key] = env[variable]
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{config_path}: {problems}") from exc
