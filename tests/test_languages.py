"""Every bundled language: complete catalogs, and every transcript runs in it."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import i18n
from bot.catalogs import status
from bot.clock import BERLIN
from bot.config import BUNDLED_TRANSLATIONS
from bot.engine import ButtonPress, Command, Event, Reply, Start, State, TextInput
from bot.engine.matcher import match_button
from bot.knowledge import load_knowledge
from bot.knowledge.loader import load_model_file
from bot.knowledge.models import AskNode
from bot.services.conversation import Conversations
from bot.services.transcripts import TEST_TIME, Step, TranscriptFile
from bot.store import open_db
from bot.store.conversations import find_family, load_state
from tests.conftest import KNOWLEDGE

KB = load_knowledge(KNOWLEDGE, BUNDLED_TRANSLATIONS)
OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE]


def transcripts() -> list[tuple[str, list[Step], dt.date]]:
    found: list[tuple[str, list[Step], dt.date]] = []
    for path in sorted((KNOWLEDGE / "tests").glob("*.yaml")):
        model, _, problems = load_model_file(path, TranscriptFile)
        assert model is not None, problems
        for transcript in model.transcripts:
            day = transcript.today or model.today or dt.date(2026, 11, 22)
            found.append((transcript.name, transcript.steps, day))
    return found


class Session:
    """One family talking to the real conversation service, in memory, at 10:00."""

    def __init__(self, today: dt.date, lang: str) -> None:
        now = dt.datetime.combine(today, TEST_TIME, tzinfo=BERLIN)
        self.db = open_db(":memory:")
        self.conversations = Conversations(self.db, lambda: KB, clock=lambda: now)
        self.replies = self.send(Start(lang_hint=lang))

    def send(self, event: Event) -> list[Reply]:
        self.replies = self.conversations.handle("t", "f", event)
        return self.replies

    @property
    def state(self) -> State:
        family = find_family(self.db, "t", "f")
        return load_state(self.db, family) if family is not None else State()


def german_events(steps: list[Step], today: dt.date) -> list[Event]:
    """The transcript's events with pressed labels, and German text typed to press a
    button, turned into button ids (other languages show other labels)."""
    session = Session(today, "de")
    events: list[Event] = []
    for step in steps:
        event: Event
        buttons = [b for reply in session.replies for b in reply.buttons]
        node = KB.nodes.get(session.state.node or "")
        asking = isinstance(node, AskNode) or session.state.booking is not None
        typed = None if asking else match_button(step.say or "", buttons)
        if typed is not None:
            event = ButtonPress(typed.id)
        elif step.say is not None:
            event = TextInput(step.say)
        elif step.command is not None:
            event = Command(step.command)
        else:
            event = ButtonPress(next(b.id for b in buttons if step.press in (b.label, b.id)))
        events.append(event)
        session.send(event)
    return events


def test_every_language_is_complete() -> None:
    rows = {row.lang: row for row in status(KB, BUNDLED_TRANSLATIONS)}
    assert set(rows) == set(i18n.LANGUAGES)
    incomplete = {
        lang: (row.outdated, row.missing, row.broken)
        for lang, row in rows.items()
        if not row.complete
    }
    assert incomplete == {}


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_transcript_runs_in_every_language(lang: str) -> None:
    for name, steps, today in transcripts():
        events = german_events(steps, today)
        german, other = Session(today, "de"), Session(today, lang)
        for event in events:
            german.send(event)
            replies = other.send(event)
            if isinstance(event, ButtonPress) and event.id.startswith("lang:"):
                break  # the transcript switches the language itself
            assert other.state.node == german.state.node, (lang, name, event)
            step_of = (german.state.booking or {}).get("step")
            assert (other.state.booking or {}).get("step") == step_of, (lang, name, event)
            fallen = [reply.text[:60] for reply in replies if reply.lang != lang]
            assert fallen == [], (lang, name, event)
