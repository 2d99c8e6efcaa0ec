"""Free text to a place in the knowledge: which node (or flow, or intent) a family means
when they type instead of tapping, in any language, with typos.

Every findable node has keywords (German in the YAML; each language's translation in the
catalogs). A message is compared with the keywords of German, English and the family's
language: each word of a keyword is matched to the most similar word of the message
(rapidfuzz ratio, after normalising case, accents, Arabic and Persian letter variants and a
few transliterations). A clear winner is taken; close candidates are offered as buttons;
anything weaker is "not understood". Never a confident wrong answer: when two different
journeys score alike, the family chooses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from bot.engine.normalize import normalize
from bot.i18n import FALLBACK_LANGUAGE, SOURCE_LANGUAGE
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import ActionNode, MenuNode, node_texts

CONFIDENT = 88.0  # a target this good (and clearly ahead) is taken at once
CANDIDATE = 78.0  # targets this good are offered as "Did you mean …?"
CONTEXT_BONUS = 8.0  # a specific answer whose journey was named too ("Kurs … kostet")
MARGIN = 5.0  # how far the best must lead the best target of another journey
WORD_FLOOR = 80.0  # a word this unlike any word of the message counts as missing
SPECIFIC_BONUS = 6.0  # per extra word of a matched multi-word keyword
MAX_OFFERED = 3

_SPLIT = re.compile(r"[,،؛;\n]+")


@dataclass(frozen=True)
class _Keyword:
    target: str  # a node id
    words: tuple[str, ...]
    # German abbreviations ("EU", "BuT", "KIM") count only as written: in lower case they
    # are everyday words of other languages (Romanian "eu", English "but", Turkish "kim").
    as_written: tuple[str, ...] = ()


@dataclass
class _Index:
    keywords: list[_Keyword] = field(default_factory=list)
    words: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Understanding:
    """`jump`: take `targets[0]`; `offer`: ask which of `targets`; `none`: not understood."""

    kind: Literal["jump", "offer", "none"]
    targets: tuple[str, ...] = ()
    score: float = 0.0


_INDEXES: dict[tuple[int, str], tuple[KnowledgeBase, _Index]] = {}


def _index(kb: KnowledgeBase, lang: str) -> _Index:
    """Keywords of German, English and `lang`, built once per knowledge base."""
    key = (id(kb), lang)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] is kb:
        return cached[1]
    index = _Index()
    for node_id, node in kb.nodes.items():
        german = node_texts(node).get("keywords")
        if not german:
            continue
        lists = {german}
        for code in {FALLBACK_LANGUAGE, lang} - {SOURCE_LANGUAGE}:
            found = kb.catalogs.text(code, f"{node_id}.keywords", german)
            lists.add(found.text)
        for text in lists:
            for phrase in _SPLIT.split(text):
                words = tuple(normalize(phrase).split())
                if not words:
                    continue
                short = tuple(w for w in phrase.split() if text == german and len(w) <= 3)
                index.keywords.append(_Keyword(node_id, words, short))
                index.words.update(words)
    if len(_INDEXES) > 64:  # reloads make new knowledge bases; keep the cache small
        _INDEXES.clear()
    _INDEXES[key] = (kb, index)
    return index


def _word_scores(message: Iterable[str], vocabulary: set[str]) -> dict[str, float]:
    """For every keyword word, how well the best word of the message matches it."""
    best: dict[str, float] = {}
    choices = list(vocabulary)
    for token in message:
        matches = process.extract(
            token, choices, scorer=fuzz.ratio, score_cutoff=WORD_FLOOR, limit=None
        )
        for word, score, _ in matches:
            if len(word) < 4 or len(token) < 4:  # short words only when written exactly
                score = 100.0 if word == token else 0.0
            if score > best.get(word, 0.0):
                best[word] = score
        for word in choices:
            if best.get(word, 0.0) >= 92.0 or len(word) < 4:
                continue
            if token.startswith(word) and len(token) - len(word) <= 3:
                best[word] = 92.0  # an ending: "Menschen" for "Mensch"
            elif word.startswith(token) and len(token) >= 4 and len(word) - len(token) <= 2:
                best[word] = 92.0  # "Termin" for "Termine"
            elif len(word) >= 6 and (token.startswith(word[:-1]) or token.endswith(word)):
                best[word] = 90.0  # compounds: "Schulanmeldung", "Grundschule"
    return best


# Doctors, in the languages Lotse speaks. The KI books counselling, not medical visits:
# "Termin beim Kinderarzt" must not start a counselling booking.
_MEDICAL_WORDS = (
    "Arzt Ärztin Kinderarzt Zahnarzt Doktor Praxis doctor dentist medic medicului "
    "лекар лекаря врач врача лікар лікаря طبيب الطبيب دكتور الدكتور دکتر داکتر ډاکټر "
    "doktor doktora lekarz lekarza bijîşk dixtor hekîm"
)
_MEDICAL = frozenset(normalize(word) for word in _MEDICAL_WORDS.split())


def _medical(tokens: list[str]) -> bool:
    return any(token in _MEDICAL for token in tokens)


def _is_booking(kb: KnowledgeBase, target: str) -> bool:
    node = kb.nodes.get(target)
    return isinstance(node, ActionNode) and node.action in ("book", "appointments")


def _journey(kb: KnowledgeBase, target: str) -> str:
    return kb.node_flow.get(target, target)


def _is_menu(kb: KnowledgeBase, target: str) -> bool:
    return isinstance(kb.nodes.get(target), MenuNode)


def _add_context(kb: KnowledgeBase, by_target: dict[str, float]) -> None:
    """An answer gains when a menu of its own journey matched as well: "Integrationskurs,
    was kostet das" is about the costs, not the course menu."""
    named = {_journey(kb, t) for t in by_target if _is_menu(kb, t)}
    for target in list(by_target):
        if not _is_menu(kb, target) and _journey(kb, target) in named:
            by_target[target] += CONTEXT_BONUS


