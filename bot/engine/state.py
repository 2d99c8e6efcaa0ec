"""The conversation state of one family: where they are, how they got there, what we know."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

MAX_HISTORY = 30


@dataclass(frozen=True)
class State:
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
