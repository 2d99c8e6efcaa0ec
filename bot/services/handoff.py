"""Hands a family over to KI staff: a ticket, the family's forum topic in the staff chat,
and messages relayed both ways by reference (their texts are never stored).

Lifecycle: "talk to a person" (button, /human, the handoff step) asks the family's yes
once (staff will read its messages), then opens a ticket and queues a context card for
the family's topic; while the ticket is open, what the family types or sends goes to the
topic and the bot stays silent (buttons and commands the family chooses still work);
staff reply in the topic, `#…` is an internal note; `/close` ends the ticket, the bot
answers again and asks once for a rating. Every write runs in the caller's transaction;
messages to staff chats wait in `staff_outbox` like family replies in `outbox`, so a crash
after the commit loses none (the channel sends both). The staff commands are declared in
bot/services/staff.py; each staff action is written to the audit log with the staff
member's id, never a text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import holidays
from babel.dates import format_time, get_day_names
from sqlite_utils import Database

from bot import i18n
from bot.clock import BERLIN
from bot.config import StaffSettings
from bot.engine.dialogue import show_node
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import ActionNode, AnswerNode, AskNode, MenuNode
from bot.services import booking, mediation
from bot.services.turn import Turn, german_language
from bot.store import audit, stats, ticket_log, tickets, transaction
from bot.store import bookings as booking_store
from bot.store.conversations import find_family
from bot.store.tickets import Ticket
from bot.types import (
    Button,
    ButtonId,
    ButtonPress,
    Chat,
    Command,
    Effect,
    Event,
    Media,
    State,
    TextInput,
    button_id,
)

PREFIX = "ho"
RATE = "rate"
CONSENT_YES, CONSENT_NO = button_id(PREFIX, "consent", "yes"), button_id(PREFIX, "consent", "no")
HANDOFF_AGREED = "ok:human"  # in State.seen: the family agreed that staff read its messages
NOTE = "#"  # the note rule: a staff message (or caption) starting with # stays internal
CARD_LAST_SEEN_CHARS = 300
NO_CHAT = 0  # the staff chat id when there is no Telegram staff chat (ids are never 0)
# How a file the family sent shows in the ticket log (the file itself stays in Telegram).
MEDIA_NAMES = {
    "voice": "Sprachnachricht",
    "photo": "Foto oder Video",
    "sticker": "Sticker",
    "location": "Standort",
    "document": "Datei",
    "other": "Nachricht",
}

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

_HUMAN_ASK = _(
    "Dann übernimmt eine Person vom Team des KI den Chat. Dafür sieht das Team Ihre "
    "Sprache, Ihre Angaben hier im Chat und alles, was Sie ab jetzt schreiben oder "
    "schicken. Hilft eine Sprachmittlung, sieht auch diese Person Ihre Nachrichten. "
    "Einverstanden?"
)
_HUMAN_YES = _("✅ Ja, verbinden")
_NO = _("Nein")
_REACH = _("Bitte melden Sie sich beim KI: Telefon {phone}, E-Mail {email}.")


def _locale(lang: str) -> str:
    return lang if lang in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE


def rating_id(ticket: int, value: int) -> str:
    return button_id(PREFIX, RATE, ticket, value)


class Handoff:
    """Tickets and relays; knows no channel."""

    def __init__(
        self,
        db: Database,
        settings: StaffSettings,
        reload: Callable[[], list[str]] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        # Without a Telegram staff chat (the desk in the browser only), messages for it
        # are still queued and the web channel drops them (bot/channels/web.py).
        self.staff_chat: int = settings.chat_id if settings.chat_id is not None else NO_CHAT
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

    def _after_hours(self, turn: Turn, ticket: Ticket) -> str | None:
        """Outside office hours, at most once a day: an honest automatic notice (its text,
        taken with `turn.ui`)."""
        if self.in_office(turn.now) or not tickets.note_after_hours(
            turn.db, ticket.id, turn.now.date()
        ):
            return None
        text = turn.ui(_AFTER_HOURS)
        return text.format(hours=self.office_hours(turn.fallback or turn.lang))

    # --- the family's side ----------------------------------------------------------

    def ticket(self, family: int) -> Ticket | None:
        return tickets.open_ticket(self.db, family)

    @staticmethod
    def relays(event: Event, state: State) -> bool:
        """What goes to staff while a ticket is open: typed text and media the channel
        can pass on. Buttons and commands stay with the bot (the family chose them); so
        does an open booking."""
        if isinstance(event, Media):
            return event.ref is not None
        if isinstance(event, TextInput):
            typed = event.text.strip()
            return bool(typed) and not typed.startswith("/") and state.booking is None
        return False

    def relay(self, turn: Turn, ticket: Ticket, event: TextInput | Media) -> None:
        """Passes the family's message on to its topic (and to a mediator on the request),
        and writes it to the ticket log for the desk. A channel that keeps the message
        (Telegram) gives a reference to copy; otherwise (the web chat) the log's row is it."""
        turn.relayed = True
        shown = event.text if isinstance(event, TextInput) else f"[{MEDIA_NAMES[event.kind]}]"
        if event.ref is not None:
            ticket_log.note(turn.db, turn.family, "family", shown, turn.now)
            ref = event.ref
        else:
            ref = ticket_log.write(turn.db, turn.family, "family", shown, turn.now)
        tickets.queue_copy(turn.db, ref, turn.now, family=turn.family)
        for mediator in tickets.mediators_of(turn.db, turn.family):
            tickets.queue_copy(turn.db, ref, turn.now, chat_id=mediator.id)
        notice = self._after_hours(turn, ticket)
        if notice is not None:
            turn.say(notice, (turn.home(),))

    def connect(self, turn: Turn, flow: str) -> None:
        """ "Talk to a person": a ticket, once the family agreed that staff read its
        messages (asked once; a running ticket needs no new yes)."""
        if self.ticket(turn.family) is None and HANDOFF_AGREED not in turn.state.seen:
            buttons = (
                Button(CONSENT_YES, turn.label(_HUMAN_YES)),
                Button(CONSENT_NO, turn.label(_NO)),
                turn.home(),
            )
            turn.tell(_HUMAN_ASK, buttons)
            return
        self.open(turn, flow)

    def open(self, turn: Turn, flow: str) -> None:
        """A ticket, its context card for the topic, a confirmation for the family."""
        ticket = tickets.open_ticket(turn.db, turn.family)
        if ticket is not None:
            turn.tell(_ALREADY, (turn.home(),))
            return
        ticket = self.new_ticket(turn, flow)
        stats.count(turn.db, turn.now, stats.HANDOFF, flow, turn.lang)
        text = turn.ui(_CONFIRM).format(hours=self.settings.answer_hours)
        notice = self._after_hours(turn, ticket)
        if notice is not None:  # one message: what happens next, and when
            text = f"{text}\n\n{notice}"
        turn.say(text, (turn.home(),))

    def new_ticket(self, turn: Turn, flow: str, *, by_staff: bool = False) -> Ticket:
        number = tickets.next_ticket_id(turn.db)
        journey = turn.kb.flows[flow].title if flow in turn.kb.flows else "—"
        title = f"#{number} · {turn.state.lang} · {journey}"[:128]
        card = context_card(turn, number, journey, by_staff=by_staff)
        ticket = tickets.create_ticket(turn.db, number, turn.family, title, card, turn.now)
        if tickets.topic_of(turn.db, turn.family) is not None:  # the family's topic exists
            tickets.queue_text(turn.db, title, turn.now, family=turn.family, kind="title")
        tickets.queue_text(turn.db, card, turn.now, family=turn.family)
        return ticket

    def pressed(self, turn: Turn, button: ButtonId) -> None:
        """The family's consent buttons and the rating after /close."""
        if button.parts == ("consent", "yes"):
            if HANDOFF_AGREED not in turn.state.seen:
                turn.state = turn.state.seen_also(HANDOFF_AGREED)
                audit.record(
                    turn.db, "family", "consent", turn.now, family=turn.family, detail="handoff"
                )
            self.open(turn, turn.kb.node_flow.get(turn.state.node or "", ""))
        elif button.parts[:1] == ("consent",):
            turn.tell(_REACH, (turn.home(),), **turn.kb.reach)
        else:
            self.rate(turn, button.parts)

    def rate(self, turn: Turn, parts: tuple[str, ...]) -> None:
        ticket_id, value = parts[1:3] if len(parts) == 3 and parts[0] == RATE else ("", "")
        ticket = tickets.latest_ticket(turn.db, turn.family)
        valid = value in {"1", "2", "3", "4", "5"} and ticket_id.isdigit()
        mine = ticket is not None and valid and ticket.id == int(ticket_id)
        if mine and ticket is not None and tickets.rate_ticket(turn.db, ticket.id, int(value)):
            turn.to_topic(f"Bewertung der Familie: {value}/5")
        turn.tell(_THANKS)

    # --- what staff do for a family (bot/services/staff.py dispatches) ---------------

    def close(self, turn: Turn, staff: str) -> None:
        ticket = tickets.open_ticket(turn.db, turn.family)
        if ticket is None:
            turn.to_topic("Kein offenes Gespräch.")
            return
        tickets.close_ticket(turn.db, ticket.id, turn.now)
        audit.record(turn.db, staff, "close", turn.now, family=turn.family, ticket=ticket.id)
        mediation.end(turn)
        turn.to_topic(f"Ticket #{ticket.id} geschlossen. Lotse antwortet wieder.")
        turn.tell(_CLOSED)
        rating = tuple(Button(rating_id(ticket.id, n), str(n)) for n in range(1, 6))
        turn.tell(_RATE, (*rating, turn.home()))

    def send_node(self, turn: Turn, staff: str, node_id: str) -> None:
        node = turn.kb.nodes.get(node_id)
        if not isinstance(node, AnswerNode | MenuNode | AskNode | ActionNode):
            turn.to_topic(f"Unbekannter Knoten „{node_id}“. Beispiel: /send se_documents")
            return
        # the node id is one of the knowledge's own (checked above), never free text
        audit.record(turn.db, staff, "send", turn.now, family=turn.family, detail=node_id)
        outcome = show_node(turn.state, node_id, turn.kb, today=turn.now.date())
        turn.state = outcome.state
        turn.replies.extend(outcome.replies)
        shown = {reply.lang for reply in outcome.replies}
        turn.to_topic(f"„{node_id}“ geschickt (Sprache: {', '.join(sorted(shown))}).")

    def book(self, turn: Turn, staff: str) -> None:
        if turn.kb.appointments is None:
            turn.to_topic("Terminbuchung ist in diesem Lotse nicht eingerichtet.")
            return
        audit.record(turn.db, staff, "book", turn.now, family=turn.family)
        turn.tell(_BOOK_OFFER)
        flow = turn.kb.node_flow.get(turn.state.node or "", "")
        view = booking.Turn.of(turn)
        booking.start(view, "book", flow)
        turn.state = view.state
        turn.to_topic("Terminbuchung angeboten.")

    def family_blocked(self, chat: Chat, blocked: bool, now: dt.datetime) -> None:
        """Shows in the family's topic that it blocked the bot (or allowed it again)."""
        with transaction(self.db):
            family = find_family(self.db, chat.channel, chat.id)
            if family is None or tickets.latest_ticket(self.db, family) is None:
                return
            text = (
                "⚠️ Die Familie hat den Bot blockiert: Nachrichten an sie kommen nicht an."
                if blocked
                else "Die Familie hat den Bot wieder freigegeben."
            )
            tickets.queue_text(self.db, text, now, family=family)