def _most_specific(kb: KnowledgeBase, ranked: list[tuple[str, float]], journey: str) -> str:
    """Within the winning journey, a confident answer beats the journey's menu."""
    for target, score in ranked:
        if _journey(kb, target) == journey and not _is_menu(kb, target) and score >= CONFIDENT:
            return target
    return ranked[0][0]


def understand(kb: KnowledgeBase, text: str, lang: str) -> Understanding:
    """What the family most likely means by `text`; see the module docstring."""
    tokens = normalize(text).split()
    if not tokens:
        return Understanding("none")
    index = _index(kb, lang)
    scores = _word_scores(tokens, index.words)
    written = set(re.findall(r"\w+", text))
    by_target: dict[str, float] = {}
    for keyword in index.keywords:
        if keyword.as_written and not all(word in written for word in keyword.as_written):
            continue
        value = sum(scores.get(word, 0.0) for word in keyword.words) / len(keyword.words)
        if value < CANDIDATE:
            continue
        # Only words that carry meaning make a phrase more specific ("zur", "for" do not).
        content = sum(1 for word in keyword.words if len(word) >= (5 if word.isascii() else 4))
        value += SPECIFIC_BONUS * min(max(content - 1, 0), 2)
        if value > by_target.get(keyword.target, 0.0):
            by_target[keyword.target] = value
    if not by_target:
        return Understanding("none")
    if _medical(tokens):  # a doctor's appointment is not the KI's: never book or advise it
        by_target = {t: s for t, s in by_target.items() if not _is_booking(kb, t)}
        if not by_target:
            return Understanding("none")
    _add_context(kb, by_target)
    ranked = sorted(by_target.items(), key=lambda item: (-item[1], item[0]))
    best_target, best = ranked[0]
    journey = _journey(kb, best_target)
    rivals = [score for target, score in ranked[1:] if _journey(kb, target) != journey]
    clear = not rivals or best - rivals[0] >= MARGIN
    if best >= CONFIDENT and clear:
        return Understanding("jump", (_most_specific(kb, ranked, journey),), best)
    offered: list[str] = []
    journeys: set[str] = set()
    for target, _score in ranked:
        if _journey(kb, target) not in journeys:  # one candidate per journey
            offered.append(target)
            journeys.add(_journey(kb, target))
        if len(offered) == MAX_OFFERED:
            break
    return Understanding("offer", tuple(offered), best)


def intent_of(kb: KnowledgeBase, target: str) -> str:
    """The evaluation's name for a target: an intent for the special action nodes and the
    main menu, else the node id."""
    node = kb.nodes.get(target)
    if target == kb.resolve(kb.organisation.root):
        return "menu"
    if isinstance(node, ActionNode):
        return {"book": "booking", "handoff": "human", "language": "language"}.get(
            node.action, target
        )
    return target
