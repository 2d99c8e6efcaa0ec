"""The dialogue: a pure function (state, event, knowledge) -> (new state, replies).

It never sleeps, does no I/O and reads no clock: `today` comes from the caller.
Start, menu, back and help always work; every reply batch ends with buttons, so a
family always has a way forward. Every text is shown in the family's language when a
current translation exists; otherwise in the next language of the chain (en, then de)
with a short marker and an "original text" button.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import assert_never

import bot.engine.slots as slots
from bot import i18n
from bot.engine.matcher import match_button
from bot.engine.parsers import ParseFailure, parse, system_slots
from bot.engine.understanding import Understanding, is_choice, understand
from bot.i18n import _
from bot.knowledge.conditions import evaluate, slot_names
from bot.knowledge.loader import AnyNode, KnowledgeBase, decided_by
from bot.knowledge.models import Action, ActionNode, AnswerNode, AskNode, MenuNode, RouteNode
from bot.types import (
    MAX_HISTORY,
    Button,
    ButtonPress,
    Command,
    Effect,
    EffectKind,
    Event,
    Media,
    Reply,
    Start,
    State,
    Tally,
    TextInput,
)

BACK, HOME, HUMAN, HELP = "nav:back", "nav:menu", "nav:human", "nav:help"
ORIGINAL, LANGUAGE = "nav:original", "nav:language"
YES, NO = "val:yes", "val:no"
KEEP_YES, KEEP_NO = "keep:yes", "keep:no"  # may Lotse keep unplaced questions? (services)
LANG_PREFIX = "lang:"
# The button ids the engine makes: navigation, yes/no, keeping questions, languages, and
# knowledge node ids (no prefix). See bot.types.button_id.
PREFIXES = ("", "nav", "val", "keep", "lang")
MAX_ROUTE_HOPS = 50  # validation forbids route loops; this guards a broken reload
MISSES_BEFORE_PERSON = 2
NAV_COMMANDS = {BACK: "back", HOME: "menu", HUMAN: "human", HELP: "help", LANGUAGE: "language"}


@dataclass(frozen=True)
class Outcome:
    state: State
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    tallies: tuple[Tally, ...] = ()  # for the anonymous statistics


_DEFAULT_HINTS = {
    "age": _("Bitte schreiben Sie das Alter als Zahl, zum Beispiel 9."),
    "number": _("Bitte schreiben Sie eine Zahl."),
    "yesno": _("Bitte tippen Sie auf „Ja“ oder „Nein“."),
    "date": _("Bitte schreiben Sie ein Datum, zum Beispiel 20.09.2019."),
    "birthdate": _("Bitte schreiben Sie das Geburtsdatum, zum Beispiel 20.09.2019."),
    "residence": _("Bitte tippen Sie auf die Situation, die zu Ihnen passt."),
}
STAMP = _("Stand: {date}")
HELP = _(
    "Tippen Sie auf einen Knopf. Sie können auch schreiben.\n"
    "/menu – Hauptmenü\n/back – zurück\n/human – mit einer Person sprechen\n"
    "/language – Sprache wählen\n/mydata – meine Daten ansehen\n"
    "/questions – ob Lotse Fragen speichern darf\n/delete – alle meine Daten löschen"
)
_NOT_AVAILABLE = {
    "book": _("Termine kann ich im Chat noch nicht buchen."),
    "appointments": _("Termine kann ich im Chat noch nicht buchen."),
    "handoff": _("Ein Gespräch mit einer Person im Chat gibt es noch nicht."),
    "interpreter": _("Sprachmittler kann ich im Chat noch nicht anfragen."),
}


class _Turn:
    """One event's work: collects replies while the state moves."""

    def __init__(
        self, kb: KnowledgeBase, state: State, today: dt.date, staff: bool = False
    ) -> None:
        self.kb = kb
        self.staff = staff  # a staff chat takes "talk to a person" (the handoff service)
        if state.node not in kb.nodes:  # new family, or the step vanished in a reload
            state = replace(state, node=self.root, history=())
        if state.lang not in kb.catalogs.available:  # e.g. a catalog was removed
            state = replace(state, lang=i18n.SOURCE_LANGUAGE)
        self.offered = state.offered  # "Did you mean" buttons of the last reply
        self.pending = state.pending_question  # waits for the family's yes to keeping it
        self.state = replace(state, offered=(), pending_question=None)
        self.today = today
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.tallies: list[Tally] = []
        # What the family's typed message says for the questions of this turn, by parser
        # ("age": ("13",)), each reading ("age": ("9", "12") for two children): a question
        # it answers is not asked (bot/engine/slots.py).
        self.said: dict[str, tuple[str, ...]] = {}
        self.show_lang: str | None = None  # "de" while showing the original text
        self.fell_back = False  # some text of this turn is not in the family's language

    # --- texts ----------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.show_lang or self.state.lang

    def ui(self, message: str) -> str:
        """A UI string of the code in the family's language (or the chain's next)."""
        return self.kb.catalogs.gettext(self.lang, message)

    def local(self, context: str, source: str) -> i18n.Localized:
        """A knowledge text (German source) in the family's language, if current."""
        found = self.kb.catalogs.text(self.lang, context, source)
        if found.lang != self.lang:
            self.fell_back = True
        return found

    def say(
        self,
        text: str | i18n.Localized,
        buttons: tuple[Button, ...] = (),
        expects: str | None = None,
    ) -> None:
        localized = text if isinstance(text, i18n.Localized) else i18n.Localized(text, self.lang)
        shown = self.kb.render(localized.text, self.lang, localized.lang)
        self.replies.append(Reply(shown, buttons, localized.lang, expects))

    # --- buttons --------------------------------------------------------------------

    def nav_buttons(self, node_id: str, node: AnyNode, own: list[Button]) -> list[Button]:
        buttons = list(own)
        if self.fell_back and self.lang != i18n.SOURCE_LANGUAGE:
            buttons.append(Button(ORIGINAL, self.ui("📄 Originaltext (Deutsch)")))
        if self.state.history:
            buttons.append(Button(BACK, self.ui("◀ Zurück")))
        if node_id != self.root:
            buttons.append(Button(HOME, self.ui("🏠 Hauptmenü")))
        offers_person = any(_is_handoff(self.kb.nodes.get(self.kb.resolve(b.id))) for b in own)
        wants_person = isinstance(node, AnswerNode) or self.state.misses >= MISSES_BEFORE_PERSON
        if wants_person and not offers_person and not _is_handoff(node):
            buttons.append(Button(HUMAN, self.ui("🙋 Mit einer Person sprechen")))
        return buttons

    def visible_buttons(self) -> tuple[Button, ...]:
        node_id = self.current
        node = self.kb.nodes[node_id]
        own: list[Button] = []
        if isinstance(node, AskNode) and node.parser == "yesno":
            own = [Button(YES, self.ui("Ja")), Button(NO, self.ui("Nein"))]
        if not isinstance(node, RouteNode):  # a route is never the current step
            for index, button in enumerate(node.buttons):
                label = self.local(f"{node_id}.buttons.{index}", button.label)
                own.append(Button(button.goto, self.kb.fill(label.text, label.lang)))
        return tuple(self.nav_buttons(node_id, node, own))

    def language_buttons(self) -> tuple[Button, ...]:
        return tuple(
            Button(f"{LANG_PREFIX}{code}", i18n.language_name(code))
            for code in self.kb.catalogs.available
        )

    # --- where we are ---------------------------------------------------------------

    @property
    def root(self) -> str:
        return self.kb.resolve(self.kb.organisation.root)

    @property
    def current(self) -> str:
        assert self.state.node is not None  # set in __init__ and by every move
        return self.state.node

    # --- moving ---------------------------------------------------------------------

    def enter(self, target: str, *, push: bool = True) -> None:
        """Go to `target` (following routes) and show it."""
        node_id = self.follow(target, self.state.slots)
        history = self.state.history
        previous = self.state.node
        if push and previous is not None and previous != node_id and previous in self.kb.nodes:
            history = (*history, previous)[-MAX_HISTORY:]
        if node_id == self.root:
            history = ()
        flow = self.kb.node_flow.get(node_id, "")
        journeys = (self.kb.node_flow.get(previous or "", ""), self.kb.node_flow.get(self.root))
        if flow and flow not in journeys:  # into a journey (the main menu's flow is none)
            self.tallies.append(Tally("journey", flow))
        self.state = replace(self.state, node=node_id, history=history, misses=0)
        node = self.kb.nodes[node_id]
        if isinstance(node, AskNode) and self.fill(node):
            return
        self.show()

    def follow(self, target: str, slots: Mapping[str, object]) -> str:
        """The step `target` leads to with these slots, through its routes."""
        node_id = self.kb.resolve(target)
        for _hop in range(MAX_ROUTE_HOPS):
            node = self.kb.nodes[node_id]
            if not isinstance(node, RouteNode):
                return node_id
            node_id = self.kb.resolve(self._route(node_id, node, slots))
        return self.root  # pragma: no cover - validation rejects route loops

    def fill(self, node: AskNode) -> bool:
        """Answers a question with what the message of this turn said for it. Several
        readings (two children's ages) that fit the question and all lead to one answer
        go there, storing none of them: "9 und 12 Jahre, wie kommen sie in die Schule?"
        is school for both; 4 and 12 is asked."""
        values = self.readings(node)  # not a mother's 50 beside a son's 10
        self.said.pop(node.parser, None)
        if len(values) == 1:
            self.answer(node, values[0])
            return True
        ends = {
            self.follow(node.next, {**self.state.slots, **_named(node, value)}) for value in values
        }
        if len(ends) != 1 or not isinstance(self.kb.nodes[next(iter(ends))], AnswerNode):
            return False
        self.enter(ends.pop())
        return True

    def readings(self, node: AskNode, *, bounded: bool = True) -> list[dict[str, object]]:
        """What was said for the question, parsed: each reading that parses (`bounded`:
        within the question's bounds)."""
        values = []
        for text in self.said.get(node.parser, ()):
            try:
                values.append(self.parse(node, text, bounded=bounded))
            except ParseFailure:
                continue
        return values

    def parse(self, node: AskNode, text: str, *, bounded: bool = True) -> dict[str, object]:
        return parse(
            node.parser,
            text,
            today=self.today,
            lang=self.state.lang,
            minimum=node.min if bounded else None,
            maximum=node.max if bounded else None,
        )

    def _route(self, node_id: str, node: RouteNode, slots: Mapping[str, object]) -> str:
        slots = {**slots, **system_slots(self.today)}
        for index, route in enumerate(node.routes):
            expr = self.kb.conditions.get((node_id, index))
            if expr is not None and evaluate(expr, slots):
                return route.goto
        return node.otherwise

    def show(self, *, repeat: bool = False) -> None:
        """Render the current step; `repeat` shows only its question and buttons. The one
        place a node kind's behaviour lives: mypy checks that every kind is handled."""
        node_id = self.current
        node = self.kb.nodes[node_id]
        match node:
            case AnswerNode():
                self.show_answer(node_id, node, repeat=repeat)
            case MenuNode():
                self.say(self.local(f"{node_id}.text", node.text), self.visible_buttons())
            case AskNode():
                text = self.local(f"{node_id}.text", node.text)
                self.say(text, self.visible_buttons(), expects=node.parser)
            case ActionNode():
                self.show_action(node_id, node, repeat=repeat)
            case RouteNode():  # pragma: no cover - `enter` follows routes; never current
                self.enter(node_id, push=False)
            case _:
                assert_never(node)

    def show_action(self, node_id: str, node: ActionNode, *, repeat: bool) -> None:
        kind = self.service(node.action)
        if kind is not None and not repeat:  # a service takes over from here
            if node.text:
                self.say(self.local(f"{node_id}.text", node.text))
            self.effects.append(Effect(kind, self.kb.node_flow[node_id]))
            return
        texts: list[i18n.Localized | str] = []
        if node.text and not repeat:
            texts.append(self.local(f"{node_id}.text", node.text))
        if node.action == "language":
            texts.append(self.ui("Welche Sprache möchten Sie?"))
        elif kind is not None:
            texts.append(self.ui("Wie geht es weiter?"))
        else:
            texts.append(self.not_available(node.action))
        buttons = self.visible_buttons()
        if node.action == "language":
            buttons = self.language_buttons() + buttons
        for text in texts[:-1]:
            self.say(text)
        self.say(texts[-1], buttons)

    def show_answer(self, node_id: str, node: AnswerNode, *, repeat: bool) -> None:
        if repeat:
            self.say(self.ui("Wie geht es weiter?"), self.visible_buttons())
            return
        self.tallies.append(Tally("answer", node_id))
        many = not isinstance(node.text, str)
        messages = [
            self.local(f"{node_id}.text.{index}" if many else f"{node_id}.text", message)
            for index, message in enumerate(node.messages)
        ]
        if node.checklist:
            items = [
                self.local(f"{node_id}.checklist.{index}", item)
                for index, item in enumerate(node.checklist)
            ]
            checklist_lang = items[0].lang if len({i.lang for i in items}) == 1 else "de"
            messages.append(
                i18n.Localized("\n".join(f"• {item.text}" for item in items), checklist_lang)
            )
        last = messages[-1]
        reviewed = i18n.format_month(node.reviewed, last.lang)
        stamp = self.kb.catalogs.gettext(last.lang, STAMP).format(date=reviewed)
        messages[-1] = i18n.Localized(f"{last.text}\n\n{stamp}", last.lang)
        buttons = self.visible_buttons()  # after the texts: it knows whether any fell back
        for message in messages[:-1]:
            self.say(message)
        self.say(messages[-1], buttons)

    def service(self, action: Action) -> EffectKind | None:
        """The effect that does an action step, or None when nothing here does it (no
        appointments, no staff chat) or it is the engine's own (the language menu)."""
        match action:
            case "book" | "appointments":
                return action if self.kb.appointments is not None else None
            case "handoff":
                return action if self.staff else None
            case "interpreter" | "language":
                return None
            case _:
                assert_never(action)

    def not_available(self, action: str) -> str:
        reach = self.ui("Bitte melden Sie sich beim KI: Telefon {phone}, E-Mail {email}.")
        return self.ui(_NOT_AVAILABLE[action]) + " " + reach.format(**self.kb.reach)

    def notice_machine_translation(self) -> None:
        """Once per language: say that the texts were translated automatically."""
        lang = self.state.lang
        key = f"mt:{lang}"
        if self.kb.catalogs.review(lang) != i18n.MACHINE_DRAFT or key in self.state.seen:
            return
        self.state = replace(self.state, seen=(*self.state.seen, key))
        self.say(
            self.ui(
                "Hinweis: Diese Texte wurden automatisch übersetzt. Wenn etwas unklar ist, "
                "fragen Sie uns. Für Ihren Termin im KI bekommen Sie auf Wunsch eine "
                "Sprachmittlung."
            )
        )

    # --- events ---------------------------------------------------------------------

    def start(self, lang_hint: str | None) -> None:
        hint = i18n.normalize_language(lang_hint)
        lang, ask_language = self.state.lang, False
        if hint in self.kb.catalogs.available:
            lang = hint
        elif hint is not None:  # a language we do not speak: let the family choose
            lang = i18n.FALLBACK_LANGUAGE if "en" in self.kb.catalogs.available else lang
            ask_language = True
        self.state = State(lang=lang, seen=self.state.seen)
        self.say(self.local("ki.welcome", self.kb.organisation.welcome))
        if ask_language:
            self.state = replace(self.state, node=self.root)
            self.say(self.ui("Welche Sprache möchten Sie?"), self.language_buttons())
            return
        self.notice_machine_translation()
        self.enter(self.root, push=False)

    def choose_language(self, code: str) -> None:
        self.state = replace(self.state, lang=code)
        self.say(self.ui("Sprache: {language}").format(language=i18n.language_name(code)))
        self.notice_machine_translation()
        self.show()

    def command(self, name: str) -> None:
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
        elif name == "human" and self.staff:  # the handoff flow takes over
            self.effects.append(Effect("handoff", self.kb.node_flow.get(self.current, "")))
        elif name == "human":
            self.say(self.not_available("handoff"))
            self.show(repeat=True)
        elif name == "language":
            self.say(self.ui("Welche Sprache möchten Sie?"), self.language_buttons())
        elif name == "help":
            self.say(self.ui(HELP))
            self.show(repeat=True)
        elif name == "questions":
            self.ask_keep_questions()
        else:
            self.say(self.ui("Diesen Befehl kenne ich nicht. Schreiben Sie /help für Hilfe."))
            self.show(repeat=True)

    def press(self, button_id: str) -> None:
        if button_id in NAV_COMMANDS:
            self.command(NAV_COMMANDS[button_id])
            return
        if button_id == ORIGINAL:
            self.show_lang = i18n.SOURCE_LANGUAGE
            self.show()
            return
        if button_id.startswith(LANG_PREFIX):
            code = button_id.removeprefix(LANG_PREFIX)
            if code in self.kb.catalogs.available:
                self.choose_language(code)
                return
        if button_id in (KEEP_YES, KEEP_NO):
            self.keep_questions(button_id == KEEP_YES)
            return
        node = self.kb.nodes[self.current]
        visible = {button.id for button in self.visible_buttons()}
        if button_id in (YES, NO) and button_id in visible and isinstance(node, AskNode):
            self.answer(node, {"": button_id == YES})
            return
        root = self.kb.nodes[self.root]
        from_root = isinstance(root, MenuNode) and any(b.goto == button_id for b in root.buttons)
        if button_id in visible or from_root or button_id in self.offered:
            self.enter(button_id)
            return
        self.say(self.ui("Dieser Knopf gehört zu einem früheren Schritt. Hier sind wir gerade:"))
        self.show()

    def answer(self, node: AskNode, values: dict[str, object]) -> None:
        for name, value in _named(node, values).items():
            self.state = self.state.with_slot(name, value)
        self.enter(node.next)

    def text(self, text: str) -> None:
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            self.command(stripped[1:].split()[0].split("@")[0].casefold())
            return
        node = self.kb.nodes[self.current]
        self.said = slots.said_all(stripped, today=self.today, lang=self.state.lang)
        if isinstance(node, AskNode) and stripped:
            try:
                value = self.parse(node, stripped)
            except ParseFailure:
                pass
            else:
                self.tally_text("understood")
                self.answer(node, value)
                return
            if self.fill(node):  # "Er ist 13 Jahre alt und in der 7. Klasse"
                self.tally_text("understood")
                return
        # The step's own buttons first; a typed language name ("العربية") switches.
        pressed = match_button(stripped, self.visible_buttons()) or match_button(
            stripped, self.language_buttons()
        )
        if pressed is not None:
            self.tally_text("understood")
            self.press(pressed.id)
            return
        understood = self.rule_out(understand(self.kb, stripped, self.state.lang), drop=False)
        question = self.question_for_said(understood.kind, understood.targets, stripped)
        if question is not None:  # "Mein Sohn ist 13 Jahre alt": the age question, answered
            self.tally_text("understood")
            self.enter(question)
            return
        understood = self.rule_out(understood, drop=True)
        if understood.kind == "jump":
            self.tally_text("understood")
            self.go_to(self.unless_undecided(understood.targets[0]))
            return
        if understood.kind == "offer" and not isinstance(node, AskNode):
            self.tally_text("asked_back")
            self.offer(understood.targets)
            return
        # Asked again at a question (its hint), or not understood at all.
        self.tally_text("asked_back" if isinstance(node, AskNode) else "unanswered")
        self.state = replace(self.state, misses=self.state.misses + 1)
        other_script = self.suggest_language(stripped)
        if isinstance(node, AskNode):
            if node.hint:
                self.say(self.local(f"{self.current}.hint", node.hint))
            else:
                self.say(self.ui(_DEFAULT_HINTS[node.parser]))
        else:
            self.say(
                self.ui("Das habe ich leider nicht verstanden. Bitte tippen Sie auf einen Knopf.")
            )
            if not other_script:  # a question Lotse has no answer for: editors may want it
                self.effects.append(Effect("unanswered", self.flow, stripped))
        if self.state.misses >= MISSES_BEFORE_PERSON:
            self.say(self.ui("Sie können auch mit einer Person sprechen."))
        self.show(repeat=True)

    def question_for_said(self, kind: str, targets: tuple[str, ...], text: str) -> str | None:
        """The question that the message answers, when the message is about it: what it
        pointed at (the one step, or the likeliest of those offered) is the question, one
        of the answers the question decides between ("3 Jahre alt, muss sie zur Schule?"
        is for the age to decide, not the word "Schule"), or the menu of its journey, or
        an answer of its journey that what was said rules out ("22 Jahre, Deutschförderung
        in der Schule?": that answer does not fit; a less likely one offered beside a
        fitting one is only dropped: rule_out); or nothing was
        understood, and the family is in that journey, or the message speaks of a child
        and one journey asks for what it said."""
        if not self.said:
            return None
        if kind != "none":
            first = targets[0]
            for question in self.questions(set(self.kb.flows)):
                journey = self.kb.node_flow[question]
                if (
                    first == question
                    or first in decided_by(self.kb, question)
                    or (
                        self.kb.node_flow.get(first) == journey
                        and not isinstance(self.kb.nodes[first], AnswerNode)
                    )
                    or (self.kb.node_flow.get(first) == journey and not self.fits(first))
                ):
                    return question
            return None
        questions = self.questions({self.flow} - {self.kb.node_flow.get(self.root, "")})
        if not questions and slots.about_a_child(text):  # only what is said of a child
            questions = self.questions(set(self.kb.flows), slots.CHILD_PARSERS)
            if len({self.kb.node_flow[q] for q in questions}) != 1:
                return None  # several journeys ask: the family chooses
        return questions[0] if questions else None

    def unless_undecided(self, target: str) -> str:
        """The question that decides an answer, when the message said nothing it asks:
        "Muss mein Kind zur Schule?" is for the age to decide, not "Ihr Kind muss zur
        Schule" to a 4-year-old's family; else the answer."""
        if self.said.keys() & set(slots.CHILD_PARSERS):
            return target
        for question, node in self.kb.nodes.items():
            if (
                isinstance(node, AskNode)
                and node.parser in slots.CHILD_PARSERS
                and target in decided_by(self.kb, question)
            ):
                return question
        return target

    def rule_out(self, understood: Understanding, *, drop: bool) -> Understanding:
        """What was said rules out answers it offered. First (`drop` false) an answer that
        does not fit gives way to the one it names `instead`: of "Did you mean?" for a
        10-year-old who cannot read, the child's answer takes the adults' literacy course's
        place. Then, when no question decides (`drop`), the answers offered that do not fit
        are dropped, and the one answer jumped to that does not fit is offered beside its
        `instead` ("Mein Sohn ist 10 und kann nicht lesen" is the child's, "Ich kann nicht
        lesen. Meine Kinder sind 11, ein Kurs für mich?" the parent's), or alone when it
        names none: "Meine Mutter ist fünfzig … Deutschunterricht in der Schule?" gets no
        pupil's answer with confidence. A journey's menu offered beside
        one of its answers gives way to it, so that the age does not lead past the question
        asked: "What happens in the Seiteneinstiegsberatung with my son (14)?" is the
        counselling, not school for a 14-year-old."""
        if not self.said or understood.kind == "none":
            return understood
        first = understood.targets[0]
        if understood.kind == "jump":
            instead = self.instead(first)
            if drop and instead and not self.fits(first) and self.fits(instead):
                return replace(understood, kind="offer", targets=(first, instead))
            if drop and not self.fits(first):  # no answer for whom it was said to be for
                return replace(understood, kind="offer")
            return understood
        fitting: tuple[str, ...] = ()
        for target in understood.targets:
            if not self.fits(target):
                target = self.instead(target) or ("" if drop else target)
            if target and target not in fitting and (self.fits(target) or not drop):
                fitting += (target,)
        if not fitting:
            return understood
        answered = {self.kb.node_flow.get(t) for t in fitting if not is_choice(self.kb, t)}
        # a journey's menu beside one of its answers: the answer ("never at school")
        fitting = tuple(
            t
            for t in fitting
            if not (is_choice(self.kb, t) and self.kb.node_flow.get(t) in answered)
        )
        if fitting == understood.targets:
            return understood
        if len(fitting) == 1:
            return replace(understood, kind="jump", targets=fitting)
        return replace(understood, targets=fitting)

    def instead(self, target: str) -> str | None:
        """The answer an answer names for when it does not fit (`instead`)."""
        node = self.kb.nodes.get(target)
        return node.instead if isinstance(node, AnswerNode) else None

    def fits(self, target: str) -> bool:
        """Whether an answer is for the family, as far as this message tells: its `fits`
        condition, read with what the message said for the questions; true when the message
        did not say everything the condition asks about, or when one of several readings
        fits (one of two children). The question's own bounds do not apply: they check an
        answer to it, while a mother's "50 Jahre" says the adults' course fits."""
        expr = self.kb.fits.get(target)
        if expr is None:
            return True
        per_question: list[list[dict[str, object]]] = []
        for question in self.questions(set(self.kb.flows), bounded=False):
            node = self.kb.nodes[question]
            assert isinstance(node, AskNode)
            parsed = [_named(node, value) for value in self.readings(node, bounded=False)]
            if parsed:
                per_question.append(parsed)
        system = system_slots(self.today)
        for combination in itertools.product(*per_question):
            values: dict[str, object] = dict(system)
            for named in combination:
                values.update(named)
            if not slot_names(expr) <= values.keys() or evaluate(expr, values):
                return True
        return False

    def questions(
        self, journeys: set[str], parsers: tuple[str, ...] | None = None, *, bounded: bool = True
    ) -> list[str]:
        """The questions of these journeys (with these parsers) that what was said
        answers, first first; `bounded`: within the question's bounds (a mother's "50" is
        no answer to the child's age)."""
        return [
            node_id
            for node_id, node in self.kb.nodes.items()
            if isinstance(node, AskNode)
            and node.parser in self.said
            and (parsers is None or node.parser in parsers)
            and self.kb.node_flow.get(node_id) in journeys
            and (not bounded or self.readings(node))
        ]

    def tally_text(self, outcome: str) -> None:
        """How a typed text for Lotse went: understood (an answer, a button, a step it
        named), asked back ("Did you mean?", or a question's hint again) or unanswered."""
        self.tallies.append(Tally("text", outcome))

    def go_to(self, target: str) -> None:
        """Where typed text clearly pointed: a node, or the main menu."""
        if target == self.root:
            self.command("menu")
        else:
            self.enter(target)

    def offer(self, targets: tuple[str, ...]) -> None:
        """ "Did you mean …?": the candidates as buttons, accepted on the next event."""
        self.state = replace(self.state, offered=targets)
        buttons = [Button(target, self.label_for(target)) for target in targets]
        buttons.append(Button(HOME, self.ui("🏠 Hauptmenü")))
        buttons.append(Button(HUMAN, self.ui("🙋 Mit einer Person sprechen")))
        self.say(self.ui("Meinten Sie das?"), tuple(buttons))

    def label_for(self, target: str) -> str:
        """A short name for a node: the label of a button that leads there."""
        for node_id, node in self.kb.nodes.items():
            for index, button in enumerate(getattr(node, "buttons", [])):
                if self.kb.resolve(button.goto) == target:
                    label = self.local(f"{node_id}.buttons.{index}", button.label)
                    return self.kb.fill(label.text, label.lang)
        node = self.kb.nodes[target]
        first = node.messages[0] if isinstance(node, AnswerNode) else getattr(node, "text", "")
        found = self.local(f"{target}.text.0" if isinstance(node, AnswerNode) else "", first or "")
        text = self.kb.fill(found.text, found.lang)
        return text if len(text) <= 40 else text[:39] + "…"

    def suggest_language(self, text: str) -> bool:
        """Written in another script than the chosen language's: offer those languages."""
        written = i18n.script_of(text)
        if written is None or written == i18n.script_of_language(self.state.lang):
            return False
        choices = tuple(
            button
            for button in self.language_buttons()
            if i18n.script_of_language(button.id.removeprefix(LANG_PREFIX)) == written
        )
        if choices:
            self.say(self.ui("Möchten Sie in einer anderen Sprache schreiben?"), choices)
        return bool(choices)

    # --- unplaced questions (kept for editors only with the family's yes) ------------

    @property
    def flow(self) -> str:
        return self.kb.node_flow.get(self.current, "")

    def ask_keep_questions(self) -> None:
        """/questions: the family may change its answer at any time."""
        self.say(
            self.ui(
                "Darf Lotse Fragen, die es nicht versteht, ohne Namen und Zahlen speichern? "
                "Dann kann das Team des KI Antworten ergänzen."
            ),
            (Button(KEEP_YES, self.ui("Ja")), Button(KEEP_NO, self.ui("Nein"))),
        )

    def keep_questions(self, keep: bool) -> None:
        """The family's answer; the service stores it and the question waiting for it."""
        kind: EffectKind = "questions_yes" if keep else "questions_no"
        self.effects.append(Effect(kind, self.flow, self.pending or ""))
        if not keep:
            self.say(self.ui("In Ordnung. Lotse speichert Ihre Fragen nicht."))
        elif self.pending:
            self.say(
                self.ui(
                    "Danke! Ihre Frage ist gespeichert, ohne Namen und Zahlen.\n"
                    "Ändern können Sie das mit /questions."
                )
            )
        else:
            self.say(
                self.ui(
                    "Danke! Lotse speichert ab jetzt Fragen, die es nicht versteht, ohne Namen "
                    "und Zahlen.\nÄndern können Sie das mit /questions."
                )
            )
        self.show(repeat=True)