class HandoffFlow:
    """The conversation flow of talking to a person: relays while a ticket is open, the
    consent and rating buttons, and the engine's "handoff" effect."""

    name = "handoff"
    prefixes = frozenset({PREFIX})
    effects = frozenset({"handoff"})

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    def claims(self, turn: Turn, event: Event) -> bool:
        if isinstance(event, ButtonPress):
            return ButtonId.decode(event.id).prefix == PREFIX
        return Handoff.relays(event, turn.state) and self.handoff.ticket(turn.family) is not None

    def handle(self, turn: Turn, event: Event) -> Event | None:
        if isinstance(event, ButtonPress):
            button = ButtonId.decode(event.id)
            if button.parts[:1] not in (("consent",), (RATE,)):
                return event  # not a button of ours: the engine says it is from earlier
            self.handoff.pressed(turn, button)
            # after a rating, the bot answers again: the main menu
            return Command("menu") if button.parts[:1] == (RATE,) else None
        ticket = self.handoff.ticket(turn.family)
        assert ticket is not None and isinstance(event, TextInput | Media)
        self.handoff.relay(turn, ticket, event)  # staff handle the chat: the bot stays silent
        return None

    def effect(self, turn: Turn, effect: Effect) -> None:
        assert effect.kind == "handoff", effect
        self.handoff.connect(turn, effect.flow)


def context_card(turn: Turn, number: int, journey: str, *, by_staff: bool) -> str:
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
