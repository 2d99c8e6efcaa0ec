"""Questions Lotse could not place, kept for editors — only with the family's yes, and
only scrubbed of names, numbers and addresses (bot/services/scrub.py).

The engine reports a typed text it could not place (Effect "unanswered"; not a "Did you
mean …?" offer, not an answer to a question of Lotse). Depending on the family's answer
in families.keep_questions:

- not given (NULL): Lotse asks once, in one short message with "Yes" and "No", showing the
  scrubbed text; only the scrubbed text waits in State.pending_question, and the engine
  drops it with the next event. A family that lets the question pass is not asked again.
- yes (1): the scrubbed text is stored at once (table `unanswered`: text, language, the
  step where it was asked, time), without asking again.
- no (0): nothing is stored, and Lotse never asks again.

The answer arrives as Effect "questions_yes" / "questions_no" (the engine handles the two
buttons and thanks the family). A family can change it at any time with /questions; "no"
also deletes the questions kept so far. Each answer is an audit entry (actor 'family'),
so the KI can show when consent was given or withdrawn. /mydata shows the kept questions,
/delete and the retention period (privacy.unanswered_days) remove them.

`report()` groups the kept questions by similarity for `lotse report unanswered`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from bot import i18n
from bot.engine.dialogue import KEEP_NO, KEEP_YES
from bot.engine.normalize import normalize
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import node_texts
from bot.services.scrub import PLACEHOLDERS, known_words, scrub
from bot.services.turn import Turn
from bot.store import audit
from bot.store import unanswered as store
from bot.types import Button, Effect, Event

ASKED = "ask:questions"  # in State.seen: the family was asked once
MAX_CHARS = 500  # longer texts are cut before they are kept
MIN_LETTERS = 4  # "ok", "hi", "?" are not questions

# Not questions: greetings and thanks in the languages Lotse speaks (compared normalised).
_SMALL_TALK = frozenset(
    normalize(
        "hallo hi hey hello moin servus tschüss danke dankeschön vielen dank thanks thank you "
        "ok okay ja nein yes no gut good bye привет здравствуйте спасибо пока да нет привіт "
        "дякую так ні здравей благодаря мерси مرحبا سلام شكرا شكراً ممنون مرسی مننه ښه "
        "merhaba selam teşekkürler teşekkür ederim sağol evet hayır cześć dziękuję dzięki tak "
        "nie salut mulțumesc mersi da nu silav spas belê na"
    ).split()
)

_ASK = _(
    "Darf Lotse Ihre Frage ohne Namen und Zahlen speichern? Dann kann das Team des KI "
    "Antworten ergänzen."
)
_YES = _("Ja")
_NO = _("Nein")


class UnansweredFlow:
    """Questions Lotse could not place, kept for editors with the family's yes: the
    engine's "unanswered", "questions_yes" and "questions_no" effects; no events."""

    name = "unanswered"
    prefixes: frozenset[str] = frozenset()  # the engine makes the keep:yes/no buttons
    effects = frozenset({"unanswered", "questions_yes", "questions_no"})

    def claims(self, turn: Turn, event: Event) -> bool:
        return False

    def handle(self, turn: Turn, event: Event) -> Event | None:  # pragma: no cover
        return event

    def effect(self, turn: Turn, effect: Effect) -> None:
        """Keeps, offers to keep or forgets questions (the state notes a pending question,
        or that the family was asked)."""
        db, family, now, state = turn.db, turn.family, turn.now, turn.state
        if effect.kind == "unanswered":
            _unplaced(turn, effect.text)
            return
        keep = effect.kind == "questions_yes"
        store.set_keep_questions(db, family, keep)
        audit.record(
            db, "family", "keep_questions", now, family=family, detail="yes" if keep else "no"
        )
        if keep and effect.text:
            store.add(db, family, effect.text[:MAX_CHARS], state.lang, state.node, now)
        if not keep:
            store.delete_for(db, family)


def _unplaced(turn: Turn, text: str) -> None:
    db, kb, family, state = turn.db, turn.kb, turn.family, turn.state
    keep = store.keep_questions(db, family)
    if keep is False or (keep is None and ASKED in state.seen):
        return  # scrubbing is not even needed
    question = scrub(text, known_words(kb, state.lang))[:MAX_CHARS]
    if not worth_keeping(question):
        return
    if keep:
        store.add(db, family, question, state.lang, state.node, turn.now)
        return
    # The question in the family's language, the scrubbed text below it, never filled.
    buttons = (Button(KEEP_YES, turn.label(_YES)), Button(KEEP_NO, turn.label(_NO)))
    turn.say(turn.ui(_ASK), buttons, tail=f"\n„{question}“")
    turn.state = replace(state, pending_question=question, seen=(*state.seen, ASKED))


def worth_keeping(question: str) -> bool:
    """Some letters besides the placeholders, and not only a greeting or thanks."""
    for placeholder in PLACEHOLDERS:
        question = question.replace(placeholder, " ")
    words = normalize(question).split()
    letters = sum(char.isalpha() for word in words for char in word)
    return letters >= MIN_LETTERS and not all(word in _SMALL_TALK for word in words)


# --- the report for editors ---------------------------------------------------------

SIMILAR = 70.0  # rapidfuzz token_set_ratio (0-100) of two questions' content words
COMMON_PER_LANGUAGE = 40  # the most frequent words of Lotse's texts in each language
MAX_EXAMPLES = 3

