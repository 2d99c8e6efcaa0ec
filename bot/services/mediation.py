"""Mediator requests: KI staff ask the coordination chat for a language mediator for a
family; whoever accepts there is the mediator and, while the request is open, sees that
family's messages in a private chat with the bot and can write to the family.

A request is `requested` -> `accepted` | `declined`; an accepted one is `closed` by
/interpreter_done or /close in the family's topic, and from then on its mediator sees
nothing more. Everything runs in the caller's transaction.

A mediator is known by the chat they accepted from (a `Chat`: channel and the channel's
own id); while they hold an accepted request, what they write to the bot goes to the
family and its topic (`MediatorFlow`, the first flow of the conversation service).
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot import i18n
from bot.clock import BERLIN
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import relay
from bot.services.turn import Turn, german_language_of
from bot.store import bookings, tickets
from bot.store.bookings import Booking
from bot.store.outbox import enqueue
from bot.types import Button, ButtonId, Chat, Event, Media, TextInput, button_id

PREFIX = "med"
FIELDS = ("Sprache", "Wann", "Ort / Form", "Dauer", "Thema", "Dringlichkeit")

_ACCEPTED = _(
    "Gute Nachricht: Für Ihr Gespräch gibt es eine Sprachmittlung ({language}). Die Person "
    "kann Ihre Nachrichten hier mitlesen und Ihnen schreiben, bis die Sprachmittlung endet."
)
_DECLINED = _(
    "Für Ihr Gespräch hat sich leider noch keine Sprachmittlung gefunden. Das Team des KI "
    "meldet sich bei Ihnen."
)
_ENDED = _("Die Sprachmittlung ist beendet.")
# to a mediator whose message the channel refused under [limits] (German: for the team)
_NOT_PASSED_ON = {
    "too_large": "Diese Datei ist zu groß. Ich habe sie nicht weitergegeben – weder an die "
    "Familie noch an das KI.",
    "not_allowed": "Diese Art von Nachricht gebe ich nicht weiter – weder an die Familie "
    "noch an das KI. Bitte schreiben Sie Text.",
}


def _decision_buttons(request: int) -> tuple[Button, ...]:
    return (
        Button(button_id(PREFIX, "acc", request), "✅ Übernehmen"),
        Button(button_id(PREFIX, "dec", request), "❌ Ablehnen"),
    )


def request(turn: Turn, argument: str) -> int | None:
    """/interpreter LANG; when; place or phone/video; duration; topic; urgency, typed by
    staff in the family's topic. Returns the new request's number, or None."""
    parts = [part.strip() for part in argument.split(";")]
    lang = parts[0] if parts and parts[0] else ""
    if not lang:
        turn.to_topic(
            "So geht es: /interpreter SPRACHE; Datum Uhrzeit; Ort oder Telefon/Video; Dauer;"
            " Thema; Dringlichkeit\nBeispiel: /interpreter ar (syrisch); 24.11. 10:00;"
            " KI vor Ort; 60 Min.; Schulanmeldung; normal",
        )
        return None
    chat = turn.mediation_chat
    if chat is None:
        turn.to_topic("Es ist kein Koordinations-Chat eingerichtet (LOTSE_MEDIATION_CHAT_ID).")
        return None
    code = lang.split()[0].casefold()
    lines = [
        f"{name}: {german_language_of(value) if index == 0 else value}"
        for index, (name, value) in enumerate(zip(FIELDS, parts, strict=False))
        if value
    ]
    details = "\n".join(lines)
    made = tickets.create_request(turn.db, turn.family, code, details, turn.now)
    ticket = tickets.open_ticket(turn.db, turn.family)
    origin = f"Ticket #{ticket.id}" if ticket else "ohne Ticket"
    post = (
        f"Sprachmittlung angefragt – Anfrage #{made.id}\n{details}\n"
        f"Angefragt vom KI Düsseldorf für eine Familie ({origin})."
    )
    tickets.queue_text(turn.db, post, turn.now, chat_id=chat, buttons=_decision_buttons(made.id))
    turn.to_topic(f"Anfrage #{made.id} an die Koordination geschickt.")
    return made.id


def from_booking(
    db: Database, kb: KnowledgeBase, chat: int | None, made: Booking, now: dt.datetime
) -> None:
    """A booking confirmed with a mediator language asks the coordination chat once."""
    if (
        chat is None
        or made.status != bookings.CONFIRMED
        or not made.mediator_lang
        or tickets.has_booking_request(db, made.id)
    ):
        return
    kind = kb.appointments.types.get(made.type) if kb.appointments else None
    local = made.starts_at.astimezone(BERLIN)
    lang = made.mediator_lang
    details = "\n".join(
        [
            f"Sprache: {german_language_of(lang) if lang in i18n.LANGUAGES else lang}",
            f"Wann: {local:%d.%m.%Y %H:%M}",
            "Ort / Form: " + ("Video" if kind and kind.mode == "video" else "vor Ort im KI"),
            f"Dauer: {made.minutes} Min.",
            f"Thema: {kind.name if kind else made.type} (Termin #{made.id})",
            "Dringlichkeit: normal",
        ]
    )
    request_id = tickets.create_request(db, made.family_id, lang, details, now, booking=made.id).id
    post = (
        f"Sprachmittlung angefragt – Anfrage #{request_id}\n{details}\n"
        "Aus einer Terminbuchung im Chat."
    )
    tickets.queue_text(db, post, now, chat_id=chat, buttons=_decision_buttons(request_id))


def booking_changed(
    db: Database,
    booking: int,
    now: dt.datetime,
    mediation_chat: int | None,
    *,
    moved_to: str | None = None,
) -> None:
    """A booking with a mediator request was cancelled (`moved_to` None) or moved (the new
    time, in German): the coordination chat and an accepted mediator are told. A cancelled
    booking's request ends; its accept button then answers "schon entschieden"."""
    made = tickets.open_booking_request(db, booking)
    if made is None:
        return
    if moved_to is None:
        tickets.close_request(db, made.id, now)
        text = f"Termin #{booking} wurde abgesagt: Sprachmittlung #{made.id} entfällt."
    else:
        text = f"Termin #{booking} wurde verschoben: Sprachmittlung #{made.id} neu am {moved_to}."
    if mediation_chat is not None:
        tickets.queue_text(db, text, now, chat_id=mediation_chat)
    if made.status == tickets.ACCEPTED and made.mediator is not None:
        tickets.queue_text(db, text, now, chat_id=made.mediator.id)


