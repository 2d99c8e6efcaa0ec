"""A second opinion from examples: which of the answers Lotse would offer a family meant.

When the keyword matcher (`understanding`) is in doubt, it offers up to three answers
("Did you mean …?"). Often one of them is plainly what the family meant, in words no keyword
has: "my neighbour's boy, 13, has never seen a classroom". This module learns from how
families put things and, when one offered answer clearly stands out, takes it at once.

What it learns from, per knowledge base:
- the example messages in the knowledge folder (`examples/**/*.jsonl`, `Example`): what
  families wrote and the answer they meant, in their languages;
- every keyword phrase of every answer, in German and in each catalog's language.

The model is a linear support vector machine (scikit-learn's LinearSVC) on character
n-grams of 2 to 5 letters within words (TF-IDF). Character n-grams need no word lists
and read every script, misspellings and word endings alike ("Schulanmeldung", "школу",
"مدرسه"). It never chooses among all answers, only among those the matcher offered, so it
cannot send a family somewhere no word of theirs points to; and only when one offered
answer leads the others by LEAD and reaches PICK (scores are distances to the decision
boundary: above 0, the model takes it for that answer).

Measured, not guessed (leave one set out: each set judged by a model trained without it).
As a tie-breaker alone, over sets 1 to 15 (2,280 first messages, 332 asked back at the main
menu): PICK = -0.3 with LEAD = 0.5 took 179, 177 of them right; PICK 0.0 took 113 (111
right); LEAD 0.3 took 200 (195 right). Through the dialogue, with the matcher's guards kept
(`understanding.understand`), sets 1 to 15: LEAD 0.5 2,034 correct / 30 wrong of 2,280,
LEAD 0.4 2,042 / 30, LEAD 0.3 2,049 / 34. LEAD stays 0.5: at 0.4 "Wie viel Geld gibt das
Jobcenter?" went to the Jobcenter's course answer (tests/test_understanding.py), a wrong
answer for 8 more right ones in 2,280. See the README ("Free-text understanding").

A model is built once per distinct training content (a reload with the same files reuses
it) in about 3 seconds; `warm` builds it in the background at start-up.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.engine.normalize import KEYWORDS_SPLIT, fold

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

PICK = -0.3  # the offered answer's score must reach this …
LEAD = 0.5  # … and lead every other offered answer's by this much
NGRAMS = (2, 5)  # character n-grams within words
MIN_DF = 2  # an n-gram seen once only is noise (and would make the model 5 times larger)
C = 0.5  # LinearSVC's regularisation: measured best of 0.1, 0.5, 1, 2 (leave one set out)


@dataclass(frozen=True)
class _Model:
    vectorizer: Any  # TfidfVectorizer
    classifier: Any  # LinearSVC
    classes: dict[str, int]

    def scores(self, text: str) -> dict[str, float]:
        values = self.classifier.decision_function(self.vectorizer.transform([fold(text)]))[0]
        return {target: float(values[at]) for target, at in self.classes.items()}


_MODELS: dict[str, _Model | None] = {}  # by a hash of the training content
_BY_KB: dict[int, tuple[KnowledgeBase, _Model | None]] = {}
_LOCK = threading.Lock()


def training(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(folded text, node id) pairs: the examples, then every keyword phrase."""
    from bot.knowledge.models import node_texts

    # "none" too: what no answer means shapes where the answers' borders lie
    pairs = [(fold(e.text), e.expect) for e in kb.examples]
    languages = kb.catalogs.available
    for node_id, node in kb.nodes.items():
        german = node_texts(node).get("keywords")
        if not german:
            continue
        texts = {kb.catalogs.text(lang, f"{node_id}.keywords", german).text for lang in languages}
        for text in sorted(texts | {german}):
            for phrase in KEYWORDS_SPLIT.split(text):
                if phrase.strip():
                    pairs.append((fold(phrase), node_id))
    return pairs


def _build(pairs: list[tuple[str, str]]) -> _Model | None:
    if len({target for _text, target in pairs}) < 2:
        return None  # nothing to choose between
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts, targets = zip(*pairs, strict=True)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=MIN_DF
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # too few texts for MIN_DF: every n-gram seen once
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True)
        matrix = vectorizer.fit_transform(texts)
    classifier = LinearSVC(C=C).fit(matrix, targets)
    classes = {str(target): at for at, target in enumerate(classifier.classes_)}
    return _Model(vectorizer, classifier, classes)


def model(kb: KnowledgeBase) -> _Model | None:
    """The model for `kb`'s examples and keywords, built on first use (None: too little
    to learn from). Knowledge bases with the same training content share one."""
    known = _BY_KB.get(id(kb))
    if known is not None and known[0] is kb:
        return known[1]
    with _LOCK:
        pairs = training(kb)
        key = hashlib.sha256(repr(pairs).encode("utf-8")).hexdigest()
        if key not in _MODELS:
            if len(_MODELS) > 32:  # evaluation builds one per left-out set; keep it small
                _MODELS.clear()
            _MODELS[key] = _build(pairs)
        if len(_BY_KB) > 64:
            _BY_KB.clear()
        _BY_KB[id(kb)] = (kb, _MODELS[key])
        return _MODELS[key]


def warm(kb: KnowledgeBase) -> threading.Thread:
    """Build `kb`'s model in the background, so that the first family does not wait."""
    thread = threading.Thread(target=model, args=(kb,), name="lotse-examples", daemon=True)
    thread.start()
    return thread


def pick(kb: KnowledgeBase, text: str, offered: tuple[str, ...]) -> str | None:
    """The offered answer the family clearly meant, or None (then Lotse asks)."""
    found = model(kb)
    if found is None or len(offered) < 1:
        return None
    scores = found.scores(text)
    ranked = sorted(
        ((scores.get(target, float("-inf")), target) for target in offered), reverse=True
    )
    best, target = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else float("-inf")
    if best >= PICK and best - runner_up >= LEAD:
        return target
    return None
