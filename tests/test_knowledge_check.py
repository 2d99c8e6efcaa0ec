"""`check_knowledge` finds every problem and places it at file:line:column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, check_knowledge, load_knowledge
from bot.knowledge.loader import json_schemas
from tests.conftest import KNOWLEDGE, MINIMAL_FLOW, MINIMAL_KI, line_of, write_knowledge


def errors_of(root: Path) -> list[str]:
    _, problems = check_knowledge(root)
    return [str(problem) for problem in problems if problem.severity == "error"]


def test_bundled_knowledge_has_no_problems() -> None:
    kb, problems = check_knowledge(KNOWLEDGE)
    assert kb is not None
    assert [str(p) for p in problems] == []


def test_minimal_knowledge_is_valid(tmp_path: Path) -> None:
    assert errors_of(write_knowledge(tmp_path, {"main.yaml": MINIMAL_FLOW})) == []


def test_broken_yaml_reports_line_and_column(tmp_path: Path) -> None:
    broken = MINIMAL_FLOW.replace("    text: Wie alt?", "    text: Wie alt?\n   oops: [")
    root = write_knowledge(tmp_path, {"main.yaml": broken})
    errors = errors_of(root)
    assert len(errors) == 1
    file, line, column, message = errors[0].split(":", 3)
    assert file == str(root / "flows" / "main.yaml")
    assert int(line) == line_of(broken, "oops: [")
    assert int(column) >= 1
    assert "YAML syntax" in message


def test_unknown_target_points_at_the_goto(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("goto: small", "goto: smal")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    assert errors_of(root) == [
        f"{root}/flows/main.yaml:{line_of(flow, 'goto: smal')}:15: unknown target 'smal'",
        # 'small' is now unreachable as well; both are reported in one run
        f"{root}/flows/main.yaml:{line_of(flow, '  small:')}:3: "
        "unreachable: no button, route or flow leads to 'small'",
    ]


def test_bad_condition_points_at_the_offending_character(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("when: age < 6", "when: age < 6 and")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    (error,) = errors_of(root)
    line = line_of(flow, "when: age < 6 and")
    column = flow.splitlines()[line - 1].index("age < 6 and") + 1 + len("age < 6 and")
    assert error.startswith(f"{root}/flows/main.yaml:{line}:{column}: invalid condition")


def test_bad_condition_in_quotes_keeps_the_column(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("when: age < 6", "when: 'age = 6'")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    (error,) = errors_of(root)
    line = line_of(flow, "age = 6")
    column = flow.splitlines()[line - 1].index("=") + 1
    assert error.startswith(f"{root}/flows/main.yaml:{line}:{column}: ")
    assert "unexpected character '='" in error


def test_unknown_slot_in_condition(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("when: age < 6", "when: agee < 6")
    (error,) = errors_of(write_knowledge(tmp_path, {"main.yaml": flow}))
    assert "unknown slot 'agee'" in error


def test_an_answers_fits_is_checked_like_a_condition(tmp_path: Path) -> None:
    fits = "    type: answer\n    text: Groß.\n"
    flow = MINIMAL_FLOW.replace(fits, fits + "    fits: agee >= 6 and\n")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    (error,) = errors_of(root)
    assert error.startswith(f"{root}/flows/main.yaml:{line_of(flow, 'fits:')}:")
    assert "invalid condition" in error
    flow = MINIMAL_FLOW.replace(fits, fits + "    fits: agee >= 6\n")
    (error,) = errors_of(write_knowledge(tmp_path, {"main.yaml": flow}))
    assert "unknown slot 'agee'" in error


def test_an_answers_instead_needs_fits_and_names_an_answer(tmp_path: Path) -> None:
    big = "    type: answer\n    text: Groß.\n"
    flow = MINIMAL_FLOW.replace(big, big + "    fits: age >= 6\n    instead: small\n")
    assert errors_of(write_knowledge(tmp_path, {"main.yaml": flow})) == []
    flow = MINIMAL_FLOW.replace(big, big + "    instead: small\n")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    assert errors_of(root) == [
        f"{root}/flows/main.yaml:{line_of(flow, 'instead:')}:14: 'big' has `instead` but no `fits`"
    ]
    flow = MINIMAL_FLOW.replace(big, big + "    fits: age >= 6\n    instead: split\n")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    assert errors_of(root) == [
        f"{root}/flows/main.yaml:{line_of(flow, 'instead:')}:14: 'split' is no answer"
    ]


def test_schema_errors_name_the_field_and_line(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("    parser: age\n", "    parser: alter\n").replace(
        "    text: Klein.\n", "    txet: Klein.\n"
    )
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    errors = errors_of(root)
    assert any(
        f":{line_of(flow, 'parser: alter')}:" in e and "nodes.age.parser" in e for e in errors
    )
    assert any(
        f":{line_of(flow, 'txet:')}:5: nodes.small.txet: unknown field" in e for e in errors
    )
    assert any("nodes.small.text" in e and "is required" in e for e in errors)


def test_duplicate_ids_across_files_and_keys_in_a_file(tmp_path: Path) -> None:
    other = """\
    flow: other
    title: Anderes
    start: small
    nodes:
      small:
        type: answer
        text: Doppelt.
        text: Dreifach.
        sources: [Quelle]
        reviewed: 2026-11-01
    """
    root = write_knowledge(tmp_path, {"main.yaml": MINIMAL_FLOW, "other.yaml": other})
    errors = errors_of(root)
    main_line = line_of(MINIMAL_FLOW, "  small:")
    assert (
        f"{root}/flows/other.yaml:5:3: duplicate node id 'small' "
        f"(first in {root}/flows/main.yaml:{main_line})"
    ) in errors
    assert any("other.yaml:8:" in e and "duplicate key 'text'" in e for e in errors)


def test_dead_end_missing_text_and_unknown_contact(tmp_path: Path) -> None:
    flow = (
        MINIMAL_FLOW.replace("text: Groß.", "text: '  '")
        .replace("text: Klein.", "text: 'Ruf {office.fax} an'")
        .replace(
            "  age:\n",
            "  empty:\n    type: menu\n    text: Nichts\n    buttons: []\n  age:\n",
        )
        .replace(
            "        goto: age\n", "        goto: age\n      - label: Leer\n        goto: empty\n"
        )
    )
    errors = errors_of(write_knowledge(tmp_path, {"main.yaml": flow}))
    assert any("dead end: menu 'empty' has no buttons" in e for e in errors)
    assert any("missing text in 'big.text'" in e for e in errors)
    assert any("contact 'office' has no 'fax'" in e for e in errors)


def test_route_loop_is_reported(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("otherwise: big", "otherwise: split")
    errors = errors_of(write_knowledge(tmp_path, {"main.yaml": flow}))
    assert any("routes loop back to 'split'" in e for e in errors)


def test_broken_file_does_not_make_its_ids_unknown(tmp_path: Path) -> None:
    other = """\
    flow: other
    title: Anderes
    start: extra
    nodes:
      extra:
        type: answer
        text: Hier.
        reviewed: 2026-11-01
    """
    flow = MINIMAL_FLOW.replace(
        "        goto: age\n", "        goto: age\n      - label: X\n        goto: other\n"
    )
    errors = errors_of(write_knowledge(tmp_path, {"main.yaml": flow, "other.yaml": other}))
    assert len(errors) == 1 and "nodes.extra.sources" in errors[0] and "is required" in errors[0]


def test_missing_organisation_file(tmp_path: Path) -> None:
    root = write_knowledge(tmp_path, {"main.yaml": MINIMAL_FLOW})
    (root / "ki.yaml").unlink()
    assert any("ki.yaml:1:1: missing" in e for e in errors_of(root))


def test_load_knowledge_raises_with_every_problem(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("goto: small", "goto: a1").replace(
        "otherwise: big", "otherwise: b2"
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(write_knowledge(tmp_path, {"main.yaml": flow}))
    messages = [p.message for p in caught.value.problems]
    assert "unknown target 'a1'" in messages and "unknown target 'b2'" in messages


def test_long_message_is_a_warning_not_an_error(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("text: Groß.", "text: " + "Sehr lang. " * 70)
    kb, problems = check_knowledge(write_knowledge(tmp_path, {"main.yaml": flow}))
    assert kb is not None
    assert [p.severity for p in problems] == ["warning"]


def test_cli_check_exits_non_zero_with_file_line_column(tmp_path: Path) -> None:
    flow = MINIMAL_FLOW.replace("goto: small", "goto: nowhere")
    root = write_knowledge(tmp_path, {"main.yaml": flow})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "knowledge", "check", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    line = line_of(flow, "goto: nowhere")
    assert f"{root}/flows/main.yaml:{line}:15: unknown target 'nowhere'" in result.stderr
    assert "^" in result.stderr  # the caret under the problem
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "knowledge", "check", str(KNOWLEDGE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "no errors" in ok.stdout


def test_committed_json_schemas_are_current() -> None:
    for name, schema in json_schemas().items():
        committed = json.loads((KNOWLEDGE / "schema" / f"{name}.schema.json").read_text("utf-8"))
        assert committed == schema, f"run: lotse knowledge schema ({name} changed)"


def test_minimal_ki_placeholder_in_welcome(tmp_path: Path) -> None:
    ki = MINIMAL_KI.replace("{office.name}", "{nobody.name}")
    errors = errors_of(write_knowledge(tmp_path, {"main.yaml": MINIMAL_FLOW}, ki=ki))
    assert any("ki.yaml:3:" in e and "unknown contact 'nobody'" in e for e in errors)
