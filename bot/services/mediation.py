"""Mediator requests: KI staff ask the coordination chat for a language mediator for a
family; whoever accepts there is the mediator and, while the request is open, sees that
family's messages in a private chat with the bot and can write to the family.

A request is `requested` -> `accepted` | `declined`; an accepted one is `closed` by
/interpreter_done or /close in the family's topic, and from then on its mediator sees
nothing more. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import i18n
from bot.engine import Button
from bot.i18n import _
from bot.store import bookings, tickets, transaction
from bot.store.conversations import load_state
from bot.store.outbox import enqueue, enqueue_copy
from bot.store.updates import record_update

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase
    from bot.services.handoff import FamilyTurn, Handoff

PREFIX = "med:"
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


def request(handoff: Handoff, turn: FamilyTurn, argument: str) -> int | None:
    """/interpreter LANG; when; place or phone/video; duration; topic; urgency. Returns the
    new request's number, or None when none was made."""
    parts = [part.strip() for part in argument.split(";")]
    lang = parts[0] if parts and parts[0] else ""
    if not lang:
        handoff.to_topic(
            turn,
            "So geht es: /interpreter SPRACHE; Datum Uhrzeit; Ort oder Telefon/Video; Dauer;"
            " Thema; Dringlichkeit\nBeispiel: /interpreter ar (syrisch); 24.11. 10:00;"
            " KI vor Ort; 60 Min.; Schulanmeldung; normal",
        )
        return None
    chat = handoff.settings.mediation_chat_id
    if chat is None:
        handoff.to_topic(
            turn, "Es ist kein Koordinations-Chat eingerichtet (LOTSE_MEDIATION_CHAT_ID)."
        )
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
    buttons = (
        Button(f"{PREFIX}acc:{made.id}", "✅ Übernehmen"),
        Button(f"{PREFIX}dec:{made.id}", "❌ Ablehnen"),
    )
    tickets.queue_text(turn.db, post, turn.now, chat_id=chat, buttons=buttons)
    handoff.to_topic(turn, f"Anfrage #{made.id} an die Koordination geschickt.")
    return made.id


def from_booking(
    handoff: Handoff, kb: KnowledgeBase, family: int, booking_id: int, now: dt.datetime
) -> None:
    """A booking confirmed with a mediator language asks the coordination chat once."""
    chat = handoff.settings.mediation_chat_id
    made = bookings.get(handoff.db, booking_id)
    if (
        chat is None
        or made is None
        or made.status != bookings.CONFIRMED
        or not made.mediator_lang
        or tickets.has_booking_request(handoff.db, booking_id)
    ):
        return
    kind = kb.appointments.types.get(made.type) if kb.appointments else None
    local = made.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
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
    request_id = tickets.create_request(
        handoff.db, family, lang, details, now, booking=booking_id
    ).id
    post = (
        f"Sprachmittlung angefragt – Anfrage #{request_id}\n{details}\n"
        "Aus einer Terminbuchung im Chat."
    )
    buttons = (
        Button(f"{PREFIX}acc:{request_id}", "✅ Übernehmen"),
        Button(f"{PREFIX}dec:{request_id}", "❌ Ablehnen"),
    )
    tickets.queue_text(handoff.db, post, now, chat_id=chat, buttons=buttons)


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
    if made.status == tickets.ACCEPTED and made.mediator_id is not None:
        tickets.queue_text(db, text, now, chat_id=made.mediator_id)


def german_language_of(value: str) -> str:
    from bot.services.handoff import german_language

    code, _sep, rest = value.partition(" ")
    return f"{german_language(code.casefold())} {rest}".strip()


