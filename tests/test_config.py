"""Settings: file plus environment, environment wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_KNOWLEDGE, ConfigError, load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./lotse.toml here
    settings = load_settings({})
    assert settings.knowledge == BUNDLED_KNOWLEDGE
    assert settings.db == Path("lotse.db")


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text('db = "from-file.db"\nknowledge = "k"\n', encoding="utf-8")
    settings = load_settings({"LOTSE_CONFIG": str(config)})
    assert settings.db == Path("from-file.db") and settings.knowledge == Path("k")
    settings = load_settings({"LOTSE_CONFIG": str(config), "LOTSE_DB": "env.db"})
    assert settings.db == Path("env.db")


def test_unknown_key_and_missing_file_are_errors(tmp_path: Path) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text('dbb = "typo.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="dbb"):
        load_settings({"LOTSE_CONFIG": str(config)})
    with pytest.raises(ConfigError, match="no such settings file"):
        load_settings({"LOTSE_CONFIG": str(tmp_path / "missing.toml")})
