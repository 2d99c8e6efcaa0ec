"""`lotse eval intents`: how well free text is understood, per language and overall.

Each case names what the family means (`expect`): a flow id, an intent (booking, human,
language, menu), a node id, or `none` for a message Lotse does not cover. A case is
- correct: the bot goes to the expected place (for a flow, anywhere inside it; for `none`,
  it does not pretend to know);
- abstained: the bot asks back ("Did you mean …?") or says it did not understand, or it goes
  to the menu of the right journey instead of the exact answer, or to the main menu;
- wrong: the bot confidently goes somewhere else (the figure to keep near zero).

Whole situations (`situation_verdict`, knowledge/examples/) are judged through the
dialogue instead of the matcher alone: the message is the first of a conversation, and
what it says for the journey's questions (a child's age, a birth date) counts, so the
expected place is the specific answer ("se_school" for "Mein Sohn ist 13 Jahre alt").
Each set is read on the day its writer was told it is (`SituationSet.day`), so that ages
and birth dates mean what the writer meant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import dialogue, examples
from bot.engine.understanding import intent_of, understand
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import AnswerNode, AskNode, MenuNode
from bot.types import Start, State, TextInput

INTENTS = frozenset({"booking", "human", "language", "menu"})


@dataclass(frozen=True)
class Case:
    text: str
    lang: str
    expect: str


def load_cases(paths: Iterable[Path]) -> list[Case]:
    cases = []
    for path in paths:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                cases.append(Case(str(data["text"]), str(data["lang"]), str(data["expect"])))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return cases


def verdict(kb: KnowledgeBase, case: Case) -> str:
    """'correct', 'abstained' or 'wrong' for one case."""
    result = understand(kb, case.text, case.lang)
    if result.kind != "jump":
        return "correct" if case.expect == "none" else "abstained"
    target = result.targets[0]
    if intent_of(kb, target) == "menu" and case.expect != "menu":
        # The main menu answers nothing: it is where "not understood" leads anyway, so
        # (e.g. for a bare greeting) it pretends to know nothing.
        return "correct" if case.expect == "none" else "abstained"
    if case.expect == "none":
        return "wrong"
    if case.expect in INTENTS:
        return "correct" if intent_of(kb, target) == case.expect else "wrong"
    if case.expect in kb.flows:
        return "correct" if kb.node_flow.get(target) == case.expect else "wrong"
    if target == case.expect:
        return "correct"
    same_journey = kb.node_flow.get(target) == kb.node_flow.get(case.expect)
    if same_journey and isinstance(kb.nodes.get(target), MenuNode | AskNode):
        return "abstained"  # the right journey's menu or question: the family chooses there
    return "wrong"


SITUATION_DAY = dt.date(2026, 11, 22)  # the day the situations are read on (ages, dates)


@dataclass(frozen=True)
class SituationSet:
    """A set of whole-situation messages, knowledge/examples/<folder>/, and what was done
    with it: whether its failures were read while building (then it is no longer a clean
    measure). The sets are examples Lotse learns from too (`bot.engine.examples`); each is
    judged by a knowledge base that left it out, so that it measures and does not teach."""

    folder: str  # under knowledge/examples/
    title: str
    history: str
    day: dt.date = SITUATION_DAY  # the day its writer was told it is (ages, birth dates)

    def cases(self, kb: KnowledgeBase) -> list[Case]:
        """Its messages, from `kb`'s examples."""
        return [
            Case(example.text, example.lang, example.expect)
            for example in kb.examples
            if example.folder == self.folder
        ]

    def knowledge(self, kb: KnowledgeBase) -> KnowledgeBase:
        """`kb` without this set's examples (itself when it has none of them)."""
        if not any(example.folder == self.folder for example in kb.examples):
            return kb
        key = (id(kb), self.folder)
        cached = _LEFT_OUT.get(key)
        if cached is None or cached[0] is not kb:
            others = tuple(e for e in kb.examples if e.folder != self.folder)
            if len(_LEFT_OUT) > 64:
                _LEFT_OUT.clear()
            cached = _LEFT_OUT[key] = (kb, dataclasses.replace(kb, examples=others))
        return cached[1]

    def judge(self, kb: KnowledgeBase, case: Case) -> str:
        """The verdict on one of its messages, read on its day, by `kb` without this set."""
        return situation_verdict(self.knowledge(kb), case, self.day)

    @property
    def key(self) -> str:
        """Its name among the bench figures ("situations_heldout2")."""
        return self.folder if self.folder == "situations" else f"situations_{self.folder}"


_LEFT_OUT: dict[tuple[int, str], tuple[KnowledgeBase, KnowledgeBase]] = {}