def decide(
    handoff: Handoff,
    kb: KnowledgeBase,
    update_id: int,
    data: str,
    user_id: int,
    name: str,
    now: dt.datetime,
) -> str | None:
    """A press on accept / decline in the coordination chat. Returns the family's external
    id when it was told the outcome."""
    # handoff imports this module; its helpers are imported when first needed
    from bot.services.handoff import home_button, localized_reply, say

    action, _sep, number = data.removeprefix(PREFIX).partition(":")
    if action not in ("acc", "dec") or not number.isdigit():
        return None
    chat = handoff.settings.mediation_chat_id
    with transaction(handoff.db):
        if not record_update(handoff.db, handoff.channel, update_id, now):
            return None
        made = tickets.get_request(handoff.db, int(number))
        if made is None:
            return None
        status = tickets.ACCEPTED if action == "acc" else tickets.DECLINED
        mediator = user_id if action == "acc" else None
        if not tickets.decide_request(handoff.db, made.id, status, mediator, now):
            tickets.queue_text(
                handoff.db, f"Anfrage #{made.id} ist schon entschieden.", now, chat_id=chat
            )
            return None
        family = made.family_id
        lang = load_state(handoff.db, family).lang
        if status == tickets.ACCEPTED:
            tickets.queue_text(
                handoff.db, f"Anfrage #{made.id} übernommen von {name}.", now, chat_id=chat
            )
            tickets.queue_text(
                handoff.db,
                f"Sprachmittlung #{made.id} angenommen von {name}. Sie/er sieht ab jetzt die "
                "Nachrichten der Familie und kann ihr schreiben, bis /interpreter_done oder "
                "/close.",
                now,
                family=family,
            )
            tickets.queue_text(
                handoff.db,
                f"Sie haben Anfrage #{made.id} übernommen.\n{made.details}\n\nSolange sie "
                "läuft, sehen Sie hier die Nachrichten der Familie. Was Sie hier schreiben, "
                "geht an die Familie und an das KI.",
                now,
                chat_id=user_id,
            )
            known = made.lang in i18n.LANGUAGES
            language = i18n.language_name(made.lang) if known else made.lang
            text = kb.catalogs.gettext(lang, _ACCEPTED).format(language=language)
            found = kb.catalogs.text(lang, None, _ACCEPTED)
            reply = localized_reply(kb, lang, text, found.lang, (home_button(kb, lang),))
        else:
            tickets.queue_text(
                handoff.db, f"Anfrage #{made.id} abgelehnt von {name}.", now, chat_id=chat
            )
            tickets.queue_text(
                handoff.db,
                f"Sprachmittlung #{made.id} abgelehnt. Die Familie ist informiert.",
                now,
                family=family,
            )
            reply = say(kb, lang, _DECLINED)
        enqueue(handoff.db, family, (reply,), now)
        return handoff.external_id(family)


def end(handoff: Handoff, turn: FamilyTurn) -> str | None:
    """Ends the family's accepted requests: their mediators see nothing more."""
    ended = tickets.close_requests(turn.db, turn.family, turn.now)
    for made in ended:
        if made.mediator_id is not None:
            tickets.queue_text(
                turn.db,
                f"Die Sprachmittlung #{made.id} ist beendet. Sie sehen keine Nachrichten dieser "
                "Familie mehr.",
                turn.now,
                chat_id=made.mediator_id,
            )
        handoff.to_topic(turn, f"Sprachmittlung #{made.id} beendet.")
    if ended:
        turn.say(_ENDED)
        return handoff.external_id(turn.family)
    return None


def from_mediator(
    handoff: Handoff,
    mediator: int,
    message: tuple[int, int] | None,
    now: dt.datetime,
    media: str | None = None,
) -> str | None:
    """A mediator with an open request wrote to the bot: to the family and its topic.
    Call inside the event's transaction; returns the family's external id, or None when
    this person holds no open request (then the message is theirs, as any family's).
    `message` None: the channel does not pass it on ([limits]; `media` says why), and
    the mediator is told so."""
    family = tickets.family_of_mediator(handoff.db, mediator)
    if family is None:
        return None
    if message is None:
        text = _NOT_PASSED_ON.get(media or "", _NOT_PASSED_ON["not_allowed"])
        tickets.queue_text(handoff.db, text, now, chat_id=mediator)
        return handoff.external_id(family)
    chat_id, message_id = message
    enqueue_copy(handoff.db, family, chat_id, message_id, now)
    tickets.queue_copy(handoff.db, chat_id, message_id, now, family=family)
    return handoff.external_id(family)
