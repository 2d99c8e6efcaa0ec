"""`lotse run` refuses to start half-configured; `lotse doctor` says what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.store import open_db
from tests.conftest import ROOT

TOKEN = "123456:TEST-token"


def env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "LOTSE_CONFIG": str(ROOT / "lotse.example.toml"),
        "LOTSE_DB": str(tmp_path / "lotse.db"),
        "TELEGRAM_BOT_TOKEN": "",
        **more,
    }


def test_run_without_a_token_is_one_readable_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run"], env=env(tmp_path))
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output and "Traceback" not in result.output


def test_run_webhook_needs_a_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", "--webhook"], env=env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    )
    assert result.exit_code == 1 and "LOTSE_TELEGRAM_WEBHOOK_URL" in result.output


def confirmed_hours(tmp_path: Path) -> Path:
    """The bundled knowledge with its example hours marked as confirmed by the KI."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    hours = knowledge / "appointments.yaml"
    hours.write_text(hours.read_text("utf-8").replace("example: true", "example: false"), "utf-8")
    return knowledge


def test_doctor_all_well(tmp_path: Path) -> None:
    open_db(tmp_path / "lotse.db").close()
    more = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "LOTSE_TELEGRAM_WEBHOOK_URL": "https://x.example/tg",
        "LOTSE_KNOWLEDGE": str(confirmed_hours(tmp_path)),
    }
    result = CliRunner().invoke(cli, ["doctor", "--webhook"], env=env(tmp_path, **more))
    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output
    assert "token of bot 123456 is set" in result.output and TOKEN not in result.output
    assert "0 migration(s) to apply" in result.output
    assert "127.0.0.1:8080/tg, secret random" in result.output
    assert "se_on_site 2 + se_video 1 = up to 3 appointments at the same time" in result.output


def test_doctor_names_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "knowledge"
    broken.mkdir()
    more = {"LOTSE_KNOWLEDGE": str(broken)}
    result = CliRunner().invoke(cli, ["doctor", "--webhook"], env=env(tmp_path, **more))
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("PROBLEM")]
    assert [line.split(":")[0].split()[-1] for line in problems] == [
        "telegram",
        "webhook",
        "knowledge",
    ]
    assert "will be created at the first start" in result.output


def test_doctor_with_unreadable_settings(tmp_path: Path) -> None:
    bad = tmp_path / "lotse.toml"
    bad.write_text("[telegram]\ntoken = '1:x'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["doctor"], env={"LOTSE_CONFIG": str(bad)})
    assert result.exit_code == 1
    assert "secrets are read from the environment only" in result.output


def test_doctor_flags_example_opening_hours(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["doctor"], env=env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN))
    assert result.exit_code == 1
    assert "PROBLEM  appointments: appointments.yaml has EXAMPLE hours" in result.output