# Words that say little about what is missing: question words, pronouns of the first
# person and light verbs, which Lotse's own texts (addressed to "Sie") rarely use.
_FILLER = frozenset(
    normalize(
        "ich mein meine meinen meinem meiner mir mich wir unser wie wo was wann warum wer "
        "welche welcher bekomme bekommen brauche brauchen suche suchen finde finden gibt "
        "geht kann können muss müssen möchte will wird "
        "i my me we our how what where when why who which get need find want can must have "
        "do does is are "
        "я мой моя мне меня мы как где что когда почему кто получить нужно найти можно хочу "
        "есть мій моя мені як де що коли чому хто отримати потрібно знайти можна є "
        "аз моят как къде какво кога защо получа търся искам мога трябва "
        "انا أنا كيف أين اين ماذا متى لماذا هل احصل أحصل ابحث أبحث أريد يمكن احتاج أحتاج "
        "من کجا چطور چگونه کی چرا چه پیدا میخواهم خواهم باید دارم بگیرم "
        "زه زما څنګه چیرته څه کله ولې "
        "ben benim nasıl nerede ne zaman neden bulmak almak istiyorum lazım var mı "
        "ja mój moja jak gdzie co kiedy dlaczego otrzymać potrzebuję szukam mogę chcę "
        "eu meu mea cum unde ce când obține caut vreau pot trebuie "
        "ez min çawa li ku çi kengê çima"
    ).split()
)


@dataclass(frozen=True)
class Group:
    """Similar questions: how many, in which languages, asked at which steps, and up to
    MAX_EXAMPLES different texts (newest first)."""

    count: int
    languages: dict[str, int]
    nodes: dict[str, int]
    examples: tuple[str, ...]
    first: str
    last: str

    def as_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "languages": self.languages,
            "nodes": self.nodes,
            "examples": list(self.examples),
            "first": self.first,
            "last": self.last,
        }


_COMMON: dict[int, tuple[KnowledgeBase, frozenset[str]]] = {}


def common_words(kb: KnowledgeBase) -> frozenset[str]:
    """Words that carry no topic: _FILLER and, per language, the COMMON_PER_LANGUAGE
    words found in most of Lotse's own texts ("und", "Sie", "für", but also "Schule":
    a topic Lotse already speaks about says little about what is missing)."""
    cached = _COMMON.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    languages: dict[str, list[str]] = {
        i18n.SOURCE_LANGUAGE: [t for node in kb.nodes.values() for t in node_texts(node).values()]
    }
    for code, language in kb.catalogs.languages.items():
        languages[code] = list(language.singular.values())
    words = set(_FILLER)
    for texts in languages.values():
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(set(normalize(text).split()))
        words.update(word for word, _n in counts.most_common(COMMON_PER_LANGUAGE))
    if len(_COMMON) > 16:
        _COMMON.clear()
    found = frozenset(words)
    _COMMON[id(kb)] = (kb, found)
    return found


def content(text: str, common: frozenset[str]) -> str:
    """The words of a question that name its topic (all words if none is left)."""
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, " ")
    words = normalize(text).split()
    return " ".join([word for word in words if word not in common] or words)


def cluster(texts: list[str], threshold: float = SIMILAR) -> list[list[int]]:
    """Indexes of `texts` in groups, largest first. Greedy: the text with the most
    similar others (token_set_ratio >= threshold) opens a group with all of them that
    are still free; then the next. No chains: every member is similar to its group's
    first text."""
    neighbours: list[set[int]] = []
    for text in texts:
        found = process.extract(
            text, texts, scorer=fuzz.token_set_ratio, score_cutoff=threshold, limit=None
        )
        neighbours.append({index for _match, _score, index in found})
    free = set(range(len(texts)))
    groups: list[list[int]] = []
    while free:
        leader = max(free, key=lambda i: (len(neighbours[i] & free), -i))
        members = sorted((neighbours[leader] | {leader}) & free)
        free -= set(members)
        groups.append(members)
    return sorted(groups, key=lambda group: (-len(group), group[0]))


def report(db: Database, kb: KnowledgeBase, since: dt.datetime | None = None) -> list[Group]:
    """The kept questions (since `since`) in groups of similar ones, largest first."""
    questions = store.questions(db, since=since)
    common = common_words(kb)
    groups = cluster([content(question.text, common) for question in questions])
    result: list[Group] = []
    for members in groups:
        found = [questions[index] for index in members]
        newest = sorted(found, key=lambda q: (q.created_at, q.id), reverse=True)
        examples = tuple(dict.fromkeys(q.text for q in newest))[:MAX_EXAMPLES]
        result.append(
            Group(
                count=len(found),
                languages=dict(Counter(q.lang for q in found).most_common()),
                nodes=dict(Counter(q.node or "-" for q in found).most_common()),
                examples=examples,
                first=min(q.created_at for q in found),
                last=max(q.created_at for q in found),
            )
        )
    return result


def table(groups: list[Group]) -> str:
    """The report as editors read it in a terminal."""
    if not groups:
        return "No unanswered questions kept."
    total = sum(group.count for group in groups)
    lines = [f"{total} unanswered question(s) in {len(groups)} group(s), largest first"]
    for number, group in enumerate(groups, 1):
        languages = ", ".join(f"{lang} {n}" for lang, n in group.languages.items())
        nodes = ", ".join(f"{node} {n}" for node, n in group.nodes.items())
        lines.append("")
        lines.append(f"{number}. {group.count}× · languages: {languages} · asked at: {nodes}")
        lines.append(f"   {group.first[:10]} – {group.last[:10]}")
        lines += [f"   „{example}“" for example in group.examples]
    return "\n".join(lines)
