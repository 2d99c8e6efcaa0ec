"""The dialogue engine: pure functions over the knowledge, no I/O, no Telegram."""

from bot.engine.dialogue import Outcome, handle
from bot.engine.events import (
    Attachment,
    Button,
    ButtonPress,
    Command,
    Effect,
    Event,
    Reply,
    Start,
    TextInput,
)
from bot.engine.state import State

__all__ = [
    "Attachment",
    "Button",
    "ButtonPress",
    "Command",
    "Effect",
    "Event",
    "Outcome",
    "Reply",
    "Start",
    "State",
    "TextInput",
    "handle",
]
