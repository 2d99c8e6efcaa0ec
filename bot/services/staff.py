"""The staff side of a channel's staff chat: every staff command, declared once, and what
staff write in a family's topic.

A command is one `StaffCommand` in `COMMANDS`: its name, how it is typed, what it does (for
/help and the channel's command menu), where it works (`topic`: in a family's topic, for
that family; `chat`: anywhere in the staff chat) and the function that runs it. Who may
use them: the staff members of the settings (`staff.user_ids`), checked by the channel
before a message reaches `StaffDesk`. A new command is one entry here; /help, the command
menu and the dispatch follow from it.

Everything a message does runs in one transaction with its update id, so a re-delivered
update changes nothing; only /reload runs after it (reading files takes time, and a
refused reload changes nothing). Every action is written to the audit log with the staff
member's id and the command, never a typed text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlite_utils import Database

from bot.knowledge import KnowledgeBase
from bot.services import mediation, relay, staff_bookings
from bot.services.handoff import NOTE, Handoff
from bot.services.turn import Turn
from bot.store import audit, stats, ticket_log, tickets, transaction
from bot.store.conversations import save_state
from bot.store.outbox import enqueue
from bot.store.updates import record_update
from bot.types import Chat, MessageRef

RELOAD_ERRORS_SHOWN = 20


@dataclass
class StaffTurn:
    """One staff command: where it was typed, by whom, and the family of the topic."""

    db: Database
    kb: KnowledgeBase
    now: dt.datetime
    handoff: Handoff
    member: str  # the staff member's id on the channel (for the audit log)
    thread: int | None  # the topic (thread) it was typed in, if any
    argument: str
    family: Turn | None  # the family of the topic; None outside a family's topic
    after: list[Callable[[], None]] = field(default_factory=list)  # after the commit

    on_desk: bool = False  # typed on the desk in the browser, in the family's ticket

    def answer(self, text: str) -> None:
        """To where the command was typed (on the desk: the family's ticket log)."""
        if self.on_desk and self.family is not None:
            ticket_log.write(self.db, self.family.family, "lotse", text, self.now)
            return
        tickets.queue_text(
            self.db, text, self.now, chat_id=self.handoff.staff_chat, thread_id=self.thread
        )

    @property
    def for_family(self) -> Turn:
        assert self.family is not None  # topic commands run only in a family's topic
        return self.family


@dataclass(frozen=True)
class StaffCommand:
    name: str
    usage: str  # how it is typed, for /help
    help: str  # what it does, for /help (German: staff read German)
    menu: str  # a short line for the channel's command menu
    where: Literal["topic", "chat"]
    run: Callable[[StaffTurn], None]
    after_commit: bool = False


# --- the commands ------------------------------------------------------------------------


def _close(turn: StaffTurn) -> None:
    turn.handoff.close(turn.for_family, turn.member)


def _send(turn: StaffTurn) -> None:
    turn.handoff.send_node(turn.for_family, turn.member, turn.argument)


def _book(turn: StaffTurn) -> None:
    turn.handoff.book(turn.for_family, turn.member)


def _interpreter(turn: StaffTurn) -> None:
    made = mediation.request(turn.for_family, turn.argument)
    if made is not None:
        family = turn.for_family.family
        audit.record(
            turn.db, turn.member, "interpreter", turn.now, family=family, detail=f"Anfrage #{made}"
        )


def _interpreter_done(turn: StaffTurn) -> None:
    if mediation.end(turn.for_family):
        family = turn.for_family.family
        audit.record(turn.db, turn.member, "interpreter_done", turn.now, family=family)


def _appointments(run: Callable[[StaffTurn], None]) -> Callable[[StaffTurn], None]:
    """A command about appointments: only where booking is set up."""

    def checked(turn: StaffTurn) -> None:
        if turn.kb.appointments is None:
            turn.answer("Terminbuchung ist in diesem Lotse nicht eingerichtet.")
        else:
            run(turn)

    return checked


def _agenda(days: int, name: str) -> Callable[[StaffTurn], None]:
    def agenda(turn: StaffTurn) -> None:
        turn.answer(staff_bookings.agenda(turn.db, turn.kb, turn.now, days))
        audit.record(turn.db, turn.member, name, turn.now, detail=f"/{name}")

    return _appointments(agenda)


@_appointments
def _cancel(turn: StaffTurn) -> None:
    chats = (turn.handoff.staff_chat, turn.handoff.settings.mediation_chat_id)
    staff_bookings.cancel(
        turn.db, turn.kb, chats, turn.argument, turn.member, turn.now, turn.answer
    )


@_appointments
def _noshow(turn: StaffTurn) -> None:
    turn.answer(staff_bookings.no_show(turn.db, turn.argument, turn.member, turn.now))


def _reload(turn: StaffTurn) -> None:
    """Runs after the commit (`after_commit`): reads files, then reports in the chat."""
    handoff, errors = turn.handoff, []
    if handoff.reload is None:
        text = "Neu laden ist hier nicht möglich."
    else:
        errors = handoff.reload()
        if errors:
            shown = "\n".join(errors[:RELOAD_ERRORS_SHOWN])
            more = len(errors) - RELOAD_ERRORS_SHOWN
            rest = f"\n… und {more} weitere" if more > 0 else ""
            text = (
                "Neu laden abgelehnt: die neue Fassung hat Fehler. Lotse arbeitet weiter "
                f"mit der letzten guten Fassung.\n{shown}{rest}"
            )
        else:
            text = "Wissen und Übersetzungen neu geladen."
    with transaction(turn.db):
        turn.answer(text)
        if handoff.reload is not None:
            detail = "refused" if errors else "ok"
            audit.record(turn.db, turn.member, "reload", turn.now, detail=detail)


def _help(turn: StaffTurn) -> None:
    turn.answer(help_text())


NOTE_RULE = (
    "Notizregel: Nachrichten, die mit # beginnen, sind interne Notizen und gehen nie an die "
    "Familie. Alles andere, was Sie hier schreiben oder schicken, geht an die Familie."
)

COMMANDS: tuple[StaffCommand, ...] = (
    StaffCommand(
        "close",
        "/close",
        "Gespräch beenden; Lotse antwortet wieder und bittet um eine Bewertung",
        "Gespräch beenden; Lotse antwortet wieder",
        "topic",
        _close,
    ),
    StaffCommand(
        "send",
        "/send KNOTEN",
        "eine Antwort aus dem Wissen in der Sprache der Familie schicken",
        "Antwort aus dem Wissen schicken: /send KNOTEN",
        "topic",
        _send,
    ),
    StaffCommand(
        "book",
        "/book",
        "der Familie die Terminbuchung anbieten",
        "der Familie die Terminbuchung anbieten",
        "topic",
        _book,
    ),
    StaffCommand(
        "interpreter",
        "/interpreter SPRACHE; Datum Uhrzeit; Ort oder Telefon/Video; Dauer; Thema; Dringlichkeit",
        "Sprachmittlung bei der Koordination anfragen",
        "Sprachmittlung anfragen: /interpreter SPRACHE; …",
        "topic",
        _interpreter,
    ),
    StaffCommand(
        "interpreter_done",
        "/interpreter_done",
        "die Sprachmittlung beenden (sie sieht dann nichts mehr)",
        "Sprachmittlung beenden",
        "topic",
        _interpreter_done,
    ),
    StaffCommand(
        "today",
        "/today",
        "die Termine von heute",
        "die Termine von heute",
        "chat",
        _agenda(1, "today"),
    ),
    StaffCommand(
        "week",
        "/week",
        "die Termine von heute und den nächsten 6 Tagen",
        "die Termine der nächsten 7 Tage",
        "chat",
        _agenda(staff_bookings.WEEK_DAYS, "week"),
    ),
    StaffCommand(
        "cancel",
        "/cancel NUMMER GRUND",
        "einen Termin absagen; die Familie liest den Grund so, wie Sie ihn schreiben, in "
        "ihrer Sprache als Worte des KI",
        "Termin absagen: /cancel NUMMER GRUND",
        "chat",
        _cancel,
    ),
    StaffCommand(
        "noshow",
        "/noshow NUMMER",
        "ein begonnener Termin: die Familie ist nicht gekommen",
        "Familie nicht erschienen: /noshow NUMMER",
        "chat",
        _noshow,
    ),
    StaffCommand(
        "reload",
        "/reload",
        "Wissen und Übersetzungen neu laden",
        "Wissen und Übersetzungen neu laden",
        "chat",
        _reload,
        after_commit=True,
    ),
    StaffCommand("help", "/help", "diese Hilfe", "Befehle und Notizregel", "chat", _help),
)
BY_NAME = {command.name: command for command in COMMANDS}


def help_text() -> str:
    """/help: every command, from the declarations, and the note rule."""

    def lines(where: str) -> list[str]:
        return [f"{c.usage} – {c.help}" for c in COMMANDS if c.where == where]

    return "\n".join(
        [
            "Befehle im Thema einer Familie:",
            *lines("topic"),
            NOTE_RULE,
            "",
            "Überall im Staff-Chat:",
            *lines("chat"),
        ]
    )


def command_name(text: str | None) -> str | None:
    """The staff command of a message ("/send@lotse_bot x" -> "send"), or None."""
    if not text or not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].casefold()


