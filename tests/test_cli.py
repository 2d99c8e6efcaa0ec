"""Every CLI command has help text and is documented in the README."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import ROOT


def commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += commands(command, f"{path} ")
    return found


@pytest.mark.parametrize(("path", "command"), commands(cli))
def test_command_has_help_and_is_documented(path: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"lotse {path} has no help text"
    result = CliRunner().invoke(cli, [*path.split(), "--help"])
    assert result.exit_code == 0
    if not isinstance(command, click.Group):
        assert f"`lotse {path}" in (ROOT / "README.md").read_text("utf-8"), path


def test_python_dash_m_bot_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "knowledge" in result.stdout and "chat" in result.stdout


def test_db_migrate(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "migrate", "--db", f"{tmp_path}/x.db"])
    assert result.exit_code == 0, result.output
    assert "migration(s) applied" in result.output


def test_bad_settings_file_is_one_readable_line(tmp_path: Path) -> None:
    bad = f"{tmp_path}/lotse.toml"
    with open(bad, "w", encoding="utf-8") as handle:
        handle.write("db = \n")
    result = CliRunner().invoke(cli, ["knowledge", "check"], env={"LOTSE_CONFIG": bad})
    assert result.exit_code == 1
    assert bad in result.output and "Traceback" not in result.output
