"""The examples in the knowledge folder, and the second opinion learnt from them
(bot.engine.examples): loaded with file:line:column for a broken line, never choosing an
answer the matcher did not offer, steered by what editors add."""

from __future__ import annotations

import json
from pathlib import Path

from bot.engine import examples
from bot.engine.understanding import understand
from bot.knowledge import KnowledgeBase, check_knowledge, load_knowledge
from bot.services.evaluation import SITUATION_SETS
from bot.services.live_knowledge import LiveKnowledge

ROOT = Path(__file__).resolve().parent.parent


def add_examples(knowledge: Path, lines: list[str]) -> Path:
    path = knowledge / "examples" / "editors" / "de.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_bundled_set_is_loaded_as_examples(kb: KnowledgeBase) -> None:
    folders = {example.folder for example in kb.examples}
    assert {found.folder for found in SITUATION_SETS} <= folders
    assert len(kb.examples) == sum(len(found.cases(kb)) for found in SITUATION_SETS)
    assert all(e.expect == "none" or e.expect in kb.nodes for e in kb.examples)


def test_a_broken_example_is_a_warning_with_its_place_and_only_it_is_left_out(
    knowledge_copy: Path,
) -> None:
    path = add_examples(
        knowledge_copy,
        [
            json.dumps(
                {
                    "text": "Mein Neffe war nie in der Schule",
                    "lang": "de",
                    "expect": "se_never_school",
                }
            ),
            '{"text": "kaputt", "lang": "de"',
            json.dumps({"text": "Wann?", "lang": "de", "expect": "se_nowhere"}),
            json.dumps({"text": "ohne Antwort", "lang": "de"}),
        ],
    )
    kb, problems = check_knowledge(knowledge_copy)
    assert kb is not None
    found = {(p.line, p.severity) for p in problems if p.file == str(path)}
    assert found == {(2, "warning"), (3, "warning"), (4, "warning")}
    unknown = next(p for p in problems if p.file == str(path) and p.line == 3)
    assert "se_nowhere" in unknown.message and unknown.column > 1
    editors = [e for e in kb.examples if e.folder == "editors"]
    assert [e.expect for e in editors] == ["se_never_school"]


def test_the_second_opinion_only_chooses_among_the_offered(kb: KnowledgeBase) -> None:
    text = "Mein Sohn ist 13 und war noch nie in einer Schule, er kann nicht lesen"
    scores = examples.model(kb).scores(text)  # type: ignore[union-attr]
    best = max(scores, key=scores.__getitem__)
    assert best == "se_never_school"
    assert examples.pick(kb, text, ("se_never_school", "sk_costs")) == "se_never_school"
    # the model's favourite is not offered: it chooses none of the others on its own
    assert examples.pick(kb, text, ("sk_costs", "sm_pool")) in (None, "sk_costs", "sm_pool")
    assert examples.pick(kb, text, ("sk_costs", "sm_pool")) is None
    assert examples.pick(kb, text, ()) is None


def test_what_editors_add_steers_it(knowledge_copy: Path) -> None:
    """A phrase no keyword has, taught by a few lines in examples/: Lotse then takes it
    where it was in doubt, and the same knowledge loaded again reuses the model."""
    text = "Wo kriegt mein Kleiner so ein Blauheft für die Anmeldung"
    before = load_knowledge(knowledge_copy)
    lines = [
        json.dumps({"text": phrase, "lang": "de", "expect": "se_documents"})
        for phrase in (
            "Blauheft für die Anmeldung",
            "was ist ein Blauheft",
            "brauchen wir das Blauheft",
            "Blauheft vergessen",
        )
    ]
    add_examples(knowledge_copy, lines)
    after = load_knowledge(knowledge_copy)
    assert examples.model(after) is not examples.model(before)
    scores_before = examples.model(before).scores(text)  # type: ignore[union-attr]
    scores_after = examples.model(after).scores(text)  # type: ignore[union-attr]
    assert scores_after["se_documents"] > scores_before["se_documents"]
    assert max(scores_after, key=scores_after.__getitem__) == "se_documents"
    assert examples.model(load_knowledge(knowledge_copy)) is examples.model(after)


def test_the_running_bot_builds_it_before_a_version_is_used(knowledge_copy: Path) -> None:
    live = LiveKnowledge(load_knowledge(knowledge_copy), knowledge_copy, None)
    assert examples.built(live())
    add_examples(
        knowledge_copy,
        [json.dumps({"text": "Blauheft", "lang": "de", "expect": "se_documents"})],
    )
    assert live.reload() == []
    assert examples.built(live())


def test_a_guard_keeps_asking_whatever_the_examples_say(knowledge_copy: Path) -> None:
    """'Termin' is a keyword of two answers: taught ever so often that it means one of
    them, Lotse still asks which."""
    add_examples(
        knowledge_copy,
        [
            json.dumps(
                {"text": f"Termin {n}" if n else "Termin", "lang": "de", "expect": "main_book"}
            )
            for n in range(6)
        ],
    )
    kb = load_knowledge(knowledge_copy)
    assert understand(kb, "Termin", "de").kind == "offer"


def test_the_compact_model_scores_as_scikit_learn_does(kb: KnowledgeBase) -> None:
    """The model comes back from the child process as arrays; its scores are
    TfidfVectorizer plus LinearSVC.decision_function's, fitted here the same way."""
    import numpy as np
    from sklearn.svm import LinearSVC

    from bot.engine.normalize import fold

    pairs = examples.training(kb)
    texts, targets = zip(*pairs, strict=True)
    vectorizer = examples._vectorizer(examples.MIN_DF)
    classifier = LinearSVC(C=examples.C).fit(vectorizer.fit_transform(texts), targets)
    compact = examples.model(kb)
    assert compact is not None
    assert compact.classes == tuple(classifier.classes_)
    messages = [e.text for e in kb.examples[::7]] + ["", "a", "ö", "  x  y ", "🙂 ok", "ab"]
    expected = classifier.decision_function(vectorizer.transform([fold(m) for m in messages]))
    for message, row in zip(messages, expected, strict=True):
        got = compact.scores(message)
        assert np.allclose([got[c] for c in compact.classes], row, atol=1e-4), message


def test_two_answers_are_one_boundary_and_both_get_a_score() -> None:
    pairs = [("klein kind", "small"), ("kleines kind", "small"), ("gross", "big"), ("groß", "big")]
    fitted = examples._Model(**examples._fit(pairs))
    assert set(fitted.classes) == {"big", "small"}
    scores = fitted.scores("kleines")
    assert scores["small"] > 0 > scores["big"]
