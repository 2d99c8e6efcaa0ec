"""Hands a family over to KI staff: a ticket, the family's forum topic in the staff chat,
and messages relayed both ways by their ids (their texts are never stored).

Lifecycle: "talk to a person" (button, /human, the handoff step) opens a ticket and queues
a context card for the family's topic; while the ticket is open, what the family types or
sends goes to the topic and the bot stays silent (buttons and commands the family chooses
still work); staff reply in the topic, `#…` is an internal note; `/close` ends the ticket,
the bot answers again and asks once for a rating. Every write runs in the caller's
transaction; messages to staff chats wait in `staff_outbox` like family replies in
`outbox`, so a crash after the commit loses none (the channel sends both). Anywhere in the
staff chat, /today /week /cancel /noshow act on appointments (staff_bookings.py). Each
staff action is written to the audit log with the staff member's id, never a text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import holidays
from babel import Locale
from babel.dates import format_time, get_day_names
from sqlite_utils import Database

from bot import i18n
from bot.config import StaffSettings
from bot.engine import Button, Event, Reply, State, TextInput
from bot.engine.dialogue import HOME, show_node
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import ActionNode, AnswerNode, AskNode, MenuNode
from bot.services import booking, mediation, staff_bookings
from bot.store import audit, tickets, transaction
from bot.store import bookings as booking_store
from bot.store.conversations import find_family, load_state, save_state
from bot.store.outbox import enqueue, enqueue_copy
from bot.store.tickets import Ticket
from bot.store.updates import record_update

BERLIN = ZoneInfo("Europe/Berlin")
PREFIX = "ho:"
RATE = "ho:rate:"
NOTE = "#"  # the note rule: a staff message (or caption) starting with # stays internal
CARD_LAST_SEEN_CHARS = 300
STAFF_COMMANDS = (
    "close",
    "send",
    "book",
    "interpreter",
    "interpreter_done",
    "reload",
    "help",
    *staff_bookings.COMMANDS,
)

_CONFIRM = _(
    "Ich habe Sie mit dem Team des KI verbunden. Eine Person antwortet Ihnen hier im Chat, "
    "meistens innerhalb von {hours} Stunden an Werktagen. Schreiben Sie ruhig schon, worum "
    "es geht – auch Fotos, Dateien und Sprachnachrichten kommen an."
)
_AFTER_HOURS = _(
    "Gerade ist das Büro geschlossen (Bürozeiten: {hours}). Ihre Nachricht ist angekommen; "
    "wir antworten am nächsten Werktag."
)
_ALREADY = _(
    "Sie sind schon mit dem Team des KI verbunden. Schreiben Sie einfach hier; eine Person "
    "antwortet Ihnen."
)
_CLOSED = _("Das Gespräch mit dem Team des KI ist beendet. Ab jetzt antworte wieder ich, Lotse.")
_RATE = _("Wie hilfreich war das Gespräch? 1 = gar nicht, 5 = sehr.")
_THANKS = _("Danke für Ihre Bewertung!")
_BOOK_OFFER = _("Das Team des KI bietet Ihnen einen Termin an:")
_HOME = _("🏠 Hauptmenü")

HELP_STAFF = (
    "Befehle im Thema einer Familie:\n"
    "/close – Gespräch beenden; Lotse antwortet wieder und bittet um eine Bewertung\n"
    "/send KNOTEN – eine Antwort aus dem Wissen in der Sprache der Familie schicken\n"
    "/book – der Familie die Terminbuchung anbieten\n"
    "/interpreter SPRACHE; Datum Uhrzeit; Ort oder Telefon/Video; Dauer; Thema; Dringlichkeit"
    " – Sprachmittlung bei der Koordination anfragen\n"
    "/interpreter_done – die Sprachmittlung beenden (sie sieht dann nichts mehr)\n"
    "Notizregel: Nachrichten, die mit # beginnen, sind interne Notizen und gehen nie an die "
    "Familie. Alles andere, was Sie hier schreiben oder schicken, geht an die Familie.\n"
    "\n"
    "Überall im Staff-Chat:\n"
    "/today – die Termine von heute\n"
    "/week – die Termine von heute und den nächsten 6 Tagen\n"
    "/cancel NUMMER GRUND – einen Termin absagen; die Familie liest den Grund so, wie Sie ihn "
    "schreiben, in ihrer Sprache als Worte des KI\n"
    "/noshow NUMMER – ein begonnener Termin: die Familie ist nicht gekommen\n"
    "/reload – Wissen und Übersetzungen neu laden\n"
    "/help – diese Hilfe"
)


def german_language(code: str) -> str:
    name = Locale("de").languages.get(code)
    return f"{name} ({code})" if name else code


def _locale(lang: str) -> str:
    return lang if lang in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE


def say(kb: KnowledgeBase, lang: str, text: str, buttons: tuple[Button, ...] = ()) -> Reply:
    """A UI string in the family's language; untranslated, the chain's next with a marker."""
    found = kb.catalogs.text(lang, None, text)
    return localized_reply(kb, lang, found.text, found.lang, buttons)


def localized_reply(
    kb: KnowledgeBase, lang: str, text: str, shown_lang: str, buttons: tuple[Button, ...]
) -> Reply:
    shown = kb.fill(text, shown_lang)
    if shown_lang != lang:
        shown = kb.catalogs.gettext(lang, "Noch nicht in Ihrer Sprache:") + "\n" + shown
    if i18n.is_rtl(lang) or i18n.is_rtl(shown_lang):
        shown = i18n.isolate_ltr(shown)
    return Reply(shown, buttons, shown_lang)


def home_button(kb: KnowledgeBase, lang: str) -> Button:
    return Button(HOME, kb.catalogs.gettext(lang, _HOME))


@dataclass
class FamilyTurn:
    """One event of a family in the handoff: where it runs and what it says."""

    db: Database
    kb: KnowledgeBase
    family: int
    now: dt.datetime
    state: State
    replies: list[Reply]

    def say(self, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.replies.append(say(self.kb, self.state.lang, text, buttons))


class Handoff:
    """Tickets and relays; knows no channel library."""

    def __init__(
        self,
        db: Database,
        settings: StaffSettings,
        channel: str,
        reload: Callable[[], list[str]] | None = None,
    ) -> None:
        assert settings.chat_id is not None
        self.db = db
        self.settings = settings
        self.staff_chat: int = settings.chat_id
        self.channel = channel
        self.reload = reload

    # --- office hours ---------------------------------------------------------------

    def in_office(self, now: dt.datetime) -> bool:
        local = now.astimezone(BERLIN)
        closed = holidays.country_holidays("DE", subdiv="NW", years=local.year)
        return (
            local.weekday() in self.settings.office_days
            and local.date() not in closed
            and self.settings.office_start <= local.time() < self.settings.office_end
        )

    def office_hours(self, lang: str) -> str:
        """E.g. "Mo.–Fr. 08:30–16:00" in the family's language."""
        locale = _locale(lang)
        names = get_day_names("abbreviated", locale=locale)
        days = sorted(self.settings.office_days)
        if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            shown = f"{names[days[0]]}–{names[days[-1]]}"
        else:
            shown = ", ".join(names[day] for day in days)
        start = format_time(self.settings.office_start, "short", locale=locale)
        end = format_time(self.settings.office_end, "short", locale=locale)
        return f"{shown} {start}–{end}"

    def _after_hours(self, turn: FamilyTurn, ticket: Ticket) -> Reply | None:
        """Outside office hours, at most once a day: an honest automatic reply."""
        if self.in_office(turn.now) or not tickets.note_after_hours(
            turn.db, ticket.id, turn.now.date()
        ):
            return None
        text = turn.kb.catalogs.gettext(turn.state.lang, _AFTER_HOURS)
        found = turn.kb.catalogs.text(turn.state.lang, None, _AFTER_HOURS)
        return localized_reply(
            turn.kb,
            turn.state.lang,
            text.format(hours=self.office_hours(found.lang)),
            found.lang,
            (home_button(turn.kb, turn.state.lang),),
        )

    # --- the family's side ----------------------------------------------------------

    def ticket(self, family: int) -> Ticket | None:
        return tickets.open_ticket(self.db, family)

    @staticmethod
    def relays(event: Event, state: State, media: str | None) -> bool:
        """What goes to staff while a ticket is open: typed text and media. Buttons and
        commands stay with the bot (the family chose them); so does an open booking."""
        if media is not None:
            return True
        if isinstance(event, TextInput):
            typed = event.text.strip()
            return not typed.startswith("/") and state.booking is None
        return False

    def relay(self, turn: FamilyTurn, ticket: Ticket, message: tuple[int, int]) -> None:
        """Copies the family's message into its topic (and to a mediator on the request)."""
        chat_id, message_id = message
        tickets.queue_copy(turn.db, chat_id, message_id, turn.now, family=turn.family)
        for mediator in tickets.mediators_of(turn.db, turn.family):
            tickets.queue_copy(turn.db, chat_id, message_id, turn.now, chat_id=mediator)
        notice = self._after_hours(turn, ticket)
        if notice is not None:
            turn.replies.append(notice)

    def open(self, turn: FamilyTurn, flow: str) -> None:
        """ "Talk to a person": a ticket, its context card for the topic, a confirmation."""
        ticket = tickets.open_ticket(turn.db, turn.family)
        if ticket is not None:
            turn.say(_ALREADY, (home_button(turn.kb, turn.state.lang),))
            return
        ticket = self._new_ticket(turn, flow)
        text = turn.kb.catalogs.gettext(turn.state.lang, _CONFIRM)
        found = turn.kb.catalogs.text(turn.state.lang, None, _CONFIRM)
        confirm = localized_reply(
            turn.kb,
            turn.state.lang,
            text.format(hours=self.settings.answer_hours),
            found.lang,
            (home_button(turn.kb, turn.state.lang),),
        )
        notice = self._after_hours(turn, ticket)
        if notice is not None:  # one message: what happens next, and when
            confirm = replace(confirm, text=f"{confirm.text}\n\n{notice.text}")
        turn.replies.append(confirm)

    def _new_ticket(self, turn: FamilyTurn, flow: str, *, by_staff: bool = False) -> Ticket:
        number = tickets.next_ticket_id(turn.db)
        journey = turn.kb.flows[flow].title if flow in turn.kb.flows else "—"
        title = f"#{number} · {turn.state.lang} · {journey}"[:128]
        card = context_card(turn, number, journey, by_staff=by_staff)
        ticket = tickets.create_ticket(turn.db, number, turn.family, title, card, turn.now)
        if tickets.topic_of(turn.db, turn.family) is not None:  # the family's topic exists
            tickets.queue_text(turn.db, title, turn.now, family=turn.family, kind="title")
        tickets.queue_text(turn.db, card, turn.now, family=turn.family)
        return ticket

    def pressed(self, turn: FamilyTurn, button: str) -> bool:
        """The rating buttons; False for a button that is not the handoff's."""
        if not button.startswith(RATE):
            return False
        ticket_id, _sep, value = button.removeprefix(RATE).partition(":")
        ticket = tickets.latest_ticket(turn.db, turn.family)
        valid = value in {"1", "2", "3", "4", "5"} and ticket_id.isdigit()
        mine = ticket is not None and valid and ticket.id == int(ticket_id)
        if mine and ticket is not None and tickets.rate_ticket(turn.db, ticket.id, int(value)):
            tickets.queue_text(
                turn.db, f"Bewertung der Familie: {value}/5", turn.now, family=turn.family
            )
        turn.say(_THANKS)
        return True

    # --- the staff side -------------------------------------------------------------

    def staff_message(
        self,
        kb: KnowledgeBase,
        staff: int,
        update_id: int,
        thread_id: int | None,
        message_id: int,
        text: str | None,
        now: dt.datetime,
    ) -> str | None:
        """Staff member `staff` (a Telegram user id) wrote in the staff chat: a command, a
        note, or a reply to the family of the topic. Returns the family's external id when
        it got something."""
        command = _command(text)
        if command == "reload":
            with transaction(self.db):
                new = record_update(self.db, self.channel, update_id, now)
            if new:
                self._reload(staff, thread_id, now)
            return None
        with_family: str | None = None
        with transaction(self.db):
            if not record_update(self.db, self.channel, update_id, now):
                return None
            if command in staff_bookings.COMMANDS:  # anywhere in the staff chat
                told = staff_bookings.command(
                    self.db,
                    kb,
                    self.staff_chat,
                    command,
                    _argument(text),
                    thread_id,
                    staff,
                    now,
                    mediation_chat=self.settings.mediation_chat_id,
                )
                return self.external_id(told) if told is not None else None
            family = (
                tickets.family_of_topic(self.db, self.staff_chat, thread_id)
                if thread_id is not None
                else None
            )
            if family is None:
                if command == "help":
                    self._to_chat(HELP_STAFF, thread_id, now)
                elif command is not None:
                    self._to_chat(
                        "Dieser Befehl gilt im Thema einer Familie. /help zeigt alle.",
                        thread_id,
                        now,
                    )
                return None
            state = load_state(self.db, family)
            turn = FamilyTurn(self.db, kb, family, now, state, [])
            if command is None:
                if (text or "").lstrip().startswith(NOTE):
                    return None  # an internal note: never to the family
                ticket = tickets.open_ticket(self.db, family) or self._new_ticket(
                    turn, kb.node_flow.get(state.node or "", ""), by_staff=True
                )
                enqueue_copy(self.db, family, self.staff_chat, message_id, now)
                audit.record(self.db, staff, "reply", now, family=family, ticket=ticket.id)
                with_family = self.external_id(family)
            elif command == "close":
                with_family = self._close(turn, staff)
            elif command == "send":
                with_family = self._send_node(turn, staff, _argument(text))
            elif command == "book":
                with_family = self._book(turn, staff)
            elif command == "interpreter":
                made = mediation.request(self, turn, _argument(text))
                if made is not None:
                    audit.record(
                        self.db,
                        staff,
                        "interpreter",
                        now,
                        family=family,
                        detail=f"Anfrage #{made}",
                    )
            elif command == "interpreter_done":
                with_family = mediation.end(self, turn)
                if with_family is not None:
                    audit.record(self.db, staff, "interpreter_done", now, family=family)
            else:
                self.to_topic(turn, HELP_STAFF)
            save_state(self.db, family, turn.state, now)
            if turn.replies:
                enqueue(self.db, family, tuple(turn.replies), now)
                with_family = self.external_id(family)
        return with_family

    def external_id(self, family: int) -> str | None:
        row = self.db.execute("SELECT external_id FROM families WHERE id = ?", [family]).fetchone()
        return str(row[0]) if row else None

    def to_topic(self, turn: FamilyTurn, text: str) -> None:
        tickets.queue_text(turn.db, text, turn.now, family=turn.family)

    def _to_chat(self, text: str, thread_id: int | None, now: dt.datetime) -> None:
        tickets.queue_text(self.db, text, now, chat_id=self.staff_chat, thread_id=thread_id)

    def _reload(self, staff: int, thread_id: int | None, now: dt.datetime) -> None:
        errors: list[str] = []
        if self.reload is None:
            text = "Neu laden ist hier nicht möglich."
        else:
            errors = self.reload()
            if errors:
                shown = "\n".join(errors[:20])
                more = f"\n… und {len(errors) - 20} weitere" if len(errors) > 20 else ""
                text = (
                    "Neu laden abgelehnt: die neue Fassung hat Fehler. Lotse arbeitet weiter "
                    f"mit der letzten guten Fassung.\n{shown}{more}"
                )
            else:
                text = "Wissen und Übersetzungen neu geladen."
        with transaction(self.db):
            self._to_chat(text, thread_id, now)
            if self.reload is not None:
                audit.record(self.db, staff, "reload", now, detail="refused" if errors else "ok")

    def _close(self, turn: FamilyTurn, staff: int) -> str | None:
        ticket = tickets.open_ticket(turn.db, turn.family)
        if ticket is None:
            self.to_topic(turn, "Kein offenes Gespräch.")
            return None
        tickets.close_ticket(turn.db, ticket.id, turn.now)
        audit.record(turn.db, staff, "close", turn.now, family=turn.family, ticket=ticket.id)
        mediation.end(self, turn)
        self.to_topic(turn, f"Ticket #{ticket.id} geschlossen. Lotse antwortet wieder.")
        turn.say(_CLOSED)
        rating = tuple(Button(f"{RATE}{ticket.id}:{n}", str(n)) for n in range(1, 6))
        turn.say(_RATE, (*rating, home_button(turn.kb, turn.state.lang)))
        return self.external_id(turn.family)

    def _send_node(self, turn: FamilyTurn, staff: int, node_id: str) -> str | None:
        node = turn.kb.nodes.get(node_id)
        if not isinstance(node, AnswerNode | MenuNode | AskNode | ActionNode):
            self.to_topic(turn, f"Unbekannter Knoten „{node_id}“. Beispiel: /send se_documents")
            return None
        # the node id is one of the knowledge's own (checked above), never free text
        audit.record(turn.db, staff, "send", turn.now, family=turn.family, detail=node_id)
        outcome = show_node(turn.state, node_id, turn.kb, today=turn.now.date())
        turn.state = outcome.state
        turn.replies.extend(outcome.replies)
        shown = {reply.lang for reply in outcome.replies}
        self.to_topic(turn, f"„{node_id}“ geschickt (Sprache: {', '.join(sorted(shown))}).")
        return self.external_id(turn.family)

    def _book(self, turn: FamilyTurn, staff: int) -> str | None:
        if turn.kb.appointments is None:
            self.to_topic(turn, "Terminbuchung ist in diesem Lotse nicht eingerichtet.")
            return None
        audit.record(turn.db, staff, "book", turn.now, family=turn.family)
        turn.say(_BOOK_OFFER)
        flow = turn.kb.node_flow.get(turn.state.node or "", "")
        btn = booking.Turn(
            turn.db,
            turn.kb,
            turn.family,
            turn.now,
            turn.state,
            turn.replies,
            staff_chat=self.staff_chat,
            mediation_chat=self.settings.mediation_chat_id,
        )
        booking.start(btn, "book", flow)
        turn.state = btn.state
        self.to_topic(turn, "Terminbuchung angeboten.")
        return self.external_id(turn.family)

    def family_blocked(self, external_id: str, blocked: bool, now: dt.datetime) -> None:
        """Shows in the family's topic that it blocked the bot (or allowed it again)."""
        with transaction(self.db):
            family = find_family(self.db, self.channel, external_id)
            if family is None or tickets.latest_ticket(self.db, family) is None:
                return
            text = (
                "⚠️ Die Familie hat den Bot blockiert: Nachrichten an sie kommen nicht an."
                if blocked
                else "Die Familie hat den Bot wieder freigegeben."
            )
            tickets.queue_text(self.db, text, now, family=family)


