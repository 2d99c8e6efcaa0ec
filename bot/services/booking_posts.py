"""Posts about bookings in the general topic of the staff chat.

Every booking that is confirmed, moved or cancelled (by the family, by staff, or when a
family deletes its data) is posted to the general topic of the staff chat, queued in
`staff_outbox` in the same transaction as the change. A post says what staff need to
prepare the counselling — number, type, date and time, children and ages, the mediator
language, the family's language, its ticket — and never what a family wrote. A booking's
mediator request follows its booking (the coordination chat is told,
bot/services/mediation.py). Callers pass the staff chat id (None: no staff chat, no post).
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from sqlite_utils import Database

from bot import i18n
from bot.clock import BERLIN
from bot.knowledge import KnowledgeBase
from bot.services.mediation import booking_changed
from bot.services.turn import german_language_of
from bot.store import bookings as store
from bot.store import tickets
from bot.store.bookings import Booking
from bot.store.conversations import load_state

DELETED = "delete"  # `by` of a booking cancelled because the family deleted its data

_BY = {
    store.BY_FAMILY: "von der Familie",
    store.BY_STAFF: "vom KI",
    DELETED: "die Familie hat ihre Daten gelöscht",
}


# --- texts for staff (German, Europe/Berlin) ---------------------------------------------


def when(moment: dt.datetime) -> str:
    """'Di., 24.11.2026, 11:00 Uhr' in Berlin time."""
    local = moment.astimezone(BERLIN)
    return f"{format_date(local.date(), 'EEE, dd.MM.yyyy', locale='de')}, {local:%H:%M} Uhr"


def type_name(kb: KnowledgeBase, type_id: str) -> str:
    kind = kb.appointments.types.get(type_id) if kb.appointments else None
    return kb.fill(kind.name) if kind else type_id  # removed from appointments.yaml: its id


def language(value: str) -> str:
    """A language in German: 'Arabisch (ar)'; a typed name (e.g. 'Tigrinya') as typed."""
    return german_language_of(value) if value in i18n.LANGUAGES else value


def family_language(db: Database, booking: Booking) -> str:
    """The language the family reads now (the booking keeps the one it booked in)."""
    row = db.execute(
        "SELECT 1 FROM conversations WHERE family_id = ?", [booking.family_id]
    ).fetchone()
    return load_state(db, booking.family_id).lang if row else booking.lang


def children(booking: Booking) -> str:
    if booking.children is None:
        return "Kinder: —"
    ages = f" (Alter {booking.ages})" if booking.ages else ""
    return f"Kinder: {booking.children}{ages}"


def mediator(booking: Booking) -> str:
    if not booking.mediator_lang:
        return "Sprachmittlung: keine"
    return f"Sprachmittlung: {language(booking.mediator_lang)}"


def ticket_line(db: Database, family: int) -> str:
    """The family's ticket and a link to its topic, if it has them."""
    ticket = tickets.latest_ticket(db, family)
    if ticket is None:
        return "Ticket: keins"
    state = "offen" if ticket.status == tickets.OPEN else "geschlossen"
    line = f"Ticket #{ticket.id} ({state})"
    topic = tickets.topic_of(db, family)
    if topic is not None:
        chat, thread = topic
        internal = str(chat).removeprefix("-100")
        # A supergroup's id is -100<internal id>; t.me/c links use the internal id.
        line += f" – Thema: https://t.me/c/{internal}/{thread}" if internal != str(chat) else ""
    return line


def details(db: Database, booking: Booking, lang: str | None) -> list[str]:
    return [
        children(booking),
        mediator(booking),
        f"Sprache der Familie: {language(lang or family_language(db, booking))}",
        ticket_line(db, booking.family_id),
    ]


# --- posts in the general topic ------------------------------------------------------------


def _post(db: Database, staff_chat: int, text: str, now: dt.datetime) -> None:
    """To the general topic: chat and no thread, and no family (a post outlives a family
    that deletes its data)."""
    tickets.queue_text(db, text, now, chat_id=staff_chat)


def booked(
    db: Database,
    kb: KnowledgeBase,
    staff_chat: int | None,
    booking: Booking,
    now: dt.datetime,
    *,
    lang: str | None = None,
) -> None:
    """A family confirmed a booking."""
    if staff_chat is None:
        return
    lines = [
        f"📅 Neuer Termin #{booking.id}",
        f"{when(booking.starts_at)} · {type_name(kb, booking.type)}",
        *details(db, booking, lang),
    ]
    _post(db, staff_chat, "\n".join(lines), now)


def moved(
    db: Database,
    kb: KnowledgeBase,
    staff_chat: int | None,
    booking: Booking,
    before: dt.datetime,
    now: dt.datetime,
    *,
    lang: str | None = None,
    mediation_chat: int | None = None,
) -> None:
    """A family moved its booking to another time (its mediator request follows)."""
    booking_changed(db, booking.id, now, mediation_chat, moved_to=when(booking.starts_at))
    if staff_chat is None:
        return
    lines = [
        f"🕑 Termin #{booking.id} verschoben",
        f"Neu: {when(booking.starts_at)} · {type_name(kb, booking.type)}",
        f"Bisher: {when(before)}",
        *details(db, booking, lang),
    ]
    _post(db, staff_chat, "\n".join(lines), now)


def cancelled(
    db: Database,
    kb: KnowledgeBase,
    staff_chat: int | None,
    booking: Booking,
    now: dt.datetime,
    *,
    by: str,
    lang: str | None = None,
    note: str = "",
    mediation_chat: int | None = None,
) -> None:
    """A booking was cancelled; `by` is bookings.BY_FAMILY, BY_STAFF or DELETED. `note`
    (staff's own words) ends the post. Its mediator request ends too. A family that
    deleted its data is not described again: the post names the booking and its time only
    (its children, ages and languages went with it; the coordination chat is told that
    the mediation is off)."""
    booking_changed(db, booking.id, now, mediation_chat)
    if staff_chat is None:
        return
    lines = [
        f"✖ Termin #{booking.id} abgesagt – {_BY.get(by, by)}",
        f"{when(booking.starts_at)} · {type_name(kb, booking.type)}",
        *(details(db, booking, lang) if by != DELETED else []),
    ]
    if note:
        lines.append(note)
    _post(db, staff_chat, "\n".join(lines), now)
