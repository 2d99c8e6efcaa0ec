"""Transcript tests: editors write conversations in YAML (knowledge/tests/*.yaml) and
`lotse knowledge test` or pytest replays them through the real conversation service (the
engine, the booking flow, and an SQLite database in memory), at 10:00 on `today`.

    today: 2026-11-22            # the date the conversations happen (default: today)
    transcripts:
      - name: Kind mit 9 ist schulpflichtig
        steps:
          - press: Schule für mein Kind      # a button label as shown, or a button id
          - say: "9"                        # typed text
            expect: [Schulpflicht]          # fragments the texts or buttons must contain
            absent: [Berufskolleg]          # fragments they must not contain
            node: se_school                 # where the conversation must be now
          - command: back                   # menu, back, help, human, language, start

Every conversation starts with /start. Fragments are compared ignoring case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.clock import BERLIN
from bot.knowledge import KnowledgeBase, Problem
from bot.knowledge.loader import load_model_file
from bot.knowledge.yamlpos import LoadedYaml
from bot.services.conversation import Conversations
from bot.store import open_db
from bot.store.conversations import find_family, load_state
from bot.types import ButtonPress, Command, Event, Reply, Start, State, TextInput

TESTS_DIR = "tests"
Fragments = Annotated[list[str], Field(default_factory=list)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Step(_Model):
    press: str | None = None
    say: str | None = None
    command: str | None = None
    expect: Fragments
    absent: Fragments
    node: str | None = None

    @model_validator(mode="after")
    def one_action(self) -> Step:
        if sum(value is not None for value in (self.press, self.say, self.command)) != 1:
            raise ValueError("each step needs exactly one of press, say or command")
        return self


class Transcript(_Model):
    name: str
    today: dt.date | None = None
    lang: str = "de"
    steps: list[Step] = Field(min_length=1)


class TranscriptFile(_Model):
    today: dt.date | None = None
    transcripts: list[Transcript] = Field(min_length=1)


@dataclass(frozen=True)
class Result:
    file: str
    line: int
    name: str
    failure: str | None  # None when the transcript passed

    def __str__(self) -> str:
        verdict = "ok" if self.failure is None else f"FAILED: {self.failure}"
        return f"{self.file}:{self.line}: {self.name}: {verdict}"


def _event(step: Step, shown: tuple[Reply, ...]) -> Event | str:
    """The event a step stands for, or why it cannot be taken."""
    if step.say is not None:
        return TextInput(step.say)
    if step.command is not None:
        return Command(step.command)
    buttons = [button for reply in shown for button in reply.buttons]
    for button in buttons:
        if step.press in (button.label, button.id):
            return ButtonPress(button.id)
    labels = ", ".join(f"'{button.label}'" for button in buttons) or "none"
    return f"no button '{step.press}' (shown: {labels})"


def _check(step: Step, replies: tuple[Reply, ...], state: State) -> str | None:
    """Fragments are looked for in what the family sees: the texts and the buttons."""
    shown = [reply.text for reply in replies]
    shown += [button.label for reply in replies for button in reply.buttons]
    text = "\n".join(shown).casefold()
    missing = [fragment for fragment in step.expect if fragment.casefold() not in text]
    if missing:
        return f"expected {missing} in: {text[:300]!r}"
    present = [fragment for fragment in step.absent if fragment.casefold() in text]
    if present:
        return f"did not expect {present}"
    if step.node is not None and state.node != step.node:
        return f"expected to be at '{step.node}', but at '{state.node}'"
    return None


CHANNEL, FAMILY = "transcript", "family"
TEST_TIME = dt.time(10, 0)


def run_transcript(
    kb: KnowledgeBase, transcript: Transcript, today: dt.date
) -> tuple[int, str] | None:
    """Replay one transcript; (index of the failing step, why) or None if it passed."""
    db = open_db(":memory:")
    now = dt.datetime.combine(today, TEST_TIME, tzinfo=BERLIN)
    conversations = Conversations(db, lambda: kb, clock=lambda: now)
    try:
        replies = tuple(conversations.handle(CHANNEL, FAMILY, Start(lang_hint=transcript.lang)))
        for index, step in enumerate(transcript.steps):
            event = _event(step, replies)
            if isinstance(event, str):
                return index, event
            replies = tuple(conversations.handle(CHANNEL, FAMILY, event))
            family = find_family(db, CHANNEL, FAMILY)
            state = load_state(db, family) if family is not None else State()
            failure = _check(step, replies, state)
            if failure is not None:
                return index, failure
        return None
    finally:
        db.close()


def _line(loaded: LoadedYaml, path: tuple[str | int, ...]) -> int:
    return loaded.position(path).line


def run_transcripts(
    kb: KnowledgeBase, directory: Path, today: dt.date
) -> tuple[list[Result], list[Problem]]:
    """Every transcript in directory/tests/*.yaml: (results, problems in the files)."""
    results: list[Result] = []
    problems: list[Problem] = []
    for path in sorted((directory / TESTS_DIR).glob("*.yaml")):
        model, loaded, file_problems = load_model_file(path, TranscriptFile)
        problems += file_problems
        if model is None:
            continue
        for number, transcript in enumerate(model.transcripts):
            day = transcript.today or model.today or today
            outcome = run_transcript(kb, transcript, day)
            if outcome is None:
                line = _line(loaded, ("transcripts", number))
                results.append(Result(str(path), line, transcript.name, None))
            else:
                step, failure = outcome
                line = _line(loaded, ("transcripts", number, "steps", step))
                results.append(Result(str(path), line, transcript.name, failure))
    return results, problems
