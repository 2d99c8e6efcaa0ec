"""Free text: what families type, in their words, with typos, finds its place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import BUNDLED_TRANSLATIONS
from bot.engine import ButtonPress, Start, State, TextInput, handle
from bot.engine.normalize import normalize
from bot.engine.understanding import understand
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.evaluation import Case, evaluate, verdict
from tests.conftest import KNOWLEDGE, ROOT, TODAY


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Schüle!", "shule"),
        ("مدرسة", normalize("مدرسه")),
        ("كتاب", normalize("کتاب")),
        ("Straße", "strasse"),
        ("  Integrations-Kurs ", "integrations kurs"),
    ],
)
def test_normalize(text: str, normal: str) -> None:
    assert normalize(text) == normal


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Welche Unterlagen brauche ich für die Schule?", "se_documents"),
        ("Schuhle für meine Tochter", "se_start"),
        ("wie viel kostet der Integrationskurz", "sk_costs"),
        ("Ich brauche einen Dolmetscher für ein Gespräch in der Schule", "sm_institution"),
        ("kann mein Sohn für mich übersetzen", "sm_children"),
        ("meine Tochter soll in eine andere Schule", "se_placement"),
        ("Jobcenter hat mich zum Kurs geschickt", "sk_jobcenter"),
        ("Masern Impfung", "se_health"),
        ("hallo", "main_menu"),
        ("Termin", "main_book"),
        ("ich will mit einem Menschen reden", "main_human"),
    ],
)
def test_clear_german_questions_jump(kb: KnowledgeBase, text: str, target: str) -> None:
    result = understand(kb, text, "de")
    assert (result.kind, result.targets[:1]) == ("jump", (target,))


@pytest.mark.parametrize("text", ["Wohnung suchen", "Ich suche Arbeit", "Wie ist das Wetter?", ""])
def test_out_of_scope_is_never_answered_as_if_known(kb: KnowledgeBase, text: str) -> None:
    assert understand(kb, text, "de").kind != "jump"


def run(kb: KnowledgeBase, *events: object) -> tuple[State, list[str], list[str]]:
    state = State()
    outcome = handle(state, Start(), kb, today=TODAY)
    for event in events:
        outcome = handle(outcome.state, event, kb, today=TODAY)  # type: ignore[arg-type]
    texts = [reply.text for reply in outcome.replies]
    ids = [button.id for reply in outcome.replies for button in reply.buttons]
    return outcome.state, texts, ids


def test_typed_question_at_any_step_jumps(kb: KnowledgeBase) -> None:
    state, texts, _ = run(
        kb, ButtonPress("sprachkurs"), TextInput("Welche Papiere für die Schule?")
    )
    assert state.node == "se_documents"
    assert any("Meldebescheinigung" in text for text in texts)


def test_close_candidates_are_offered_and_can_be_pressed(kb: KnowledgeBase) -> None:
    state, texts, _ids = run(kb, TextInput("Dolmetscher Kosten Schule"))
    if state.offered:  # offered rather than guessed
        assert "Meinten Sie das?" in texts[-1]
        state2 = handle(state, ButtonPress(state.offered[0]), kb, today=TODAY).state
        assert state2.node == kb.resolve(state.offered[0]) or state2.node in kb.nodes
    else:
        assert state.node in ("sm_private", "sm_institution")


def test_a_forged_offer_is_not_accepted(kb: KnowledgeBase) -> None:
    state, _, _ = run(kb, ButtonPress("se_contact"))  # not offered, not visible
    assert state.node == "main_menu"


def test_another_script_gets_a_language_offer() -> None:
    kb = load_knowledge(KNOWLEDGE, BUNDLED_TRANSLATIONS)
    _, texts, ids = run(kb, TextInput("ابحث عن شقة في المدينة"))
    assert "Möchten Sie in einer anderen Sprache schreiben?" in texts
    assert "lang:ar" in ids


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (Case("Welche Unterlagen?", "de", "se_documents"), "correct"),
        (Case("Schule", "de", "seiteneinstieg"), "correct"),
        (Case("Wohnung suchen", "de", "none"), "correct"),
        (Case("Schule", "de", "se_documents"), "abstained"),  # the journey's menu
        (Case("Termin", "de", "booking"), "correct"),
        (Case("Termin", "de", "none"), "wrong"),
    ],
)
def test_verdicts(kb: KnowledgeBase, case: Case, expected: str) -> None:
    assert verdict(kb, case) == expected


def test_eval_intents_runs_over_the_bundled_set() -> None:
    """A smoke test: figures are printed, no threshold is asserted (see README)."""
    files = sorted((ROOT / "bench" / "intents").glob("*.jsonl"))
    assert files, "bench/intents/*.jsonl is missing"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "eval", "intents", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    overall = figures["overall"]
    assert overall["n"] >= 400 and len(figures["per_lang"]) == 12
    assert overall["n"] == overall["correct"] + overall["abstained"] + overall["wrong"]
    print("\n" + json.dumps(overall))


def test_evaluate_counts_per_language(kb: KnowledgeBase, tmp_path: Path) -> None:
    cases = [Case("Schule", "de", "seiteneinstieg"), Case("hello", "en", "menu")]
    results = evaluate(kb, cases)
    assert set(results["per_lang"]) == {"de", "en"}
    assert results["overall"]["n"] == 2
