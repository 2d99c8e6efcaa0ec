"""The dialogue: a pure function (state, event, knowledge) -> (new state, replies).

It never sleeps, does no I/O and reads no clock: `today` comes from the caller.
Start, menu, back and help always work; every reply batch ends with buttons, so a
family always has a way forward.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot import i18n
from bot.engine.events import (
    Button,
    ButtonPress,
    Command,
    Event,
    Reply,
    Start,
    TextInput,
)
from bot.engine.matcher import match_button
from bot.engine.parsers import ParseFailure, parse, system_slots
from bot.engine.state import MAX_HISTORY, State
from bot.knowledge.conditions import evaluate
from bot.knowledge.loader import AnyNode, KnowledgeBase
from bot.knowledge.models import ActionNode, AnswerNode, AskNode, MenuNode, RouteNode

BACK, HOME, HUMAN, HELP = "nav:back", "nav:menu", "nav:human", "nav:help"
YES, NO = "val:yes", "val:no"
MAX_ROUTE_HOPS = 50  # validation forbids route loops; this guards a broken reload
MISSES_BEFORE_PERSON = 2


@dataclass(frozen=True)
class Outcome:
    state: State
    replies: tuple[Reply, ...]


class _Turn:
    """One event's work: collects replies while the state moves."""

    def __init__(self, kb: KnowledgeBase, state: State, today: dt.date) -> None:
        self.kb = kb
        if state.node not in kb.nodes:  # new family, or the step vanished in a reload
            state = replace(state, node=self.root, history=())
        self.state = state
        self.today = today
        self.replies: list[Reply] = []
        self.t = i18n.ui(state.lang)

    # --- output -------------------------------------------------------------------

    def say(self, text: str, buttons: tuple[Button, ...] = (), expects: str | None = None) -> None:
        self.replies.append(
            Reply(self.kb.fill(text), buttons, i18n.shown_language(self.state.lang), expects)
        )

    def nav_buttons(self, node_id: str, node: AnyNode, own: list[Button]) -> list[Button]:
        _ = self.t.gettext
        buttons = list(own)
        if self.state.history:
            buttons.append(Button(BACK, _("◀ Zurück")))
        if node_id != self.root:
            buttons.append(Button(HOME, _("🏠 Hauptmenü")))
        offers_person = any(_is_handoff(self.kb.nodes.get(self.kb.resolve(b.id))) for b in own)
        wants_person = isinstance(node, AnswerNode) or self.state.misses >= MISSES_BEFORE_PERSON
        if wants_person and not offers_person and not _is_handoff(node):
            buttons.append(Button(HUMAN, _("🙋 Mit einer Person sprechen")))
        return buttons

    def visible_buttons(self) -> tuple[Button, ...]:
        node_id = self.current
        node = self.kb.nodes[node_id]
        own: list[Button] = []
        if isinstance(node, AskNode) and node.parser == "yesno":
            _ = self.t.gettext
            own = [Button(YES, _("Ja")), Button(NO, _("Nein"))]
        if not isinstance(node, RouteNode):  # a route is never the current step
            own += [Button(button.goto, button.label) for button in node.buttons]
        return tuple(self.nav_buttons(node_id, node, own))

    # --- where we are ---------------------------------------------------------------

    @property
    def root(self) -> str:
        return self.kb.resolve(self.kb.organisation.root)

    @property
    def current(self) -> str:
        assert self.state.node is not None  # set in __init__ and by every move
        return self.state.node

    # --- moving -------------------------------------------------------------------

    def enter(self, target: str, *, push: bool = True) -> None:
        """Go to `target` (following routes) and show it."""
        node_id = self.kb.resolve(target)
        for _hop in range(MAX_ROUTE_HOPS):
            node = self.kb.nodes[node_id]
            if not isinstance(node, RouteNode):
                break
            node_id = self.kb.resolve(self._route(node_id, node))
        else:  # pragma: no cover - validation rejects route loops
            node_id = self.root
        history = self.state.history
        previous = self.state.node
        if push and previous is not None and previous != node_id and previous in self.kb.nodes:
            history = (*history, previous)[-MAX_HISTORY:]
        if node_id == self.root:
            history = ()
        self.state = replace(self.state, node=node_id, history=history, misses=0)
        self.show()

    def _route(self, node_id: str, node: RouteNode) -> str:
        slots = {**self.state.slots, **system_slots(self.today)}
        for index, route in enumerate(node.routes):
            expr = self.kb.conditions.get((node_id, index))
            if expr is not None and evaluate(expr, slots):
                return route.goto
        return node.otherwise

    def show(self, *, repeat: bool = False) -> None:
        """Render the current step; `repeat` shows only its question and buttons."""
        node = self.kb.nodes[self.current]
        buttons = self.visible_buttons()
        if isinstance(node, MenuNode):
            self.say(node.text, buttons)
        elif isinstance(node, AskNode):
            self.say(node.text, buttons, expects=node.parser)
        elif isinstance(node, AnswerNode):
            self.show_answer(node, buttons, repeat=repeat)
        elif isinstance(node, ActionNode):
            if node.text and not repeat:
                self.say(node.text)
            if node.action == "language":
                self.say(self.language_text(), buttons)
            else:
                self.say(self.not_available(node.action), buttons)

    def show_answer(self, node: AnswerNode, buttons: tuple[Button, ...], *, repeat: bool) -> None:
        _ = self.t.gettext
        messages = node.messages
        if node.checklist:
            messages = [*messages, "\n".join(f"• {item}" for item in node.checklist)]
        if repeat:
            messages = [_("Wie geht es weiter?")]
        else:
            reviewed = i18n.month_year(node.reviewed, self.state.lang)
            messages = [
                *messages[:-1],
                f"{messages[-1]}\n\n" + _("Stand: {date}").format(date=reviewed),
            ]
        for message in messages[:-1]:
            self.say(message)
        self.say(messages[-1], buttons)

    def not_available(self, action: str) -> str:
        _ = self.t.gettext
        contact = self.kb.organisation.fallback_contact
        intro = {
            "book": _("Termine kann ich im Chat noch nicht buchen."),
            "handoff": _("Ein Gespräch mit einer Person im Chat gibt es noch nicht."),
            "interpreter": _("Sprachmittler kann ich im Chat noch nicht anfragen."),
        }[action]
        reach = _("Bitte melden Sie sich beim KI: Telefon {phone}, E-Mail {email}.")
        return (
            intro
            + " "
            + reach.format(phone="{" + contact + ".phone}", email="{" + contact + ".email}")
        )

    def language_text(self) -> str:
        _ = self.t.gettext
        return _("Im Moment spricht Lotse nur Deutsch. Weitere Sprachen kommen bald.")

    # --- events -------------------------------------------------------------------

    def start(self, lang_hint: str | None) -> None:
        lang = self.state.lang
        if lang_hint and lang_hint in i18n.available_languages():
            lang = lang_hint
        self.state = State(lang=lang)
        self.t = i18n.ui(lang)
        self.say(self.kb.organisation.welcome)
        self.enter(self.root, push=False)

    def command(self, name: str) -> None:
        _ = self.t.gettext
        if name == "start":
            self.start(None)
        elif name == "menu":
            self.state = replace(self.state, history=())
            self.enter(self.root, push=False)
        elif name == "back":
            # Steps removed by a knowledge reload are skipped.
            history = [node for node in self.state.history if node in self.kb.nodes]
            if history:
                *rest, previous = history
                self.state = replace(self.state, node=previous, history=tuple(rest), misses=0)
                self.show()
            else:
                self.enter(self.root, push=False)
        elif name == "human":
            self.say(self.not_available("handoff"))
            self.show(repeat=True)
        elif name == "language":
            self.say(self.language_text())
            self.show(repeat=True)
        elif name == "help":
            self.say(
                _(
                    "Tippen Sie auf einen Knopf. Sie können auch schreiben.\n"
                    "/menu – Hauptmenü\n/back – zurück\n/human – mit einer Person sprechen\n"
                    "/language – Sprache wählen"
                )
            )
            self.show(repeat=True)
        else:
            self.say(_("Diesen Befehl kenne ich nicht. Schreiben Sie /help für Hilfe."))
            self.show(repeat=True)

    def press(self, button_id: str) -> None:
        _ = self.t.gettext
        nav = {BACK: "back", HOME: "menu", HUMAN: "human", HELP: "help"}
        if button_id in nav:
            self.command(nav[button_id])
            return
        node = self.kb.nodes[self.current]
        visible = {button.id for button in self.visible_buttons()}
        if button_id in (YES, NO) and button_id in visible and isinstance(node, AskNode):
            self.answer(node, {"": button_id == YES})
            return
        root = self.kb.nodes[self.root]
        from_root = isinstance(root, MenuNode) and any(b.goto == button_id for b in root.buttons)
        if button_id in visible or from_root:
            self.enter(button_id)
            return
        self.say(_("Dieser Knopf gehört zu einem früheren Schritt. Hier sind wir gerade:"))
        self.show()

    def answer(self, node: AskNode, values: dict[str, object]) -> None:
        for suffix, value in values.items():
            self.state = self.state.with_slot(node.slot + suffix, value)
        self.enter(node.next)

    def text(self, text: str) -> None:
        _ = self.t.gettext
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            self.command(stripped[1:].split()[0].split("@")[0].casefold())
            return
        node = self.kb.nodes[self.current]
        if isinstance(node, AskNode) and stripped:
            try:
                value = parse(
                    node.parser,
                    stripped,
                    today=self.today,
                    lang=self.state.lang,
                    minimum=node.min,
                    maximum=node.max,
                )
            except ParseFailure:
                pass
            else:
                self.answer(node, value)
                return
        pressed = match_button(stripped, self.visible_buttons())
        if pressed is not None:
            self.press(pressed.id)
            return
        self.state = replace(self.state, misses=self.state.misses + 1)
        if isinstance(node, AskNode):
            hint = node.hint or _DEFAULT_HINTS.get(node.parser, "")
            self.say(self.t.gettext(hint))
        else:
            self.say(_("Das habe ich leider nicht verstanden. Bitte tippen Sie auf einen Knopf."))
        if self.state.misses >= MISSES_BEFORE_PERSON:
            self.say(_("Sie können auch mit einer Person sprechen."))
        self.show(repeat=True)


def _is_handoff(node: AnyNode | None) -> bool:
    return isinstance(node, ActionNode) and node.action == "handoff"


def _(message: str) -> str:
    """Marks a string for extraction where it is translated later, at use."""
    return message


_DEFAULT_HINTS = {
    "age": _("Bitte schreiben Sie das Alter als Zahl, zum Beispiel 9."),
    "number": _("Bitte schreiben Sie eine Zahl."),
    "yesno": _("Bitte tippen Sie auf „Ja“ oder „Nein“."),
    "date": _("Bitte schreiben Sie ein Datum, zum Beispiel 20.09.2019."),
    "birthdate": _("Bitte schreiben Sie das Geburtsdatum, zum Beispiel 20.09.2019."),
}


def handle(state: State, event: Event, kb: KnowledgeBase, *, today: dt.date) -> Outcome:
    """The engine's one entry point."""
    turn = _Turn(kb, state, today)
    if isinstance(event, Start):
        turn.start(event.lang_hint)
    elif isinstance(event, Command):
        turn.command(event.name.casefold())
    elif isinstance(event, ButtonPress):
        turn.press(event.id)
    elif isinstance(event, TextInput):
        turn.text(event.text)
    return Outcome(turn.state, tuple(turn.replies))
