"""The staff commands about appointments: /today, /week, /cancel and /noshow.

They run in the caller's transaction (bot/services/staff.py declares and dispatches every
staff command), for configured staff only, anywhere in the staff chat; each one that acts
writes an audit entry with the staff member's id and the command name, never the typed
reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace

from babel.dates import format_date
from sqlite_utils import Database

from bot.clock import BERLIN
from bot.knowledge import KnowledgeBase
from bot.services import booking as flow
from bot.services.booking_posts import (
    cancelled,
    children,
    family_language,
    language,
    mediator,
    type_name,
    when,
)
from bot.store import audit
from bot.store import bookings as store
from bot.store.bookings import Booking
from bot.store.outbox import enqueue

WEEK_DAYS = 7  # /week: today and the six days after it
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate: staff's words keep their own direction

_NUMBER = re.compile(r"#?([0-9]{1,9})")
_CANCEL_USAGE = (
    "So geht es: /cancel NUMMER GRUND\n"
    "Beispiel: /cancel 12 Die Beraterin ist krank.\n"
    "Der Grund geht so, wie Sie ihn schreiben, an die Familie."
)
_NOSHOW_USAGE = "So geht es: /noshow NUMMER (für einen Termin, der schon begonnen hat)"


# --- commands ------------------------------------------------------------------------------


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
    staff: str,
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
    turn = flow.Turn(db, kb, now, family=booking.family_id)
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
    buttons = (turn.button("new", "📅 Neuen Termin buchen"), turn.home())
    turn.say(text, buttons, files)
    # Staff's words are added after the family's texts are filled in: shown exactly as
    # typed (no {placeholder} or [[term]] is read in them), in their own direction.
    said = turn.replies.pop()
    shown = f"{said.text} {FSI}{reason}{PDI}"
    enqueue(db, booking.family_id, (replace(said, text=shown),), now)


def no_show(db: Database, argument: str, staff: str, now: dt.datetime) -> str:
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
