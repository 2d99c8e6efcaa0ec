"""The staff side of appointments: posts about bookings in the staff chat, and the
commands /today, /week, /cancel and /noshow.

Every booking that is confirmed, moved or cancelled (by the family, by staff, or when a
family deletes its data) is posted to the general topic of the staff chat, queued in
`staff_outbox` in the same transaction as the change. A post says what staff need to
prepare the counselling — number, type, date and time, children and ages, the mediator
language, the family's language, its ticket — and never what a family wrote.

How the booking flow reaches this module: `booking.Turn` carries the staff chat id
(`staff_chat`, set by the conversation service when a staff chat is configured, None
otherwise), and the flow calls `booked`, `moved` and `cancelled` with it. A plain id keeps
the booking flow free of the handoff (which imports the flow). Other callers (e.g. a
family's /delete) call `cancelled` with their own staff chat id, before the family's rows
are deleted (the post looks up its language and ticket).

Staff commands run in the caller's transaction (Handoff.staff_message), for configured
staff only (the channel checks), anywhere in the staff chat; each one that acts writes an
audit entry with the staff member's id and the command name, never the typed reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlite_utils import Database

from bot import i18n
from bot.engine import Button
from bot.engine.dialogue import HOME
from bot.knowledge import KnowledgeBase
from bot.services.mediation import booking_changed, german_language_of
from bot.store import audit, tickets
from bot.store import bookings as store
from bot.store.bookings import Booking
from bot.store.conversations import load_state
from bot.store.outbox import enqueue

BERLIN = ZoneInfo("Europe/Berlin")
COMMANDS = ("today", "week", "cancel", "noshow")
WEEK_DAYS = 7  # /week: today and the six days after it
DELETED = "delete"  # `by` of a booking cancelled because the family deleted its data
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate: staff's words keep their own direction

_NUMBER = re.compile(r"#?([0-9]{1,9})")
_BY = {
    store.BY_FAMILY: "von der Familie",
    store.BY_STAFF: "vom KI",
    DELETED: "die Familie hat ihre Daten gelöscht",
}
_CANCEL_USAGE = (
    "So geht es: /cancel NUMMER GRUND\n"
    "Beispiel: /cancel 12 Die Beraterin ist krank.\n"
    "Der Grund geht so, wie Sie ihn schreiben, an die Familie."
)
_NOSHOW_USAGE = "So geht es: /noshow NUMMER (für einen Termin, der schon begonnen hat)"


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
    (staff's own words) ends the post. Its mediator request ends too."""
    booking_changed(db, booking.id, now, mediation_chat)
    if staff_chat is None:
        return
    lines = [
        f"✖ Termin #{booking.id} abgesagt – {_BY.get(by, by)}",
        f"{when(booking.starts_at)} · {type_name(kb, booking.type)}",
        *details(db, booking, lang),
    ]
    if note:
        lines.append(note)
    _post(db, staff_chat, "\n".join(lines), now)


# --- commands ------------------------------------------------------------------------------


def command(
    db: Database,
    kb: KnowledgeBase,
    staff_chat: int,
    name: str,
    argument: str,
    thread_id: int | None,
    staff: int,
    now: dt.datetime,
    mediation_chat: int | None = None,
) -> int | None:
    """Runs /today, /week, /cancel or /noshow (see COMMANDS) typed by `staff` in the staff
    chat; the answer goes to the thread it was typed in. Returns the id of a family that
    was told something (its reply waits in the outbox), else None."""

    def answer(text: str) -> None:
        tickets.queue_text(db, text, now, chat_id=staff_chat, thread_id=thread_id)

    if kb.appointments is None:
        answer("Terminbuchung ist in diesem Lotse nicht eingerichtet.")
        return None
    if name in ("today", "week"):
        days = 1 if name == "today" else WEEK_DAYS
        answer(agenda(db, kb, now, days))
        audit.record(db, staff, name, now, detail=f"/{name}")
        return None
    if name == "noshow":
        answer(no_show(db, argument, staff, now))
        return None
    return cancel(db, kb, (staff_chat, mediation_chat), argument, staff, now, answer)


def agenda(db: Database, kb: KnowledgeBase, now: dt.datetime, days: int) -> str:
    """The confirmed appointments from today (Berlin) for `days` days, by day and time."""
    today = now.astimezone(BERLIN).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=BERLIN)
    end = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(0), tzinfo=BERLIN)
    found = [b for b in store.between(db, start, end) if b.status == store.CONFIRMED]
    if days == 1:
        title = f"Termine heute, {format_date(today, 'EEEE, dd.MM.yyyy', locale='de')}:"
    else:
        last = today + dt.timedelta(days=days - 1)
        title = f"Termine vom {today:%d.%m.} bis {last:%d.%m.%Y}:"
    if not found:
        return f"{title} keine"
    lines = [title]
    shown_day: dt.date | None = None
    for booking in found:
        local = booking.starts_at.astimezone(BERLIN)
        if days > 1 and local.date() != shown_day:
            shown_day = local.date()
            lines += ["", format_date(shown_day, "EEEE, dd.MM.yyyy", locale="de")]
        lines.append(
            f"{local:%H:%M} Uhr · Termin #{booking.id} · {type_name(kb, booking.type)}\n"
            f"    {children(booking)} · {mediator(booking)}"
            f" · Sprache der Familie: {language(family_language(db, booking))}"
        )
    return "\n".join(lines)


