"""An .ics file for an appointment (icalendar), so it lands in the family's calendar.

The UID is stable per booking and SEQUENCE grows with every change, so calendar apps
update or cancel the same event instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar, Event

PRODID = "-//Lotse//KI Beratung//DE"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    sequence: int
    start: dt.datetime  # aware
    minutes: int
    summary: str
    location: str
    description: str
    cancelled: bool = False


def ics(entry: CalendarEntry, now: dt.datetime) -> bytes:
    """The iCalendar bytes of one appointment (METHOD REQUEST, or CANCEL when cancelled)."""
    return calendar_bytes([entry], now, method="CANCEL" if entry.cancelled else "REQUEST")


def calendar_bytes(entries: list[CalendarEntry], now: dt.datetime, method: str) -> bytes:
    """A calendar of several appointments, e.g. the office export (METHOD PUBLISH)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    for entry in entries:
        calendar.add_component(_event(entry, now))
    calendar.add_missing_timezones()  # a VTIMEZONE for Europe/Berlin, for older apps
    return bytes(calendar.to_ical())


def _event(entry: CalendarEntry, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", entry.start)
    event.add("dtend", entry.start + dt.timedelta(minutes=entry.minutes))
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    return event
