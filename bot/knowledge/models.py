"""Typed, immutable models of the editor-owned knowledge YAML (the schema editors see)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"  # short enough for Telegram callback data
NodeId = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="A node id or a flow id (lower case letters, digits and _).",
    ),
]
SlotName = Annotated[str, Field(pattern=ID_PATTERN, description="Name of a slot to fill.")]
Text = Annotated[str, Field(description="German source text shown to families.")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(_Model):
    """A button: the label the family taps and the node or flow it leads to."""

    label: Text
    goto: NodeId


class Source(_Model):
    """Where a fact comes from, so editors know what to re-check."""

    title: str
    url: str | None = None

    @classmethod
    def from_any(cls, value: Any) -> Any:
        return {"title": value} if isinstance(value, str) else value


class _Findable(_Model):
    """A node a family can reach by typing: its keywords, in German (translated like every
    text, as one comma-separated list per node), say what people write when they mean it."""

    keywords: list[str] = Field(
        default_factory=list,
        description="Words and short phrases families type for this, e.g. ['Zeugnis', 'Papiere'].",
    )


class MenuNode(_Findable):
    """A question with buttons; the family taps one of them."""

    type: Literal["menu", "question"]
    text: Text
    buttons: list[Button]


# Slots a parser fills besides `slot` itself (suffixes), and slots every condition may read.
PARSER_SLOTS: dict[str, tuple[str, ...]] = {
    "birthdate": ("", "_age", "_school_start", "_age_aug1"),
}
SYSTEM_SLOTS = ("school_year",)


class AskNode(_Findable):
    """Free input into a named slot, read by a parser; invalid input is asked again.

    `birthdate` also fills <slot>_age (years today), <slot>_school_start (the year of
    the first school day by the 30 September rule) and <slot>_age_aug1 (age at the start
    of the current school year); conditions can always read `school_year`. `residence`
    reads a residence situation from what the family writes (bot/engine/residence.py):
    "recognised", "eu", "ukraine", "asylum", "duldung" or "other"."""

    type: Literal["ask"]
    text: Text
    slot: SlotName
    parser: Literal["age", "number", "yesno", "date", "birthdate", "residence"]
    hint: Text | None = Field(
        None, description="Shown when the input could not be read; a default hint otherwise."
    )
    min: int | None = Field(None, description="Smallest accepted number (age, number).")
    max: int | None = Field(None, description="Largest accepted number (age, number).")
    next: NodeId
    buttons: list[Button] = Field(
        default_factory=list, description="Other ways on, e.g. 'I do not know'."
    )

    @property
    def filled_slots(self) -> tuple[str, ...]:
        return tuple(self.slot + suffix for suffix in PARSER_SLOTS.get(self.parser, ("",)))


class Route(_Model):
    when: str = Field(description="Condition on slots, e.g. 'age >= 6 and age <= 15'.")
    goto: NodeId


class RouteNode(_Model):
    """Invisible branch: the first route whose condition holds is taken, else `otherwise`."""

    type: Literal["route"]
    routes: list[Route] = Field(min_length=1)
    otherwise: NodeId


class AnswerNode(_Findable):
    """Advice: one or more short messages, an optional checklist, its sources and review date."""

    type: Literal["answer"]
    text: Text | list[Text] = Field(description="One message, or a list of short messages.")
    checklist: list[Text] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date = Field(description="When an editor last checked this against sources.")
    buttons: list[Button] = Field(default_factory=list, description="Follow-up choices.")
    fits: str | None = Field(
        None,
        description=(
            "Whom the answer is for, as a condition on slots, e.g. 'child_age >= 6 and"
            " child_age <= 17'. When a family's message says what makes it false (\"my son is"
            ' 22, support at school?"), the question that asks for it decides instead.'
        ),
    )
    instead: NodeId | None = Field(
        None,
        description=(
            "The answer meant instead when a message says that `fits` is false: a child who"
            " cannot read is the school's matter, not the adults' literacy course."
        ),
    )

    _coerce_sources = field_validator("sources", mode="before")(
        lambda value: (
            [Source.from_any(item) for item in value] if isinstance(value, list) else value
        )
    )

    @property
    def messages(self) -> list[str]:
        return [self.text] if isinstance(self.text, str) else list(self.text)


Action = Literal["book", "appointments", "handoff", "interpreter", "language"]


class ActionNode(_Findable):
    """A step that needs a service: book an appointment, hand over, request a mediator."""

    type: Literal["action"]
    action: Action
    text: Text | None = Field(None, description="Optional introduction shown first.")
    buttons: list[Button] = Field(default_factory=list)


Node = Annotated[
    MenuNode | AskNode | RouteNode | AnswerNode | ActionNode, Field(discriminator="type")
]


class FlowFile(_Model):
    """One file in knowledge/flows/: a journey with its nodes (node ids are global)."""

    flow: NodeId = Field(description="The flow id; as a target it means the start node.")
    title: Text
    start: NodeId
    nodes: dict[Annotated[str, Field(pattern=ID_PATTERN)], Node]


class Contact(_Model):
    """An office or service; texts refer to it as {contact_id.field}."""

    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    hours: str | None = None
    transport: str | None = None
    web: str | None = None


class Organisation(_Model):
    """knowledge/ki.yaml: who runs this bot, where the conversation starts, contacts."""

    name: str
    root: NodeId = Field(description="The main menu node.")
    elsewhere: NodeId | None = Field(
        None,
        description=(
            "The answer that says who else helps with what Lotse does not advise on (housing,"
            " the immigration office, work …): a message about such a matter may go straight"
            " to it, where elsewhere such a matter makes any other answer only offered."
        ),
    )
    welcome: Text
    fallback_contact: str = Field(
        description="Contact offered whenever a step is not available or a person is needed."
    )
    contacts: dict[Annotated[str, Field(pattern=ID_PATTERN)], Contact]


def node_texts(node: MenuNode | AskNode | RouteNode | AnswerNode | ActionNode) -> dict[str, str]:
    """Every family-facing text of a node by field path, e.g. {'text': …, 'buttons.0': …}."""
    texts: dict[str, str] = {}
    if isinstance(node, AnswerNode):
        for index, message in enumerate(node.messages):
            texts["text" if isinstance(node.text, str) else f"text.{index}"] = message
        for index, item in enumerate(node.checklist):
            texts[f"checklist.{index}"] = item
    elif isinstance(node, MenuNode | AskNode) or (isinstance(node, ActionNode) and node.text):
        texts["text"] = node.text or ""
    if isinstance(node, AskNode) and node.hint:
        texts["hint"] = node.hint
    if isinstance(node, MenuNode | AnswerNode | ActionNode | AskNode):
        for index, button in enumerate(node.buttons):
            texts[f"buttons.{index}"] = button.label
    if isinstance(node, _Findable) and node.keywords:
        texts["keywords"] = ", ".join(node.keywords)
    return texts