def _named(node: AskNode, values: Mapping[str, object]) -> dict[str, object]:
    """A question's parsed values by slot name ("" -> child_age, "_age" -> child_birth_age)."""
    return {node.slot + suffix: value for suffix, value in values.items()}


def _is_handoff(node: AnyNode | None) -> bool:
    return isinstance(node, ActionNode) and node.action == "handoff"


def handle(
    state: State, event: Event, kb: KnowledgeBase, *, today: dt.date, staff: bool = False
) -> Outcome:
    """The engine's one entry point. With `staff`, "talk to a person" becomes an effect
    ("handoff") for the service that connects the family with KI staff."""
    turn = _Turn(kb, state, today, staff)
    if isinstance(event, Start):
        turn.start(event.lang_hint)
    elif isinstance(event, Command):
        turn.command(event.name.casefold())
    elif isinstance(event, ButtonPress):
        turn.press(event.id)
    elif isinstance(event, TextInput):
        turn.text(event.text)
    elif isinstance(event, Media):  # what Lotse cannot read: help and the way on (the
        turn.command("help")  # service puts what it could not read in front)
    else:
        assert_never(event)
    return Outcome(turn.state, tuple(turn.replies), tuple(turn.effects), tuple(turn.tallies))


def show_node(state: State, node_id: str, kb: KnowledgeBase, *, today: dt.date) -> Outcome:
    """Moves the family to `node_id` and shows it (staff send a curated answer)."""
    turn = _Turn(kb, state, today)
    turn.enter(node_id)
    return Outcome(turn.state, tuple(turn.replies), tuple(turn.effects))


def node_label(kb: KnowledgeBase, node_id: str, lang: str = i18n.SOURCE_LANGUAGE) -> str:
    """A short name of a step, as the family sees it on a button that leads there (for
    reports and staff views)."""
    return _Turn(kb, State(lang=lang), dt.date.min).label_for(node_id)  # no day needed