def _not_open(booking: Booking) -> str | None:
    """Why staff cannot change the booking, or None when it is confirmed."""
    reasons = {
        store.CANCELLED: f"Termin #{booking.id} ist schon abgesagt.",
        store.NO_SHOW: f"Termin #{booking.id} ist schon als „nicht erschienen“ vermerkt.",
        store.HELD: f"Termin #{booking.id} ist noch nicht gebucht (die Familie bucht gerade).",
        store.EXPIRED: f"Termin #{booking.id} wurde nie gebucht.",
    }
    return reasons.get(booking.status)


def cancel(
    db: Database,
    kb: KnowledgeBase,
    chats: tuple[int, int | None],
    argument: str,
    staff: int,
    now: dt.datetime,
    answer: Callable[[str], None],
) -> int | None:
    """/cancel N reason: the booking is cancelled, its seat and reminders freed, the
    family told in its language with the reason as typed, staff told in the chat, and a
    mediator request for it ended. `chats`: the staff chat and the coordination chat."""
    staff_chat, mediation_chat = chats
    number, _sep, typed = argument.strip().partition(" ")
    match = _NUMBER.fullmatch(number)
    reason = " ".join(typed.split())
    if match is None or not reason:
        answer(_CANCEL_USAGE)
        return None
    booking = store.get(db, int(match.group(1)))
    if booking is None:
        answer(f"Termin #{match.group(1)} gibt es nicht.")
        return None
    refusal = _not_open(booking)
    if refusal is None and booking.starts_at <= now:
        refusal = (
            f"Termin #{booking.id} ({when(booking.starts_at)}) hat schon begonnen. "
            f"Ist die Familie nicht gekommen: /noshow {booking.id}"
        )
    if refusal is not None:
        answer(refusal)
        return None
    done = store.cancel(db, booking.id, now, reason=store.BY_STAFF)
    assert done is not None
    lang = family_language(db, done)
    tell_family(db, kb, done, reason, now)
    audit.record(
        db, staff, "cancel", now, family=done.family_id, booking=done.id, detail="/cancel"
    )
    told = f"Die Familie ist informiert ({language(lang)})."
    cancelled(
        db,
        kb,
        staff_chat,
        done,
        now,
        by=store.BY_STAFF,
        lang=lang,
        note=f"Grund: {reason}",
        mediation_chat=mediation_chat,
    )
    answer(f"Termin #{done.id} abgesagt. {told}")
    return done.family_id


def tell_family(
    db: Database, kb: KnowledgeBase, booking: Booking, reason: str, now: dt.datetime
) -> None:
    """The family reads, in its language, that the KI cancelled its appointment, staff's
    reason as typed, and buttons to book anew or go to the main menu; with a calendar file
    that removes the appointment."""
    # booking imports this module for its posts; its dialogue helpers are used only here.
    from bot.services import booking as flow

    turn = flow.Turn(db, kb, booking.family_id, now, load_state(db, booking.family_id), [])
    text = "\n".join(
        [
            turn.ui("Das KI hat Ihren Termin abgesagt."),
            f"📅 {turn.when(booking.starts_at)}",
            f"📍 {turn.type_name(booking.type)}",
            turn.ui("Grund (vom KI):"),
        ]
    )
    kind = turn.config.types.get(booking.type)
    files = (flow.calendar_file(turn, booking, kind),) if kind else ()
    buttons = (
        turn.button("new", "📅 Neuen Termin buchen"),
        Button(HOME, turn.ui("🏠 Hauptmenü")),
    )
    turn.say(text, buttons, files)
    # Staff's words are added after the family's texts are filled in: shown exactly as
    # typed (no {placeholder} or [[term]] is read in them), in their own direction.
    said = turn.replies.pop()
    shown = f"{said.text} {FSI}{reason}{PDI}"
    enqueue(db, booking.family_id, (replace(said, text=shown),), now)


def no_show(db: Database, argument: str, staff: int, now: dt.datetime) -> str:
    """/noshow N: a confirmed booking that has begun is marked as not attended."""
    match = _NUMBER.fullmatch(argument.strip())
    if match is None:
        return _NOSHOW_USAGE
    booking = store.get(db, int(match.group(1)))
    if booking is None:
        return f"Termin #{match.group(1)} gibt es nicht."
    refusal = _not_open(booking)
    if refusal is not None:
        return refusal
    if booking.starts_at > now:
        return (
            f"Termin #{booking.id} ({when(booking.starts_at)}) hat noch nicht begonnen. "
            f"Absagen: /cancel {booking.id} GRUND"
        )
    store.cancel(db, booking.id, now, status=store.NO_SHOW)
    audit.record(
        db, staff, "noshow", now, family=booking.family_id, booking=booking.id, detail="/noshow"
    )
    return f"Termin #{booking.id} ({when(booking.starts_at)}) als „nicht erschienen“ vermerkt."