def _argument(text: str | None) -> str:
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


class StaffDesk:
    """What staff and the coordination chat do, for one channel's staff chat."""

    def __init__(self, handoff: Handoff, channel: str) -> None:
        self.handoff = handoff
        self.db = handoff.db
        self.channel = channel  # the channel whose update ids these are

    def message(
        self,
        kb: KnowledgeBase,
        member: str,
        update_id: int | None,
        thread: int | None,
        ref: MessageRef | None,
        text: str | None,
        now: dt.datetime,
        *,
        family: int | None = None,
    ) -> None:
        """Staff member `member` wrote in the staff chat (in topic `thread`), or on the
        desk in the ticket of `family` (no `ref`: the text is all there is): a command, a
        note, or a reply to the family (passed on by `ref`, or as the held text)."""
        name = command_name(text)
        after: list[Callable[[], None]] = []
        on_desk = ref is None
        with transaction(self.db):
            if update_id is not None and not record_update(self.db, self.channel, update_id, now):
                return
            if family is None and thread is not None:
                family = tickets.family_of_topic(self.db, self.handoff.staff_chat, thread)
            settings = self.handoff.settings
            turn = Turn(self.db, kb, now, family=family, staff=settings) if family else None
            staff = StaffTurn(
                self.db, kb, now, self.handoff, member, thread, _argument(text), turn
            )
            staff.on_desk = on_desk
            command = BY_NAME.get(name or "")
            if name is None:
                if turn is not None and not (text or "").lstrip().startswith(NOTE):
                    self._reply(staff, turn, ref, text)
                elif turn is not None and on_desk:  # an internal note, kept for the desk
                    ticket_log.write(self.db, turn.family, "note", text or "", now, member=member)
                elif turn is not None:  # an internal note: for the desk's log only
                    ticket_log.note(self.db, turn.family, "note", text or "", now, member=member)
            elif command is not None and (command.where == "chat" or turn is not None):
                if command.after_commit:
                    after.append(lambda: command.run(staff))
                else:
                    command.run(staff)
            elif turn is not None and on_desk:
                staff.answer(help_text())
            elif turn is not None:  # an unknown command in a family's topic
                turn.to_topic(help_text())
            else:
                staff.answer("Dieser Befehl gilt im Thema einer Familie. /help zeigt alle.")
            if turn is not None:
                save_state(self.db, turn.family, turn.state, now)
                if turn.replies:
                    enqueue(self.db, turn.family, tuple(turn.replies), now)
        for run in after:
            run()

    def _reply(
        self, staff: StaffTurn, turn: Turn, ref: MessageRef | None, text: str | None
    ) -> None:
        """A reply in the family's topic: copied to the family (a ticket is opened for it
        if it had none: staff answered after /close)."""
        state = turn.state
        flow = turn.kb.node_flow.get(state.node or "", "")
        opened = tickets.open_ticket(self.db, turn.family)
        ticket = opened or self.handoff.new_ticket(turn, flow, by_staff=True)
        waited = tickets.mark_answered(self.db, ticket.id, turn.now)
        if waited is not None and opened is not None:  # the family waited for this answer
            stats.count(self.db, turn.now, stats.FIRST_ANSWER, str(waited), turn.lang)
        if not relay.to_family(
            self.db, turn.family, ref, text, turn.now, member=staff.member, to_topic=ref is None
        ):
            turn.to_topic("Dateien kann Lotse nur an Familien in Telegram weitergeben.")
        audit.record(
            self.db, staff.member, "reply", turn.now, family=turn.family, ticket=ticket.id
        )

    def mediation_button(
        self,
        kb: KnowledgeBase,
        update_id: int,
        data: str,
        mediator: Chat,
        name: str,
        now: dt.datetime,
    ) -> None:
        """Accept / decline pressed in the coordination chat (bot/services/mediation.py)."""
        chat = self.handoff.settings.mediation_chat_id
        assert chat is not None  # the channel serves the button only in that chat
        with transaction(self.db):
            if record_update(self.db, self.channel, update_id, now):
                mediation.decide(self.db, kb, chat, data, mediator, name, now)
