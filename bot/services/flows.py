"""The flows of a conversation, in one ordered registry.

A flow is one part of what Lotse does in a chat: a mediator's messages passed on, talking
to a person, booking, privacy, the knowledge engine, questions kept for editors. Each says
which events it claims (`claims`), which button-id prefixes it makes (`prefixes`, see
`bot.types.button_id`) and which of the engine's effects it does (`effects`). An event goes
to the first flow that claims it; that flow answers it (None) or hands an event on to the
flows after it (e.g. a booking left by "menu" passes "menu" on). The engine comes last and
claims everything, so every event gets an answer.

`Flows` checks when it is put together that no two flows make the same buttons and that
every effect kind (`bot.types.EffectKind`) is done by exactly one flow: a new kind the
engine asks for cannot fall through to the wrong service. A new flow is one class with
these four members, added to the list in `Conversations` (bot/services/conversation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, get_args

from bot.engine import dialogue
from bot.services.turn import Turn
from bot.store import stats
from bot.types import Effect, EffectKind, Event

ALL_EFFECTS: frozenset[str] = frozenset(get_args(EffectKind))


class Flow(Protocol):
    name: str
    prefixes: frozenset[str]
    effects: frozenset[str]

    def claims(self, turn: Turn, event: Event) -> bool:
        """Whether this event is this flow's to answer (in order: the first one wins)."""

    def handle(self, turn: Turn, event: Event) -> Event | None:
        """Answers the event; returns an event for the flows after it, or None."""

    def effect(self, turn: Turn, effect: Effect) -> None:
        """Does an effect of `effects` that the engine asked for."""


class FlowError(Exception):
    """The flows do not fit together (a programming error, found at start-up)."""


class Flows:
    """The ordered registry: runs an event through the flows, then their effects."""

    def __init__(self, flows: Sequence[Flow], *, asks: frozenset[str] = ALL_EFFECTS) -> None:
        """`asks`: the effect kinds the engine may ask for here (without a staff chat it
        answers "talk to a person" itself and never asks for "handoff")."""
        self.flows = tuple(flows)
        makers: dict[str, str] = {}
        owners: dict[str, Flow] = {}
        for flow in self.flows:
            for prefix in flow.prefixes:
                if prefix in makers:
                    raise FlowError(f"{flow.name} and {makers[prefix]} both make '{prefix}' ids")
                makers[prefix] = flow.name
            for kind in flow.effects:
                if kind in owners:
                    raise FlowError(f"{flow.name} and {owners[kind].name} both do '{kind}'")
                owners[kind] = flow
        unknown = set(owners) - ALL_EFFECTS
        if unknown:
            raise FlowError(f"no such effect kind: {', '.join(sorted(unknown))}")
        undone = asks - set(owners)
        if undone:
            raise FlowError(f"no flow does: {', '.join(sorted(undone))}")
        self.owners = owners

    def run(self, turn: Turn, event: Event) -> None:
        pending: Event | None = event
        for flow in self.flows:
            if pending is None:
                break
            if flow.claims(turn, pending):
                pending = flow.handle(turn, pending)
                self._effects(turn)

    def _effects(self, turn: Turn) -> None:
        while turn.effects:
            effect = turn.effects.pop(0)
            owner = self.owners.get(effect.kind)
            if owner is None:
                raise FlowError(f"no flow does the effect '{effect.kind}'")
            owner.effect(turn, effect)


class EngineFlow:
    """The knowledge engine (bot/engine/dialogue.py): the decision tree, free text, help,
    languages. Claims every event; asks the other flows for work through effects.
    `staff`: a staff chat takes "talk to a person" (the "handoff" effect)."""

    name = "engine"
    prefixes = frozenset(dialogue.PREFIXES)
    effects: frozenset[str] = frozenset()

    def __init__(self, *, staff: bool) -> None:
        self.staff = staff

    def claims(self, turn: Turn, event: Event) -> bool:
        return True

    def handle(self, turn: Turn, event: Event) -> Event | None:
        outcome = dialogue.handle(
            turn.state, event, turn.kb, today=turn.now.date(), staff=self.staff
        )
        turn.state = outcome.state
        turn.replies.extend(outcome.replies)
        turn.effects.extend(outcome.effects)
        for tally in outcome.tallies:
            stats.count(turn.db, turn.now, tally.metric, tally.key, turn.lang)
        return None

    def effect(self, turn: Turn, effect: Effect) -> None:  # pragma: no cover - claims none
        raise FlowError(effect.kind)
