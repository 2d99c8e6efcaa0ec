"""The console channel, for people and through the --jsonl machine interface."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.channels.console import read_input, render
from bot.engine import Button, ButtonPress, Command, Reply, TextInput
from tests.conftest import ROOT

MENU = [Reply("Wobei?", (Button("a_node", "Erstens"), Button("b_node", "Zweitens")))]
AGE = [
    Reply("Wie alt?", (Button("nav:back", "Zurück"), Button("nav:menu", "Menü")), expects="age")
]


def lotse(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def env() -> dict[str, str]:
    return {**os.environ, "LOTSE_CONFIG": str(ROOT / "lotse.example.toml")}


def test_render_numbers_buttons_and_letters_them_when_a_number_is_the_answer() -> None:
    assert "[1] Erstens" in render(MENU) and "[2] Zweitens" in render(MENU)
    assert "[a] Zurück" in render(AGE) and "[b] Menü" in render(AGE)


def test_read_input() -> None:
    assert read_input("2", MENU) == ButtonPress("b_node")
    assert read_input("۲", MENU) == ButtonPress("b_node")
    assert read_input("3", MENU) == TextInput("3")
    assert read_input("/menu", MENU) == Command("menu")
    assert read_input("  ", MENU) is None
    assert read_input("2", AGE) == TextInput("2")  # an age, not the second button
    assert read_input("b", AGE) == ButtonPress("nav:menu")


class JsonlDriver:
    """Steps a `lotse chat --jsonl` process one event at a time, as a test driver would."""

    def __init__(self, db: Path, *extra: str) -> None:
        self.process = subprocess.Popen(
            lotse("chat", "--jsonl", "--db", str(db), *extra),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env(),
        )

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        lines: list[dict[str, Any]] = []
        while True:
            line = json.loads(self.process.stdout.readline())
            if line == {"end": True}:
                return lines
            lines.append(line)

    def close(self) -> int:
        assert self.process.stdin
        self.process.stdin.close()
        return self.process.wait(timeout=30)


def test_jsonl_round_trip_step_by_step(tmp_path: Path) -> None:
    driver = JsonlDriver(tmp_path / "chat.db")
    try:
        start = driver.send({"type": "start"})
        assert start[-1]["text"] == "Wobei kann ich helfen?"
        assert set(start[-1]) == {"text", "buttons", "lang"}
        assert start[-1]["lang"] == "de"
        assert start[-1]["buttons"][0] == {"id": "seiteneinstieg", "label": "Schule für mein Kind"}
        school = driver.send({"type": "button", "index": 1})
        assert "Seiteneinstiegsberatung" in school[-1]["text"]
        ask = driver.send({"type": "button", "id": "se_age"})
        assert "Wie alt" in ask[-1]["text"]
        answer = driver.send({"type": "text", "text": "١٢"})
        assert "Schulpflicht" in answer[0]["text"]
        docs = driver.send({"type": "button", "id": "se_documents"})
        assert "Meldebescheinigung" in "".join(item["text"] for item in docs)
        menu = driver.send({"type": "command", "name": "menu"})
        assert menu[-1]["text"] == "Wobei kann ich helfen?"
        assert driver.send({"type": "button", "index": 99})[0]["error"].startswith("no button")
        assert "error" in driver.send({"type": "dance"})[0]
    finally:
        assert driver.close() == 0


def test_jsonl_with_piped_stdin_exits_zero(tmp_path: Path) -> None:
    events = "\n".join(
        [
            '{"type":"start"}',
            "not json",
            '{"type":"button","index":1}',
            '{"type":"button","index":1}',
            '{"type":"text","text":"4"}',
        ]
    )
    result = subprocess.run(
        lotse("chat", "--jsonl", "--db", str(tmp_path / "c.db")),
        input=events + "\n",
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sum(1 for line in lines if line == {"end": True}) == 5
    assert any("noch nicht zur Schule" in line.get("text", "") for line in lines)
    assert result.stderr == ""


def test_interactive_console_with_piped_stdin(tmp_path: Path) -> None:
    result = subprocess.run(
        lotse("chat", "--db", str(tmp_path / "c.db")),
        input="1\n1\n8\n2\n",
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "[1] Schule für mein Kind" in result.stdout
    assert "[a] ◀ Zurück" in result.stdout  # lettered while the age is asked
    assert "Meldebescheinigung" in result.stdout  # "2" then chose the documents


def test_chat_refuses_broken_knowledge_with_a_readable_message(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "ki.yaml").write_text("name: [", encoding="utf-8")
    result = subprocess.run(
        lotse("chat", "--jsonl", "--db", str(tmp_path / "c.db"), "--knowledge", str(tmp_path)),
        input="",
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert result.returncode == 1
    assert f"{tmp_path}/ki.yaml:1:" in result.stderr
    assert "Traceback" not in result.stderr
