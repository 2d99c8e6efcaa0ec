"""What a channel hands the engine (events) and what it gets back (replies)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Start:
    """The family opened the conversation (/start); `lang_hint` e.g. Telegram's language."""

    lang_hint: str | None = None


@dataclass(frozen=True)
class ButtonPress:
    """A button was pressed; `id` comes from the channel and is never trusted."""

    id: str


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class Command:
    """menu, back, help, human, language, start."""

    name: str


Event = Start | ButtonPress | TextInput | Command


@dataclass(frozen=True)
class Button:
    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply, e.g. the .ics of an appointment."""

    name: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """One message to the family. `expects` names the parser of an open question
    (e.g. "age") so a channel can tell typed answers from button numbers."""

    text: str
    buttons: tuple[Button, ...] = ()
    lang: str = "de"
    expects: str | None = None
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Effect:
    """Work the engine asks a service to do, e.g. start the booking flow ("book") or show
    the family's appointments ("appointments"); `flow` is where it was asked. `text` is
    what the work is about, e.g. the typed text Lotse could not place ("unanswered"); it
    lives only in memory, a service decides what of it may be kept."""

    kind: str
    flow: str
    text: str = ""
