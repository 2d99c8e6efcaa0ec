"""The words every layer shares: what a channel hands in (events), what it gets back
(replies, buttons, files), the conversation state, and a channel-neutral reference to a
message. This module imports nothing of Lotse, so the store, the services, the engine and
every channel can use it without depending on each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

MAX_HISTORY = 30


# --- references ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chat:
    """One chat on one channel: a family's private chat, a mediator's, a web session.
    `id` is the channel's own id, opaque to everything outside `bot/channels/`."""

    channel: str
    id: str


@dataclass(frozen=True)
class MessageRef:
    """A message as its channel knows it, e.g. Telegram's (chat id, message id), so that
    it can be passed on to staff by reference: its text is never stored by the services.
    Only the channel named in `channel` can read `chat` and `id`."""

    channel: str
    chat: str
    id: str


# --- events ------------------------------------------------------------------------------


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
    """Typed text; `ref` lets it be relayed to staff while the family talks to a person."""

    text: str
    ref: MessageRef | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Command:
    """menu, back, help, human, language, start, mydata, delete, questions."""

    name: str


MediaKind = Literal["voice", "photo", "sticker", "location", "document", "other"]
# Why a channel did not pass a file on to staff under [limits]: shown instead of the kind.
Refusal = Literal["too_large", "not_allowed"]


@dataclass(frozen=True)
class Media:
    """Something Lotse cannot read (voice, photo, sticker …). `ref` lets staff get it while
    the family talks to a person; None when the channel refused to pass it on (`refused`
    says why)."""

    kind: MediaKind
    ref: MessageRef | None = field(default=None, compare=False)
    refused: Refusal | None = None


Event = Start | ButtonPress | TextInput | Command | Media


# --- replies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    id: str
    label: str


BUTTON_SEPARATOR = ":"
MAX_BUTTON_ID = 64  # Telegram's limit of callback data, in bytes


def button_id(prefix: str, *parts: object) -> str:
    """The id of a flow's button: its prefix (which flow owns it, see
    bot/services/flows.py), then its parts, e.g. "bk:day:2026-11-23". A knowledge node id
    (letters, digits, "_") is a button id without a prefix: the engine's."""
    assert prefix and BUTTON_SEPARATOR not in prefix, prefix
    return BUTTON_SEPARATOR.join([prefix, *(str(part) for part in parts)])


@dataclass(frozen=True)
class ButtonId:
    """A button id read back: never trusted, it comes from the channel."""

    prefix: str  # "" for a knowledge node id
    parts: tuple[str, ...]

    @classmethod
    def decode(cls, text: str) -> ButtonId:
        prefix, separator, rest = text.partition(BUTTON_SEPARATOR)
        if not separator:
            return cls("", (text,))
        return cls(prefix, tuple(rest.split(BUTTON_SEPARATOR)))


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


# What the engine saw happen, for the anonymous statistics (bot/store/stats.py): a journey
# entered, an answer step shown, a typed text understood / asked back / unanswered. The
# service counts them in the event's transaction; the engine stays a pure function.
TallyMetric = Literal["journey", "answer", "text"]


@dataclass(frozen=True)
class Tally:
    metric: TallyMetric
    key: str  # the flow, the node id, or the text's outcome


# Work the engine asks a flow of the conversation service to do. Every kind is claimed by
# exactly one flow (bot/services/flows.py checks it when the flows are put together).
EffectKind = Literal[
    "book", "appointments", "handoff", "unanswered", "questions_yes", "questions_no"
]


@dataclass(frozen=True)
class Effect:
    """Work the engine asks a service to do, e.g. start the booking flow ("book") or show
    the family's appointments ("appointments"); `flow` is where it was asked. `text` is
    what the work is about, e.g. the typed text Lotse could not place ("unanswered"); it
    lives only in memory, a service decides what of it may be kept."""

    kind: EffectKind
    flow: str
    text: str = ""


# --- the conversation state --------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """The conversation state of one family: where they are, how they got there, what we
    know."""

    node: str | None = None  # the step waiting for the family; never a route node
    history: tuple[str, ...] = ()  # earlier waiting steps, for "back"
    slots: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    lang: str = "de"
    misses: int = 0  # consecutive inputs we did not understand at this step
    seen: tuple[str, ...] = ()  # one-time notices already shown, e.g. "mt:ar"
    booking: Mapping[str, Any] | None = None  # the booking flow's own step, while it runs
    offered: tuple[str, ...] = ()  # targets offered as "Did you mean …?" in the last reply
    # An unplaced question, already scrubbed of names and numbers, waiting for the family's
    # yes to keeping it (bot/services/unanswered.py); the engine drops it at the next event.
    pending_question: str | None = None

    def with_slot(self, name: str, value: Any) -> State:
        return replace(self, slots=MappingProxyType({**self.slots, name: value}))

    def seen_also(self, key: str) -> State:
        """The state with a one-time notice (or a yes) remembered."""
        return self if key in self.seen else replace(self, seen=(*self.seen, key))

    def to_json(self) -> str:
        return json.dumps(
            {
                "node": self.node,
                "history": list(self.history),
                "slots": dict(self.slots),
                "lang": self.lang,
                "misses": self.misses,
                "seen": list(self.seen),
                "booking": dict(self.booking) if self.booking is not None else None,
                "offered": list(self.offered),
                "pending_question": self.pending_question,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> State:
        """Tolerant: a missing or damaged row starts a fresh conversation."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(
                node=data.get("node"),
                history=tuple(str(item) for item in data.get("history", []))[-MAX_HISTORY:],
                slots=MappingProxyType(dict(data.get("slots", {}))),
                lang=str(data.get("lang", "de")),
                misses=int(data.get("misses", 0)),
                seen=tuple(str(item) for item in data.get("seen", [])),
                booking=dict(data["booking"]) if data.get("booking") else None,
                offered=tuple(str(item) for item in data.get("offered", [])),
                pending_question=_optional_text(data.get("pending_question")),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
