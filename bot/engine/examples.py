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
it) in about 4 seconds; `warm` builds it in the background. It is fitted in a child
process: scikit-learn and the fitting take about 150 MB that a running bot would keep
(`make bench`: 266 MB with 10,000 families instead of 133). What comes back is the fitted
vocabulary, idf weights and coefficients (float32, about 10 MB), and `_Model.scores`
applies them as TfidfVectorizer and LinearSVC.decision_function do
(tests/test_examples.py checks that the two agree).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.engine.normalize import KEYWORDS_SPLIT, fold

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

PICK = -0.3  # the offered answer's score must reach this …
LEAD = 0.5  # … and lead every other offered answer's by this much
NGRAMS = (2, 5)  # character n-grams within words
MIN_DF = 2  # an n-gram seen once only is noise (and would make the model 5 times larger)
C = 0.5  # LinearSVC's regularisation: measured best of 0.1, 0.5, 1, 2 (leave one set out)


def _ngrams(text: str) -> list[str]:
    """The character n-grams of TfidfVectorizer(analyzer="char_wb", lowercase=True): within
    each word padded with a space, NGRAMS[0] to NGRAMS[1] letters; a word shorter than n
    once."""
    low, high = NGRAMS
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[at : at + n] for at in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # as sklearn does: a word this short only once
                break
    return grams


@dataclass(frozen=True)
class _Model:
    vocabulary: dict[str, int]  # n-gram -> column
    idf: Any  # numpy float32 (columns,)
    weights: Any  # numpy float32 (columns, classes): LinearSVC's coef_, transposed
    intercept: Any  # numpy float32 (classes,)
    classes: tuple[str, ...]

    def scores(self, text: str) -> dict[str, float]:
        """The distance of `text` to each answer's decision boundary (above 0: that one)."""
        counts = Counter(
            column
            for gram in _ngrams(fold(text))
            if (column := self.vocabulary.get(gram)) is not None
        )
        values = self.intercept
        if counts:
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = np.array([1.0 + math.log(counts[c]) for c in counts], dtype=np.float32)
            row = tf * self.idf[columns]
            row /= np.linalg.norm(row)
            values = row @ self.weights[columns] + self.intercept
        return {target: float(value) for target, value in zip(self.classes, values, strict=True)}


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


def _vectorizer(min_df: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df
    )


def _fit(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """In the child process: the fitted vectorizer and classifier as plain arrays."""
    from sklearn.svm import LinearSVC

    texts, targets = zip(*pairs, strict=True)
    vectorizer = _vectorizer(MIN_DF)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # too few texts for MIN_DF: every n-gram seen once
        vectorizer = _vectorizer(1)
        matrix = vectorizer.fit_transform(texts)
    classifier = LinearSVC(C=C).fit(matrix, targets)
    coef, intercept = classifier.coef_, classifier.intercept_
    if coef.shape[0] == 1:  # two answers: one boundary, the first answer on its other side
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return {
        "vocabulary": {str(gram): int(column) for gram, column in vectorizer.vocabulary_.items()},
        "idf": vectorizer.idf_.astype(np.float32),
        "weights": np.ascontiguousarray(coef.T, dtype=np.float32),
        "intercept": intercept.astype(np.float32),
        "classes": tuple(str(target) for target in classifier.classes_),
    }


def _to_bytes(fitted: dict[str, Any]) -> bytes:
    grams = sorted(fitted["vocabulary"], key=fitted["vocabulary"].__getitem__)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        grams=np.array(grams, dtype=str),
        idf=fitted["idf"],
        weights=fitted["weights"],
        intercept=fitted["intercept"],
        classes=np.array(fitted["classes"], dtype=str),
    )
    return buffer.getvalue()


def _from_bytes(data: bytes) -> _Model:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return _Model(
            vocabulary={str(gram): column for column, gram in enumerate(arrays["grams"])},
            idf=arrays["idf"],
            weights=arrays["weights"],
            intercept=arrays["intercept"],
            classes=tuple(str(target) for target in arrays["classes"]),
        )


def _build(pairs: list[tuple[str, str]]) -> _Model | None:
    """Fits in a child process (`python -m bot.engine.examples`, the pairs as JSON on its
    standard input, the arrays as .npz on its standard output), so that scikit-learn and
    the fitting's memory leave with it."""
    if len({target for _text, target in pairs}) < 2:
        return None  # nothing to choose between
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-m", "bot.engine.examples"],
        input=json.dumps(pairs, ensure_ascii=False).encode("utf-8"),
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    if child.returncode != 0:  # no second opinion then: Lotse asks back, as without one
        last = child.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        log.warning("fitting the examples failed, no second opinion: %s", "".join(last))
        return None
    return _from_bytes(child.stdout)


def model(kb: KnowledgeBase) -> _Model | None:
    """The model for `kb`'s examples and keywords, built on first use (None: too little
    to learn from). Knowledge bases with the same training content share one."""
    if (known := _known(kb)) is not None:
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


def _known(kb: KnowledgeBase) -> tuple[KnowledgeBase, _Model | None] | None:
    known = _BY_KB.get(id(kb))
    return known if known is not None and known[0] is kb else None


def built(kb: KnowledgeBase) -> bool:
    """Whether `kb`'s model is ready (a family's message in doubt would not wait for it)."""
    return _known(kb) is not None


def warm(kb: KnowledgeBase) -> threading.Thread:
    """Build `kb`'s model in the background, so that the first family does not wait."""
    thread = threading.Thread(target=model, args=(kb,), name="lotse-examples", daemon=True)
    thread.start()
    return thread


def pick(kb: KnowledgeBase, text: str, offered: tuple[str, ...]) -> str | None:
    """The offered answer the family clearly meant, or None (then Lotse asks)."""
    found = model(kb)
    if found is None or not offered:
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


if __name__ == "__main__":  # the child process of _build
    given = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(_to_bytes(_fit([(text, target) for text, target in given])))
