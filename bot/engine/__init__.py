"""The dialogue engine: pure functions over the knowledge, no I/O, no Telegram.

The shared types live in `bot.types`; they are re-exported here because an engine caller
needs them with `handle`."""

from bot.engine.dialogue import Outcome, handle
from bot.types import (
    Attachment,
    Button,
    ButtonPress,
    Command,
    Effect,
    Event,
    Media,
    MessageRef,
    Reply,
    Start,
    State,
    TextInput,
)

__all__ = [
    "Attachment",
    "Button",
    "ButtonPress",
    "Command",
    "Effect",
    "Event",
    "Media",
    "MessageRef",
    "Outcome",
    "Reply",
    "Start",
    "State",
    "TextInput",
    "handle",
]