# The sets `lotse eval intents` and `make bench` report, oldest first. A new set is added
# here once; its history is updated when its failures are read.
SITUATION_SETS = (
    SituationSet(
        "situations",
        "Whole situations (first message, through the dialogue)",
        "seen while building",
    ),
    SituationSet("heldout", "Whole situations, held-out set 1", "failures read"),
    SituationSet("heldout2", "Whole situations, held-out set 2 (other writer)", "failures read"),
    SituationSet("heldout3", "Whole situations, held-out set 3", "failures read"),
    SituationSet(
        "heldout4",
        "Whole situations, held-out set 4",
        "failures read after a first run of 65 % / 6.3 %",
    ),
    SituationSet(
        "heldout5",
        "Whole situations, held-out set 5",
        "failures read after a first run of 63 % / 10.4 %",
    ),
    SituationSet(
        "heldout6",
        "Whole situations, held-out set 6",
        "failures read after a first run of 68 % / 4.9 %",
    ),
    SituationSet(
        "heldout7",
        "Whole situations, held-out set 7 (dictated, question first, misspelt)",
        "failures read after a first run of 62 % / 5.6 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout8",
        "Whole situations, held-out set 8 (everyday words for official things)",
        "failures read after a first run of 62 % / 9.0 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout9",
        "Whole situations, held-out set 9 (short, phone-typed, German office words mixed in)",
        "failures read after a first run of 73 % / 7.6 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout10",
        "Whole situations, held-out set 10 (story-tellers, the question inside the story)",
        "failures read after a first run of 51 % / 6.9 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout11",
        "Whole situations, held-out set 11 (phone-typed in a second script, mixed families)",
        "failures read after a first run of 68 % / 9.7 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout12",
        "Whole situations, held-out set 12 (worried parents, a concrete detail)",
        "failures read after a first run of 72 % / 7.6 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout13",
        "Whole situations, held-out set 13 (voice messages through speech-to-text)",
        "failures read after a first run of 65 % / 4.9 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout14",
        "Whole situations, held-out set 14 (checking what they heard from others)",
        "failures read after a first run of 61 % / 9.7 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout15",
        "Whole situations, held-out set 15 (formal letters and terse one-liners)",
        "failures read after a first run of 65 % / 8.3 %",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout16",
        "Whole situations, held-out set 16 (written for a family by someone else)",
        "not read",
        dt.date(2026, 12, 7),
    ),
    SituationSet(
        "heldout17",
        "Whole situations, held-out set 17 (a later step, or a changed situation)",
        "not read",
        dt.date(2026, 12, 8),
    ),
)


def situation_verdict(kb: KnowledgeBase, case: Case, today: dt.date = SITUATION_DAY) -> str:
    """'correct', 'abstained' or 'wrong' for a first message, through the dialogue."""
    started = dialogue.handle(State(), Start(case.lang), kb, today=today).state
    outcome = dialogue.handle(started, TextInput(case.text), kb, today=today)
    node = outcome.state.node or ""
    if outcome.state.offered or node == kb.resolve(kb.organisation.root):
        return "correct" if case.expect == "none" else "abstained"  # asked back, or no idea
    if node == case.expect or (case.expect in kb.flows and kb.node_flow.get(node) == case.expect):
        return "correct"
    if case.expect == "none" or isinstance(kb.nodes.get(node), AnswerNode):
        return "wrong"  # an answer the family did not ask for
    same_journey = kb.node_flow.get(node) == kb.node_flow.get(case.expect)
    return "abstained" if same_journey else "wrong"  # its journey's menu or question


def _summary(verdicts: list[str], times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)

    def pick(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)

    return {
        "n": len(verdicts),
        "correct": verdicts.count("correct"),
        "abstained": verdicts.count("abstained"),
        "wrong": verdicts.count("wrong"),
        "p50_ms": pick(0.50) if ordered else 0.0,
        "p99_ms": pick(0.99) if ordered else 0.0,
    }


def evaluate(
    kb: KnowledgeBase, cases: list[Case], judge: Callable[[KnowledgeBase, Case], str] | None = None
) -> dict[str, Any]:
    """{"overall": {...}, "per_lang": {lang: {...}}} with counts and p50/p99 per message;
    `judge` is `verdict` (the matcher) unless given (e.g. `situation_verdict`)."""
    judge = judge or verdict
    by_lang: dict[str, tuple[list[str], list[float]]] = {}
    for lang in {case.lang for case in cases}:  # the keyword index is built once per language
        understand(kb, "warm", lang)
    examples.model(kb)  # and the second opinion once, as at start-up: not a message's time
    for case in cases:
        started = time.perf_counter()
        outcome = judge(kb, case)
        elapsed = time.perf_counter() - started
        verdicts, times = by_lang.setdefault(case.lang, ([], []))
        verdicts.append(outcome)
        times.append(elapsed)
    everything = [v for verdicts, _ in by_lang.values() for v in verdicts]
    all_times = [t for _, times in by_lang.values() for t in times]
    return {
        "overall": _summary(everything, all_times),
        "per_lang": {lang: _summary(*by_lang[lang]) for lang in sorted(by_lang)},
    }


def table(results: dict[str, Any]) -> str:
    rows = [("lang", "n", "correct", "abstained", "wrong", "p50 ms", "p99 ms")]
    for lang, row in [*results["per_lang"].items(), ("all", results["overall"])]:
        n = row["n"] or 1
        rows.append(
            (
                lang,
                str(row["n"]),
                f"{row['correct']} ({100 * row['correct'] / n:.0f} %)",
                f"{row['abstained']} ({100 * row['abstained'] / n:.0f} %)",
                f"{row['wrong']} ({100 * row['wrong'] / n:.0f} %)",
                f"{row['p50_ms']:.2f}",
                f"{row['p99_ms']:.2f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