def decide(
    db: Database,
    kb: KnowledgeBase,
    chat: int,
    data: str,
    mediator: Chat,
    name: str,
    now: dt.datetime,
) -> None:
    """A press on accept / decline in the coordination chat `chat` by `mediator` (their
    own chat with the bot, where they will see the family's messages), in the caller's
    transaction; the family is told the outcome in its language."""
    button = ButtonId.decode(data)
    if button.prefix != PREFIX or len(button.parts) != 2:
        return
    action, number = button.parts
    if action not in ("acc", "dec") or not number.isdigit():
        return
    made = tickets.get_request(db, int(number))
    if made is None:
        return
    status = tickets.ACCEPTED if action == "acc" else tickets.DECLINED
    taker = mediator if action == "acc" else None
    if not tickets.decide_request(db, made.id, status, taker, now):
        tickets.queue_text(db, f"Anfrage #{made.id} ist schon entschieden.", now, chat_id=chat)
        return
    turn = Turn(db, kb, now, family=made.family_id)
    if status == tickets.ACCEPTED:
        tickets.queue_text(db, f"Anfrage #{made.id} übernommen von {name}.", now, chat_id=chat)
        turn.to_topic(
            f"Sprachmittlung #{made.id} angenommen von {name}. Sie/er sieht ab jetzt die "
            "Nachrichten der Familie und kann ihr schreiben, bis /interpreter_done oder "
            "/close."
        )
        tickets.queue_text(
            db,
            f"Sie haben Anfrage #{made.id} übernommen.\n{made.details}\n\nSolange sie "
            "läuft, sehen Sie hier die Nachrichten der Familie. Was Sie hier schreiben, "
            "geht an die Familie und an das KI.",
            now,
            chat_id=mediator.id,
        )
        known = made.lang in i18n.LANGUAGES
        language = i18n.language_name(made.lang) if known else made.lang
        turn.tell(_ACCEPTED, (turn.home(),), language=language)
    else:
        tickets.queue_text(db, f"Anfrage #{made.id} abgelehnt von {name}.", now, chat_id=chat)
        turn.to_topic(f"Sprachmittlung #{made.id} abgelehnt. Die Familie ist informiert.")
        turn.tell(_DECLINED)
    enqueue(db, made.family_id, tuple(turn.replies), now)


def end(turn: Turn) -> bool:
    """Ends the family's accepted requests: their mediators see nothing more. True if
    there was one (the family is told)."""
    ended = tickets.close_requests(turn.db, turn.family, turn.now)
    for made in ended:
        if made.mediator is not None:
            tickets.queue_text(
                turn.db,
                f"Die Sprachmittlung #{made.id} ist beendet. Sie sehen keine Nachrichten dieser "
                "Familie mehr.",
                turn.now,
                chat_id=made.mediator.id,
            )
        turn.to_topic(f"Sprachmittlung #{made.id} beendet.")
    if ended:
        turn.tell(_ENDED)
    return bool(ended)


class MediatorFlow:
    """A mediator with an accepted request wrote to the bot: to the family and its topic
    (copied by reference), not to the engine. Runs before the chat is looked up as a
    family, so a mediator never becomes one by mediating."""

    name = "mediation"
    prefixes: frozenset[str] = frozenset()  # the decision buttons live in the coordination chat
    effects: frozenset[str] = frozenset()

    def claims(self, turn: Turn, event: Event) -> bool:
        if not isinstance(event, TextInput | Media) or turn.chat is None:
            return False
        if isinstance(event, TextInput) and (event.ref is None or event.text.startswith("/")):
            return False  # a command (or text with nothing to pass on) is the bot's
        return tickets.family_of_mediator(turn.db, turn.chat) is not None

    def handle(self, turn: Turn, event: Event) -> Event | None:
        assert turn.chat is not None and isinstance(event, TextInput | Media)
        family = tickets.family_of_mediator(turn.db, turn.chat)
        assert family is not None
        turn.relayed = True  # to the family; nothing for the mediator's own chat
        if event.ref is None:  # the channel does not pass it on ([limits])
            why = event.refused if isinstance(event, Media) else None
            text = _NOT_PASSED_ON.get(why or "", _NOT_PASSED_ON["not_allowed"])
            tickets.queue_text(turn.db, text, turn.now, chat_id=turn.chat.id)
            return None
        typed = event.text if isinstance(event, TextInput) else None
        relay.to_family(
            turn.db,
            family,
            event.ref,
            typed,
            turn.now,
            author="staff",
            member="mediator",
            to_topic=True,
        )
        return None

    def effect(self, turn: Turn, effect: object) -> None:  # pragma: no cover - claims none
        raise AssertionError(effect)
