"""The editors' transcript tests, and the runner that replays them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.transcripts import run_transcripts
from tests.conftest import KNOWLEDGE, TODAY

RESULTS, PROBLEMS = run_transcripts(load_knowledge(KNOWLEDGE), KNOWLEDGE, TODAY)


def test_transcript_files_are_valid() -> None:
    assert [str(problem) for problem in PROBLEMS] == []


def test_there_are_enough_transcripts_for_every_journey() -> None:
    assert len(RESULTS) >= 30
    files = {Path(result.file).stem for result in RESULTS}
    assert {"seiteneinstieg", "sprachkurs", "sprachmittlung"} <= files


@pytest.mark.parametrize("result", RESULTS, ids=[result.name for result in RESULTS])
def test_transcript(result: object) -> None:
    assert getattr(result, "failure", "?") is None, str(result)


def test_a_wrong_expectation_fails_at_its_line(tmp_path: Path, kb: KnowledgeBase) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    for old in (root / "tests").glob("*.yaml"):
        old.unlink()
    (root / "tests" / "broken.yaml").write_text(
        "today: 2026-11-22\n"
        "transcripts:\n"
        "  - name: passes\n"
        "    steps:\n"
        "      - press: Schule für mein Kind\n"
        "  - name: wrong text\n"
        "    steps:\n"
        "      - press: Schule für mein Kind\n"
        "      - press: Welche Unterlagen brauche ich?\n"
        "        expect: [Reisepass der Großeltern]\n"
        "  - name: missing button\n"
        "    steps:\n"
        "      - press: Fliegen lernen\n"
        "  - name: wrong node\n"
        "    steps:\n"
        "      - command: menu\n"
        "        node: se_start\n",
        encoding="utf-8",
    )
    results, problems = run_transcripts(kb, root, TODAY)
    assert problems == []
    verdicts = {result.name: (result.line, result.failure) for result in results}
    assert verdicts["passes"] == (3, None)
    line, failure = verdicts["wrong text"]
    assert line == 9 and failure is not None and "Reisepass der Großeltern" in failure
    line, failure = verdicts["missing button"]
    assert line == 13 and failure is not None and "no button 'Fliegen lernen'" in failure
    assert "Schule für mein Kind" in failure  # the buttons that were shown
    line, failure = verdicts["wrong node"]
    assert line == 16 and failure is not None and "'main_menu'" in failure

    cli = subprocess.run(
        [sys.executable, "-m", "bot", "knowledge", "test", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 1
    assert "1 passed, 3 failed" in cli.stdout
    assert f"{root}/tests/broken.yaml:9: wrong text: FAILED" in cli.stderr


def test_a_step_with_two_actions_is_a_file_problem(tmp_path: Path, kb: KnowledgeBase) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "bad.yaml").write_text(
        "transcripts:\n  - name: x\n    steps:\n      - press: A\n        say: B\n",
        encoding="utf-8",
    )
    results, problems = run_transcripts(kb, tmp_path, TODAY)
    assert results == []
    assert len(problems) == 1
    assert "bad.yaml:4:" in str(problems[0]) and "exactly one of" in str(problems[0])