def _command(text: str | None) -> str | None:
    """The staff command of a message ("/send@lotse_bot x" -> "send"), or None."""
    if not text or not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].casefold()


def _argument(text: str | None) -> str:
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def context_card(turn: FamilyTurn, number: int, journey: str, *, by_staff: bool) -> str:
    """What staff read first in the topic, in German: who, where from, what we know."""
    state, kb = turn.state, turn.kb
    path = [*state.history, state.node] if state.node else list(state.history)
    slots = ", ".join(f"{key}: {value}" for key, value in sorted(state.slots.items())) or "—"
    upcoming = booking_store.upcoming(turn.db, turn.family, turn.now)
    bookings = (
        "; ".join(
            f"#{b.id} {b.starts_at.astimezone(BERLIN):%d.%m.%Y %H:%M}"
            f" {b.type}" + (f", Sprachmittlung {b.mediator_lang}" if b.mediator_lang else "")
            for b in upcoming
        )
        or "—"
    )
    last = _last_seen(kb, state.node)
    opened = "vom KI-Team eröffnet" if by_staff else "die Familie möchte mit einer Person sprechen"
    return "\n".join(
        [
            f"Ticket #{number} – {opened}",
            f"Sprache: {german_language(state.lang)}",
            f"Weg: {journey}",
            f"Pfad: {' → '.join(path) or '—'}",
            f"Angaben: {slots}",
            f"Termine: {bookings}",
            f"Zuletzt gesehen: {last}",
            "",
            "Notizregel: Nachrichten, die mit # beginnen, sind interne Notizen und gehen nie "
            "an die Familie. Alles andere hier geht an die Familie.",
            "Befehle: /close /send KNOTEN /book /interpreter SPRACHE; … /help",
        ]
    )


def _last_seen(kb: KnowledgeBase, node_id: str | None) -> str:
    node = kb.nodes.get(node_id or "")
    text = ""
    if isinstance(node, AnswerNode):
        text = node.messages[0] if node.messages else ""
    elif isinstance(node, MenuNode | AskNode) or (isinstance(node, ActionNode) and node.text):
        text = node.text or ""
    text = " ".join(kb.fill(text).split())
    if len(text) > CARD_LAST_SEEN_CHARS:
        text = text[: CARD_LAST_SEEN_CHARS - 1] + "…"
    return f"{node_id} „{text}“" if text else (node_id or "—")
