"""The office's view of the bookings: a calendar file or a CSV table for a period.

Only what the office needs to prepare the counselling: when, which type, how many
children and their ages, the mediator language, the status, and the booking number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot.knowledge import KnowledgeBase
from bot.services.calendar_file import CalendarEntry, calendar_bytes
from bot.store.bookings import NO_SHOW, Booking, between

CSV_COLUMNS = (
    "booking",
    "date",
    "time",
    "minutes",
    "type",
    "children",
    "ages",
    "mediator",
    "status",
)


def _entry(kb: KnowledgeBase, booking: Booking, zone: ZoneInfo) -> CalendarEntry:
    assert kb.appointments is not None
    kind = kb.appointments.types.get(booking.type)
    name = kb.fill(kind.name) if kind else booking.type
    contact = kb.organisation.contacts.get(kind.contact) if kind else None
    details = [f"Buchung {booking.id}", f"Kinder: {booking.children} ({booking.ages})"]
    if booking.mediator_lang:
        details.append(f"Sprachmittlung: {booking.mediator_lang}")
    return CalendarEntry(
        uid=booking.uid,
        sequence=booking.sequence,
        start=booking.starts_at.astimezone(zone),
        minutes=booking.minutes,
        summary=name,
        location=(contact.address or "")
        if contact and kind and kind.mode == "on_site"
        else "Video",
        description="\n".join(details),
        cancelled=booking.status == NO_SHOW,
    )


def _cell(text: str) -> str:
    """A spreadsheet must not read a family's text as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export(db: Database, kb: KnowledgeBase, start: dt.date, days: int, fmt: str) -> bytes:
    """Bookings from `start` for `days` days as 'ics' or 'csv'."""
    if kb.appointments is None:
        raise ValueError("booking is not configured (knowledge/appointments.yaml)")
    zone = ZoneInfo(kb.appointments.timezone)
    begin = dt.datetime.combine(start, dt.time(0), tzinfo=zone)
    found = between(db, begin, begin + dt.timedelta(days=days))
    if fmt == "ics":
        entries = [_entry(kb, booking, zone) for booking in found]
        return calendar_bytes(entries, dt.datetime.now(dt.UTC), method="PUBLISH")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for booking in found:
        local = booking.starts_at.astimezone(zone)
        writer.writerow(
            [
                booking.id,
                local.date().isoformat(),
                local.strftime("%H:%M"),
                booking.minutes,
                booking.type,
                booking.children,
                booking.ages,
                _cell(booking.mediator_lang or ""),
                booking.status,
            ]
        )
    return out.getvalue().encode("utf-8")
